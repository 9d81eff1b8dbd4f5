"""Validation results a report presents, and the verdict that gates the quota.

:class:`ValidationInputs` carries the acceptance checks, the quotas under alternative priors
and the power-scaling table (computed by :mod:`saigapop.validation.routine` and
:mod:`saigapop.validation.reweighting`). :func:`acceptance_table` joins the convergence
diagnostics and the validation checks into one checklist of raw values (names and sentences
as :class:`~saigapop.locale.messages.Message` objects or English names, rendered by the
report), and :func:`checklist_passed` / :func:`quota_recommendable` decide whether a quota
may be recommended. This module imports no sampler, so the report can import it cheaply.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from saigapop.locale import N_, NP_
from saigapop.locale.messages import Message
from saigapop.model.diagnostics import CONVERGENCE_THRESHOLDS
from saigapop.validation.checklist import CHECKLIST_COLUMNS, checklist_table

__all__ = [
    "ValidationInputs",
    "acceptance_table",
    "checklist_passed",
    "diagnostics_passed",
    "quota_recommendable",
]


@dataclass(frozen=True)
class ValidationInputs:
    """Validation results for the report.

    Attributes
    ----------
    checks
        Acceptance checks (:class:`saigapop.validation.Check` objects or a
        :func:`~saigapop.validation.checklist_table` DataFrame).
    alternatives
        Quota under alternative priors: a tidy table (``parameter``, ``alternative``,
        ``population``, ``value``, ``reference``) from
        :func:`~saigapop.validation.run_alternative_priors`, or its
        :func:`~saigapop.validation.tornado_table`. Optional columns ``khat``, ``ess``,
        ``reliable`` and ``prior`` (from
        :func:`~saigapop.validation.reweighting.reweighted_alternative_quotas`) are shown.
    method
        How the alternatives were conditioned on the data (``"reweighted"`` or ``"refit"``).
    power_scaling
        :class:`~saigapop.validation.SensitivityResult` ``table`` (power-scaling prior and
        likelihood sensitivity per parameter), or ``None``.
    evidence
        Slow-tier checks read from file (:class:`~saigapop.validation.Evidence`), shown in
        the checklist without gating the quota, with their provenance; or ``None``.
    planning
        The quota with census rows equal to a planning estimate under the other treatment
        (:func:`saigapop.validation.planning.planning_alternative_quotas`), or ``None``.
    """

    checks: Any = None
    alternatives: pd.DataFrame | None = None
    method: str = ""
    power_scaling: pd.DataFrame | None = None
    evidence: Any = None
    planning: pd.DataFrame | None = None

    def checklist(self) -> pd.DataFrame | None:
        """Return the checks as a table (:data:`saigapop.validation.CHECKLIST_COLUMNS`)."""
        extra = checklist_table(self.evidence.checks) if self.evidence is not None else None
        if self.checks is None:
            own = None
        elif isinstance(self.checks, pd.DataFrame):
            own = self.checks
        else:
            own = checklist_table(self.checks)
        parts = [t for t in (own, extra) if t is not None and not t.empty]
        return pd.concat(parts, ignore_index=True) if parts else own


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


def _threshold(op: str, value: float) -> Message:
    return Message(op + " {value:v}", {"value": value})


def acceptance_table(diagnostics: Any, validation: Any = None) -> pd.DataFrame | None:
    """Build the acceptance checklist: convergence checks, then the validation checks.

    Parameters
    ----------
    diagnostics
        A :class:`saigapop.model.diagnostics.ConvergenceResult` (``table``,
        ``divergences``, ``bfmi``, ``thresholds``), or an object or mapping with ``checks``
        (a DataFrame), or ``None``.
    validation
        :class:`ValidationInputs` or ``None``.

    Returns
    -------
    pandas.DataFrame or None
        Columns :data:`~saigapop.validation.checklist.CHECKLIST_COLUMNS`. ``Value`` holds the
        compared numbers (the largest R-hat as a four-decimal
        :class:`~saigapop.locale.messages.Message`); ``Check``, ``Threshold`` and ``Detail``
        hold English names or messages, rendered in the report's language by the report.
        ``None`` when there is nothing to check.

    Examples
    --------
    >>> t = acceptance_table({"passed": True, "checks": pd.DataFrame(
    ...     {"Check": ["a"], "Value": [1.0], "Threshold": ["< 2"], "Passed": [True]})})
    >>> t["Passed"].tolist()  # a caller's own table is returned as it is
    [True]
    """
    rows: list[dict[str, Any]] = []
    get = (
        diagnostics.get
        if isinstance(diagnostics, Mapping)
        else (lambda k, d=None: getattr(diagnostics, k, d))
    )
    table = get("table", None) if diagnostics is not None else None
    if isinstance(table, pd.DataFrame) and {"rhat", "ess_bulk", "ess_tail"} <= set(table):
        th = {**CONVERGENCE_THRESHOLDS, **(get("thresholds", {}) or {})}
        rmax, emin = th["rhat_max"], th["ess_min"]
        dmax, bmin = th["max_divergences"], th["bfmi_min"]
        worst_r = table.loc[table["rhat"].idxmax(), "parameter"] if len(table) else ""
        worst_e = table.loc[table["ess_bulk"].idxmin(), "parameter"] if len(table) else ""
        n_par = len(table)
        worst = N_("worst: {parameter}")
        rows += [
            {
                "Check": N_("Largest R-hat"),
                "Value": Message("{value:.4f}", {"value": float(table["rhat"].max())}),
                "Threshold": _threshold("<=", rmax),
                "Passed": bool(table["rhat"].max() <= rmax),
                "Detail": Message(worst, {"parameter": str(worst_r)}),
            },
            {
                "Check": N_("Smallest bulk ESS"),
                "Value": round(float(table["ess_bulk"].min()), 0),
                "Threshold": _threshold(">=", emin),
                "Passed": bool(table["ess_bulk"].min() >= emin),
                "Detail": Message(worst, {"parameter": str(worst_e)}),
            },
            {
                "Check": N_("Smallest tail ESS"),
                "Value": round(float(table["ess_tail"].min()), 0),
                "Threshold": _threshold(">=", emin),
                "Passed": bool(table["ess_tail"].min() >= emin),
                "Detail": Message.counted(
                    NP_("{n:v} parameter element checked", "{n:v} parameter elements checked"),
                    "n",
                    {"n": n_par},
                ),
            },
            {
                "Check": N_("Divergent transitions"),
                "Value": int(get("divergences", 0)),
                "Threshold": _threshold("<=", dmax),
                "Passed": bool(int(get("divergences", 0)) <= dmax),
                "Detail": Message(N_("after tuning")),
            },
        ]
        bfmi = tuple(get("bfmi", ()) or ())
        if bfmi:
            rows.append(
                {
                    "Check": N_("Smallest E-BFMI"),
                    "Value": float(min(bfmi)),
                    "Threshold": _threshold(">=", bmin),
                    "Passed": bool(min(bfmi) >= bmin),
                    "Detail": Message.counted(
                        NP_("{n} chain", "{n} chains"), "n", {"n": len(bfmi)}
                    ),
                }
            )
    elif diagnostics is not None:
        checks = get("checks", None)
        if isinstance(checks, pd.DataFrame) and not checks.empty:
            vt = validation.checklist() if isinstance(validation, ValidationInputs) else None
            if vt is None or vt.empty:
                return checks  # shown as it is
            rows += checks.to_dict("records")
    if isinstance(validation, ValidationInputs):
        vt = validation.checklist()
        if vt is not None and not vt.empty:
            rows += vt.to_dict("records")
    if not rows:
        return None
    out = pd.DataFrame(rows)
    for col in CHECKLIST_COLUMNS:
        if col not in out:
            out[col] = ""
    out["Passed"] = out["Passed"].astype(bool)
    gates = out["Gates the quota"]
    out["Gates the quota"] = gates.where(gates.notna() & (gates != ""), True).astype(bool)
    return out[list(CHECKLIST_COLUMNS)]


def checklist_passed(diagnostics: Any, validation: Any = None) -> bool | None:
    """Whether the diagnostics and every gating acceptance check (validation included) passed.

    Checks marked ``Gates the quota = False`` (PSIS-LOO's Pareto k̂) are shown with their
    result but do not withhold the quota. ``None`` without diagnostics.

    Examples
    --------
    >>> checklist_passed(None), checklist_passed({"passed": True})
    (None, True)
    """
    passed = diagnostics_passed(diagnostics)
    if passed is None:
        return None
    checks = acceptance_table(diagnostics, validation)
    if isinstance(checks, pd.DataFrame) and "Passed" in checks and len(checks):
        gating = (
            checks["Gates the quota"].astype(bool)
            if "Gates the quota" in checks
            else pd.Series(True, index=checks.index)
        )
        passed = passed and bool(checks["Passed"].astype(bool)[gating].all())
    return passed


def quota_recommendable(*, fit: Any, quota: Any, passed: bool | None) -> bool:
    """Whether a quota may be recommended: a quota solution on a fit that passed its checks.

    Examples
    --------
    >>> quota_recommendable(fit=object(), quota=object(), passed=None)
    False
    """
    return bool(fit is not None and quota is not None and passed)
