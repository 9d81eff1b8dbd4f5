"""The recommended quota under three definitions of the export question (issue 15 item 3).

Prints, per population, the recommended quota (adult males a year, 2026–28) in the fitted
world and robust over the reference trials, with the no-export baseline's P(true abundance
below the limit) and the binding criterion, for:

(a) main before issue 15: the trade effect on poaching in *both* arms (candidate 0 too), no
    planned culls — emulated by folding the trade multiplier into every candidate's baseline
    poaching in the quota years (exactly what ``OperatingModel`` did before);
(b) trade closed in the no-export arm (the one definition of :mod:`saigapop.management.arms`);
(c) (b) + a cull scenario equal to the 2025 realised level each year 2026–28, applied
    exactly in both arms (``RealisedLevel.repeat`` of the 2025 final rows of
    ``data/removals.csv``, split by ``realised_removals``).

Usage::

    PYTHONPATH=. python scripts/compare_offtake.py --fit /work/fits/bundled.zarr
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from saigapop import load_kazakhstan
from saigapop.management import DEFAULT_ABUNDANCE_LIMITS, OperatingModel
from saigapop.management.harvest import RealisedLevel
from saigapop.management.recommend import DEFAULT_OM_DRAWS, recommend_quota
from saigapop.model.io import load_fit


@contextmanager
def trade_in_both_arms() -> Iterator[None]:
    """Emulate main before issue 15: every candidate's poaching carries the trade effect."""
    original = OperatingModel.__dict__["from_posterior"]

    def patched(cls: type[OperatingModel], *args: object, **kwargs: object) -> OperatingModel:
        om = original.__func__(cls, *args, **kwargs)
        t = np.isin(om.model_years, om.trade_years)
        if not t.any():
            return om
        p = om.poaching.copy()  # (sex, year, draw, pop)
        p[:, t] = np.clip(p[:, t] * om.trade[t][None, :, :, None], 0.0, 1.0)
        return om.replace(poaching=p, trade=np.ones_like(om.trade))

    OperatingModel.from_posterior = classmethod(patched)  # type: ignore[method-assign]
    try:
        yield
    finally:
        OperatingModel.from_posterior = original  # type: ignore[method-assign]


def main() -> None:
    """Solve the three scenarios and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fit", default="/work/fits/bundled.zarr")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--om-draws", type=int, default=DEFAULT_OM_DRAWS)
    parser.add_argument("--no-robust", action="store_true", help="fitted world only")
    args = parser.parse_args()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = load_kazakhstan()
    fit = load_fit(args.fit)
    latest = int(fit.attrs.get("latest_census_year", int(fit["posterior"]["year"].max())))
    quota_years = [latest + 1, latest + 2, latest + 3]
    level_2025 = RealisedLevel.repeat(data.removals, latest, quota_years)
    culled = level_2025.removals.sum(("year", "sex", "age")) / len(quota_years)
    males = level_2025.removals.sel(sex="male", age="adult").sum("year") / len(quota_years)
    print(f"fit: {args.fit}; seed {args.seed}; {args.om_draws} draws; latest census {latest}")
    print(
        f"(c) realised-level culls each year {quota_years[0]}-{quota_years[-1]}: "
        + ", ".join(
            f"{p} {float(culled.sel(population=p)):,.0f} (adult males "
            f"{float(males.sel(population=p)):,.0f})"
            for p in culled["population"].values
        )
    )
    scenarios = {
        "a: trade in both arms, no planned culls (main)": (True, None),
        "b: trade closed in the no-export arm": (False, None),
        "c: b + 2025 realised level 2026-28": (False, level_2025),
    }
    rows = []
    for name, (legacy, plan) in scenarios.items():
        t0 = time.perf_counter()
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            if legacy:
                with trade_in_both_arms():
                    rec = recommend_quota(
                        fit,
                        data.removals,
                        DEFAULT_ABUNDANCE_LIMITS,
                        seed=args.seed,
                        om_draws=args.om_draws,
                        robust=not args.no_robust,
                    )
            else:
                rec = recommend_quota(
                    fit,
                    data.removals,
                    DEFAULT_ABUNDANCE_LIMITS,
                    offtake=plan,
                    seed=args.seed,
                    om_draws=args.om_draws,
                    robust=not args.no_robust,
                )
        result = rec.result
        world = rec.across["level"].sel(trial="base") if rec.across is not None else result.level
        ab = result.at_quota.sel(criterion="abundance")
        for pop in result.level["population"].values:
            rows.append(
                (
                    name,
                    str(pop),
                    float(world.sel(population=pop)),
                    float(result.level.sel(population=pop)),
                    float(ab["baseline_risk"].sel(population=pop)),
                    float(ab["added_risk"].sel(population=pop)),
                    str(result.binding.sel(population=pop).values) or "-",
                )
            )
        print(f"  {name}: {time.perf_counter() - t0:.1f} s")
    print()
    head = ("scenario", "population", "fitted", "robust", "P(N<lim) no-export", "added", "binding")
    print(
        f"{head[0]:<48} {head[1]:<11} {head[2]:>8} {head[3]:>8} {head[4]:>19} {head[5]:>8}  "
        f"{head[6]}"
    )
    for r in rows:
        print(
            f"{r[0]:<48} {r[1]:<11} {r[2]:>8,.0f} {r[3]:>8,.0f} {r[4]:>19.4f} {r[5]:>8.4f}  {r[6]}"
        )


if __name__ == "__main__":
    main()
