"""The robust quota: the largest quota that passes in every reference trial (DESIGN §5).

:func:`solve_across_trials` solves the quota in each reference trial that changes the
projection and keeps the smallest per population; :func:`solve_robust_quota` combines that
with the fitted world's solution, as the IWC practice of passing every reference operating
model requires.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr
from tqdm.auto import tqdm

from saigapop.locale import N_
from saigapop.locale.messages import Message
from saigapop.management.criteria import Criterion, criterion_term
from saigapop.management.operating_model import OperatingModel
from saigapop.management.quota import DEFAULT_P_STAR, QuotaResult, solve_quota
from saigapop.management.trial_grid import DEFAULT_TRIALS, Trial, build_trial_model

__all__ = ["solve_across_trials", "solve_robust_quota"]


def solve_across_trials(
    posterior: xr.DataTree | xr.Dataset,
    criteria: Sequence[Criterion] | None = None,
    *,
    trials: Sequence[Trial] | None = None,
    seed: int = 0,
    progress: bool | None = None,
    **options: Any,
) -> xr.Dataset:
    """Solve the quota in every reference trial and keep the smallest per population.

    DESIGN §5: the quota must pass in every reference operating model. Each reference trial
    that changes the projection is solved with :func:`~saigapop.management.solve_quota`;
    the quota is the minimum over trials, and the trial that sets it is named. Reweighted
    trials are not solved here (the solver takes unweighted draws): check them with
    :func:`run_trials`.

    Parameters
    ----------
    posterior
        The fitted posterior.
    criteria
        Default :func:`default_criteria`.
    trials
        Default: the ``reference`` trials of :data:`DEFAULT_TRIALS` without reweighting.
    seed
        Seed of every operating model.
    progress
        tqdm bar over trials.
    **options
        Shared :meth:`OperatingModel.from_posterior` options, and ``p_star`` / ``export``
        for the solver.

    Returns
    -------
    xarray.Dataset
        ``level (trial, population)``, ``binding (trial, population)``, ``quota
        (population)`` (the minimum) and ``binding_trial (population)``.

    Examples
    --------
    >>> from saigapop.testing import synthetic_posterior
    >>> post = synthetic_posterior(chains=1, draws=40)
    >>> out = solve_across_trials(post, trials=DEFAULT_TRIALS[:1], progress=False)
    >>> bool((out["quota"] <= out["level"]).all())
    True
    """
    if trials is None:
        trials = [t for t in DEFAULT_TRIALS if t.kind == "reference" and t.reweight is None]
    solver = {k: options.pop(k) for k in ("p_star", "export") if k in options}
    levels, binding = [], []
    for trial in tqdm(trials, disable=not (progress if progress is not None else len(trials) > 4)):
        om = build_trial_model(posterior, trial, seed=seed, **options)
        result = solve_quota(om, criteria, progress=False, **solver)
        levels.append(result.level)
        binding.append(result.binding)
    names = xr.DataArray([t.name for t in trials], dims="trial")
    level = xr.concat(levels, dim=names)
    out = xr.Dataset({"level": level, "binding": xr.concat(binding, dim=names)})
    out["quota"] = level.min("trial")
    out["binding_trial"] = level.idxmin("trial")
    return out


def solve_robust_quota(
    om: OperatingModel,
    posterior: xr.DataTree | xr.Dataset,
    criteria: Sequence[Criterion] | None = None,
    *,
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
    >>> bool((result.level <= across["level"] + 1e-9).all())
    True
    """
    base = solve_quota(om, criteria, p_star=p_star, progress=False)
    across = solve_across_trials(
        posterior, base.criteria, seed=seed, progress=progress, p_star=p_star, **options
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
