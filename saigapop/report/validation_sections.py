"""Sensitivity of the quota to the priors: tornado chart, reweighting diagnostics, power scaling.

Registered in :data:`saigapop.report.sections.BUILDERS` under ``"sensitivity"`` (it replaces
the first draft in :mod:`saigapop.report.model_sections`). Reads
:class:`~saigapop.validation.outcomes.ValidationInputs`: ``alternatives`` (the quota per
population under each alternative prior, from
:func:`~saigapop.validation.reweighting.reweighted_alternative_quotas` or
:func:`saigapop.validation.run_alternative_priors`), ``method`` (``"reweighted"`` or
``"refit"``) and ``power_scaling`` (:func:`saigapop.validation.prior_sensitivity` table).
The validation *checks* go to the acceptance checklist
(:func:`saigapop.report.checklist_section.diagnostics_section`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from saigapop.plotting import figure_to_png
from saigapop.plotting.sensitivity import plot_quota_tornado
from saigapop.report.config import ReportConfig
from saigapop.report.contracts import Figure, Section, Table, ValueBook
from saigapop.report.i18n import _
from saigapop.report.prose import join_words
from saigapop.report.vocabulary import population_name
from saigapop.validation.outcomes import ValidationInputs

__all__ = ["alternatives_table", "parameter_words", "sensitivity_section"]


def parameter_words() -> dict[str, str]:
    """Plain words for the priors varied in the tornado chart (in the active language)."""
    return {
        "obs_cv": _("Census observation CV"),
        "survival_adult_male": _("Adult male survival"),
        "harem_size": _("Harem size (females per male)"),
        "mating_half_share": _("Mating collapse point (male share of breeders)"),
        "pasteurellosis_rate": _("Catastrophe (die-off) rate"),
    }


def _alternative_words(label: str) -> str:
    return {"low": _("low"), "high": _("high")}.get(str(label), str(label))


def _diagnosis_words(text: str) -> str:
    return {
        "prior-data conflict": _("prior and data both matter"),
        "prior decides (weak likelihood)": _("the prior decides"),
        "data dominate": _("the data dominate"),
    }.get(str(text), str(text))


def _ordered(alt: pd.DataFrame) -> pd.DataFrame:
    """Largest swing first within each population (the tornado order)."""
    alt = alt.copy()
    lo = alt.groupby(["population", "parameter"])["value"].transform("min")
    hi = alt.groupby(["population", "parameter"])["value"].transform("max")
    ref = alt["reference"]
    alt["_swing"] = np.fmax(hi, ref) - np.fmin(lo, ref)
    pops = list(dict.fromkeys(alt["population"]))
    alt["_pop"] = alt["population"].map({p: i for i, p in enumerate(pops)})
    alt = alt.sort_values(["_pop", "_swing"], ascending=[True, False], kind="stable")
    return alt.drop(columns=["_swing", "_pop"]).reset_index(drop=True)


def alternatives_table(alt: pd.DataFrame) -> pd.DataFrame:
    """Tabulate the quota under each alternative prior for the report (units in headers).

    Parameters
    ----------
    alt
        Tidy table: ``parameter``, ``alternative``, ``population``, ``value``,
        ``reference`` and optionally ``prior``, ``khat``, ``ess``, ``reliable``.

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> t = pd.DataFrame({"parameter": "harem_size", "alternative": ["low", "high"],
    ...                   "population": "Ural", "value": [900.0, 1100.0],
    ...                   "reference": 1000.0})
    >>> alternatives_table(t)["Change from the reference (%)"].tolist()
    [-10.0, 10.0]
    """
    words = parameter_words()
    out = pd.DataFrame(
        {
            _("Population"): alt["population"].astype(str),
            _("Prior varied"): [words.get(p, p) for p in alt["parameter"]],
            _("Alternative"): [_alternative_words(a) for a in alt["alternative"]],
        }
    )
    if "prior" in alt:
        out[_("Alternative prior")] = alt["prior"].astype(str)
    out[_("Quota (adult males a year)")] = alt["value"].astype(float).round(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        change = 100.0 * (alt["value"] - alt["reference"]) / alt["reference"]
    out.insert(len(out.columns), _("Change from the reference (%)"), change.astype(float).round(1))
    out[_("Reference quota (adult males a year)")] = alt["reference"].astype(float).round(0)
    if "khat" in alt:
        k = alt["khat"].astype(float)
        out[_("Pareto k̂")] = np.where(np.isfinite(k), k, np.nan).round(2)
    if "ess" in alt:
        out[_("ESS (draws)")] = alt["ess"].astype(float).round(0)
    if "reliable" in alt:
        out[_("Reliable")] = alt["reliable"].astype(bool)
    return out


def _planning_paragraph(planning: pd.DataFrame, vb: ValueBook) -> str:
    """One sentence: the quota with planning-estimate census figures treated the other way.

    Reads :func:`saigapop.validation.planning.planning_alternative_quotas`.
    """
    quotas, references = [], []
    meanings = {
        "": _("{pop}: quota with the planning-estimate figures treated the other way"),
        ".reference": _("{pop}: quota of the fit, fitted operating model"),
    }
    for r in planning.itertuples():
        pop = population_name(r.population)
        for suffix, value, out in (("", r.value, quotas), (".reference", r.reference, references)):
            text = vb.add(
                f"sensitivity.planning.{r.population}{suffix}",
                round(float(value)),
                meanings[suffix].format(pop=pop),
            )
            out.append(f"{pop} {text}")
    figures = []
    for r in planning[np.isfinite(planning["flagged_value"].astype(float))].itertuples():
        y = vb.add(
            f"sensitivity.planning.{r.population}.year",
            int(r.flagged_year),
            _("{pop}: year of the census figure equal to a planning estimate").format(
                pop=population_name(r.population)
            ),
        )
        n = vb.add(
            f"sensitivity.planning.{r.population}.figure",
            float(r.flagged_value),
            _("{pop}: census figure equal to a planning estimate (animals)").format(
                pop=population_name(r.population)
            ),
        )
        figures.append(f"{population_name(r.population)} {y} ({n})")
    first = planning.iloc[0]
    k = vb.add(
        "sensitivity.planning.khat",
        round(float(first["khat"]), 2) if np.isfinite(first["khat"]) else 0.0,
        _("Pareto k̂ of the planning-estimate reweighting"),
    )
    ess = vb.add(
        "sensitivity.planning.ess",
        round(float(first["ess"])),
        _("effective sample size of the planning-estimate reweighting"),
    )
    fields = {
        "rows": join_words(figures),
        "quotas": join_words(quotas),
        "references": join_words(references),
        "khat": k,
        "ess": ess,
    }
    if first["treatment"] == "count":
        text = _(
            "Census figures {rows} equal the ministry's planning estimate; they are left out "
            "of the fit (the default). With them as counts the quota in the fitted operating "
            "model would be {quotas} adult males a year, against {references} without them "
            "(PSIS reweighting, k̂ {khat}, ESS {ess})."
        )
    else:
        text = _(
            "Census figures {rows} equal the ministry's planning estimate; this fit uses them "
            "as counts (not the default). Left out, the quota in the fitted operating model "
            "would be {quotas} adult males a year, against {references} with them (PSIS "
            "reweighting, k̂ {khat}, ESS {ess})."
        )
    out = text.format(**fields)
    if not bool(first["reliable"]):
        out += " " + _("k̂ is above 0.7: these quotas need a refit and are not results.")
    return out


def sensitivity_section(inputs: Mapping[str, Any], vb: ValueBook, config: ReportConfig) -> Section:
    """Build the sensitivity section: tornado chart, its table, power-scaling sensitivity.

    Examples
    --------
    >>> t = pd.DataFrame({"parameter": "harem_size", "alternative": ["low", "high"],
    ...                   "population": "Ural", "value": [900.0, 1100.0],
    ...                   "reference": 1000.0, "khat": [0.2, 0.9],
    ...                   "reliable": [True, False]})
    >>> vb = ValueBook()
    >>> s = sensitivity_section({"validation": ValidationInputs(alternatives=t,
    ...                          method="reweighted")}, vb, ReportConfig())
    >>> vb.values["sensitivity.unreliable_count"], s.figures[0].name
    (1, 'tornado')
    """
    v = inputs["validation"]
    title = _("Sensitivity of the quota to the priors")
    alt = v.alternatives if isinstance(v, ValidationInputs) else None
    method = v.method if isinstance(v, ValidationInputs) else ""
    paragraphs: list[str] = []
    figures: list[Figure] = []
    tables: list[Table] = []
    if alt is None or len(alt) == 0:
        paragraphs.append(
            _(
                "Not computed: no quotas under alternative priors were supplied. When "
                "computed this section shows a tornado chart of the quota across alternative "
                "priors."
            )
        )
    else:
        alt = _ordered(alt)
        words = parameter_words()
        if method == "refit":
            paragraphs.append(
                _("The quota under each alternative prior comes from a refit of the model.")
            )
        else:
            paragraphs.append(
                _(
                    "The model was not refitted for this section. Each alternative prior "
                    "changes one prior; the posterior draws were importance-weighted by the "
                    "ratio of the alternative to the fitted prior density, smoothed by "
                    "Pareto-smoothed importance sampling (PSIS), resampled in proportion to "
                    "the weights, and the quota was solved again on them with the same "
                    "criteria. The Pareto k̂ of each reweighting says whether this is "
                    "trustworthy: above 0.7 the alternative posterior is too far from the "
                    "fitted one, and its quota needs a refit."
                )
            )
        paragraphs.append(
            _(
                "Every quota here, the reference included, is solved in the fitted operating "
                "model alone. The recommended quota can be lower: it is the smallest over the "
                "reference trials (section on robustness trials)."
            )
        )
        shown = alt[np.isfinite(alt["value"].astype(float))]
        if "reliable" in alt:
            bad = alt.loc[~alt["reliable"].astype(bool)]
            bad_names = sorted(
                {
                    f"{words.get(p, p)} ({_alternative_words(a)})"
                    for p, a in zip(bad["parameter"], bad["alternative"], strict=True)
                }
            )
            nu = vb.add(
                "sensitivity.unreliable_count",
                len(bad_names),
                _("alternative priors whose reweighting is unreliable (k̂ > 0.7)"),
            )
            paragraphs.append(
                _(
                    "Unreliable reweighting (k̂ above 0.7), {n} of {total} alternatives: "
                    "{names}. Their quotas are drawn grey and hatched and must not be read as "
                    "results."
                ).format(
                    n=nu,
                    total=len(alt.groupby(["parameter", "alternative"])),
                    names=join_words(bad_names),
                )
                if bad_names
                else _("Every reweighting is reliable (k̂ at most 0.7).")
            )
        rel = shown[shown["reliable"].astype(bool)] if "reliable" in shown else shown
        for pop, t in rel.groupby("population", sort=False):
            t = t.assign(
                swing=t.groupby("parameter")["value"].transform(lambda s: float(s.max() - s.min()))
            )
            top = t.sort_values("swing", ascending=False).iloc[0]
            lo = float(t.loc[t["parameter"] == top["parameter"], "value"].min())
            hi = float(t.loc[t["parameter"] == top["parameter"], "value"].max())
            a = vb.add(
                f"sensitivity.{pop}.largest_low",
                lo,
                _(
                    "{pop}: lowest quota under the most influential reliable alternative prior"
                ).format(pop=population_name(pop)),
            )
            b = vb.add(
                f"sensitivity.{pop}.largest_high",
                hi,
                _(
                    "{pop}: highest quota under the most influential reliable alternative prior"
                ).format(pop=population_name(pop)),
            )
            r = vb.add(
                f"sensitivity.{pop}.reference",
                float(top["reference"]),
                _("{pop}: reference quota, adult males a year").format(pop=population_name(pop)),
            )
            paragraphs.append(
                _(
                    "{population}: among the reliable reweightings, the quota moves most with "
                    "the prior on {parameter}: from {low} to {high} adult males a year "
                    "(reference {reference})."
                ).format(
                    population=population_name(pop),
                    parameter=words.get(top["parameter"], top["parameter"]).lower(),
                    low=a,
                    high=b,
                    reference=r,
                )
            )
        fig = plot_quota_tornado(
            table=shown.assign(alternative=[_alternative_words(a) for a in shown["alternative"]]),
            labels=words,
            unit=_("adult males a year"),
            texts={
                "quota": _("Quota"),
                "below": _("below the reference"),
                "above": _("above the reference"),
                "unreliable": _("unreliable reweighting (k̂ > 0.7)"),
            },
        )
        figures.append(
            Figure(
                "tornado",
                _("Tornado chart of the quota across alternative priors"),
                figure_to_png(fig),
                caption=_(
                    "Quota under each alternative prior (bar end, labelled low or high) "
                    "against the reference quota (vertical line), one panel per population."
                ),
                alt=_("Tornado chart of the quota under alternative priors."),
            )
        )
        plt.close(fig)
        tables.append(
            Table(
                "tornado",
                _("Quota across alternative priors"),
                alternatives_table(alt),
                caption=_(
                    "One row per population and alternative prior. Pareto k̂ and the "
                    "effective sample size (ESS) of the importance weights; k̂ above 0.7 is "
                    "unreliable."
                ),
            )
        )
    planning = v.planning if isinstance(v, ValidationInputs) else None
    if planning is not None and len(planning):
        paragraphs.append(_planning_paragraph(planning, vb))
    ps = v.power_scaling if isinstance(v, ValidationInputs) else None
    if ps is not None and len(ps):
        top = ps.head(12)
        frame = pd.DataFrame(
            {
                _("Parameter"): top["parameter"].astype(str),
                _("Element"): top["element"].astype(str),
                _("Prior sensitivity"): top["prior"].astype(float).round(3),
                _("Likelihood sensitivity"): top["likelihood"].astype(float).round(3),
                _("Reading"): [_diagnosis_words(d) for d in top["diagnosis"]],
            }
        )
        driven = sorted(
            set(ps.loc[ps["diagnosis"] == "prior decides (weak likelihood)", "parameter"])
        )
        nd = vb.add(
            "sensitivity.prior_decides_count",
            len(driven),
            _("parameters whose posterior the prior decides (power scaling)"),
        )
        paragraphs.append(
            _(
                "Power-scaling sensitivity (Kallioinen et al. 2024) measures, without "
                "refitting, how much each marginal posterior moves when the prior or the "
                "likelihood is raised to a power near 1; 0.05 is the conventional threshold. "
                "The prior decides {n} parameters: {names}. What the report derives from them "
                "rests on their priors, not on the data."
            ).format(n=nd, names=join_words(driven) if driven else _("none"))
        )
        tables.append(
            Table(
                "power_scaling",
                _("Power-scaling sensitivity: the most prior-sensitive parameters"),
                frame,
                caption=_(
                    "Cumulative Jensen-Shannon distance derivative (dimensionless); at least "
                    "0.05 counts as sensitive. Both at least 0.05: prior and data both matter "
                    "(possible prior-data conflict)."
                ),
            )
        )
    computed = bool(tables or figures)
    return Section(
        "sensitivity",
        title,
        tuple(paragraphs),
        figures=tuple(figures),
        tables=tuple(tables),
        computed=computed,
    )
