"""The trial grid (DESIGN §5): reference and robustness operating models, declared as data.

:data:`DEFAULT_TRIALS` is a tuple of frozen :class:`Trial` objects, each with its name, its
**plausibility** (high/medium/low) and the **evidence** for it (set before any quota is
computed), the set that plausibility puts it in (high and medium: ``reference``; low:
``robustness``), what differs from the fitted operating model, and how it is **conditioned
on the data** (``as fitted``, ``reweighted`` — see :mod:`saigapop.management.reweighting` —
or ``projection only``). :func:`build_trial_model` turns a trial into its
:class:`~saigapop.management.OperatingModel`; :func:`weighted_trials` re-rates trials (the
assessment config records such re-ratings); :func:`loosen` and
:data:`ROBUSTNESS_LIMIT_FACTOR` give the robustness set's performance limits.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from saigapop.demography.matrix import female_matrix, lambda_
from saigapop.demography.vital_rates import VitalRates
from saigapop.exceptions import ConfigError
from saigapop.management.arms import ExportEffects, shift_culls
from saigapop.management.criteria import Criterion
from saigapop.management.operating_model import OperatingModel
from saigapop.management.reweighting import KHAT_MAX, Reweight

__all__ = [
    "DEFAULT_TRIALS",
    "EXPORT_IMPLEMENTATION",
    "EXPORT_MALE_SELECTIVITY",
    "KIND_OF_PLAUSIBILITY",
    "ROBUSTNESS_LIMIT_FACTOR",
    "Trial",
    "TrialSet",
    "build_trial_model",
    "loosen",
    "plausibility_weights",
    "shift_culls",
    "trade_effect_trials",
    "weighted_trials",
]

Array = NDArray[np.float64]

TrialSet = Literal["reference", "robustness"]
#: Plausibility weight of a trial, set from stated evidence (its ``evidence`` says which).
Plausibility = Literal["high", "medium", "low"]


#: The set a plausibility weight puts a trial in (the one rule; :class:`Trial` applies it).
KIND_OF_PLAUSIBILITY: dict[str, TrialSet] = {
    "high": "reference",
    "medium": "reference",
    "low": "robustness",
}

#: How much looser than the reference limits a robustness (low-plausibility) trial's
#: performance limits are: every criterion's allowed probability is multiplied by 2 (the
#: abundance criterion's added risk 1 → 2 percentage points, the sex-ratio and conception
#: failure probabilities 5 % → 10 %). Reason: a low-plausibility world is given at most half
#: the weight of a reference world (no source quantifies "low"; 1/2 is the choice), and a risk
#: ``r`` in a world of weight 1/2 adds at most ``r/2`` to the risk of the mixture, so
#: ``r ≤ 2 × limit`` keeps that contribution within the reference limit. Collapse keeps its
#: own limit (5 %) in every set.
ROBUSTNESS_LIMIT_FACTOR: float = 2.0


@dataclass(frozen=True)
class Trial:
    """One operating model of the trial grid (declared as data).

    The trial's **plausibility** (``high``, ``medium`` or ``low``) is set from the evidence
    stated in ``evidence`` before any quota is computed, and it decides the set
    (:data:`KIND_OF_PLAUSIBILITY`): high and medium are **reference** trials (the quota must
    pass every criterion; the robust quota is the smallest of their quotas), low are
    **robustness** trials (judged by the same performance statistics against limits
    :data:`ROBUSTNESS_LIMIT_FACTOR` times looser, plus collapse). Plausibility is the one
    source of truth: ``kind`` is derived from it, and an explicit ``kind`` that contradicts
    it is a :class:`~saigapop.exceptions.ConfigError`. A trial without a plausibility (user
    code written before weights existed) keeps the ``kind`` it gives (default
    ``"robustness"``) and is shown as not rated.

    Parameters
    ----------
    name
        Short identifier (coordinate of the ``trial`` dim).
    kind
        ``"reference"`` or ``"robustness"``; ``None`` (default): derived from
        ``plausibility``. Given together with ``plausibility`` it must agree with it.
    differs
        What differs from the fitted operating model (one line).
    why
        Why this alternative is considered (one line).
    options
        Keyword overrides of :meth:`OperatingModel.from_posterior`. An
        ``export_effects`` (:class:`~saigapop.management.arms.ExportEffects`) is combined with
        a shared one by :func:`build_trial_model`: its cull factors multiply the shared ones,
        and the operating model applies them to every cull of an exporting arm in the years
        trade is open, realised-level culls included
        (:func:`~saigapop.management.arms.shift_culls`).
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
        ``"high"``, ``"medium"`` or ``"low"`` (``None``: not rated).
    evidence
        The evidence behind the plausibility: a sentence and its source in
        ``/work/shared/research`` (file and section or row), or ``"no source: …"`` saying
        what is missing. Required when ``plausibility`` is given.

    Examples
    --------
    >>> t = Trial("double_catastrophes", differs="catastrophe rate × 2",
    ...           options={"catastrophe_rate_multiplier": 2.0}, plausibility="low",
    ...           evidence="no source: the record gives the rate, not twice it")
    >>> t.kind, t.description
    ('robustness', 'catastrophe rate × 2')
    >>> Trial("old_style", "reference", "catchability 0.8").kind  # not rated: kind kept
    'reference'
    >>> Trial("x", "reference", plausibility="low", evidence="e")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    saigapop.exceptions.ConfigError: trial 'x': kind 'reference' contradicts plausibility 'low' ...
    """

    name: str
    kind: TrialSet | None = None
    differs: str = ""
    why: str = ""
    options: Mapping[str, Any] = field(default_factory=dict)
    conditioning: str = "projection only"
    reweight: Reweight | None = None
    stress: Mapping[str, Any] = field(default_factory=dict)
    plausibility: Plausibility | None = None
    evidence: str = ""

    def __post_init__(self) -> None:
        if self.kind not in (None, "reference", "robustness"):
            raise ConfigError(
                f"trial {self.name!r}: kind must be 'reference' or 'robustness', got {self.kind!r}"
            )
        if self.plausibility not in (None, *KIND_OF_PLAUSIBILITY):
            raise ConfigError(
                f"trial {self.name!r}: plausibility must be 'high', 'medium' or 'low', got "
                f"{self.plausibility!r}"
            )
        if self.plausibility is None:
            if self.kind is None:
                object.__setattr__(self, "kind", "robustness")
            return
        derived = KIND_OF_PLAUSIBILITY[self.plausibility]
        if self.kind is not None and self.kind != derived:
            raise ConfigError(
                f"trial {self.name!r}: kind {self.kind!r} contradicts plausibility "
                f"{self.plausibility!r} (high and medium make a reference trial, low a "
                "robustness trial); give the plausibility alone"
            )
        if not str(self.evidence).strip():
            raise ConfigError(
                f"trial {self.name!r}: plausibility {self.plausibility!r} needs its evidence "
                "(a sentence and its source, or 'no source: …')"
            )
        object.__setattr__(self, "kind", derived)

    @property
    def description(self) -> str:
        """What differs (kept for older callers)."""
        return self.differs

    def with_plausibility(self, plausibility: Plausibility, evidence: str | None = None) -> Trial:
        """Return the trial re-rated (its set follows), with new evidence if given.

        Examples
        --------
        >>> base = [t for t in DEFAULT_TRIALS if t.name == "density_at_current"][0]
        >>> base.with_plausibility("medium", "my reasons").kind
        'reference'
        """
        return dataclasses.replace(
            self,
            kind=None,
            plausibility=plausibility,
            evidence=self.evidence if evidence is None else evidence,
        )


_REFIT = f"a refit with this observation model is needed if k̂ > {KHAT_MAX}"
#: Factor by which the ``export_male_selective_culls`` trial multiplies the male selectivity
#: (odds of a culled animal being male) of culls in an exporting arm. No source gives the
#: size of an export's shift (the trial's evidence says so). 1.3 is the one measured swing:
#: the 2025 West Kazakhstan cull, run with a horn market in prospect (its horns stored for
#: export), took ~47 % males (42,000 of ~90,000 by November) against a 40/40/20 plan, an odds
#: ratio of (0.467 / 0.533) / (0.40 / 0.60) = 1.31 (saiga_removals.csv and composition.csv,
#: Ural 2025 rows).
EXPORT_MALE_SELECTIVITY: float = 1.3
#: Factor by which the ``export_raises_implementation`` trial multiplies the achieved
#: fraction of planned culls in an exporting arm: 2025 achieved ~25 % of the plan
#: (saiga_removals.csv, Total 2025 "other" row, RTVI); × 2 takes it to ~50 %, half the way
#: to the full plan. No source gives the size of an export's effect.
EXPORT_IMPLEMENTATION: float = 2.0

#: The trial grid (reference set, then robustness set). See ``docs/management.md``.
DEFAULT_TRIALS: tuple[Trial, ...] = (
    Trial(
        "base",
        differs="the operating model as fitted",
        why="the reference case",
        conditioning="as fitted",
        plausibility="high",
        evidence="the model fitted to the census counts (saiga_census.csv) with the priors of "
        "model/priors.py, each citing its source",
    ),
    Trial(
        "obs_cv_0.1",
        differs="census observation CV 0.1",
        why="helicopter transect counts carry no published error; 0.1 is the precise end",
        conditioning=f"reweighted: count likelihood ratio, CV 0.1 vs fitted ({_REFIT})",
        reweight=Reweight(obs_cv=0.1, note="CV 0.1"),
        plausibility="medium",
        evidence="no CV has been published for any Kazakh aerial survey (saiga_biology.md §7); "
        "no source: a CV as low as 0.1 is possible for a total count with 200+ flight hours but "
        "is not measured",
    ),
    Trial(
        "obs_cv_0.3",
        differs="census observation CV 0.3",
        why="method and coverage changed (2010 revision, eastern Betpakdala first flown 2024)",
        conditioning=f"reweighted: count likelihood ratio, CV 0.3 vs fitted ({_REFIT})",
        reweight=Reweight(obs_cv=0.3, note="CV 0.3"),
        plausibility="high",
        evidence="the only comparable saiga survey precision is the Mongolian distance-sampling "
        "CV ≈ 30 % (Young et al. 2010; saiga_biology.md §7), and the Kazakh method and coverage "
        "changed in 2010 and 2024 (saiga_biology.md §7)",
    ),
    Trial(
        "catchability_0.8",
        differs="catchability 0.8 (counts see 80 % of animals)",
        why="aerial counts of ungulates usually undercount",
        options={"catchability_override": 0.8},
        conditioning=f"reweighted: count likelihood ratio, q = 0.8 vs fitted ({_REFIT})",
        reweight=Reweight(catchability=0.8, note="q 0.8"),
        plausibility="medium",
        evidence="sightability of saiga may change with herd size (saiga_biology.md §7); no "
        "source: no sightability of Kazakh saiga counts has been measured",
    ),
    Trial(
        "catchability_1.0",
        differs="catchability 1.0 (counts are absolute)",
        why="what the published totals implicitly assume",
        options={"catchability_override": 1.0},
        conditioning=f"reweighted: count likelihood ratio, q = 1.0 vs fitted ({_REFIT})",
        reweight=Reweight(catchability=1.0, note="q 1.0"),
        plausibility="medium",
        evidence="the published totals are reported without a correction or interval "
        "(saiga_biology.md §7), i.e. as absolute counts; no source: nothing measures q",
    ),
    Trial(
        "catchability_1.2",
        differs="catchability 1.2 (double counting, +40 % planning figures)",
        why="2025 Ural/Betpakdala figures match a ministry +40 % planning estimate",
        options={"catchability_override": 1.2},
        conditioning=f"reweighted: count likelihood ratio, q = 1.2 vs fitted ({_REFIT})",
        reweight=Reweight(catchability=1.2, note="q 1.2"),
        plausibility="medium",
        evidence="the 2025 census growth (40.4 %) equals the ministry's +40 %/yr planning "
        "assumption (saiga_biology.md §4), a sign of figures above the animals counted",
    ),
    Trial(
        "no_density_dependence",
        differs="no density dependence",
        why="populations far below historical numbers (~1 million in the 1970s-80s per population)",
        options={"density_form": "none"},
        conditioning="projection only: the counts barely inform density dependence "
        "(refit to confirm)",
        plausibility="high",
        evidence="between successive counts from 2016 to 2025 growth stayed at 39–72 %/yr in "
        "Betpakdala and 41–59 %/yr in Ural (saiga_biology.md §4, DERIVED table), far above "
        "replacement, and Soviet management held about a million animals (saiga_biology.md §4)",
    ),
    Trial(
        "density_at_current",
        differs="density dependence holding births at replacement at the current abundance",
        why="crop-damage culls are justified by the range being full; the most pessimistic DD",
        options={"density_form": "beverton_holt"},
        conditioning="projection only: a refit with carrying capacity at the 2025 level is needed",
        stress={"density_at_current": True},
        plausibility="low",
        evidence="the counts contradict it: from 2024 to 2025 they grew 42 % (Ural), 39 % "
        "(Betpakdala) and 23 % (Ustyurt) (saiga_biology.md §4, DERIVED), so at the 2024 "
        "abundance births were far above replacement; the ~196,000 culled in 2025 "
        "(saiga_removals.csv, Total 2025) and the 'optimum' figures (saiga_biology.md §4) are "
        "set by conflict with crops and livestock, not measured food limitation; no density "
        "dependence has been fitted (issue 16 item 3)",
    ),
    Trial(
        "evidence_mating",
        differs="mating function from evidence: Hill curve normalised to 1 at Kühl's sex ratio, "
        "1/2 near 0.8 % males (the default; fitted draws)",
        why="the default mating function",
        options={"mating_form": "normalised_hill"},
        conditioning="as fitted: the fit carries the mating parameters (a fit made before "
        "them projects at the prior medians: projection only)",
        plausibility="high",
        evidence="Kalmykia's fecundity collapsed only near ~1 % adult males "
        "(Milner-Gulland et al. 2003) and recruitment was a record 1.38 young/female at "
        "M/F ≈ 0.17–0.36 (Kalmykia 2022) (saiga_biology.md §1, §3); normalised so Kühl et al.'s "
        "fecundity is not mate-limited twice (docs/annual_cycle.md)",
    ),
    Trial(
        "evidence_mating_pessimistic",
        differs="mating function from evidence with the collapse at 3 % males (Hill curve 1/2 at "
        "a male share of 0.03, normalised at Kühl's sex ratio)",
        why="the collapse threshold of one population, moved up for sparser Kazakh harems",
        options={"mating_form": "normalised_hill", "mating_half_share": 0.03},
        conditioning="projection only: the counts do not inform the mating function (prior-driven)",
        plausibility="medium",
        evidence="no saiga evidence puts the collapse above ~1 %, but that figure is one "
        "population's, its denominator is uncertain by a factor ~1.6, and Kazakh harems form "
        "over larger, sparser ranges (Karimova et al. 2021; saiga_biology.md §3, §4) — 3× "
        "Kalmykia's threshold",
    ),
    Trial(
        "export_male_selective_culls",
        differs=f"male selectivity of planned culls × {EXPORT_MALE_SELECTIVITY:g} in exporting "
        "arms while trade is open",
        why="a horn market rewards shooting males, so exporting can shift culls toward males",
        options={"export_effects": ExportEffects(cull_male_selectivity=EXPORT_MALE_SELECTIVITY)},
        conditioning="projection only: a future change, nothing to condition",
        plausibility="medium",
        evidence="in 2025 West Kazakhstan shot only males at night before 1 September and "
        "corralled females and young after, taking 19,000 males of ~29,000 by September and "
        "~47 % males overall against a 40 % plan (saiga_removals.csv, Ural 2025 rows): cull "
        "sex composition follows how the cull is run; no source: the size of an export's "
        f"shift is unmeasured, × {EXPORT_MALE_SELECTIVITY:g} is the odds ratio of the 2025 "
        "realised to planned male share",
    ),
    Trial(
        "exponential_mating",
        differs="exponential mating function P = 1 − exp(−h M/F), harem size h 12–30 (the former "
        "default)",
        why="the former default mating function",
        options={"mating_form": "exponential"},
        conditioning="projection only: h does not enter the fit (its posterior is its prior, "
        "LogNormal 90 % 12–30)",
        plausibility="low",
        evidence="one male per harem gives P = 0.63, i.e. mate limitation at ratios where "
        "Kalmykia had record recruitment (saiga_biology.md §1), and Kühl et al.'s fecundity "
        "already includes the mate limitation of its time (counted twice); harems of 12–30 "
        "females (EurekAlert 733181; saiga_biology.md §1) size a harem, not what one male can "
        "fertilise",
    ),
    Trial(
        "double_catastrophes",
        differs="catastrophe rate × 2",
        why="die-offs 1981, 1988, 2010-11, 2015 suggest the record may understate the rate",
        options={"catastrophe_rate_multiplier": 2.0},
        conditioning="projection only: a refit with a doubled-rate prior is needed",
        plausibility="low",
        evidence="the catastrophe prior is already anchored on the die-offs of 1981, 1988, "
        "2010–11 and 2015 (saiga_removals.csv, mass_mortality rows); no source: nothing "
        "suggests a rate twice that record",
    ),
    Trial(
        "ppr_event",
        differs="a PPR-type event kills 80 % of every population in the first quota year",
        why="peste des petits ruminants killed ~80 % of Mongolian saiga in 2016-17",
        conditioning="projection only: a future event, nothing to condition",
        stress={"mass_mortality": 0.8},
        plausibility="low",
        evidence="no source in /work/shared/research: the Mongolian PPR outbreak (2016–17) is "
        "not documented there and no PPR has been recorded in Kazakh saiga; the largest "
        "recorded Kazakh die-off (2015, >80 % of Betpakdala, saiga_removals.csv) struck one "
        "population, not all three in one year",
    ),
    Trial(
        "trade_poaching_persists",
        differs="trade-linked poaching continues after the three quota years, to the end of "
        "the horizon",
        why="a one-off legal sale can leave a lasting illegal market behind it",
        options={"export_effects": ExportEffects(trade_persists=True)},
        conditioning="projection only: a future change, nothing to condition",
        plausibility="medium",
        evidence="after the 2008 one-off CITES sale of ivory stockpiles, elephant poaching rose "
        "~66 % in an 'abrupt, significant, permanent' step (Hsiang and Sekar 2016, NBER working "
        "paper 22314, https://www.washingtonpost.com/news/energy-environment/wp/2016/06/13/), an "
        "analogue whose reading is disputed ('t Sas-Rolfes, Moyle and Stiles 2014, "
        "https://docslib.org/doc/5309078/); no source for saiga either way",
    ),
    Trial(
        "triple_poaching",
        differs="poaching × 3 once trade opens",
        why="legal trade can launder poached horn (WCS on CoP20)",
        conditioning="projection only: a future change, nothing to condition",
        stress={"poaching_after_trade": 3.0},
        plausibility="low",
        evidence="WCS and EIA state that legal trade can launder poached horn "
        "(saiga_biology.md §8), which gives the direction; no source: only seizures are "
        "recorded (saiga_removals.csv), nothing gives a tripling",
    ),
    Trial(
        "implementation_overshoot",
        differs="the export taken is 25 % above the quota",
        why="enforcement of hunting quotas in the field is imperfect",
        conditioning="projection only: a future change, nothing to condition",
        stress={"export_multiplier": 1.25},
        plausibility="low",
        evidence="exported horns are marked, numbered and tracked from one state warehouse "
        "(saiga_biology.md §12), and 2025 culls fell short of their plan (~25 %, "
        "saiga_removals.csv), not over it; no source: no overshoot of a saiga quota is recorded",
    ),
    Trial(
        "export_raises_implementation",
        differs=f"achieved fraction of planned culls × {EXPORT_IMPLEMENTATION:g} in exporting "
        "arms while trade is open",
        why="horn revenue could pay for the cull brigades, so more of the plan is carried out",
        options={"export_effects": ExportEffects(cull_implementation=EXPORT_IMPLEMENTATION)},
        conditioning="projection only: a future change, nothing to condition",
        plausibility="low",
        evidence="2025 achieved ~25 % of its planned offtake, a shortfall attributed to the "
        "animals moving into Russia, not to a lack of payment (saiga_removals.csv, Total 2025 "
        "'other' row, RTVI); no source: nothing links an export to the achieved share",
    ),
    Trial(
        "low_male_survival",
        differs="adult-male survival × 0.8",
        why="post-rut exhaustion and male-biased dzhut deaths; the counts do not see sex ratio",
        options={"survival_multiplier": {("male", "adult"): 0.8}},
        conditioning="projection only: male survival is prior-driven; a refit would also lower "
        "adult males at 2025",
        plausibility="low",
        evidence="the adult-male survival prior is already built on males living 3–4 years "
        "(saiga_biology.md §2); no source: no numeric male survival exists, and 80–90 % male "
        "mortality comes from an unsourced student page (saiga_biology.md §2)",
    ),
    Trial(
        "census_2025_estimate",
        differs="the 2025 figures treated as estimates (CV 0.5), not counts",
        why="2025 Ural/Betpakdala figures equal a ministry +40 % planning estimate",
        conditioning=f"reweighted: 2025 count terms at CV 0.5 vs fitted ({_REFIT})",
        reweight=Reweight(obs_cv=0.5, years=(2025,), note="2025 at CV 0.5"),
        plausibility="medium",
        evidence="the 2025 total growth of 40.4 % matches the ministry's +40 %/yr planning "
        "assumption and its >4.2 M forecast (saiga_biology.md §4)",
    ),
    Trial(
        "emigration",
        differs="5 % of every class emigrates each year (net)",
        why="Ural saiga move into Russia, Ustyurt into Uzbekistan",
        conditioning="projection only: a refit with an emigration term is needed (the counts "
        "would attribute less growth to births)",
        stress={"emigration": 0.05},
        plausibility="low",
        evidence="Ural saiga moved into Russia during the 2025 cull (saiga_removals.csv, Total "
        "2025 'other' row, RTVI); no source: no net emigration rate is measured, and past "
        "movement is already netted out of the fitted growth",
    ),
)


def plausibility_weights(trials: Sequence[Trial] = DEFAULT_TRIALS) -> dict[str, str]:
    """Return trial name → plausibility (``"not rated"`` where none is given).

    Examples
    --------
    >>> plausibility_weights()["density_at_current"]
    'low'
    """
    return {t.name: t.plausibility or "not rated" for t in trials}


def weighted_trials(
    weights: Mapping[str, str] | None = None, trials: Sequence[Trial] = DEFAULT_TRIALS
) -> tuple[Trial, ...]:
    """Return ``trials`` with the plausibilities of ``weights`` over their own (sets follow).

    Parameters
    ----------
    weights
        Trial name → ``"high"``, ``"medium"`` or ``"low"``; a name not among ``trials`` is a
        :class:`~saigapop.exceptions.ConfigError`. ``None`` or empty: ``trials`` unchanged.
    trials
        Default :data:`DEFAULT_TRIALS`.

    Examples
    --------
    >>> t = weighted_trials({"density_at_current": "medium"})
    >>> [x.kind for x in t if x.name == "density_at_current"]
    ['reference']
    """
    weights = dict(weights or {})
    names = [t.name for t in trials]
    unknown = sorted(set(weights) - set(names))
    if unknown:
        raise ConfigError(f"trial weights given for unknown trials {unknown}; trials: {names}")
    return tuple(
        t.with_plausibility(
            weights[t.name], f"{t.evidence} [re-rated {weights[t.name]} by the assessment config]"
        )
        if t.name in weights and weights[t.name] != t.plausibility
        else t
        for t in trials
    )


def loosen(criterion: Criterion, factor: float) -> Criterion:
    """Return ``criterion`` with its allowed probability multiplied by ``factor`` (max 1).

    The robustness pass rule (:data:`ROBUSTNESS_LIMIT_FACTOR`). Knows the limit fields of the
    library's criteria (``max_added_risk``, ``max_risk``, ``probability``); another criterion
    is a :class:`~saigapop.exceptions.ConfigError`.

    Examples
    --------
    >>> from saigapop.management.criteria import ConceptionRisk, SexRatioRisk
    >>> loosen(SexRatioRisk(), 2.0).limit, round(loosen(ConceptionRisk(), 2.0).limit, 6)
    (0.1, 0.1)
    """
    if factor <= 0 or not np.isfinite(factor):
        raise ConfigError(f"the loosening factor must be a positive number, got {factor!r}")
    for attr in ("max_added_risk", "max_risk"):
        if hasattr(criterion, attr):
            value = min(1.0, float(getattr(criterion, attr)) * factor)
            return dataclasses.replace(criterion, **{attr: value})  # type: ignore[type-var]
    if hasattr(criterion, "probability"):
        value = max(0.0, 1.0 - (1.0 - float(criterion.probability)) * factor)
        return dataclasses.replace(criterion, probability=value)  # type: ignore[type-var]
    raise ConfigError(
        f"cannot loosen criterion {criterion.name!r}: it has no max_added_risk, max_risk or "
        "probability field"
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


def trade_effect_trials(trials: Sequence[Trial] = DEFAULT_TRIALS) -> frozenset[str]:
    """Return the names of trials whose difference is a market effect of trade itself.

    Trials that change :class:`~saigapop.management.arms.ExportEffects` (trade-linked
    poaching, culls shifted toward males): those effects come with trade, so in such a world a
    zero quota means that opening trade — exporting stored or cull horns included — is what
    fails, which the dedicated-harvest quota alone cannot judge.

    Examples
    --------
    >>> sorted(trade_effect_trials())
    ['export_male_selective_culls', 'export_raises_implementation', 'trade_poaching_persists']
    """
    return frozenset(t.name for t in trials if "export_effects" in t.options)


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
    shared_fx = om_options.get("export_effects")
    trial_fx = trial.options.get("export_effects")
    if shared_fx is not None and trial_fx is not None:
        opts["export_effects"] = dataclasses.replace(
            shared_fx,
            cull_male_selectivity=shared_fx.cull_male_selectivity * trial_fx.cull_male_selectivity,
            cull_implementation=shared_fx.cull_implementation * trial_fx.cull_implementation,
            trade_persists=shared_fx.trade_persists or trial_fx.trade_persists,
        )
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
