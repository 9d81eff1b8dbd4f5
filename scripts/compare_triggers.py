r"""Triggers on what a manager observes against the same triggers on true quantities (issue 15).

For a fit of the bundled data: the recommended quota of ``Assessment.quota()`` (default
settings, seed 2025) and its triggers for every quota year and population — the census
count, the composition survey's adult sex ratio and the May die-off toll, beside the true
abundance (× median catchability), the true adult sex ratio and the die-off share the
triggers were stated on before — then the sex-ratio trigger with a smaller survey.

Run (from the repository root)::

    nice python scripts/compare_triggers.py /work/fits/mating.zarr --adults 300
"""

from __future__ import annotations

import argparse

import pandas as pd

import saigapop as sp
from saigapop.management import TriggerSurveys, compute_triggers
from saigapop.model.io import load_fit

OBSERVED = ("count", "survey_sex_ratio", "die_off_toll")
TRUE = ("census", "expected_count", "sex_ratio", "die_off")


def main() -> None:
    """Print the observed and the true-value triggers of the bundled-data quota."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("fit", help="a saved fit of the bundled data (zarr)")
    parser.add_argument("--adults", type=int, default=300, help="a smaller composition survey")
    args = parser.parse_args()
    a = sp.Assessment.from_fit(sp.load_kazakhstan(), load_fit(args.fit))
    inputs = a.quota()
    trig = inputs.triggers
    print("quota (adult males a year):", inputs.result.level.to_series().round().to_dict())
    print("surveys:", {k: trig.attrs[k] for k in ("survey_adults", "survey_design_effect")})
    pd.set_option("display.width", 200)
    for name in (*OBSERVED, *TRUE):
        frame = trig[name].to_pandas()
        basis = trig.get(f"{name}_basis")
        said = "" if basis is None else f" (basis: {sorted(set(basis.values.ravel()))})"
        print(f"\n{name}{said}")
        print(frame.round(3 if "ratio" in name or name == "die_off" else 0).to_string())
    om = a.recommend().om  # the operating model of the quota (fresh assessment: kept)
    small = compute_triggers(om, inputs.result, surveys=TriggerSurveys(adults=args.adults))
    print(f"\nsurvey_sex_ratio with {args.adults} adults classified")
    print(small["survey_sex_ratio"].to_pandas().round(3).to_string())


if __name__ == "__main__":
    main()
