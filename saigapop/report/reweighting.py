"""Deprecated shim: the quota under alternative priors by PSIS reweighting.

Moved to :mod:`saigapop.validation.reweighting`.

Importing a name from here still works for one release and raises a
:class:`DeprecationWarning` naming its new home.
"""

from __future__ import annotations

from saigapop._deprecation import moved_names

_MOVED: dict[str, str] = {
    "KHAT_MAX": "saigapop.validation.reweighting",
    "alternative_weights": "saigapop.validation.reweighting",
    "fitted_priors": "saigapop.validation.reweighting",
    "prior_log_density": "saigapop.validation.reweighting",
    "resampled_posterior": "saigapop.validation.reweighting",
    "reweighted_alternative_quotas": "saigapop.validation.reweighting",
    "systematic_resample": "saigapop.validation.reweighting",
}


__getattr__ = moved_names(__name__, _MOVED)
