"""The assessment a notebook user holds: data → fit → quota → trials/MSE → report.

:class:`Assessment` is the one path from data to the recommended quota and the justification
report; the command line, the notebooks, ``scripts/`` and ``benchmarks/`` all go through it.
Nothing is computed in the constructor. Each step runs when it is first asked for (or when
a later step needs it), is cached, and is recorded in :attr:`Assessment.log` with its seed
and settings. :meth:`Assessment.save` writes the fit *and* every result computed so far to
one zarr store; :meth:`Assessment.load` reads it back without recomputing anything.

Workflow
--------
>>> import saigapop as sp                                             # doctest: +SKIP
>>> a = sp.Assessment(sp.load_kazakhstan(), sp.AssessmentConfig(seed=1))  # doctest: +SKIP
>>> a.fit()            # the posterior DataTree; a.diagnostics: convergence   # doctest: +SKIP
>>> a.recommend()      # the quota the report prints       # doctest: +SKIP
>>> a.trials(); a.mse(); a.sensitivity(); a.validation()             # doctest: +SKIP
>>> a.report("reports/", formats=["html", "pdf"], language="ru")     # doctest: +SKIP
>>> a.save("a.zarr"); b = sp.Assessment.load("a.zarr")               # doctest: +SKIP

Over ~600 lines because it is one job, the recorded workflow: every step is a few lines that
call the module computing it (fit, recommend, trials, MSE, sensitivity, validation, report),
and what makes it long is the one place that records, caches, saves and loads those steps and
their settings (:class:`AssessmentConfig`), which must stay together to stay consistent.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from saigapop._version import __version__
from saigapop.exceptions import ConfigError
from saigapop.io import SaigaData
from saigapop.management import DEFAULT_ABUNDANCE_LIMITS, HornStock, OperatingModel, solve_quota
from saigapop.management.analysis import prepare_quota, prepare_trials
from saigapop.management.arms import CullPlan
from saigapop.management.convergence import ConvergenceWarning
from saigapop.management.outcomes import QuotaInputs, TrialInputs
from saigapop.management.precautions import precaution_costs
from saigapop.management.programme import ProgrammeResult, solve_programme
from saigapop.management.recommend import (
    DEFAULT_OM_DRAWS,
    Recommendation,
    operating_model_options,
    recommend_quota,
)
from saigapop.management.trial_grid import Trial, plausibility_weights, weighted_trials
from saigapop.model.config import ModelConfig, SamplerConfig
from saigapop.model.diagnostics import ConvergenceResult, check_convergence
from saigapop.model.fit import fit as fit_model
from saigapop.persist import from_node, to_node
from saigapop.registry import validate_registry
from saigapop.report import FORMATS, ReportConfig, build_payload, write_report
from saigapop.validation.outcomes import ValidationInputs
from saigapop.validation.planning import planning_alternative_quotas
from saigapop.validation.reweighting import reweighted_alternative_quotas
from saigapop.validation.routine import prepare_validation

__all__ = ["Assessment", "AssessmentConfig", "StepRecord"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AssessmentConfig:
    """Every setting of an assessment, in one frozen, serialisable object.

    Parameters
    ----------
    seed
        Master seed: the sampler, the operating model, the trials and the MSE all use it, so
        the same data, config and seed give identical numbers.
    chains, draws, tune, target_accept, sampler
        NUTS settings (:class:`saigapop.model.config.SamplerConfig`); the defaults are those
        of ``saigapop report`` (4 × 1000 draws after 1000 tuning, target acceptance 0.99).
    model
        Model structure (:class:`saigapop.model.config.ModelConfig`).
    limits
        Fixed abundance limits (animals) by population, over
        :data:`saigapop.management.DEFAULT_ABUNDANCE_LIMITS`; a population of your own needs
        one.
    om_draws
        Posterior draws the operating model uses (thinned evenly; ``None``: all).
    mse_replicates
        Replicates of the closed-loop management strategy evaluation.
    offtake_scenario
        The offtake (cull) scenario whose culls enter both arms of every comparison — the
        quota, the trials and the MSE (:meth:`Assessment.offtake_plan`). ``None``: the data's
        default scenario (for the bundled data, the documented 2026–28 default);
        ``"none"``: no planned culls (the zero-cull alternative); any other name selects
        that scenario of the data's offtake plan.
    poaching_multiplier
        Future poaching scenario: the fitted baseline poaching rate × this multiplier in every
        projected year, in both arms of every comparison (the quota, the whole programme, the
        precautions, the trials and the MSE), like the cull plan (default 1: the fitted rate).
        Trade-linked poaching in exporting arms multiplies the scenario's rate. A trial's own
        poaching setting (``triple_poaching``) wins over it.
    trial_weights
        Plausibility re-ratings of trials of
        :data:`saigapop.management.trial_grid.DEFAULT_TRIALS` (name → ``"high"``,
        ``"medium"`` or ``"low"``; the set follows), recorded here before any quota is
        computed and saved with the assessment. Empty: the weights the trial grid states,
        each with its evidence. The weights in force are also written to the ``recommend``
        and ``trials`` step records.

    Examples
    --------
    >>> cfg = AssessmentConfig(seed=7, draws=200, chains=2, limits={"Kalmykia": 3000})
    >>> cfg.sampler_config.random_seed, cfg.sampler_config.draws
    (7, 200)
    >>> AssessmentConfig.from_json(cfg.to_json()) == cfg
    True
    >>> AssessmentConfig(om_draws=0)
    Traceback (most recent call last):
    ...
    saigapop.exceptions.ConfigError: om_draws must be a positive integer or None, got 0
    """

    seed: int = 2025
    chains: int = 4
    draws: int = 1000
    tune: int = 1000
    target_accept: float = 0.99
    sampler: str = "numpyro"
    model: ModelConfig = field(default_factory=ModelConfig)
    limits: tuple[tuple[str, float], ...] = ()
    om_draws: int | None = DEFAULT_OM_DRAWS
    mse_replicates: int = 1000
    offtake_scenario: str | None = None
    poaching_multiplier: float = 1.0
    trial_weights: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        weights = (
            self.trial_weights.items()
            if isinstance(self.trial_weights, Mapping)
            else self.trial_weights
        )
        pairs = tuple(sorted((str(n), str(w)) for n, w in weights))
        object.__setattr__(self, "trial_weights", pairs)
        weighted_trials(dict(self.trial_weights))  # validates names and weights
        limits = self.limits.items() if isinstance(self.limits, Mapping) else self.limits
        pairs = tuple((str(p), float(v)) for p, v in limits)
        bad = [p for p, v in pairs if not v > 0]
        if bad:
            raise ConfigError(f"abundance limits must be positive numbers of animals: {bad}")
        object.__setattr__(self, "limits", pairs)
        for name in ("seed", "tune"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ConfigError(f"{name} must be a non-negative integer, got {value!r}")
        if self.om_draws is not None and (not isinstance(self.om_draws, int) or self.om_draws < 1):
            raise ConfigError(f"om_draws must be a positive integer or None, got {self.om_draws!r}")
        if not isinstance(self.mse_replicates, int) or self.mse_replicates < 10:
            raise ConfigError(
                f"mse_replicates must be an integer >= 10, got {self.mse_replicates!r}"
            )
        if self.offtake_scenario is not None and (
            not isinstance(self.offtake_scenario, str) or not self.offtake_scenario.strip()
        ):
            raise ConfigError(
                f"offtake_scenario must be a scenario name or None, got {self.offtake_scenario!r}"
            )
        m = self.poaching_multiplier
        if isinstance(m, bool) or not isinstance(m, int | float) or not (np.isfinite(m) and m >= 0):
            raise ConfigError(f"poaching_multiplier must be a finite number >= 0, got {m!r}")
        object.__setattr__(self, "poaching_multiplier", float(m))
        if not isinstance(self.model, ModelConfig):
            raise ConfigError(f"model must be a ModelConfig, got {type(self.model).__name__}")
        self.sampler_config  # noqa: B018 - validates chains, draws, target_accept and sampler

    @property
    def sampler_config(self) -> SamplerConfig:
        """The sampler settings, seeded with :attr:`seed`."""
        return SamplerConfig(
            sampler=self.sampler,  # type: ignore[arg-type]
            chains=self.chains,
            draws=self.draws,
            tune=self.tune,
            target_accept=self.target_accept,
            random_seed=self.seed,
        )

    @property
    def om_overrides(self) -> dict[str, Any]:
        """Return the operating-model options every arm and trial shares beyond the data.

        The poaching scenario, as :func:`~saigapop.management.recommend_quota` takes them.
        """
        m = self.poaching_multiplier
        return {} if m == 1.0 else {"poaching_multiplier": m}

    @property
    def trials(self) -> tuple[Trial, ...]:
        """The trial grid with :attr:`trial_weights` applied (reference = high or medium)."""
        return weighted_trials(dict(self.trial_weights))

    @property
    def all_limits(self) -> dict[str, float]:
        """The abundance limits in force: the defaults with :attr:`limits` over them."""
        return {**DEFAULT_ABUNDANCE_LIMITS, **dict(self.limits)}

    def replace(self, **changes: Any) -> AssessmentConfig:
        """Return a copy with ``changes`` (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able settings."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["model"] = self.model.to_dict()
        out["limits"] = dict(self.limits)
        out["trial_weights"] = dict(self.trial_weights)
        return out

    def to_json(self) -> str:
        """Return the settings as JSON (stored with every saved assessment and report)."""
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> AssessmentConfig:
        """Inverse of :meth:`to_json`."""
        raw = json.loads(text)
        raw["model"] = ModelConfig.from_json(json.dumps(raw["model"]))
        return cls(**raw)


@dataclass(frozen=True)
class StepRecord:
    """One step that ran: what, when, how long, with which seed and settings."""

    step: str
    started: str
    seconds: float
    seed: int
    settings: str


#: The steps a full report needs, in order (``Assessment.report(steps=...)``).
REPORT_STEPS = ("fit", "recommend", "quota", "trials", "mse", "sensitivity", "validation")


class Assessment:
    """A non-detriment assessment of saiga populations, from data to the report.

    Parameters
    ----------
    data
        Validated data (:class:`saigapop.SaigaData`, e.g. :func:`saigapop.load_kazakhstan`).
    config
        All settings (:class:`AssessmentConfig`); default the settings of ``saigapop report``.
    progress
        Show progress bars of the long steps (sampling, trials).
    on_step
        Called with a short description as each step starts (e.g. a command line display).

    Notes
    -----
    The steps, each lazy and cached (a later step runs the earlier ones it needs):

    ``fit()``
        NUTS fit of the joint model → posterior ``DataTree``; :attr:`diagnostics` its
        convergence (R-hat, ESS, divergences). A quota from a fit that fails them carries a
        loud warning in the result and the report.
    ``recommend()``
        The recommended quota (:func:`saigapop.management.recommend_quota`: the fitted world
        lowered where a reference trial needs less).
    ``programme()``
        The whole programme (culls + export vs no offtake): the largest adult-male removal
        per population and its plannable part (:func:`saigapop.management.solve_programme`).
    ``precautions()``
        What each precaution (a reference trial, P*, the sex-ratio floor, wounding,
        trade-linked poaching) costs in the quota, one at a time and cumulatively
        (:func:`saigapop.management.precaution_costs`).
    ``quota()``
        The quota with the CITES-cap allocation, triggers, PBR and projections, the whole
        programme and the precautions' costs.
    ``trials()``, ``mse()``
        Robustness trials; the closed-loop MSE against zero export and PBR.
    ``sensitivity()``, ``validation()``
        Quotas under alternative priors (PSIS reweighting); posterior predictive coverage,
        Pareto k̂, power-scaling sensitivity.
    ``report(folder, ...)``
        Presents all of the above (HTML, PDF, DOCX, CSV/JSON bundle, English or Russian).

    Examples
    --------
    >>> import saigapop as sp
    >>> a = sp.Assessment(sp.load_kazakhstan(), sp.AssessmentConfig(draws=50, chains=1))
    >>> a.computed
    ()
    """

    def __init__(
        self,
        data: SaigaData,
        config: AssessmentConfig | None = None,
        *,
        progress: bool = True,
        on_step: Callable[[str], None] | None = None,
    ) -> None:
        if not isinstance(data, SaigaData):
            raise TypeError(
                f"data must be a saigapop.SaigaData (e.g. sp.load_kazakhstan()), "
                f"got {type(data).__name__}"
            )
        config = AssessmentConfig() if config is None else config
        if not isinstance(config, AssessmentConfig):
            raise TypeError(f"config must be an AssessmentConfig, got {type(config).__name__}")
        missing = [p for p in data.populations if p not in config.all_limits]
        if missing:
            raise ConfigError(
                f"no abundance limit for {missing}: give one per population, e.g. "
                f"AssessmentConfig(limits={{{missing[0]!r}: 3000}}), and justify it in the report"
            )
        self.data = data
        self.config = config
        self.progress = progress
        self.on_step = on_step
        self._results: dict[str, Any] = {}
        self._log: list[StepRecord] = []

    # ----------------------------------------------------------------------------- plumbing
    def _run(self, step: str, text: str, compute: Callable[[], Any], **settings: Any) -> Any:
        if step in self._results:
            return self._results[step]
        if self.on_step is not None:
            self.on_step(text)
        log.info("%s", text)
        started = datetime.now(UTC).isoformat(timespec="seconds")
        t0 = time.perf_counter()
        value = compute()
        self._results[step] = value
        self._log.append(
            StepRecord(
                step,
                started,
                round(time.perf_counter() - t0, 3),
                self.config.seed,
                json.dumps(settings, sort_keys=True, default=str),
            )
        )
        return value

    @property
    def computed(self) -> tuple[str, ...]:
        """The steps whose results are held (in the order they ran)."""
        return tuple(r.step for r in self._log if r.step in self._results)

    @property
    def log(self) -> pd.DataFrame:
        """What ran: step, start time (UTC), seconds, seed and settings."""
        return pd.DataFrame(
            [dataclasses.asdict(r) for r in self._log],
            columns=[f.name for f in dataclasses.fields(StepRecord)],
        )

    # ------------------------------------------------------------------------------- steps
    def fit(self) -> xr.DataTree:
        """Fit the joint model (cached) and return the posterior ``DataTree``."""
        cfg = self.config

        def compute() -> xr.DataTree:
            pymc_log = logging.getLogger("pymc")
            level = pymc_log.level
            pymc_log.setLevel(logging.WARNING)
            try:
                return fit_model(
                    self.data,
                    cfg.model,
                    sampler_config=cfg.sampler_config,
                    progressbar=self.progress,
                )
            finally:
                pymc_log.setLevel(level)

        text = f"Fitting the model ({cfg.chains} chains × {cfg.draws} draws, {cfg.tune} tuning)"
        return self._run("fit", text, compute, **cfg.sampler_config.to_dict())

    @property
    def diagnostics(self) -> ConvergenceResult:
        """Convergence of the fit (R-hat, ESS, divergences); fits first if needed."""
        return self._run(
            "diagnostics", "Checking convergence", lambda: check_convergence(self.fit())
        )

    def _warn_if_unconverged(self, what: str) -> None:
        """Warn (``ConvergenceWarning``) that ``what`` rests on a fit that failed diagnostics."""
        if not self.diagnostics.passed:
            warnings.warn(
                f"the fit failed its convergence diagnostics: {what} is NOT supported by this "
                "fit (" + self.diagnostics.summary() + ")",
                ConvergenceWarning,
                stacklevel=5,
            )

    def recommend(self) -> Recommendation:
        """Solve the recommended quota: the fitted world, lowered where a trial needs less.

        A fit that fails its diagnostics still gives a quota, with a ``ConvergenceWarning`` here and
        a warning at the top of the report.
        """
        cfg = self.config

        def compute() -> Recommendation:
            self._warn_if_unconverged("the quota")
            return recommend_quota(
                self.fit(),
                self.data.removals,
                cfg.all_limits,
                offtake=self.offtake_plan(),
                seed=cfg.seed,
                om_draws=cfg.om_draws,
                om_overrides=cfg.om_overrides,
                progress=self.progress,
                trials=[t for t in cfg.trials if t.reweight is None],
            )

        text = "Solving the quota in the fitted world and in every reference trial"
        return self._run(
            "recommend",
            text,
            compute,
            om_draws=cfg.om_draws,
            limits=cfg.all_limits,
            offtake_scenario=cfg.offtake_scenario,
            poaching_multiplier=cfg.poaching_multiplier,
            trial_weights=plausibility_weights(cfg.trials),
        )

    def programme(self) -> ProgrammeResult:
        """Solve the whole programme: the largest adult-male removal against no offtake.

        Like :meth:`recommend`, warns (``ConvergenceWarning``) when the fit failed its
        diagnostics.

        Culls + export versus no offtake (:func:`saigapop.management.solve_programme`), in
        the fitted world, with the same seed, draws, abundance limits, sex-ratio flags and
        P* as :meth:`recommend`, and the plan of :meth:`offtake_plan` (its female, calf and
        yearling removals kept; the adult males solved for).
        """
        cfg = self.config

        def compute() -> ProgrammeResult:
            self._warn_if_unconverged("the whole programme's limit")
            return solve_programme(
                self.fit(),
                self.data.removals,
                self.offtake_plan(),
                limits=cfg.all_limits,
                seed=cfg.seed,
                om_draws=cfg.om_draws,
                **cfg.om_overrides,
            )

        text = "Solving the whole programme's adult-male limit against no offtake"
        return self._run(
            "programme",
            text,
            compute,
            om_draws=cfg.om_draws,
            limits=cfg.all_limits,
            offtake_scenario=cfg.offtake_scenario,
            poaching_multiplier=cfg.poaching_multiplier,
        )

    def precautions(self) -> xr.Dataset:
        """Solve the quota without each precaution, one at a time and cumulatively.

        :func:`saigapop.management.precaution_costs` with the inputs of :meth:`recommend`
        (whose per-trial solutions it reuses).
        """
        cfg = self.config

        def compute() -> xr.Dataset:
            return precaution_costs(
                self.fit(),
                self.data.removals,
                cfg.all_limits,
                offtake=self.offtake_plan(),
                seed=cfg.seed,
                om_draws=cfg.om_draws,
                om_overrides=cfg.om_overrides,
                trials=[t for t in cfg.trials if t.reweight is None],
                full=self.recommend(),
                on_step=self.on_step,
            )

        text = "Solving the quota without each precaution"
        return self._run(
            "precautions",
            text,
            compute,
            om_draws=cfg.om_draws,
            limits=cfg.all_limits,
            offtake_scenario=cfg.offtake_scenario,
            poaching_multiplier=cfg.poaching_multiplier,
        )

    def offtake_plan(self) -> CullPlan | None:
        """Return the cull plan both arms carry: the data's offtake plan, one scenario.

        The one place an offtake plan enters an assessment; its culls reach the operating
        model, the trials and the MSE through the options of :meth:`recommend`
        (:func:`saigapop.management.arms.offtake_options`). ``None`` when the data have no
        offtake plan (planned culls then zero; the removals realised in the latest census
        year are applied as before).
        """
        plan = getattr(self.data, "offtake", None)
        if plan is None or plan.is_empty:
            return None
        scenario = self.config.offtake_scenario
        if scenario == "none":
            return plan.select().zero_culls()
        return plan.select(scenario)

    def operating_model(self, offtake: CullPlan | None = None) -> OperatingModel:
        """Return the fitted world's operating model, built as :meth:`recommend` builds it.

        Same seed, draws, realised removals and cull plan (both arms), without solving.

        Parameters
        ----------
        offtake
            A cull plan overriding the config's scenario (default :meth:`offtake_plan`).
        """
        plan = self.offtake_plan() if offtake is None else offtake
        opts = operating_model_options(
            self.fit(), self.data.removals, offtake=plan, om_draws=self.config.om_draws
        )
        return OperatingModel.from_posterior(
            self.fit(), seed=self.config.seed, **opts, **self.config.om_overrides
        )

    def _om(self) -> OperatingModel:
        rec = self.recommend()
        if rec.om is not None:
            return rec.om
        # a loaded assessment: rebuild the operating model (deterministic given the seed)
        return OperatingModel.from_posterior(self.fit(), seed=self.config.seed, **rec.om_options)

    def quota(self) -> QuotaInputs:
        """Return the quota with the CITES-cap allocation, triggers, PBR and projections."""

        def compute() -> QuotaInputs:
            rec = self.recommend()
            inputs = prepare_quota(self._om(), rec.result, stock=HornStock(), fit=self.fit())
            return dataclasses.replace(
                inputs, programme=self.programme(), precautions=self.precautions()
            )

        return self._run("quota", "Allocating the cap, triggers and PBR", compute)

    def trials(self) -> TrialInputs:
        """Robustness trials of the recommended quota and the closed-loop MSE."""
        cfg = self.config

        def compute() -> TrialInputs:
            rec = self.recommend()
            return prepare_trials(
                self.fit(),
                rec.result,
                limits=cfg.all_limits,
                seed=cfg.seed,
                n_replicates=cfg.mse_replicates,
                om_options=rec.om_options,
                counts=self.data.to_xarray()["count"],
                pbr_om=self._om(),
                on_step=self.on_step,
                trials=cfg.trials,
                across=rec.across,
            )

        return self._run(
            "trials",
            "Robustness trials and MSE",
            compute,
            mse_replicates=cfg.mse_replicates,
            trial_weights=plausibility_weights(cfg.trials),
        )

    def mse(self) -> pd.DataFrame:
        """Summary of the closed-loop MSE (the quota's procedure, PBR and zero export)."""
        return self.trials().mse

    def _fitted_world_solver(
        self,
    ) -> tuple[Callable[[Any], dict[str, float]], dict[str, float]]:
        """Return a quota solver for resampled posteriors and the fitted world's own quota.

        Both in the fitted world (no trials): a reweighted posterior is compared like with
        like. Used by :meth:`sensitivity` and :meth:`planning_alternative`.
        """
        rec = self.recommend()
        result = rec.result
        opts = {k: v for k, v in rec.om_options.items() if k != "n_draws"}
        pops = [str(p) for p in result.level["population"].values]
        seed = self.config.seed

        def solve(resampled: Any) -> dict[str, float]:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                om = OperatingModel.from_posterior(resampled, seed=seed, **opts)
                res = solve_quota(om, result.criteria, p_star=result.p_star, progress=False)
            return {p: float(res.level.sel(population=p)) for p in pops}

        world = rec.across["level"].sel(trial="base") if rec.across is not None else result.level
        return solve, {p: float(world.sel(population=p)) for p in pops}

    def sensitivity(self) -> pd.DataFrame:
        """Return the quota under each alternative prior, by PSIS reweighting of the fit."""

        def compute() -> pd.DataFrame:
            solve, world = self._fitted_world_solver()
            return reweighted_alternative_quotas(
                self.fit(),
                solve,
                world,
                n_draws=self._om().n_draws,
                seed=self.config.seed,
                on_alternative=self.on_step,
            )

        return self._run("sensitivity", "Quotas under alternative priors", compute)

    def planning_alternative(self) -> pd.DataFrame:
        """Return the quota with planning-estimate census figures treated the other way.

        Added as counts if the fit left them out, else left out; by PSIS reweighting of the
        fit (:func:`saigapop.validation.planning.planning_alternative_quotas`).
        """

        def compute() -> pd.DataFrame:
            solve, world = self._fitted_world_solver()
            return planning_alternative_quotas(
                self.fit(),
                self.data.census,
                solve,
                world,
                n_draws=self._om().n_draws,
                seed=self.config.seed,
            )

        return self._run(
            "planning_alternative",
            "Quota with planning-estimate figures treated the other way",
            compute,
        )

    def validation(self) -> ValidationInputs:
        """Posterior predictive coverage, Pareto k̂, power-scaling sensitivity, alternatives."""

        def compute() -> ValidationInputs:
            out = prepare_validation(
                self.fit(),
                self.data,
                alternatives=self.sensitivity(),
                method="reweighted",
                on_step=self.on_step,
            )
            return dataclasses.replace(out, planning=self.planning_alternative())

        return self._run("validation", "Validation checks", compute)

    # ------------------------------------------------------------------------------ report
    def report(
        self,
        folder: str | Path = "reports",
        *,
        formats: Iterable[str] = FORMATS,
        language: str = "en",
        steps: Iterable[str] = REPORT_STEPS,
        evidence: Any = None,
        registry: Any = None,
        **settings: Any,
    ) -> dict[str, Path]:
        """Write the justification report; runs every step in ``steps`` not yet run.

        Parameters
        ----------
        folder
            Output folder.
        formats
            Any of ``html``, ``pdf``, ``docx``, ``bundle``.
        language
            ``"en"`` or ``"ru"``; numbers are identical in both.
        steps
            Steps to include (default all of :data:`REPORT_STEPS`); a section whose step is
            left out says plainly that it was not computed.
        evidence
            Slow-tier validation checks (:func:`saigapop.validation.read_evidence`), shown in
            the checklist with their provenance, never gating the quota.
        registry
            A horn registry (path or DataFrame) for the monitoring section.
        **settings
            Other :class:`saigapop.report.ReportConfig` fields (``title``, ``institution``,
            ``country``, ``populations``, ``date``).

        Returns
        -------
        dict
            Format → path written.
        """
        self.last_payload = self.payload(
            language=language, steps=steps, evidence=evidence, registry=registry, **settings
        )
        if self.on_step is not None:
            self.on_step("Writing the report")
        return write_report(self.last_payload, folder, formats=list(formats))

    def payload(
        self,
        *,
        language: str = "en",
        steps: Iterable[str] = REPORT_STEPS,
        evidence: Any = None,
        registry: Any = None,
        **settings: Any,
    ) -> Any:
        """Build the report's content (:class:`saigapop.report.ReportPayload`)."""
        wanted = tuple(steps)
        unknown = sorted(set(wanted) - set(REPORT_STEPS))
        if unknown:
            raise ConfigError(f"unknown steps {unknown}; choose from {list(REPORT_STEPS)}")
        fit = self.fit() if "fit" in wanted else None
        quota = self.quota() if "quota" in wanted or "recommend" in wanted else None
        trials = self.trials() if {"trials", "mse"} & set(wanted) else None
        validation = None
        if "validation" in wanted:
            validation = self.validation()
        elif "sensitivity" in wanted:
            validation = ValidationInputs(
                alternatives=self.sensitivity(),
                method="reweighted",
                planning=self.planning_alternative(),
            )
        if evidence is not None:
            validation = dataclasses.replace(validation or ValidationInputs(), evidence=evidence)
        checked = None
        if registry is not None:
            checked = validate_registry(registry, self.data.removals)
        sampler = self.config.sampler_config.to_dict()
        if fit is not None and "saigapop_sampler_config" in fit.attrs:
            sampler = json.loads(fit.attrs["saigapop_sampler_config"])
        if fit is not None:
            sampler["operating_model_draws"] = self.config.om_draws
        config = ReportConfig(
            **{"seed": self.config.seed, "sampler": sampler, "language": language, **settings}
        )
        return build_payload(
            self.data,
            fit=fit,
            diagnostics=self.diagnostics if fit is not None else None,
            quota=quota,
            trials=trials,
            validation=validation,
            registry=checked,
            config=config,
        )

    # ------------------------------------------------------------------------ persistence
    @classmethod
    def from_fit(
        cls, data: SaigaData, fit: xr.DataTree, config: AssessmentConfig | None = None, **kw: Any
    ) -> Assessment:
        """Make an assessment whose fit exists (e.g. :func:`saigapop.model.io.load_fit`).

        The fit must be of ``data`` (same hash of the fitted tables,
        :attr:`~saigapop.io.SaigaData.tables_hash`; the offtake plan is not fitted). Its
        chains, draws, tuning draws and target acceptance replace those of ``config``;
        ``config.seed`` still seeds the operating model, trials and MSE, and the report
        prints the fit's own sampler settings (with its seed).
        """
        stored = fit.attrs.get("data_hash")
        if stored is not None and stored != data.tables_hash:
            raise ConfigError(
                f"the fit was made from other data (data hash {str(stored)[:12]}, these data "
                f"{data.tables_hash[:12]})"
            )
        config = AssessmentConfig() if config is None else config
        post = fit["posterior"]
        saved = json.loads(fit.attrs.get("saigapop_sampler_config", "{}"))
        config = config.replace(
            chains=int(post.sizes["chain"]),
            draws=int(post.sizes["draw"]),
            tune=int(saved.get("tune", config.tune)),
            target_accept=float(saved.get("target_accept", config.target_accept)),
        )
        self = cls(data, config, **kw)
        self._results["fit"] = fit
        self._log.append(StepRecord("fit", "", 0.0, config.seed, json.dumps({"given": True})))
        return self

    def save(self, path: str | Path) -> Path:
        """Write the data, the config, the log, the fit and every result computed to zarr."""
        path = Path(path)
        root = xr.DataTree(
            xr.Dataset(
                attrs={
                    "saigapop_version": __version__,
                    "config": self.config.to_json(),
                    "data_hash": self.data.data_hash,
                    "log": self.log.to_json(orient="records"),
                }
            )
        )
        children = {"data": to_node(self.data)}
        for step, value in self._results.items():
            children[step] = to_node(value, step)
        root.children = children
        root.to_zarr(path, mode="w")
        return path

    @classmethod
    def load(cls, path: str | Path, **kw: Any) -> Assessment:
        """Read an assessment written by :meth:`save`; nothing is recomputed."""
        tree = xr.open_datatree(path, engine="zarr").load()
        data = from_node(tree["data"])
        if data.data_hash != tree.attrs["data_hash"]:
            raise ConfigError(f"{path}: the stored data no longer give the stored data hash")
        self = cls(data, AssessmentConfig.from_json(tree.attrs["config"]), **kw)
        for name, child in tree.children.items():
            if name != "data":
                self._results[name] = from_node(child)
        self._log = [StepRecord(**r) for r in json.loads(tree.attrs["log"])]
        return self

    # ----------------------------------------------------------------------------- display
    def _headline(self) -> str:
        rec = self._results.get("recommend")
        if rec is None:
            return "no quota computed yet"
        level = rec.result.level
        parts = [f"{p}: {float(level.sel(population=p)):,.0f}" for p in level["population"].values]
        return f"recommended quota ({rec.result.unit}/year) — " + ", ".join(parts)

    def __repr__(self) -> str:
        pops = ", ".join(self.data.populations)
        done = ", ".join(self.computed) or "nothing yet"
        seed = self.config.seed
        return f"<Assessment of {pops} | seed {seed} | computed: {done} | {self._headline()}>"

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{r.step}</td><td>{r.seconds:.1f} s</td><td>{r.seed}</td></tr>"
            for r in self._log
        )
        fit_note = ""
        if "diagnostics" in self._results:
            d = self._results["diagnostics"]
            colour = "green" if d.passed else "red"
            fit_note = f"<p style='color:{colour}'><b>Diagnostics:</b> {d.summary()}</p>"
        return (
            f"<div><b>saigapop Assessment</b> — {', '.join(self.data.populations)} "
            f"(data {self.data.data_hash[:12]}, seed {self.config.seed})"
            f"<p><b>{self._headline()}</b></p>{fit_note}"
            f"<table><tr><th>step</th><th>time</th><th>seed</th></tr>{rows}</table></div>"
        )
