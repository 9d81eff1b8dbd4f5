"""A straightforward per-draw Python loop of the operating model, for checks and benchmarks.

It reads the same arrays (vital rates, culls, poaching, common random numbers) as the
vectorised kernel in :mod:`saigapop.management.operating_model` and simulates one draw ×
population × candidate at a time with Python scalars. It exists to check the kernel
against an independent plain loop and to time the vectorisation gain.
"""

from __future__ import annotations

import math

import numpy as np

from saigapop.demography.mating import conception_from_ratio
from saigapop.management.operating_model import OperatingModel

__all__ = ["loop_risks", "simulate_one"]


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
