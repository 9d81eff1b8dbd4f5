"""Fitter callables that plug :func:`saigapop.model.fit` into the validation runners.

Every runner takes its fitter as a callable so any model — the saiga model, a conjugate model
in the tests — fits in:

* retrospective, hindcast, influence refits: ``fitter(data, end_year) -> DataTree``
  (:func:`model_fitter`);
* alternative priors: ``fitter(data, priors) -> DataTree`` (:func:`prior_fitter`);
* SBC: ``fitter(data, seed) -> DataTree`` (:func:`sbc_fitter`).

:func:`add_log_densities` adds the ``log_likelihood`` and ``log_prior`` groups that PSIS-LOO
and power-scaling need, by rebuilding the PyMC model from the same data, config and priors.
``saigapop.model`` is imported only when a fitter is called.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import xarray as xr

from saigapop.io import SaigaData

__all__ = ["add_log_densities", "model_fitter", "prior_fitter", "sbc_fitter"]


def _fit_kwargs(config: Any, sampler_config: Any) -> tuple[Any, Any]:
    from saigapop.model.config import ModelConfig, SamplerConfig

    return config or ModelConfig(), sampler_config or SamplerConfig()


def add_log_densities(
    fit: xr.DataTree,
    data: SaigaData,
    config: Any = None,
    priors: Mapping[str, Any] | None = None,
) -> xr.DataTree:
    """Add ``log_likelihood`` (pointwise, observed variables) and ``log_prior`` groups.

    The PyMC model is rebuilt with :func:`saigapop.model.build.build_model` from the same
    inputs and evaluated at the posterior draws of its free variables. ``Potential`` terms
    (censored bounds, composition) are not pointwise observations and are left out of
    ``log_likelihood``.

    Parameters
    ----------
    fit
        A DataTree from :func:`saigapop.model.fit`.
    data, config, priors
        What it was fitted with (``config`` default: the config stored in the fit's attrs).

    Returns
    -------
    xarray.DataTree
        A copy of ``fit`` with the two groups.
    """
    import pymc as pm

    from saigapop.model.build import build_model
    from saigapop.model.config import ModelConfig

    if config is None and "saigapop_model_config" in fit.attrs:
        config = ModelConfig.from_json(fit.attrs["saigapop_model_config"])
    model = build_model(data, config, priors)
    free = [v.name for v in model.free_RVs]
    post = fit["posterior"].to_dataset()[free]
    idata = xr.DataTree.from_dict({"posterior": post})
    ll = pm.compute_log_likelihood(
        idata, model=model, extend_inferencedata=False, progressbar=False
    )
    lp = pm.stats.compute_log_prior(
        idata, model=model, extend_inferencedata=False, progressbar=False
    )
    out = fit.copy()
    out["log_likelihood"] = xr.DataTree(_as_dataset(ll, "log_likelihood"))
    out["log_prior"] = xr.DataTree(_as_dataset(lp, "log_prior"))
    return out


def _as_dataset(result: xr.Dataset | xr.DataTree, name: str) -> xr.Dataset:
    if isinstance(result, xr.DataTree):
        return result[name].to_dataset()
    return result


def model_fitter(
    config: Any = None,
    priors: Mapping[str, Any] | None = None,
    sampler_config: Any = None,
    *,
    log_densities: bool = False,
    progressbar: bool = False,
) -> Callable[[SaigaData, int], xr.DataTree]:
    """``fitter(data, end_year)`` fitting :func:`saigapop.model.fit` with ``end_year``.

    Parameters
    ----------
    config
        :class:`saigapop.model.config.ModelConfig` (its ``end_year`` is replaced per call).
    priors
        Priors (default the model's).
    sampler_config
        :class:`saigapop.model.config.SamplerConfig`.
    log_densities
        Also add ``log_likelihood`` and ``log_prior`` (:func:`add_log_densities`).
    progressbar
        Show the sampler's progress bar.
    """

    def fitter(data: SaigaData, end_year: int) -> xr.DataTree:
        from saigapop.model.fit import fit

        cfg, sc = _fit_kwargs(config, sampler_config)
        cfg = dataclasses.replace(cfg, end_year=int(end_year))
        dt = fit(data, cfg, priors, sampler_config=sc, progressbar=progressbar)
        return add_log_densities(dt, data, cfg, priors) if log_densities else dt

    return fitter


def prior_fitter(
    config: Any = None,
    sampler_config: Any = None,
    *,
    progressbar: bool = False,
) -> Callable[[SaigaData, Mapping[str, Any] | None], xr.DataTree]:
    """``fitter(data, priors)`` for :func:`.sensitivity.run_alternative_priors`."""

    def fitter(data: SaigaData, priors: Mapping[str, Any] | None) -> xr.DataTree:
        from saigapop.model.fit import fit

        cfg, sc = _fit_kwargs(config, sampler_config)
        return fit(data, cfg, priors, sampler_config=sc, progressbar=progressbar)

    return fitter


def sbc_fitter(
    config: Any = None,
    priors: Mapping[str, Any] | None = None,
    sampler_config: Any = None,
) -> Callable[[SaigaData, int], xr.DataTree]:
    """``fitter(data, seed)`` for :func:`~saigapop.validation.sbc.run_sbc` (seed per simulation)."""

    def fitter(data: SaigaData, seed: int) -> xr.DataTree:
        from saigapop.model.fit import fit

        cfg, sc = _fit_kwargs(config, sampler_config)
        sc = dataclasses.replace(sc, random_seed=int(seed) % 2**32)
        return fit(data, cfg, priors, sampler_config=sc, progressbar=False)

    return fitter
