r"""Cross-checks: Potential Biological Removal (Wade 1998) and an ICES-style percentile rule.

**PBR** (16 USC 1362(20); Wade 1998): :math:`PBR = N_{min} \cdot \tfrac12 R_{max} \cdot F_r`.

* :math:`N_{min}` — the 20th percentile of abundance: here of the posterior of true
  abundance at the latest census (:func:`n_min_lognormal` gives NOAA's lognormal formula
  :math:`N / \exp(0.842 \sqrt{\ln(1 + CV^2)})` for a point estimate with a CV);
* :math:`R_{max}` — the maximum net productivity rate, from the posterior as
  :math:`\lambda_{max} - 1` (female matrix with the posterior's survival and fecundity,
  conception 1, no density dependence; :func:`saigapop.demography.female_matrix`),
  posterior median;
* :math:`F_r` — the recovery factor, default **0.5**: NOAA's value for stocks of
  "unknown status". Saiga are recovering and abundant, but the counts carry no published
  error, the 2025 Ural and Betpakdala figures equal a planning estimate, and the sex ratio
  is prior-driven — exactly "unknown status". 1.0 would assume a well-assessed stock at or
  above its optimum; 0.1 is for endangered stocks.

PBR is computed for total human-caused mortality (abundance of all classes) and for its
male component (adult males only), and compared with the human-caused mortality the
operating model projects (culls, poaching, export, wounding).

**ICES-style percentile rule** (ICES category 1 advice rule with a percentile, cf.
SPiCT's 35th-percentile catch): per draw, catch = :math:`F \cdot \min(1, N / B_{trigger})
\cdot N` with :math:`F = R_{max}/2` (the MSY rate of a logistic model) and
:math:`B_{trigger} = B_{lim} \exp(1.645 \sigma)`; the advice is the 35th percentile.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import xarray as xr
from numpy.typing import ArrayLike

from saigapop.demography.matrix import female_matrix, lambda_
from saigapop.demography.vital_rates import VitalRates
from saigapop.management.operating_model import OperatingModel

__all__ = [
    "DEFAULT_RECOVERY_FACTOR",
    "ices_percentile_rule",
    "lambda_max",
    "n_min_lognormal",
    "pbr",
    "pbr_table",
]

#: NOAA's recovery factor for stocks of unknown status (see module docstring).
DEFAULT_RECOVERY_FACTOR: float = 0.5
#: NOAA's N_min percentile.
N_MIN_PERCENTILE: float = 0.20


def n_min_lognormal(n: ArrayLike, cv: ArrayLike, z: float = 0.842) -> np.ndarray:
    """NOAA's minimum population estimate: the 20th percentile of a lognormal.

    Examples
    --------
    >>> round(float(n_min_lognormal(1000.0, 0.2)), 1)
    846.4
    """
    n = np.asarray(n, dtype=float)
    cv = np.asarray(cv, dtype=float)
    return n / np.exp(z * np.sqrt(np.log1p(cv**2)))


def pbr(
    n_min: ArrayLike, r_max: ArrayLike, recovery_factor: ArrayLike = DEFAULT_RECOVERY_FACTOR
) -> np.ndarray:
    """Potential Biological Removal ``N_min × ½ R_max × F_r`` (Wade 1998).

    Examples
    --------
    NOAA's cetacean default (R_max = 0.04) and an unknown-status stock of N_min = 1000:

    >>> float(pbr(1000.0, 0.04, 0.5))
    10.0
    """
    return (
        np.asarray(n_min, dtype=float)
        * 0.5
        * np.asarray(r_max, dtype=float)
        * np.asarray(recovery_factor, dtype=float)
    )


def lambda_max(
    om: OperatingModel, posterior: xr.DataTree | xr.Dataset | None = None
) -> xr.DataArray:
    """λ at low density with full conception, per draw and population.

    Uses the operating model's per-draw fecundity and posterior survival (no process
    noise, no dzhut), conception 1 and no density dependence.

    Returns
    -------
    xarray.DataArray
        ``(draw, population)``.
    """
    surv = np.clip(om.mean_survival, 0.0, 1.0)  # (draw, pop, sex, age), no noise
    bpf = om.births_per_female[:, 0, :]  # (draw, 2)
    fec = np.clip(bpf / 2.0, 0.0, 1.0)  # any split with fec*(1+tw) = bpf gives the same λ
    tw = np.clip(bpf / np.maximum(fec, 1e-12) - 1.0, 0.0, 1.0)
    rates = VitalRates(
        survival=surv,
        fecundity=fec[:, None, :],
        twinning=tw[:, None, :],
    )
    lam = lambda_(female_matrix(rates))
    return xr.DataArray(
        lam, dims=("draw", "population"), coords={"population": list(om.populations)}
    )


def pbr_table(
    om: OperatingModel,
    *,
    recovery_factor: float = DEFAULT_RECOVERY_FACTOR,
    human_caused: xr.DataArray | None = None,
    male_human_caused: xr.DataArray | None = None,
) -> xr.Dataset:
    """PBR for total human-caused mortality and its male component, per population.

    Parameters
    ----------
    om
        Operating model (its draws of abundance at ``Y`` and vital rates are used).
    recovery_factor
        ``F_r`` (default :data:`DEFAULT_RECOVERY_FACTOR`).
    human_caused, male_human_caused
        Projected annual human-caused mortality to compare (``population``), e.g. the
        median total male mortality of a :class:`~saigapop.management.QuotaResult`.

    Returns
    -------
    xarray.Dataset
        Over ``population``: ``n_min``, ``n_min_male``, ``r_max`` (median and 90 %
        interval), ``pbr_total``, ``pbr_male`` and, if given, the comparisons.

    Examples
    --------
    >>> from saigapop.testing import synthetic_posterior
    >>> om = OperatingModel.from_posterior(synthetic_posterior(chains=1, draws=50))
    >>> tab = pbr_table(om)
    >>> bool((tab["pbr_male"] < tab["pbr_total"]).all())
    True
    """
    total = om.n0.sum(axis=(-2, -1))  # (draw, pop)
    males = om.n0[..., 1, 1]
    n_min = np.quantile(total, N_MIN_PERCENTILE, axis=0)
    n_min_m = np.quantile(males, N_MIN_PERCENTILE, axis=0)
    lam = lambda_max(om).values
    r = lam - 1.0
    r_med = np.median(r, axis=0)
    ds = xr.Dataset(
        {
            "n_min": ("population", n_min),
            "n_min_male": ("population", n_min_m),
            "r_max": ("population", r_med),
            "r_max_q05": ("population", np.quantile(r, 0.05, axis=0)),
            "r_max_q95": ("population", np.quantile(r, 0.95, axis=0)),
            "pbr_total": ("population", pbr(n_min, r_med, recovery_factor)),
            "pbr_male": ("population", pbr(n_min_m, r_med, recovery_factor)),
        },
        coords={"population": list(om.populations)},
    )
    if human_caused is not None:
        ds["human_caused"] = human_caused
        ds["within_pbr_total"] = human_caused <= ds["pbr_total"]
    if male_human_caused is not None:
        ds["male_human_caused"] = male_human_caused
        ds["within_pbr_male"] = male_human_caused <= ds["pbr_male"]
    ds.attrs.update(
        recovery_factor=recovery_factor, n_min_percentile=N_MIN_PERCENTILE, year=om.start_year
    )
    return ds


def ices_percentile_rule(
    om: OperatingModel,
    limits: Mapping[str, float],
    *,
    percentile: float = 0.35,
    sigma: float | None = None,
    males_only: bool = False,
) -> xr.DataArray:
    """ICES-style advice: the ``percentile`` of ``F·min(1, N/B_trigger)·N`` over draws.

    Parameters
    ----------
    om
        Operating model (abundance at ``Y`` per draw, λ_max).
    limits
        ``B_lim`` per population (e.g. the abundance limits of the criteria).
    percentile
        Default 0.35 (ICES category 2 / SPiCT practice).
    sigma
        Assessment uncertainty for ``B_trigger = B_lim exp(1.645 σ)``; default the
        posterior sd of log abundance at ``Y``.
    males_only
        Apply the rule to adult males (the male component) instead of all animals.

    Returns
    -------
    xarray.DataArray
        Advised annual removals per population.

    Examples
    --------
    >>> from saigapop.testing import synthetic_posterior
    >>> om = OperatingModel.from_posterior(synthetic_posterior({"A": 1e5}, chains=1, draws=50))
    >>> float(ices_percentile_rule(om, {"A": 2e4}).sel(population="A")) > 0
    True
    """
    n = om.n0[..., 1, 1] if males_only else om.n0.sum(axis=(-2, -1))
    total = om.n0.sum(axis=(-2, -1))
    blim = np.array([float(limits[p]) for p in om.populations])
    if males_only:
        blim = blim * np.median(n / total, axis=0)
    s = np.std(np.log(total), axis=0) if sigma is None else np.full(len(om.populations), sigma)
    btrig = blim * np.exp(1.645 * s)
    f = np.median(lambda_max(om).values - 1.0, axis=0) / 2.0
    catch = f * np.minimum(1.0, n / btrig) * n
    return xr.DataArray(
        np.quantile(catch, percentile, axis=0),
        dims="population",
        coords={"population": list(om.populations)},
        name="ices_advice",
        attrs={"percentile": percentile, "males_only": males_only},
    )
