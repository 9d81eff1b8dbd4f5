"""Section builders for the risk at the quota, PBR and the suspension triggers.

They lay out what :func:`saigapop.management.analysis.prepare_quota` computed (risk curve,
risk at the quota, PBR table, triggers); they compute nothing. Registered via
:data:`saigapop.report.model_sections.MODEL_BUILDERS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from saigapop.plotting import figure_to_png, plot_risk_curve
from saigapop.report._quota_words import (
    _crit_word,
    _pct,
    _pop,
    _pops,
    _quota,
)
from saigapop.report.config import ReportConfig
from saigapop.report.contracts import Figure, Section, Table, ValueBook
from saigapop.report.formatting import format_value
from saigapop.report.i18n import _, gettext

__all__ = ["pbr_section", "risk_section", "triggers_section"]


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
    """Build the triggers: census-count, composition-survey and die-off-toll levels.

    A triggers Dataset saved before the triggers were stated on observations (no ``count``)
    is shown as it is — on true quantities — and says so.
    """
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
    observed = "count" in t
    rows, true_rows = [], []
    for y in t["year"].values:
        for p in pops:
            s = t.sel(year=y, population=p)
            true_rows.append(
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
            if observed:
                rows.append(
                    {
                        "Year": int(y),
                        "Population": p,
                        "Census count below (animals counted)": round(float(s["count"]), -2),
                        "Survey sex ratio below (adult males per adult female)": round(
                            float(s["survey_sex_ratio"]), 3
                        ),
                        "May die-off toll above (carcasses)": round(float(s["die_off_toll"]), -2),
                        "Basis (count, survey, toll)": ", ".join(
                            gettext(str(s[k].values))
                            for k in ("count_basis", "survey_sex_ratio_basis", "die_off_toll_basis")
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
    ]
    if not observed:
        paragraphs += [
            _(
                "The census trigger is given as true abundance and as the expected survey count "
                "(true abundance × catchability)."
            ),
            _(
                "These triggers were computed before triggers were stated on observations: "
                "they are levels of true quantities, which no survey measures directly. "
                "Recompute the quota to state them on the census count, a composition survey "
                "and the die-off toll."
            ),
        ]
        return Section(
            "triggers",
            title,
            tuple(paragraphs),
            tables=(_triggers_table("triggers", true_rows, _("Per quota year and population.")),),
        )
    n = vb.add(
        "triggers.survey_adults",
        int(t.attrs["survey_adults"]),
        _("adults classified by the composition survey behind the sex-ratio trigger"),
    )
    deff = vb.add(
        "triggers.survey_design_effect",
        round(float(t.attrs.get("survey_design_effect", 1.0)), 2),
        _("variance of the surveyed male share relative to binomial sampling"),
    )
    found = vb.add(
        "triggers.toll_detection_percent",
        round(_pct(t.attrs.get("toll_detection", 1.0)), 1),
        _("share of May die-off deaths counted as carcasses (%)"),
    )
    paragraphs += [
        _(
            "The levels are stated on what a manager observes before the autumn take: the "
            "spring census count (true abundance × the draw's catchability × the survey's "
            "error, as in the fitted count model); the adult sex ratio of a composition survey "
            "of {adults} classified adults (males among them by binomial sampling, design effect "
            "{deff}: 1 treats the adults as classified independently); and the May die-off "
            "toll, the carcasses counted, assuming {found} % of the deaths are found."
        ).format(adults=n, deff=deff, found=found),
        _(
            "The trigger levels include the surveys' own error, so a count below its "
            "trigger is evidence of a population in trouble, not certainty."
        ),
        _(
            "For reference, the second table gives the same triggers on true quantities, "
            "which no survey measures directly: true abundance (also × the median "
            "catchability, as an expected count), the true adult sex ratio and the share of "
            "the population killed in May."
        ),
    ]
    return Section(
        "triggers",
        title,
        tuple(paragraphs),
        tables=(
            _triggers_table(
                "triggers", rows, _("Per quota year and population, on observed quantities.")
            ),
            _triggers_table(
                "triggers_true",
                true_rows,
                _("Per quota year and population; not observable directly."),
                _("Triggers on true quantities (reference)"),
            ),
        ),
    )


def _triggers_table(
    name: str, rows: list[dict[str, Any]], caption: str, title: str | None = None
) -> Table:
    title = _("Triggers") if title is None else title
    return Table(name, title, pd.DataFrame(rows), caption=caption)
