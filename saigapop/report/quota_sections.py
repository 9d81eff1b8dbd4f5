"""Section builders for the recommended quota: the summary's quota prose and the reference case.

Registered (via :data:`saigapop.report.model_sections.MODEL_BUILDERS`) in
:data:`saigapop.report.sections.BUILDERS`. Each builder reads the inputs of
:func:`saigapop.report.build_payload` (computed by :mod:`saigapop.management.analysis`),
registers every number it quotes in prose in the :class:`~saigapop.report.contracts.ValueBook`,
and returns a :class:`~saigapop.report.contracts.Section`; it computes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from saigapop.constants import HORN_MASS_G_RANGE
from saigapop.locale.messages import render
from saigapop.management.outcomes import as_quota_inputs
from saigapop.management.trial_grid import trade_effect_trials
from saigapop.report._quota_words import (
    _crit_word,
    _event_words,
    _fmt,
    _pct,
    _pop,
    _pops,
    _quota,
    _trial_frame,
)
from saigapop.report.config import ReportConfig
from saigapop.report.contracts import Section, Table, ValueBook
from saigapop.report.i18n import N_, _, gettext, ngettext
from saigapop.report.prose import join_words

__all__ = ["quota_summary", "reference_case_section"]


# --- summary -------------------------------------------------------------------------------


def quota_summary(
    quota: Any, vb: ValueBook, config: ReportConfig, *, recommended: bool
) -> tuple[list[str], list[Table]]:
    """Prose and tables of the recommended quota for the summary section.

    Parameters
    ----------
    quota
        :class:`~saigapop.management.outcomes.QuotaInputs` (or a bare ``QuotaResult``).
    vb
        The value book.
    config
        Report settings.
    recommended
        Whether the quota is recommended (a fit that passed its checks); otherwise the
        numbers are shown as computed but NOT recommended.

    Returns
    -------
    tuple
        Paragraphs and tables.
    """
    q = as_quota_inputs(quota)
    res = q.result
    pops = _pops(q, config)
    unit = _("adult males a year") if res.unit == "animals" else _(res.unit)
    parts = []
    for p in pops:
        lv = vb.add(
            f"quota.{p}.adult_males",
            float(res.level.sel(population=p)),
            _("{pop}: quota, adult males a year").format(pop=_pop(p)),
        )
        parts.append(f"{_pop(p)} {lv}")
    if recommended:
        text = _(
            "The recommended quota, the largest constant annual export that meets every risk "
            "criterion with the P* buffer, is, in {unit}: {quotas}. Each population's binding "
            "criterion and reason are in the reference-case table."
        )
    else:
        text = _(
            "The computed quota (NOT recommended), the largest constant annual export that "
            "meets every risk criterion with the P* buffer, is, in {unit}: {quotas}. Each "
            "population's binding criterion and reason are in the reference-case table."
        )
    paragraphs = [text.format(unit=unit, quotas=join_words(parts))]
    market = _market_bound(res, pops)
    if market:
        paragraphs.append(
            _(
                "Warning: the quota is 0 in {pops} because in a reference trial of a market "
                "effect of trade ({trials}) any positive export fails a criterion. Those effects "
                "come with trade itself, so they would follow exports of stored and cull horns "
                "too; the allocation below exports such horns (they add no mortality), but this "
                "finding does not judge the market effects of opening trade without a dedicated "
                "harvest."
            ).format(
                pops=join_words([_pop(p) for p in market]),
                trials=join_words(sorted({f"'{t}'" for t in market.values()})),
            )
        )
    tables: list[Table] = []
    alloc = q.allocation
    if alloc is not None:
        cap = float(alloc.attrs.get("cap_kg", 10_000.0))
        g_range = alloc.attrs.get("mass_per_horn_g_range", HORN_MASS_G_RANGE)
        # allocations saved before the kg range charged the cap at the light end: kg is then both
        low = alloc["kg_low"] if "kg_low" in alloc else alloc["kg"]
        rows = []
        for y in alloc["year"].values:
            yy = int(y)
            for p in [str(x) for x in alloc["population"].values if str(x) in pops]:
                s = alloc.sel(year=y, population=p)
                rows.append(
                    {
                        "Year": yy,
                        "Population": _pop(p),
                        "Quota (adult males)": float(s["quota_animals"]),
                        "New harvest (adult males)": float(s["animals"].sel(source="new_harvest")),
                        "New harvest (horns)": float(s["horns"].sel(source="new_harvest")),
                        "New harvest (kg)": float(s["kg"].sel(source="new_harvest")),
                        "From culls (horns)": _source(s, "horns", "cull"),
                        "From culls (kg)": _source(s, "kg", "cull"),
                        "From stock (horns)": float(s["horns"].sel(source="stock")),
                        "From stock (kg)": float(s["kg"].sel(source="stock")),
                        "Export (kg)": float(s["kg"].sum("source")),
                        "Export, light end (kg)": float(
                            low.sel(year=y, population=p).sum("source")
                        ),
                        "Harvest years of the horns": _harvest_years(alloc, yy, p),
                    }
                )
            tot_kg = float(alloc["kg"].sel(year=y).sum())
            stock_kg = float(alloc["stock_kg"].sel(year=y))
            cull_kg = _source(alloc.sel(year=y), "kg", "cull")
            named = {
                key: vb.add(f"export.{yy}.{key}", round(value, 1), _(label).format(year=yy))
                for key, value, label in (
                    ("total_kg", tot_kg, N_("{year}: horn export, kg")),
                    ("stock_kg", stock_kg, N_("{year}: from stock, kg")),
                    ("cull_kg", cull_kg, N_("{year}: from planned culls, kg")),
                    (
                        "new_harvest_kg",
                        tot_kg - stock_kg - cull_kg,
                        N_("{year}: from new harvest, kg"),
                    ),
                    (
                        "unused_cap_kg",
                        float(alloc["unused_cap_kg"].sel(year=y)),
                        N_("{year}: unused cap, kg"),
                    ),
                    (
                        "total_kg_low",
                        float(low.sel(year=y).sum()),
                        N_("{year}: horn export at the light end of horn mass, kg"),
                    ),
                )
            }
            males = {
                key: vb.add(f"export.{yy}.{key}_males", round(value), _(label).format(year=yy))
                for key, value, label in (
                    (
                        "stock",
                        _source(alloc.sel(year=y), "animals", "stock"),
                        N_("{year}: males whose stored horns are exported"),
                    ),
                    (
                        "cull",
                        _source(alloc.sel(year=y), "animals", "cull"),
                        N_("{year}: culled males whose horns are exported"),
                    ),
                    (
                        "new_harvest",
                        _source(alloc.sel(year=y), "animals", "new_harvest"),
                        N_("{year}: adult males taken for export (new harvest)"),
                    ),
                )
            }
            paragraphs.append(
                _(
                    "{year}: {low}–{total} kg of horn, light to heavy end of horn mass; at the "
                    "heavy end {stock} kg from stock ({stock_males} males already removed), "
                    "{cull} kg from planned culls of earlier years ({cull_males} males culled "
                    "in both arms) and {new} kg from new harvest ({new_males} adult males taken "
                    "for export, the only added mortality); against the cap of {cap} kg checked "
                    "at the heavy end; {unused} kg of the cap is unused."
                ).format(
                    year=yy,
                    low=named["total_kg_low"],
                    total=named["total_kg"],
                    stock=named["stock_kg"],
                    stock_males=males["stock"],
                    cull=named["cull_kg"],
                    cull_males=males["cull"],
                    new=named["new_harvest_kg"],
                    new_males=males["new_harvest"],
                    cap=_fmt(cap),
                    unused=named["unused_cap_kg"],
                )
            )
        frame = pd.DataFrame(rows)
        tables.append(
            Table(
                "quota_allocation",
                _("Quota and export by year, population and source"),
                frame,
                caption=(
                    _(
                        "Quota: the population's own sustainable quota. New harvest: adult "
                        "males to be taken (each adds mortality) and their horns and kg; stock: "
                        "horns already in storage from animals already removed (no added "
                        "mortality), exported first; culls: horns of the males the cull plan "
                        "takes in both arms (no added mortality; the posterior median, {storage} "
                        "% of them stored as in 2025), exportable from the year after the cull, "
                        "exported next. The national cap is {cap} kg a year; no population is "
                        "allocated more than its own quota. Kilograms are at the heavy end of "
                        "horn mass ({heavy} g a horn), the end checked against the cap; the "
                        "light end is {light} g. Harvest years: the years of the removals the "
                        "exported horns come from."
                    ).format(
                        cap=_fmt(cap),
                        heavy=_fmt(g_range[1]),
                        light=_fmt(g_range[0]),
                        storage=_fmt(round(100 * float(alloc.attrs.get("cull_storage", 1.0)))),
                    )
                    + (
                        ""
                        if recommended
                        else " " + _("Computed, NOT recommended (see the alerts).")
                    )
                ),
            )
        )
        if q.stock_horns:
            h = vb.add("stock.horns", q.stock_horns, _("horns in storage (pieces)"))
            paragraphs.append(
                _(
                    "Horns in storage: {horns} pieces from the {pop} population, already removed "
                    "animals, so their export adds no mortality."
                ).format(horns=h, pop=_pop(str(q.stock_origin)))
            )
    trig = q.triggers
    if trig is not None:
        y1 = int(trig["year"].values[0])
        observed = "count" in trig
        words = []
        if observed:
            n = vb.add(
                "triggers.survey_adults",
                int(trig.attrs["survey_adults"]),
                _("adults classified by the composition survey behind the sex-ratio trigger"),
            )
        for p in pops:
            t = trig.sel(year=y1, population=p)
            what = {"pop": _pop(p), "year": y1}
            if observed:
                c = vb.add(
                    f"trigger.{p}.{y1}.count_animals",
                    round(float(t["count"]), -2),
                    _("{pop}, {year}: census count below which the take is suspended").format(
                        **what
                    ),
                )
                r = vb.add(
                    f"trigger.{p}.{y1}.survey_sex_ratio",
                    round(float(t["survey_sex_ratio"]), 3),
                    _(
                        "{pop}, {year}: adult males per adult female in a composition survey "
                        "below which the take stops"
                    ).format(**what),
                )
                d = vb.add(
                    f"trigger.{p}.{y1}.die_off_toll",
                    round(float(t["die_off_toll"]), -2),
                    _("{pop}, {year}: May die-off toll (carcasses) that suspends the take").format(
                        **what
                    ),
                )
                words.append(
                    _(
                        "{pop}: a census count below {count} animals, a composition survey "
                        "({adults} adults classified) showing fewer than {ratio} adult males per "
                        "adult female, or a May die-off toll above {toll} carcasses"
                    ).format(pop=_pop(p), count=c, adults=n, ratio=r, toll=d)
                )
                continue
            d = vb.add(
                f"trigger.{p}.{y1}.die_off_percent",
                round(_pct(t["die_off"]), 1),
                _("{pop}, {year}: May die-off (% killed) that suspends the take").format(**what),
            )
            c = vb.add(
                f"trigger.{p}.{y1}.census_animals",
                round(float(t["census"]), -2),
                _("{pop}, {year}: true abundance below which the take is suspended").format(**what),
            )
            r = vb.add(
                f"trigger.{p}.{y1}.sex_ratio",
                round(float(t["sex_ratio"]), 3),
                _("{pop}, {year}: adult males per adult female below which the take stops").format(
                    **what
                ),
            )
            words.append(
                _(
                    "{pop}: a May die-off above {die_off} %, a true spring abundance below "
                    "{census} animals, or an adult sex ratio below {ratio} males per female"
                ).format(pop=_pop(p), die_off=d, census=c, ratio=r)
            )
        paragraphs.append(
            _(
                "Triggers that suspend the following autumn's take ({year}; later years in the "
                "triggers section): {triggers}."
            ).format(year=y1, triggers="; ".join(words))
        )
        paragraphs.append(
            _(
                "The trigger levels include the surveys' own error, so a count below its "
                "trigger is evidence of a population in trouble, not certainty."
            )
            if observed
            else _(
                "These triggers are on true quantities, from a result saved before triggers "
                "were stated on observations; no survey measures them directly."
            )
        )
    return paragraphs, tables


def _market_bound(res: Any, pops: Sequence[str]) -> dict[str, str]:
    """Return population → trial where a market-effect trial set a zero quota."""
    market = trade_effect_trials()
    out = {}
    for p in pops:
        m = re.search(r"\((\w+)\)$", str(res.binding.sel(population=p).values))
        if m and m[1] in market and float(res.level.sel(population=p)) == 0.0:
            out[p] = m[1]
    return out


def _source(ds: Any, var: str, source: str) -> float:
    """Return a source's total (0 where an older allocation has no such source)."""
    if source not in ds["source"].values:
        return 0.0
    return float(ds[var].sel(source=source).sum())


def _harvest_years(alloc: Any, year: int, pop: str) -> str:
    """Return the harvest years of a population's exported horns in one export year."""
    s = alloc.sel(year=year, population=pop)
    years = set()
    if float(s["horns"].sel(source="stock")) > 0:
        years.add(int(alloc["harvest_year"].sel(year=year, source="stock")))
    if "cull_horns" in alloc:
        cull = s["cull_horns"]
        years |= {int(c) for c, n in zip(cull["cull_year"].values, cull.values, strict=True) if n}
    if float(s["horns"].sel(source="new_harvest")) > 0:
        years.add(year)
    return ", ".join(str(y) for y in sorted(years))


# --- reference case ------------------------------------------------------------------------


def reference_case_section(
    inputs: Mapping[str, Any], vb: ValueBook, config: ReportConfig
) -> Section:
    """One table, a column per population: the numbers a Scientific Authority checks first."""
    q = _quota(inputs)
    res = q.result
    pops = _pops(q, config)
    ref = q.reference.set_index("population") if q.reference is not None else None
    y0 = q.start_year
    rows: list[tuple[str, str, list[str]]] = []

    def add(label: str, unit: str, cells: Sequence[str]) -> None:
        rows.append((label, unit, list(cells)))

    if ref is not None:
        for stat, lab in (("q05", "5 %"), ("q50", "50 %"), ("q95", "95 %")):
            add(
                _("True abundance {year}, {quantile}").format(year=y0, quantile=lab),
                _("animals"),
                [
                    vb.add(
                        f"reference.{p}.abundance_{stat}",
                        round(float(ref.loc[p, f"abundance_{stat}"]), -2),
                        _(
                            "{pop}: posterior {quantile} quantile of true abundance at the "
                            "{year} census"
                        ).format(pop=_pop(p), quantile=lab, year=y0),
                    )
                    for p in pops
                ],
            )
        add(
            _("Annual growth, no export (median, 90 % interval)"),
            _("ratio per year"),
            [
                f"{_fmt(ref.loc[p, 'growth_q50'])} ({_fmt(ref.loc[p, 'growth_q05'])}–"
                f"{_fmt(ref.loc[p, 'growth_q95'])})"
                for p in pops
            ],
        )
        add(
            _("Adult sex ratio {year} (median, 90 % interval)").format(year=y0),
            _("males per female"),
            [
                f"{_fmt(ref.loc[p, 'sex_ratio_q50'])} ({_fmt(ref.loc[p, 'sex_ratio_q05'])}–"
                f"{_fmt(ref.loc[p, 'sex_ratio_q95'])})"
                + (" " + _("PRIOR-DRIVEN") if bool(ref.loc[p, "sex_ratio_prior_driven"]) else "")
                for p in pops
            ],
        )
    at = res.at_quota
    crit_objs = {getattr(c, "name", ""): c for c in res.criteria}
    for crit in [str(c) for c in at["criterion"].values]:
        sel = at.sel(criterion=crit)
        limit = float(at["limit"].sel(criterion=crit))
        if crit != "p_star":
            event = _event_words(crit_objs.get(crit))
            add(
                _("{event}, no export").format(event=event),
                _("probability"),
                [_fmt(float(sel["baseline_risk"].sel(population=p))) for p in pops],
            )
            add(
                _("{event}, added at the quota ± MC error").format(event=event),
                _("probability"),
                [
                    f"{_fmt(float(sel['added_risk'].sel(population=p)))} ± "
                    f"{_fmt(float(sel['added_risk_mcse'].sel(population=p)))}"
                    for p in pops
                ],
            )
        add(
            _("Criterion '{criterion}': decision risk at the quota (limit {limit})").format(
                criterion=_crit_word(crit), limit=_fmt(limit)
            ),
            _("probability"),
            [
                f"{_fmt(float(sel['decision_risk'].sel(population=p)))} ± "
                f"{_fmt(float(sel['decision_mcse'].sel(population=p)))}"
                for p in pops
            ],
        )
    add(
        _("Quota (reference operating model)"),
        _("adult males a year"),
        [
            vb.add(
                f"quota.{p}.adult_males",
                float(res.level.sel(population=p)),
                _("{pop}: quota, adult males a year").format(pop=_pop(p)),
            )
            for p in pops
        ],
    )
    trials = inputs.get("trials")
    if trials is not None:
        tt = _trial_frame(trials)
        if tt is not None and "quota" in tt.columns:
            for trial in list(dict.fromkeys(tt["trial"].astype(str))):
                if str(tt.loc[tt["trial"] == trial, "set"].iloc[0]) != "reference":
                    continue
                sub = tt[tt["trial"] == trial].set_index("population")
                add(
                    _("Quota in operating model '{trial}'").format(trial=gettext(trial)),
                    _("adult males a year"),
                    [
                        _fmt(float(sub.loc[p, "quota"])) if p in sub.index else _("n/a")
                        for p in pops
                    ],
                )
    add(
        _("Binding criterion"),
        "",
        [_crit_word(str(res.binding.sel(population=p).values)) or _("none") for p in pops],
    )
    if ref is not None and q.pbr is not None:
        add(
            _("Total human offtake at the quota (median)"),
            _("animals a year"),
            [_fmt(round(float(ref.loc[p, "human_offtake"]), 0)) for p in pops],
        )
        add(
            _("PBR, total human-caused mortality"),
            _("animals a year"),
            [_fmt(round(float(q.pbr["pbr_total"].sel(population=p)), 0)) for p in pops],
        )
        add(
            _("Male human offtake at the quota (median)"),
            _("males a year"),
            [_fmt(round(float(ref.loc[p, "male_offtake"]), 0)) for p in pops],
        )
        add(
            _("PBR, male component"),
            _("males a year"),
            [_fmt(round(float(q.pbr["pbr_male"].sel(population=p)), 0)) for p in pops],
        )
        add(
            _("Share of adult males exported (median, worst quota year)"),
            "%",
            [_fmt(round(_pct(ref.loc[p, "share_adult_males_exported"]), 2)) for p in pops],
        )
    frame = pd.DataFrame(
        {
            "Quantity": [r[0] for r in rows],
            "Unit": [r[1] for r in rows],
            **{p: [r[2][i] for r in rows] for i, p in enumerate(pops)},
        }
    )
    n_prior = (
        int(sum(bool(ref.loc[p, "sex_ratio_prior_driven"]) for p in pops)) if ref is not None else 0
    )
    paragraphs = [
        _(
            "The reference case: the posterior of the fitted model projected under the default "
            "operating model, with the quota solved against the paired no-export projection "
            "(same draws and random numbers). Risks are probabilities over the quota years and "
            "ten further years; 'added' is the export's own effect."
        ),
    ]
    if n_prior:
        k = vb.add(
            "reference.sex_ratio_prior_driven",
            n_prior,
            _("populations whose adult sex ratio is prior-driven"),
        )
        paragraphs.append(
            ngettext(
                "In {k} population the adult sex ratio is PRIOR-DRIVEN: the data shrank its "
                "prior uncertainty by less than half, so the sex-ratio criterion carries a "
                "stricter absolute floor there.",
                "In {k} populations the adult sex ratio is PRIOR-DRIVEN: the data shrank its "
                "prior uncertainty by less than half, so the sex-ratio criterion carries a "
                "stricter absolute floor there.",
                n_prior,
            ).format(k=k)
        )
    for p in pops:
        reason = render(res.reason.sel(population=p).item())
        paragraphs.append(f"{_pop(p)}: {reason}.")
    return Section(
        "reference_case",
        _("Reference case by population"),
        tuple(paragraphs),
        tables=(
            Table(
                "reference_case",
                _("Reference case"),
                frame,
                caption=_("One column per population; quantiles are over posterior draws."),
            ),
        ),
    )
