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
"""

from saigapop.model.build import annual_step, build_model
from saigapop.model.config import DATA_STREAMS, ModelConfig, SamplerConfig
from saigapop.model.diagnostics import (
    ConvergenceResult,
    GrowthCheck,
    check_convergence,
    growth_check,
    ppc_coverage,
    prior_posterior_comparison,
    vital_rates_at_bounds,
)
from saigapop.model.fit import fit, model_hash
from saigapop.model.inputs import ModelInputs, prepare_inputs
from saigapop.model.io import ModelHashMismatchError, load_fit, save_fit
from saigapop.model.priors import DEFAULT_PRIORS, Prior, priors_table, with_prior
from saigapop.model.schema import (
    POSTERIOR_SCHEMA,
    PosteriorContractError,
    validate_fit,
    validate_posterior,
)

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
