"""Data sections of the report: removals, die-offs and sex-and-age composition.

Built from a validated :class:`saigapop.SaigaData` only; every number in their prose is
registered in the :class:`~saigapop.report.contracts.ValueBook` or is a cell of their tables.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from saigapop import constants as C
from saigapop.plotting import figure_to_png, plot_removals
from saigapop.report._data_words import (
    _CULL_KINDS,
    NATIONAL,
    SaigaDataLike,
    _col,
    _order,
    _pop_label,
    _trace,
)
from saigapop.report.contracts import Figure, Section, Table, ValueBook
from saigapop.report.i18n import _
from saigapop.report.prose import join_words, plural, pretty_kind
from saigapop.report.vocabulary import population_name

__all__ = ["composition_section", "die_off_section", "removals_section"]


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
