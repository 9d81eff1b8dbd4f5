"""Reference paths for checks and benchmarks: plain loops and the unbatched MC errors.

* :func:`simulate_one` / :func:`loop_risks`: a straightforward per-draw Python loop of the
  operating model. It reads the same arrays (vital rates, culls, poaching, common random
  numbers) as the vectorised kernel in :mod:`saigapop.management.operating_model` and
  simulates one draw × population × candidate at a time with Python scalars, to check the
  kernel against an independent plain loop and to time the vectorisation gain.
* :func:`ess_mean_arviz` / :func:`mcse_mean_arviz` / :func:`summarise_reference`: the
  risks and Monte Carlo errors as computed before issue 15 — ``arviz_stats``' array
  interface, one series at a time — against which the batched estimator of
  :mod:`saigapop.management._mc` and :func:`saigapop.management.criteria.summarise` are
  checked in ``tests/management/test_mc_batched.py``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from arviz_stats.base import array_stats
from numpy.typing import NDArray

from saigapop.demography.mating import conception_from_ratio
from saigapop.management._mc import _MIN_DRAWS
from saigapop.management.operating_model import OperatingModel

__all__ = [
    "ess_mean_arviz",
    "loop_risks",
    "mcse_mean_arviz",
    "simulate_one",
    "summarise_reference",
]


def _by_chain(x: NDArray, chain: NDArray[np.int64]) -> NDArray:
    """``(..., draw)`` -> ``(..., chain, draw)`` as before issue 15 (boolean-mask gather)."""
    chain = np.asarray(chain)
    ids, counts = np.unique(chain, return_counts=True)
    n = int(counts.min())
    return np.stack([x[..., chain == c][..., :n] for c in ids], axis=-2)


def ess_mean_arviz(x: NDArray, chain: NDArray[np.int64]) -> NDArray[np.float64]:
    """:func:`saigapop.management._mc.ess_mean` by ``arviz_stats``, one series at a time.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> 3500 < float(ess_mean_arviz(rng.normal(size=4000), np.repeat(np.arange(4), 1000)))
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


def mcse_mean_arviz(x: NDArray, chain: NDArray[np.int64]) -> NDArray[np.float64]:
    """:func:`saigapop.management._mc.mcse_mean` by ``arviz_stats``, one series at a time.

    Examples
    --------
    >>> float(mcse_mean_arviz(np.zeros(1000), np.zeros(1000, int)))
    0.0
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


def simulate_one(
    om: OperatingModel, draw: int, pop: int, level: float
) -> tuple[list[float], list[float], list[float]]:
    """Census totals, rut ratios and conception for one draw, population and export level.

    The export is a constant number of adult males in the quota years (the default
    :class:`~saigapop.management.ConstantHarvest`).

    Examples
    --------
    >>> from saigapop.testing import synthetic_posterior
    >>> om = OperatingModel.from_posterior(synthetic_posterior(chains=1, draws=2), horizon=3)
    >>> totals, ratios, conc = simulate_one(om, 0, 0, 0.0)
    >>> len(totals), len(ratios)
    (4, 3)
    """
    n0 = om.n0[draw, pop]
    fy, fa, my, ma = float(n0[0, 0]), float(n0[0, 1]), float(n0[1, 0]), float(n0[1, 1])
    conc = float(om.conception0[draw, pop])
    bpf_y, bpf_a = (float(v) for v in om.births_per_female[draw, 0])
    mating = {
        "form": om.mating_form,
        "harem_size": float(om.harem_size[draw, 0]),
        "half_share": float(om.mating_half_share[draw, 0]),
        "steepness": float(om.mating_steepness[draw, 0]),
        "reference_ratio": float(om.mating_reference_ratio[draw, 0]),
    }
    w_y = float(om.yearling_male_weight[draw, 0])
    k = float(om.carrying_capacity[draw, pop])
    b = float(om.density_strength[draw, 0])
    rho = om.birth_sex_ratio
    quota = set(om.quota_years)
    w = om.wounding
    exports = level > 0  # the per-candidate switch (management.arms.exporting)
    culls = om.culls if om.culls_export is None or not exports else om.culls_export
    totals, ratios, concs = [], [], []
    for t, year in enumerate(om.model_years.tolist()):
        total = fy + fa + my + ma
        totals.append(total)
        if om.density_form == "beverton_holt":
            dens = 1.0 / (1.0 + b * total / k)
        elif om.density_form == "ricker":
            dens = math.exp(-b * total / k)
        elif om.density_form == "theta_logistic":
            dens = max(0.0, 1.0 - (total / k) ** b)
        else:
            dens = 1.0
        births = conc * dens * (fy * bpf_y + fa * bpf_a)
        cs = om.calving_survival[:, :, t, draw, pop]
        fc = births * (rho * cs[0, 0])
        mc = births * ((1.0 - rho) * cs[1, 0])
        x = [[fc, fy * cs[0, 1], fa * cs[0, 2]], [mc, my * cs[1, 1], ma * cs[1, 2]]]
        for s in range(2):
            for a in range(3):
                req = float(culls[s, a, t, draw, pop])
                if a == 2:
                    rate = float(om.poaching[s, t, draw, pop])
                    if exports:  # trade-linked poaching in an exporting arm only
                        rate = min(1.0, rate * float(om.trade[t, draw]))
                    req += rate * x[s][a]
                if s == 1 and a == 2 and year in quota:
                    req += level * (1.0 + w)
                x[s][a] -= min(req, x[s][a])
        (fc, fy, fa), (mc, my, ma) = x
        females = fc + fy + fa
        ratio = (ma + w_y * my) / females if females > 0 else 0.0
        conc = float(conception_from_ratio(ratio, females, **mating))
        ratios.append(ratio)
        concs.append(conc)
        sv = om.survival[:, :, t, draw, pop]
        fy, fa = fc * sv[0, 0], fy * sv[0, 1] + fa * sv[0, 2]
        my, ma = mc * sv[1, 0], my * sv[1, 1] + ma * sv[1, 2]
    totals.append(fy + fa + my + ma)
    return totals, ratios, concs


def loop_risks(
    om: OperatingModel,
    levels: np.ndarray,
    limits: list[float],
    draws: list[int],
    *,
    min_relative: float = 0.9,
    floor: float = 0.2,
    max_loss: float = 0.02,
) -> np.ndarray:
    """Per-draw failures of the three default criteria, by a plain loop.

    Returns
    -------
    numpy.ndarray
        Bool, ``(criterion=3, candidate, draw, population)``: abundance (export-caused
        crossing of the limit), sex ratio (relative or floor), conception (loss).
    """
    n_c, n_p = len(levels), len(om.populations)
    out = np.zeros((3, n_c, len(draws), n_p), dtype=bool)
    first_rut = om.model_years.tolist().index(min(om.quota_years))
    for j, d in enumerate(draws):
        for p in range(n_p):
            bt, br, bc = simulate_one(om, d, p, 0.0)
            base_below = any(v < limits[p] for v in bt[1:])
            for c, level in enumerate(levels):
                et, er, ec = simulate_one(om, d, p, float(level[p]))
                below = any(v < limits[p] for v in et[1:])
                out[0, c, j, p] = below and not base_below
                sr = False
                cl = False
                exp_floor = base_floor = False
                for t in range(first_rut, len(er)):
                    if er[t] < min_relative * br[t]:
                        sr = True
                    exp_floor = exp_floor or er[t] < floor
                    base_floor = base_floor or br[t] < floor
                    if bc[t] > 0 and 1.0 - ec[t] / bc[t] > max_loss:
                        cl = True
                # floor: crossed with export at some rut, never without (added risk)
                sr = sr or (exp_floor and not base_floor)
                out[1, c, j, p] = sr
                out[2, c, j, p] = cl
    return out


def summarise_reference(
    indicators: Sequence[tuple[NDArray, NDArray, NDArray, str]], chain: NDArray[np.int64]
) -> dict[str, NDArray[np.float64]]:
    """:func:`~saigapop.management.criteria.summarise` as before issue 15 (arviz one by one).

    Parameters
    ----------
    indicators
        Per criterion ``(exp (c, D, P), base (D, P), fail (c, D, P), basis)`` as returned by
        :meth:`Criterion.indicators`, with the criterion's ``basis``.
    chain
        Chain index of each draw.

    Returns
    -------
    dict
        ``risk``, ``baseline_risk``, ``added_risk``, ``decision_risk``, ``risk_mcse``,
        ``added_risk_mcse``, ``decision_mcse``; each ``(criterion, candidate, population)``.
    """
    e = np.stack([np.moveaxis(i[0], 1, -1) for i in indicators]).astype(np.float64)  # (k,c,P,D)
    b = np.stack([np.moveaxis(i[1], 0, -1) for i in indicators]).astype(np.float64)  # (k,P,D)
    f = np.stack([np.moveaxis(i[2], 1, -1) for i in indicators]).astype(np.float64)
    diff = e - b[:, None]
    basis = [i[3] for i in indicators]
    dec = np.stack(
        [
            diff[k] if bs == "added" else e[k] if bs == "absolute" else f[k]
            for k, bs in enumerate(basis)
        ]
    )
    # Monte Carlo errors, computing each distinct per-draw series once
    series, index = [], []
    for k, (exp_k, base_k, fail_k, bs) in enumerate(indicators):
        i_e = len(series)
        series.append(e[k])
        if base_k.any():
            i_d = len(series)
            series.append(diff[k])
        else:
            i_d = i_e  # no baseline events: the difference is the export indicator
        if bs == "added":
            i_dec = i_d
        elif bs == "absolute" or fail_k is exp_k:
            i_dec = i_e
        else:
            i_dec = len(series)
            series.append(f[k])
        index.append((i_e, i_d, i_dec))
    mcs = mcse_mean_arviz(np.stack(series), chain)
    mc = np.stack([np.stack([mcs[i[j]] for i in index]) for j in range(3)])  # (3, k, c, P)
    risk = e.mean(-1)
    return {
        "risk": risk,
        "baseline_risk": np.broadcast_to(b.mean(-1)[:, None], risk.shape).copy(),
        "added_risk": diff.mean(-1),
        "decision_risk": dec.mean(-1),
        "risk_mcse": mc[0],
        "added_risk_mcse": mc[1],
        "decision_mcse": mc[2],
    }
