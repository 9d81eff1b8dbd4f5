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
from saigapop.report.i18n import NP_, _
from saigapop.report.prose import join_words, plural, pretty_kind
from saigapop.report.vocabulary import population_name

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
    n_c = vb.add("data.census_rows", len(data.census), _("rows in the census table"))
    n_r = vb.add("data.removals_rows", len(data.removals), _("rows in the removals table"))
    n_k = vb.add("data.composition_rows", len(data.composition), _("rows in the composition table"))
    n_w = vb.add("data.validation_warnings", len(data.warnings), _("validator warnings"))
    files = join_words([Path(str(f)).name for f in data.files]) or _("in-memory tables")
    paragraphs = [
        _(
            "Three tables were read ({files}) and validated together before anything else: "
            "the spring census ({census}), removals ({removals}: culls, captures, seizures "
            "and die-offs) and herd composition ({composition}). Every row keeps its source "
            "and its line in the file (columns File and Row of the bundle), and no row was "
            "dropped, clipped or interpolated."
        ).format(
            files=files,
            census=plural(n_c, "{n} row", "{n} rows"),
            removals=plural(n_r, "{n} row", "{n} rows"),
            composition=plural(n_k, "{n} row", "{n} rows"),
        ),
        _("Validation found no errors and {warnings}.").format(
            warnings=plural(n_w, "{n} warning", "{n} warnings")
        )
        + (" " + _("They are listed below; none stops the analysis.") if data.warnings else ""),
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
                _("Validation warnings"),
                frame,
                caption=_("Problems that do not stop validation, by file and line."),
            ),
        )
    return Section("data", _("Data"), tuple(paragraphs), tables=tables)


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
        _("Spring aerial census, every row"),
        frame,
        caption=_(
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
    n_rows = vb.add("census.rows", len(census), _("census rows"))
    kind_words = [
        _kind_count(
            vb.add(
                f"census.rows_{k}",
                int(kinds[k]),
                _("census rows of kind {kind}").format(kind=pretty_kind(k)),
            ),
            k,
        )
        for k in C.CENSUS_KINDS
        if k in kinds.index
    ]
    paragraphs = [
        _("The census table has {rows}: {kinds}.").format(
            rows=plural(n_rows, "{n} row", "{n} rows"), kinds=join_words(kind_words)
        )
    ]

    counts = census[census["kind"] == "count"].sort_values("year")
    latest: list[str] = []
    growth: list[str] = []
    for pop in populations:
        sub = counts[counts["population"] == pop]
        name = population_name(pop)
        if sub.empty:
            latest.append(_("{pop} has no count").format(pop=name))
            continue
        last = sub.iloc[-1]
        y = vb.add(
            f"census.{pop}.latest_count_year",
            int(last["year"]),
            _("{pop}: latest count year").format(pop=name),
        )
        v = vb.add(
            f"census.{pop}.latest_count_animals",
            float(last["value"]),
            _("{pop}: latest spring count, animals (census table)").format(pop=name),
        )
        n = vb.add(f"census.{pop}.counts", len(sub), _("{pop}: number of counts").format(pop=name))
        latest.append(
            _("{pop} {value} animals in {year} ({counts} in all)").format(
                pop=name, value=v, year=y, counts=plural(n, "{n} count", "{n} counts")
            )
        )
        ratio = _max_annual_growth(sub)
        if ratio is not None:
            r, y0 = ratio
            rf = vb.add(
                f"census.{pop}.max_annual_growth_ratio",
                round(r, 2),
                _("{pop}: largest ratio of a count to the previous year's count").format(pop=name),
            )
            y0f = vb.add(
                f"census.{pop}.max_annual_growth_from_year",
                y0,
                _("{pop}: first year of that pair").format(pop=name),
            )
            y1f = vb.add(
                f"census.{pop}.max_annual_growth_to_year",
                y0 + 1,
                _("{pop}: second year of that pair").format(pop=name),
            )
            growth.append(
                _("{pop} ×{ratio} ({first} to {second})").format(
                    pop=name, ratio=rf, first=y0f, second=y1f
                )
            )
    paragraphs.append(_("Latest counts: {counts}.").format(counts="; ".join(latest)))

    national = census[census["kind"].isin(("total", "partial_total", "redundant_total"))]
    national = national[national["population"] == C.TOTAL].sort_values("year")
    if not national.empty:
        last = national.iloc[-1]
        y = vb.add(
            "census.national.latest_year", int(last["year"]), _("latest national figure year")
        )
        v = vb.add(
            "census.national.latest_animals",
            float(last["value"]),
            _("latest national figure, animals"),
        )
        paragraphs.append(
            _("The latest national figure is {value} animals in {year} ({kind}).").format(
                value=v, year=y, kind=pretty_kind(last["kind"])
            )
        )
    if growth:
        paragraphs.append(
            _(
                "Counts are published without error margins. The largest rise between counts "
                "in consecutive years was {growth}. A model must check such growth against the "
                "ceiling set by fecundity and survival: changes in detection and movement, not "
                "only births, can produce rises of this size."
            ).format(growth=join_words(growth))
        )
    flags = _col(census, "flag").fillna("").astype(str)
    marked = {
        "method_change": _("a change of survey method"),
        "coverage_change": _("a change of survey coverage"),
        "equals_planning_estimate": _("a figure equal to a ministry planning estimate"),
    }
    notes = []
    for flag, words in marked.items():
        hit = census[flags.str.split(C.FLAG_SEPARATOR).map(lambda ws, f=flag: f in ws)]
        if len(hit):
            n = vb.add(
                f"census.rows_flagged_{flag}",
                len(hit),
                _("census rows flagged: {flag}").format(flag=words),
            )
            years = join_words([str(y) for y in sorted(set(hit["year"].astype(int)))])
            notes.append(f"{words} ({plural(n, '{n} row', '{n} rows')}: {years})")
    if notes:
        paragraphs.append(
            _(
                "Flagged rows: {notes}. They are ringed in the figure and named in the Flags "
                "column; a model must not read them as growth."
            ).format(notes=join_words(notes))
        )
    fig = plot_census(census=census, populations=list(populations))
    figure = Figure(
        "census_by_population",
        _("Spring census by population"),
        figure_to_png(fig),
        caption=_(
            "Every census row, one panel per population and one for national figures "
            "(log scale). Filled circles are counts; squares national totals; open diamonds "
            "estimates, which are not counts; triangles bounds; crosses surveys not flown; "
            "rings mark rows with a method or coverage change or equal to a planning estimate."
        ),
        alt=_("Census counts by population and year on a log scale, kinds marked."),
    )
    return Section(
        "data_census",
        _("Spring census"),
        tuple(paragraphs),
        tables=(census_table(census, populations),),
        figures=(figure,),
        level=2,
    )


#: "{n} <kind>" with its plural, for each census kind.
_KIND_COUNTS = {
    "count": NP_("{n} count", "{n} counts"),
    "total": NP_("{n} national total", "{n} national totals"),
    "partial_total": NP_("{n} partial national total", "{n} partial national totals"),
    "redundant_total": NP_("{n} sum of that year's counts", "{n} sums of that year's counts"),
    "upper_bound": NP_("{n} upper bound", "{n} upper bounds"),
    "lower_bound": NP_("{n} lower bound", "{n} lower bounds"),
    "estimate": NP_("{n} estimate (not a count)", "{n} estimates (not counts)"),
    "missing": NP_("{n} survey not flown", "{n} surveys not flown"),
}


def _kind_count(n: str, kind: str) -> str:
    if kind in _KIND_COUNTS:
        return plural(n, *_KIND_COUNTS[kind])
    return f"{n} {pretty_kind(kind)}"


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
            _("Removals"),
            (_("The data hold no removal record (cull, harvest, capture or seizure)."),),
            level=2,
        )
    animals = rem[rem["unit"] == "animals"]
    n_final = vb.add(
        "removals.final_rows",
        int((animals["status"] == "final").sum()),
        _("final removal rows counted in animals (die-offs excluded)"),
    )
    n_other = vb.add(
        "removals.non_final_rows",
        int((animals["status"] != "final").sum()),
        _("interim, planned and limit rows counted in animals"),
    )
    paragraphs = [
        _(
            "The removals table (die-offs apart) has {final} and {other} with status interim, "
            "planned or limit, counted in animals. Only final figures are removals; interim "
            "figures are cumulative reports on the way to a final figure and are never added "
            "to it, and planned and limit figures were not realised. A national row includes "
            "the population rows of the same year: the two are never added either."
        ).format(
            final=plural(n_final, "{n} final row", "{n} final rows"),
            other=plural(n_other, "{n} row", "{n} rows"),
        )
    ]
    culls = animals[animals["kind"].isin(_CULL_KINDS) & (animals["status"] == "final")]
    if not culls.empty:
        year = int(culls["year"].max())
        yf = vb.add("removals.latest_cull_year", year, _("latest model year with a final cull"))
        for kind in _CULL_KINDS:
            parts = []
            for pop in [C.TOTAL, *populations]:
                sub = culls[
                    (culls["year"] == year) & (culls["population"] == pop) & (culls["kind"] == kind)
                ]
                if not sub.empty:
                    parts.append(_final_removal_words(sub.iloc[0], animals, vb))
            if parts:
                paragraphs.append(
                    _("Final figures ({kind}) for {year}: {parts}.").format(
                        kind=pretty_kind(kind), year=yf, parts="; ".join(parts)
                    )
                )
    tables = [
        Table(
            "removals",
            _("Removals counted in animals (culls, captures, seizures), every status"),
            _removal_frame(animals, populations, "animals"),
            caption=_(
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
        unit_word = _(unit)
        n = vb.add(
            f"removals.rows_in_{unit}",
            len(sub),
            _("removal rows counted in {unit}").format(unit=unit_word),
        )
        paragraphs.append(
            _(
                "{rows}: counted in {unit} rather than animals (obtained from a cull or seized); "
                "they are listed separately and never added to the removals of animals."
            ).format(rows=plural(n, "{n} row", "{n} rows"), unit=unit_word)
        )
        frame = _removal_frame(sub, populations, unit)
        tables.append(
            Table(
                f"removals_{unit}",
                _("Removal records counted in {unit}").format(unit=unit_word),
                frame,
                caption=_("Counts of {unit}, e.g. horns obtained from a cull or seized.").format(
                    unit=unit_word
                ),
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
        _("Final removals and die-offs by year"),
        figure_to_png(plot_removals(removals=removals)),
        caption=_(
            "Final figures only, in animals, one marker per row (log scale). Kind by marker, "
            "population by colour; an open triangle is an upper bound where the figure is "
            "unpublished. Two markers in one year for one population can be alternative "
            "figures for one event (see the die-off table)."
        ),
        alt=_("Final removals and die-offs by year, population and kind."),
    )
    return Section(
        "data_removals",
        _("Removals"),
        tuple(paragraphs),
        tables=tuple(tables),
        figures=(figure,),
        level=2,
    )


def _final_removal_words(row: pd.Series, animals: pd.DataFrame, vb: ValueBook) -> str:
    pop, kind, year = row["population"], row["kind"], int(row["year"])
    key = f"removals.{year}.{kind}.{pop}"
    label = population_name(NATIONAL if pop == C.TOTAL else pop)
    what = {"pop": label, "kind": pretty_kind(kind), "year": year}
    if not np.isfinite(row["value"]):
        lo = vb.add(
            f"{key}.lower_animals",
            float(row.get("lower", np.nan)),
            _("{pop}: lower bound of the final figure ({kind}), {year}, animals").format(**what),
        )
        hi = vb.add(
            f"{key}.upper_animals",
            float(row.get("upper", np.nan)),
            _("{pop}: upper bound of the final figure ({kind}), {year}, animals").format(**what),
        )
        return _("{pop} not published (between {lower} and {upper} animals)").format(
            pop=label, lower=lo, upper=hi
        )
    v = vb.add(
        f"{key}.final_animals",
        float(row["value"]),
        _("{pop}: final figure ({kind}), {year}, animals").format(**what),
    )
    text = _("{pop} {value} animals").format(pop=label, value=v)
    planned = animals[
        (animals["year"] == year)
        & (animals["population"] == pop)
        & (animals["kind"] == kind)
        & (animals["status"] == "planned")
    ]
    if len(planned) == 1 and planned.iloc[0]["value"] > 0:
        plan = float(planned.iloc[0]["value"])
        p = vb.add(
            f"{key}.planned_animals",
            plan,
            _("{pop}: planned figure ({kind}), {year}, animals").format(**what),
        )
        pct = vb.add(
            f"{key}.realised_pct_of_plan",
            round(100 * row["value"] / plan, 1),
            _("{pop}: final figure ({kind}) as a percentage of the planned one").format(**what),
        )
        text += " " + _("({pct} % of the {planned} planned)").format(pct=pct, planned=p)
    return text


# --- die-offs ------------------------------------------------------------------------------


def die_off_section(data: SaigaDataLike, vb: ValueBook, populations: Sequence[str]) -> Section:
    """Mass die-offs (kind ``mass_mortality``), with alternative figures for one event."""
    rows = data.removals[data.removals["kind"] == "mass_mortality"]
    if rows.empty:
        return Section(
            "data_die_offs",
            _("Mass die-offs"),
            (_("The removals table records no mass die-off."),),
            level=2,
        )
    events = rows.groupby(["population", "year"], sort=True)
    n_ev = vb.add("dieoffs.events", events.ngroups, _("die-off events (population and year)"))
    n_rows = vb.add("dieoffs.rows", len(rows), _("die-off rows"))
    best = rows.loc[rows["value"].idxmax()]
    big = vb.add(
        "dieoffs.largest_animals", float(best["value"]), _("largest recorded die-off toll")
    )
    paragraphs = [
        _(
            "The data record {events} in {rows}. The largest recorded toll is {toll} animals "
            "({pop}, {year}). Die-offs strike calving aggregations, so females and calves die "
            "first; the model treats each known die-off as explicit mortality in its year so "
            "that process noise does not absorb it."
        ).format(
            events=plural(n_ev, "{n} die-off event", "{n} die-off events"),
            rows=plural(n_rows, "{n} row", "{n} rows"),
            toll=big,
            pop=population_name(best["population"]),
            year=int(best["year"]),
        )
    ]
    multi = []
    for (pop, year), sub in events:
        if len(sub) > 1 and sub["value"].notna().sum() > 1:
            what = {"pop": population_name(pop), "year": year}
            lo = vb.add(
                f"dieoffs.{pop}.{year}.lowest_figure_animals",
                float(sub["value"].min()),
                _("{pop} {year}: lowest published toll").format(**what),
            )
            hi = vb.add(
                f"dieoffs.{pop}.{year}.highest_figure_animals",
                float(sub["value"].max()),
                _("{pop} {year}: highest published toll").format(**what),
            )
            multi.append(
                _("{pop} {year} ({lower} and {upper} animals)").format(lower=lo, upper=hi, **what)
            )
    if multi:
        paragraphs.append(
            _(
                "Alternative published figures for one event are noisy observations of one "
                "hidden mortality and are never added: {events}."
            ).format(events=join_words(multi))
        )
    frame = _removal_frame(rows, populations, "animals")
    frame = frame.rename(columns={"Number (animals)": "Deaths (animals)"})
    table = Table(
        "die_offs",
        _("Mass die-offs"),
        frame,
        caption=_("Deaths in animals; Timing 'calving' = the May calving season."),
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
    return Section("data_die_offs", _("Mass die-offs"), tuple(paragraphs), tables=(table,), level=2)


# --- composition ---------------------------------------------------------------------------


def composition_section(data: SaigaDataLike, vb: ValueBook, populations: Sequence[str]) -> Section:
    """Herd or cull composition rows (males, females, calves)."""
    comp = data.composition
    n = vb.add("composition.rows", len(comp), _("composition rows"))
    if comp.empty:
        return Section(
            "data_composition",
            _("Herd composition"),
            (
                _(
                    "The data hold no composition observation (sex ratio or calves per "
                    "female), so the adult sex ratio, which a male-only quota binds on, rests "
                    "on priors."
                ),
            ),
            level=2,
        )
    kinds = join_words([pretty_kind(k) for k in pd.unique(comp["kind"])])
    paragraphs = [
        _(
            "The composition table has {rows} ({kinds}). Aerial counts do not see the sex "
            "ratio; these rows are the only direct information on it. Cull composition records "
            "what a cull selected, not the make-up of the herd, so it informs the model only "
            "through a selectivity."
        ).format(rows=plural(n, "{n} row", "{n} rows"), kinds=kinds)
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
        _("Herd and cull composition"),
        frame,
        caption=_(
            "Animals by sex and age class in each observation; the age definition says "
            "which ages the male and female columns cover."
        ),
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
        "data_composition", _("Herd composition"), tuple(paragraphs), tables=(table,), level=2
    )
