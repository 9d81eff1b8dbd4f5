r"""The quota under alternative priors, by importance reweighting of the posterior draws.

A refit per alternative prior is too slow for ``saigapop report`` (a fit takes minutes). As
power-scaling sensitivity does, each alternative is reached by **reweighting the posterior
draws** by the prior ratio: for an alternative prior :math:`p_a` on one parameter
:math:`\theta_k` (the others unchanged)

.. math:: \log w_i = \log p_a(\theta_{k,i}) - \log p_0(\theta_{k,i}),

smoothed by Pareto-smoothed importance sampling (:func:`saigapop.management.trials.psis`).
The quota is then re-solved on the posterior **resampled** in proportion to the smoothed
weights (systematic resampling; :func:`saigapop.management.solve_quota` takes equally
weighted draws). The Pareto :math:`\hat k` and effective sample size of each reweighting
are reported: with :math:`\hat k > 0.7` the alternative posterior is too far from the fitted
one for importance sampling, and its quota needs a refit
(:func:`saigapop.validation.run_alternative_priors`); it is flagged, never dropped.

The alternatives are :func:`saigapop.validation.default_alternatives` (observation CV, adult
male survival, the mating function's collapse point, catastrophe rate). The result is the
tidy table of :func:`saigapop.validation.run_alternative_priors` plus ``khat``, ``ess`` and
``reliable``, so :func:`saigapop.validation.tornado_table` reads it.

Examples
--------
>>> from saigapop.model.priors import Prior
>>> p = Prior("LogNormal", {"mu": 0.0, "sigma": 1.0}, "r", "c")
>>> round(float(prior_log_density(p, np.array([1.0]))[0]), 4)  # -log(sqrt(2 pi))
-0.9189
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from scipy import special, stats

from saigapop.management.trials import psis
from saigapop.model.priors import DEFAULT_PRIORS, with_prior
from saigapop.validation.sensitivity import default_alternatives

__all__ = [
    "KHAT_MAX",
    "alternative_weights",
    "fitted_priors",
    "prior_log_density",
    "resampled_posterior",
    "reweighted_alternative_quotas",
    "systematic_resample",
]

#: Pareto k̂ above which an importance reweighting is unreliable (Vehtari et al. 2024).
KHAT_MAX = 0.7


def prior_log_density(prior: Any, x: np.ndarray) -> np.ndarray:
    """Log density of a :class:`saigapop.model.priors.Prior` at ``x`` (natural scale).

    Parameters
    ----------
    prior
        Object with ``distribution`` and ``params`` (PyMC parameterisation).
    x
        Values of the parameter.

    Returns
    -------
    numpy.ndarray
        ``log p(x)``; ``-inf`` outside the support.

    Examples
    --------
    >>> from saigapop.model.priors import Prior
    >>> b = Prior("Beta", {"alpha": 1.0, "beta": 19.0}, "r", "c")
    >>> round(float(prior_log_density(b, np.array([0.0]))[0]), 4)  # log 19
    2.9444
    """
    x = np.asarray(x, dtype=np.float64)
    p = dict(prior.params)
    with np.errstate(divide="ignore", invalid="ignore"):
        match prior.distribution:
            case "Normal":
                return stats.norm.logpdf(x, p["mu"], p["sigma"])
            case "LogNormal":
                return stats.lognorm.logpdf(x, s=p["sigma"], scale=np.exp(p["mu"]))
            case "HalfNormal":
                return stats.halfnorm.logpdf(x, scale=p["sigma"])
            case "Beta":
                return stats.beta.logpdf(x, p["alpha"], p["beta"])
            case "LogitNormal":
                inside = (x > 0) & (x < 1)
                xc = np.clip(x, 1e-300, 1 - 1e-16)
                out = stats.norm.logpdf(special.logit(xc), p["mu"], p["sigma"]) - np.log(
                    xc * (1 - xc)
                )
                return np.where(inside, out, -np.inf)
    raise ValueError(f"unknown prior distribution {prior.distribution!r}")


def fitted_priors(fit: Any) -> dict[str, Any]:
    """Return the priors a fit was made with (``attrs["saigapop_priors"]``), else the defaults.

    Returns
    -------
    dict
        Parameter name → :class:`~saigapop.model.priors.Prior`.
    """
    priors = dict(DEFAULT_PRIORS)
    stored = getattr(fit, "attrs", {}).get("saigapop_priors")
    if stored:
        for name, spec in json.loads(stored).items():
            if name in priors and spec.get("distribution") == priors[name].distribution:
                priors = with_prior(priors, name, params=dict(spec["params"]))
    return priors


def _posterior(fit: Any) -> xr.Dataset:
    if isinstance(fit, xr.Dataset):
        return fit
    return fit["posterior"].to_dataset()


def _draws(post: xr.Dataset, name: str) -> np.ndarray | None:
    """Flat (chain × draw) natural-scale draws of scalar parameter ``name``, or None."""
    for var, transform in ((name, None), (f"logit_{name}", special.expit)):
        if var in post and set(post[var].dims) == {"chain", "draw"}:
            x = post[var].transpose("chain", "draw").values.reshape(-1).astype(np.float64)
            return transform(x) if transform is not None else x
    return None


def alternative_weights(
    fit: Any, name: str, alternative: Any, reference: Any | None = None
) -> tuple[np.ndarray, float, float]:
    """PSIS weights taking the posterior from the fitted prior of ``name`` to ``alternative``.

    Parameters
    ----------
    fit
        Fit ``DataTree`` (or posterior Dataset) holding the scalar parameter ``name`` (or
        ``logit_<name>``) over ``(chain, draw)``.
    name
        Parameter name.
    alternative
        The alternative :class:`~saigapop.model.priors.Prior`.
    reference
        The fitted prior (default from :func:`fitted_priors`).

    Returns
    -------
    weights, khat, ess
        Normalised weights over the flat draws (chain-major), Pareto k̂ and effective sample
        size of the weights.

    Raises
    ------
    KeyError
        If the posterior does not hold ``name`` as a scalar parameter.

    Examples
    --------
    >>> from saigapop.model.priors import DEFAULT_PRIORS, with_prior
    >>> rng = np.random.default_rng(0)
    >>> post = xr.Dataset({"harem_size": (("chain", "draw"),
    ...                    DEFAULT_PRIORS["harem_size"].sample(4000, rng).reshape(2, 2000))})
    >>> same = alternative_weights(post, "harem_size", DEFAULT_PRIORS["harem_size"])
    >>> round(float(same[2]))  # the same prior: uniform weights, full ESS
    4000
    """
    post = _posterior(fit)
    x = _draws(post, name)
    if x is None:
        raise KeyError(f"the posterior has no scalar parameter {name!r} to reweight")
    ref = fitted_priors(fit)[name] if reference is None else reference
    log_w = prior_log_density(alternative, x) - prior_log_density(ref, x)
    log_w = np.where(np.isfinite(log_w), log_w, -np.inf)
    if not np.isfinite(log_w).any():
        raise ValueError(f"the alternative prior of {name!r} gives every draw zero density")
    finite = np.isfinite(log_w)
    w = np.zeros_like(log_w)
    w_f, khat, _ = psis(log_w[finite])
    w[finite] = w_f
    return w, float(khat), float(1.0 / np.sum(w**2))


def systematic_resample(weights: np.ndarray, n: int, *, seed: int = 0) -> np.ndarray:
    """Return indices of ``n`` draws resampled systematically in proportion to ``weights``.

    Examples
    --------
    >>> systematic_resample(np.array([0.5, 0.25, 0.25, 0.0]), 4).tolist()
    [0, 0, 1, 2]
    """
    w = np.asarray(weights, dtype=np.float64)
    cdf = np.cumsum(w / w.sum())
    cdf[-1] = 1.0
    u = (np.random.default_rng(seed).random() + np.arange(n)) / n
    return np.searchsorted(cdf, u, side="right").astype(np.int64)


def resampled_posterior(fit: Any, index: np.ndarray) -> xr.DataTree:
    """Return the posterior at flat draws ``index`` as one chain (attrs kept)."""
    post = _posterior(fit)
    flat = post.stack(sample=("chain", "draw")).drop_vars(["chain", "draw", "sample"])
    picked = flat.isel(sample=xr.DataArray(index, dims="sample"))
    ds = picked.rename(sample="draw").expand_dims(chain=[0]).transpose("chain", "draw", ...)
    ds = ds.assign_coords(draw=np.arange(len(index)))
    ds.attrs = dict(post.attrs)
    tree = xr.DataTree.from_dict({"posterior": ds})
    tree.attrs = dict(getattr(fit, "attrs", {}))
    return tree


def reweighted_alternative_quotas(
    fit: Any,
    solve: Callable[[xr.DataTree], Mapping[str, float] | pd.Series],
    reference: Mapping[str, float],
    *,
    alternatives: Sequence[Any] | None = None,
    n_draws: int = 2000,
    seed: int = 0,
    on_alternative: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Re-solve the quota under each alternative prior by reweighting the posterior.

    Parameters
    ----------
    fit
        The fit (its ``attrs["saigapop_priors"]`` give the fitted priors).
    solve
        ``solve(posterior) -> {population: quota}`` (e.g. builds an operating model and
        calls :func:`~saigapop.management.solve_quota`).
    reference
        The quota per population on the fitted posterior.
    alternatives
        :class:`saigapop.validation.Alternative` objects (default
        :func:`saigapop.validation.default_alternatives`); each changes one prior.
    n_draws
        Draws resampled for each alternative's operating model.
    seed
        Seed of the resampling.
    on_alternative
        Called with ``"parameter label"`` as each alternative starts (progress).

    Returns
    -------
    pandas.DataFrame
        ``parameter``, ``alternative``, ``prior`` (the alternative prior in words),
        ``population``, ``value`` (quota, adult males a year), ``reference``, ``khat``,
        ``ess``, ``reliable`` (k̂ ≤ 0.7), ``method`` (``"reweighted"``). Alternatives whose
        parameter is not in the posterior get NaN values and ``method`` saying so.
    """
    alts = list(default_alternatives() if alternatives is None else alternatives)
    ref_priors = fitted_priors(fit)
    rows = []
    for alt in alts:
        if on_alternative is not None:
            on_alternative(f"{alt.parameter} {alt.label}")
        ((name, prior),) = dict(alt.priors).items()
        try:
            w, khat, ess = alternative_weights(fit, name, prior, ref_priors[name])
        except KeyError:
            quota, khat, ess, method = {}, np.nan, np.nan, "not in the posterior"
        else:
            idx = systematic_resample(w, n_draws, seed=seed)
            quota = dict(solve(resampled_posterior(fit, idx)))
            method = "reweighted"
        for pop, ref in reference.items():
            rows.append(
                {
                    "parameter": alt.parameter,
                    "alternative": alt.label,
                    "prior": prior.describe(),
                    "population": str(pop),
                    "value": float(quota.get(pop, np.nan)),
                    "reference": float(ref),
                    "khat": khat,
                    "ess": ess,
                    "reliable": bool(np.isfinite(khat) and khat <= KHAT_MAX)
                    or bool(khat == -np.inf),
                    "method": method,
                }
            )
    return pd.DataFrame(rows)
