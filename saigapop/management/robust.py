"""The robust quota: the largest quota that passes in every reference trial (DESIGN §5).

:func:`solve_across_trials` solves the quota in each trial that changes the projection —
reference trials under the criteria, robustness trials under the same criteria with limits
:data:`~saigapop.management.trial_grid.ROBUSTNESS_LIMIT_FACTOR` times looser — keeps the
smallest reference quota per population, and solves the **equal-weight quota** of the
reference set; :func:`solve_robust_quota` combines the smallest reference quota with the
fitted world's solution, as the IWC practice of passing every reference operating model
requires.

**The equal-weight quota** is the quota :func:`~saigapop.management.solve_quota` would give
on the pooled draws of the solved reference trials, each trial weighted equally (each has
the same number of draws): the largest level at which, averaged over the trials, every
criterion's decision risk is within its limit and the share of draws whose own sustainable
export is below the level is at most P*. The solver's risks are means over draws, so the
pooled risk at a level is the mean of the trials' risks at that level; the P* condition on
the pooled draws is the P* quantile of the pooled per-draw sustainable exports. It is shown
beside the per-trial quotas; the recommendation stays the smallest reference quota.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr
from numpy.typing import NDArray
from tqdm.auto import tqdm

from saigapop.locale import N_
from saigapop.locale.messages import Message
from saigapop.management.criteria import Criterion, criterion_term, default_criteria
from saigapop.management.harvest import ConstantHarvest, HarvestRule
from saigapop.management.operating_model import OperatingModel
from saigapop.management.quota import (
    DEFAULT_P_STAR,
    QuotaResult,
    bracket_search,
    risk_curve,
    solve_quota,
)
from saigapop.management.trial_grid import (
    DEFAULT_TRIALS,
    ROBUSTNESS_LIMIT_FACTOR,
    Trial,
    build_trial_model,
    loosen,
)

__all__ = ["equal_weight_quota", "solve_across_trials", "solve_robust_quota"]


def equal_weight_quota(
    models: Sequence[tuple[OperatingModel, xr.Dataset | None]],
    criteria: Sequence[Criterion] | None = None,
    *,
    export: HarvestRule | None = None,
    p_star: float = DEFAULT_P_STAR,
    upper: float | Sequence[float] | None = None,
    multipliers: Sequence[float] | None = None,
    n_grid: int = 9,
    n_refine: int = 5,
    max_rounds: int = 8,
    rtol: float = 0.002,
    max_expand: int = 4,
) -> NDArray[np.float64]:
    """Largest level passing every criterion and P* on the equally weighted pooled draws.

    The pooled decision risk of a criterion at a level is the mean over ``models`` of each
    model's decision risk there (:func:`~saigapop.management.risk_curve`, paired with the
    model's own no-export baseline); the level passes when every pooled risk, including the
    P* pseudo-criterion (share of draws failing any criterion), is within its limit. Found
    like :func:`~saigapop.management.solve_quota`: a grid from zero to ``upper`` (doubled
    while everything passes), then bracket refinement to ``rtol``; animals are floored.

    Parameters
    ----------
    models
        ``(operating model, baseline or None)`` per trial; every model has the same
        populations.
    criteria
        Default :func:`~saigapop.management.criteria.default_criteria`.
    export
        The export rule (default adult males, constant number).
    p_star
        P* buffer.
    upper
        First grid's upper end per population (default: half the median adult males of the
        first model).
    multipliers
        Per model, the factor between the quota and the export taken (implementation
        overshoot); default 1.
    n_grid, n_refine, max_rounds, rtol, max_expand
        Search settings (as in :func:`~saigapop.management.solve_quota`).

    Returns
    -------
    numpy.ndarray
        The level per population.

    Examples
    --------
    >>> from saigapop.testing import synthetic_posterior
    >>> om = OperatingModel.from_posterior(synthetic_posterior(chains=1, draws=40), seed=1)
    >>> one = solve_quota(om, progress=False).level.values
    >>> pooled = equal_weight_quota([(om, None), (om, None)])
    >>> bool(np.all(np.abs(pooled - one) <= np.maximum(0.01 * one, 2)))
    True
    """
    if not models:
        raise ValueError("equal_weight_quota needs at least one operating model")
    criteria = tuple(default_criteria() if criteria is None else criteria)
    export = ConstantHarvest() if export is None else export
    mult = np.ones(len(models)) if multipliers is None else np.asarray(multipliers, float)
    first_om = models[0][0]
    P = len(first_om.populations)
    base = [b if b is not None else om.baseline() for om, b in models]
    is_rate = export.unit != "animals"
    cap = 1.0 if is_rate else np.inf
    if upper is None:
        hi = 0.5 * np.median(first_om.n0[..., 1, 1], axis=0) if not is_rate else np.ones(P)
    else:
        hi = np.broadcast_to(np.asarray(upper, dtype=float), (P,)).copy()
    hi = np.maximum(hi, 1e-9)

    def passes(levels: NDArray[np.float64]) -> NDArray[np.bool_]:
        risks, limits = [], None
        for (om, _), b, m in zip(models, base, mult, strict=True):
            c = risk_curve(
                om, levels * m, criteria, export=export, p_star=p_star, baseline=b, progress=False
            )
            risks.append(
                c["decision_risk"].transpose("criterion", "candidate", "population").values
            )
            limits = c["limit"].values
        pooled = np.mean(risks, axis=0)
        return (pooled <= np.asarray(limits)[:, None, None]).all(axis=0)  # (C, P)

    lo_v, _ = bracket_search(
        lambda levels, coarse: passes(levels),
        hi,
        cap=cap,
        is_rate=is_rate,
        n_grid=n_grid,
        n_refine=n_refine,
        max_rounds=max_rounds,
        rtol=rtol,
        max_expand=max_expand,
    )
    return lo_v if is_rate else np.floor(lo_v + 1e-9)


def solve_across_trials(
    posterior: xr.DataTree | xr.Dataset,
    criteria: Sequence[Criterion] | None = None,
    *,
    trials: Sequence[Trial] | None = None,
    seed: int = 0,
    progress: bool | None = None,
    equal_weight: bool = True,
    **options: Any,
) -> xr.Dataset:
    """Solve each trial's own quota; keep the smallest reference quota per population.

    DESIGN §5: the quota must pass in every reference operating model. Each trial that
    changes the projection is solved with :func:`~saigapop.management.solve_quota`: a
    reference trial under ``criteria`` and P*, a robustness trial under the same criteria
    and P* with every allowed probability ×
    :data:`~saigapop.management.trial_grid.ROBUSTNESS_LIMIT_FACTOR` (its pass rule in
    :func:`~saigapop.management.run_trials`). A trial with an implementation overshoot
    (``stress["export_multiplier"] = m``) is solved for the export taken and its quota is
    that level / m. The quota is the minimum over the **reference** trials, and the trial
    that sets it is named; the equal-weight quota of the reference trials is solved too
    (:func:`equal_weight_quota`). Reweighted trials are not solved (the solver takes
    unweighted draws): :func:`~saigapop.management.run_trials` checks them at the quota.

    Parameters
    ----------
    posterior
        The fitted posterior.
    criteria
        Default :func:`default_criteria`.
    trials
        Default: the reference trials of :data:`DEFAULT_TRIALS` without reweighting (all
        the quota needs); pass the robustness trials too for their own quotas (as
        :meth:`saigapop.Assessment.recommend` does for the report).
    seed
        Seed of every operating model.
    progress
        tqdm bar over trials.
    equal_weight
        Solve the equal-weight quota of the reference trials.
    **options
        Shared :meth:`OperatingModel.from_posterior` options, and ``p_star`` / ``export``
        for the solver.

    Returns
    -------
    xarray.Dataset
        ``level (trial, population)`` (each trial's own quota), ``binding (trial,
        population)``, per trial ``kind`` and ``plausibility``; ``quota (population)`` (the
        minimum over reference trials; NaN without any), ``binding_trial (population)`` and
        ``equal_weight_quota (population)`` (attribute ``equal_weight_trials``: the trials
        pooled; ``robustness_limit_factor``).

    Examples
    --------
    >>> from saigapop.testing import synthetic_posterior
    >>> post = synthetic_posterior(chains=1, draws=40)
    >>> out = solve_across_trials(post, trials=DEFAULT_TRIALS[:1], progress=False)
    >>> bool((out["quota"] <= out["level"]).all())
    True
    >>> bool(out["equal_weight_quota"].equals(out["quota"]))  # one trial: its own quota
    True
    """
    if trials is None:
        trials = [t for t in DEFAULT_TRIALS if t.kind == "reference" and t.reweight is None]
    trials = list(trials)
    solver = {k: options.pop(k) for k in ("p_star", "export") if k in options}
    p_star = float(solver.get("p_star", DEFAULT_P_STAR))
    export = solver.get("export")
    criteria = tuple(default_criteria() if criteria is None else criteria)
    loose = tuple(loosen(c, ROBUSTNESS_LIMIT_FACTOR) for c in criteria)
    loose_p = min(1.0, p_star * ROBUSTNESS_LIMIT_FACTOR)
    levels, binding, pooled, mults = [], [], [], []
    show = progress if progress is not None else len(trials) > 4
    for trial in tqdm(trials, disable=not show):
        om = build_trial_model(posterior, trial, seed=seed, **options)
        m = float(trial.stress.get("export_multiplier", 1.0))
        reference = trial.kind == "reference"
        base = om.baseline()
        result = solve_quota(
            om,
            criteria if reference else loose,
            export=export,
            p_star=p_star if reference else loose_p,
            progress=False,
            baseline=base,
        )
        level = result.level / m
        if result.unit == "animals":
            level = np.floor(level + 1e-9)
        levels.append(level)
        binding.append(result.binding)
        if reference:
            pooled.append((om, base, result.level))
            mults.append(m)
    names = xr.DataArray([t.name for t in trials], dims="trial")
    level = xr.concat(levels, dim=names)
    out = xr.Dataset({"level": level, "binding": xr.concat(binding, dim=names)})
    out["kind"] = ("trial", [str(t.kind) for t in trials])
    out["plausibility"] = ("trial", [t.plausibility or "not rated" for t in trials])
    ref = level.where(out["kind"] == "reference", drop=True)
    pops = level["population"]
    if ref.sizes["trial"]:
        out["quota"] = ref.min("trial")
        out["binding_trial"] = ref.idxmin("trial")
    else:
        out["quota"] = xr.full_like(level.isel(trial=0, drop=True), np.nan)
        out["binding_trial"] = xr.full_like(out["quota"], "", dtype=object)
    ew = np.full(pops.size, np.nan)
    if equal_weight and pooled:
        if len(pooled) == 1:
            ew = out["quota"].values.copy()
        else:
            hi = np.max([lv.values for *_, lv in pooled], axis=0) * 1.25
            ew = equal_weight_quota(
                [(om, b) for om, b, _ in pooled],
                criteria,
                export=export,
                p_star=p_star,
                upper=np.maximum(hi, 10.0),
                multipliers=mults,
            )
    out["equal_weight_quota"] = xr.DataArray(ew, dims="population", coords={"population": pops})
    out.attrs["equal_weight_trials"] = (
        [t.name for t in trials if t.kind == "reference"] if equal_weight else []
    )
    out.attrs["robustness_limit_factor"] = ROBUSTNESS_LIMIT_FACTOR
    return out


def solve_robust_quota(
    om: OperatingModel,
    posterior: xr.DataTree | xr.Dataset,
    criteria: Sequence[Criterion] | None = None,
    *,
    trials: Sequence[Trial] | None = None,
    seed: int = 0,
    p_star: float = DEFAULT_P_STAR,
    progress: bool | None = None,
    **options: Any,
) -> tuple[QuotaResult, xr.Dataset]:
    """Solve the quota that passes in every reference trial, with its risks on ``om``.

    DESIGN §5 and the IWC practice: a quota is recommended only if it passes in every
    reference operating model. The quota is solved on ``om`` (the fitted world) and in every
    reference trial that changes the projection (:func:`solve_across_trials`); per population
    the smaller is kept. Where a trial sets it, the result is re-solved on ``om`` up to that
    level (so its risk curve and risks are those of the fitted world at the recommended
    quota) and ``binding``/``reason`` name the trial and its binding criterion. Reweighted
    trials are not solved (the solver takes unweighted draws): :func:`run_trials` checks them.

    Parameters
    ----------
    om
        Operating model of the fitted world.
    posterior
        The fit ``om`` was built from (each trial builds its own operating model from it).
    criteria
        Default :func:`default_criteria`.
    trials
        The trials (default: the reference trials of :data:`DEFAULT_TRIALS` without
        reweighting); only reference trials can lower the quota, robustness trials given
        here get their own quota for the report.
    seed, p_star, progress
        As in :func:`solve_across_trials` and :func:`~saigapop.management.solve_quota`.
    **options
        :meth:`OperatingModel.from_posterior` options shared by the trials (e.g.
        ``realised_removals``, ``n_draws``), as used to build ``om``.

    Returns
    -------
    (QuotaResult, xarray.Dataset)
        The recommended quota and the per-trial solutions (:func:`solve_across_trials`).

    Examples
    --------
    >>> from saigapop.testing import synthetic_posterior
    >>> post = synthetic_posterior(chains=1, draws=40)
    >>> om = OperatingModel.from_posterior(post, seed=1)
    >>> result, across = solve_robust_quota(om, post, seed=1, progress=False)
    >>> ref = across["level"].where(across["kind"] == "reference", drop=True)
    >>> bool((result.level <= ref + 1e-9).all())
    True
    """
    base = solve_quota(om, criteria, p_star=p_star, progress=False)
    across = solve_across_trials(
        posterior,
        base.criteria,
        trials=trials,
        seed=seed,
        progress=progress,
        p_star=p_star,
        **options,
    )
    robust = across["quota"].reindex(population=base.level["population"]).values
    lower = robust < base.level.values
    if not lower.any():
        return base, across
    upper = np.where(lower, robust, base.level.values)
    result = solve_quota(om, base.criteria, p_star=p_star, upper=upper, max_expand=0)
    binding, reason = base.binding.astype(object), base.reason.astype(object)
    for j, pop in enumerate(base.level["population"].values):
        if not lower[j]:
            continue
        trial = str(across["binding_trial"].sel(population=pop).values)
        crit = str(across["binding"].sel(trial=trial, population=pop).values)
        binding[j] = f"{crit} ({trial})"
        reason[j] = Message(
            N_(
                "set by the reference trial '{trial}', where the criterion '{criterion}' binds "
                "at {level:,.0f} a year; in the fitted world alone the quota would be {base:,.0f}"
            ),
            {
                "trial": trial,
                "criterion": criterion_term(crit),
                "level": float(robust[j]),
                "base": float(base.level[j]),
            },
        )
    return dataclasses.replace(result, binding=binding, reason=reason), across
