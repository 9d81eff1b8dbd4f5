"""Reference and robustness trials of a quota (DESIGN §5), in the style of the IWC RMP.

A :class:`Trial` is a named change to the operating model — switches and multipliers of
:meth:`OperatingModel.from_posterior` — of one of two kinds:

* ``reference``: an equally plausible alternative operating model (noise scale, mating
  function shape, density dependence). The quota must **pass every criterion** in each.
* ``robustness``: a stress (doubled catastrophe rate, tripled poaching, implementation
  overshoot, low adult-male survival). The quota must **not collapse a population**: the
  export may not raise the probability that true abundance falls below the limit by more
  than the abundance criterion allows, and the absolute risks are reported beside it.

:func:`run_trials` re-projects the given quota, with the same seed (common random numbers
within each trial), under each trial and evaluates every criterion against that trial's own
paired no-export baseline. Trials run one after another in this process; large trial sets
belong on the project's Dask runner (DESIGN §5), which this function is meant to be mapped
by.

Not covered here (they need the model side): 2025 treated as an estimate, emigration,
alternative observation CV and catchability (these change the fit, not the projection).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import xarray as xr
from tqdm.auto import tqdm

from saigapop.management.criteria import Criterion, default_criteria
from saigapop.management.harvest import ConstantHarvest, HarvestRule
from saigapop.management.operating_model import OperatingModel
from saigapop.management.quota import QuotaResult

__all__ = ["DEFAULT_TRIALS", "Trial", "run_trials", "solve_across_trials"]


@dataclass(frozen=True)
class Trial:
    """A named change to the operating model.

    Parameters
    ----------
    name
        Short identifier (coordinate of the ``trial`` dim).
    description
        One line for reports.
    options
        Keyword overrides of :meth:`OperatingModel.from_posterior`.
    kind
        ``"reference"`` (must pass every criterion) or ``"robustness"`` (must not collapse).

    Examples
    --------
    >>> Trial("double_catastrophes", "rate × 2", {"catastrophe_rate_multiplier": 2.0}).kind
    'robustness'
    """

    name: str
    description: str
    options: Mapping[str, object] = field(default_factory=dict)
    kind: Literal["reference", "robustness"] = "robustness"


#: The default trial set (reference operating models, then the robustness set).
DEFAULT_TRIALS: tuple[Trial, ...] = (
    Trial("base", "the operating model as fitted", {}, "reference"),
    Trial(
        "logit_noise",
        "process noise bounded on the logit scale",
        {"process_noise_scale": "logit"},
        "reference",
    ),
    Trial(
        "hill_mating",
        "Hill mating function, conception 1/2 at 1 % males (Kalmykia collapse)",
        {"mating_form": "hill", "mating_half_share": 0.01, "mating_steepness": 3.0},
        "reference",
    ),
    Trial(
        "hill_mating_pessimistic",
        "Hill mating function, conception 1/2 at 3 % males",
        {"mating_form": "hill", "mating_half_share": 0.03, "mating_steepness": 3.0},
        "reference",
    ),
    Trial("no_density_dependence", "no density dependence", {"density_form": "none"}, "reference"),
    Trial("double_catastrophes", "catastrophe rate × 2", {"catastrophe_rate_multiplier": 2.0}),
    Trial("triple_poaching", "poaching rate × 3", {"poaching_multiplier": 3.0}),
    Trial(
        "implementation_overshoot",
        "planned culls achieved at 2 × the posterior fraction",
        {"implementation_multiplier": 2.0},
    ),
    Trial(
        "low_male_survival",
        "adult-male survival × 0.8",
        {"survival_multiplier": {("male", "adult"): 0.8}},
    ),
)


def run_trials(
    posterior: xr.DataTree | xr.Dataset,
    quota: QuotaResult | Sequence[float],
    criteria: Sequence[Criterion] | None = None,
    *,
    trials: Sequence[Trial] = DEFAULT_TRIALS,
    export: HarvestRule | None = None,
    seed: int = 0,
    progress: bool | None = None,
    **om_options: object,
) -> xr.Dataset:
    """Evaluate a quota in every trial.

    Parameters
    ----------
    posterior
        The fitted posterior.
    quota
        A :class:`~saigapop.management.QuotaResult` or levels per population.
    criteria
        Default: the result's criteria, else :func:`default_criteria`.
    trials
        Default :data:`DEFAULT_TRIALS`.
    export
        The export rule (default adult males, constant number).
    seed
        Seed of every trial's operating model.
    progress
        tqdm bar over trials.
    **om_options
        Options shared by every trial (e.g. ``realised_removals``, ``planned_culls``).

    Returns
    -------
    xarray.Dataset
        Over ``(trial, criterion, population)``: ``risk``, ``baseline_risk``,
        ``added_risk``, ``decision_risk``, ``decision_mcse``, ``passes``; per trial
        ``kind`` and ``description``; ``trial_passes (trial, population)`` — every criterion
        for reference trials, the abundance criterion for robustness trials.

    Examples
    --------
    >>> from saigapop.management.synthetic import synthetic_posterior
    >>> post = synthetic_posterior(chains=1, draws=40)
    >>> out = run_trials(post, [1000.0, 1000.0, 50.0], trials=DEFAULT_TRIALS[:2], progress=False)
    >>> dict(out["passes"].sizes)
    {'trial': 2, 'criterion': 3, 'population': 3}
    """
    export = ConstantHarvest() if export is None else export
    if isinstance(quota, QuotaResult):
        criteria = quota.criteria if criteria is None else criteria
    criteria = tuple(default_criteria() if criteria is None else criteria)
    parts = []
    for trial in tqdm(trials, disable=not (progress if progress is not None else len(trials) > 4)):
        om = OperatingModel.from_posterior(posterior, seed=seed, **{**om_options, **trial.options})
        if isinstance(quota, QuotaResult):
            levels = quota.level.sel(population=list(om.populations)).values
        else:
            levels = np.asarray(quota, dtype=float)
        proj = om.project(export, levels[None, :], record="summary")
        base = om.baseline()
        rows = [c.evaluate(proj, base).isel(candidate=0, drop=True) for c in criteria]
        ds = xr.concat(
            [r.drop_vars(["fail", "level"], errors="ignore") for r in rows],
            dim=xr.DataArray([c.name for c in criteria], dims="criterion"),
            coords="minimal",
            compat="override",
            join="override",
        )
        ds.attrs = {}
        parts.append(ds.drop_vars([v for v in ds.coords if v not in ("criterion", "population")]))
    out = xr.concat(parts, dim=xr.DataArray([t.name for t in trials], dims="trial"))
    out["kind"] = ("trial", [t.kind for t in trials])
    out["description"] = ("trial", [t.description for t in trials])
    abundance = [c.name for c in criteria if c.name == "abundance"]
    robust = out["passes"].sel(criterion=abundance).all("criterion") if abundance else True
    out["trial_passes"] = xr.where(
        out["kind"] == "reference", out["passes"].all("criterion"), robust
    )
    out.attrs["levels"] = [float(v) for v in np.atleast_1d(levels)]
    return out


def solve_across_trials(
    posterior: xr.DataTree | xr.Dataset,
    criteria: Sequence[Criterion] | None = None,
    *,
    trials: Sequence[Trial] | None = None,
    seed: int = 0,
    progress: bool | None = None,
    **options: object,
) -> xr.Dataset:
    """Solve the quota in every reference trial and keep the smallest per population.

    DESIGN §5: the quota must pass in every reference operating model. Each reference trial
    is solved with :func:`~saigapop.management.solve_quota`; the quota is the minimum over
    trials, and the trial that sets it is named.

    Parameters
    ----------
    posterior
        The fitted posterior.
    criteria
        Default :func:`default_criteria`.
    trials
        Default: the ``reference`` trials of :data:`DEFAULT_TRIALS`.
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
    >>> from saigapop.management.synthetic import synthetic_posterior
    >>> post = synthetic_posterior(chains=1, draws=40)
    >>> out = solve_across_trials(post, trials=DEFAULT_TRIALS[:2], progress=False)
    >>> bool((out["quota"] <= out["level"]).all())
    True
    """
    from saigapop.management.quota import solve_quota

    trials = [t for t in DEFAULT_TRIALS if t.kind == "reference"] if trials is None else trials
    solver = {k: options.pop(k) for k in ("p_star", "export") if k in options}
    levels, binding = [], []
    for trial in tqdm(trials, disable=not (progress if progress is not None else len(trials) > 4)):
        om = OperatingModel.from_posterior(posterior, seed=seed, **{**options, **trial.options})
        result = solve_quota(om, criteria, progress=False, **solver)
        levels.append(result.level)
        binding.append(result.binding)
    names = xr.DataArray([t.name for t in trials], dims="trial")
    level = xr.concat(levels, dim=names)
    out = xr.Dataset({"level": level, "binding": xr.concat(binding, dim=names)})
    out["quota"] = level.min("trial")
    out["binding_trial"] = level.idxmin("trial")
    return out
