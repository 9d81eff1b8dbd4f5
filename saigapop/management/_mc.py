"""Monte Carlo error and convergence of per-draw series, computed by :mod:`arviz_stats`.

A risk is the posterior mean of a per-draw quantity (an indicator, or a paired difference
of indicators). Draws from MCMC are autocorrelated within chains, so its Monte Carlo
standard error is ``sd / sqrt(ESS)``. Management code holds such series flat, ``(...,
draw)`` with a chain index per draw; this module puts them on ``(..., chain, draw)`` and
computes ArviZ's estimators (split chains, Geyer's initial monotone sequence; R-hat:
rank-normalised split R-hat by ``arviz_stats.base.array_stats.rhat`` itself).

``arviz_stats`` computes an ESS or MCSE one series at a time in a Python loop (its
``make_ufunc`` wrapper), which made the MC errors ~40 % of a risk curve (issue 15). The ESS
of the mean here is ``arviz_stats``' own algorithm (``_ess_mean`` / ``_ess`` of
``arviz_stats.base.diagnostics``, version 1.3) written over a batch of series: the same
split chains, the same FFT autocovariance (``numpy.fft`` on each chain, the same padding),
the same sums in the same order, and Geyer's sequences without the per-series loop — so it
gives **bit-identical** results; ``tests/management/test_mc_batched.py`` checks it element by
element against ``arviz_stats.base.array_stats.ess`` / ``mcse`` (and the previous per-series
path, kept in :func:`saigapop.management._reference.mcse_mean_arviz`), and a series whose
autocorrelations are not finite is handed to ``arviz_stats`` itself.

Conventions kept from the callers' side: chains of unequal length are truncated to the
shortest; a constant series has ESS = number of draws and MCSE 0 (ArviZ returns NaN there).
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from arviz_stats.base import array_stats
from numpy.typing import NDArray
from scipy.fftpack import next_fast_len  # arviz_stats' choice of FFT length

__all__ = ["WORKERS", "ess_mean", "mcse_mean", "rhat"]

#: fewest draws per chain for which ArviZ computes an ESS or MCSE
_MIN_DRAWS = 4
#: series per batch of the vectorised ESS (keeps the FFT work arrays in cache)
_BATCH_CELLS = 250_000
#: Worker threads for batched numpy work here and in the operating model's projections: the
#: cores this process may use, at most 4 (issue 15 targets a 2-core machine). No result
#: depends on it.
WORKERS: int = max(
    1,
    min(
        4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    ),
)


def _by_chain(x: NDArray, chain: NDArray[np.int64]) -> NDArray:
    """``(..., draw)`` with a chain index per draw -> ``(..., chain, draw)``."""
    chain = np.asarray(chain)
    ids, counts = np.unique(chain, return_counts=True)
    n = int(counts.min())
    if (counts == n).all() and np.array_equal(chain, np.repeat(ids, n)):
        return x.reshape(*x.shape[:-1], len(ids), n)  # chains in order: the same, a view
    return np.stack([x[..., chain == c][..., :n] for c in ids], axis=-2)


def _ess_batch(y: NDArray[np.float64]) -> NDArray[np.float64]:
    """ESS of the mean of each ``(chain, draw)`` series of ``y`` ``(S, chain, draw)``.

    ``arviz_stats``' ``_ess_mean`` (split chains, then ``_ess``) on a batch: every array
    operation below is the one ArviZ applies to one series, applied to all of them along
    the last axis (reductions over the chain axis are moved to the last, contiguous axis so
    numpy sums in the same order). Geyer's loops become: the initial positive sequence stops
    at the first pair of autocorrelations whose sum is not positive (``K`` pairs taken); the
    initial monotone sequence replaces a pair that exceeds the running minimum of the pair
    sums by half that minimum (ArviZ's ``(ρ_{t-1} + ρ_t) / 2`` of the already-replaced
    previous pair is exactly that, as ``m/2 + m/2 == m`` in floating point). The final sum
    over ``2K`` autocorrelations is taken per distinct ``K`` on contiguous slices, ArviZ's
    order. Series whose autocorrelations are not all finite go to ``arviz_stats`` itself.
    """
    n_series, _, n_draw0 = y.shape
    half = n_draw0 // 2
    z = np.concatenate((y[..., :half], y[..., -half:]), axis=-2)  # _split_chains
    n_chain, n_draw = z.shape[1], z.shape[2]
    n_total = n_chain * n_draw
    out = np.empty(n_series)
    flat_z = z.reshape(n_series, -1)  # max and min are exact in any order
    const = (flat_z.max(axis=-1) - flat_z.min(axis=-1)) < np.finfo(float).resolution
    out[const] = n_total
    todo = np.flatnonzero(~const)
    if todo.size == 0:
        return out
    z = z[todo]
    # autocovariance by FFT (arviz_stats.base.core._CoreBase.autocov)
    m = next_fast_len(2 * n_draw)
    chain_mean = z.mean(axis=-1, keepdims=True)  # (S, chain, 1)
    spec = np.fft.rfft(z - chain_mean, n=m, axis=-1)
    spec *= np.conjugate(spec)
    acov = np.fft.irfft(spec, n=m, axis=-1)[..., :n_draw]
    del spec
    acov /= n_draw
    chain_mean = chain_mean[..., 0]  # (S, chain)
    acov_mean = np.ascontiguousarray(np.swapaxes(acov, -1, -2)).mean(-1)  # (S, lag)
    del acov
    mean_var = acov_mean[:, 0] * n_draw / (n_draw - 1.0)
    var_plus = mean_var * (n_draw - 1.0) / n_draw
    if n_chain > 1:
        var_plus = var_plus + np.var(chain_mean, axis=-1, ddof=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = 1.0 - (mean_var[:, None] - acov_mean) / var_plus[:, None]  # (S, lag)
    finite = np.isfinite(rho).all(axis=-1)
    rows = np.arange(todo.size)
    # Geyer's initial positive sequence: pair 0 is (1, ρ_1), pair k ≥ 1 is (ρ_2k, ρ_2k+1);
    # ArviZ evaluates pair k (k = 1 … n_pairs) while every earlier pair sum is positive
    n_pairs = max(0, (n_draw - 3) // 2)  # iterations t = 1, 3, … < n_draw - 3
    rho[:, 0] = 1.0
    pair = rho[:, 0 : 2 * n_pairs + 1 : 2][:, : n_pairs + 1] + rho[:, 1 : 2 * n_pairs + 2 : 2]
    stop = pair <= 0.0  # (S, n_pairs + 1)
    first = np.where(stop.any(axis=-1), np.argmax(stop, axis=-1), n_pairs + 1)
    k = np.minimum(first, n_pairs)  # pairs evaluated
    r = np.zeros_like(rho)
    lag = np.arange(n_draw)
    keep = lag[None, :] < 2 * k[:, None]  # pairs 0 … K-1: positive, kept
    r[keep] = rho[keep]
    # pair K: kept if its sum is ≥ 0; its even member also when positive
    even_k = rho[rows, 2 * k]
    pair_k = pair[rows, k]
    has_k = k >= 1
    r[rows, 2 * k] = np.where(has_k & ((pair_k >= 0.0) | (even_k > 0.0)), even_k, r[rows, 2 * k])
    r[:, 0] = 1.0
    odd_idx = np.minimum(2 * k + 1, n_draw - 1)
    r[rows, odd_idx] = np.where(has_k & (pair_k >= 0.0), rho[rows, odd_idx], r[rows, odd_idx])
    # Geyer's initial monotone sequence over pairs 1 … K-1
    if n_pairs >= 1:
        sums = r[:, 0 : 2 * n_pairs : 2] + r[:, 1 : 2 * n_pairs : 2]  # pairs 0 … n_pairs-1
        run_min = np.minimum.accumulate(sums, axis=-1)
        j = np.arange(1, n_pairs)
        lower = (sums[:, 1:] > run_min[:, :-1]) & (j[None, :] <= k[:, None] - 1)
        s_idx, j_idx = np.nonzero(lower)
        value = run_min[s_idx, j_idx] / 2.0  # pair j = j_idx + 1 takes the running min / 2
        r[s_idx, 2 * (j_idx + 1)] = value
        r[s_idx, 2 * (j_idx + 1) + 1] = value
    # tau = -1 + 2 Σ_{t < 2K} ρ_t + ρ_2K, the sums on contiguous slices (ArviZ's order)
    head = np.empty(todo.size)
    for kk in np.unique(k):
        sel = np.flatnonzero(k == kk)
        head[sel] = r[sel, : 2 * kk].sum(axis=-1)
    tail = r[rows, 2 * k]
    tau = -1.0 + 2.0 * head + tail
    floor = 1 / np.log10(n_total)
    tau = np.where(floor > tau, floor, tau)
    ess = n_total / tau
    out[todo] = np.where(finite, ess, np.nan)
    for i in np.flatnonzero(~finite):  # non-finite autocorrelations: ArviZ itself
        out[todo[i]] = array_stats.ess(y[todo[i]], chain_axis=-2, draw_axis=-1, method="mean")
    return out


def _series_stats(
    v: NDArray, chain: NDArray[np.int64], sd: bool
) -> tuple[NDArray[np.float64], NDArray[np.float64]] | None:
    """ESS of the mean (and the sd over all draws) of each row of ``v`` ``(S, draw)``.

    ``None`` when the chains are too short for an ESS. Rows are converted to float64 and
    put on ``(chain, draw)`` (C order) a batch at a time, so the work arrays stay small.
    """
    if _by_chain(v[:1], chain).shape[-1] < _MIN_DRAWS:
        return None
    ess = np.empty(v.shape[0])
    sds = np.empty(v.shape[0])
    step = max(1, _BATCH_CELLS // max(1, v.shape[-1]))

    def batch(i: int) -> None:  # writes its own rows only
        y = np.ascontiguousarray(_by_chain(v[i : i + step], chain), dtype=np.float64)
        ess[i : i + step] = _ess_batch(y)
        if sd:  # as ArviZ: np.std of each (chain, draw) array, ddof=1
            sds[i : i + step] = np.std(y.reshape(y.shape[0], -1), axis=-1, ddof=1)

    starts = range(0, v.shape[0], step)
    nested = threading.current_thread() is not threading.main_thread()  # a worker already
    if WORKERS <= 1 or len(starts) == 1 or nested:
        for i in starts:
            batch(i)
    else:  # numpy's FFT and array loops release the GIL: batches on every core
        with ThreadPoolExecutor(max_workers=min(WORKERS, len(starts))) as pool:
            list(pool.map(batch, starts))
    return ess, sds


def _varying_distinct(
    x: NDArray,
) -> tuple[NDArray, NDArray[np.bool_], NDArray, NDArray[np.intp]]:
    """Flatten ``x`` to rows; which vary; the distinct varying rows; each one's index."""
    x = np.asarray(x)
    if x.dtype == np.bool_:
        x = x.view(np.int8)
    elif not (np.issubdtype(x.dtype, np.integer) or x.dtype == np.float64):
        x = x.astype(np.float64)
    flat = x.reshape(-1, x.shape[-1]) if x.ndim else x.reshape(1, 1)
    if x.shape[-1] > 1 and x.dtype == np.float64:
        varying = np.ptp(flat, axis=-1) > 0  # NaN: not varying (as before)
    elif x.shape[-1] > 1:
        varying = flat.max(axis=-1) != flat.min(axis=-1)  # np.ptp > 0 without overflow
    else:
        varying = np.zeros(flat.shape[0], bool)
    distinct, inverse = _distinct_rows(flat[varying])
    return flat, varying, distinct, inverse


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
    x = np.asarray(x)
    lead = x.shape[:-1]
    flat, varying, distinct, inverse = _varying_distinct(x)
    out = np.full(flat.shape[0], float(x.shape[-1]))
    if varying.any():
        stats = _series_stats(distinct, chain, sd=False)
        if stats is not None:
            out[varying] = stats[0][inverse]
    return out.reshape(lead)


def mcse_mean(x: NDArray, chain: NDArray[np.int64]) -> NDArray[np.float64]:
    """Monte Carlo standard error of the mean of ``x`` over its last axis.

    ``sd / sqrt(ESS)`` as ``arviz_stats.mcse(method="mean")``: ``sd`` over all draws
    (``ddof=1``), the ESS of the mean (:func:`ess_mean`); 0 for a constant series. All
    series are computed in one batch, each distinct series once (pass indicators as bool
    or small integers: they are compared and stored as such, converted a batch at a time).

    Examples
    --------
    >>> float(mcse_mean(np.zeros(1000), np.zeros(1000, int)))
    0.0
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=4000)  # iid: about 1 / sqrt(4000) = 0.0158
    >>> 0.014 < float(mcse_mean(x, np.repeat(np.arange(4), 1000))) < 0.018
    True
    """
    x = np.asarray(x)
    flat, varying, distinct, inverse = _varying_distinct(x)
    out = np.zeros(flat.shape[0])
    if varying.any():
        stats = _series_stats(distinct, chain, sd=True)
        if stats is not None:
            res = stats[1] / np.sqrt(stats[0])
        else:  # too short for an autocorrelation: the iid error
            v = distinct.astype(np.float64)
            res = v.std(axis=-1, ddof=1) / np.sqrt(v.shape[-1])
        out[varying] = res[inverse]
    return out.reshape(x.shape[:-1])


def _distinct_rows(v: NDArray) -> tuple[NDArray, NDArray[np.intp]]:
    """Distinct rows of ``v`` (bytewise) and the index of each row among them.

    Rows are grouped by a 64-bit fingerprint of their bytes, and every row is then compared
    with its group's first row; only if a fingerprint were shared by different rows does
    it fall back to sorting the rows themselves.
    """
    v = np.ascontiguousarray(v)
    if v.shape[0] < 2:
        return v, np.zeros(v.shape[0], dtype=np.intp)
    width = v.dtype.itemsize * v.shape[1]
    if width % 8 == 0:
        words = v.view(np.uint64).reshape(v.shape[0], -1)
        mult = np.random.default_rng(15).integers(1, 2**63, words.shape[1], dtype=np.uint64) | 1
        finger = (words * mult).sum(axis=1, dtype=np.uint64)  # wraps modulo 2^64
        _, first, inverse = np.unique(finger, return_index=True, return_inverse=True)
        inverse = inverse.ravel()
        distinct = v[first]
        step = 1024  # compare a block of rows at a time (no full copy)
        if all(
            np.array_equal(v[i : i + step], distinct[inverse[i : i + step]])
            for i in range(0, v.shape[0], step)
        ):
            return distinct, inverse
    keys = v.view(np.dtype((np.void, width))).ravel()
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    return v[first], inverse.ravel()


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
