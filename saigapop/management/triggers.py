"""Triggers: the levels that suspend the following autumn's take (DESIGN §5).

Computed from the same projections as the quota. For each quota year *t* and population,
three quantities are known before the autumn take of year *t*:

* the **May die-off**: the share of the population killed at calving in year *t*;
* the **census**: true spring abundance of year *t* (and the expected *count*, through the
  posterior catchability, since the trigger is read against a survey);
* the **adult sex ratio** at the census of year *t* (adult males per adult female), which a
  composition survey would measure.

Each draw of the projection at the quota either shows an export-caused failure of some
criterion (the union used by the P* buffer) or not. The trigger level of a quantity is the
least extreme level at which the **local** probability of an export-caused failure,
``P(fail | value = x)`` (isotonic regression of failures on the value), exceeds the allowed
risk ``alpha`` (default: the P* buffer) beyond sampling noise, with at least ``min_draws``
draws at or beyond it (``basis = "conditional"``). Where no such level exists in the
projections — failures are too rare or unrelated to that quantity — the trigger falls back
to the ``alpha`` percentile of the projected quantity, the edge of the range the quota was
judged on (``basis = "percentile"``; for die-offs, the percentile among draws that had one).
Each trigger comes with the projected probability that it is hit (``*_hit``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr
from numpy.typing import NDArray
from scipy.optimize import isotonic_regression
from scipy.stats import beta

from saigapop.management.criteria import Criterion, default_criteria
from saigapop.management.harvest import ConstantHarvest, HarvestRule
from saigapop.management.operating_model import OperatingModel
from saigapop.management.quota import DEFAULT_P_STAR, QuotaResult

__all__ = ["DEFAULT_CONFIDENCE", "compute_triggers", "trigger_level"]

#: One-sided confidence that the local risk at a conditional trigger exceeds the allowed
#: risk (Clopper–Pearson lower bound): a trigger is not set by sampling noise.
DEFAULT_CONFIDENCE: float = 0.9


def trigger_level(
    value: NDArray[np.float64],
    fail: NDArray[np.bool_],
    *,
    direction: str = "below",
    alpha: float = DEFAULT_P_STAR,
    min_draws: int = 20,
    confidence: float = DEFAULT_CONFIDENCE,
) -> tuple[float, str, float, float]:
    """Trigger level of one quantity from per-draw values and failures.

    The local risk ``P(fail | value = x)`` is estimated by isotonic regression of the
    per-draw failures on the value (non-increasing towards benign values: a lower census,
    a lower sex ratio or a larger die-off is never *safer*). The trigger is the least
    extreme level at which this local risk exceeds ``alpha``, provided the draws of that
    step show it beyond sampling noise (the one-sided ``confidence`` Clopper–Pearson lower
    bound of their failure rate exceeds ``alpha``) and at least ``min_draws`` draws lie at
    or beyond it (``basis = "conditional"``). Otherwise the trigger falls back to the
    ``alpha`` percentile of the projected quantity — for die-offs, among draws that had one
    — the edge of the range the quota was judged on (``basis = "percentile"``).

    Why local and not the tail average ``P(fail | value ≤ x)``: the tail average mixes in
    the much worse draws far below ``x``, so it stays above ``alpha`` long after the local
    risk has fallen below it — with failures concentrated in the lowest decile it put
    census triggers above the median projected census, a trigger already breached in most
    worlds the quota was judged safe in.

    Parameters
    ----------
    value
        Per-draw value of the quantity, ``(draw,)``.
    fail
        Per-draw export-caused failure, ``(draw,)``.
    direction
        ``"below"`` (low values are bad: census, sex ratio) or ``"above"`` (die-off).
    alpha
        Allowed local failure probability.
    min_draws
        Minimum draws at or beyond a conditional trigger.
    confidence
        One-sided confidence that the local risk at the trigger exceeds ``alpha``.

    Returns
    -------
    tuple
        ``(level, basis, local failure probability at the level, share of draws at or
        beyond the level)`` — the last is the projected probability that the trigger is hit.

    Examples
    --------
    Failures only below 30 put the trigger at 29, not at 149 where the tail average of
    failures first drops to ``alpha``:

    >>> v = np.arange(1000.0)
    >>> level, basis, risk, hit = trigger_level(v, v < 30, alpha=0.2)
    >>> float(level), basis, float(risk), float(hit)
    (29.0, 'conditional', 1.0, 0.03)
    """
    if direction not in ("below", "above"):
        raise ValueError(f"direction must be 'below' or 'above', got {direction!r}")
    v = np.asarray(value, dtype=float)
    f = np.asarray(fail, dtype=bool)
    finite = np.isfinite(v)  # e.g. a sex ratio where no adult female is left
    v, f = v[finite], f[finite]
    if v.size == 0:
        return np.nan, "undefined", np.nan, np.nan
    # distinct values ordered from the most extreme, with their draws and failures
    key = v if direction == "below" else -v
    uniq, inv = np.unique(key, return_inverse=True)
    n_u = np.bincount(inv).astype(float)
    f_u = np.bincount(inv, weights=f.astype(float))
    iso = isotonic_regression(f_u / n_u, weights=n_u, increasing=False)
    local = iso.x  # local risk at each distinct value, non-increasing
    starts = np.asarray(iso.blocks)[:-1]
    stops = np.asarray(iso.blocks)[1:]
    n_b = np.add.reduceat(n_u, starts)
    f_b = np.add.reduceat(f_u, starts)
    lower = beta.ppf(1.0 - confidence, f_b, n_b - f_b + 1.0)  # Clopper–Pearson, f_b = 0 → nan
    lower = np.where(f_b > 0, lower, 0.0)
    beyond = np.cumsum(n_u)  # draws at or beyond each distinct value
    level_of = -uniq if direction == "above" else uniq
    ok = (local[starts] > alpha) & (lower > alpha) & (beyond[stops - 1] >= min_draws)
    if direction == "above":
        ok &= level_of[stops - 1] > 0  # a die-off trigger needs a die-off
    if ok.any():
        b = int(np.flatnonzero(ok)[-1])
        j = stops[b] - 1  # least extreme value of the step
        return float(level_of[j]), "conditional", float(local[j]), float(beyond[j] / v.size)
    q = alpha if direction == "below" else 1.0 - alpha
    pool = v
    if direction == "above" and np.any(v > 0):
        pool = v[v > 0]  # die-offs: the percentile among draws that had one
    level = float(np.quantile(pool, q))
    hit = v <= level if direction == "below" else v >= level
    j = int(np.searchsorted(uniq, level if direction == "below" else -level, side="right")) - 1
    j = min(max(j, 0), uniq.size - 1)
    return level, "percentile", float(local[j]), float(hit.mean())


def compute_triggers(
    om: OperatingModel,
    quota: QuotaResult | Sequence[float],
    criteria: Sequence[Criterion] | None = None,
    *,
    export: HarvestRule | None = None,
    alpha: float | None = None,
    min_draws: int = 20,
) -> xr.Dataset:
    """Die-off, census and sex-ratio triggers for every quota year and population.

    Parameters
    ----------
    om
        The operating model used for the quota.
    quota
        A :class:`~saigapop.management.QuotaResult` or levels per population.
    criteria
        The criteria (default: those of the result).
    export
        The export rule (default adult males, constant number).
    alpha
        Allowed conditional failure probability (default: the result's P*).
    min_draws
        See :func:`trigger_level`.

    Returns
    -------
    xarray.Dataset
        Over ``(year, population)``: ``die_off`` (share killed in May above which the
        autumn take is suspended), ``census`` (true abundance below which…),
        ``expected_count`` (the same level as an expected survey count), ``sex_ratio``
        (adult males per adult female at the census), each with ``*_basis``,
        ``*_conditional_risk`` (local risk at the level) and ``*_hit`` (projected
        probability that the trigger is hit).

    Examples
    --------
    >>> from saigapop.testing import synthetic_posterior
    >>> om = OperatingModel.from_posterior(synthetic_posterior(chains=1, draws=100))
    >>> trig = compute_triggers(om, [1000.0, 1000.0, 100.0], __import__(
    ...     "saigapop.management.criteria", fromlist=["x"]).default_criteria())
    >>> sorted(trig.data_vars)[:3]
    ['census', 'census_basis', 'census_conditional_risk']
    """
    export = ConstantHarvest() if export is None else export
    if isinstance(quota, QuotaResult):
        levels = quota.level.sel(population=list(om.populations)).values
        criteria = quota.criteria if criteria is None else criteria
        alpha = quota.p_star if alpha is None else alpha
    else:
        levels = np.asarray(quota, dtype=float)
    if criteria is None:
        criteria = default_criteria()
    alpha = DEFAULT_P_STAR if alpha is None else alpha
    proj = om.project(export, levels[None, :], record="full").isel(candidate=0)
    base = om.baseline(record="full")
    fail = np.zeros((om.n_draws, len(om.populations)), dtype=bool)
    for c in criteria:
        fail |= c.evaluate(proj.expand_dims("candidate"), base)["fail"].isel(candidate=0).values
    years = list(om.quota_years)
    pops = list(om.populations)
    out = {
        name: np.full((len(years), len(pops)), np.nan)
        for name in ("die_off", "census", "expected_count", "sex_ratio")
    }
    basis = {
        name: np.empty((len(years), len(pops)), dtype=object)
        for name in ("die_off", "census", "sex_ratio")
    }
    cond = {
        name: np.full((len(years), len(pops)), np.nan)
        for name in ("die_off", "census", "sex_ratio")
    }
    hit = {name: np.full((len(years), len(pops)), np.nan) for name in cond}
    q = om.catchability  # (draw, pop)
    for i, y in enumerate(years):
        sel = proj.sel(year=y)
        die = (
            (sel["calving_deaths"] / (sel["births"] + sel["total"]))
            .transpose("draw", "population")
            .values
        )
        die = np.where(die < 1e-9, 0.0, die)  # rounding noise where no die-off happened
        census = sel["total"].transpose("draw", "population").values
        ab = sel["abundance"]
        ratio = (
            (ab.sel(sex="male", age="adult") / ab.sel(sex="female", age="adult"))
            .transpose("draw", "population")
            .values
        )
        for j in range(len(pops)):
            for name, v, d in (
                ("die_off", die, "above"),
                ("census", census, "below"),
                ("sex_ratio", ratio, "below"),
            ):
                lvl, b, c, h = trigger_level(
                    v[:, j], fail[:, j], direction=d, alpha=alpha, min_draws=min_draws
                )
                out[name][i, j], basis[name][i, j], cond[name][i, j] = lvl, b, c
                hit[name][i, j] = h
            out["expected_count"][i, j] = out["census"][i, j] * float(np.median(q[:, j]))
    dims = ("year", "population")
    ds = xr.Dataset(coords={"year": years, "population": pops})
    for name, arr in out.items():
        ds[name] = (dims, arr)
    for name in basis:
        ds[f"{name}_basis"] = (dims, basis[name])
        ds[f"{name}_conditional_risk"] = (dims, cond[name])
        ds[f"{name}_hit"] = (dims, hit[name])
        ds[f"{name}_hit"].attrs["long_name"] = "projected probability that the trigger is hit"
        ds[f"{name}_conditional_risk"].attrs["long_name"] = (
            "local probability of an export-caused failure at the trigger level"
        )
    ds["die_off"].attrs["long_name"] = (
        "share of the population killed at calving (May) that suspends the take"
    )
    ds["census"].attrs["long_name"] = "true spring abundance below which the take is suspended"
    ds["expected_count"].attrs["long_name"] = "the census trigger as an expected survey count"
    ds["sex_ratio"].attrs["long_name"] = (
        "adult males per adult female at the census below which the take is suspended"
    )
    ds.attrs.update(
        alpha=alpha,
        min_draws=min_draws,
        confidence=DEFAULT_CONFIDENCE,
        p_fail=float(fail.mean()),
    )
    return ds
