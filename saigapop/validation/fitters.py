"""Fitter callables that plug :func:`saigapop.model.fit` into the validation runners.

Every runner takes its fitter as a callable so any model — the saiga model, a conjugate model
in the tests — fits in:

* retrospective, hindcast, influence refits: ``fitter(data, end_year) -> DataTree``
  (:func:`model_fitter`);
* alternative priors: ``fitter(data, priors) -> DataTree`` (:func:`prior_fitter`);
* SBC: ``fitter(data, seed) -> DataTree`` (:func:`sbc_fitter`);
* decision retrospective, tornado: ``quota(fit) -> Series`` (:class:`QuotaFunction`, the
  pipeline of ``saigapop report``).

:func:`add_log_densities` adds the ``log_likelihood`` and ``log_prior`` groups that PSIS-LOO
and power-scaling need, by rebuilding the PyMC model from the same data, config and priors.
The model modules other than the diagnostics (:mod:`saigapop.model.fit`, ``build``,
``config``, ``io``; PyMC) are imported only when a fitter is called: the report imports
:mod:`saigapop.validation` and loads no model module but the schema and the diagnostics
(``tests/report/test_report_presents_only.py``).
"""

from __future__ import annotations

import dataclasses
import os
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from saigapop.io import SaigaData
from saigapop.management.recommend import recommend_quota
from saigapop.model.diagnostics import check_convergence

__all__ = [
    "CachedFitter",
    "QuotaFunction",
    "add_log_densities",
    "model_fitter",
    "posterior_draws",
    "prior_fitter",
    "sbc_fitter",
]


def _fit_kwargs(config: Any, sampler_config: Any) -> tuple[Any, Any]:
    from saigapop.model.config import ModelConfig, SamplerConfig  # lazy: see module docstring

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
    import pymc as pm  # lazy, as the model modules: see the module docstring

    from saigapop.model.build import build_model  # lazy: see the module docstring
    from saigapop.model.config import ModelConfig  # lazy: see the module docstring

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
        from saigapop.model.fit import fit  # lazy (PyMC): see the module docstring

        cfg, sc = _fit_kwargs(config, sampler_config)
        cfg = dataclasses.replace(cfg, end_year=int(end_year))
        dt = fit(data, cfg, priors, sampler_config=sc, progressbar=progressbar)
        return add_log_densities(dt, data, cfg, priors) if log_densities else dt

    return fitter


@dataclass(frozen=True)
class CachedFitter:
    """A ``fitter(data, end_year)`` that keeps every fit in a folder and reuses it.

    The retrospective, the decision retrospective, the influence refits and the exact LOO
    refit the model to data subsets that overlap (the peel to 2023 *is* the decision
    retrospective's 2023 fit; every runner's reference is the fit to all data). Wrapping the
    fitter once lets them share fits, and lets an interrupted slow run resume. A fit is
    stored as ``fit_<end_year>_<data hash[:16]>.zarr`` (:func:`saigapop.model.io.save_fit`),
    written to a temporary name and renamed when complete, so a killed run leaves no
    half-written fit. It is picklable (``fitter`` must be), so it runs on Dask workers.

    One folder belongs to one fitter — model configuration, priors and sampler settings: the
    key holds only the data (:attr:`SaigaData.data_hash`) and the end year; use a new folder
    when any of them changes.

    Parameters
    ----------
    fitter
        ``fitter(data, end_year) -> DataTree`` (e.g. :func:`model_fitter`).
    folder
        Where the fits are kept (created if missing).

    Examples
    --------
    >>> import tempfile, saigapop as sp
    >>> calls = []
    >>> def fake(data, end_year):  # stands in for model_fitter()
    ...     calls.append(end_year)
    ...     dt = xr.DataTree(xr.Dataset({"x": float(end_year)}))
    ...     dt.attrs["model_hash"] = "demo"
    ...     return dt
    >>> cached = CachedFitter(fake, tempfile.mkdtemp())
    >>> data = sp.load_kazakhstan()
    >>> first, again = cached(data, 2024), cached(data, 2024)
    >>> calls, float(again["x"])
    ([2024], 2024.0)
    """

    fitter: Callable[[SaigaData, int], xr.DataTree]
    folder: str | os.PathLike[str]

    def path(self, data: SaigaData, end_year: int) -> Path:
        """Return the file the fit of ``data`` to ``end_year`` is kept in."""
        return Path(self.folder) / f"fit_{int(end_year)}_{data.data_hash[:16]}.zarr"

    def convergence(self) -> pd.DataFrame:
        """Return the convergence verdict of every stored fit (one row per fit).

        Columns: ``file``, ``end_year``, ``converged``, ``max_rhat``, ``min_ess_bulk``,
        ``min_ess_tail``, ``divergences`` and ``failures``
        (:func:`saigapop.model.diagnostics.check_convergence`).
        """
        from saigapop.model.io import load_fit  # lazy: see the module docstring

        rows = []
        for path in sorted(Path(self.folder).glob("fit_*.zarr")):
            conv = check_convergence(load_fit(path))
            rows.append(
                {
                    "file": path.name,
                    "end_year": int(path.name.split("_")[1]),
                    "converged": bool(conv.passed),
                    "max_rhat": float(conv.table["rhat"].max()),
                    "min_ess_bulk": float(conv.table["ess_bulk"].min()),
                    "min_ess_tail": float(conv.table["ess_tail"].min()),
                    "divergences": int(conv.divergences),
                    "failures": "; ".join(conv.failures),
                }
            )
        return pd.DataFrame(rows)

    def __call__(self, data: SaigaData, end_year: int) -> xr.DataTree:
        """Return the stored fit if there is one, else fit, store and return it."""
        from saigapop.model.io import load_fit, save_fit  # lazy: see the module docstring

        path = self.path(data, end_year)
        if path.exists():
            return load_fit(path)
        fit = self.fitter(data, int(end_year))
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".tmp{os.getpid()}_{path.name}")
        save_fit(fit, tmp)
        tmp.rename(path)
        return fit


def prior_fitter(
    config: Any = None,
    sampler_config: Any = None,
    *,
    progressbar: bool = False,
) -> Callable[[SaigaData, Mapping[str, Any] | None], xr.DataTree]:
    """``fitter(data, priors)`` for :func:`.sensitivity.run_alternative_priors`."""

    def fitter(data: SaigaData, priors: Mapping[str, Any] | None) -> xr.DataTree:
        from saigapop.model.fit import fit  # lazy (PyMC): see the module docstring

        cfg, sc = _fit_kwargs(config, sampler_config)
        return fit(data, cfg, priors, sampler_config=sc, progressbar=progressbar)

    return fitter


def posterior_draws(
    data: SaigaData,
    config: Any = None,
    priors: Mapping[str, Any] | None = None,
    sampler_config: Any = None,
) -> xr.DataTree:
    """Sample the posterior as :func:`saigapop.model.fit` does, without predictive groups.

    :func:`saigapop.model.fit` with ``predictive=False``: the same model, sampler call and
    seeds, without the prior and posterior predictive sampling, which SBC ranks do not use
    (recovery's contraction needs the ``prior`` group, so it uses the full fit).

    Parameters
    ----------
    data, config, priors, sampler_config
        As for :func:`saigapop.model.fit`.

    Returns
    -------
    xarray.DataTree
        :func:`saigapop.model.fit`'s tree without ``prior``, ``prior_predictive`` and
        ``posterior_predictive``.
    """
    from saigapop.model.fit import fit  # lazy (PyMC): see the module docstring

    cfg, sc = _fit_kwargs(config, sampler_config)
    return fit(data, cfg, priors, sampler_config=sc, progressbar=False, predictive=False)


def sbc_fitter(
    config: Any = None,
    priors: Mapping[str, Any] | None = None,
    sampler_config: Any = None,
    *,
    posterior_only: bool = False,
) -> Callable[[SaigaData, int], xr.DataTree]:
    """``fitter(data, seed)`` for :func:`~saigapop.validation.sbc.run_sbc` (seed per simulation).

    With ``posterior_only=True`` the fit skips prior and posterior predictive sampling
    (:func:`posterior_draws`); the posterior draws are the same.
    """

    def fitter(data: SaigaData, seed: int) -> xr.DataTree:
        from saigapop.model.fit import fit  # lazy (PyMC): see the module docstring

        cfg, sc = _fit_kwargs(config, sampler_config)
        sc = dataclasses.replace(sc, random_seed=int(seed) % 2**32)
        if posterior_only:
            return posterior_draws(data, cfg, priors, sc)
        return fit(data, cfg, priors, sampler_config=sc, progressbar=False)

    return fitter


@dataclass
class QuotaFunction:
    """``quota(fit) -> Series``: the quota ``saigapop report`` would recommend from a fit.

    The same function as ``saigapop.cli.run_analysis``,
    :func:`saigapop.management.recommend.recommend_quota`: an operating model from the
    posterior with the removals realised after the fit's latest census, the stricter
    sex-ratio floor where the sex ratio is prior-driven, and the smallest quota over the
    fitted world and every reference trial. Each call's convergence verdict is appended to
    :attr:`log`, because a quota from an unconverged fit must not be read as the issued one.

    Parameters
    ----------
    data
        The data the fits come from (for the realised removals; only the rows of the fit's
        latest census year are used).
    limits
        Abundance limits per population (default ``DEFAULT_ABUNDANCE_LIMITS``).
    seed
        Seed of the operating model and the trials.
    om_draws
        Posterior draws used by the operating model (default 2,000 as in the CLI).
    robust
        ``False``: the fitted world's quota only (no reference trials), e.g. to isolate
        the effect of a prior in a tornado.
    """

    data: Any
    limits: Mapping[str, float] | None = None
    seed: int = 1
    om_draws: int | None = 2000
    robust: bool = True
    log: list[dict[str, Any]] = field(default_factory=list)

    def _plan(self, fit: xr.DataTree) -> Any:
        """Return the data's default offtake scenario if it starts the year after the fit.

        A plan is made after the latest census it follows: the report's fit gets the same
        culls in both arms as the report's quota, and a retrospective fit to older data
        (whose next years the plan does not describe) gets none.
        """
        plan = getattr(self.data, "offtake", None)
        if plan is None or plan.is_empty:
            return None
        latest = int(fit.attrs.get("latest_census_year", int(fit["posterior"]["year"].max())))
        return plan.select() if min(plan.years) == latest + 1 else None

    def __call__(self, fit: xr.DataTree) -> pd.Series:
        """Quota per population (adult males a year) from ``fit``; logs its convergence."""
        conv = check_convergence(fit)
        with (
            warnings.catch_warnings(),
            np.errstate(over="ignore", invalid="ignore", divide="ignore"),
        ):
            warnings.simplefilter("ignore")
            rec = recommend_quota(
                fit,
                self.data.removals,
                self.limits,
                offtake=self._plan(fit),
                seed=self.seed,
                om_draws=self.om_draws,
                robust=self.robust,
            )
        result, flags = rec.result, rec.prior_driven
        level = result.level.to_series() if hasattr(result.level, "to_series") else result.level
        self.log.append(
            {
                "data_year": rec.latest_year,
                "converged": bool(conv.passed),
                "divergences": int(conv.divergences),
                "failures": "; ".join(conv.failures),
                "prior_driven_sex_ratio": ", ".join(p for p, v in flags.items() if v),
                "binding": "; ".join(str(b) for b in np.asarray(result.binding)),
            }
        )
        return pd.Series(level, dtype=float)
