"""Monte Carlo error of posterior-averaged risks, from the effective sample size.

A risk is the posterior mean of a per-draw quantity (an indicator, or a paired
difference of indicators). Draws from MCMC are autocorrelated within chains, so its Monte
Carlo standard error is ``sd / sqrt(ESS)`` with ESS from the chains' autocorrelation
(Geyer's initial monotone sequence, as in Stan and ArviZ' ``ess(method="mean")``),
vectorised over any leading axes.
"""

from __future__ import annotations

import numpy as np
import scipy.fft as sp_fft
from numpy.typing import NDArray
from scipy.special import ndtri
from scipy.stats import rankdata

__all__ = ["ess_mean", "mcse_mean", "rhat"]


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
        ``(...)``; the number of draws where ``x`` is constant.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=4000)
    >>> 3500 < float(ess_mean(x, np.repeat(np.arange(4), 1000))) <= 4000
    True
    """
    x = np.asarray(x, dtype=np.float64)
    lead = x.shape[:-1]
    flat = x.reshape(-1, x.shape[-1])
    varying = np.ptp(flat, axis=-1) > 0  # constant series need no autocorrelation
    out = np.full(flat.shape[0], float(x.shape[-1]))
    if varying.any():
        out[varying] = _ess(flat[varying], np.asarray(chain))
    return out.reshape(lead)


def _ess(x: NDArray[np.float64], chain: NDArray[np.int64]) -> NDArray[np.float64]:
    ids, counts = np.unique(chain, return_counts=True)
    m, n = len(ids), int(counts.min())
    if n < 4:
        return np.full(x.shape[:-1], float(x.shape[-1]))
    parts = [x[..., chain == c][..., :n] for c in ids]
    y = np.stack(parts, axis=-2)  # (..., m, n)
    total = m * n
    mean = y.mean(axis=-1, keepdims=True)
    yc = y - mean
    nfft = sp_fft.next_fast_len(2 * n - 1, real=True)
    f = sp_fft.rfft(yc.astype(np.float32), n=nfft, axis=-1, workers=-1)  # ample for ESS
    acov = sp_fft.irfft(f.real**2 + f.imag**2, n=nfft, axis=-1, workers=-1)[..., :n] / n
    acov = acov.astype(np.float64)
    w = acov[..., 0].mean(axis=-1) * n / (n - 1)  # within-chain variance
    b = mean[..., 0].var(axis=-1, ddof=1) * n if m > 1 else np.zeros_like(w)
    var_plus = w * (n - 1) / n + b / n
    const = var_plus <= 1e-300
    safe = np.where(const, 1.0, var_plus)
    rho = 1.0 - (w[..., None] - acov.mean(axis=-2)) / safe[..., None]  # (..., n)
    rho[..., 0] = 1.0
    k = n // 2
    pairs = rho[..., 0 : 2 * k : 2] + rho[..., 1 : 2 * k : 2]  # (..., k)
    positive = np.cumprod(pairs > 0, axis=-1).astype(bool)
    pairs = np.minimum.accumulate(np.where(positive, pairs, 0.0), axis=-1)
    tau = -1.0 + 2.0 * np.sum(np.where(positive, pairs, 0.0), axis=-1)
    tau = np.maximum(tau, 1.0 / np.log10(max(total, 10)))
    ess = np.minimum(total / tau, total * np.log10(max(total, 10)))
    return np.where(const, float(total), ess)


def mcse_mean(x: NDArray, chain: NDArray[np.int64]) -> NDArray[np.float64]:
    """Monte Carlo standard error of the mean of ``x`` over its last axis.

    Examples
    --------
    >>> x = np.r_[np.zeros(500), np.ones(500)]
    >>> float(mcse_mean(np.zeros(1000), np.zeros(1000, int)))
    0.0
    """
    x = np.asarray(x, dtype=np.float64)
    flat = x.reshape(-1, x.shape[-1])
    out = np.zeros(flat.shape[0])
    varying = np.ptp(flat, axis=-1) > 0 if x.shape[-1] > 1 else np.zeros(flat.shape[0], bool)
    if varying.any():
        v = flat[varying]
        out[varying] = v.std(axis=-1, ddof=1) / np.sqrt(_ess(v, np.asarray(chain)))
    return out.reshape(x.shape[:-1])


def _rhat_basic(y: NDArray[np.float64]) -> NDArray[np.float64]:
    """Classic R-hat of ``y (..., chains, draws)``."""
    n = y.shape[-1]
    means = y.mean(axis=-1)
    w = y.var(axis=-1, ddof=1).mean(axis=-1)
    b = n * means.var(axis=-1, ddof=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sqrt(((n - 1) / n * w + b / n) / w)


def _rank_normal(y: NDArray[np.float64]) -> NDArray[np.float64]:
    flat = y.reshape(*y.shape[:-2], -1)
    ranks = rankdata(flat, axis=-1, method="average")
    z = ndtri((ranks - 0.375) / (flat.shape[-1] + 0.25))
    return z.reshape(y.shape)


def rhat(x: NDArray, chain: NDArray[np.int64]) -> NDArray[np.float64]:
    """Rank-normalised split R-hat (Vehtari et al. 2021), max of bulk and tail.

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
    if len(ids) < 2 or n < 4:
        return np.full(x.shape[:-1], np.nan)
    y = np.stack([x[..., chain == c][..., :n] for c in ids], axis=-2)  # (..., m, n)
    half = n // 2
    y = np.concatenate([y[..., :half], y[..., half:]], axis=-2)  # split chains
    bulk = _rhat_basic(_rank_normal(y))
    folded = np.abs(y - np.median(y, axis=(-2, -1), keepdims=True))
    tail = _rhat_basic(_rank_normal(folded))
    return np.fmax(bulk, tail)
