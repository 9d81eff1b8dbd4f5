"""Data sections of the report: census, removals, die-offs, composition.

Built from a validated :class:`saigapop.SaigaData` only; every number in their prose is
registered in the :class:`~saigapop.report.payload.ValueBook` or is a cell of their tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

from saigapop import constants as C
from saigapop.plotting import figure_to_png, plot_census, plot_removals
from saigapop.report.contracts import Figure, Section, Table, ValueBook
from saigapop.report.prose import join_words, plural, pretty_kind

__all__ = [
    "SaigaDataLike",
    "census_section",
    "composition_section",
    "data_intro_section",
    "die_off_section",
    "removals_section",
]

NATIONAL = "national"
_CULL_KINDS = ("cull", "harvest", "capture")


class SaigaDataLike(Protocol):
    """What the report needs from :class:`saigapop.SaigaData`."""

    census: pd.DataFrame
    removals: pd.DataFrame
    composition: pd.DataFrame
    populations: tuple[str, ...]
    files: tuple[str, ...]
    warnings: tuple

    @property
    def data_hash(self) -> str: ...  # noqa: D102


def _pop_label(pop: str) -> str:
    return NATIONAL if pop == C.TOTAL else pop


def _order(frame: pd.DataFrame, populations: Sequence[str], kinds: Sequence[str]) -> pd.DataFrame:
    pop_rank = {p: i for i, p in enumerate([*populations, C.TOTAL])}
    kind_rank = {k: i for i, k in enumerate(kinds)}
    keys = pd.DataFrame(
        {
            "year": frame["year"],
            "pop": frame["population"].map(lambda p: pop_rank.get(p, len(pop_rank))),
            "kind": frame["kind"].map(lambda k: kind_rank.get(k, len(kind_rank))),
            "row": frame["row"] if "row" in frame.columns else 0,
        }
    )
    return frame.loc[keys.sort_values(["year", "pop", "kind", "row"]).index]


def _col(frame: pd.DataFrame, name: str, default: object = "") -> pd.Series:
    if name in frame.columns:
        return frame[name]
    return pd.Series([default] * len(frame), index=frame.index)


def _flags(series: pd.Series) -> pd.Series:
    return series.fillna("").astype(str).str.replace(C.FLAG_SEPARATOR, ", ", regex=False)


def _trace(frame: pd.DataFrame) -> dict[str, pd.Series]:
    return {
        "Notes": _col(frame, "notes").astype(str),
        "File": _col(frame, "file").astype(str),
        "Row": _col(frame, "row", 0).astype("int64"),
    }


# --- intro ---------------------------------------------------------------------------------


def data_intro_section(data: SaigaDataLike, vb: ValueBook) -> Section:
    """Build the 'Data' heading: what was read, and the validator's warnings."""
    n_c = vb.add("data.census_rows", len(data.census), "rows in the census table")
    n_r = vb.add("data.removals_rows", len(data.removals), "rows in the removals table")
    n_k = vb.add("data.composition_rows", len(data.composition), "rows in the composition table")
    n_w = vb.add("data.validation_warnings", len(data.warnings), "validator warnings")
    files = join_words([Path(str(f)).name for f in data.files]) or "in-memory tables"
    paragraphs = [
        f"Three tables were read ({files}) and validated together before anything else: "
        f"the spring census ({plural(n_c, 'row')}), removals ({plural(n_r, 'row')}: culls, "
        f"captures, seizures and die-offs) and herd composition ({plural(n_k, 'row')}). "
        "Every row keeps its source and its line in the file (columns File and Row of the "
        "bundle), and no row was dropped, clipped or interpolated.",
        f"Validation found no errors and {plural(n_w, 'warning')}."
        + (" They are listed below; none stops the analysis." if data.warnings else ""),
    ]
    tables: tuple[Table, ...] = ()
    if data.warnings:
        frame = pd.DataFrame(
            {
                "File": [str(w.file) for w in data.warnings],
                "Row": [w.row if w.row is not None else pd.NA for w in data.warnings],
                "Column": [w.column or "" for w in data.warnings],
                "Value": [w.value or "" for w in data.warnings],
                "Warning": [w.rule for w in data.warnings],
            }
        ).astype({"Row": "Int64"})
        tables = (
            Table(
                "data_warnings",
                "Validation warnings",
                frame,
                caption="Problems that do not stop validation, by file and line.",
            ),
        )
    return Section("data", "Data", tuple(paragraphs), tables=tables)


# --- census --------------------------------------------------------------------------------


def census_table(census: pd.DataFrame, populations: Sequence[str]) -> Table:
    """Every census row with kind, flags and source (units in the column titles)."""
    rows = _order(census, populations, C.CENSUS_KINDS)
    frame = pd.DataFrame(
        {
            "Population": rows["population"].map(_pop_label).astype(str),
            "Year": rows["year"].astype("int64"),
            "Kind": rows["kind"].astype(str),
            "Count (animals)": rows["value"].astype("float64"),
            "Survey period": _col(rows, "survey_period").astype(str),
            "Method": _col(rows, "method").astype(str),
            "Flags": _flags(_col(rows, "flag")),
            "Source": _col(rows, "source").astype(str),
            **_trace(rows),
        }
    )
    return Table(
        "census",
        "Spring aerial census, every row",
        frame,
        caption=(
            "One row per published figure. Kind says how a figure may be used: only counts, "
            "national and partial national totals and bounds enter a model likelihood; "
            "estimates are not counts; a sum of that year's counts adds no information. "
            "Counts are animals of about 11 months and older (calves are not yet born)."
        ),
        display_columns=(
            "Population",
            "Year",
            "Kind",
            "Count (animals)",
            "Survey period",
            "Method",
            "Flags",
            "Source",
        ),
        link_columns=("Source",),
    )


def census_section(data: SaigaDataLike, vb: ValueBook, populations: Sequence[str]) -> Section:
    """Build the census section: every row, a figure by population, the latest counts."""
    census = data.census
    kinds = census["kind"].value_counts()
    n_rows = vb.add("census.rows", len(census), "census rows")
    kind_words = [
        plural(
            vb.add(f"census.rows_{k}", int(kinds[k]), f"census rows of kind {k}"),
            pretty_kind(k),
            _plural_kind(k),
        )
        for k in C.CENSUS_KINDS
        if k in kinds.index
    ]
    paragraphs = [f"The census table has {plural(n_rows, 'row')}: {join_words(kind_words)}."]

    counts = census[census["kind"] == "count"].sort_values("year")
    latest: list[str] = []
    growth: list[str] = []
    for pop in populations:
        sub = counts[counts["population"] == pop]
        if sub.empty:
            latest.append(f"{pop} has no count")
            continue
        last = sub.iloc[-1]
        y = vb.add(
            f"census.{pop}.latest_count_year", int(last["year"]), f"{pop}: latest count year"
        )
        v = vb.add(
            f"census.{pop}.latest_count_animals",
            float(last["value"]),
            f"{pop}: latest spring count, animals (census table)",
        )
        n = vb.add(f"census.{pop}.counts", len(sub), f"{pop}: number of counts")
        latest.append(f"{pop} {v} animals in {y} ({plural(n, 'count')} in all)")
        ratio = _max_annual_growth(sub)
        if ratio is not None:
            r, y0 = ratio
            rf = vb.add(
                f"census.{pop}.max_annual_growth_ratio",
                round(r, 2),
                f"{pop}: largest ratio of a count to the previous year's count",
            )
            y0f = vb.add(
                f"census.{pop}.max_annual_growth_from_year", y0, f"{pop}: first year of that pair"
            )
            y1f = vb.add(
                f"census.{pop}.max_annual_growth_to_year",
                y0 + 1,
                f"{pop}: second year of that pair",
            )
            growth.append(f"{pop} ×{rf} ({y0f} to {y1f})")
    paragraphs.append("Latest counts: " + "; ".join(latest) + ".")

    national = census[census["kind"].isin(("total", "partial_total", "redundant_total"))]
    national = national[national["population"] == C.TOTAL].sort_values("year")
    if not national.empty:
        last = national.iloc[-1]
        y = vb.add("census.national.latest_year", int(last["year"]), "latest national figure year")
        v = vb.add(
            "census.national.latest_animals",
            float(last["value"]),
            "latest national figure, animals",
        )
        paragraphs.append(
            f"The latest national figure is {v} animals in {y} ({pretty_kind(last['kind'])})."
        )
    if growth:
        paragraphs.append(
            "Counts are published without error margins. The largest rise between counts in "
            "consecutive years was " + join_words(growth) + ". A model must check such growth "
            "against the ceiling set by fecundity and survival: changes in detection and "
            "movement, not only births, can produce rises of this size."
        )
    flags = _col(census, "flag").fillna("").astype(str)
    marked = {
        "method_change": "a change of survey method",
        "coverage_change": "a change of survey coverage",
        "equals_planning_estimate": "a figure equal to a ministry planning estimate",
    }
    notes = []
    for flag, words in marked.items():
        hit = census[flags.str.split(C.FLAG_SEPARATOR).map(lambda ws, f=flag: f in ws)]
        if len(hit):
            n = vb.add(f"census.rows_flagged_{flag}", len(hit), f"census rows flagged {flag}")
            years = join_words([str(y) for y in sorted(set(hit["year"].astype(int)))])
            notes.append(f"{words} ({plural(n, 'row')}: {years})")
    if notes:
        paragraphs.append(
            "Flagged rows: " + join_words(notes) + ". They are ringed in the figure and named "
            "in the Flags column; a model must not read them as growth."
        )
    fig = plot_census(census=census, populations=list(populations))
    figure = Figure(
        "census_by_population",
        "Spring census by population",
        figure_to_png(fig),
        caption=(
            "Every census row, one panel per population and one for national figures "
            "(log scale). Filled circles are counts; squares national totals; open diamonds "
            "estimates, which are not counts; triangles bounds; crosses surveys not flown; "
            "rings mark rows with a method or coverage change or equal to a planning estimate."
        ),
        alt="Census counts by population and year on a log scale, kinds marked.",
    )
    return Section(
        "data_census",
        "Spring census",
        tuple(paragraphs),
        tables=(census_table(census, populations),),
        figures=(figure,),
        level=2,
    )


def _plural_kind(kind: str) -> str:
    word = pretty_kind(kind)
    special = {
        "redundant_total": "sums of that year's counts",
        "estimate": "estimates (not counts)",
        "missing": "surveys not flown",
    }
    return special.get(kind, word + "s")


def _max_annual_growth(counts: pd.DataFrame) -> tuple[float, int] | None:
    by_year = counts.groupby("year")["value"].first()
    best: tuple[float, int] | None = None
    for year, value in by_year.items():
        prev = by_year.get(year - 1)
        if prev is None or not np.isfinite(prev) or prev <= 0 or not np.isfinite(value):
            continue
        r = float(value / prev)
        if best is None or r > best[0]:
            best = (r, int(year) - 1)
    return best


# --- removals ------------------------------------------------------------------------------


def _removal_frame(rows: pd.DataFrame, populations: Sequence[str], unit_label: str) -> pd.DataFrame:
    rows = _order(rows, populations, C.REMOVAL_KINDS)
    return pd.DataFrame(
        {
            "Population": rows["population"].map(_pop_label).astype(str),
            "Year": rows["year"].astype("int64"),
            "Kind": rows["kind"].astype(str),
            "Status": _col(rows, "status").astype(str),
            "Timing": _col(rows, "timing").astype(str),
            "Period": _col(rows, "period").astype(str),
            "Sex": _col(rows, "sex").astype(str),
            "Age": _col(rows, "age").astype(str),
            f"Number ({unit_label})": rows["value"].astype("float64"),
            f"Lower ({unit_label})": _col(rows, "lower", np.nan).astype("float64"),
            f"Upper ({unit_label})": _col(rows, "upper", np.nan).astype("float64"),
            "Source": _col(rows, "source").astype(str),
            **_trace(rows),
        }
    )


def removals_section(data: SaigaDataLike, vb: ValueBook, populations: Sequence[str]) -> Section:
    """Build the removals other than die-offs, every status; other units in their own tables."""
    removals = data.removals
    rem = removals[removals["kind"] != "mass_mortality"]
    if rem.empty:
        return Section(
            "data_removals",
            "Removals",
            ("The data hold no removal record (cull, harvest, capture or seizure).",),
            level=2,
        )
    animals = rem[rem["unit"] == "animals"]
    n_final = vb.add(
        "removals.final_rows",
        int((animals["status"] == "final").sum()),
        "final removal rows counted in animals (die-offs excluded)",
    )
    n_other = vb.add(
        "removals.non_final_rows",
        int((animals["status"] != "final").sum()),
        "interim, planned and limit rows counted in animals",
    )
    paragraphs = [
        f"The removals table (die-offs apart) has {plural(n_final, 'final row')} and "
        f"{plural(n_other, 'row')} with status interim, planned or limit, counted in animals. "
        "Only final figures are removals; interim figures are cumulative reports on the way to "
        "a final figure and are never added to it, and planned and limit figures were not "
        "realised. A national row includes the population rows of the same year: the two are "
        "never added either."
    ]
    culls = animals[animals["kind"].isin(_CULL_KINDS) & (animals["status"] == "final")]
    if not culls.empty:
        year = int(culls["year"].max())
        yf = vb.add("removals.latest_cull_year", year, "latest model year with a final cull")
        for kind in _CULL_KINDS:
            parts = []
            for pop in [C.TOTAL, *populations]:
                sub = culls[
                    (culls["year"] == year) & (culls["population"] == pop) & (culls["kind"] == kind)
                ]
                if not sub.empty:
                    parts.append(_final_removal_words(sub.iloc[0], animals, vb))
            if parts:
                paragraphs.append(f"Final {kind} figures for {yf}: " + "; ".join(parts) + ".")
    tables = [
        Table(
            "removals",
            "Removals counted in animals (culls, captures, seizures), every status",
            _removal_frame(animals, populations, "animals"),
            caption=(
                "Model year is the census year the removal follows. Lower and Upper bound a "
                "figure whose split is unknown. Status final = realised; interim = cumulative "
                "report, never added; planned and limit = not realised."
            ),
            display_columns=(
                "Population",
                "Year",
                "Kind",
                "Status",
                "Period",
                "Sex",
                "Age",
                "Number (animals)",
                "Lower (animals)",
                "Upper (animals)",
                "Source",
            ),
            link_columns=("Source",),
        )
    ]
    for unit in sorted(set(rem["unit"]) - {"animals"}):
        sub = rem[rem["unit"] == unit]
        n = vb.add(f"removals.rows_in_{unit}", len(sub), f"removal rows counted in {unit}")
        paragraphs.append(
            f"{plural(n, 'row')} count {unit} rather than animals (obtained from a cull or "
            "seized); they are listed separately and never added to the removals of animals."
        )
        frame = _removal_frame(sub, populations, unit)
        tables.append(
            Table(
                f"removals_{unit}",
                f"Removal records counted in {unit}",
                frame,
                caption=f"Counts of {unit}, e.g. horns obtained from a cull or seized.",
                display_columns=(
                    "Population",
                    "Year",
                    "Kind",
                    "Status",
                    "Period",
                    "Sex",
                    f"Number ({unit})",
                    "Source",
                ),
                link_columns=("Source",),
            )
        )
    figure = Figure(
        "removals_by_year",
        "Final removals and die-offs by year",
        figure_to_png(plot_removals(removals=removals)),
        caption=(
            "Final figures only, in animals, one marker per row (log scale). Kind by marker, "
            "population by colour; an open triangle is an upper bound where the figure is "
            "unpublished. Two markers in one year for one population can be alternative "
            "figures for one event (see the die-off table)."
        ),
        alt="Final removals and die-offs by year, population and kind.",
    )
    return Section(
        "data_removals",
        "Removals",
        tuple(paragraphs),
        tables=tuple(tables),
        figures=(figure,),
        level=2,
    )


def _final_removal_words(row: pd.Series, animals: pd.DataFrame, vb: ValueBook) -> str:
    pop, kind, year = row["population"], row["kind"], int(row["year"])
    key = f"removals.{year}.{kind}.{pop}"
    label = "national" if pop == C.TOTAL else pop
    if not np.isfinite(row["value"]):
        lo = vb.add(
            f"{key}.lower_animals",
            float(row.get("lower", np.nan)),
            f"{label}: lower bound of final {kind}, {year}, animals",
        )
        hi = vb.add(
            f"{key}.upper_animals",
            float(row.get("upper", np.nan)),
            f"{label}: upper bound of final {kind}, {year}, animals",
        )
        return f"{label} not published (between {lo} and {hi} animals)"
    v = vb.add(
        f"{key}.final_animals", float(row["value"]), f"{label}: final {kind}, {year}, animals"
    )
    text = f"{label} {v} animals"
    planned = animals[
        (animals["year"] == year)
        & (animals["population"] == pop)
        & (animals["kind"] == kind)
        & (animals["status"] == "planned")
    ]
    if len(planned) == 1 and planned.iloc[0]["value"] > 0:
        plan = float(planned.iloc[0]["value"])
        p = vb.add(f"{key}.planned_animals", plan, f"{label}: planned {kind}, {year}, animals")
        pct = vb.add(
            f"{key}.realised_pct_of_plan",
            round(100 * row["value"] / plan, 1),
            f"{label}: final {kind} as a percentage of the planned one",
        )
        text += f" ({pct} % of the {p} planned)"
    return text


# --- die-offs ------------------------------------------------------------------------------


def die_off_section(data: SaigaDataLike, vb: ValueBook, populations: Sequence[str]) -> Section:
    """Mass die-offs (kind ``mass_mortality``), with alternative figures for one event."""
    rows = data.removals[data.removals["kind"] == "mass_mortality"]
    if rows.empty:
        return Section(
            "data_die_offs",
            "Mass die-offs",
            ("The removals table records no mass die-off.",),
            level=2,
        )
    events = rows.groupby(["population", "year"], sort=True)
    n_ev = vb.add("dieoffs.events", events.ngroups, "die-off events (population and year)")
    n_rows = vb.add("dieoffs.rows", len(rows), "die-off rows")
    best = rows.loc[rows["value"].idxmax()]
    big = vb.add("dieoffs.largest_animals", float(best["value"]), "largest recorded die-off toll")
    paragraphs = [
        f"The data record {plural(n_ev, 'die-off event', 'die-off events')} in "
        f"{plural(n_rows, 'row')}. The largest recorded toll is {big} animals "
        f"({best['population']}, {int(best['year'])}). Die-offs strike calving aggregations, so "
        "females and calves die first; the model treats each known die-off as explicit "
        "mortality in its year so that process noise does not absorb it."
    ]
    multi = []
    for (pop, year), sub in events:
        if len(sub) > 1 and sub["value"].notna().sum() > 1:
            lo = vb.add(
                f"dieoffs.{pop}.{year}.lowest_figure_animals",
                float(sub["value"].min()),
                f"{pop} {year}: lowest published toll",
            )
            hi = vb.add(
                f"dieoffs.{pop}.{year}.highest_figure_animals",
                float(sub["value"].max()),
                f"{pop} {year}: highest published toll",
            )
            multi.append(f"{pop} {year} ({lo} and {hi} animals)")
    if multi:
        paragraphs.append(
            "Alternative published figures for one event are noisy observations of one hidden "
            "mortality and are never added: " + join_words(multi) + "."
        )
    frame = _removal_frame(rows, populations, "animals")
    frame = frame.rename(columns={"Number (animals)": "Deaths (animals)"})
    table = Table(
        "die_offs",
        "Mass die-offs",
        frame,
        caption="Deaths in animals; Timing 'calving' = the May calving season.",
        display_columns=(
            "Population",
            "Year",
            "Timing",
            "Period",
            "Deaths (animals)",
            "Lower (animals)",
            "Source",
        ),
        link_columns=("Source",),
    )
    return Section("data_die_offs", "Mass die-offs", tuple(paragraphs), tables=(table,), level=2)


# --- composition ---------------------------------------------------------------------------


def composition_section(data: SaigaDataLike, vb: ValueBook, populations: Sequence[str]) -> Section:
    """Herd or cull composition rows (males, females, calves)."""
    comp = data.composition
    n = vb.add("composition.rows", len(comp), "composition rows")
    if comp.empty:
        return Section(
            "data_composition",
            "Herd composition",
            (
                "The data hold no composition observation (sex ratio or calves per female), so "
                "the adult sex ratio, which a male-only quota binds on, rests on priors.",
            ),
            level=2,
        )
    kinds = join_words([pretty_kind(k) for k in pd.unique(comp["kind"])])
    paragraphs = [
        f"The composition table has {plural(n, 'row')} ({kinds}). Aerial counts do not see the "
        "sex ratio; these rows are the only direct information on it. Cull composition "
        "records what a cull selected, not the make-up of the herd, so it informs the model "
        "only through a selectivity."
    ]
    rows = _order(comp, populations, ("herd_composition", "cull_composition"))
    frame = pd.DataFrame(
        {
            "Population": rows["population"].map(_pop_label).astype(str),
            "Year": rows["year"].astype("int64"),
            "Kind": rows["kind"].astype(str),
            "Timing": _col(rows, "timing").astype(str),
            "Status": _col(rows, "status").astype(str),
            "Males (animals)": rows["males"].astype("float64"),
            "Females (animals)": rows["females"].astype("float64"),
            "Calves (animals)": rows["calves"].astype("float64"),
            "Age definition": _col(rows, "age_definition").astype(str),
            "Source": _col(rows, "source").astype(str),
            **_trace(rows),
        }
    )
    table = Table(
        "composition",
        "Herd and cull composition",
        frame,
        caption="Animals by sex and age class in each observation; the age definition says "
        "which ages the male and female columns cover.",
        display_columns=(
            "Population",
            "Year",
            "Kind",
            "Status",
            "Males (animals)",
            "Females (animals)",
            "Calves (animals)",
            "Age definition",
            "Source",
        ),
        link_columns=("Source",),
    )
    return Section(
        "data_composition", "Herd composition", tuple(paragraphs), tables=(table,), level=2
    )
