"""Benchmark: fit the bundled data with the default sampler and, in the same run, PyMC's NUTS.

Run as ``python benchmarks/fit.py`` (``--baseline-draws N`` to shorten the baseline).
Ends with ``name: value unit`` lines.
"""

from __future__ import annotations

import argparse
import time
import warnings

import saigapop as sp
from saigapop.model.io import save_fit


def run(
    sampler: str, draws: int, tune: int, seed: int, save: str | None = None
) -> dict[str, float]:
    config = sp.AssessmentConfig(sampler=sampler, draws=draws, tune=tune, seed=seed)
    assessment = sp.Assessment(sp.load_kazakhstan(), config, progress=False)
    t0 = time.perf_counter()
    dt = assessment.fit()  # the fit `saigapop report` makes (its prior draws included)
    wall = time.perf_counter() - t0
    if save:
        save_fit(dt, save)
    res = assessment.diagnostics
    call = float(dt.attrs["sampling_seconds"])  # the whole sampler call
    # time inside the sampler's own loop (numpyro: includes its XLA JIT)
    sampling = float(dt["posterior"].attrs.get("sampling_time", call))
    return {
        "wall": wall,
        "sampling": sampling,
        "compile": call - sampling,  # graph building, gradients, backend compile, init
        "other": wall - call,  # model build, predictive draws, post-processing
        "min_ess_bulk": float(res.table["ess_bulk"].min()),
        "max_rhat": float(res.table["rhat"].max()),
        "divergences": float(res.divergences),
        "ess_per_wall": float(res.table["ess_bulk"].min()) / wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--baseline-draws", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=20260526)
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--save", help="Also save the default fit here (zarr).")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    default = run("numpyro", args.draws, args.tune, args.seed, args.save)
    lines = [
        f"fit_wall: {default['wall']:.1f} s",
        f"fit_compile: {default['compile']:.1f} s",
        f"fit_sampling: {default['sampling']:.1f} s",
        f"fit_build_predictive_postprocess: {default['other']:.1f} s",
        f"fit_min_ess_bulk: {default['min_ess_bulk']:.0f} draws",
        f"fit_max_rhat: {default['max_rhat']:.4f} ratio",
        f"fit_divergences: {default['divergences']:.0f} count",
        f"fit_min_ess_per_wall_s: {default['ess_per_wall']:.2f} 1/s",
    ]
    print("\n".join(lines), flush=True)  # the default's figures, before the long baseline
    if not args.skip_baseline:
        base = run("pymc", args.baseline_draws, args.baseline_draws, args.seed)
        ratio = default["ess_per_wall"] / max(base["ess_per_wall"], 1e-12)
        lines += [
            f"baseline_pymc_wall: {base['wall']:.1f} s",
            f"baseline_pymc_compile: {base['compile']:.1f} s",
            f"baseline_pymc_sampling: {base['sampling']:.1f} s",
            f"baseline_pymc_build_predictive_postprocess: {base['other']:.1f} s",
            f"baseline_pymc_min_ess_bulk: {base['min_ess_bulk']:.0f} draws",
            f"baseline_pymc_divergences: {base['divergences']:.0f} count",
            f"baseline_pymc_min_ess_per_wall_s: {base['ess_per_wall']:.3f} 1/s",
            f"ess_per_wall_s_ratio: {ratio:.1f} x",
        ]
        print("\n".join(lines[8:]))


if __name__ == "__main__":
    main()
