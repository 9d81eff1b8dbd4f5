"""What each precaution costs in the quota: removed one at a time, and cumulatively (issue 15).

The recommended quota (:func:`~saigapop.management.recommend_quota`) is the product of
several precautions on top of the fitted world's risk criteria. A reviewer asks what each
one costs. Each is removed from the full procedure and the quota solved again, with the
same fit, seed, draws, limits and cull plan:

``trial:<name>``
    One reference trial left out: the quota is the smallest of the *other* trials' own
    quotas and the fitted world's (``Recommendation.across``; no new solve).
``trials``
    Every reference trial left out: the fitted world's quota alone.
``p_star``
    The P* buffer switched off (``p_star = 1``): only the risk criteria bound the quota.
``sex_ratio_floor``
    No absolute sex-ratio floor where the sex ratio is prior-driven (the relative
    sex-ratio criterion stays).
``wounding``
    No wounding loss (animals shot and not retrieved).
``trade_poaching``
    No trade-linked poaching in the exporting arm (baseline poaching stays in both arms).

**One at a time**: each removed from the full procedure alone, the others kept.
**Cumulative**: removed in the order of :data:`PRECAUTIONS` (trials, P*, floor, wounding,
trade poaching), each row keeping the earlier removals; the last row is the quota with none
of them. A precaution's *cost* is the quota gained by removing it (≥ 0 when it is a
precaution; a negative cost is shown, never clipped: removing e.g. the trade-linked poaching
can lower a quota that a trial had set, because the fitted world is then re-solved on a
different risk curve).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from saigapop.exceptions import ConfigError
from saigapop.management.recommend import Recommendation, recommend_quota

__all__ = ["PRECAUTIONS", "precaution_costs"]

#: Precautions removed cumulatively, in this order, and one at a time.
PRECAUTIONS: tuple[str, ...] = ("trials", "p_star", "sex_ratio_floor", "wounding", "trade_poaching")

#: How each precaution is switched off, as :func:`recommend_quota` options.
_SWITCH_OFF: dict[str, dict[str, Any]] = {
    "trials": {"robust": False},
    "p_star": {"p_star": 1.0},
    "sex_ratio_floor": {"sex_ratio_floor": False},
    "wounding": {"om_overrides": {"wounding": 0.0}},
    "trade_poaching": {"om_overrides": {"trade_effect": False}},
}

#: What each row removes (English; the report translates its own labels).
DESCRIPTIONS: dict[str, str] = {
    "trials": "every reference trial (the fitted world alone)",
    "p_star": "the P* buffer (p_star = 1)",
    "sex_ratio_floor": "the absolute sex-ratio floor where the sex ratio is prior-driven",
    "wounding": "the wounding loss (animals shot and not retrieved)",
    "trade_poaching": "trade-linked poaching in the exporting arm",
}


def _merge(options: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in options:
        for key, value in _SWITCH_OFF[name].items():
            out[key] = {**out.get(key, {}), **value} if key == "om_overrides" else value
    return out


def _levels(rec: Recommendation, pops: Sequence[str]) -> np.ndarray:
    return np.array([float(rec.result.level.sel(population=p)) for p in pops])


def precaution_costs(
    posterior: xr.DataTree,
    removals: pd.DataFrame,
    limits: Mapping[str, float] | None = None,
    *,
    full: Recommendation | None = None,
    order: Sequence[str] = PRECAUTIONS,
    on_step: Callable[[str], None] | None = None,
    **options: Any,
) -> xr.Dataset:
    """Return the quota with each precaution removed, one at a time and cumulatively.

    Parameters
    ----------
    posterior, removals, limits
        As in :func:`~saigapop.management.recommend_quota` (the same for every solve).
    full
        The full procedure's recommendation with these inputs (solved here if ``None``);
        its per-trial solutions give the ``trial:<name>`` rows without a new solve.
    order
        The cumulative order, a permutation of :data:`PRECAUTIONS`.
    on_step
        Called with each step's name before it is solved (progress).
    **options
        Further :func:`~saigapop.management.recommend_quota` options, the same for every
        solve (``offtake``, ``seed``, ``om_draws``, ``om_overrides`` …); a precaution's
        switch is applied over them.

    Returns
    -------
    xarray.Dataset
        Over ``population`` and ``precaution`` (one row per reference trial as
        ``trial:<name>``, then ``order``): ``full`` (the recommended quota), ``without``
        (that precaution alone removed), ``cost`` (``without − full``); over ``step``
        (``order``): ``cumulative`` (the quota with this and every earlier step removed) and
        ``step_cost`` (its gain over the previous row); ``description`` (by precaution:
        what it removes). Attrs: ``unit``, ``p_star`` (of the full procedure).

    Examples
    --------
    >>> import pandas as pd
    >>> from saigapop.testing import synthetic_posterior
    >>> post = synthetic_posterior(chains=1, draws=40)
    >>> no_removals = pd.DataFrame(columns=["population", "year", "kind", "status", "timing",
    ...     "sex", "age", "unit", "value", "lower", "upper"])
    >>> ds = precaution_costs(post, no_removals, seed=1, om_draws=40)
    >>> [str(s) for s in ds["step"].values]
    ['trials', 'p_star', 'sex_ratio_floor', 'wounding', 'trade_poaching']
    >>> bool((ds["cumulative"].isel(step=-1) >= 0).all())
    True
    """
    order = tuple(order)
    if sorted(order) != sorted(PRECAUTIONS):
        raise ConfigError(f"order must be a permutation of {PRECAUTIONS}, got {order}")

    def solve(removed: Sequence[str]) -> Recommendation:
        if on_step is not None:
            on_step("without " + ", ".join(removed))
        switch = _merge(removed)
        overrides = {**options.get("om_overrides", {}), **switch.pop("om_overrides", {})}
        return recommend_quota(
            posterior, removals, limits, **{**options, **switch, "om_overrides": overrides}
        )

    if full is None:
        full = recommend_quota(posterior, removals, limits, **options)
    pops = [str(p) for p in full.result.level["population"].values]
    full_level = _levels(full, pops)

    alone = {name: _levels(solve([name]), pops) for name in order}
    cumulative = [alone[order[0]]]
    cumulative += [_levels(solve(order[: i + 1]), pops) for i in range(1, len(order))]
    rows: dict[str, np.ndarray] = {}
    if full.across is not None:
        level = full.across["level"].sel(population=pops)
        if "kind" in full.across:  # robustness trials never lower the quota
            level = level.where(full.across["kind"] == "reference", drop=True)
        trials = [str(t) for t in level["trial"].values if str(t) != "base"]
        for trial in trials:
            others = [t for t in trials if t != trial]
            # the fitted world's own solve (not the trial grid's "base" row), like "trials"
            rest = level.sel(trial=others).min("trial").values if others else np.inf
            rows[f"trial:{trial}"] = np.minimum(rest, alone["trials"])
    rows.update(alone)

    names = list(rows)
    without = np.stack([rows[n] for n in names])
    cum = np.stack(cumulative)
    previous = np.vstack([full_level[None, :], cum[:-1]])
    descriptions = {n: f"the reference trial '{n[6:]}'" for n in names if n.startswith("trial:")}
    descriptions.update({n: DESCRIPTIONS[n] for n in order})
    return xr.Dataset(
        {
            "full": ("population", full_level),
            "without": (("precaution", "population"), without),
            "cost": (("precaution", "population"), without - full_level[None, :]),
            "cumulative": (("step", "population"), cum),
            "step_cost": (("step", "population"), cum - previous),
        },
        coords={
            "population": pops,
            "precaution": names,
            "step": list(order),
            "description": ("precaution", [descriptions[n] for n in names]),
        },
        attrs={"unit": full.result.unit, "p_star": float(full.result.p_star)},
    )
