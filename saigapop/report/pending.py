"""Sections whose inputs come from the model, validation, management and registry modules.

THIS IS THE ONE PLACE WHERE MODEL RESULTS PLUG INTO THE REPORT. Each :class:`PendingSection`
names the inputs it needs. While an input is absent the section says plainly that it was not
computed (nothing is faked). When the model, quota and trial results land, write a builder
``(inputs, vb, config) -> Section`` for each spec and register it in :data:`BUILDERS`; until
then, supplying such an input raises :class:`NotImplementedError` rather than silently
dropping it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from saigapop.report.config import ReportConfig
from saigapop.report.contracts import Section, Table, ValueBook
from saigapop.report.i18n import N_, _, ngettext
from saigapop.report.prose import join_words

__all__ = [
    "BUILDERS",
    "INPUTS",
    "PENDING_SECTIONS",
    "PendingSection",
    "check_renderable",
    "checklist_passed",
    "diagnostics_passed",
    "diagnostics_section",
    "render_pending",
]

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
class PendingSection:
    """A report section that needs results from other modules.

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


PENDING_SECTIONS: tuple[PendingSection, ...] = (
    PendingSection(
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
    PendingSection(
        "model",
        N_("Model and priors"),
        ("fit",),
        N_(
            "the annual cycle, every prior with its rationale and citation, and a prior-versus-"
            "posterior comparison that marks what rests on priors",
        ),
    ),
    PendingSection(
        "status",
        N_("Status and trends by population, sex and age"),
        ("fit",),
        N_(
            "posterior abundance by population, sex and age class with 90 % intervals, "
            "prior-driven quantities labelled",
        ),
    ),
    PendingSection(
        "projections",
        N_("Projections"),
        ("fit", "quota"),
        N_(
            "fan charts of true abundance and adult sex ratio under the quota and under no export",
        ),
    ),
    PendingSection(
        "risk",
        N_("Risk and decision tables"),
        ("quota",),
        N_(
            "absolute and added risks for each candidate quota against every criterion, with Monte "
            "Carlo errors",
        ),
    ),
    PendingSection(
        "robustness",
        N_("Robustness trials and management strategy evaluation"),
        ("trials",),
        N_(
            "the quota in every reference operating model and robustness trial, and the "
            "closed-loop evaluation of the procedure",
        ),
    ),
    PendingSection(
        "sensitivity",
        N_("Sensitivity of the quota to the priors"),
        ("validation",),
        N_(
            "a tornado chart of the quota across alternative priors",
        ),
    ),
    PendingSection(
        "pbr",
        N_("Potential biological removal (cross-check)"),
        ("fit", "quota"),
        N_(
            "PBR on total human-caused mortality and on its male component, against the quota",
        ),
    ),
    PendingSection(
        "triggers",
        N_("Triggers that suspend the quota"),
        ("quota",),
        N_(
            "the die-off, census and sex-ratio levels that suspend the following autumn's take",
        ),
    ),
    PendingSection(
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
Builder = Callable[[Mapping[str, Any], ValueBook, "ReportConfig"], Section]
#: Builders of pending sections, by key (see :mod:`saigapop.report.model_sections`).
BUILDERS: dict[str, Builder] = {}


def _register_model_builders() -> None:
    from saigapop.report.model_sections import MODEL_BUILDERS
    from saigapop.report.registry_sections import registry_report_section
    from saigapop.report.robustness_sections import robustness_section
    from saigapop.report.validation_sections import sensitivity_section

    BUILDERS.update(MODEL_BUILDERS)
    BUILDERS["robustness"] = robustness_section
    BUILDERS["sensitivity"] = sensitivity_section
    BUILDERS["registry"] = registry_report_section


def check_renderable(inputs: Mapping[str, Any]) -> None:
    """Fail before any work if a supplied input feeds a section with no builder yet.

    Raises
    ------
    NotImplementedError
        Naming the sections that cannot be rendered.
    """
    blocked = [
        spec.key
        for spec in PENDING_SECTIONS
        if all(inputs.get(name) is not None for name in spec.needs) and spec.key not in BUILDERS
    ]
    unused = [
        name
        for name, value in inputs.items()
        if value is not None
        and name != "diagnostics"
        and not any(name in spec.needs for spec in PENDING_SECTIONS if spec.key in BUILDERS)
    ]
    if blocked or unused:
        raise NotImplementedError(
            f"the report cannot render the supplied input(s) {sorted(unused)} yet (sections "
            f"{blocked} have no builder): register builders in "
            "saigapop.report.pending.BUILDERS; a supplied result is never silently dropped"
        )


def render_pending(
    spec: PendingSection,
    inputs: Mapping[str, Any],
    vb: ValueBook,
    config: ReportConfig,
    *,
    data: Any = None,
) -> Section:
    """Build ``spec`` from ``inputs``, or a plain 'not computed' section if an input is absent.

    Raises
    ------
    NotImplementedError
        If every input is supplied but no builder is registered yet: a supplied result is
        never silently left out of a report. ``data`` (the validated data) is passed to the
    builder as ``inputs["data"]``.
    """
    missing = [name for name in spec.needs if inputs.get(name) is None]
    if not missing:
        if spec.key not in BUILDERS:
            raise NotImplementedError(
                f"the report cannot render section {spec.key!r} yet: register a builder in "
                "saigapop.report.pending.BUILDERS"
            )
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


# --- diagnostics: the gate is the report's job, whatever the fit is ------------------------


def diagnostics_passed(diagnostics: Any) -> bool | None:
    """Whether the fit passed its diagnostics and acceptance checklist.

    ``diagnostics`` is any object (or mapping) with a boolean ``passed``; ``None`` means no
    diagnostics were supplied.

    Examples
    --------
    >>> diagnostics_passed(None), diagnostics_passed({"passed": False})
    (None, False)
    """
    if diagnostics is None:
        return None
    value = (
        diagnostics.get("passed")
        if isinstance(diagnostics, Mapping)
        else getattr(diagnostics, "passed", None)
    )
    if not isinstance(value, bool):
        raise TypeError("diagnostics must carry a boolean 'passed' (attribute or key)")
    return value


def diagnostics_section(diagnostics: Any, vb: ValueBook, validation: Any = None) -> Section:
    """Build the acceptance checklist, or a 'not computed' section.

    ``diagnostics`` is a :class:`saigapop.model.diagnostics.ConvergenceResult` (R-hat, ESS,
    divergences and E-BFMI become checklist rows) or any object or mapping with ``passed``
    (bool) and optionally ``checks``: a DataFrame with one row per check (columns such as
    ``Check``, ``Value``, ``Threshold``, ``Passed``). Validation checks
    (:class:`~saigapop.report.inputs.ValidationInputs`) are appended.
    """
    from saigapop.report.model_sections import acceptance_checks

    title = _("Diagnostics and acceptance checklist")
    passed = diagnostics_passed(diagnostics)
    if passed is None:
        return Section(
            "diagnostics",
            title,
            (
                _(
                    "Not computed. This section needs convergence diagnostics and the "
                    "acceptance checklist of a model fit, which were not supplied to this "
                    "report. When computed it shows each check (R-hat, effective sample size, "
                    "divergences, energy, posterior predictive checks) with its threshold and "
                    "pass or fail."
                ),
            ),
            computed=False,
        )
    checks = acceptance_checks(diagnostics, validation)
    tables: tuple[Table, ...] = ()
    n_failed = n_checks = None
    n_advisory = 0
    if isinstance(checks, pd.DataFrame) and not checks.empty:
        tables = (
            Table(
                "acceptance_checklist",
                _("Acceptance checklist"),
                checks,
                caption=_("One row per check, with its threshold and result."),
            ),
        )
        passed_col = next((c for c in checks.columns if str(c).lower() == "passed"), None)
        if passed_col is not None:
            fails = ~checks[passed_col].astype(bool)
            gating = (
                checks["Gates the quota"].astype(bool)
                if "Gates the quota" in checks
                else pd.Series(True, index=checks.index)
            )
            failed = int((fails & gating).sum())
            n_failed = vb.add("diagnostics.failed_checks", failed, _("failed acceptance checks"))
            n_checks = vb.add("diagnostics.checks", len(checks), _("acceptance checks"))
            n_advisory = int((fails & ~gating).sum())
            if n_advisory:
                vb.add(
                    "diagnostics.failed_advisory_checks",
                    n_advisory,
                    _("failed checks that do not gate the quota"),
                )
            passed = passed and failed == 0
    if passed and n_advisory:
        text = _(
            "The fit passed its diagnostics and every acceptance check that gates the quota. "
            "{n} check(s) that do not gate the quota failed; they are shown in the table and "
            "explained in the user guide."
        ).format(n=n_advisory)
    elif passed:
        text = _("The fit passed its diagnostics and every acceptance check.")
    elif n_failed is not None:
        text = _(
            "The fit FAILED its diagnostics ({failed} of {checks} checks failed). No quota is "
            "recommended from it."
        ).format(failed=n_failed, checks=n_checks)
    else:
        text = _("The fit FAILED its diagnostics. No quota is recommended from it.")
    paragraphs = (text,)
    evidence = getattr(validation, "evidence", None)
    if evidence is not None and len(evidence.checks):
        extra, table = _evidence_provenance(evidence)
        paragraphs += extra
        tables += (table,)
    return Section("diagnostics", title, paragraphs, tables=tables)


def _evidence_provenance(evidence: Any) -> tuple[tuple[str, ...], Table]:
    """Say where the slow-tier checks come from, and whether they used this report's data."""
    rec = evidence.records
    dates = sorted(set(rec["created"]))
    text = [
        _(
            "The last {n} rows of the checklist come from the slow validation tier (simulation-"
            "based calibration, recovery, retrospectives, hindcasts, leave-one-out refits), "
            "read from {file}. They were computed on {dates}, not in this run, and are "
            "reported without gating the quota; the table below says how to reproduce each."
        ).format(n=len(rec), file=evidence.path.name, dates=join_words(dates))
    ]
    other = rec.loc[rec["same_data"] == False, "name"].tolist()  # noqa: E712 (None = unknown)
    if other:
        text.append(
            _(
                "Computed on data other than this report's (a different data hash): {names}. "
                "Read them as evidence about the model, not about these data."
            ).format(names=join_words([_(n) for n in other]))
        )
    frame = pd.DataFrame(
        {
            "Check": [_(n) for n in rec["name"]],
            "Computed on": rec["created"],
            "saigapop version": rec["version"],
            "Same data as this report": [
                "" if v is None else _("yes") if v else _("no") for v in rec["same_data"]
            ],
            "Source": rec["source"],
        }
    )
    caption = _("Where the slow-tier checks come from.")
    return tuple(text), Table("validation_evidence", _("Validation evidence"), frame, caption)


def checklist_passed(diagnostics: Any, validation: Any = None) -> bool | None:
    """Whether the diagnostics and every gating acceptance check (validation included) passed.

    Checks marked ``Gates the quota = False`` (PSIS-LOO's Pareto k̂) are shown with their
    result but do not withhold the quota. ``None`` without diagnostics.
    """
    from saigapop.report.model_sections import acceptance_checks

    passed = diagnostics_passed(diagnostics)
    if passed is None:
        return None
    checks = acceptance_checks(diagnostics, validation)
    if isinstance(checks, pd.DataFrame) and "Passed" in checks and len(checks):
        gating = (
            checks["Gates the quota"].astype(bool)
            if "Gates the quota" in checks
            else pd.Series(True, index=checks.index)
        )
        passed = passed and bool(checks["Passed"].astype(bool)[gating].all())
    return passed


_register_model_builders()
