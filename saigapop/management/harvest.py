"""Harvest schedules and harvest rules (frozen objects) for the operating model.

Two kinds of offtake enter a projection:

* the **export harvest** under decision — a :class:`HarvestRule` whose scalar ``level`` is
  what the quota solver varies (a number of animals for :class:`ConstantHarvest`, a rate
  for :class:`ProportionalHarvest` and :class:`ThresholdHarvest`), applied in the quota
  years; or a fixed :class:`HarvestSchedule`;
* **planned reduction culls** — a :class:`HarvestSchedule` of numbers by population × year ×
  sex × age class, added *on top of* the export harvest and subject to implementation
  error in the operating model (achieved fraction of plan, selectivity).

Every rule turns the within-year population at the removal season into requested numbers
by sex × age class (``calf``, ``yearling``, ``adult``); the operating model caps requests at
what exists.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
import xarray as xr
from numpy.typing import NDArray

from saigapop.constants import AGE_CLASSES, SEXES

__all__ = [
    "ConstantHarvest",
    "HarvestRule",
    "HarvestSchedule",
    "ProportionalHarvest",
    "RealisedLevel",
    "ThresholdHarvest",
    "realised_removals",
]

Array = NDArray[np.float64]
Sex = Literal["female", "male", "both"]
#: within-year classes as the operating model passes them: x[sex][age], sex (female, male),
#: age (calf, yearling, adult); every entry an array of the batch shape.
Classes = Sequence[Sequence[Array]]


def _sexes(sex: Sex) -> tuple[int, ...]:
    if sex == "both":
        return (0, 1)
    if sex not in SEXES:
        raise ValueError(f"sex must be 'female', 'male' or 'both', got {sex!r}")
    return (SEXES.index(sex),)


def _ages(ages: Sequence[str]) -> tuple[int, ...]:
    bad = [a for a in ages if a not in AGE_CLASSES]
    if bad or not ages:
        raise ValueError(f"ages must be a non-empty subset of {AGE_CLASSES}, got {tuple(ages)}")
    return tuple(AGE_CLASSES.index(a) for a in ages)


@dataclass(frozen=True)
class HarvestRule:
    """Base class of harvest rules: a targeted set of classes and a scalar ``level``.

    Parameters
    ----------
    level
        The rule's scalar: animals per year (constant) or a rate (proportional, threshold).
        The quota solver replaces it with a grid of candidate values.
    sex
        ``"female"``, ``"male"`` or ``"both"``.
    ages
        Targeted age classes (subset of ``calf``, ``yearling``, ``adult``).
    years
        Model years in which the rule applies; ``None`` means the operating model's quota
        years ``Y+1 … Y+3``.
    """

    level: float = 0.0
    sex: Sex = "male"
    ages: tuple[str, ...] = ("adult",)
    years: tuple[int, ...] | None = None
    #: unit of ``level`` (for tables)
    unit: str = field(default="animals", init=False)

    def __post_init__(self) -> None:
        _sexes(self.sex)
        _ages(self.ages)
        if not np.isfinite(self.level) or self.level < 0:
            raise ValueError(f"level must be finite and non-negative, got {self.level!r}")

    @property
    def targets(self) -> list[tuple[int, int]]:
        """Targeted (sex index, age index) pairs."""
        return [(s, a) for s in _sexes(self.sex) for a in _ages(self.ages)]

    def request(
        self, level: Array, classes: Classes, census_total: Array, population_index: Array
    ) -> dict[tuple[int, int], Array]:
        """Return requested numbers per targeted class (implemented by subclasses).

        Parameters
        ----------
        level
            Candidate levels, broadcastable to the batch shape (e.g. ``(candidate, 1, pop)``).
        classes
            Within-year population at the removal season, ``classes[sex][age]``.
        census_total
            Census total at the start of the year (batch shape).
        population_index
            Index of each batch element's population (broadcastable), for per-population
            settings such as thresholds.

        Returns
        -------
        dict
            ``{(sex, age): requested numbers}``.
        """
        raise NotImplementedError

    def describe(self, level: float | None = None) -> str:
        """One line describing the rule at ``level`` (default: its own level)."""
        value = self.level if level is None else level
        return (
            f"{type(self).__name__}(level={value:g} {self.unit}, sex={self.sex}, ages={self.ages})"
        )


@dataclass(frozen=True)
class ConstantHarvest(HarvestRule):
    """A constant annual number of animals, split equally over the targeted classes.

    The default — adult males, ``level`` animals a year in each quota year — is the export
    quota the solver looks for.

    Examples
    --------
    >>> rule = ConstantHarvest(level=500.0)
    >>> x = [[np.ones(1)] * 3, [np.ones(1)] * 3]
    >>> rule.request(np.array([500.0]), x, np.ones(1), np.zeros(1, int))
    {(1, 2): array([500.])}
    """

    def request(
        self, level: Array, classes: Classes, census_total: Array, population_index: Array
    ) -> dict[tuple[int, int], Array]:
        """Request ``level`` divided equally over the targeted classes."""
        targets = self.targets
        share = np.asarray(level, dtype=np.float64) / len(targets)
        return dict.fromkeys(targets, share)


@dataclass(frozen=True)
class ProportionalHarvest(HarvestRule):
    """A fixed fraction ``level`` of every targeted class at the removal season.

    Examples
    --------
    >>> rule = ProportionalHarvest(level=0.1, sex="female", ages=("yearling", "adult"))
    >>> x = [[np.full(1, 10.0), np.full(1, 20.0), np.full(1, 30.0)], [np.ones(1)] * 3]
    >>> {k: v.tolist() for k, v in rule.request(np.array([0.1]), x, None, None).items()}
    {(0, 1): [2.0], (0, 2): [3.0]}
    """

    unit: str = field(default="rate", init=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.level > 1:
            raise ValueError(f"a proportional rate must lie in [0, 1], got {self.level!r}")

    def request(
        self, level: Array, classes: Classes, census_total: Array, population_index: Array
    ) -> dict[tuple[int, int], Array]:
        """Request ``level`` times each targeted class."""
        rate = np.clip(np.asarray(level, dtype=np.float64), 0.0, 1.0)
        return {(s, a): rate * classes[s][a] for s, a in self.targets}


@dataclass(frozen=True)
class ThresholdHarvest(HarvestRule):
    """Take ``level`` × (census total − threshold) when the census exceeds the threshold.

    The surplus is split over the targeted classes in proportion to their numbers
    (Lande, Saether & Engen 1997 proportional threshold harvesting).

    Parameters
    ----------
    threshold
        One number for every population, or a mapping population -> number; resolved
        against the operating model's populations.

    Examples
    --------
    >>> rule = ThresholdHarvest(level=0.5, threshold=100.0)
    >>> x = [[np.zeros(1)] * 3, [np.zeros(1), np.zeros(1), np.full(1, 60.0)]]
    >>> rule.request(np.array([0.5]), x, np.array([160.0]), np.zeros(1, int))
    {(1, 2): array([30.])}
    """

    threshold: float | Mapping[str, float] = 0.0
    unit: str = field(default="rate", init=False)
    _thresholds: tuple[float, ...] | None = field(default=None, repr=False)

    def for_populations(self, populations: Sequence[str]) -> ThresholdHarvest:
        """Resolve the threshold per population (in the operating model's order)."""
        if isinstance(self.threshold, Mapping):
            missing = [p for p in populations if p not in self.threshold]
            if missing:
                raise ValueError(f"no threshold for population(s) {missing}")
            values = tuple(float(self.threshold[p]) for p in populations)
        else:
            values = (float(self.threshold),) * len(populations)
        return _replace(self, _thresholds=values)

    def request(
        self, level: Array, classes: Classes, census_total: Array, population_index: Array
    ) -> dict[tuple[int, int], Array]:
        """Request the surplus above the threshold times the rate."""
        if self._thresholds is None:
            thresholds = np.asarray(float(self.threshold))  # type: ignore[arg-type]
        else:
            thresholds = np.asarray(self._thresholds)[population_index]
        rate = np.clip(np.asarray(level, dtype=np.float64), 0.0, 1.0)
        surplus = rate * np.maximum(census_total - thresholds, 0.0)
        targets = self.targets
        pool = sum(classes[s][a] for s, a in targets)
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = [np.where(pool > 0, classes[s][a] / pool, 0.0) for s, a in targets]
        return {t: surplus * f for t, f in zip(targets, frac, strict=True)}


def _replace(obj, **changes):
    return dataclasses.replace(obj, **changes)


def _aligned(
    removals: xr.DataArray, populations: Sequence[str], years: Sequence[int]
) -> xr.DataArray:
    """Return ``removals`` as ``(year, population, sex, age)`` on the given coords, 0 elsewhere."""
    return removals.reindex(
        year=list(years),
        population=list(populations),
        sex=list(SEXES),
        age=list(AGE_CLASSES),
        fill_value=0.0,
    ).transpose("year", "population", "sex", "age")


def _check_removals(removals: xr.DataArray) -> None:
    """Refuse a removal array that is not ``(population, year, sex, age)``, finite, ≥ 0."""
    need = {"population", "year", "sex", "age"}
    if set(removals.dims) != need:
        raise ValueError(f"removals must have dims {sorted(need)}, got {removals.dims}")
    values = np.asarray(removals.values, dtype=float)
    if np.any(~np.isfinite(values) | (values < 0)):
        raise ValueError("removals must be finite and non-negative")


@dataclass(frozen=True, eq=False)
class HarvestSchedule:
    """Fixed numbers to remove, by population × year × sex × age class.

    Parameters
    ----------
    removals
        DataArray with dims ``(population, year, sex, age)`` (any order; missing
        populations, years or classes are zero). Numbers of animals.
    label
        What the schedule is (e.g. ``"planned reduction culls 2026-2028"``).

    Examples
    --------
    >>> sched = HarvestSchedule.from_records(
    ...     [("Ural", 2026, "male", "adult", 1000.0), ("Ural", 2026, "female", "adult", 800.0)]
    ... )
    >>> float(sched.removals.sum())
    1800.0
    >>> sched.numbers(["Ural", "Ustyurt"], [2025, 2026]).shape
    (2, 2, 2, 3)
    """

    removals: xr.DataArray
    label: str = ""

    def __post_init__(self) -> None:
        _check_removals(self.removals)

    @classmethod
    def from_records(
        cls, records: Sequence[tuple[str, int, str, str, float]], label: str = ""
    ) -> HarvestSchedule:
        """Build from ``(population, year, sex, age, number)`` tuples (repeats add up)."""
        pops = sorted({r[0] for r in records})
        years = sorted({int(r[1]) for r in records})
        arr = np.zeros((len(pops), len(years), 2, 3))
        for pop, year, sex, age, number in records:
            arr[
                pops.index(pop), years.index(int(year)), SEXES.index(sex), AGE_CLASSES.index(age)
            ] += float(number)
        da = xr.DataArray(
            arr,
            dims=("population", "year", "sex", "age"),
            coords={
                "population": pops,
                "year": years,
                "sex": list(SEXES),
                "age": list(AGE_CLASSES),
            },
            name="removals",
        )
        return cls(da, label=label)

    def numbers(self, populations: Sequence[str], years: Sequence[int]) -> Array:
        """Numbers as a ``(year, population, sex, age)`` array aligned to the given coords."""
        da = _aligned(self.removals, populations, years)
        return np.ascontiguousarray(da.values, dtype=np.float64)


#: Default composition of culls whose sex/age split is not published: the 2025 West
#: Kazakhstan interim split (42,000 males, 39,000 females, > 9,000 young of > 90,000;
#: mgorod.kz, Nov 2025), with non-calves split yearling : adult = 1 : 4 (an assumption).
DEFAULT_CULL_COMPOSITION: Mapping[tuple[str, str], float] = {
    ("female", "calf"): 0.05,
    ("male", "calf"): 0.05,
    ("female", "yearling"): 0.433 * 0.2,
    ("female", "adult"): 0.433 * 0.8,
    ("male", "yearling"): 0.467 * 0.2,
    ("male", "adult"): 0.467 * 0.8,
}


def realised_removals(
    removals: pd.DataFrame,
    year: int,
    *,
    kinds: Sequence[str] = ("cull", "harvest", "capture"),
    composition: Mapping[tuple[str, str], float] | None = None,
    bounds: Literal["upper", "lower", "mid"] = "upper",
) -> xr.DataArray:
    """Return final removals of model year ``year`` by population × sex × age.

    Reads a validated removals table (``SaigaData.removals``): rows with ``status ==
    "final"``, ``unit == "animals"``, one of ``kinds``, timing ``removal`` and a named
    population. Where the sex or age is ``all`` (or ``yearling_adult``) the number is split by
    ``composition`` over the eligible classes; where only bounds are published (the 2025
    non-Ural cull: 0–87,500) ``bounds`` picks one — ``upper`` by default, the precautionary
    side (more animals already removed leaves fewer to carry the export).

    Parameters
    ----------
    removals
        Removals table with columns ``population, year, kind, status, timing, sex, age,
        unit, value, lower, upper``.
    year
        The model year (the latest census year ``Y``).
    kinds
        Removal kinds that count.
    composition
        ``{(sex, age): share}`` (default :data:`DEFAULT_CULL_COMPOSITION`).
    bounds
        Which end of a bounded figure to use.

    Returns
    -------
    xarray.DataArray
        ``(population, sex, age)`` numbers, to pass as ``realised_removals``.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame(
    ...     {"population": ["Ural"], "year": [2025], "kind": ["cull"], "status": ["final"],
    ...      "timing": ["removal"], "sex": ["all"], "age": ["all"], "unit": ["animals"],
    ...      "value": [1000.0], "lower": [None], "upper": [None]}
    ... )
    >>> round(float(realised_removals(table, 2025).sel(sex="male", age="adult").item()), 1)
    373.6
    """
    comp = dict(DEFAULT_CULL_COMPOSITION if composition is None else composition)
    rows = removals[
        (removals["year"] == year)
        & (removals["status"] == "final")
        & (removals["unit"] == "animals")
        & (removals["kind"].isin(list(kinds)))
        & (removals["timing"] == "removal")
        & (~removals["population"].isin(["total", "Total"]))
    ]
    pops = sorted(rows["population"].unique())
    arr = np.zeros((len(pops), 2, 3))
    for r in rows.itertuples():
        value = r.value
        if value is None or not np.isfinite(value):
            lo = 0.0 if r.lower is None or not np.isfinite(r.lower) else float(r.lower)
            hi = lo if r.upper is None or not np.isfinite(r.upper) else float(r.upper)
            value = {"upper": hi, "lower": lo, "mid": 0.5 * (lo + hi)}[bounds]
        sexes = SEXES if r.sex in ("all", "both") else (r.sex,)
        if r.age == "all":
            ages = AGE_CLASSES
        elif r.age == "yearling_adult":
            ages = ("yearling", "adult")
        else:
            ages = (r.age,)
        cells = [(s, a) for s in sexes for a in ages]
        weights = np.array([comp.get(c, 0.0) for c in cells])
        if weights.sum() <= 0:
            weights = np.ones(len(cells))
        for (s, a), w in zip(cells, weights / weights.sum(), strict=True):
            arr[pops.index(r.population), SEXES.index(s), AGE_CLASSES.index(a)] += value * w
    return xr.DataArray(
        arr,
        dims=("population", "sex", "age"),
        coords={"population": pops, "sex": list(SEXES), "age": list(AGE_CLASSES)},
        name="realised_removals",
        attrs={"year": int(year), "bounds": bounds},
    )


@dataclass(frozen=True, eq=False)
class RealisedLevel:
    """A cull scenario stated as a realised level: applied exactly, never scaled.

    The counterpart of an announced plan (a :class:`HarvestSchedule`, to which the
    implementation fraction applies): e.g. "the 2025 realised cull again each year
    2026–28". It meets the cull-plan interface of the operating model's callers
    (:func:`saigapop.management.arms.offtake_options`): ``numbers`` is zero (nothing
    announced), ``realised`` gives the numbers.

    Parameters
    ----------
    removals
        Numbers with dims ``(year, population, sex, age)`` (any order).
    label
        What the scenario is.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame(
    ...     {"population": ["Ural"], "year": [2025], "kind": ["cull"], "status": ["final"],
    ...      "timing": ["removal"], "sex": ["male"], "age": ["adult"], "unit": ["animals"],
    ...      "value": [1000.0], "lower": [None], "upper": [None]}
    ... )
    >>> level = RealisedLevel.repeat(table, 2025, [2026, 2027, 2028])
    >>> level.realised(["Ural"], [2026, 2029]).sel(sex="male", age="adult").values.ravel()
    array([1000.,    0.])
    >>> float(level.numbers(["Ural"], [2026]).sum())
    0.0
    """

    removals: xr.DataArray
    label: str = ""

    def __post_init__(self) -> None:
        _check_removals(self.removals)

    @classmethod
    def repeat(
        cls, removals: pd.DataFrame, year: int, years: Sequence[int], **kwargs: object
    ) -> RealisedLevel:
        """Repeat the final removals of ``year`` (:func:`realised_removals`) in ``years``.

        ``kwargs`` go to :func:`realised_removals` (kinds, composition, bounds).
        """
        level = realised_removals(removals, year, **kwargs)  # type: ignore[arg-type]
        da = level.expand_dims(year=[int(y) for y in years]).copy()
        return cls(da.rename("removals"), label=f"the {year} realised level in {list(years)}")

    def numbers(self, populations: Sequence[str], years: Sequence[int]) -> Array:
        """Announced culls: none (a realised level is not an announced plan)."""
        return np.zeros((len(years), len(populations), 2, 3))

    def realised(self, populations: Sequence[str], years: Sequence[int]) -> xr.DataArray:
        """Numbers ``(year, population, sex, age)`` aligned to the given coords (0 elsewhere)."""
        return _aligned(self.removals, populations, years)
