"""Monte Carlo error and convergence of per-draw series, computed by :mod:`arviz_stats`.

A risk is the posterior mean of a per-draw quantity (an indicator, or a paired difference
of indicators). Draws from MCMC are autocorrelated within chains, so its Monte Carlo
standard error is ``sd / sqrt(ESS)``. Management code holds such series flat, ``(...,
draw)`` with a chain index per draw; this module puts them on ``(..., chain, draw)`` and
calls ``arviz_stats``' array interface (``ess(method="mean")``, ``mcse(method="mean")``,
``rhat(method="rank")``), so the estimators are ArviZ's (split chains, Geyer's initial
monotone sequence, rank-normalised split R-hat), not copies.

Conventions kept from the callers' side: chains of unequal length are truncated to the
shortest; a constant series has ESS = number of draws and MCSE 0 (ArviZ returns NaN there).
"""

from __future__ import annotations

import numpy as np
from arviz_stats.base import array_stats
from numpy.typing import NDArray

__all__ = ["ess_mean", "mcse_mean", "rhat"]

#: fewest draws per chain for which ArviZ computes an ESS or MCSE
_MIN_DRAWS = 4


def _by_chain(x: NDArray[np.float64], chain: NDArray[np.int64]) -> NDArray[np.float64]:
    """``(..., draw)`` with a chain index per draw -> ``(..., chain, draw)``."""
    chain = np.asarray(chain)
    ids, counts = np.unique(chain, return_counts=True)
    n = int(counts.min())
    return np.stack([x[..., chain == c][..., :n] for c in ids], axis=-2)


def ess_mean(x: NDArray, chain: NDArray[np.int64]) -> NDArray[np.float64]:
    """Effective sample size of the mean of ``x`` over its last axis (draws).

    Parameters
    ----------
    x
        ``(..., draw)``; draws of each chain must be contiguous and in order.
    chain
        Chain index of each draw, ``(draw,)``. Chains of unequal length are truncated to
        the shortest.

    Returns
    -------
    numpy.ndarray
        ``(...)``; the number of draws where ``x`` is constant or chains are shorter than
        four draws.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=4000)
    >>> 3500 < float(ess_mean(x, np.repeat(np.arange(4), 1000))) <= 4400
    True
    """
    x = np.asarray(x, dtype=np.float64)
    lead = x.shape[:-1]
    flat = x.reshape(-1, x.shape[-1])
    varying = np.ptp(flat, axis=-1) > 0 if x.shape[-1] else np.zeros(flat.shape[0], bool)
    out = np.full(flat.shape[0], float(x.shape[-1]))
    if varying.any():
        y = _by_chain(flat[varying], chain)
        if y.shape[-1] >= _MIN_DRAWS:
            out[varying] = array_stats.ess(y, chain_axis=-2, draw_axis=-1, method="mean")
    return out.reshape(lead)


def mcse_mean(x: NDArray, chain: NDArray[np.int64]) -> NDArray[np.float64]:
    """Monte Carlo standard error of the mean of ``x`` over its last axis.

    ``sd / sqrt(ESS)`` by ``arviz_stats``; 0 for a constant series.

    Examples
    --------
    >>> float(mcse_mean(np.zeros(1000), np.zeros(1000, int)))
    0.0
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=4000)  # iid: about 1 / sqrt(4000) = 0.0158
    >>> 0.014 < float(mcse_mean(x, np.repeat(np.arange(4), 1000))) < 0.018
    True
    """
    x = np.asarray(x, dtype=np.float64)
    flat = x.reshape(-1, x.shape[-1])
    out = np.zeros(flat.shape[0])
    varying = np.ptp(flat, axis=-1) > 0 if x.shape[-1] > 1 else np.zeros(flat.shape[0], bool)
    if varying.any():
        v = flat[varying]
        y = _by_chain(v, chain)
        if y.shape[-1] >= _MIN_DRAWS:
            out[varying] = array_stats.mcse(y, chain_axis=-2, draw_axis=-1, method="mean")
        else:  # too short for an autocorrelation: the iid error
            out[varying] = v.std(axis=-1, ddof=1) / np.sqrt(v.shape[-1])
    return out.reshape(x.shape[:-1])


def rhat(x: NDArray, chain: NDArray[np.int64]) -> NDArray[np.float64]:
    """Rank-normalised split R-hat (Vehtari et al. 2021), max of bulk and tail, by ArviZ.

    Parameters
    ----------
    x
        ``(..., draw)`` with each chain's draws contiguous.
    chain
        Chain index of each draw.

    Returns
    -------
    numpy.ndarray
        ``(...)``; NaN with fewer than two chains or four draws per chain.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> bool(rhat(rng.normal(size=4000), np.repeat(np.arange(4), 1000)) < 1.01)
    True
    """
    x = np.asarray(x, dtype=np.float64)
    ids, counts = np.unique(chain, return_counts=True)
    n = int(counts.min()) // 2 * 2
    if len(ids) < 2 or n < _MIN_DRAWS:
        return np.full(x.shape[:-1], np.nan)
    y = _by_chain(x, chain)[..., :n]
    with np.errstate(invalid="ignore", divide="ignore"):  # constant series: NaN, as before
        return np.asarray(array_stats.rhat(y, chain_axis=-2, draw_axis=-1, method="rank"))
