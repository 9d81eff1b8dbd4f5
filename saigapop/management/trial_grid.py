"""The trial grid (DESIGN §5): reference and robustness operating models, declared as data.

:data:`DEFAULT_TRIALS` is a tuple of frozen :class:`Trial` objects, each with its name, its
set (``reference`` or ``robustness``), what differs from the fitted operating model, why, and
how it is **conditioned on the data** (``as fitted``, ``reweighted`` — see
:mod:`saigapop.management.reweighting` — or ``projection only``). :func:`build_trial_model`
turns a trial into its :class:`~saigapop.management.OperatingModel`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from saigapop.demography.matrix import female_matrix, lambda_
from saigapop.demography.vital_rates import VitalRates
from saigapop.exceptions import ConfigError
from saigapop.management.operating_model import OperatingModel
from saigapop.management.reweighting import KHAT_MAX, Reweight

__all__ = ["DEFAULT_TRIALS", "Trial", "TrialSet", "build_trial_model"]

Array = NDArray[np.float64]

TrialSet = Literal["reference", "robustness"]
#: Plausibility weight of a trial, set from stated evidence (its ``why`` says which).
Plausibility = Literal["high", "medium", "low"]


@dataclass(frozen=True)
class Trial:
    """One operating model of the trial grid (declared as data).

    Parameters
    ----------
    name
        Short identifier (coordinate of the ``trial`` dim).
    kind
        The set: ``"reference"`` (must pass every criterion) or ``"robustness"`` (must not
        collapse a population).
    differs
        What differs from the fitted operating model (one line).
    why
        Why this alternative is plausible (one line, with its source).
    options
        Keyword overrides of :meth:`OperatingModel.from_posterior`.
    conditioning
        How the trial is conditioned on the data: ``"as fitted"``, ``"reweighted: …"`` or
        ``"projection only: …"`` (saying what refit it would need).
    reweight
        The alternative observation model whose likelihood ratio weights the draws.
    stress
        Post-construction changes applied by :func:`build_trial_model`:
        ``poaching_after_trade`` (multiplier from the first quota year on),
        ``export_multiplier`` (implementation overshoot), ``mass_mortality`` (fraction
        killed in winter of the first quota year, every population), ``emigration``
        (annual fraction leaving, all classes), ``density_at_current`` (True: density
        dependence that holds the population at replacement at its current abundance).
    plausibility
        ``"high"``, ``"medium"`` or ``"low"``, set from the evidence stated in ``why``
        (``None``: not yet rated).

    Examples
    --------
    >>> t = Trial("double_catastrophes", "robustness", "catastrophe rate × 2", "test",
    ...           {"catastrophe_rate_multiplier": 2.0})
    >>> t.kind, t.description
    ('robustness', 'catastrophe rate × 2')
    """

    name: str
    kind: TrialSet = "robustness"
    differs: str = ""
    why: str = ""
    options: Mapping[str, Any] = field(default_factory=dict)
    conditioning: str = "projection only"
    reweight: Reweight | None = None
    stress: Mapping[str, Any] = field(default_factory=dict)
    plausibility: Plausibility | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("reference", "robustness"):
            raise ConfigError(f"trial kind must be 'reference' or 'robustness', got {self.kind!r}")
        if self.plausibility not in (None, "high", "medium", "low"):
            raise ConfigError(
                f"trial plausibility must be 'high', 'medium' or 'low', got {self.plausibility!r}"
            )

    @property
    def description(self) -> str:
        """What differs (kept for older callers)."""
        return self.differs


_REFIT = f"a refit with this observation model is needed if k̂ > {KHAT_MAX}"

#: The trial grid (reference set, then robustness set). See ``docs/management.md``.
DEFAULT_TRIALS: tuple[Trial, ...] = (
    Trial(
        "base",
        "reference",
        "the operating model as fitted",
        "the reference case",
        conditioning="as fitted",
    ),
    Trial(
        "obs_cv_0.1",
        "reference",
        "census observation CV 0.1",
        "helicopter transect counts carry no published error; 0.1 is the precise end",
        conditioning=f"reweighted: count likelihood ratio, CV 0.1 vs fitted ({_REFIT})",
        reweight=Reweight(obs_cv=0.1, note="CV 0.1"),
    ),
    Trial(
        "obs_cv_0.3",
        "reference",
        "census observation CV 0.3",
        "method and coverage changed (2010 revision, eastern Betpakdala first flown 2024)",
        conditioning=f"reweighted: count likelihood ratio, CV 0.3 vs fitted ({_REFIT})",
        reweight=Reweight(obs_cv=0.3, note="CV 0.3"),
    ),
    Trial(
        "catchability_0.8",
        "reference",
        "catchability 0.8 (counts see 80 % of animals)",
        "aerial counts of ungulates usually undercount",
        options={"catchability_override": 0.8},
        conditioning=f"reweighted: count likelihood ratio, q = 0.8 vs fitted ({_REFIT})",
        reweight=Reweight(catchability=0.8, note="q 0.8"),
    ),
    Trial(
        "catchability_1.0",
        "reference",
        "catchability 1.0 (counts are absolute)",
        "what the published totals implicitly assume",
        options={"catchability_override": 1.0},
        conditioning=f"reweighted: count likelihood ratio, q = 1.0 vs fitted ({_REFIT})",
        reweight=Reweight(catchability=1.0, note="q 1.0"),
    ),
    Trial(
        "catchability_1.2",
        "reference",
        "catchability 1.2 (double counting, +40 % planning figures)",
        "2025 Ural/Betpakdala figures match a ministry +40 % planning estimate",
        options={"catchability_override": 1.2},
        conditioning=f"reweighted: count likelihood ratio, q = 1.2 vs fitted ({_REFIT})",
        reweight=Reweight(catchability=1.2, note="q 1.2"),
    ),
    Trial(
        "no_density_dependence",
        "reference",
        "no density dependence",
        "populations far below historical numbers (~1 million in the 1970s-80s per population)",
        options={"density_form": "none"},
        conditioning="projection only: the counts barely inform density dependence "
        "(refit to confirm)",
    ),
    Trial(
        "density_at_current",
        "reference",
        "density dependence holding births at replacement at the current abundance",
        "crop-damage culls are justified by the range being full; the most pessimistic DD",
        options={"density_form": "beverton_holt"},
        conditioning="projection only: a refit with carrying capacity at the 2025 level is needed",
        stress={"density_at_current": True},
    ),
    Trial(
        "evidence_mating",
        "reference",
        "mating function from evidence: Hill curve normalised to 1 at Kühl's sex ratio, "
        "1/2 near 0.8 % males (the default; fitted draws)",
        "plausibility high: Kalmykia's fecundity collapsed only near ~1 % adult males "
        "(Milner-Gulland et al. 2003) and recruitment was a record 1.38 young/female at "
        "M/F ≈ 0.17–0.36 (Kalmykia 2022); normalised so Kühl et al.'s fecundity is not "
        "mate-limited twice (docs/annual_cycle.md)",
        options={"mating_form": "normalised_hill"},
        conditioning="as fitted: the fit carries the mating parameters (a fit made before "
        "them projects at the prior medians: projection only)",
        plausibility="high",
    ),
    Trial(
        "evidence_mating_pessimistic",
        "reference",
        "mating function from evidence with the collapse at 3 % males (Hill curve 1/2 at a "
        "male share of 0.03, normalised at Kühl's sex ratio)",
        "plausibility medium: no saiga evidence puts the collapse above ~1 %, but that figure "
        "is one population's, its denominator is uncertain by a factor ~1.6, and Kazakh harems "
        "form over larger, sparser ranges (Karimova et al. 2021) — 3× Kalmykia's threshold",
        options={"mating_form": "normalised_hill", "mating_half_share": 0.03},
        conditioning="projection only: the counts do not inform the mating function (prior-driven)",
        plausibility="medium",
    ),
    Trial(
        "exponential_mating",
        "robustness",
        "exponential mating function P = 1 − exp(−h M/F), harem size h 12–30 (the former default)",
        "plausibility low: one male per harem gives P = 0.63, i.e. mate limitation at ratios "
        "where Kalmykia had record recruitment, and Kühl et al.'s fecundity already includes "
        "the mate limitation of its time (counted twice); harems of 12–30 females (EurekAlert "
        "733181) size a harem, not what one male can fertilise",
        options={"mating_form": "exponential"},
        conditioning="projection only: h does not enter the fit (its posterior is its prior, "
        "LogNormal 90 % 12–30)",
        plausibility="low",
    ),
    Trial(
        "double_catastrophes",
        "robustness",
        "catastrophe rate × 2",
        "die-offs 1981, 1988, 2010-11, 2015 suggest the record may understate the rate",
        options={"catastrophe_rate_multiplier": 2.0},
        conditioning="projection only: a refit with a doubled-rate prior is needed",
    ),
    Trial(
        "ppr_event",
        "robustness",
        "a PPR-type event kills 80 % of every population in the first quota year",
        "peste des petits ruminants killed ~80 % of Mongolian saiga in 2016-17",
        conditioning="projection only: a future event, nothing to condition",
        stress={"mass_mortality": 0.8},
    ),
    Trial(
        "triple_poaching",
        "robustness",
        "poaching × 3 once trade opens",
        "legal trade can launder poached horn (WCS on CoP20)",
        conditioning="projection only: a future change, nothing to condition",
        stress={"poaching_after_trade": 3.0},
    ),
    Trial(
        "implementation_overshoot",
        "robustness",
        "the export taken is 25 % above the quota",
        "enforcement of hunting quotas in the field is imperfect",
        conditioning="projection only: a future change, nothing to condition",
        stress={"export_multiplier": 1.25},
    ),
    Trial(
        "low_male_survival",
        "robustness",
        "adult-male survival × 0.8",
        "post-rut exhaustion and male-biased dzhut deaths; the counts do not see sex ratio",
        options={"survival_multiplier": {("male", "adult"): 0.8}},
        conditioning="projection only: male survival is prior-driven; a refit would also lower "
        "adult males at 2025",
    ),
    Trial(
        "census_2025_estimate",
        "robustness",
        "the 2025 figures treated as estimates (CV 0.5), not counts",
        "2025 Ural/Betpakdala figures equal a ministry +40 % planning estimate",
        conditioning=f"reweighted: 2025 count terms at CV 0.5 vs fitted ({_REFIT})",
        reweight=Reweight(obs_cv=0.5, years=(2025,), note="2025 at CV 0.5"),
    ),
    Trial(
        "emigration",
        "robustness",
        "5 % of every class emigrates each year (net)",
        "Ural saiga move into Russia, Ustyurt into Uzbekistan",
        conditioning="projection only: a refit with an emigration term is needed (the counts "
        "would attribute less growth to births)",
        stress={"emigration": 0.05},
    ),
)


def _replacement_density(om: OperatingModel) -> Array:
    """Per draw and population, the fecundity factor D* that gives λ = 1 (female matrix)."""
    surv = np.clip(om.mean_survival, 0.0, 1.0)
    bpf = om.births_per_female[:, 0, :]
    fec = np.clip(bpf / 2.0, 0.0, 1.0)
    tw = np.clip(bpf / np.maximum(fec, 1e-12) - 1.0, 0.0, 1.0)
    rates = VitalRates(survival=surv, fecundity=fec[:, None, :], twinning=tw[:, None, :])
    conc = om.conception0

    def lam(d: Array) -> Array:
        return lambda_(female_matrix(rates, conception=conc, density_factor=d))

    lo, hi = np.zeros_like(conc), np.ones_like(conc)
    if np.all(lam(hi) <= 1.0):
        return hi
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        up = lam(mid) > 1.0
        hi = np.where(up, mid, hi)
        lo = np.where(up, lo, mid)
    return np.where(lam(np.ones_like(conc)) <= 1.0, 1.0, 0.5 * (lo + hi))


def build_trial_model(
    posterior: xr.DataTree | xr.Dataset, trial: Trial, *, seed: int = 0, **om_options: Any
) -> OperatingModel:
    """Build a trial's operating model: ``from_posterior`` options, then its stresses.

    Parameters
    ----------
    posterior
        Fitted posterior.
    trial
        The trial.
    seed
        Seed of the operating model's random numbers.
    **om_options
        Shared :meth:`OperatingModel.from_posterior` options (realised removals, culls, …).

    Returns
    -------
    OperatingModel

    Examples
    --------
    >>> from saigapop.testing import synthetic_posterior
    >>> post = synthetic_posterior(chains=1, draws=10)
    >>> ppr = [t for t in DEFAULT_TRIALS if t.name == "ppr_event"][0]
    >>> om = build_trial_model(post, ppr)
    >>> float(om.survival[0, 2, 1].max()) < 0.3  # adult females, first quota year
    True
    """
    opts = {**om_options, **trial.options}
    q_override = opts.pop("catchability_override", None)
    om = OperatingModel.from_posterior(posterior, seed=seed, **opts)
    changes: dict[str, Any] = {}
    if q_override is not None:
        changes["catchability"] = np.full_like(om.catchability, float(q_override))
    stress = dict(trial.stress)
    first = om.quota_years[0] if om.quota_years else om.start_year + 1
    t_first = first - om.start_year
    if "poaching_after_trade" in stress:
        p = om.poaching.copy()  # (sex, year, draw, pop)
        p[:, t_first:] = np.clip(p[:, t_first:] * float(stress["poaching_after_trade"]), 0, 1)
        changes["poaching"] = p
    if "mass_mortality" in stress:
        s = om.survival.copy()  # (sex, age, year, draw, pop)
        s[:, :, t_first] *= 1.0 - float(stress["mass_mortality"])
        changes["survival"] = s
    if "emigration" in stress:
        s = changes.get("survival", om.survival).copy()
        s *= 1.0 - float(stress["emigration"])
        changes["survival"] = s
    if stress.get("density_at_current"):
        d_star = _replacement_density(om)  # (draw, pop)
        b = np.maximum(om.density_strength, 1e-9)  # (draw, 1)
        n_now = om.n0.sum(axis=(-2, -1))
        with np.errstate(divide="ignore", invalid="ignore"):
            k = np.where(d_star < 1.0, b * n_now * d_star / (1.0 - d_star), 1e300)
        changes.update(density_form="beverton_holt", carrying_capacity=k, density_strength=b)
    if changes:
        for name, value in changes.items():
            if isinstance(value, np.ndarray):
                value = np.ascontiguousarray(value)
                value.setflags(write=False)
                changes[name] = value
        om = om.replace(
            **changes, settings={**om.settings, "trial": trial.name, "stress": dict(stress)}
        )
    return om
