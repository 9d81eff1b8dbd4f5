"""Rules across rows and across tables, checked on typed frames.

* census: national totals against that year's per-population counts;
* removals against census: a removal may not exceed the abundance at the start of its model
  year (DESIGN §3). A die-off (or any removal) with nothing to compare against is a warning.

Rows that already failed a row-level rule are left out (their ``row`` is in ``bad_rows``), so one
typo does not cascade into a second, confusing problem.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from saigapop import constants as C
from saigapop.io.problems import Problem

__all__ = ["check_census_totals", "check_removals_against_census"]

_TOLERANCE = 0.5  # counts are whole animals; allow float round-off only


def _rows(frame: pd.DataFrame) -> str:
    return ", ".join(str(r) for r in frame["row"])


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,}"


def _plain(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else repr(float(value))


def check_census_totals(census: pd.DataFrame, bad_rows: Collection[int]) -> list[Problem]:
    """Check national rows (total, partial_total, redundant_total) against each year's counts."""
    problems: list[Problem] = []
    if census.empty:
        return problems
    good = census[~census["row"].isin(bad_rows)]
    bad_years = set(census.loc[census["row"].isin(bad_rows), "year"].dropna())
    counts = good[(good["kind"] == "count") & (good["population"] != C.TOTAL)]
    national = good[good["kind"].isin(C.NATIONAL_CENSUS_KINDS)]
    for year, rows in national.groupby("year", sort=True):
        if year in bad_years:
            continue
        year_counts = counts[counts["year"] == year]
        total = float(year_counts["value"].sum())
        if len(rows) > 1:
            for r in rows.iloc[1:].itertuples():
                problems.append(
                    Problem(
                        r.file,
                        r.row,
                        "kind",
                        r.kind,
                        f"at most one national figure (total, partial_total or redundant_total) "
                        f"per year; {int(year)} also has one on row {rows.iloc[0]['row']}",
                    )
                )
        for r in rows.itertuples():
            shown = _plain(r.value)
            where = f"{_fmt(total)} from row(s) {_rows(year_counts)}" if len(year_counts) else "0"
            if r.kind == "redundant_total" and abs(r.value - total) > _TOLERANCE:
                rule = f"kind 'redundant_total' must equal the sum of {int(year)} counts ({where})"
                problems.append(Problem(r.file, r.row, "value", shown, rule))
            elif r.kind == "partial_total" and r.value < total - _TOLERANCE:
                rule = f"kind 'partial_total' must be ≥ the sum of {int(year)} counts ({where})"
                problems.append(Problem(r.file, r.row, "value", shown, rule))
            elif r.kind == "total" and len(year_counts):
                rule = (
                    f"kind 'total' means no per-population counts in {int(year)}, but there are "
                    f"counts on row(s) {_rows(year_counts)}; use 'partial_total' or "
                    "'redundant_total'"
                )
                problems.append(Problem(r.file, r.row, "kind", r.kind, rule))
    return problems


def check_removals_against_census(
    removals: pd.DataFrame, census: pd.DataFrame, bad_rows: Collection[int]
) -> list[Problem]:
    """Check final removals (unit animals) against the abundance at the start of the model year.

    A population's removal is compared with its ``count`` that year; a national removal
    (population ``total``) with the largest of that year's total, partial_total,
    redundant_total and the sum of counts. A population's removal in a year without its count is
    still an error if it exceeds that national abundance, and otherwise a warning (a die-off in
    a year with no survey is expected, e.g. Betpakdala 1988). Removals in horns, and
    interim, planned or limit figures, are not checked.
    ``bad_rows`` holds ``(file, row)`` pairs to leave out.
    """
    problems: list[Problem] = []
    if removals.empty:
        return problems
    bad = set(bad_rows)
    ok_census = census[
        [(f, r) not in bad for f, r in zip(census["file"], census["row"], strict=True)]
    ]
    counts = ok_census[ok_census["kind"] == "count"]
    by_population = counts.set_index(["population", "year"])["value"]
    by_year = counts.groupby("year")["value"].sum()
    national = (
        ok_census[ok_census["kind"].isin(C.NATIONAL_CENSUS_KINDS)].groupby("year")["value"].max()
    )
    final = removals[(removals["status"] == "final") & (removals["unit"] == "animals")]
    for r in final.itertuples():
        if (r.file, r.row) in bad:
            continue
        amount = r.value if not np.isnan(r.value) else r.lower
        if np.isnan(amount):
            continue
        column = "value" if not np.isnan(r.value) else "lower"
        candidates = [by_year.get(r.year, np.nan), national.get(r.year, np.nan)]
        candidates = [c for c in candidates if not np.isnan(c)]
        national_reference = max(candidates) if candidates else np.nan
        national_what = f"the national abundance counted in {int(r.year)}"
        if r.population == C.TOTAL:
            reference, what = national_reference, national_what
        else:
            reference = by_population.get((r.population, r.year), np.nan)
            what = f"the {r.population} count in {int(r.year)}"
            if np.isnan(reference) and amount > national_reference + _TOLERANCE:
                # No count for the population, but it cannot exceed the whole country.
                reference, what = national_reference, national_what
        if np.isnan(reference):
            problems.append(
                Problem(
                    r.file,
                    r.row,
                    column,
                    _plain(amount),
                    f"cannot check this final {r.kind} against abundance: no count for "
                    f"{r.population} in {int(r.year)}",
                    severity="warning",
                )
            )
        elif amount > reference + _TOLERANCE:
            problems.append(
                Problem(
                    r.file,
                    r.row,
                    column,
                    _plain(amount),
                    f"a final {r.kind} cannot exceed the abundance at the start of its model "
                    f"year: {what} is {_fmt(reference)}",
                )
            )
    return problems
