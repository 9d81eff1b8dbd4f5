"""Frozen, validated configuration of the population model and of the sampler.

Bad settings fail at construction with a :class:`saigapop.exceptions.ConfigError`, before any
model is built or sampled.

Examples
--------
>>> from saigapop.model.config import ModelConfig, SamplerConfig
>>> cfg = ModelConfig(start_year=2003, end_year=2025)
>>> cfg.catchability_breaks
(('Betpakdala', 2024),)
>>> SamplerConfig(chains=2, draws=200).sampler
'numpyro'
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from typing import Any, Literal

from saigapop.constants import CENSUS_AGE_CLASSES
from saigapop.exceptions import ConfigError

__all__ = ["DATA_STREAMS", "ModelConfig", "SamplerConfig"]

#: Names of the likelihood streams that can be switched on or off.
DATA_STREAMS: tuple[str, ...] = (
    "counts",
    "totals",
    "bounds",
    "dieoff_tolls",
    "cull_composition",
    "sex_ratio",
    "calves_per_female",
    "catastrophe_record",
    "implementation",
)

Sampler = Literal["numpyro", "nutpie", "pymc"]
_TIMINGS = ("calving", "removal", "winter")
_PLANNING = ("left_out", "count")


def _fail(msg: str) -> None:
    raise ConfigError(msg)


def _population_values(name: str, items: Any) -> tuple[tuple[str, float], ...]:
    """Validate ``(population, positive number)`` pairs; return them as a tuple."""
    out: list[tuple[str, float]] = []
    for item in items:
        if (
            not isinstance(item, tuple | list)
            or len(item) != 2
            or not isinstance(item[0], str)
            or isinstance(item[1], bool)
            or not isinstance(item[1], int | float)
            or not math.isfinite(item[1])
            or item[1] <= 0
        ):
            _fail(f"{name} items must be (population, positive number) pairs, got {item!r}")
        out.append((item[0], float(item[1])))
    names = [p for p, _ in out]
    if len(set(names)) != len(names):
        _fail(f"duplicate populations in {name}: {names!r}")
    return tuple(out)


@dataclass(frozen=True, slots=True)
class ModelConfig:
    """Structure and data-stream choices of the Bayesian population model.

    Parameters
    ----------
    start_year
        First census year of the state (default 2003, the low point; DESIGN §4).
    end_year
        Last census year; ``None`` means the last year with a census row in the data.
    age_classes
        Census age classes (default ``("yearling", "adult")``). Calves live inside the year.
    streams
        Likelihood streams switched on (subset of :data:`DATA_STREAMS`); all by default.
    catchability_breaks
        ``(population, year)`` pairs: from ``year`` on, the population's catchability is
        multiplied by a free factor (method/coverage change). Default: Betpakdala 2024, when the
        eastern grouping was first flown. Breaks for populations not in the data are ignored.
    use_estimates
        Whether census rows of kind ``estimate`` enter the likelihood (with ``estimate_cv``).
    estimate_cv
        Lognormal scale for ``estimate`` rows when they enter.
    population_year_effects
        Population × year effects (non-centred) on net winter survival. If False, the
        dynamics are deterministic given the vital rates.
    density_dependence
        ``"fecundity"`` (Ricker-type effect of abundance on births) or ``"none"``.
    removal_timing
        Default timing for removal rows whose timing is missing.
    catastrophe_min_toll
        A ``mass_mortality`` row with at least this many animals is a *catastrophe*: it gets a
        hidden mortality fraction and counts towards the catastrophe record. Smaller die-offs
        are subtracted as known removals.
    composition_ess
        Effective sample size given to a cull-composition row (the cull is not a random
        sample, so its full size would overstate the information).
    sex_ratio_ess
        Effective sample size cap for adult-sex-ratio observations.
    yearling_breeding_weight
        Not used by the model any more: the weight of yearling males among breeding males is
        the fitted prior ``mating_yearling_weight`` (:mod:`saigapop.model.priors`). Kept, and
        still validated, so saved configurations load; to be removed with a deprecation.
    max_removal_fraction
        Cap on the fraction of any class removed in one step (keeps the state positive).
    initial_abundance_scale
        ``(population, animals)`` pairs fixing the centre of the initial-abundance prior
        (``N0 = scale × exp(initial_abundance)``). Populations not listed keep the default,
        computed from the data (first count backcast at 1.2/yr). Fixing it makes the prior
        independent of the data, which simulation-based calibration needs.
    density_scale
        ``(population, animals)`` pairs fixing the density scale *K* of density dependence.
        Populations not listed keep the default, the largest count in the data.
    planning_estimates
        What to do with census rows flagged ``equals_planning_estimate`` (figures identical to
        a ministry planning estimate, e.g. the 2025 Betpakdala and Ural counts, which equal the
        April-2025 figure "including lambing in May 2024": a 2024 post-calving estimate, not
        an independent 2025 spring count; issue 17).

        * ``"left_out"`` (default): they are not in the likelihood; each is listed in
          ``ModelInputs.notes`` as unused with this reason. The quota with them added back is
          shown by PSIS reweighting
          (:func:`saigapop.validation.planning.planning_estimate_weights`).
        * ``"count"``: the previous behaviour, kept only as the alternative for comparison. It
          treats them as ordinary, free-error counts of spring abundance in their year, which
          they may not be (they may carry no information about that year beyond the planning
          figure), so it is not the default.

        Configurations saved before this option existed load as ``"count"`` (what they did).
    """

    start_year: int = 2003
    end_year: int | None = None
    age_classes: tuple[str, ...] = CENSUS_AGE_CLASSES
    streams: frozenset[str] = field(default_factory=lambda: frozenset(DATA_STREAMS))
    catchability_breaks: tuple[tuple[str, int], ...] = (("Betpakdala", 2024),)
    use_estimates: bool = False
    estimate_cv: float = 0.5
    population_year_effects: bool = True
    density_dependence: Literal["fecundity", "none"] = "fecundity"
    removal_timing: Literal["calving", "removal", "winter"] = "removal"
    catastrophe_min_toll: float = 10_000.0
    composition_ess: int = 100
    sex_ratio_ess: int = 200
    yearling_breeding_weight: float = 0.0
    max_removal_fraction: float = 0.95
    initial_abundance_scale: tuple[tuple[str, float], ...] = ()
    density_scale: tuple[tuple[str, float], ...] = ()
    planning_estimates: Literal["left_out", "count"] = "left_out"

    def __post_init__(self) -> None:
        if not isinstance(self.start_year, int) or not 1900 <= self.start_year <= 2100:
            _fail(f"start_year must be an integer year in 1900..2100, got {self.start_year!r}")
        if self.end_year is not None:
            if not isinstance(self.end_year, int):
                _fail(f"end_year must be an integer or None, got {self.end_year!r}")
            if self.end_year < self.start_year + 1:
                _fail(
                    f"end_year ({self.end_year}) must be at least start_year + 1 "
                    f"({self.start_year + 1})"
                )
        if tuple(self.age_classes) != CENSUS_AGE_CLASSES:
            _fail(
                f"age_classes={self.age_classes!r} is not supported yet; only the census classes "
                f"{CENSUS_AGE_CLASSES!r} are implemented (a longer age structure is planned)"
            )
        object.__setattr__(self, "age_classes", tuple(self.age_classes))
        streams = frozenset(self.streams)
        unknown = streams - set(DATA_STREAMS)
        if unknown:
            _fail(f"unknown data stream(s) {sorted(unknown)}; choose from {list(DATA_STREAMS)}")
        object.__setattr__(self, "streams", streams)
        breaks = []
        for item in self.catchability_breaks:
            if (
                not isinstance(item, tuple | list)
                or len(item) != 2
                or not isinstance(item[0], str)
                or not isinstance(item[1], int)
            ):
                _fail(f"catchability_breaks items must be (population, year) pairs, got {item!r}")
            breaks.append((item[0], int(item[1])))
        if len(set(breaks)) != len(breaks):
            _fail(f"duplicate catchability breaks in {breaks!r}")
        object.__setattr__(self, "catchability_breaks", tuple(breaks))
        if not 0.0 < self.estimate_cv <= 3.0:
            _fail(f"estimate_cv must be in (0, 3], got {self.estimate_cv!r}")
        if self.density_dependence not in ("fecundity", "none"):
            _fail(
                f"density_dependence must be 'fecundity' or 'none', got {self.density_dependence!r}"
            )
        if self.removal_timing not in _TIMINGS:
            _fail(f"removal_timing must be one of {_TIMINGS}, got {self.removal_timing!r}")
        if self.catastrophe_min_toll <= 0:
            _fail(f"catastrophe_min_toll must be positive, got {self.catastrophe_min_toll!r}")
        if not isinstance(self.composition_ess, int) or self.composition_ess < 1:
            _fail(f"composition_ess must be a positive integer, got {self.composition_ess!r}")
        if not isinstance(self.sex_ratio_ess, int) or self.sex_ratio_ess < 1:
            _fail(f"sex_ratio_ess must be a positive integer, got {self.sex_ratio_ess!r}")
        if not 0.0 <= self.yearling_breeding_weight <= 1.0:
            _fail(
                f"yearling_breeding_weight must be in [0, 1], got {self.yearling_breeding_weight!r}"
            )
        if not 0.0 < self.max_removal_fraction < 1.0:
            _fail(f"max_removal_fraction must be in (0, 1), got {self.max_removal_fraction!r}")
        for name in ("initial_abundance_scale", "density_scale"):
            object.__setattr__(self, name, _population_values(name, getattr(self, name)))
        if self.planning_estimates not in _PLANNING:
            _fail(f"planning_estimates must be one of {_PLANNING}, got {self.planning_estimates!r}")

    def uses(self, stream: str) -> bool:
        """Return whether likelihood ``stream`` is switched on."""
        if stream not in DATA_STREAMS:
            _fail(f"unknown data stream {stream!r}")
        return stream in self.streams

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-serialisable dictionary of the settings."""
        d = dataclasses.asdict(self)
        d["streams"] = sorted(self.streams)
        d["age_classes"] = list(self.age_classes)
        d["catchability_breaks"] = [list(b) for b in self.catchability_breaks]
        # left out when empty, so the JSON (and the model hash) of existing configs is unchanged
        for name in ("initial_abundance_scale", "density_scale"):
            if getattr(self, name):
                d[name] = [list(b) for b in getattr(self, name)]
            else:
                del d[name]
        return d

    def to_json(self) -> str:
        """Canonical JSON (sorted keys) of the settings; stored in the fit's attrs."""
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ModelConfig:
        """Rebuild a config from :meth:`to_json` output."""
        d = json.loads(text)
        d["streams"] = frozenset(d["streams"])
        d["age_classes"] = tuple(d["age_classes"])
        d["catchability_breaks"] = tuple((p, int(y)) for p, y in d["catchability_breaks"])
        for name in ("initial_abundance_scale", "density_scale"):
            d[name] = tuple((p, float(v)) for p, v in d.get(name, ()))
        # saved before the option existed: those fits used flagged rows as counts
        d.setdefault("planning_estimates", "count")
        return cls(**d)


@dataclass(frozen=True, slots=True)
class SamplerConfig:
    """Sampler settings.

    Parameters
    ----------
    sampler
        ``"numpyro"`` (default, fastest in ``benchmarks/fit.py``), ``"nutpie"`` or ``"pymc"``
        (PyMC's own NUTS, the fallback).
    chains, draws, tune
        Number of chains, kept draws per chain and tuning draws per chain.
    target_accept
        NUTS target acceptance rate. The default 0.99 is what the bundled data need: at 0.95
        the fit shows a few divergences (4 chains × 1000 draws: 7), which fail the checklist;
        see ``benchmarks/fit.py`` and ``docs/model.md``.
    random_seed
        Master seed; per-chain seeds are derived from it and recorded in the fit's attrs.
    cores
        Processes for PyMC's NUTS (ignored by numpyro, which runs chains through ``pmap``).
    prior_draws
        Number of prior (predictive) draws stored in the ``prior`` group.
    max_tree_depth
        NUTS maximum tree depth.
    dense_mass
        Adapt a dense mass matrix (numpyro only).
    """

    sampler: Sampler = "numpyro"
    chains: int = 4
    draws: int = 1000
    tune: int = 1000
    target_accept: float = 0.99
    random_seed: int = 20260526
    cores: int = 2
    prior_draws: int = 500
    max_tree_depth: int = 10
    dense_mass: bool = False

    def __post_init__(self) -> None:
        if self.sampler not in ("numpyro", "nutpie", "pymc"):
            _fail(f"sampler must be 'numpyro', 'nutpie' or 'pymc', got {self.sampler!r}")
        for name in ("chains", "draws", "cores", "prior_draws", "max_tree_depth"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                _fail(f"{name} must be a positive integer, got {v!r}")
        if not isinstance(self.tune, int) or self.tune < 0:
            _fail(f"tune must be a non-negative integer, got {self.tune!r}")
        if not 0.5 <= self.target_accept < 1.0:
            _fail(f"target_accept must be in [0.5, 1), got {self.target_accept!r}")
        if not isinstance(self.random_seed, int) or not 0 <= self.random_seed < 2**32:
            _fail(f"random_seed must be an integer in [0, 2**32), got {self.random_seed!r}")

    def to_dict(self) -> dict[str, Any]:
        """Plain dictionary of the settings."""
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        """Canonical JSON of the settings."""
        return json.dumps(self.to_dict(), sort_keys=True)
