"""Deprecated shim: the report's inputs (the quota, trials and validation results it presents).

Moved to :mod:`saigapop.management.outcomes`, :mod:`saigapop.management.analysis`,
:mod:`saigapop.validation.outcomes` and :mod:`saigapop.validation.routine`.

Importing a name from here still works for one release and raises a
:class:`DeprecationWarning` naming its new home.
"""

from __future__ import annotations

from saigapop._deprecation import moved_names

_MOVED: dict[str, str] = {
    "QUANTILES": "saigapop.management.outcomes",
    "QuotaInputs": "saigapop.management.outcomes",
    "TrialInputs": "saigapop.management.outcomes",
    "as_quota_inputs": "saigapop.management.outcomes",
    "quantile_bands": "saigapop.management.outcomes",
    "prepare_quota": "saigapop.management.analysis",
    "prepare_trials": "saigapop.management.analysis",
    "ValidationInputs": "saigapop.validation.outcomes",
    "ppc_coverage_check": "saigapop.validation.routine",
    "prepare_validation": "saigapop.validation.routine",
}


__getattr__ = moved_names(__name__, _MOVED)
