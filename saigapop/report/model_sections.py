"""Section builders for the model, quota, trial and validation results.

Registered in :data:`saigapop.report.sections.BUILDERS`. Each builder reads the inputs of
:func:`saigapop.report.build_payload` (computed by :mod:`saigapop.management.analysis`), registers
every number it quotes in prose in the :class:`~saigapop.report.contracts.ValueBook`, and
returns a :class:`~saigapop.report.contracts.Section`. Table cells are formatted by
:func:`~saigapop.report.formatting.format_value` where a column mixes units.

Why this module is over the ~600-line rule: its builders (the summary's quota prose, the
reference case, model and priors, status, projections, risk, PBR and triggers) are eight
sections of one chain — the recommended quota and the fit it rests on — that share the same
helpers (the quota inputs, the populations shown, criterion and event words) and are
registered together as :data:`MODEL_BUILDERS`. Each builder only lays out what
:mod:`saigapop.management.analysis` computed; the length is the wording of eight sections in
two languages, not logic. The planned split is by section group (quota prose and reference
case; model, status and projections; risk, PBR and triggers) with the helpers in a module of
their own, once the sections stop changing with the messages work of issue 14.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from saigapop.locale.messages import render
from saigapop.management.criteria import CRITERION_WORDS
from saigapop.management.outcomes import QuotaInputs, TrialInputs, as_quota_inputs
from saigapop.model.diagnostics import FitSummary
from saigapop.plotting import figure_to_png, plot_fan, plot_risk_curve
from saigapop.report.checklist_section import acceptance_checks
from saigapop.report.config import ReportConfig
from saigapop.report.contracts import Figure, Section, Table, ValueBook
from saigapop.report.formatting import format_value
from saigapop.report.i18n import _, gettext, ngettext
from saigapop.report.prose import join_words
from saigapop.report.vocabulary import population_name

__all__ = [
    "CRITERION_WORDS",
    "MODEL_BUILDERS",
    "acceptance_checks",
    "model_section",
    "pbr_section",
    "projections_section",
    "quota_summary",
    "reference_case_section",
    "risk_section",
    "status_section",
    "triggers_section",
]


def _pct(x: float) -> float:
    return 100.0 * float(x)


def _fmt(x: Any, name: str | None = None) -> str:
    return format_value(x, name)


def _quota(inputs: Mapping[str, Any]) -> QuotaInputs:
    return as_quota_inputs(inputs["quota"])


def _pops(q: QuotaInputs, config: ReportConfig) -> list[str]:
    pops = [str(p) for p in q.result.level["population"].values]
    if config.populations:
        pops = [p for p in pops if p in config.populations]
    return pops


def _crit_word(name: str) -> str:
    m = re.fullmatch(r"(\w+) \((.+)\)", name)  # "sex_ratio (trial)" from a robust quota
    if m:
        return f"{_crit_word(m[1])} ({m[2]})"
    return _(CRITERION_WORDS.get(name, name.replace("_", " ")))


def _pop(p: str) -> str:
    return population_name(p)


def _event_words(criterion: Any) -> str:
    """Describe the event whose probability is a criterion's absolute risk."""
    name = getattr(criterion, "name", "")
    if name == "abundance":
        return _("P(true abundance below its limit)")
    if name == "sex_ratio":
        return _("P(rut sex ratio below {floor} males per female)").format(
            floor=format_value(criterion.floor)
        )
    if name == "conception":
        return _("P(mate-shortage conception loss above {loss} %)").format(
            loss=format_value(100 * criterion.max_loss)
        )
    return _("P({criterion} fails)").format(criterion=_crit_word(name))


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
    tables: list[Table] = []
    alloc = q.allocation
    if alloc is not None:
        cap = float(alloc.attrs.get("cap_kg", 10_000.0))
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
                        "From stock (horns)": float(s["horns"].sel(source="stock")),
                        "From stock (kg)": float(s["kg"].sel(source="stock")),
                        "Export (kg)": float(s["kg"].sum("source")),
                    }
                )
            tot_kg = float(alloc["kg"].sel(year=y).sum())
            unused = float(alloc["unused_cap_kg"].sel(year=y))
            stock_kg = float(alloc["stock_kg"].sel(year=y))
            new_kg = tot_kg - stock_kg
            t = vb.add(
                f"export.{yy}.total_kg",
                round(tot_kg, 1),
                _("{year}: horn export, kg").format(year=yy),
            )
            s_kg = vb.add(
                f"export.{yy}.stock_kg",
                round(stock_kg, 1),
                _("{year}: from stock, kg").format(year=yy),
            )
            n_kg = vb.add(
                f"export.{yy}.new_harvest_kg",
                round(new_kg, 1),
                _("{year}: from new harvest, kg").format(year=yy),
            )
            u = vb.add(
                f"export.{yy}.unused_cap_kg",
                round(unused, 1),
                _("{year}: unused cap, kg").format(year=yy),
            )
            paragraphs.append(
                _(
                    "{year}: {total} kg of horn ({stock} kg from stock, {new} kg from new "
                    "harvest) against the cap of {cap} kg; {unused} kg of the cap is unused."
                ).format(year=yy, total=t, stock=s_kg, new=n_kg, cap=_fmt(cap), unused=u)
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
                        "mortality), exported first. The national cap is {cap} kg a year; no "
                        "population is allocated more than its own quota."
                    ).format(cap=_fmt(cap))
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
        words = []
        for p in pops:
            t = trig.sel(year=y1, population=p)
            what = {"pop": _pop(p), "year": y1}
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
    return paragraphs, tables


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


# --- model and priors ----------------------------------------------------------------------


def model_section(inputs: Mapping[str, Any], vb: ValueBook, config: ReportConfig) -> Section:
    """Build the model section: priors with rationale and citation, prior against posterior."""
    fit: FitSummary = inputs["fit"]
    pt = fit.priors
    frame = pd.DataFrame(
        {
            "Parameter": pt["parameter"].astype(str),
            "Prior": pt["distribution"].astype(str),
            "5 %": pt["q05"].astype(float),
            "50 %": pt["q50"].astype(float),
            "95 %": pt["q95"].astype(float),
            "Rationale": pt["rationale"].astype(str),
            "Citation": pt["citation"].astype(str),
        }
    )
    frame["Rationale"] = [gettext(r) for r in frame["Rationale"]]
    frame["Citation"] = [gettext(c) for c in frame["Citation"]]  # sources with short notes
    n_priors = vb.add("model.priors", len(frame), _("priors of the model"))
    paragraphs = [
        _(
            "The model follows the saiga's annual cycle: spring census, calving in May (with "
            "mass die-offs), the autumn removal season (culls, export harvest, poaching), the "
            "winter (with dzhut die-offs) and the rut, where conception depends on the adult "
            "sex ratio. Counts are observed with lognormal error and a catchability that may "
            "change with the survey method. It has {n} priors, listed below with their "
            "rationale and citation (quantiles on the natural scale)."
        ).format(n=n_priors),
    ]
    tables = [
        Table(
            "priors",
            _("Priors"),
            frame,
            caption=_("Each prior with its 5, 50 and 95 % quantiles, rationale and source."),
        ),
    ]
    comp = fit.prior_posterior
    if comp is not None and len(comp):
        n_pd = int((comp["label"] == "prior-driven").sum())
        a = vb.add("model.prior_driven_parameters", n_pd, _("prior-driven parameter elements"))
        b = vb.add("model.parameter_elements", len(comp), _("parameter elements compared"))
        r = vb.add(
            "model.prior_driven_sd_ratio",
            fit.prior_driven_ratio,
            _("posterior/prior SD ratio above which a parameter is prior-driven"),
        )
        paragraphs.append(
            _(
                "Prior against posterior: {a} of {b} parameter elements are PRIOR-DRIVEN (the "
                "posterior SD is more than {r} of the prior SD: the data barely inform them). "
                "Conclusions that rest on them rest on the priors, and the sensitivity section "
                "shows how far the quota moves when they change."
            ).format(a=a, b=b, r=r)
        )
        ctab = pd.DataFrame(
            {
                "Parameter": comp["parameter"].astype(str),
                "Prior mean": comp["prior_mean"].astype(float),
                "Prior SD": comp["prior_sd"].astype(float),
                "Posterior mean": comp["posterior_mean"].astype(float),
                "Posterior SD": comp["posterior_sd"].astype(float),
                "SD ratio": comp["sd_ratio"].astype(float),
                "Label": comp["label"].astype(str),
            }
        )
        tables.append(
            Table(
                "prior_posterior",
                _("Prior against posterior"),
                ctab,
                caption=_(
                    "Per parameter element; 'prior-driven' when SD ratio exceeds {ratio}."
                ).format(ratio=format_value(fit.prior_driven_ratio)),
            )
        )
    else:
        paragraphs.append(
            _("Prior against posterior: not computed, because the fit carries no prior draws.")
        )
    return Section("model", _("Model and priors"), tuple(paragraphs), tables=tuple(tables))


# --- diagnostics and acceptance checklist --------------------------------------------------


# --- status --------------------------------------------------------------------------------


def _observed_counts(data: Any, pops: Sequence[str]) -> pd.DataFrame | None:
    if data is None or not hasattr(data, "census"):
        return None
    c = data.census
    c = c[(c["kind"] == "count") & c["population"].isin(list(pops))]
    return c[["population", "year", "value"]].dropna()


def status_section(inputs: Mapping[str, Any], vb: ValueBook, config: ReportConfig) -> Section:
    """Posterior abundance by population, sex and age, with the census counts."""
    fit: FitSummary = inputs["fit"]
    pops = list(fit.total_median)
    if config.populations:
        pops = [p for p in pops if p in config.populations]
    bands = fit.abundance_bands
    bands = bands[bands["population"].isin(pops)].reset_index(drop=True)
    obs = _observed_counts(inputs.get("data"), pops)
    fig = plot_fan(bands=bands, populations=pops, observed=obs)
    y = fit.latest_year
    q = fit.abundance_latest.set_index(["population", "sex", "age"])
    rows = []
    flags = {}
    qi = inputs.get("quota")
    if qi is not None:
        ref = as_quota_inputs(qi).reference
        if ref is not None:
            flags = dict(zip(ref["population"], ref["sex_ratio_prior_driven"], strict=True))
    if not flags:
        flags = dict(fit.sex_ratio_prior_driven)
    for p in pops:
        for s in ("female", "male"):
            for a in ("yearling", "adult"):
                v = q.loc[(p, s, a)]
                rows.append(
                    {
                        "Population": p,
                        "Sex": s,
                        "Age": a,
                        "5 % (animals)": round(float(v["q05"]), -2),
                        "Median (animals)": round(float(v["q50"]), -2),
                        "95 % (animals)": round(float(v["q95"]), -2),
                        "Sex ratio": "PRIOR-DRIVEN" if flags.get(p, True) else "data-informed",
                    }
                )
    paragraphs = []
    for p in pops:
        med = vb.add(
            f"status.{p}.total_median",
            round(fit.total_median[p], -2),
            _("{pop}: posterior median true abundance at the {year} census").format(
                pop=_pop(p), year=y
            ),
        )
        if flags.get(p, True):
            text = _(
                "{pop}: posterior median true abundance {median} animals at the {year} spring "
                "census; its adult sex ratio is PRIOR-DRIVEN (composition data barely inform it)."
            )
        else:
            text = _(
                "{pop}: posterior median true abundance {median} animals at the {year} spring "
                "census; its adult sex ratio is informed by the data."
            )
        paragraphs.append(text.format(pop=_pop(p), median=med, year=y))
    return Section(
        "status",
        _("Status and trends by population, sex and age"),
        tuple(paragraphs),
        tables=(
            Table(
                "status_by_sex_age",
                _("True abundance at the {year} census by sex and age").format(year=y),
                pd.DataFrame(rows),
                caption=_("Posterior quantiles, rounded to the nearest 100 animals."),
            ),
        ),
        figures=(
            Figure(
                "status_fan",
                _("True abundance by population (posterior)"),
                figure_to_png(fig),
                caption=_(
                    "Median (line), 50 % and 90 % intervals (bands) of true spring abundance, "
                    "log scale; dots are the census counts as published."
                ),
                alt=_("Fan charts of posterior true abundance by population with census counts."),
            ),
        ),
    )


# --- projections ---------------------------------------------------------------------------


def projections_section(inputs: Mapping[str, Any], vb: ValueBook, config: ReportConfig) -> Section:
    """Fan charts of abundance and adult sex ratio under the quota and under no export."""
    q = _quota(inputs)
    pops = _pops(q, config)
    if q.bands is None:
        return Section(
            "projections",
            _("Projections"),
            (_("Not computed: the quota was supplied without its projections."),),
            computed=False,
        )
    b = q.bands
    tot = b[(b["quantity"] == "total") & b["population"].isin(pops)]
    sr = b[(b["quantity"] == "sex_ratio") & b["population"].isin(pops)]
    sr = sr[np.isfinite(sr["q50"].astype(float))]
    figs = (
        Figure(
            "projection_abundance",
            _("Projected true abundance"),
            figure_to_png(plot_fan(bands=tot, populations=pops, mark_years=q.quota_years)),
            caption=_(
                "No export: median (blue line), 50 and 90 % intervals (bands). At the quota: "
                "median (orange dashed) and 5 and 95 % quantiles (orange dotted); same draws "
                "and random numbers. Grey: quota years."
            ),
            alt=_("Fan charts of projected abundance with and without export."),
        ),
        Figure(
            "projection_sex_ratio",
            _("Projected adult sex ratio"),
            figure_to_png(
                plot_fan(
                    bands=sr,
                    populations=pops,
                    log=False,
                    mark_years=q.quota_years,
                    ylabel=_("Adult males per adult female"),
                )
            ),
            caption=_(
                "Adult males per adult female at the spring census; lines and bands as above."
            ),
            alt=_("Fan charts of the projected adult sex ratio with and without export."),
        ),
    )
    last = int(tot["year"].max())
    paragraphs = [
        _(
            "Projections start from the posterior at the latest census, include process noise, "
            "catastrophes, poaching (raised in the quota years by trade), the planned culls and "
            "implementation error, and run over the quota years plus ten further years."
        )
    ]
    for p in pops:
        a = tot[(tot["population"] == p) & (tot["year"] == last)]
        base = a[a["series"] == "no export"]["q50"]
        atq = a[a["series"] == "at the quota"]["q50"]
        if len(base) and len(atq):
            v0 = vb.add(
                f"projection.{p}.{last}.median_no_export",
                round(float(base.iloc[0]), -2),
                _("{pop}: projected median true abundance in {year}, no export").format(
                    pop=_pop(p), year=last
                ),
            )
            v1 = vb.add(
                f"projection.{p}.{last}.median_at_quota",
                round(float(atq.iloc[0]), -2),
                _("{pop}: projected median true abundance in {year}, at the quota").format(
                    pop=_pop(p), year=last
                ),
            )
            paragraphs.append(
                _(
                    "{pop}: median true abundance in {year} is {base} animals without export "
                    "and {quota} animals at the quota."
                ).format(pop=_pop(p), year=last, base=v0, quota=v1)
            )
    frame = tot.rename(
        columns={
            "population": "Population",
            "series": "Series",
            "year": "Year",
            "q05": "5 % (animals)",
            "q50": "Median (animals)",
            "q95": "95 % (animals)",
        }
    )[["Population", "Series", "Year", "5 % (animals)", "Median (animals)", "95 % (animals)"]]
    frame = frame.round({"5 % (animals)": -2, "Median (animals)": -2, "95 % (animals)": -2})
    years = sorted(set(tot["year"].astype(int)))
    shown = {years[0], *q.quota_years, years[-1]}
    if q.quota_years:
        shown.add(min(max(q.quota_years) + 5, years[-1]))
    frame = frame[frame["Year"].isin(sorted(shown))].sort_values(["Population", "Year", "Series"])
    return Section(
        "projections",
        _("Projections"),
        tuple(paragraphs),
        figures=figs,
        tables=(
            Table(
                "projection_abundance",
                _("Projected true abundance"),
                frame.reset_index(drop=True),
                caption=_(
                    "Quantiles over posterior draws, rounded to 100 animals, at the latest "
                    "census, the quota years, five years later and the end of the horizon."
                ),
            ),
        ),
    )


# --- risk ----------------------------------------------------------------------------------


def risk_section(inputs: Mapping[str, Any], vb: ValueBook, config: ReportConfig) -> Section:
    """Build the risk section: the risk curve of each criterion, and every risk at the quota."""
    q = _quota(inputs)
    res = q.result
    pops = _pops(q, config)
    rc = q.curve if q.curve is not None else res.risk_curve
    rows, curve = [], []
    for p in pops:
        quota = float(res.level.sel(population=p))
        for c in [str(x) for x in rc["criterion"].values]:
            sel = rc.sel(criterion=c, population=p)
            limit = float(rc["limit"].sel(criterion=c))
            for k in range(rc.sizes["candidate"]):
                s = sel.isel(candidate=k)
                curve.append(
                    {
                        "population": p,
                        "criterion": _crit_word(c),
                        "level": float(s["level"]),
                        "risk_over_limit": float(s["decision_risk"]) / limit if limit else np.nan,
                        "quota": quota,
                    }
                )
        at = res.at_quota.sel(population=p)
        for c in [str(x) for x in at["criterion"].values]:
            s = at.sel(criterion=c)
            rows.append(
                {
                    "Population": p,
                    "Criterion": _crit_word(c),
                    "Rule": str(s["description"].values),
                    "Risk at the quota": float(s["risk"]),
                    "Risk at zero export": float(s["baseline_risk"]),
                    "Added risk": float(s["added_risk"]),
                    "Decision risk": float(s["decision_risk"]),
                    "MC error": float(s["decision_mcse"]),
                    "Limit": float(s["limit"]),
                    "Passes": bool(s["passes"]),
                }
            )
    cdf = pd.DataFrame(curve)
    fig = plot_risk_curve(curve=cdf, populations=pops)
    ps = vb.add("quota.p_star", res.p_star, _("P* buffer"))
    paragraphs = [
        _(
            "Each criterion's decision risk, divided by its limit, against the annual export "
            "(adult males): the criterion fails where the line rises above 1; the dotted line "
            "is the quota. The P* pseudo-criterion requires that the quota exceed a posterior "
            "draw's own sustainable export with probability at most {p_star}."
        ).format(p_star=ps),
    ]
    grid = (
        cdf.assign(level=cdf["level"].round(0))
        .pivot_table(
            index=["population", "level"], columns="criterion", values="risk_over_limit", sort=False
        )
        .reset_index()
        .rename(columns={"population": "Population", "level": "Export (adult males a year)"})
    )
    grid.columns.name = None
    grid = grid.rename(
        columns={c: _("{criterion} (risk ÷ limit)").format(criterion=c) for c in grid.columns[2:]}
    )
    return Section(
        "risk",
        _("Risk and decision tables"),
        tuple(paragraphs),
        figures=(
            Figure(
                "risk_curve",
                _("Risk curves"),
                figure_to_png(fig),
                caption=_("Decision risk ÷ limit per criterion; dashed: limit; dotted: quota."),
                alt=_("Risk curves by population and criterion."),
            ),
        ),
        tables=(
            Table(
                "risk_at_quota",
                _("Risks at the quota"),
                pd.DataFrame(rows),
                caption=_(
                    "Probabilities over the projection; decision risk is what each criterion "
                    "compares with its limit (added, absolute or paired)."
                ),
                display_columns=(
                    "Population",
                    "Criterion",
                    "Risk at the quota",
                    "Risk at zero export",
                    "Added risk",
                    "Decision risk",
                    "MC error",
                    "Limit",
                    "Passes",
                ),
            ),
            Table(
                "risk_curve",
                _("Risk curve"),
                grid,
                caption=_(
                    "Decision risk divided by its limit for each candidate export, zero to "
                    "twice the quota; above 1 the criterion fails."
                ),
            ),
        ),
    )


# --- PBR -----------------------------------------------------------------------------------


def pbr_section(inputs: Mapping[str, Any], vb: ValueBook, config: ReportConfig) -> Section:
    """PBR on total human-caused mortality and on its male component."""
    q = _quota(inputs)
    pops = _pops(q, config)
    if q.pbr is None:
        return Section(
            "pbr",
            _("Potential biological removal (cross-check)"),
            (_("Not computed: the quota was supplied without the PBR table."),),
            computed=False,
        )
    t = q.pbr
    rows = []
    paragraphs = [
        _(
            "Potential biological removal, PBR = N_min × ½ R_max × F_r (Wade 1998), with N_min "
            "the {percentile} % posterior quantile of abundance, R_max from the vital rates and "
            "recovery factor F_r = {recovery}. It is a cross-check, not the basis of the quota: "
            "it ignores the sex ratio, which a male-only take binds on."
        ).format(
            percentile=format_value(100 * float(t.attrs.get("n_min_percentile", 0.2))),
            recovery=format_value(float(t.attrs.get("recovery_factor", 0.5))),
        )
    ]
    for p in pops:
        s = t.sel(population=p)
        row = {
            "Population": p,
            "N_min (animals)": round(float(s["n_min"]), -2),
            "R_max (per year)": float(s["r_max"]),
            "PBR total (animals a year)": round(float(s["pbr_total"]), 0),
            "PBR male (males a year)": round(float(s["pbr_male"]), 0),
        }
        if "human_caused" in s:
            row["Human offtake (animals a year)"] = round(float(s["human_caused"]), 0)
            row["Within PBR total"] = bool(s["within_pbr_total"])
        if "male_human_caused" in s:
            row["Male offtake (males a year)"] = round(float(s["male_human_caused"]), 0)
            row["Within PBR male"] = bool(s["within_pbr_male"])
        rows.append(row)
        if "within_pbr_male" in s:
            pm = vb.add(
                f"pbr.{p}.male",
                round(float(s["pbr_male"]), 0),
                _("{pop}: PBR, males a year").format(pop=_pop(p)),
            )
            mo = vb.add(
                f"pbr.{p}.male_offtake",
                round(float(s["male_human_caused"]), 0),
                _("{pop}: projected male human offtake at the quota, a year").format(pop=_pop(p)),
            )
            if bool(s["within_pbr_male"]):
                text = _(
                    "{pop}: male human offtake at the quota, {offtake} males a year, is within "
                    "the male PBR of {pbr} males a year."
                )
            else:
                text = _(
                    "{pop}: male human offtake at the quota, {offtake} males a year, is ABOVE "
                    "the male PBR of {pbr} males a year."
                )
            paragraphs.append(text.format(pop=_pop(p), offtake=mo, pbr=pm))
    return Section(
        "pbr",
        _("Potential biological removal (cross-check)"),
        tuple(paragraphs),
        tables=(
            Table(
                "pbr",
                "PBR",
                pd.DataFrame(rows),
                caption=_(
                    "Offtake: median over draws of export, wounding, culls and poaching per "
                    "quota year."
                ),
            ),
        ),
    )


# --- triggers ------------------------------------------------------------------------------


def triggers_section(inputs: Mapping[str, Any], vb: ValueBook, config: ReportConfig) -> Section:
    """Build the triggers: die-off, census and sex-ratio levels that suspend the take."""
    q = _quota(inputs)
    pops = _pops(q, config)
    title = _("Triggers that suspend the quota")
    if q.triggers is None:
        return Section(
            "triggers",
            title,
            (_("Not computed: the quota was supplied without its triggers."),),
            computed=False,
        )
    t = q.triggers
    rows = []
    for y in t["year"].values:
        for p in pops:
            s = t.sel(year=y, population=p)
            rows.append(
                {
                    "Year": int(y),
                    "Population": p,
                    "May die-off above (% killed)": round(_pct(s["die_off"]), 1),
                    "True abundance below (animals)": round(float(s["census"]), -2),
                    "Expected count below (animals)": round(float(s["expected_count"]), -2),
                    "Adult sex ratio below (males per female)": round(float(s["sex_ratio"]), 3),
                    "Basis (die-off, abundance, sex ratio)": ", ".join(
                        gettext(str(s[k].values))
                        for k in ("die_off_basis", "census_basis", "sex_ratio_basis")
                    ),
                }
            )
    a = vb.add(
        "triggers.alpha",
        float(t.attrs.get("alpha", 0.1)),
        _("conditional failure probability the triggers allow"),
    )
    paragraphs = [
        _(
            "The take of a year's autumn is suspended if, that spring or May, any of these "
            "levels is crossed. Each level is chosen so that, among the posterior draws "
            "crossing it, the probability that the quota breaks a criterion exceeds {alpha} "
            "('conditional'), or as a percentile of the projected distribution where too few "
            "draws fail ('percentile')."
        ).format(alpha=a),
        _(
            "The census trigger is given as true abundance and as the expected survey count "
            "(true abundance × catchability)."
        ),
    ]
    return Section(
        "triggers",
        title,
        tuple(paragraphs),
        tables=(
            Table(
                "triggers",
                _("Triggers"),
                pd.DataFrame(rows),
                caption=_("Per quota year and population."),
            ),
        ),
    )


# --- robustness ----------------------------------------------------------------------------


def _trial_frame(trials: Any) -> pd.DataFrame | None:
    obj = trials.trials if isinstance(trials, TrialInputs) else trials
    if isinstance(obj, Mapping):
        obj = obj.get("trials")
    if obj is None:
        return None
    if isinstance(obj, xr.Dataset):  # run_trials output: read the columns shown here
        return pd.DataFrame(
            [
                {
                    "trial": str(t),
                    "population": str(p),
                    "set": str(obj["kind"].sel(trial=t).values),
                    "quota": float(obj["quota"].sel(trial=t, population=p)),
                }
                for t in obj["trial"].values
                for p in obj["population"].values
            ]
        )
    if isinstance(obj, pd.DataFrame):
        return obj.reset_index() if obj.index.names[0] is not None else obj
    raise TypeError(f"cannot read trials from {type(obj).__name__}")


MODEL_BUILDERS = {
    "reference_case": reference_case_section,
    "model": model_section,
    "status": status_section,
    "projections": projections_section,
    "risk": risk_section,
    "pbr": pbr_section,
    "triggers": triggers_section,
}
