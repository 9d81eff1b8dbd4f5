"""Data sections of the report: the introduction to the data and the census.

Built from a validated :class:`saigapop.SaigaData` only; every number in their prose is
registered in the :class:`~saigapop.report.contracts.ValueBook` or is a cell of their tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from saigapop import constants as C
from saigapop.plotting import figure_to_png, plot_census
from saigapop.report._data_words import (
    SaigaDataLike,
    _col,
    _flags,
    _order,
    _pop_label,
    _trace,
)
from saigapop.report.contracts import Figure, Section, Table, ValueBook
from saigapop.report.i18n import NP_, _
from saigapop.report.prose import join_words, plural, pretty_kind
from saigapop.report.vocabulary import population_name

__all__ = ["census_section", "census_table", "data_intro_section"]


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
