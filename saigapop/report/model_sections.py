"""The registry of the model-dependent section builders, and their public names.

The builders live by section group: :mod:`~saigapop.report.quota_sections` (the summary's
quota prose, the reference case), :mod:`~saigapop.report.fit_sections` (model and priors,
status, projections), :mod:`~saigapop.report.risk_sections` (risk, PBR, triggers) and
:mod:`~saigapop.report.programme_sections` (the whole programme) and
:mod:`~saigapop.report.precaution_sections` (what each precaution costs), with
their shared words in :mod:`~saigapop.report._quota_words`. :data:`MODEL_BUILDERS` registers
them in :data:`saigapop.report.sections.BUILDERS`. Each builder only lays out what
:mod:`saigapop.management.analysis` and :func:`saigapop.model.diagnostics.summarise_fit`
computed.
"""

from __future__ import annotations

from saigapop.management.criteria import CRITERION_WORDS
from saigapop.report.checklist_section import acceptance_checks
from saigapop.report.fit_sections import model_section, projections_section, status_section
from saigapop.report.precaution_sections import precautions_section
from saigapop.report.programme_sections import programme_section
from saigapop.report.quota_sections import quota_summary, reference_case_section
from saigapop.report.risk_sections import pbr_section, risk_section, triggers_section

__all__ = [
    "CRITERION_WORDS",
    "MODEL_BUILDERS",
    "acceptance_checks",
    "model_section",
    "pbr_section",
    "precautions_section",
    "programme_section",
    "projections_section",
    "quota_summary",
    "reference_case_section",
    "risk_section",
    "status_section",
    "triggers_section",
]

MODEL_BUILDERS = {
    "reference_case": reference_case_section,
    "model": model_section,
    "status": status_section,
    "projections": projections_section,
    "risk": risk_section,
    "programme": programme_section,
    "precautions": precautions_section,
    "pbr": pbr_section,
    "triggers": triggers_section,
}
