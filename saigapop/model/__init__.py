"""saigapop.model: configuration, priors, the PyMC model, fitting, contract and diagnostics.

Public API
----------
ModelConfig, SamplerConfig
    Frozen, validated settings.
Prior, DEFAULT_PRIORS, priors_table, with_prior
    Priors with rationale and citation.
build_model
    The PyMC model (pure, no sampling).
fit
    Sample and return an ``xarray.DataTree`` meeting the posterior contract.
POSTERIOR_SCHEMA, validate_posterior, validate_fit
    The DESIGN §3 posterior contract.
check_convergence, ppc_coverage, prior_posterior_comparison, growth_check, vital_rates_at_bounds
    Diagnostics.
save_fit, load_fit
    Round trip to disk with a model-hash check.

The names are imported on first use (module ``__getattr__``), so importing the pure
posterior schema (:mod:`saigapop.model.schema`) does not load PyMC.
"""

from __future__ import annotations

import importlib
from typing import Any

_HOMES: dict[str, str] = {
    "ConvergenceResult": "saigapop.model.diagnostics",
    "DATA_STREAMS": "saigapop.model.config",
    "DEFAULT_PRIORS": "saigapop.model.priors",
    "GrowthCheck": "saigapop.model.diagnostics",
    "ModelConfig": "saigapop.model.config",
    "ModelHashMismatchError": "saigapop.model.io",
    "ModelInputs": "saigapop.model.inputs",
    "POSTERIOR_SCHEMA": "saigapop.model.schema",
    "PosteriorContractError": "saigapop.model.schema",
    "Prior": "saigapop.model.priors",
    "SamplerConfig": "saigapop.model.config",
    "annual_step": "saigapop.model.build",
    "build_model": "saigapop.model.build",
    "check_convergence": "saigapop.model.diagnostics",
    "fit": "saigapop.model.fit",
    "growth_check": "saigapop.model.diagnostics",
    "load_fit": "saigapop.model.io",
    "model_hash": "saigapop.model.fit",
    "ppc_coverage": "saigapop.model.diagnostics",
    "prepare_inputs": "saigapop.model.inputs",
    "prior_posterior_comparison": "saigapop.model.diagnostics",
    "priors_table": "saigapop.model.priors",
    "save_fit": "saigapop.model.io",
    "validate_fit": "saigapop.model.schema",
    "validate_posterior": "saigapop.model.schema",
    "vital_rates_at_bounds": "saigapop.model.diagnostics",
    "with_prior": "saigapop.model.priors",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOMES[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "DATA_STREAMS",
    "DEFAULT_PRIORS",
    "POSTERIOR_SCHEMA",
    "ConvergenceResult",
    "GrowthCheck",
    "ModelConfig",
    "ModelHashMismatchError",
    "ModelInputs",
    "PosteriorContractError",
    "Prior",
    "SamplerConfig",
    "annual_step",
    "build_model",
    "check_convergence",
    "fit",
    "growth_check",
    "load_fit",
    "model_hash",
    "ppc_coverage",
    "prepare_inputs",
    "prior_posterior_comparison",
    "priors_table",
    "save_fit",
    "validate_fit",
    "validate_posterior",
    "vital_rates_at_bounds",
    "with_prior",
]
