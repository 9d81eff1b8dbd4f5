"""Rules across rows and across tables, checked on typed frames.

* census: national totals against that year's per-population counts; censored bounds in
  order and around that population-year's survey figure; no survey figure in a year marked
  ``missing``;
* removals (:func:`check_removal_rows`): at most one final cull or harvest figure per
  (population, year, kind, timing, sex, age, unit) unless the rows share an ``event`` id;
  a sex/age part within its all-animals total; a national figure at least the sum of the
  populations'; an interim figure at most the final one;
* removals against census: a removal may not exceed the abundance at the start of its model
  year (DESIGN §3). A die-off (or any removal) with nothing to compare against is a warning.
  No row describes a year after the as-of year (:class:`~saigapop.io.plausibility.Plausibility`);
* composition against removals and census (:func:`check_tables`): a cull composition is at
  most the final cull, a population's classified adults at most its count;
* offtake plans (:func:`check_offtake_rows`, :func:`check_offtake_years`): each total (sex or
  age ``all``) split by a stated composition whose parts neither exceed it nor fall short and
  whose shares sum to 1; no year at or before the latest census year of the data.

Rows that already failed a row-level rule are left out (their ``row`` is in ``bad_rows``), so one
typo does not cascade into a second, confusing problem.

Over ~600 lines because it is one job, the rules that need more than one row: each rule is a
short function, but they share the row filters, the number formatting of the messages and the
reading of censored bounds (``lower``/``upper``), and :func:`check_tables` must run them in one
order so that a figure already reported is not reported again by a later rule.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from saigapop import constants as C
from saigapop.io.plausibility import AS_OF_EXEMPT, Plausibility
from saigapop.io.problems import Problem

__all__ = [
    "OfftakeCells",
    "check_census_totals",
    "check_offtake_rows",
    "check_offtake_years",
    "check_removal_rows",
    "check_removals_against_census",
    "check_tables",
    "distinct_removals",
    "offtake_cells",
]

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
    return problems + _census_bounds(good) + _census_missing(good)


_SURVEY_KINDS = tuple(k for k in C.CENSUS_KINDS if k not in ("estimate", "missing"))
_FIGURE_KINDS = tuple(k for k in _SURVEY_KINDS if k not in ("upper_bound", "lower_bound"))


def _census_bounds(census: pd.DataFrame) -> list[Problem]:
    """Censored bounds of one population-year in order, and its survey figure between them."""
    problems: list[Problem] = []
    bounds = census[census["kind"].isin(("lower_bound", "upper_bound"))]
    for (population, year), rows in bounds.groupby(["population", "year"], sort=True):
        lower = rows[rows["kind"] == "lower_bound"]
        upper = rows[rows["kind"] == "upper_bound"]
        where = f"{population} {int(year)}"
        for lo in lower.itertuples():
            for up in upper.itertuples():
                if lo.value > up.value + _TOLERANCE:
                    problems.append(
                        Problem(
                            up.file,
                            up.row,
                            "value",
                            _plain(up.value),
                            f"the upper bound for {where} is below its lower bound "
                            f"{_fmt(lo.value)} on row {lo.row}; expected lower ≤ upper",
                        )
                    )
        same = census[
            (census["population"] == population)
            & (census["year"] == year)
            & census["kind"].isin(_FIGURE_KINDS)
        ]
        for r in same.itertuples():
            for b, above in [(b, False) for b in lower.itertuples()] + [
                (b, True) for b in upper.itertuples()
            ]:
                if (r.value > b.value + _TOLERANCE) if above else (r.value < b.value - _TOLERANCE):
                    side = "above the upper" if above else "below the lower"
                    problems.append(
                        Problem(
                            r.file,
                            r.row,
                            "value",
                            _plain(r.value),
                            f"the {r.kind} for {where} is {side} bound {_fmt(b.value)} on "
                            f"row {b.row}",
                        )
                    )
    return problems


def _census_missing(census: pd.DataFrame) -> list[Problem]:
    """No survey figure in a population-year (or, nationally, a year) marked ``missing``."""
    problems: list[Problem] = []
    missing = census[census["kind"] == "missing"]
    surveys = census[census["kind"].isin(_SURVEY_KINDS)]
    for m in missing.itertuples():
        national = m.population == C.TOTAL
        hit = surveys[
            (surveys["year"] == m.year) & (national | (surveys["population"] == m.population))
        ]
        scope = "nationally" if national else f"for {m.population}"
        for r in hit.itertuples():
            problems.append(
                Problem(
                    r.file,
                    r.row,
                    "kind",
                    r.kind,
                    f"{int(m.year)} is marked missing (survey not flown) {scope} on row "
                    f"{m.row}, so it cannot have a {r.kind}; remove one of the two rows",
                )
            )
    return problems


def check_removals_against_census(
    removals: pd.DataFrame,
    census: pd.DataFrame,
    bad_rows: Collection[tuple[str, int]],
    *,
    plausibility: Plausibility | None = None,
) -> list[Problem]:
    """Check final removals (unit animals) against the abundance at the start of the model year.

    A population's removal is compared with its ``count`` that year; a national removal
    (population ``total``) with the largest of that year's total, partial_total,
    redundant_total and the sum of counts. A population's removal in a year without its count is
    still an error if it exceeds that national abundance, and otherwise a warning (a die-off in
    a year with no survey is expected, e.g. Betpakdala 1988). Removals in horns, and
    interim, planned or limit figures, are not checked.
    ``bad_rows`` holds ``(file, row)`` pairs to leave out.

    Removal years are also checked against the as-of year of ``plausibility`` (default
    ``Plausibility()``: the latest census year + 1); ``planned`` and ``limit`` rows may be later.
    """
    problems: list[Problem] = []
    if removals.empty:
        return problems
    bad = set(bad_rows)
    settings = (plausibility or Plausibility()).resolved(census)
    problems += check_years("removals", removals, settings, bad)
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


# --- removals: rules across rows --------------------------------------------------------------

#: Removal kinds with at most one final figure per key (die-off tolls may have several: they
#: are alternative observations of one event).
SINGLE_FINAL_KINDS: tuple[str, ...] = ("cull", "harvest")
_FINAL_KEY = ("population", "year", "kind", "timing", "sex", "age", "unit")
_AGES_WITHIN = {"yearling_adult": ("yearling", "adult", "yearling_adult")}


def _least(r: object) -> float:
    """Return the least the row allows: its value, else its lower bound, else 0."""
    value, lower = float(r.value), float(r.lower)  # type: ignore[attr-defined]
    return value if not np.isnan(value) else (lower if not np.isnan(lower) else 0.0)


def _most(r: object) -> float:
    """Return the most the row allows: its value, else its upper bound, else infinity."""
    value, upper = float(r.value), float(r.upper)  # type: ignore[attr-defined]
    return value if not np.isnan(value) else (upper if not np.isnan(upper) else np.inf)


def _least_column(r: object) -> str:
    return "value" if not np.isnan(float(r.value)) else "lower"  # type: ignore[attr-defined]


def _most_column(r: object) -> str:
    return "value" if not np.isnan(float(r.value)) else "upper"  # type: ignore[attr-defined]


def _shown(r: object, column: str) -> str:
    return _plain(float(getattr(r, column)))


def _event(r: object) -> str:
    return str(getattr(r, "event", "") or "").strip()


def distinct_removals(removals: pd.DataFrame) -> pd.DataFrame:
    """Return ``removals`` with alternative reports of one removal kept once (the first row).

    Final cull and harvest rows with the same (population, year, kind, timing, sex, age,
    unit) and the same non-empty ``event`` id are alternative reports of one removal
    (:func:`check_removal_rows`); summing them would count it twice. Every other row is kept.

    Examples
    --------
    >>> import pandas as pd
    >>> from saigapop.io.consistency import distinct_removals
    >>> two = pd.DataFrame({"population": ["Ural"] * 2, "year": [2025.0] * 2,
    ...     "kind": ["cull"] * 2, "status": ["final"] * 2, "timing": ["removal"] * 2,
    ...     "sex": ["all"] * 2, "age": ["all"] * 2, "unit": ["animals"] * 2,
    ...     "value": [108500.0, 108000.0], "event": ["ural-2025"] * 2})
    >>> distinct_removals(two)["value"].tolist()
    [108500.0]
    """
    if "event" not in removals.columns or removals.empty:
        return removals
    event = removals["event"].astype(object).where(removals["event"].notna(), "")
    event = event.astype(str).str.strip()
    alternative = (
        (event != "") & (removals["status"] == "final") & removals["kind"].isin(SINGLE_FINAL_KINDS)
    )
    repeated = removals.assign(_event=event)[alternative].duplicated([*_FINAL_KEY, "_event"])
    return removals.drop(index=repeated[repeated].index)


def check_removal_rows(removals: pd.DataFrame, bad_rows: Collection[int]) -> list[Problem]:
    """Check the rows of one removals table against each other.

    Rules (rows in ``bad_rows`` — line numbers with an error of their own — are left out):

    * culls and harvests have at most one ``final`` figure per (population, year, kind,
      timing, sex, age, unit) across sources, unless the rows share an ``event`` id: they are
      then alternative reports of one removal (observations, never summed). Die-off tolls may
      have several final rows: they are alternative observations of one event;
    * a sex or age part is at most its all-animals total (``sex`` and ``age`` both ``all``)
      of the same population, year, kind, status, timing and unit, when both rows come from
      the same source or share an ``event`` id (rows from different sources are different
      removals unless an event id says otherwise);
    * a final national figure (population ``total``) is at least the sum of the populations'
      final figures with the same year, kind, timing, sex, age and unit;
    * an interim figure is at most the final figure it is a snapshot of (same population,
      year, kind, timing and unit; the final's sex and age include the interim's).

    Figures published as bounds are compared by what they allow: a part's least (value, else
    lower, else 0) against a total's most (value, else upper, else unbounded).

    Parameters
    ----------
    removals
        Removals with ``value``, ``lower``, ``upper`` and ``year`` as floats, text columns as
        strings (``event`` optional), and ``row`` and ``file``.
    bad_rows
        Line numbers to leave out.

    Returns
    -------
    list of Problem

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from saigapop.io.consistency import check_removal_rows
    >>> two = pd.DataFrame({"population": ["Ural"] * 2, "year": [2025.0] * 2,
    ...     "kind": ["cull"] * 2, "status": ["final"] * 2, "timing": ["removal"] * 2,
    ...     "sex": ["all"] * 2, "age": ["all"] * 2, "unit": ["animals"] * 2,
    ...     "value": [108500.0] * 2, "lower": [np.nan] * 2, "upper": [np.nan] * 2,
    ...     "source": ["A", "B"], "row": [2, 3], "file": ["removals.csv"] * 2})
    >>> [p.row for p in check_removal_rows(two, set())]
    [3]
    >>> len(check_removal_rows(two.assign(event=["ural-2025", "ural-2025"]), set()))
    0
    """
    if removals.empty:
        return []
    frame = removals[~removals["row"].isin(set(bad_rows))]
    if "event" not in frame.columns:
        frame = frame.assign(event="")
    frame = frame.assign(event=frame["event"].fillna("").astype(str).str.strip())
    return (
        _single_finals(frame)
        + _parts_within_totals(frame)
        + _national_at_least_parts(frame)
        + _interim_within_final(frame)
    )


def _single_finals(frame: pd.DataFrame) -> list[Problem]:
    problems: list[Problem] = []
    finals = frame[(frame["status"] == "final") & frame["kind"].isin(SINGLE_FINAL_KINDS)]
    for key, rows in finals.groupby(list(_FINAL_KEY), sort=False):
        if len(rows) < 2:
            continue
        first = rows.iloc[0]
        shown = ", ".join(str(int(k)) if isinstance(k, float) else str(k) for k in key)
        for r in rows.iloc[1:].itertuples():
            if first["event"] and _event(r) == first["event"]:
                continue
            problems.append(
                Problem(
                    r.file,
                    r.row,
                    "event" if first["event"] or _event(r) else "source",
                    _event(r) or r.source,
                    f"a second final {r.kind} figure for ({shown}): row {first['row']} "
                    f"({first['source']}) has one, and at most one final figure per "
                    "(population, year, kind, timing, sex, age, unit) is allowed; if both "
                    "report the same removal give them the same 'event' id (alternative "
                    "reports, never summed), otherwise combine them into one row",
                )
            )
    return problems


def _parts_within_totals(frame: pd.DataFrame) -> list[Problem]:
    problems: list[Problem] = []
    is_total = (frame["sex"] == "all") & (frame["age"] == "all")
    totals, parts = frame[is_total], frame[~is_total]
    key = ["population", "year", "kind", "status", "timing", "unit"]
    by_key = {k: g for k, g in totals.groupby(key, sort=False)}
    for part in parts.itertuples():
        group = by_key.get(tuple(getattr(part, c) for c in key))
        if group is None:
            continue
        same = (group["source"] == part.source) | (
            (group["event"] == _event(part)) & (group["event"] != "")
        )
        for total in group[same].itertuples():
            if _least(part) > _most(total) + _TOLERANCE:
                column = _least_column(part)
                problems.append(
                    Problem(
                        part.file,
                        part.row,
                        column,
                        _shown(part, column),
                        f"a part (sex {part.sex}, age {part.age}) cannot exceed its "
                        f"all-animals total: row {total.row} gives {_fmt(_most(total))} for "
                        f"the same {part.status} {part.kind}",
                    )
                )
    return problems


def _national_at_least_parts(frame: pd.DataFrame) -> list[Problem]:
    problems: list[Problem] = []
    final = frame[frame["status"] == "final"]
    national = final[final["population"] == C.TOTAL]
    populations = final[final["population"] != C.TOTAL]
    key = ["year", "kind", "timing", "sex", "age", "unit"]
    for total in national.itertuples():
        match = populations
        for c in key:
            match = match[match[c] == getattr(total, c)]
        if match.empty:
            continue
        # Several rows for one population are alternative reports: count the least of them.
        least = match.assign(_least=[_least(r) for r in match.itertuples()])
        parts = least.groupby("population")["_least"].min()
        if _most(total) < parts.sum() - _TOLERANCE:
            column = _most_column(total)
            problems.append(
                Problem(
                    total.file,
                    total.row,
                    column,
                    _shown(total, column),
                    f"a national final {total.kind} must be at least the sum of its "
                    f"populations' ({_fmt(parts.sum())} from row(s) {_rows(match)})",
                )
            )
    return problems


def _covers(final: object, interim: object) -> bool:
    sex_ok = final.sex in ("all", interim.sex)  # type: ignore[attr-defined]
    age = final.age  # type: ignore[attr-defined]
    age_ok = age in ("all", interim.age) or interim.age in _AGES_WITHIN.get(age, ())  # type: ignore[attr-defined]
    return sex_ok and age_ok


def _interim_within_final(frame: pd.DataFrame) -> list[Problem]:
    problems: list[Problem] = []
    finals = frame[frame["status"] == "final"]
    key = ["population", "year", "kind", "timing", "unit"]
    by_key = {k: g for k, g in finals.groupby(key, sort=False)}
    for interim in frame[frame["status"] == "interim"].itertuples():
        group = by_key.get(tuple(getattr(interim, c) for c in key))
        if group is None:
            continue
        covering = [f for f in group.itertuples() if _covers(f, interim)]
        if not covering:
            continue
        final = max(covering, key=_most)
        if _least(interim) > _most(final) + _TOLERANCE:
            column = _least_column(interim)
            problems.append(
                Problem(
                    interim.file,
                    interim.row,
                    column,
                    _shown(interim, column),
                    f"an interim figure cannot exceed the final one: row {final.row} gives "
                    f"{_fmt(_most(final))} for the {interim.population} {int(interim.year)} "
                    f"{interim.kind}",
                )
            )
    return problems


# --- the as-of year and the composition table -------------------------------------------------


def check_years(
    table: str,
    frame: pd.DataFrame,
    plausibility: Plausibility,
    bad_rows: Collection[tuple[str, int]] = (),
) -> list[Problem]:
    """Rows of ``table`` describing a year after ``plausibility.as_of`` (a resolved setting).

    Census ``estimate`` rows and removals with status ``planned`` or ``limit`` may be later.
    Nothing is checked when ``as_of`` is ``None``.
    """
    if plausibility.as_of is None or frame.empty:
        return []
    as_of = plausibility.as_of
    late = frame["year"] > as_of
    if table in AS_OF_EXEMPT:
        column, words = AS_OF_EXEMPT[table]
        late &= ~frame[column].isin(words)
    bad = set(bad_rows)
    exempt = {"census": "estimate rows", "removals": "planned and limit rows"}.get(table)
    rule = f"a year after the as-of year {as_of} (Plausibility.as_of"
    rule += ", default the latest census year + 1)"
    rule += f"; only {exempt} may be later" if exempt else "; no row may be later"
    return [
        Problem(r.file, r.row, "year", str(int(r.year)), rule)
        for r in frame[late].itertuples()
        if (r.file, r.row) not in bad
    ]


def check_tables(
    census: pd.DataFrame,
    removals: pd.DataFrame | None = None,
    composition: pd.DataFrame | None = None,
    *,
    plausibility: Plausibility | None = None,
    bad_rows: Collection[tuple[str, int]] = (),
) -> list[Problem]:
    """Every rule across tables, on typed frames (as read, with ``row`` and ``file``).

    This is the one entry point for the cross-table rules: census years against an explicit
    as-of year, :func:`check_removals_against_census` (abundance and as-of year), and the
    composition rules — years not after the as-of year, a cull composition
    (males + females + calves) at most the final cull of that population, year and timing
    (sex and age ``all``, in animals; the largest when there are alternative reports), and a
    population composition's males + females at most that population's count that year.

    Parameters
    ----------
    census
        The census (required: it sets the default as-of year).
    removals, composition
        The other tables, or ``None``.
    plausibility
        Settings; default ``Plausibility()``. Its ``as_of`` is resolved from ``census``.
    bad_rows
        ``(file, row)`` pairs with an error of their own, left out.

    Returns
    -------
    list of Problem

    Examples
    --------
    >>> import saigapop as sp
    >>> from saigapop.io.consistency import check_tables
    >>> from saigapop.io.plausibility import Plausibility
    >>> d = sp.load_kazakhstan()
    >>> any(p.is_error for p in check_tables(d.census, d.removals, d.composition))
    False
    >>> late = check_tables(d.census, d.removals, plausibility=Plausibility(as_of=2024))
    >>> sorted((p.file, p.row) for p in late if p.column == "year")[:2]
    [('census.csv', 51), ('census.csv', 52)]
    """
    settings = (plausibility or Plausibility()).resolved(census)
    bad = set(bad_rows)
    problems = check_years("census", census, settings, bad)
    if removals is not None:
        problems += check_removals_against_census(removals, census, bad, plausibility=settings)
    if composition is not None and not composition.empty:
        problems += check_years("composition", composition, settings, bad)
        problems += _composition_within(composition, removals, census, bad)
    return problems


def _composition_within(
    composition: pd.DataFrame,
    removals: pd.DataFrame | None,
    census: pd.DataFrame,
    bad: set[tuple[str, int]],
) -> list[Problem]:
    problems: list[Problem] = []
    parts = ["males", "females", "calves"]
    keep = [(f, r) not in bad for f, r in zip(census["file"], census["row"], strict=True)]
    ok_census = census[keep]
    counts = ok_census[ok_census["kind"] == "count"].groupby(["population", "year"])["value"].max()
    culls = pd.DataFrame()
    if removals is not None and not removals.empty:
        ok = np.array(
            [(f, r) not in bad for f, r in zip(removals["file"], removals["row"], strict=True)]
        )
        culls = removals[
            ok
            & (removals["status"] == "final")
            & removals["kind"].isin(SINGLE_FINAL_KINDS)
            & (removals["unit"] == "animals")
            & (removals["sex"] == "all")
            & (removals["age"] == "all")
        ]
    for r in composition.itertuples():
        if (r.file, r.row) in bad:
            continue
        values = {c: float(getattr(r, c)) for c in parts if not np.isnan(float(getattr(r, c)))}
        where = f"{r.population} {int(r.year)}"
        if r.kind == "cull_composition":
            if culls.empty:
                continue
            match = culls[
                (culls["population"] == r.population)
                & (culls["year"] == r.year)
                & (culls["timing"] == r.timing)
            ]
            if match.empty:
                continue
            most = max(_most(m) for m in match.itertuples())
            total = sum(values.values())
            if total > most + _TOLERANCE:
                first = next(iter(values))
                problems.append(
                    Problem(
                        r.file,
                        r.row,
                        first,
                        _plain(values[first]),
                        "a cull composition cannot exceed the cull: "
                        + " + ".join(f"{c} {_fmt(v)}" for c, v in values.items())
                        + f" = {_fmt(total)}, but the final {where} cull is {_fmt(most)} "
                        f"(row(s) {_rows(match)})",
                    )
                )
        else:
            count = counts.get((r.population, r.year), np.nan)
            adults = values.get("males", 0.0) + values.get("females", 0.0)
            if not np.isnan(count) and adults > count + _TOLERANCE:
                column = "males" if "males" in values else "females"
                problems.append(
                    Problem(
                        r.file,
                        r.row,
                        column,
                        _plain(values[column]),
                        f"males + females classified ({_fmt(adults)}) cannot exceed the "
                        f"{where} count ({_fmt(count)})",
                    )
                )
    return problems


# --- offtake plans ----------------------------------------------------------------------------

#: How far the shares of one total may be from summing to 1 (shares are typed to 3–4 decimals).
SHARE_TOLERANCE = 0.005
_OFFTAKE_GROUP = ("scenario", "population", "year")


def _cells_of(sex: str, age: str) -> frozenset[tuple[str, str]]:
    sexes = C.SEXES if sex == "all" else (sex,)
    ages = C.AGE_CLASSES if age == "all" else (age,)
    return frozenset((s, a) for s in sexes for a in ages)


def _class(sex: str, age: str) -> str:
    return f"sex {sex}, age {age}"


class OfftakeCells:
    """The numbers of one offtake group (scenario × population × year) by sex × age and basis.

    ``numbers[basis]`` is a ``(sex, age)`` array in :data:`~saigapop.constants.SEXES` ×
    :data:`~saigapop.constants.AGE_CLASSES` order; ``problems`` are the group's errors.
    """

    __slots__ = ("numbers", "problems")

    def __init__(self) -> None:
        self.numbers: dict[str, np.ndarray] = {}
        self.problems: list[Problem] = []

    def add(self, basis: str, cell: tuple[str, str], number: float) -> None:
        """Add ``number`` animals to ``cell`` of ``basis``."""
        array = self.numbers.setdefault(basis, np.zeros((len(C.SEXES), len(C.AGE_CLASSES))))
        array[C.SEXES.index(cell[0]), C.AGE_CLASSES.index(cell[1])] += number


def offtake_cells(group: pd.DataFrame) -> OfftakeCells:
    """Resolve one offtake group (same scenario, population and year) into numbers by class.

    A row whose ``sex`` or ``age`` is ``all`` is a **total** (it needs a ``value``); a row of one
    sex and one age class is a **part**: of the total whose classes include it, if there is one
    (given in animals in ``value`` or as a fraction of that total in ``share``), or a number on
    its own (``value`` only). A total is split over its classes by its parts: parts in animals
    are taken as given and the rest of the total is split over the parts given as shares, in
    proportion to their shares. Errors (each naming a row, column and value): totals that
    overlap; a share with no total; a part whose basis or timing differs from its total's;
    parts in animals that exceed the total; shares that do not sum to 1 (within
    :data:`SHARE_TOLERANCE`); parts that do not account for the whole total; and a total
    above zero with no composition at all.

    Parameters
    ----------
    group
        Typed rows with ``sex``, ``age``, ``basis``, ``timing``, ``value``, ``share``, ``row``,
        ``file`` (NaN where empty).

    Returns
    -------
    OfftakeCells

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from saigapop.io.consistency import offtake_cells
    >>> rows = pd.DataFrame({"sex": ["all", "male", "female"], "age": ["all", "adult", "adult"],
    ...     "basis": ["realised_level"] * 3, "timing": ["removal"] * 3,
    ...     "value": [1000.0, np.nan, np.nan], "share": [np.nan, 0.6, 0.4],
    ...     "row": [2, 3, 4], "file": ["offtake.csv"] * 3})
    >>> offtake_cells(rows).numbers["realised_level"].tolist()
    [[0.0, 0.0, 400.0], [0.0, 0.0, 600.0]]
    >>> rows.loc[2, "share"] = 0.5
    >>> print(offtake_cells(rows).problems[0])  # doctest: +ELLIPSIS
    offtake.csv, row 2, column 'value': '1000' — the shares of this total (rows 3, 4) sum to 1.1...
    """
    out = OfftakeCells()
    rows = list(group.itertuples(index=False))
    totals = [r for r in rows if r.sex == "all" or r.age == "all"]
    parts = [r for r in rows if not (r.sex == "all" or r.age == "all")]
    cells = {r.row: _cells_of(r.sex, r.age) for r in rows}
    for i, later in enumerate(totals):
        for earlier in totals[:i]:
            shared = cells[later.row] & cells[earlier.row]
            if shared:
                cell = min(shared, key=lambda c: (C.SEXES.index(c[0]), C.AGE_CLASSES.index(c[1])))
                out.problems.append(
                    Problem(
                        later.file,
                        later.row,
                        "sex",
                        later.sex,
                        f"this total ({_class(later.sex, later.age)}) overlaps the total on row "
                        f"{earlier.row} ({_class(earlier.sex, earlier.age)}; both include "
                        f"{cell[0]} {cell[1]}); give each class in one total only",
                    )
                )
    if out.problems:
        return out
    inside: dict[int, list[object]] = {t.row: [] for t in totals}
    for part in parts:
        owner = next((t for t in totals if cells[part.row] <= cells[t.row]), None)
        if owner is None:
            if np.isnan(part.value):
                out.problems.append(
                    Problem(
                        part.file,
                        part.row,
                        "share",
                        _plain(part.share),
                        "a share is a fraction of a total, but this scenario, population and "
                        "year has no total (a row with sex or age 'all') that includes "
                        f"{part.sex} {part.age}; give the number of animals in value instead",
                    )
                )
            else:
                out.add(part.basis, (part.sex, part.age), float(part.value))
            continue
        for column in ("basis", "timing"):
            if getattr(part, column) != getattr(owner, column):
                out.problems.append(
                    Problem(
                        part.file,
                        part.row,
                        column,
                        getattr(part, column),
                        f"a part of the total on row {owner.row} must have the same {column} "
                        f"('{getattr(owner, column)}')",
                    )
                )
        inside[owner.row].append(part)
    if out.problems:
        return out
    for total in totals:
        _split_total(total, inside[total.row], out)
    return out


def _split_total(total: object, parts: list, out: OfftakeCells) -> None:
    value = float(total.value)
    given = [p for p in parts if not np.isnan(p.value)]
    shared = [p for p in parts if np.isnan(p.value)]
    in_animals = sum(float(p.value) for p in given)
    shares = sum(float(p.share) for p in shared)
    where = (total.file, total.row, "value", _plain(value))
    listed = ", ".join(str(p.row) for p in (given or shared))
    rows_word = "row" if len(given or shared) == 1 else "rows"
    if in_animals > value + _TOLERANCE:
        out.problems.append(
            Problem(
                *where,
                f"the composition exceeds the total: its parts in animals ({rows_word} "
                f"{listed}) add up to {_fmt(in_animals)}, more than this total of "
                f"{_fmt(value)}",
            )
        )
        return
    if not parts:
        if value > 0:
            out.problems.append(
                Problem(
                    *where,
                    f"this total ({_class(total.sex, total.age)}) has no composition: add rows "
                    "of one sex and age class with their share of it (e.g. sex male, age "
                    "adult, share 0.4) or their number of animals, so it can be split by "
                    "sex and age",
                )
            )
        return
    if shared and not given and abs(shares - 1.0) > SHARE_TOLERANCE:
        out.problems.append(
            Problem(
                *where,
                f"the shares of this total ({rows_word} {listed}) sum to {shares:.4g}; the "
                "shares of a total must sum to 1",
            )
        )
        return
    accounted = in_animals + shares * value
    if abs(accounted - value) > max(_TOLERANCE, SHARE_TOLERANCE * value):
        rows = ", ".join(str(p.row) for p in parts)
        more = accounted > value
        out.problems.append(
            Problem(
                *where,
                f"the composition {'exceeds' if more else 'does not account for'} the total: "
                f"its parts (rows {rows}: {_fmt(in_animals)} animals + shares {shares:.4g} × "
                f"{_fmt(value)}) make {_fmt(round(accounted, 1))}, not {_fmt(value)}",
            )
        )
        return
    for part in given:
        out.add(total.basis, (part.sex, part.age), float(part.value))
    rest = value - in_animals
    left = rest
    for part in shared[:-1]:
        number = rest * float(part.share) / shares
        out.add(total.basis, (part.sex, part.age), number)
        left -= number
    if shared:  # the last part takes what is left, so the total is kept exactly
        out.add(total.basis, (shared[-1].sex, shared[-1].age), left)


def check_offtake_rows(offtake: pd.DataFrame, bad_rows: Collection[int]) -> list[Problem]:
    """Check the composition of every total of one offtake plan (see :func:`offtake_cells`).

    Groups (scenario, population, year) with a row in ``bad_rows`` are left out.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from saigapop.io.consistency import check_offtake_rows
    >>> plan = pd.DataFrame({"scenario": ["s"] * 2, "population": ["Ural"] * 2,
    ...     "year": [2026.0] * 2, "sex": ["all", "male"], "age": ["all", "adult"],
    ...     "basis": ["announced_plan"] * 2, "timing": ["removal"] * 2,
    ...     "value": [100.0, 150.0], "share": [np.nan] * 2, "row": [2, 3],
    ...     "file": ["offtake.csv"] * 2})
    >>> print(check_offtake_rows(plan, set())[0])  # doctest: +ELLIPSIS
    offtake.csv, row 2, column 'value': '100' — the composition exceeds the total: its parts ...
    """
    if offtake.empty:
        return []
    bad = set(bad_rows)
    problems: list[Problem] = []
    for _, group in offtake.groupby(list(_OFFTAKE_GROUP), sort=False, dropna=False):
        if bad & set(group["row"]):
            continue
        problems += offtake_cells(group).problems
    return problems


def check_offtake_years(
    offtake: pd.DataFrame,
    latest: int | None,
    bad_rows: Collection[tuple[str, int]] = (),
    *,
    census_label: str = "the census",
) -> list[Problem]:
    """Plan years at or before ``latest``, the latest census year of the data used with it.

    An offtake plan describes removal seasons still to come: its first year is at least the
    latest census year + 1. A removal made in the latest census year or before belongs in the
    removals table (with status ``final``), not in a plan.

    Examples
    --------
    >>> import pandas as pd
    >>> from saigapop.io.consistency import check_offtake_years
    >>> plan = pd.DataFrame({"year": [2025.0, 2026.0], "row": [2, 3],
    ...                      "file": ["offtake.csv"] * 2})
    >>> print(check_offtake_years(plan, 2025, census_label="census.csv")[0])
    ... # doctest: +ELLIPSIS
    offtake.csv, row 2, column 'year': '2025' — a plan year must be after the latest census ...
    """
    if latest is None or offtake.empty:
        return []
    bad = set(bad_rows)
    return [
        Problem(
            r.file,
            r.row,
            "year",
            str(int(r.year)),
            f"a plan year must be after the latest census year of the data it is used with "
            f"({latest}, from {census_label}): the plan covers removal seasons from "
            f"{latest + 1} on; a removal already made in {int(r.year)} belongs in the "
            "removals table (status final)",
        )
        for r in offtake[offtake["year"] <= latest].itertuples()
        if (r.file, r.row) not in bad
    ]
