"""Before/after figures of the annual cycle written once (issue 14 item 2).

The annual cycle used to be written three times (``demography/cycle.py``,
``model/build.py``, ``management/operating_model.py``); it is now
:func:`saigapop.demography.kernel.step`. The semantics chosen for removals is the model's:
**poaching first**, as a rate on the adults present at the removal season, then every numeric
removal (culls, export, wounding) summed per class and capped at what the poachers left. The
operating model used to sum poaching with the numeric removals and scale all of them alike
where a class ran out.

This script checks out the base commit (``git merge-base HEAD main`` unless ``--base`` is
given) into a temporary directory with ``git archive``, runs the same measurements with the
base's ``saigapop`` and with this tree's (each in a subprocess), on one synthetic posterior
(:func:`saigapop.testing.make_synthetic_posterior`, saved once and read by both) at fixed
seeds, and prints each figure before and after and the largest difference:

* ``demography.project`` on a fixed case (mass mortality, removals that run out);
* the synthetic posterior's ``N`` (it runs the model's numpy annual step);
* the operating model: no-export baseline, constant export at three levels (full record:
  abundance, export taken and its shortfall, removals by source, male mortality), one level
  that exhausts the adult males, and a proportional harvest of adult males;
* the risk curve (per-criterion failure rates) and the solved quota per population;
* the PyMC model's log density at two points (Ural 2003–2012).

Run: ``python scripts/compare_kernel.py [--base REF] [--draws 200]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
WHY = """why figures move:
- rounding only (max rel ~1e-14): demography_*, synthetic_posterior_N, om_*_total,
  om_constant_abundance, ratio, male_mortality, model_logp — the same equations with the
  operations in a different order (e.g. -expm1 for 1 - exp, X (1 - mu) for X - X mu, the
  Beverton-Holt factor as 1 / (1 + b N / K)); the total taken from a class is unchanged,
  min(pi X + R, X) = pi X + min(R, (1 - pi) X).
- attribution where a class runs out (om_*_export, export_shortfall, removed_*,
  risk_export_taken): poaching is now taken first at its full rate, so the legal removals
  (export, wounding, culls) share only what the poachers left.
- om_proportional_*: a harvest rule that takes a fraction of a class now sees the class
  after poaching (poaching first), so it asks for slightly fewer animals.
- om_constant_conception and risk_fail_rate_conception: with no breeding female left (culls
  that exhaust the females), conception is 0 (the demography convention), not 1 as the
  operating model's infinite ratio used to give; such draws now fail the conception
  criterion (they already fail the abundance criterion when it applies)."""
LEVELS = [0.0, 20_000.0, 60_000.0]
SEED = 2025


def _plan(schedule_cls):  # planned reduction culls 2026–2028, as in benchmarks/quota.py
    records = []
    for pop, total in (("Betpakdala", 150_000.0), ("Ural", 300_000.0)):
        for year in (2026, 2027, 2028):
            records += [
                (pop, year, "male", "adult", 0.4 * total),
                (pop, year, "female", "adult", 0.4 * total),
                (pop, year, "male", "calf", 0.1 * total),
                (pop, year, "female", "calf", 0.1 * total),
            ]
    return schedule_cls.from_records(records, label="planned reduction culls")


def measure(posterior_path: str) -> dict[str, list]:
    """Every figure, with the ``saigapop`` importable in this process."""
    import warnings

    import xarray as xr

    import saigapop
    from saigapop.demography import VitalRates, mass_mortality_fractions, project
    from saigapop.management import (
        ConstantHarvest,
        HarvestSchedule,
        OperatingModel,
        ProportionalHarvest,
        default_criteria,
        risk_curve,
        solve_quota,
    )
    from saigapop.testing import make_synthetic_posterior

    warnings.simplefilter("ignore")
    out: dict[str, list] = {"saigapop_file": [saigapop.__file__]}
    # -- demography.project: 50 draws, mass mortality in year 2, removals that run out
    rng = np.random.default_rng(SEED)
    rates = VitalRates.kuhl_2009(
        survival=rng.uniform(0.5, 0.95, (50, 2, 3)),
        harem_size=rng.uniform(12, 30, 50),
        density_form="beverton_holt",
        carrying_capacity=5e5,
    )
    removals = np.zeros((50, 8, 2, 3))
    removals[:, :, 1, 2] = rng.uniform(0, 4e4, (50, 8))
    die = np.zeros((50, 8, 2, 3))
    die[:, 2] = mass_mortality_fractions(females=0.6, calves=0.8, males=0.2)
    proj = project(
        rng.uniform(2e4, 1e5, (50, 2, 2)), 0.9, rates, 8, removals,
        mass_mortality=die, on_excess="cap",
    )  # fmt: skip
    out["demography_census"] = proj.census.ravel().tolist()
    out["demography_conception"] = proj.conception.ravel().tolist()
    out["demography_shortfall"] = proj.shortfall.ravel().tolist()
    # -- the synthetic posterior's own N (the model's numpy annual step)
    n = make_synthetic_posterior(chains=1, draws=20, seed=SEED)["posterior"]["N"]
    out["synthetic_posterior_N"] = n.values.ravel().tolist()
    # -- operating model on the shared posterior
    post = xr.open_datatree(posterior_path)
    realised = xr.DataArray(
        np.array([[[0.05, 0.0, 0.43], [0.05, 0.05, 0.42]]] * 2 + [[[0.0] * 3] * 2])
        * np.array([87_500.0, 108_500.0, 0.0])[:, None, None],
        dims=("population", "sex", "age"),
        coords={
            "population": ["Betpakdala", "Ural", "Ustyurt"],
            "sex": ["female", "male"],
            "age": ["calf", "yearling", "adult"],
        },
    )
    om = OperatingModel.from_posterior(
        post, seed=1, realised_removals=realised, planned_culls=_plan(HarvestSchedule)
    )
    base = om.baseline(record="full")
    out["om_baseline_total"] = base["total"].values.ravel().tolist()
    full = om.project(ConstantHarvest(), LEVELS, record="full")
    for name in ("total", "abundance", "conception", "ratio", "male_mortality", "export"):
        out[f"om_constant_{name}"] = full[name].values.ravel().tolist()
    out["om_constant_export_shortfall"] = full["export_shortfall"].values.ravel().tolist()
    for source in full["source"].values:
        removed = full["removed"].sel(source=source).values.ravel()
        out[f"om_constant_removed_{source}"] = removed.tolist()
    hi = 0.9 * float(np.max(om.n0[..., 1, 1]))  # exhausts the adult males in many draws
    cap = om.project(ConstantHarvest(), [hi], record="full")
    for name in ("total", "export", "export_shortfall", "male_mortality"):
        out[f"om_exhausting_{name}"] = cap[name].values.ravel().tolist()
    out["om_exhausting_removed_poaching"] = (
        cap["removed"].sel(source="poaching").values.ravel().tolist()
    )
    prop = om.project(ProportionalHarvest(level=0.1), record="full")
    out["om_proportional_total"] = prop["total"].values.ravel().tolist()
    out["om_proportional_export"] = prop["export"].values.ravel().tolist()
    # -- risk curve and quota
    crit = default_criteria()
    levels = np.linspace(0.0, 1.0, 21)[:, None] * (0.5 * np.median(om.n0[..., 1, 1], axis=0))
    curve = risk_curve(om, levels, crit, progress=False)
    for criterion in curve["criterion"].values:
        fail = curve["fail"].sel(criterion=criterion).mean("draw")
        out[f"risk_fail_rate_{criterion}"] = fail.values.ravel().tolist()
    out["risk_export_taken"] = curve["export_taken"].values.ravel().tolist()
    result = solve_quota(om, crit, progress=False)
    out["quota_level"] = result.level.transpose("population", ...).values.ravel().tolist()
    # -- the PyMC model's log density
    from saigapop.datasets import load_kazakhstan
    from saigapop.model.build import build_model

    model = build_model(load_kazakhstan().select(populations="Ural", years=slice(2003, 2012)))
    logp = model.compile_logp()
    ip = model.initial_point()
    prng = np.random.default_rng(SEED)
    moved = {k: v + 0.3 * prng.standard_normal(np.shape(v)) for k, v in sorted(ip.items())}
    out["model_logp"] = [float(logp(ip)), float(logp(moved))]
    return out


def _run(src: Path, posterior: Path, tmp: Path, tag: str) -> dict[str, list]:
    target = tmp / f"{tag}.json"
    env = {**os.environ, "PYTHONPATH": str(src)}
    subprocess.run(
        [sys.executable, __file__, "--measure", str(posterior), "--out", str(target)],
        cwd=src,
        env=env,
        check=True,
    )
    return json.loads(target.read_text())


def _report(before: dict[str, list], after: dict[str, list]) -> None:
    print(f"before: {before.pop('saigapop_file')[0]}")
    print(f"after:  {after.pop('saigapop_file')[0]}")
    print(f"{'figure':36s} {'n':>6s} {'mean before':>14s} {'mean after':>14s} "
          f"{'max |diff|':>11s} {'max rel':>9s} {'# moved':>8s}")  # fmt: skip
    for name, b in before.items():
        a = np.asarray(after[name], dtype=float)
        b = np.asarray(b, dtype=float)
        finite = np.isfinite(a) & np.isfinite(b)
        diff = np.abs(a - b)[finite]
        scale = np.maximum(np.abs(b[finite]), 1e-300)
        nan_moved = int(np.sum(np.isfinite(a) != np.isfinite(b)))
        moved = int(np.sum(diff > 0)) + nan_moved
        print(
            f"{name:36s} {b.size:6d} {np.nanmean(b):14.6g} {np.nanmean(a):14.6g} "
            f"{(diff.max() if diff.size else 0.0):11.3g} "
            f"{(np.max(diff / scale) if diff.size else 0.0):9.2g} {moved:8d}"
        )
    print("quota level before (Betpakdala, Ural, Ustyurt):", before["quota_level"])
    print("quota level after  (Betpakdala, Ural, Ustyurt):", after["quota_level"])
    print(WHY)


def main() -> None:
    """Check out the base, measure it and this tree, print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default=None, help="base git ref (default: merge-base with main)")
    parser.add_argument("--draws", type=int, default=200, help="posterior draws (1 chain)")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        Path(args.out).write_text(json.dumps(measure(args.measure)))
        return
    base = args.base or subprocess.run(
        ["git", "-C", str(ROOT), "merge-base", "HEAD", "main"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    from saigapop.testing import make_synthetic_posterior

    with tempfile.TemporaryDirectory(prefix="compare_kernel_") as name:
        tmp = Path(name)
        src = tmp / "base"
        src.mkdir()
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", base, "saigapop", "data"],
            capture_output=True,
            check=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(src)], input=archive, check=True)
        posterior = tmp / "posterior.nc"
        make_synthetic_posterior(chains=1, draws=args.draws, seed=SEED).to_netcdf(posterior)
        print(f"base {base[:10]} vs working tree {ROOT}; synthetic posterior 1 x {args.draws}")
        before = _run(src, posterior, tmp, "before")
        after = _run(ROOT, posterior, tmp, "after")
    _report(before, after)


if __name__ == "__main__":
    main()
