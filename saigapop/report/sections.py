"""The report's sections that present results computed elsewhere, and their builders.

Each :class:`SectionSpec` names the inputs of :func:`saigapop.report.build_payload` it
needs. While an input is absent the section says plainly that it was not computed (nothing
is faked); otherwise its builder (:data:`BUILDERS`) lays out the results it was handed. The
results are computed by :mod:`saigapop.management.analysis`, :mod:`saigapop.validation`
and :mod:`saigapop.registry`; no builder computes a projection.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from saigapop.report.config import ReportConfig
from saigapop.report.contracts import Section, ValueBook
from saigapop.report.i18n import N_, _, ngettext
from saigapop.report.model_sections import MODEL_BUILDERS
from saigapop.report.prose import join_words
from saigapop.report.registry_sections import registry_report_section
from saigapop.report.robustness_sections import robustness_section
from saigapop.report.validation_sections import sensitivity_section

__all__ = ["BUILDERS", "INPUTS", "MODEL_SECTIONS", "SectionSpec", "render_section"]

#: The optional inputs of :func:`saigapop.report.build_payload`, with what supplies them.
INPUTS: dict[str, str] = {
    "fit": N_("a fitted posterior DataTree (saigapop.model)"),
    "diagnostics": N_("convergence diagnostics and the acceptance checklist (saigapop.model)"),
    "quota": N_("the quota solution with its risk tables (saigapop.management)"),
    "trials": N_("robustness trials and the management strategy evaluation (saigapop.management)"),
    "validation": N_("prior sensitivity, recovery and hindcasts (saigapop.validation)"),
    "registry": N_("the horn registry reconciliation (saigapop.registry)"),
}


@dataclass(frozen=True, slots=True)
class SectionSpec:
    """A report section that presents results of the model, validation, management or registry.

    Parameters
    ----------
    key, title
        As in :class:`~saigapop.report.contracts.Section`.
    needs
        Names of the inputs it needs (keys of :data:`INPUTS`).
    shows
        What the section will show, in one sentence (printed while it is not computed).
    """

    key: str
    title: str
    needs: tuple[str, ...]
    shows: str


MODEL_SECTIONS: tuple[SectionSpec, ...] = (
    SectionSpec(
        "reference_case",
        N_("Reference case by population"),
        ("fit", "quota"),
        N_(
            "abundance (5, 50 and 95 % quantiles), growth, adult sex ratio with prior-driven "
            "flags, risks at zero export and added at the quota, the quota by operating model, "
            "the binding criterion, total human offtake against PBR and the share of adult "
            "males taken",
        ),
    ),
    SectionSpec(
        "model",
        N_("Model and priors"),
        ("fit",),
        N_(
            "the annual cycle, every prior with its rationale and citation, and a prior-versus-"
            "posterior comparison that marks what rests on priors",
        ),
    ),
    SectionSpec(
        "status",
        N_("Status and trends by population, sex and age"),
        ("fit",),
        N_(
            "posterior abundance by population, sex and age class with 90 % intervals, "
            "prior-driven quantities labelled",
        ),
    ),
    SectionSpec(
        "projections",
        N_("Projections"),
        ("fit", "quota"),
        N_(
            "fan charts of true abundance and adult sex ratio under the quota and under no export",
        ),
    ),
    SectionSpec(
        "risk",
        N_("Risk and decision tables"),
        ("quota",),
        N_(
            "absolute and added risks for each candidate quota against every criterion, with Monte "
            "Carlo errors",
        ),
    ),
    SectionSpec(
        "programme",
        N_("The whole programme: culls and export against no offtake"),
        ("fit", "quota"),
        N_(
            "the largest constant annual removal of adult males per population and nationally, "
            "culls and export together against no offtake, and its plannable part",
        ),
    ),
    SectionSpec(
        "precautions",
        N_("What each precaution costs in the quota"),
        ("fit", "quota"),
        N_(
            "the quota with each precaution (a reference trial, P*, the sex-ratio floor, "
            "wounding, trade-linked poaching) removed one at a time and cumulatively",
        ),
    ),
    SectionSpec(
        "robustness",
        N_("Robustness trials and management strategy evaluation"),
        ("trials",),
        N_(
            "the quota in every reference operating model and robustness trial, and the "
            "closed-loop evaluation of the procedure",
        ),
    ),
    SectionSpec(
        "sensitivity",
        N_("Sensitivity of the quota to the priors"),
        ("validation",),
        N_(
            "a tornado chart of the quota across alternative priors",
        ),
    ),
    SectionSpec(
        "pbr",
        N_("Potential biological removal (cross-check)"),
        ("fit", "quota"),
        N_(
            "PBR on total human-caused mortality and on its male component, against the quota",
        ),
    ),
    SectionSpec(
        "triggers",
        N_("Triggers that suspend the quota"),
        ("quota",),
        N_(
            "the die-off, census and sex-ratio levels that suspend the following autumn's take",
        ),
    ),
    SectionSpec(
        "registry",
        N_("Monitoring and traceability: the horn registry"),
        ("registry",),
        N_(
            "every marked horn checked against the removals of its population and year, "
            "exports against the quota and the CITES cap, and the stock in storage (supply a "
            "registry with saigapop report --registry FILE; the bundled data include none)"
        ),
    ),
)

#: ``builder(inputs, vb, config) -> Section``: ``inputs`` maps the names of :data:`INPUTS`
#: to the objects supplied; numbers quoted in prose must be registered in ``vb``.
Builder = Callable[[Mapping[str, Any], ValueBook, ReportConfig], Section]
#: The builder of each section of :data:`MODEL_SECTIONS`, by key.
BUILDERS: dict[str, Builder] = {
    **MODEL_BUILDERS,
    "robustness": robustness_section,
    "sensitivity": sensitivity_section,
    "registry": registry_report_section,
}


def render_section(
    spec: SectionSpec,
    inputs: Mapping[str, Any],
    vb: ValueBook,
    config: ReportConfig,
    *,
    data: Any = None,
) -> Section:
    """Build ``spec`` from ``inputs``, or a plain 'not computed' section if an input is absent.

    ``data`` (the validated data) is passed to the builder as ``inputs["data"]``.
    """
    missing = [name for name in spec.needs if inputs.get(name) is None]
    if not missing:
        return BUILDERS[spec.key]({**inputs, "data": data}, vb, config)
    what = join_words([_(INPUTS[name]) for name in missing])
    text = ngettext(
        "Not computed. This section needs {what}, which was not supplied to this report. "
        "When computed it shows {shows}.",
        "Not computed. This section needs {what}, which were not supplied to this report. "
        "When computed it shows {shows}.",
        len(missing),
    ).format(what=what, shows=_(spec.shows))
    return Section(spec.key, _(spec.title), (text,), computed=False)
