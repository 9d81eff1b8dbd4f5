"""The diagnostics and acceptance-checklist section: the checks laid out, not computed.

The checklist rows come from :func:`saigapop.validation.outcomes.acceptance_table` (raw
values; names and sentences as :class:`~saigapop.locale.messages.Message` objects);
:func:`acceptance_checks` renders them in the report's language with its number formats.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from saigapop.locale.messages import Message, Term
from saigapop.report.contracts import Section, Table, ValueBook
from saigapop.report.formatting import format_value
from saigapop.report.i18n import _
from saigapop.report.prose import join_words
from saigapop.validation.outcomes import acceptance_table, diagnostics_passed

__all__ = ["acceptance_checks", "diagnostics_section"]


def _text(value: Any) -> Any:
    """Return a checklist cell in the report language (messages rendered, names looked up)."""
    if isinstance(value, Message | Term):
        return value.render()
    if isinstance(value, str):
        return _(value)
    return value


def _own_checks(diagnostics: Any) -> Any:
    if isinstance(diagnostics, Mapping):
        return diagnostics.get("checks")
    return getattr(diagnostics, "checks", None)


def acceptance_checks(diagnostics: Any, validation: Any = None) -> pd.DataFrame | None:
    """Return the acceptance checklist as shown: convergence checks, then validation checks.

    Parameters
    ----------
    diagnostics
        A :class:`saigapop.model.diagnostics.ConvergenceResult`, or an object or mapping
        with ``checks`` (a DataFrame), or ``None``.
    validation
        :class:`~saigapop.validation.outcomes.ValidationInputs` or ``None``.

    Returns
    -------
    pandas.DataFrame or None
        ``Check, Value, Threshold, Passed, Gates the quota, Detail``, text in the active
        language and ``Value`` formatted by :func:`~saigapop.report.formatting.format_value`.

    Examples
    --------
    >>> t = acceptance_checks({"passed": True, "table": pd.DataFrame({"parameter": ["a"],
    ...     "rhat": [1.0012], "ess_bulk": [812.0], "ess_tail": [640.0]})})
    >>> t["Value"].tolist()[:2], t["Threshold"].tolist()[:2]
    (['1.0012', '812'], ['<= 1.01', '>= 400'])
    """
    raw = acceptance_table(diagnostics, validation)
    if raw is None or raw is _own_checks(diagnostics):
        return raw  # a caller's own table, shown as it is
    out = raw.copy()
    for col in ("Check", "Threshold", "Detail"):
        out[col] = [_text(v) for v in out[col]]
    out["Value"] = [
        v.render() if isinstance(v, Message) else format_value(v, str(c))
        for v, c in zip(raw["Value"], out["Check"], strict=True)
    ]
    return out


def diagnostics_section(diagnostics: Any, vb: ValueBook, validation: Any = None) -> Section:
    """Build the acceptance checklist, or a 'not computed' section.

    ``diagnostics`` is a :class:`saigapop.model.diagnostics.ConvergenceResult` (R-hat, ESS,
    divergences and E-BFMI become checklist rows) or any object or mapping with ``passed``
    (bool) and optionally ``checks``: a DataFrame with one row per check (columns such as
    ``Check``, ``Value``, ``Threshold``, ``Passed``). Validation checks
    (:class:`~saigapop.validation.outcomes.ValidationInputs`) are appended; whether the
    fit passed is decided by :func:`saigapop.validation.outcomes.diagnostics_passed`.
    """
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
