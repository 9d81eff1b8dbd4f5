"""What each precaution costs in the quota on a fit, and where the horns come from (issue 15).

Prints, per population in adult males a year 2026–28, the recommended quota, the quota with
each precaution removed alone (each reference trial, all trials, P*, the sex-ratio floor,
wounding, trade-linked poaching) and cumulatively in the stated order
(:func:`saigapop.management.precaution_costs`), then the CITES-cap allocation by source
(stock, planned culls, new harvest) and each export year's harvest years.

Usage::

    PYTHONPATH=. nice -n 10 python scripts/precaution_costs.py --fit /work/fits/mating.zarr
"""

from __future__ import annotations

import argparse
import time
import warnings

import saigapop as sp
from saigapop.assessment import Assessment, AssessmentConfig
from saigapop.management.recommend import DEFAULT_OM_DRAWS
from saigapop.model.io import load_fit


def main() -> None:
    """Solve the precautions' costs and the allocation, and print them."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fit", default="/work/fits/mating.zarr")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--om-draws", type=int, default=DEFAULT_OM_DRAWS)
    parser.add_argument("--scenario", default=None, help="offtake scenario (default: the data's)")
    args = parser.parse_args()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = sp.load_kazakhstan()
        config = AssessmentConfig(
            seed=args.seed, om_draws=args.om_draws, offtake_scenario=args.scenario
        )
        a = Assessment.from_fit(data, load_fit(args.fit), config, progress=False)
        t0 = time.perf_counter()
        ds = a.precautions()
        t_prec = time.perf_counter() - t0
        alloc = a.quota().allocation
    print(f"fit: {args.fit}; seed {args.seed}; {args.om_draws} draws; {t_prec:.1f} s")
    print("recommended:", ds["full"].to_pandas().round().to_dict())
    print("\nwithout one precaution (cost in brackets):")
    for name in ds["precaution"].values:
        w, c = ds["without"].sel(precaution=name), ds["cost"].sel(precaution=name)
        pairs = zip(w.values, c.values, strict=True)
        cells = "  ".join(f"{x:>8,.0f} ({y:+,.0f})" for x, y in pairs)
        print(f"  {name:<36} {cells}")
    print("\ncumulatively:")
    for name in ds["step"].values:
        cum = ds["cumulative"].sel(step=name)
        print(f"  - {name:<34} " + "  ".join(f"{float(x):>8,.0f}" for x in cum))
    print("\nexport by year and source (horns; kg at the heavy end):")
    print(alloc["horns"].sum("population").to_pandas().to_string())
    print(alloc["kg"].sum("population").to_pandas().round(1).to_string())
    print("harvest years:", alloc["harvest_year"].to_pandas().to_dict("index"))


if __name__ == "__main__":
    main()
