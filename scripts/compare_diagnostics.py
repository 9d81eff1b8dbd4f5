r"""Compare the old in-house R-hat/ESS/MCSE/PSIS with arviz-stats, and the quotas they give.

Issue 14 item 5: saigapop's convergence and Monte Carlo diagnostics now come from
``arviz_stats`` (:mod:`saigapop.management._mc`, :func:`saigapop.management.reweighting.psis`).
The implementations they replace are kept **only here** (verbatim from commit 0405c06, renamed
``old_*``), so the switch can be measured:

1. per contract variable of a synthetic posterior (:func:`saigapop.testing.synthetic_posterior`)
   — and of a real fit if one is given — old vs new rank-normalised R-hat, ESS of the mean and
   MCSE of the mean;
2. the Pareto k̂ and weight ESS of every reweighted default trial, old vs new PSIS;
3. the gate verdicts that read them (operating-model R-hat ≤ 1.01, k̂ ≤ 0.7);
4. the quota (:func:`saigapop.management.solve_quota`) and the trial table
   (:func:`saigapop.management.run_trials`) at the same seed with the old functions patched
   back in, and with the new ones.

Run (a few minutes on the synthetic posterior; a fit adds its diagnostics)::

    PYTHONPATH=$PWD .venv/bin/python scripts/compare_diagnostics.py [--fit FIT.zarr]
        [--draws 400] [--quota-on-fit]
"""

from __future__ import annotations

import argparse
import contextlib
import warnings
from collections.abc import Iterator

import numpy as np
import scipy.fft as sp_fft
import xarray as xr
from numpy.typing import NDArray
from scipy.special import ndtri
from scipy.stats import rankdata

from saigapop.management import (
    DEFAULT_TRIALS,
    OperatingModel,
    _mc,
    convergence,
    criteria,
    default_criteria,
    reweighting,
    run_trials,
    solve_quota,
)
from saigapop.management.trials import KHAT_MAX, observed_counts, synthetic_counts
from saigapop.model.io import load_fit
from saigapop.model.schema import read_posterior
from saigapop.testing import synthetic_posterior

Array = NDArray[np.float64]
RHAT_MAX = convergence.RHAT_MAX


# ---------------------------------------------------------------- the old implementations
def _old_ess(x: NDArray[np.float64], chain: NDArray[np.int64]) -> NDArray[np.float64]:
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


def old_mcse_mean(x: NDArray, chain: NDArray[np.int64]) -> NDArray[np.float64]:
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
        out[varying] = v.std(axis=-1, ddof=1) / np.sqrt(_old_ess(v, np.asarray(chain)))
    return out.reshape(x.shape[:-1])


def _old_rhat_basic(y: NDArray[np.float64]) -> NDArray[np.float64]:
    """Classic R-hat of ``y (..., chains, draws)``."""
    n = y.shape[-1]
    means = y.mean(axis=-1)
    w = y.var(axis=-1, ddof=1).mean(axis=-1)
    b = n * means.var(axis=-1, ddof=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sqrt(((n - 1) / n * w + b / n) / w)


def _old_rank_normal(y: NDArray[np.float64]) -> NDArray[np.float64]:
    flat = y.reshape(*y.shape[:-2], -1)
    ranks = rankdata(flat, axis=-1, method="average")
    z = ndtri((ranks - 0.375) / (flat.shape[-1] + 0.25))
    return z.reshape(y.shape)


def old_rhat(x: NDArray, chain: NDArray[np.int64]) -> NDArray[np.float64]:
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
    bulk = _old_rhat_basic(_old_rank_normal(y))
    folded = np.abs(y - np.median(y, axis=(-2, -1), keepdims=True))
    tail = _old_rhat_basic(_old_rank_normal(folded))
    return np.fmax(bulk, tail)


def _old_gpdfit(x: Array) -> tuple[float, float]:
    """Generalised Pareto fit of sorted exceedances (Zhang & Stephens 2009, as in loo/ArviZ)."""
    n = len(x)
    prior_bs, prior_k = 3.0, 10.0
    m_est = 30 + int(n**0.5)
    b = 1.0 - np.sqrt(m_est / (np.arange(1, m_est + 1, dtype=float) - 0.5))
    b /= prior_bs * x[int(n / 4 + 0.5) - 1]
    b += 1.0 / x[-1]
    k = np.log1p(-b[:, None] * x).mean(axis=1)
    len_scale = n * (np.log(-(b / k)) - k - 1.0)
    weights = 1.0 / np.exp(len_scale - len_scale[:, None]).sum(axis=1)
    keep = weights >= 10 * np.finfo(float).eps
    weights, b = weights[keep], b[keep]
    weights /= weights.sum()
    b_post = float(np.sum(b * weights))
    k_post = float(np.log1p(-b_post * x).mean())
    sigma = -k_post / b_post
    k_post = (n * k_post + prior_k * 0.5) / (n + prior_k)
    return k_post, sigma


def _old_gpinv(p: Array, k: float, sigma: float) -> Array:
    if abs(k) < 1e-12:
        return -sigma * np.log1p(-p)
    return sigma * np.expm1(-k * np.log1p(-p)) / k


def old_psis(log_weights: Array) -> tuple[Array, float, float]:
    """Pareto-smoothed importance sampling (Vehtari et al. 2024).

    Parameters
    ----------
    log_weights
        Raw log importance ratios, ``(draw,)``.

    Returns
    -------
    weights, khat, ess
        Normalised smoothed weights, the Pareto shape estimate of the upper tail and the
        effective sample size ``1 / Σ w²``. Constant log weights give uniform weights,
        ``khat = -inf`` and ``ess = n``.

    Examples
    --------
    >>> w, k, ess = psis(np.zeros(100))
    >>> round(float(w.sum()), 12), ess
    (1.0, 100.0)
    >>> rng = np.random.default_rng(0)
    >>> psis(rng.standard_t(1.5, size=4000))[1] > 0.5  # very heavy tail: unreliable
    True
    """
    lw = np.asarray(log_weights, dtype=np.float64).copy()
    n = lw.size
    if n == 0 or np.ptp(lw) == 0:
        return np.full(n, 1.0 / max(n, 1)), -np.inf, float(n)
    lw -= lw.max()
    tail = int(np.ceil(min(0.2 * n, 3 * np.sqrt(n))))
    khat = -np.inf
    if tail >= 5:
        order = np.argsort(lw)
        cutoff = lw[order[-tail - 1]]
        idx = order[-tail:]
        exceed = np.exp(lw[idx]) - np.exp(cutoff)
        if np.all(exceed > 0) and np.ptp(exceed) > 0:
            khat, sigma = _old_gpdfit(exceed)
            if np.isfinite(khat):
                p = (np.arange(tail) + 0.5) / tail
                smoothed = np.log(_old_gpinv(p, khat, sigma) + np.exp(cutoff))
                lw[idx] = np.minimum(smoothed, 0.0)
    w = np.exp(lw - lw.max())
    w /= w.sum()
    return w, float(khat), float(1.0 / np.sum(w**2))


# ---------------------------------------------------------------- comparison
@contextlib.contextmanager
def old_functions() -> Iterator[None]:
    """Patch the old R-hat/MCSE/PSIS back into every module that calls them."""
    saved = (criteria.mcse_mean, reweighting.mcse_mean, reweighting.psis, convergence.rhat)
    criteria.mcse_mean = reweighting.mcse_mean = old_mcse_mean
    reweighting.psis = old_psis
    convergence.rhat = old_rhat
    try:
        yield
    finally:
        criteria.mcse_mean, reweighting.mcse_mean, reweighting.psis, convergence.rhat = saved


def _flat_series(ds: xr.Dataset) -> tuple[list[str], Array, Array]:
    """Every scalar element of every variable as a row of draws, with the chain index."""
    names, rows = [], []
    for name, da in ds.data_vars.items():
        if {"chain", "draw"} - set(da.dims) or not np.issubdtype(da.dtype, np.number):
            continue
        da = da.transpose(..., "chain", "draw")
        flat = da.values.reshape(-1, da.sizes["chain"] * da.sizes["draw"])
        for i, row in enumerate(flat):
            if np.all(np.isfinite(row)):
                names.append(f"{name}[{i}]")
                rows.append(row)
    chain = np.repeat(np.arange(ds.sizes["chain"]), ds.sizes["draw"])
    return names, np.array(rows), chain


def _ratio_line(label: str, new: Array, old: Array) -> str:
    ok = np.isfinite(new) & np.isfinite(old) & (old != 0)
    r = new[ok] / old[ok]
    if not r.size:
        return f"  {label:<10} no finite pairs"
    return (
        f"  {label:<10} new/old ratio: min {r.min():.4f}, median {np.median(r):.4f}, "
        f"max {r.max():.4f} over {r.size} elements"
    )


def compare_convergence(title: str, ds: xr.Dataset) -> None:
    """R-hat, ESS and MCSE of every element, old vs new, and the R-hat gate."""
    names, x, chain = _flat_series(ds)
    r_old, r_new = old_rhat(x, chain), _mc.rhat(x, chain)
    e_old = np.array([float(x.shape[-1])] * len(x))
    varying = np.ptp(x, axis=-1) > 0
    e_old[varying] = _old_ess(x[varying], chain)
    e_new = _mc.ess_mean(x, chain)
    m_old, m_new = old_mcse_mean(x, chain), _mc.mcse_mean(x, chain)
    print(f"\n== {title}: {len(names)} elements, {ds.sizes['chain']} chains x {ds.sizes['draw']}")
    d = np.abs(r_new - r_old)
    print(
        f"  R-hat      max |new - old| = {np.nanmax(d):.2e}; max old {np.nanmax(r_old):.4f}, "
        f"max new {np.nanmax(r_new):.4f}"
    )
    print(_ratio_line("ESS mean", e_new, e_old))
    print(_ratio_line("MCSE mean", m_new, m_old))
    gate_old = bool(np.nanmax(r_old) <= RHAT_MAX)
    gate_new = bool(np.nanmax(r_new) <= RHAT_MAX)
    flips = int(np.sum((r_old <= RHAT_MAX) != (r_new <= RHAT_MAX)))
    print(
        f"  gate R-hat <= {RHAT_MAX}: old {gate_old}, new {gate_new}; "
        f"elements whose verdict flips: {flips}"
    )


def compare_psis(title: str, post: xr.DataTree, counts: xr.DataArray | None, n_draws: int) -> None:
    """k̂ and weight ESS of every reweighted default trial, old vs new PSIS."""
    print(f"\n== {title}: PSIS of the reweighted trials ({n_draws} draws)")
    if counts is None:
        print("  no counts: skipped")
        return
    for trial in DEFAULT_TRIALS:
        if trial.reweight is None:
            continue
        with old_functions():
            _, k_old, ess_old = reweighting.trial_weights(
                post, counts, trial.reweight, n_draws=n_draws
            )
        _, k_new, ess_new = reweighting.trial_weights(post, counts, trial.reweight, n_draws=n_draws)
        print(
            f"  {trial.name:<22} k̂ old {k_old:7.3f} new {k_new:7.3f} | ESS old {ess_old:7.1f} "
            f"new {ess_new:7.1f} | reliable (k̂ <= {KHAT_MAX}) old {k_old <= KHAT_MAX} "
            f"new {k_new <= KHAT_MAX}"
        )


def compare_quota(title: str, post: xr.DataTree, counts: xr.DataArray | None, n_draws: int) -> None:
    """solve_quota and run_trials at the same seed, old vs new functions."""
    print(f"\n== {title}: quota and trials at seed 3 ({n_draws} draws)")
    results = {}
    for label, ctx in (("old", old_functions), ("new", contextlib.nullcontext)):
        with ctx(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            om = OperatingModel.from_posterior(post, seed=3, n_draws=n_draws)
            q = solve_quota(om, default_criteria(), progress=False)
            tr = run_trials(post, q, counts=counts, progress=False, n_draws=n_draws, seed=3)
        results[label] = (q, tr)
    (q_old, t_old), (q_new, t_new) = results["old"], results["new"]
    pops = [str(p) for p in q_new.level["population"].values]
    for j, p in enumerate(pops):
        lo, ln = float(q_old.level.sel(population=p)), float(q_new.level.sel(population=p))
        print(
            f"  quota {p:<12} old {lo:10,.0f}  new {ln:10,.0f}  (new - old {ln - lo:+,.0f}; "
            f"binding old {np.asarray(q_old.binding)[j]}, new {np.asarray(q_new.binding)[j]})"
        )
    for var in ("risk", "added_risk", "decision_risk"):
        diff = float(np.nanmax(np.abs(t_new[var] - t_old[var])))
        print(f"  trials {var:<14} max |new - old| = {diff:.2e}")
    print(
        _ratio_line(
            "MCSE", t_new["decision_mcse"].values.ravel(), t_old["decision_mcse"].values.ravel()
        )
    )
    flips = (t_new["passes"] != t_old["passes"]).sum().item()
    tp_flips = (t_new["trial_passes"] != t_old["trial_passes"]).sum().item()
    print(
        f"  pass verdicts that flip: {flips} of {t_new['passes'].size} criterion cells, "
        f"{tp_flips} of {t_new['trial_passes'].size} trial x population"
    )
    print(f"  failed trials old {t_old.attrs['failed_trials']}, new {t_new.attrs['failed_trials']}")


def main(argv: list[str] | None = None) -> None:
    """Run the comparison (see the module docstring)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fit", help="a saved fit (save_fit) to compare on as well")
    ap.add_argument("--draws", type=int, default=400, help="draws used by the quota/trials")
    ap.add_argument("--quota-on-fit", action="store_true", help="also solve the quota on the fit")
    args = ap.parse_args(argv)

    post = synthetic_posterior(chains=4, draws=250, seed=11, adult_male_share=0.2)
    compare_convergence("synthetic posterior", read_posterior(post))
    counts = synthetic_counts(post)
    compare_psis("synthetic posterior", post, counts, args.draws)
    compare_quota("synthetic posterior", post, counts, args.draws)
    if args.fit:
        fit = load_fit(args.fit)
        compare_convergence(f"fit {args.fit}", fit["posterior"].to_dataset())
        compare_psis(f"fit {args.fit}", fit, observed_counts(fit), args.draws)
        if args.quota_on_fit:
            compare_quota(f"fit {args.fit}", fit, observed_counts(fit), args.draws)


if __name__ == "__main__":
    main()
