r"""Numbers that move with the mating function from evidence (issue 16).

For each fit: per population, P(conception loss > 2 % at some rut after the first quota
year) at zero export (the operating model the recommended quota uses: realised removals of
the latest census year, ``seed``, ``om_draws``; loss = 1 − P, conception being normalised
to 1 at Kühl et al.'s ratio — the ``baseline_risk`` of
:class:`saigapop.management.criteria.ConceptionRisk`), the recommended quota (robust and
fitted-world, :func:`saigapop.management.recommend_quota`), its binding criterion (and
trial), and fit diagnostics.

Run (from the repository root)::

    nice python scripts/compare_mating.py --fit main=/work/fits/bundled.zarr \
        --fit mating=/work/fits/mating.zarr --refit mating

``--refit NAME`` fits the bundled data first, as ``benchmarks/fit.py`` does (numpyro,
4 chains × 1000 draws, 1000 tuning, seed 20260526), when NAME's path does not exist yet,
and saves it there. A fit made before the fitted mating function (``harem_size`` only)
projects with the exponential form; ``--also-evidence`` adds, for such fits, a
projection-only row with the evidence form at its prior medians.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np

import saigapop as sp
from saigapop.management import OperatingModel, recommend_quota
from saigapop.management.harvest import ConstantHarvest, realised_removals
from saigapop.model.io import load_fit, save_fit

SEED = 20260526


def refit(path: Path) -> float:
    """Fit the bundled data as benchmarks/fit.py does; save; return the wall time (s)."""
    config = sp.AssessmentConfig(sampler="numpyro", draws=1000, tune=1000, seed=SEED)
    assessment = sp.Assessment(sp.load_kazakhstan(), config, progress=False)
    t0 = time.perf_counter()
    dt = assessment.fit()
    wall = time.perf_counter() - t0
    save_fit(dt, str(path))
    return wall


def diagnostics(data: sp.SaigaData, dt) -> dict[str, float]:
    """Divergences, max R-hat, min bulk ESS (the assessment's own diagnostics)."""
    res = sp.Assessment.from_fit(data, dt).diagnostics
    return {
        "divergences": float(res.divergences),
        "max_rhat": float(res.table["rhat"].max()),
        "min_ess_bulk": float(res.table["ess_bulk"].min()),
    }


def conception_risk(dt, removals, *, seed: int, om_draws: int, **om_kw) -> dict[str, float]:
    """P(1 − P > 2 % at some rut of model years Y+1 … end) at zero export, per population."""
    latest = int(dt.attrs.get("latest_census_year", int(dt["posterior"]["year"].max())))
    n_total = int(dt["posterior"].sizes["chain"] * dt["posterior"].sizes["draw"])
    om = OperatingModel.from_posterior(
        dt,
        seed=seed,
        realised_removals=realised_removals(removals, latest),
        n_draws=None if om_draws >= n_total else om_draws,
        **om_kw,
    )
    proj = om.project(ConstantHarvest(), [0.0])
    conc = proj["conception"].isel(candidate=0).sel(year=slice(latest + 1, None))
    conc = conc.dropna("year", how="all")
    loss = (1.0 - conc) > 0.02
    risk = loss.any("year").mean("draw")
    q05 = conc.min("year").quantile(0.05, "draw")
    out = {p: float(risk.sel(population=p)) for p in om.populations}
    out.update({f"{p} min-P q05": float(q05.sel(population=p)) for p in om.populations})
    ratio = proj["ratio"].isel(candidate=0).sel(year=latest + 1).median("draw")
    out.update({f"{p} M/F Y+1": float(ratio.sel(population=p)) for p in om.populations})
    out["form"] = om.mating_form
    out["years"] = f"{int(conc['year'].min())}–{int(conc['year'].max())}"
    return out


def main() -> None:
    """Print the comparison for every ``--fit``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fit", action="append", required=True, help="NAME=PATH (zarr)")
    parser.add_argument("--refit", action="append", default=[], help="NAME to fit if missing")
    parser.add_argument("--seed", type=int, default=0, help="operating-model seed")
    parser.add_argument("--om-draws", type=int, default=2000)
    parser.add_argument("--also-evidence", action="store_true")
    parser.add_argument("--no-quota", action="store_true", help="skip recommend_quota")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    data = sp.load_kazakhstan()
    for spec in args.fit:
        name, path = spec.split("=", 1)
        path = Path(path)
        wall = None
        if name in args.refit and not path.exists():
            wall = refit(path)
        dt = load_fit(str(path))
        if wall is None:
            wall = float(dt.attrs.get("sampling_seconds", np.nan))
            wall_note = "sampler call (attrs sampling_seconds)"
        else:
            wall_note = "refit wall, this run"
        print(f"== {name}: {path}")
        d = diagnostics(data, dt)
        print(
            f"fit: divergences {d['divergences']:.0f}, max R-hat {d['max_rhat']:.4f}, "
            f"min ESS bulk {d['min_ess_bulk']:.0f}, wall {wall:.0f} s ({wall_note})"
        )
        post = dt["posterior"]
        for v in (
            "mating_half_share",
            "mating_steepness",
            "mating_reference_ratio",
            "mating_yearling_weight",
            "harem_size",
        ):
            if v in post:
                q = np.quantile(post[v].values, [0.05, 0.5, 0.95])
                print(f"  {v}: median {q[1]:.4g} (90 % {q[0]:.4g}–{q[2]:.4g})")
        runs = [("as fitted", {})]
        if args.also_evidence and "mating_half_share" not in post:
            runs.append(
                (
                    "evidence form at prior medians (projection only)",
                    {"mating_form": "normalised_hill"},
                )
            )
        for label, kw in runs:
            r = conception_risk(dt, data.removals, seed=args.seed, om_draws=args.om_draws, **kw)
            pops = [k for k in r if " " not in k and k not in ("form", "years")]
            print(
                f"P(conception loss > 2 % at some rut {r['years']}), zero export, "
                f"{label}, form {r['form']}:"
            )
            for p in pops:
                print(
                    f"  {p}: {r[p]:.3f}  (min P over the ruts, 5 % quantile "
                    f"{r[p + ' min-P q05']:.3f}; median M/F at the first rut "
                    f"{r[p + ' M/F Y+1']:.3f})"
                )
        if args.no_quota:
            continue
        t0 = time.perf_counter()
        fitted = recommend_quota(dt, data.removals, seed=args.seed, robust=False)
        robust = recommend_quota(dt, data.removals, seed=args.seed, robust=True)
        print(f"recommended quota (males a year; solved in {time.perf_counter() - t0:.0f} s):")
        for p in robust.result.level["population"].values:
            lv_r = float(robust.result.level.sel(population=p))
            lv_f = float(fitted.result.level.sel(population=p))
            b_r = str(robust.result.binding.sel(population=p).values)
            b_f = str(fitted.result.binding.sel(population=p).values)
            trial = str(robust.across["binding_trial"].sel(population=p).values)
            print(
                f"  {p}: robust {lv_r:,.0f} (binding {b_r or '—'}, trial {trial}); "
                f"fitted world {lv_f:,.0f} (binding {b_f or '—'})"
            )
        print("  per trial (robust):")
        lv = robust.across["level"]
        for t in lv["trial"].values:
            row = ", ".join(
                f"{p} {float(lv.sel(trial=t, population=p)):,.0f} "
                f"({str(robust.across['binding'].sel(trial=t, population=p).values) or '—'})"
                for p in lv["population"].values
            )
            print(f"    {t}: {row}")


if __name__ == "__main__":
    main()
