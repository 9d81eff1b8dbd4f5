"""Build the report payload: every section computed once from the inputs supplied."""

from __future__ import annotations

import dataclasses
from types import MappingProxyType
from typing import Any

from saigapop.model.diagnostics import FitSummary, summarise_fit
from saigapop.plotting import drawing_figures
from saigapop.registry.report import RegistrySection, registry_section
from saigapop.registry.validate import RegistryValidation
from saigapop.report.checklist_section import diagnostics_section
from saigapop.report.config import ReportConfig
from saigapop.report.contracts import ReportPayload, Section, ValueBook, content_hash
from saigapop.report.data_sections import (
    SaigaDataLike,
    census_section,
    composition_section,
    data_intro_section,
    die_off_section,
    removals_section,
)
from saigapop.report.i18n import _, use_language
from saigapop.report.registry_sections import registry_quota_kg
from saigapop.report.sections import MODEL_SECTIONS, render_section
from saigapop.report.standard_sections import (
    assumptions_section,
    collect_provenance,
    monitoring_section,
    provenance_section,
    references_section,
    summary_section,
    values_section,
)
from saigapop.validation.outcomes import checklist_passed, quota_recommendable

__all__ = ["build_payload"]

_DEFAULT_CONFIG = ReportConfig()
#: Sections after which the pending (model-dependent) sections are placed.
_BEFORE_MODEL = ("reference_case",)


def build_payload(
    data: SaigaDataLike,
    *,
    fit: Any = None,
    diagnostics: Any = None,
    quota: Any = None,
    trials: Any = None,
    validation: Any = None,
    registry: Any = None,
    config: ReportConfig = _DEFAULT_CONFIG,
) -> ReportPayload:
    """Compute the whole report once: sections, tables, figures, named values, provenance.

    Only ``data`` is required. Each optional input feeds the sections that need it; a section
    whose input is absent states plainly that it was not computed, and without a fit that
    passed its diagnostics no quota is recommended (the summary says so at the top).

    Parameters
    ----------
    data
        Validated data (:class:`saigapop.SaigaData`, e.g. from
        :func:`saigapop.load_kazakhstan`).
    fit
        What the report shows about the fit: a
        :class:`~saigapop.model.diagnostics.FitSummary` from
        :func:`~saigapop.model.diagnostics.summarise_fit`, or the fitted posterior
        ``DataTree`` itself, which is then summarised by that function before any section
        is built (the sections only lay the summary out).
    diagnostics
        Convergence diagnostics and acceptance checklist: any object or mapping with a boolean
        ``passed`` and optionally ``checks`` (a DataFrame, one row per check).
    quota
        :class:`~saigapop.management.outcomes.QuotaInputs` from
        :func:`~saigapop.management.analysis.prepare_quota` (the quota with its allocation of the
        CITES cap, triggers, PBR and projections), or a bare
        :class:`~saigapop.management.QuotaResult` (its derived sections then say they were
        not computed).
    trials
        :class:`~saigapop.management.outcomes.TrialInputs` (robustness trials and MSE).
    validation
        :class:`~saigapop.validation.outcomes.ValidationInputs` (acceptance checks, added to the
        checklist and gating the recommendation; quotas under alternative priors).
    registry
        The horn registry: a :class:`~saigapop.registry.validate.RegistryValidation` from
        :func:`saigapop.registry.validate_registry` (reconciled here once, by
        :func:`saigapop.registry.registry_section`, with the quota's export mass per year) or
        an already built :class:`~saigapop.registry.report.RegistrySection`; shown in the
        monitoring section.
    config
        Report settings (title, populations, seed, sampler settings, date, language).
        With ``language="ru"`` every reader-facing string is built in Russian; the numbers
        (``payload.values``), the report identifier and the bundle's tables are those of the
        English report, which is built alongside (without drawing its figures) and checked
        to hold the same values.

    Returns
    -------
    ReportPayload
        Frozen; exported by :func:`saigapop.report.write_report` and the exporters.

    Raises
    ------
    RuntimeError
        If a translated report's numbers differ from the English report's (a bug).

    Examples
    --------
    >>> import datetime as dt
    >>> import saigapop as sp
    >>> from saigapop.report import ReportConfig, build_payload
    >>> cfg = ReportConfig(date=dt.datetime(2026, 1, 15))
    >>> payload = build_payload(sp.load_kazakhstan(), config=cfg)
    >>> payload.quota_recommended
    False
    >>> payload.report_id.startswith("SGP-20260115-")
    True
    >>> payload.values["census.Ural.latest_count_animals"]
    2300000
    >>> ru = build_payload(sp.load_kazakhstan(), config=cfg.model_copy(update={"language": "ru"}))
    >>> ru.section("summary").title, ru.report_id == payload.report_id, ru.values == payload.values
    ('Резюме и рекомендуемые квоты', True, True)
    """
    if fit is not None and not isinstance(fit, FitSummary):
        fit = summarise_fit(fit)  # a raw fit is summarised once, at the door (model layer)
    if isinstance(registry, RegistryValidation):  # reconciled once, at the door (registry)
        registry = registry_section(registry, quota_kg=registry_quota_kg(quota))
    elif registry is not None and not isinstance(registry, RegistrySection):
        raise TypeError(
            "the horn registry must be a RegistryValidation (saigapop.registry."
            f"validate_registry) or a RegistrySection, got {type(registry).__name__}"
        )
    kwargs = {
        "fit": fit,
        "diagnostics": diagnostics,
        "quota": quota,
        "trials": trials,
        "validation": validation,
        "registry": registry,
    }
    with use_language(config.language):
        payload = _build(data, config=config, **kwargs)
    if config.language == "en":
        return payload
    # The English twin: its tables are the locale-neutral bundle, its content hash the
    # identifier, and its values must be the translated report's values exactly.
    with use_language("en"), drawing_figures(False):
        english = _build(data, config=config, **kwargs)
    if dict(english.values) != dict(payload.values):
        diff = sorted(k for k in english.values if english.values[k] != payload.values.get(k))
        raise RuntimeError(f"the {config.language} report's numbers differ from English: {diff}")
    return dataclasses.replace(
        payload,
        report_id=english.report_id,
        bundle_frames=MappingProxyType({t.name: t.frame for _, t in english.tables()}),
    )


def _build(
    data: SaigaDataLike,
    *,
    fit: Any,
    diagnostics: Any,
    quota: Any,
    trials: Any,
    validation: Any,
    registry: Any,
    config: ReportConfig,
) -> ReportPayload:
    if config.populations is not None:
        data = data.select(populations=list(config.populations))
    populations = tuple(data.populations)
    inputs = {
        "fit": fit,
        "diagnostics": diagnostics,
        "quota": quota,
        "trials": trials,
        "validation": validation,
        "registry": registry,
    }
    supplied = {name: value is not None for name, value in inputs.items()}
    passed = checklist_passed(diagnostics, validation)
    vb = ValueBook()

    body: list[Section] = []
    pending = {spec.key: spec for spec in MODEL_SECTIONS}
    body.append(render_section(pending.pop("reference_case"), inputs, vb, config, data=data))
    body += [
        data_intro_section(data, vb),
        census_section(data, vb, populations),
        removals_section(data, vb, populations),
        die_off_section(data, vb, populations),
        composition_section(data, vb, populations),
    ]
    body.append(render_section(pending.pop("model"), inputs, vb, config, data=data))
    body.append(diagnostics_section(diagnostics, vb, validation))
    body += [render_section(spec, inputs, vb, config, data=data) for spec in pending.values()]
    body += [
        assumptions_section(data, vb),
        monitoring_section(vb, registry_supplied=registry is not None),
        references_section(data, vb),
    ]
    # A quota is recommended only from a quota solution on a fit that passed its checks.
    quota_recommended = quota_recommendable(fit=fit, quota=quota, passed=passed)
    summary = summary_section(
        populations=populations,
        country=_(config.country),
        vb=vb,
        quota_recommended=quota_recommended,
        diagnostics_passed=passed,
        computed_inputs=supplied,
        quota=quota,
        config=config,
    )
    alerts = _alerts(supplied, passed)

    date = config.resolved_date()
    provenance = collect_provenance(
        data_hash=data.data_hash,
        seed=config.seed,
        sampler=config.sampler,
        created=date.isoformat(),
        inputs=supplied,
    )
    sections = (summary, *body, provenance_section(provenance), values_section(vb))
    values = MappingProxyType(dict(vb.values))
    digest = content_hash(sections, values, provenance)
    return ReportPayload(
        title=_(config.title),
        subtitle=_(config.subtitle),
        institution=config.institution,
        language=config.language,
        report_id=f"SGP-{date:%Y%m%d}-{digest[:8]}",
        sections=sections,
        values=values,
        value_meanings=MappingProxyType(dict(vb.meanings)),
        provenance=provenance,
        alerts=alerts,
        quota_recommended=quota_recommended,
        diagnostics_passed=passed,
    )


def _alerts(supplied: dict[str, bool], passed: bool | None) -> tuple[str, ...]:
    alerts = []
    if passed is False:
        alerts.append(
            _(
                "The model fit FAILED its diagnostics or acceptance checklist. No quota is "
                "recommended from it."
            )
        )
    if not supplied["fit"]:
        alerts.append(
            _(
                "No quota is recommended: this report was built without a model fit. It "
                "presents the data only; the model, projection, risk and quota sections were "
                "not computed."
            )
        )
    elif not supplied["quota"]:
        alerts.append(_("No quota is recommended: no quota solution was supplied."))
    return tuple(alerts)
