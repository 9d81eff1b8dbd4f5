"""Benchmark: the quota solve and a 200-candidate risk curve on the full operating model.

3 populations × 4000 posterior draws (4 chains × 1000) × 13 projection years, with process
noise, catastrophes, poaching (trade effect), implementation error on planned culls, the
realised 2025 cull, density dependence, the mating function and the paired no-export
baseline — beside a straightforward per-draw Python loop computing the same per-draw
failures (run on a subset of draws in the same process and scaled to 4000 draws; its
results are checked equal to the vectorised ones on that subset).

Run: ``python benchmarks/quota.py [FIT]`` — with a saved fit (e.g. the bundled-data fit,
4 chains × 1000 draws) instead of the synthetic posterior. Ends with ``name: value unit``
lines.
"""

from __future__ import annotations

import resource
import sys
import time
import tracemalloc

import numpy as np
import xarray as xr

from saigapop.management import (
    HarvestSchedule,
    OperatingModel,
    default_criteria,
    risk_curve,
    solve_quota,
)
from saigapop.management._reference import loop_risks
from saigapop.testing import synthetic_posterior

CHAINS, DRAWS, HORIZON, N_CURVE, LOOP_DRAWS = 4, 1000, 13, 200, 40


def build(fit_path: str | None = None) -> OperatingModel:
    if fit_path is not None:
        # the bundled-data fit (4 chains x 1000 draws): its own realised 2025 cull
        from saigapop.datasets import load_kazakhstan
        from saigapop.management import realised_removals
        from saigapop.model.io import load_fit

        fit = load_fit(fit_path)
        removed = realised_removals(load_kazakhstan().removals, 2025)
        return OperatingModel.from_posterior(
            fit, horizon=HORIZON, seed=1, realised_removals=removed, planned_culls=plan()
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
    return OperatingModel.from_posterior(
        post, horizon=HORIZON, seed=1, realised_removals=realised, planned_culls=plan()
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


def main() -> None:
    fit_path = sys.argv[1] if len(sys.argv) > 1 else None
    t0 = time.perf_counter()
    om = build(fit_path)
    t_build = time.perf_counter() - t0
    crit = default_criteria()
    solve_quota(om, crit, progress=False)  # warm-up (imports, caches)

    t0 = time.perf_counter()
    result = solve_quota(om, crit, progress=False)
    t_solve = time.perf_counter() - t0

    hi = 0.5 * np.median(om.n0[..., 1, 1], axis=0)
    levels = np.linspace(0.0, 1.0, N_CURVE)[:, None] * hi[None, :]
    t0 = time.perf_counter()
    curve = risk_curve(om, levels, crit, progress=False)
    t_curve = time.perf_counter() - t0

    tracemalloc.start()
    risk_curve(om, levels, crit, progress=False)
    solve_quota(om, crit, progress=False)
    _, peak_traced = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB

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

    print(
        f"problem: {len(om.populations)} populations x {om.n_draws} draws x {om.horizon} years"
        f" ({fit_path or 'synthetic posterior'})"
    )
    print(result)
    print(result.table()[[c for c in result.table().columns if c != "reason"]].T.to_string())
    print(f"loop and vectorised per-draw failures identical on {len(draws)} draws: {same}")
    if not same:
        sys.exit("vectorised and loop results differ")
    print(f"om_build_wall: {t_build:.3f} s")
    print(f"solve_wall: {t_solve:.3f} s")
    print(f"risk_curve_{N_CURVE}_wall: {t_curve:.3f} s")
    print(f"loop_risk_curve_{N_CURVE}_wall_scaled: {t_loop:.1f} s")
    print(f"risk_curve_speedup_vs_loop: {t_loop / t_curve:.0f} x")
    print(f"peak_traced_memory: {peak_traced / 2**30:.3f} GiB")
    print(f"peak_rss: {peak_rss / 2**30:.3f} GiB")


if __name__ == "__main__":
    main()
