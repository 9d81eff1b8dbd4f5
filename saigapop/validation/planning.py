r"""The quota under the other treatment of census figures equal to a planning estimate.

Census rows flagged ``equals_planning_estimate`` (the 2025 Betpakdala and Ural figures equal
the ministry's April-2025 planning figure "including lambing in May 2024") are left out of
the fit by default (:attr:`saigapop.model.config.ModelConfig.planning_estimates`). The quota
with them added back as counts is reached without a second fit, by **importance
reweighting** of the posterior draws with the likelihood of those rows, the lognormal the
model gives every count (:mod:`saigapop.model.build`):

.. math:: \log w_i = \pm \sum_r \log \mathrm{LogNormal}\big(y_r \mid
          \log(q_{p_r, t_r, i} N_{p_r, t_r, i}),\ \sigma_{\mathrm{obs}, i}\big),

``+`` when the fit left them out (adding observations), ``−`` when the fit used them as
counts (leaving them out, as PSIS-LOO does). The weights are smoothed by Pareto-smoothed
importance sampling (:func:`saigapop.management.trials.psis`) and the Pareto :math:`\hat k`
and effective sample size are reported; the quota is re-solved on the posterior resampled in
proportion to the weights (:func:`saigapop.validation.reweighting.systematic_resample`).

Examples
--------
>>> import pandas as pd, xarray as xr
>>> post = xr.Dataset({
...     "N": (("chain", "draw", "population", "year"), [[[[100.0]], [[200.0]]]]),
...     "catchability_year": (("chain", "draw", "population", "year"), [[[[1.0]], [[1.0]]]]),
...     "obs_cv": (("chain", "draw"), [[0.2, 0.2]]),
... }, coords={"population": ["A"], "year": [2025]})
>>> census = pd.DataFrame({"population": ["A"], "year": [2025], "kind": ["count"],
...                        "value": [100.0], "flag": ["equals_planning_estimate"]})
>>> pw = planning_estimate_weights(post, census, fitted="left_out")
>>> pw.direction, [round(float(w), 3) for w in pw.weights]
('added', [0.998, 0.002])
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import xarray as xr
from scipy import stats

from saigapop.management.trials import psis
from saigapop.model.config import ModelConfig
from saigapop.model.inputs import is_planning_estimate
from saigapop.validation.reweighting import (
    KHAT_MAX,
    resampled_posterior,
    systematic_resample,
)

__all__ = [
    "PlanningWeights",
    "fitted_treatment",
    "planning_alternative_quotas",
    "planning_estimate_weights",
    "planning_rows",
]


@dataclass(frozen=True)
class PlanningWeights:
    """Importance weights for the other treatment of planning-estimate rows.

    Attributes
    ----------
    log_weights
        Raw log weights over the flat (chain-major) draws, before smoothing.
    weights
        PSIS-smoothed, normalised weights.
    khat, ess
        Pareto k̂ of the raw weights and effective sample size ``1 / Σ w²``.
    direction
        ``"added"`` (the fit left the rows out; the weights add them as counts) or
        ``"removed"`` (the fit used them as counts; the weights leave them out).
    rows
        The rows reweighted: ``population``, ``year``, ``value``.
    """

    log_weights: np.ndarray
    weights: np.ndarray
    khat: float
    ess: float
    direction: Literal["added", "removed"]
    rows: pd.DataFrame


def fitted_treatment(fit: Any) -> Literal["left_out", "count"]:
    """Return how the fit treated planning-estimate rows (``attrs["saigapop_model_config"]``).

    A fit saved before :attr:`~saigapop.model.config.ModelConfig.planning_estimates` existed
    used them as counts; a fit without a stored config is taken to have the default.

    Examples
    --------
    >>> fitted_treatment(xr.Dataset(attrs={"saigapop_model_config": "{}"})) == "left_out"
    False
    """
    text = getattr(fit, "attrs", {}).get("saigapop_model_config")
    if text is None:
        return ModelConfig().planning_estimates
    stored = json.loads(text)
    return stored.get("planning_estimates", "count")


def planning_rows(census: pd.DataFrame, post: xr.Dataset) -> pd.DataFrame:
    """Census ``count`` rows flagged as planning estimates inside the posterior's window.

    Returns
    -------
    pandas.DataFrame
        ``population``, ``year``, ``value`` (in census order).
    """
    pops = {str(p) for p in post["population"].values}
    years = {int(y) for y in post["year"].values}
    keep = [
        r["kind"] == "count"
        and str(r["population"]) in pops
        and int(r["year"]) in years
        and np.isfinite(float(r["value"]))
        and is_planning_estimate(r)
        for _, r in census.iterrows()
    ]
    rows = census.loc[keep, ["population", "year", "value"]].reset_index(drop=True)
    return rows.astype({"population": str, "year": int, "value": float})


def _flat(da: xr.DataArray) -> np.ndarray:
    return da.transpose("chain", "draw").values.reshape(-1).astype(np.float64)


def planning_estimate_weights(
    fit: Any,
    census: pd.DataFrame,
    *,
    fitted: Literal["left_out", "count"] | None = None,
) -> PlanningWeights:
    """PSIS weights taking the posterior to the other treatment of planning-estimate rows.

    Parameters
    ----------
    fit
        Fit ``DataTree`` (or its posterior Dataset) with ``N`` (population, year, …),
        ``catchability_year`` (population, year; or ``catchability`` per population) and
        ``obs_cv`` over ``(chain, draw)``.
    census
        The census table (``population, year, kind, value, flag``); the rows reweighted are
        :func:`planning_rows`.
    fitted
        How the fit treated the rows (default :func:`fitted_treatment`).

    Returns
    -------
    PlanningWeights

    Raises
    ------
    ValueError
        If no flagged count row falls inside the posterior's populations and years.
    """
    post = fit if isinstance(fit, xr.Dataset) else fit["posterior"].to_dataset()
    fitted = fitted_treatment(fit) if fitted is None else fitted
    rows = planning_rows(census, post)
    if rows.empty:
        raise ValueError("no census count row flagged equals_planning_estimate in the fit's window")
    sigma = _flat(post["obs_cv"])
    n_tot = post["N"]
    n_tot = n_tot.sum([d for d in n_tot.dims if d not in ("chain", "draw", "population", "year")])
    loglik = np.zeros_like(sigma)
    for r in rows.itertuples():
        n = _flat(n_tot.sel(population=r.population, year=r.year))
        if "catchability_year" in post:
            q = _flat(post["catchability_year"].sel(population=r.population, year=r.year))
        else:
            q = _flat(post["catchability"].sel(population=r.population))
        loglik += stats.lognorm.logpdf(r.value, s=sigma, scale=q * n)
    log_w = loglik if fitted == "left_out" else -loglik
    weights, khat, ess = psis(log_w)
    return PlanningWeights(
        log_weights=log_w,
        weights=weights,
        khat=float(khat),
        ess=float(ess),
        direction="added" if fitted == "left_out" else "removed",
        rows=rows,
    )


def _flagged(rows: pd.DataFrame, pop: str) -> dict[str, float]:
    mine = rows[rows["population"] == pop].sort_values("year")
    if mine.empty:
        return {"flagged_year": np.nan, "flagged_value": np.nan}
    return {"flagged_year": float(mine["year"].iloc[-1]), "flagged_value": mine["value"].iloc[-1]}


def planning_alternative_quotas(
    fit: Any,
    census: pd.DataFrame,
    solve: Callable[[xr.DataTree], Mapping[str, float]],
    reference: Mapping[str, float],
    *,
    n_draws: int = 2000,
    seed: int = 0,
) -> pd.DataFrame:
    """Re-solve the quota with planning-estimate rows under the other treatment.

    Parameters
    ----------
    fit
        The fit.
    census
        The census table.
    solve
        ``solve(posterior) -> {population: quota}``.
    reference
        The quota per population on the fitted posterior.
    n_draws
        Draws resampled for the alternative's operating model.
    seed
        Seed of the resampling.

    Returns
    -------
    pandas.DataFrame
        One row per population: ``population``, ``value`` (quota under the other
        treatment), ``reference``, ``khat``, ``ess``, ``reliable`` (k̂ ≤ 0.7), ``treatment``
        (the other treatment: ``"count"`` or ``"left_out"``), ``rows`` (the rows, as
        ``"Population year value"`` joined by ``"; "``), ``flagged_year`` and
        ``flagged_value`` (the population's latest flagged row; NaN if none), ``method``
        (``"reweighted"``).
        Empty (same columns) when the data hold no flagged row in the fit's window.

    Examples
    --------
    >>> import pandas as pd, xarray as xr
    >>> post = xr.Dataset({
    ...     "N": (("chain", "draw", "population", "year"), [[[[100.0]], [[200.0]]]]),
    ...     "catchability_year": (("chain", "draw", "population", "year"), [[[[1.0]], [[1.0]]]]),
    ...     "obs_cv": (("chain", "draw"), [[0.2, 0.2]]),
    ... }, coords={"population": ["A"], "year": [2025]})
    >>> census = pd.DataFrame({"population": ["A"], "year": [2025], "kind": ["count"],
    ...                        "value": [200.0], "flag": ["equals_planning_estimate"]})
    >>> fit = xr.DataTree.from_dict({"posterior": post})
    >>> def solve(p):  # a tenth of the mean abundance
    ...     return {"A": float(p["posterior"]["N"].mean()) / 10}
    >>> out = planning_alternative_quotas(fit, census, solve, {"A": 15.0}, n_draws=100)
    >>> out[["population", "value", "treatment"]].values.tolist()
    [['A', 20.0, 'count']]
    """
    columns = [
        "population",
        "value",
        "reference",
        "khat",
        "ess",
        "reliable",
        "treatment",
        "rows",
        "flagged_year",
        "flagged_value",
        "method",
    ]
    post = fit if isinstance(fit, xr.Dataset) else fit["posterior"].to_dataset()
    if planning_rows(census, post).empty:
        return pd.DataFrame(columns=columns)
    pw = planning_estimate_weights(fit, census)
    idx = systematic_resample(pw.weights, n_draws, seed=seed)
    quota = dict(solve(resampled_posterior(fit, idx)))
    labels = "; ".join(f"{r.population} {r.year} {r.value:.0f}" for r in pw.rows.itertuples())
    other = "count" if pw.direction == "added" else "left_out"
    return pd.DataFrame(
        [
            {
                "population": str(pop),
                "value": float(quota.get(pop, np.nan)),
                "reference": float(ref),
                "khat": pw.khat,
                "ess": pw.ess,
                "reliable": bool(pw.khat <= KHAT_MAX),
                "treatment": other,
                "rows": labels,
                **_flagged(pw.rows, str(pop)),
                "method": "reweighted",
            }
            for pop, ref in reference.items()
        ],
        columns=columns,
    )
