"""The recommended quota from a fit: one function for the report, the CLI and validation.

``saigapop report``, the decision retrospective and the alternative-prior refits must issue
the *same* quota from the same fit, so the steps live here once: the adult sex-ratio flag
(:func:`saigapop.model.diagnostics.sex_ratio_prior_driven`), an operating model from the
posterior with the removals realised after the fit's latest census and the offtake plan's
culls in both arms (:func:`~saigapop.management.arms.offtake_options`), and
:func:`~saigapop.management.trials.solve_robust_quota` under
:func:`~saigapop.management.criteria.default_criteria`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import xarray as xr

from saigapop.management.arms import CullPlan, offtake_options
from saigapop.management.criteria import DEFAULT_ABUNDANCE_LIMITS, default_criteria
from saigapop.management.operating_model import DEFAULT_HORIZON, OperatingModel
from saigapop.management.quota import DEFAULT_P_STAR, QuotaResult, solve_quota
from saigapop.management.robust import solve_robust_quota
from saigapop.management.trial_grid import Trial
from saigapop.model.diagnostics import sex_ratio_prior_driven

__all__ = ["DEFAULT_OM_DRAWS", "Recommendation", "operating_model_options", "recommend_quota"]

#: Posterior draws the operating model uses by default (thinned evenly from the fit).
DEFAULT_OM_DRAWS = 2000


@dataclass(frozen=True)
class Recommendation:
    """What :func:`recommend_quota` used and found.

    Attributes
    ----------
    om
        Operating model of the fitted world (not saved with an assessment: it is rebuilt
        from the fit and ``om_options``, deterministically at the same seed).
    result
        The recommended quota (:class:`~saigapop.management.QuotaResult`), with the fitted
        world's risks at that level.
    across
        Per-trial solutions (:func:`~saigapop.management.solve_across_trials`); ``None``
        when solved in the fitted world only.
    om_options
        The :meth:`OperatingModel.from_posterior` options shared by every trial.
    prior_driven
        Population → whether its adult sex ratio is prior-driven (stricter sex-ratio floor).
    latest_year
        The fit's latest census year (the year whose realised removals are applied).
    """

    om: OperatingModel = field(metadata={"persist": False})
    result: QuotaResult
    across: xr.Dataset | None
    om_options: dict[str, Any]
    prior_driven: dict[str, bool]
    latest_year: int


def operating_model_options(
    posterior: xr.DataTree,
    removals: pd.DataFrame,
    *,
    offtake: CullPlan | None = None,
    om_draws: int | None = DEFAULT_OM_DRAWS,
) -> dict[str, Any]:
    """Return the :meth:`OperatingModel.from_posterior` options every arm shares.

    The removals realised in the fit's latest census year, the offtake plan's culls
    (:func:`~saigapop.management.arms.offtake_options`) and the number of draws — what
    :func:`recommend_quota` passes to the fitted world, every trial and the MSE.

    Examples
    --------
    >>> import pandas as pd
    >>> from saigapop.testing import synthetic_posterior
    >>> post = synthetic_posterior(chains=1, draws=40)
    >>> no_removals = pd.DataFrame(columns=["population", "year", "kind", "status", "timing",
    ...     "sex", "age", "unit", "value", "lower", "upper"])
    >>> sorted(operating_model_options(post, no_removals, om_draws=10))
    ['n_draws', 'realised_removals']
    """
    post = posterior["posterior"]
    latest = int(posterior.attrs.get("latest_census_year", int(post["year"].max())))
    n_total = int(post.sizes["chain"] * post.sizes["draw"])
    pops = [str(p) for p in post["population"].values]
    return {
        **offtake_options(removals, latest, offtake, populations=pops, horizon=DEFAULT_HORIZON),
        "n_draws": None if om_draws is None or om_draws >= n_total else int(om_draws),
    }


def recommend_quota(
    posterior: xr.DataTree,
    removals: pd.DataFrame,
    limits: Mapping[str, float] | None = None,
    *,
    offtake: CullPlan | None = None,
    seed: int = 0,
    om_draws: int | None = DEFAULT_OM_DRAWS,
    robust: bool = True,
    p_star: float = DEFAULT_P_STAR,
    sex_ratio_floor: bool = True,
    om_overrides: Mapping[str, Any] | None = None,
    progress: bool = False,
    trials: Sequence[Trial] | None = None,
) -> Recommendation:
    """Solve the quota ``saigapop report`` recommends from a fit.

    Parameters
    ----------
    posterior
        A fit from :func:`saigapop.model.fit` (with its ``prior`` group, which decides
        whether the sex ratio is prior-driven; without it every population is treated as
        prior-driven).
    removals
        The validated removals table (``SaigaData.removals``); only the final removals of
        the fit's latest census year are used.
    limits
        Abundance limits per population, over :data:`DEFAULT_ABUNDANCE_LIMITS`.
    offtake
        The cull plan of the quota years and after (``SaigaData.offtake`` selected to one
        scenario, or a :class:`~saigapop.management.HarvestSchedule`); it enters both arms of
        every comparison — the fitted world, every trial and the MSE — through
        :func:`~saigapop.management.arms.offtake_options`. ``None``: no planned culls.
    seed
        Seed of the operating model and of every trial.
    om_draws
        Posterior draws used (``None``: all of them).
    robust
        ``False``: the fitted world's quota only, without the reference trials (``across``
        is then ``None``); e.g. to isolate the effect of a prior.
    p_star
        The P* buffer (:func:`~saigapop.management.solve_quota`); ``1`` switches it off.
    sex_ratio_floor
        ``False``: no absolute sex-ratio floor even where the sex ratio is prior-driven
        (the relative sex-ratio criterion stays).
    om_overrides
        Further :meth:`OperatingModel.from_posterior` options for the fitted world and every
        trial (e.g. ``{"wounding": 0.0}``); a trial's own options still win over them.
        :func:`~saigapop.management.precaution_costs` uses these three to remove one
        precaution at a time.
    progress
        Show the trials' progress bar.
    trials
        The trials solved (default: the reference trials of
        :data:`~saigapop.management.trial_grid.DEFAULT_TRIALS` without reweighting — enough
        for the quota, which only reference trials can lower; :meth:`saigapop.Assessment.recommend`
        passes every unweighted trial so the report can show each trial's own quota).

    Returns
    -------
    Recommendation

    Examples
    --------
    >>> import pandas as pd
    >>> from saigapop.testing import synthetic_posterior
    >>> post = synthetic_posterior(chains=1, draws=40)
    >>> no_removals = pd.DataFrame(columns=["population", "year", "kind", "status", "timing",
    ...     "sex", "age", "unit", "value", "lower", "upper"])
    >>> rec = recommend_quota(post, no_removals, seed=1)
    >>> bool((rec.result.level >= 0).all())
    True
    """
    post = posterior["posterior"]
    latest = int(posterior.attrs.get("latest_census_year", int(post["year"].max())))
    om_options = {
        **operating_model_options(posterior, removals, offtake=offtake, om_draws=om_draws),
        **(om_overrides or {}),
    }
    flags = sex_ratio_prior_driven(posterior)
    om = OperatingModel.from_posterior(posterior, seed=seed, **om_options)
    criteria = default_criteria(
        {**DEFAULT_ABUNDANCE_LIMITS, **(limits or {})},
        prior_driven=flags if sex_ratio_floor else False,
    )
    if not robust:
        result = solve_quota(om, criteria, p_star=p_star, progress=False)
        return Recommendation(om, result, None, om_options, flags, latest)
    result, across = solve_robust_quota(
        om,
        posterior,
        criteria,
        trials=trials,
        seed=seed,
        p_star=p_star,
        progress=progress,
        **om_options,
    )
    return Recommendation(om, result, across, om_options, flags, latest)
