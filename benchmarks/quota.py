"""Benchmark: the quota solve and a 200-candidate risk curve on the full operating model.

3 populations × 4000 posterior draws (4 chains × 1000) × 13 projection years, with process
noise, catastrophes, poaching (trade effect in exporting candidates only), implementation
error on planned culls, the realised 2025 cull, density dependence, the mating function and
the paired no-export arm — beside a straightforward per-draw Python loop computing the same
per-draw failures (run on a subset of draws in the same process and scaled to 4000 draws;
its results are checked equal to the vectorised ones on that subset).

Two operating models are timed in the same run (issue 15): **before** — no culls after the
latest census (only the realised 2025 cull) — and **after** — culls in all arms: the
data's default offtake scenario when the data have one (``SaigaData.offtake``), else the
2025 realised level again each year 2026–28 (``RealisedLevel``), plus announced planned
culls with implementation error (:func:`plan`). With a fit, both are built through
:meth:`saigapop.Assessment.from_fit` → :meth:`~saigapop.Assessment.operating_model` (all
draws), exactly as the recommendation builds them.

Run: ``python benchmarks/quota.py [FIT] [--repeat N]`` — with a saved fit (e.g. the
bundled-data fit, 4 chains × 1000 draws) instead of the synthetic posterior. Ends with
``name: value unit`` lines (``_before`` / ``_after`` suffixes; the unsuffixed figures are
``after``): the median wall time of ``N`` (default 3) solves and 200-candidate risk curves
on the default worker threads (:data:`saigapop.management._mc.WORKERS`, the machine's
cores) and on one thread (``_serial``), the peak traced memory, the peak RSS.

To compare with an earlier version of saigapop, run this same file with that checkout
first on ``PYTHONPATH`` (it uses only the public API and
:func:`saigapop.management._reference.loop_risks`; the thread settings are skipped where the
version has none).
"""

from __future__ import annotations

import argparse
import hashlib
import resource
import sys
import time
import tracemalloc
from contextlib import contextmanager

import numpy as np
import xarray as xr

from saigapop.management import (
    HarvestSchedule,
    OperatingModel,
    _mc,
    default_criteria,
    risk_curve,
    solve_quota,
)
from saigapop.management import operating_model as _om
from saigapop.management._reference import loop_risks
from saigapop.management.arms import CullPlan
from saigapop.management.harvest import RealisedLevel
from saigapop.testing import synthetic_posterior

CHAINS, DRAWS, HORIZON, N_CURVE, LOOP_DRAWS = 4, 1000, 13, 200, 40


class _Both:
    """Announced planned culls and a realised-level scenario together (one cull plan)."""

    def __init__(self, announced: HarvestSchedule, level: CullPlan | None) -> None:
        self.announced, self.level = announced, level

    def numbers(self, populations, years):
        out = self.announced.numbers(populations, years)
        if self.level is not None:
            out = out + self.level.numbers(populations, years)
        return out

    def realised(self, populations, years):
        if self.level is None or not hasattr(self.level, "realised"):
            return xr.DataArray(
                np.zeros((len(years), len(populations), 2, 3)),
                dims=("year", "population", "sex", "age"),
                coords={
                    "year": list(years),
                    "population": list(populations),
                    "sex": ["female", "male"],
                    "age": ["calf", "yearling", "adult"],
                },
            )
        return self.level.realised(populations, years)


def build(fit_path: str | None = None) -> tuple[OperatingModel, OperatingModel]:
    """The operating models without and with culls after the latest census."""
    if fit_path is not None:
        # the bundled-data fit (4 chains x 1000 draws), through the Assessment
        import warnings

        from saigapop import Assessment, AssessmentConfig
        from saigapop.datasets import load_kazakhstan
        from saigapop.model.io import load_fit

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            data = load_kazakhstan()
        fit = load_fit(fit_path)
        config = AssessmentConfig(seed=1, om_draws=None, offtake_scenario="none")
        before = Assessment.from_fit(data, fit, config, progress=False)
        after = Assessment.from_fit(
            data, fit, config.replace(offtake_scenario=None), progress=False
        )
        default = after.offtake_plan()  # SaigaData.offtake, the default scenario
        if default is None:  # the data have no offtake plan yet: the 2025 realised level
            default = RealisedLevel.repeat(data.removals, 2025, [2026, 2027, 2028])
        return (
            before.operating_model(),
            after.operating_model(offtake=_Both(plan(), default)),
        )
    post = synthetic_posterior(chains=CHAINS, draws=DRAWS, seed=2025, adult_male_share=0.2)
    # the 2025 cull, known: Ural 108,500 (interim composition ~47 % males, 43 % females,
    # 10 % young), Betpakdala ~87,500 (national residual; split assumed the same)
    realised = xr.DataArray(
        np.array(
            [
                [[0.05, 0.0, 0.43], [0.05, 0.05, 0.42]],
                [[0.05, 0.0, 0.43], [0.05, 0.05, 0.42]],
                [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]],
            ]
        )
        * np.array([87_500.0, 108_500.0, 0.0])[:, None, None],
        dims=("population", "sex", "age"),
        coords={
            "population": ["Betpakdala", "Ural", "Ustyurt"],
            "sex": ["female", "male"],
            "age": ["calf", "yearling", "adult"],
        },
    )
    kw = {"horizon": HORIZON, "seed": 1, "realised_removals": realised}
    return (
        OperatingModel.from_posterior(post, **kw),
        OperatingModel.from_posterior(post, planned_culls=plan(), **kw),
    )


def plan() -> HarvestSchedule:
    """Planned reduction culls 2026-2028 (40 % males, 40 % females, 20 % young-of-year)."""
    records = []
    for pop, total in (("Betpakdala", 150_000.0), ("Ural", 300_000.0)):
        for year in (2026, 2027, 2028):
            records += [
                (pop, year, "male", "adult", 0.4 * total),
                (pop, year, "female", "adult", 0.4 * total),
                (pop, year, "male", "calf", 0.1 * total),
                (pop, year, "female", "calf", 0.1 * total),
            ]
    return HarvestSchedule.from_records(records, label="planned reduction culls")


@contextmanager
def threads(n: int | None):
    """Run with ``n`` worker threads (``None``: the default), where the version has them."""
    names = [(m, a) for m, a in ((_mc, "WORKERS"), (_om, "PROJECTION_WORKERS")) if hasattr(m, a)]
    old = [getattr(m, a) for m, a in names]
    try:
        if n is not None:
            for m, a in names:
                setattr(m, a, n)
        yield
    finally:
        for (m, a), v in zip(names, old, strict=True):
            setattr(m, a, v)


def timed(fn, repeat: int) -> float:
    """Median wall time of ``repeat`` calls."""
    walls = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        walls.append(time.perf_counter() - t0)
    return float(np.median(walls))


def measure(om: OperatingModel, label: str, repeat: int = 3) -> dict[str, float]:
    """Solve wall, 200-candidate curve wall, peak memory and the loop check of one model."""
    crit = default_criteria()
    solve_quota(om, crit, progress=False)  # warm-up (imports, caches)
    hi = 0.5 * np.median(om.n0[..., 1, 1], axis=0)
    levels = np.linspace(0.0, 1.0, N_CURVE)[:, None] * hi[None, :]
    result = solve_quota(om, crit, progress=False)
    curve = risk_curve(om, levels, crit, progress=False)
    out: dict[str, float] = {}
    for suffix, n in (("", None), ("_serial", 1)):
        with threads(n):
            out[f"solve{suffix}"] = timed(lambda: solve_quota(om, crit, progress=False), repeat)
            out[f"curve{suffix}"] = timed(
                lambda: risk_curve(om, levels, crit, progress=False), repeat
            )

    tracemalloc.start()
    risk_curve(om, levels, crit, progress=False)
    solve_quota(om, crit, progress=False)
    _, peak_traced = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    out["traced"] = peak_traced

    # straightforward per-draw Python loop on a subset of draws, scaled to all draws
    draws = list(np.linspace(0, om.n_draws - 1, LOOP_DRAWS).round().astype(int))
    limits = [crit[0].for_population(p) for p in om.populations]
    t0 = time.perf_counter()
    ref = loop_risks(om, levels, limits, draws)
    t_loop = (time.perf_counter() - t0) * om.n_draws / len(draws)
    vec = curve["fail"].sel(criterion=["abundance", "sex_ratio", "conception"]).isel(draw=draws)
    same = bool(
        np.array_equal(vec.transpose("criterion", "candidate", "draw", "population").values, ref)
    )
    print(f"-- {label}: {float(np.sum(om.culls)):,.0f} culled animals over all draws/years")
    print(result)
    print(result.table()[[c for c in result.table().columns if c != "reason"]].T.to_string())
    print(f"loop and vectorised per-draw failures identical on {len(draws)} draws: {same}")
    if not same:
        sys.exit("vectorised and loop results differ")
    # every number but the MC errors, to compare versions (issue 15: none may move)
    digest = hashlib.sha256(result.level.values.tobytes())
    for name in ("risk", "baseline_risk", "added_risk", "decision_risk", "passes"):
        digest.update(np.ascontiguousarray(curve[name].values).tobytes())
        digest.update(np.ascontiguousarray(result.at_quota[name].values).tobytes())
    digest.update(np.ascontiguousarray(curve["fail"].values).tobytes())
    print(f"quota, risks and per-draw failures sha256: {digest.hexdigest()[:16]}")
    mc = result.at_quota["decision_mcse"].values
    print(f"decision MC errors at the quota: {np.array2string(mc.ravel(), precision=17)}")
    return {**out, "loop": t_loop}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("fit", nargs="?", help="a saved fit (default: synthetic posterior)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs (median)")
    args = parser.parse_args()
    fit_path = args.fit
    t0 = time.perf_counter()
    om_before, om_after = build(fit_path)
    t_build = (time.perf_counter() - t0) / 2
    om = om_after
    print(
        f"problem: {len(om.populations)} populations x {om.n_draws} draws x {om.horizon} years"
        f" ({fit_path or 'synthetic posterior'}); median of {args.repeat} runs; worker threads:"
        f" {getattr(_mc, 'WORKERS', 1)}"
    )
    before = measure(om_before, "before: no culls after the latest census", args.repeat)
    after = measure(om_after, "after: culls in all arms", args.repeat)
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB
    print(f"om_build_wall: {t_build:.3f} s")
    for suffix, m in (("_before", before), ("_after", after), ("", after)):
        print(f"solve_wall{suffix}: {m['solve']:.3f} s")
        print(f"solve_wall_serial{suffix}: {m['solve_serial']:.3f} s")
        print(f"risk_curve_{N_CURVE}_wall{suffix}: {m['curve']:.3f} s")
        print(f"risk_curve_{N_CURVE}_wall_serial{suffix}: {m['curve_serial']:.3f} s")
        print(f"loop_risk_curve_{N_CURVE}_wall_scaled{suffix}: {m['loop']:.1f} s")
        print(f"risk_curve_speedup_vs_loop{suffix}: {m['loop'] / m['curve']:.0f} x")
        print(f"peak_traced_memory{suffix}: {m['traced'] / 2**30:.3f} GiB")
    print(f"peak_rss: {peak_rss / 2**30:.3f} GiB")


if __name__ == "__main__":
    main()
