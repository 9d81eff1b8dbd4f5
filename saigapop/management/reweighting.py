"""Conditioning trials on the data: PSIS reweighting of posterior draws, and weighted summaries.

A reweighted trial keeps the fitted draws but weights them by the likelihood ratio of the
census counts under an alternative observation model and under the fitted one (``log w_i =
Σ log L_alt(c | N_i) − Σ log L_fit(c | N_i, CV_i, q_i)``), smoothed by Pareto-smoothed
importance sampling from :mod:`arviz_stats` (:func:`psis`). The Pareto k̂ and the effective
sample size of the weights are reported; k̂ > :data:`KHAT_MAX` means the reweighted
posterior is unreliable and a refit is needed. :func:`weighted_stats` and
:func:`weighted_quantile` summarise per-draw series under such weights.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import xarray as xr
from arviz_stats.base import array_stats
from numpy.typing import NDArray

from saigapop.constants import PARETO_KHAT_MAX
from saigapop.exceptions import ConfigError
from saigapop.management._mc import mcse_mean
from saigapop.model.schema import read_posterior as validate_posterior

__all__ = [
    "KHAT_MAX",
    "Reweight",
    "observed_counts",
    "psis",
    "synthetic_counts",
    "trial_weights",
    "weighted_quantile",
    "weighted_stats",
]

Array = NDArray[np.float64]
#: Pareto k̂ above which importance weights are unreliable (Vehtari et al. 2024); the one
#: value is :data:`saigapop.model.diagnostics.PARETO_KHAT_MAX`.
KHAT_MAX: float = PARETO_KHAT_MAX


@dataclass(frozen=True)
class Reweight:
    """An alternative observation model used to reweight posterior draws.

    Parameters
    ----------
    obs_cv
        Observation CV under the alternative (``None``: each draw's fitted CV).
    catchability
        Catchability under the alternative (``None``: each draw's fitted catchability).
    years
        Census years whose likelihood terms change (``None``: all years with counts).
    note
        One line for tables.

    Examples
    --------
    >>> Reweight(obs_cv=0.1).obs_cv
    0.1
    """

    obs_cv: float | None = None
    catchability: float | None = None
    years: tuple[int, ...] | None = None
    note: str = ""


def _count_loglik(log_mu: Array, log_c: Array, sigma2: Array) -> Array:
    """Lognormal log density of counts (constant −log c dropped: it cancels in ratios)."""
    return -0.5 * np.log(2 * np.pi * sigma2) - (log_c - log_mu) ** 2 / (2 * sigma2)


def psis(log_weights: Array) -> tuple[Array, float, float]:
    """Pareto-smoothed importance sampling (Vehtari et al. 2024), by :mod:`arviz_stats`.

    The smoothing and the Pareto k̂ are ``arviz_stats``' ``psislw`` (``r_eff = 1``: the
    draws are taken as independent, as ``loo`` does without a relative efficiency).

    Parameters
    ----------
    log_weights
        Raw log importance ratios, ``(draw,)``.

    Returns
    -------
    weights, khat, ess
        Normalised smoothed weights, the Pareto shape estimate of the upper tail and the
        effective sample size ``1 / Σ w²``. Constant log weights give uniform weights,
        ``khat = -inf`` and ``ess = n``; so do fewer than 25 draws (a tail of fewer than
        five draws cannot be fitted) and a tail of equal values (nothing to smooth).

    Examples
    --------
    >>> w, k, ess = psis(np.zeros(100))
    >>> round(float(w.sum()), 12), ess
    (1.0, 100.0)
    >>> rng = np.random.default_rng(0)
    >>> psis(rng.standard_t(1.5, size=4000))[1] > 0.5  # very heavy tail: unreliable
    True
    """
    lw = np.asarray(log_weights, dtype=np.float64)
    n = lw.size
    if n == 0 or np.ptp(lw) == 0:
        return np.full(n, 1.0 / max(n, 1)), -np.inf, float(n)
    khat = -np.inf
    if n >= 25:
        try:  # arviz' psislw takes log-likelihoods: the log weights are their negation
            smoothed, k = array_stats.psislw(-lw, r_eff=1.0)
        except ValueError:  # every tail value equal: nothing to smooth
            smoothed = None
        if smoothed is not None:
            lw, khat = np.asarray(smoothed, dtype=np.float64), float(k)
    w = np.exp(lw - lw.max())
    w /= w.sum()
    return w, float(khat), float(1.0 / np.sum(w**2))


def synthetic_counts(
    posterior: xr.DataTree | xr.Dataset, *, seed: int = 0, cv: float | None = None
) -> xr.DataArray:
    """Census counts consistent with a (synthetic) posterior, for tests and docs.

    ``count = median catchability × median true total × exp(σ z)``, σ² = ln(1 + CV²), with
    CV the posterior median ``obs_cv`` unless given. For a fitted posterior use the real
    counts instead (``load_kazakhstan().to_xarray()["count"]``).

    Returns
    -------
    xarray.DataArray
        ``count (population, year)`` over the years of ``N``.

    Examples
    --------
    >>> from saigapop.testing import synthetic_posterior
    >>> c = synthetic_counts(synthetic_posterior({"A": 1e5}, chains=1, draws=20))
    >>> c.dims, c.sizes["year"]
    (('population', 'year'), 3)
    """
    ds = validate_posterior(posterior)
    total = ds["N"].sum(("sex", "age")).median(("chain", "draw"))
    q = ds["catchability"].median(("chain", "draw"))
    cv_ = float(ds["obs_cv"].median()) if cv is None else float(cv)
    rng = np.random.default_rng(seed)
    sigma = np.sqrt(np.log1p(cv_**2))
    noise = np.exp(sigma * rng.standard_normal(total.shape))
    out = (q * total * noise).transpose("population", "year")
    out.name = "count"
    return out


def observed_counts(posterior: xr.DataTree | xr.Dataset) -> xr.DataArray | None:
    """Return the census counts stored with a fitted posterior, if any.

    Looks for ``count`` (or ``census_count``) with dims ``(population, year)`` in the
    DataTree's ``observed_data`` group, or — as :mod:`saigapop.model` stores them — a flat
    ``count`` labelled ``"<population> <year> count"``, which is put back on
    ``(population, year)`` (NaN where there was no count); ``None`` when there is none.

    Examples
    --------
    >>> from saigapop.testing import synthetic_posterior
    >>> observed_counts(synthetic_posterior({"A": 1e5}, chains=1, draws=2)) is None
    True
    """
    if not isinstance(posterior, xr.DataTree) or "observed_data" not in posterior.children:
        return None
    obs = posterior["observed_data"].to_dataset()
    for name in ("count", "census_count"):
        if name in obs and {"population", "year"} <= set(obs[name].dims):
            return obs[name].transpose("population", "year")
    if "count" in obs and obs["count"].ndim == 1:
        # the PyMC model stores counts flat, labelled "<population> <year> <kind>"
        dim = obs["count"].dims[0]
        cells: dict[tuple[str, int], float] = {}
        for label, value in zip(obs[dim].values, obs["count"].values, strict=True):
            parts = str(label).rsplit(" ", 2)
            if len(parts) != 3 or parts[2] != "count" or not parts[1].isdigit():
                raise ConfigError(
                    f"observed count label {label!r} is not '<population> <year> count'"
                )
            cells[(parts[0], int(parts[1]))] = float(value)
        pops = list(dict.fromkeys(p for p, _ in cells))
        years = sorted({y for _, y in cells})
        out = np.full((len(pops), len(years)), np.nan)
        for (p, y), value in cells.items():
            out[pops.index(p), years.index(y)] = value
        return xr.DataArray(
            out, dims=("population", "year"), coords={"population": pops, "year": years}
        )
    return None


def trial_weights(
    posterior: xr.DataTree | xr.Dataset,
    counts: xr.DataArray,
    reweight: Reweight,
    *,
    n_draws: int | None = None,
    populations: Sequence[str] | None = None,
) -> tuple[Array, float, float]:
    """PSIS weights of the posterior draws under an alternative observation model.

    The log ratio per draw is ``Σ_{population, year} [log L_alt − log L_fit]`` over the
    census counts: ``L_fit`` uses the draw's true total ``N``, catchability and CV, and
    ``L_alt`` the same ``N`` with the alternative catchability/CV (only in ``years``).
    Priors on the remaining parameters are unchanged, and the prior on the replaced
    observation parameters is dropped — an approximation that the Pareto k̂ checks.

    Parameters
    ----------
    posterior
        Fitted posterior (``N``, ``obs_cv``, ``catchability``).
    counts
        Census counts ``(population, year)`` (NaN where missing); years outside ``N`` are
        ignored.
    reweight
        The alternative.
    n_draws
        Thin the draws as :meth:`OperatingModel.from_posterior` does.
    populations
        Use only these populations' counts (default all).

    Returns
    -------
    weights, khat, ess

    Examples
    --------
    >>> from saigapop.testing import synthetic_posterior
    >>> post = synthetic_posterior({"A": 1e5}, chains=1, draws=200)
    >>> w, k, ess = trial_weights(post, synthetic_counts(post), Reweight(obs_cv=0.3))
    >>> round(float(w.sum()), 6), bool(0 < ess <= 200)
    (1.0, True)
    """
    ds = validate_posterior(posterior)
    if populations is not None:
        ds = ds.sel(population=list(populations))
    stacked = ds.stack(sample=("chain", "draw"))
    if n_draws is not None:
        idx = np.unique(np.linspace(0, stacked.sizes["sample"] - 1, n_draws).round().astype(int))
        stacked = stacked.isel(sample=idx)
    years = [int(y) for y in stacked["N"]["year"].values if int(y) in counts["year"].values]
    pops = [str(p) for p in stacked["population"].values]
    if not years:
        raise ConfigError("the counts share no year with the posterior's N")
    c = counts.reindex(population=pops).sel(year=years).transpose("population", "year").values
    total = stacked["N"].sum(("sex", "age")).sel(year=years)
    n = total.transpose("sample", "population", "year").values  # (S, P, Y)
    q_fit = stacked["catchability"].transpose("sample", "population").values[..., None]
    cv_fit = stacked["obs_cv"].values.reshape(-1, 1, 1)
    q_alt = q_fit if reweight.catchability is None else np.full_like(q_fit, reweight.catchability)
    cv_alt = cv_fit if reweight.obs_cv is None else np.full_like(cv_fit, reweight.obs_cv)
    change = np.ones(len(years), bool)
    if reweight.years is not None:
        change = np.isin(years, reweight.years)
    seen = np.isfinite(c) & (c > 0) & change[None, :]
    log_c = np.log(np.where(seen, c, 1.0))[None]
    ll_fit = _count_loglik(np.log(q_fit * n), log_c, np.log1p(cv_fit**2))
    ll_alt = _count_loglik(np.log(q_alt * n), log_c, np.log1p(cv_alt**2))
    log_w = np.where(seen[None], ll_alt - ll_fit, 0.0).sum(axis=(1, 2))
    return psis(log_w)


def weighted_stats(x: Array, w: Array, chain: NDArray[np.int64]) -> tuple[Array, Array]:
    """Weighted mean over draws (last axis) and its Monte Carlo error.

    Self-normalised IS error ``sqrt(Σ w² (x − m)²)``, inflated by the chains'
    autocorrelation (ratio of the autocorrelation-aware to the iid error of the unweighted
    series). With uniform weights this is :func:`~saigapop.management._mc.mcse_mean`.
    """
    x = np.asarray(x, dtype=np.float64)
    m = (x * w).sum(-1)
    n = x.shape[-1]
    ac = mcse_mean(x, chain)
    if np.allclose(w, 1.0 / n):
        return x.mean(-1), ac
    sd = x.std(-1, ddof=1) if n > 1 else np.zeros(x.shape[:-1])
    with np.errstate(invalid="ignore", divide="ignore"):
        infl = np.where(sd > 0, ac / (sd / np.sqrt(n)), 1.0)
    is_err = np.sqrt((w**2 * (x - m[..., None]) ** 2).sum(-1))
    return m, is_err * np.maximum(infl, 1.0)


def weighted_quantile(x: Array, w: Array, q: float) -> Array:
    """Weighted quantile over the last axis."""
    order = np.argsort(x, axis=-1)
    xs = np.take_along_axis(x, order, -1)
    ws = np.broadcast_to(w, x.shape)
    ws = np.take_along_axis(ws, order, -1)
    cw = np.cumsum(ws, -1)
    idx = (cw < q * cw[..., -1:]).sum(-1)
    return np.take_along_axis(xs, idx[..., None], -1)[..., 0]
