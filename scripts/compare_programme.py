"""The whole programme's adult-male limit on a fit, per offtake scenario (issue 15 item 3).

For each offtake scenario (the bundled ``default`` — the 2025 realised cull each year
2026–28 — and ``zero_culls``), prints per population and summed nationally, in adult males a
year 2026–28:

* the programme **limit** (largest total adult-male removal against no offtake, given the
  plan's female, calf and yearling removals) and its **plannable part** (adult males that may
  be taken by culls and exports together) = limit − expected poaching − wounding;
* expected adult-male poaching (mean rate × trade multiplier × mean adult males in the quota
  years) and wounding (``DEFAULT_WOUNDING`` × plannable);
* the binding criterion, and the plan's other removals kept (all ages and sexes but adult
  males, achieved, a year);
* for comparison, the export question's fitted-world quota (same seed, draws, criteria).

Usage::

    PYTHONPATH=. nice -n 10 python scripts/compare_programme.py --fit /work/fits/mating.zarr
"""

from __future__ import annotations

import argparse
import time
import warnings

import saigapop as sp
from saigapop.assessment import Assessment, AssessmentConfig
from saigapop.management import solve_quota
from saigapop.management.recommend import DEFAULT_OM_DRAWS
from saigapop.model.io import load_fit


def main() -> None:
    """Solve the programme for each scenario and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fit", default="/work/fits/mating.zarr")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--om-draws", type=int, default=DEFAULT_OM_DRAWS)
    parser.add_argument("--scenarios", nargs="+", default=["default", "zero_culls"])
    args = parser.parse_args()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = sp.load_kazakhstan()
    fit = load_fit(args.fit)
    print(f"fit: {args.fit}; seed {args.seed}; {args.om_draws} operating-model draws")
    for scenario in args.scenarios:
        config = AssessmentConfig(seed=args.seed, om_draws=args.om_draws, offtake_scenario=scenario)
        a = Assessment.from_fit(data, fit, config, progress=False)
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            prog = a.programme()
            t_prog = time.perf_counter() - t0
            om = a.operating_model()
            export = solve_quota(om, prog.solution.criteria, progress=False)
        t_all = time.perf_counter() - t0
        table = prog.table()
        kept = prog.other_removals.sum(("sex", "age"))
        print(
            f"\nscenario {scenario!r} (programme {t_prog:.0f} s; + export quota "
            f"{t_all - t_prog:.0f} s); comparator: {prog.comparator}"
        )
        header = (
            f"{'population':<11} {'limit':>9} {'plannable':>9} {'poaching':>9} "
            f"{'wounding':>9} {'other kept':>10} {'export q.':>9}  binding"
        )
        print(header)
        for pop, row in table.iterrows():
            if pop == "national":
                other = float(kept.sum())
                quota = float(export.level.sum())
            else:
                other = float(kept.sel(population=pop))
                quota = float(export.level.sel(population=pop))
            print(
                f"{pop:<11} {row['limit']:>9,.0f} {row['plannable']:>9,.0f} "
                f"{row['poaching']:>9,.0f} {row['wounding']:>9,.0f} {other:>10,.0f} "
                f"{quota:>9,.0f}  {row['binding']}"
            )
        for pop in prog.limit["population"].values:
            print(f"  {pop}: {prog.reason.sel(population=pop).item()}")
        sim = prog.simulated
        print(
            "  projected adult males removed at the limit (mean a year): "
            + "; ".join(
                f"{p} taken {float(sim['export'].sel(population=p)):,.0f}, wounding "
                f"{float(sim['wounding'].sel(population=p)):,.0f}, poaching "
                f"{float(sim['poaching'].sel(population=p)):,.0f}"
                for p in prog.limit["population"].values
            )
        )


if __name__ == "__main__":
    main()
