"""Deprecated shim: the quota under alternative priors by PSIS reweighting.

Moved to :mod:`saigapop.validation.reweighting`.

Importing a name from here still works for one release and raises a
:class:`DeprecationWarning` naming its new home.
"""

from __future__ import annotations

import importlib
import warnings
from typing import Any

_MOVED: dict[str, str] = {
    "KHAT_MAX": "saigapop.validation.reweighting",
    "alternative_weights": "saigapop.validation.reweighting",
    "fitted_priors": "saigapop.validation.reweighting",
    "prior_log_density": "saigapop.validation.reweighting",
    "resampled_posterior": "saigapop.validation.reweighting",
    "reweighted_alternative_quotas": "saigapop.validation.reweighting",
    "systematic_resample": "saigapop.validation.reweighting",
}


def __getattr__(name: str) -> Any:
    if name not in _MOVED:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    home = _MOVED[name]
    warnings.warn(
        f"{__name__}.{name} is deprecated: use {home}.{name}",
        DeprecationWarning,
        stacklevel=2,
    )
    return getattr(importlib.import_module(home), name)
