"""Section builders for the fit: model and priors, status, projections.

They lay out the :class:`~saigapop.model.diagnostics.FitSummary` of the fit (computed by
:func:`saigapop.model.diagnostics.summarise_fit`: priors, prior against posterior, abundance
quantiles) and the projected fans of :class:`~saigapop.management.outcomes.QuotaInputs`;
they compute nothing. Registered via :data:`saigapop.report.model_sections.MODEL_BUILDERS`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from saigapop.management.outcomes import as_quota_inputs
from saigapop.model.diagnostics import FitSummary
from saigapop.plotting import figure_to_png, plot_fan
from saigapop.report._quota_words import (
    _pop,
    _pops,
    _quota,
)
from saigapop.report.config import ReportConfig
from saigapop.report.contracts import Figure, Section, Table, ValueBook
from saigapop.report.formatting import format_value
from saigapop.report.i18n import _, gettext

__all__ = ["model_section", "projections_section", "status_section"]


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
