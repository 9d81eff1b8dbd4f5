r"""The annual cycle written once (DESIGN §2), on any array namespace.

One model year, census *t* → census *t + 1*:

1. **calving** — births ``B = P_{t-1} D_t (N_{f,y} b_y + N_{f,ad} b_{ad})`` with
   ``b = φ (1 + τ)``, a share ``ρ`` female; then calving-season survival (1 − die-off
   fraction) of every sex × age class; then calving-timed removals;
2. **removal season** — *poaching first*: a rate on the classes it acts on (adults), then
   every numeric removal (realised and planned culls, export, wounding loss) summed per
   class and taken from what the poachers left, capped at ``max_fraction`` of it;
3. **rut** — breeding females ``F`` (calves, yearlings, adults), breeding males
   ``M = X_{m,ad} + w X_{m,y}``, conception ``P_t = g(M/F)``
   (:func:`saigapop.demography.mating.conception_from_ratio`); then winter-timed removals;
4. **winter** — survival by sex × age (any process noise or dzhut already folded into the
   rates by the caller); calves become yearlings, yearlings and adults become adults.

Everything here is element-wise on *classes*: a within-year population is
``x[sex][age]`` (sex = female, male; age = calf, yearling, adult) and a census state
``n[sex][age]`` (age = yearling, adult), each entry an array of any shape (numpy arrays,
PyTensor tensors, or Python floats). Operations that differ between namespaces come from an
:class:`~saigapop.demography._xp.Ops` object. The same :func:`step` runs in
:func:`saigapop.demography.project` (numpy), in
:class:`saigapop.management.OperatingModel` (numpy, ``(candidate, draw, population)``
arrays) and in the PyMC model (:func:`saigapop.model.build.annual_step`, PyTensor).

Removals are sparse mappings ``{(sex, age): numbers}``, or a callable receiving the classes
at that moment and returning such a mapping (selectivity-weighted splits of totals, harvest
rules that take a fraction of a class). The equations are in ``docs/annual_cycle.md``.

Examples
--------
>>> n = [[100.0, 300.0], [60.0, 90.0]]
>>> out = step(n, 0.95, births_per_female=(0.774 * 1.117, 0.946 * 1.726),
...            survival=[[0.8] * 3, [0.8] * 3], mating=Mating("exponential", harem_size=20.0))
>>> [[round(v, 1) for v in row] for row in out.census]
[[219.0, 320.0], [219.0, 120.0]]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from saigapop.constants import (
    DEFAULT_HAREM_SIZE,
    DEFAULT_MATING_FORM,
    DEFAULT_MATING_HALF_SHARE,
    DEFAULT_MATING_REFERENCE_RATIO,
    DEFAULT_MATING_STEEPNESS,
)
from saigapop.demography._xp import NUMPY_OPS, Ops
from saigapop.demography.density import density_from_total
from saigapop.demography.mating import conception_from_ratio

__all__ = [
    "Density",
    "Mating",
    "StepResult",
    "breeding",
    "calve",
    "census_total",
    "poach",
    "remove",
    "step",
    "winter",
]

#: ``classes[sex][age]``; any nested sequence of arrays.
Classes = Sequence[Sequence[Any]]
#: Removal requests by ``(sex, age)`` within-year class.
Requests = Mapping[tuple[int, int], Any]
RequestLike = Requests | Callable[[list[list[Any]]], Requests]


@dataclass(frozen=True)
class Mating:
    """Mating-function settings (see :func:`~saigapop.demography.conception_probability`).

    The default form is the normalised Hill curve of issue 16 at its prior medians;
    ``harem_size`` is read by ``form="exponential"`` only, ``reference_ratio`` by
    ``"normalised_hill"`` only.
    """

    form: str = DEFAULT_MATING_FORM
    harem_size: Any = DEFAULT_HAREM_SIZE
    half_share: Any = DEFAULT_MATING_HALF_SHARE
    steepness: Any = DEFAULT_MATING_STEEPNESS
    reference_ratio: Any = DEFAULT_MATING_REFERENCE_RATIO
    yearling_male_weight: Any = 0.0


@dataclass(frozen=True)
class Density:
    """Density dependence of fecundity (see :func:`~saigapop.demography.density_factor`)."""

    form: str = "none"
    carrying_capacity: Any = float("inf")
    strength: Any = 1.0

    def factor(self, total: Any, ops: Ops = NUMPY_OPS) -> Any:
        """Factor on fecundity at census total ``total``."""
        return density_from_total(
            total,
            form=self.form,
            carrying_capacity=self.carrying_capacity,
            strength=self.strength,
            ops=ops,
        )


def census_total(census: Classes) -> Any:
    """Sum of the four census classes (female yearling, female adult, male yearling, male adult)."""
    return census[0][0] + census[0][1] + census[1][0] + census[1][1]


def calve(
    census: Classes,
    conception_prev: Any,
    births_per_female: Sequence[Any],
    density_factor: Any = 1.0,
    birth_sex_ratio: Any = 0.5,
    calving_survival: Classes | None = None,
) -> tuple[Any, list[list[Any]], list[list[Any]]]:
    """Births from the previous rut's conceptions, then calving-season survival.

    Returns ``(births, at_calving, after)``: total births, the within-year classes before
    the die-off and after it.

    Examples
    --------
    >>> b, before, after = calve([[100.0, 100.0], [50.0, 50.0]], 1.0, (0.864, 1.633),
    ...                          calving_survival=[[0.5, 1.0, 1.0], [0.5, 1.0, 1.0]])
    >>> round(b, 2), round(after[0][0], 3), after[1][2]
    (249.7, 62.425, 50.0)
    """
    births = conception_prev * density_factor
    births = births * (census[0][0] * births_per_female[0] + census[0][1] * births_per_female[1])
    at_calving = [
        [birth_sex_ratio * births, census[0][0], census[0][1]],
        [(1.0 - birth_sex_ratio) * births, census[1][0], census[1][1]],
    ]
    if calving_survival is None:
        return births, at_calving, [list(row) for row in at_calving]
    after = [[at_calving[s][a] * calving_survival[s][a] for a in range(3)] for s in range(2)]
    return births, at_calving, after


def remove(
    x: Classes,
    requests: RequestLike | Sequence[RequestLike] | None,
    *,
    max_fraction: float = 1.0,
    ops: Ops = NUMPY_OPS,
) -> tuple[list[list[Any]], dict[tuple[int, int], Any], dict[tuple[int, int], Any]]:
    """Take the summed numeric requests per class, capped at ``max_fraction`` of the class.

    Returns ``(x_after, asked, taken)`` with ``asked`` and ``taken`` mappings by class.
    With ``max_fraction=1`` a class can reach 0 and never goes negative.

    Examples
    --------
    >>> x, asked, taken = remove([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]], [{(1, 2): 2.0}, {(1, 2): 5.0}])
    >>> asked[(1, 2)], float(taken[(1, 2)]), float(x[1][2])
    (7.0, 3.0, 0.0)
    """
    x = [list(row) for row in x]
    if requests is None:
        return x, {}, {}
    if callable(requests) or isinstance(requests, Mapping):
        requests = [requests]
    asked: dict[tuple[int, int], Any] = {}
    for req in requests:
        got = req(x) if callable(req) else req
        for key, value in got.items():
            asked[key] = value if key not in asked else asked[key] + value
    taken: dict[tuple[int, int], Any] = {}
    for (s, a), value in asked.items():
        cap = x[s][a] if max_fraction == 1.0 else max_fraction * x[s][a]
        taken[(s, a)] = ops.minimum(value, cap)
        x[s][a] = x[s][a] - taken[(s, a)]
    return x, asked, taken


def poach(x: Classes, rates: Requests | None) -> tuple[list[list[Any]], dict[tuple[int, int], Any]]:
    """Poaching: a rate on each class it acts on (``{(sex, age): rate}``), taken first.

    Examples
    --------
    >>> x, poached = poach([[1.0, 2.0, 3.0], [1.0, 2.0, 10.0]], {(1, 2): 0.1})
    >>> poached[(1, 2)], x[1][2]
    (1.0, 9.0)
    """
    x = [list(row) for row in x]
    poached: dict[tuple[int, int], Any] = {}
    for (s, a), rate in (rates or {}).items():
        poached[(s, a)] = rate * x[s][a]
        x[s][a] = x[s][a] - poached[(s, a)]
    return x, poached


def breeding(x: Classes, mating: Mating, ops: Ops = NUMPY_OPS) -> tuple[Any, Any, Any, Any]:
    """December rut: ``(conception, ratio, breeding_males, breeding_females)``.

    Examples
    --------
    >>> p, r, m, f = breeding([[40.0, 30.0, 30.0], [40.0, 30.0, 15.0]], Mating("exponential", 20.0))
    >>> round(float(p), 4), float(r), m, f
    (0.9502, 0.15, 15.0, 100.0)
    """
    females = x[0][0] + x[0][1] + x[0][2]
    w = mating.yearling_male_weight
    males = x[1][2] + w * x[1][1] if not (isinstance(w, float | int) and w == 0) else x[1][2]
    ratio = ops.ratio(males, females)
    conception = conception_from_ratio(
        ratio,
        females,
        form=mating.form,
        harem_size=mating.harem_size,
        half_share=mating.half_share,
        steepness=mating.steepness,
        reference_ratio=mating.reference_ratio,
        ops=ops,
    )
    return conception, ratio, males, females


def winter(x: Classes, survival: Classes) -> list[list[Any]]:
    """Survival and ageing to the next census: ``[[f_y, f_ad], [m_y, m_ad]]``.

    Examples
    --------
    >>> winter([[10.0, 10.0, 10.0], [10.0, 10.0, 10.0]], [[0.5] * 3, [0.5] * 3])
    [[5.0, 10.0], [5.0, 10.0]]
    """
    return [
        [
            x[s][0] * survival[s][0],
            x[s][1] * survival[s][1] + x[s][2] * survival[s][2],
        ]
        for s in range(2)
    ]


class StepResult(NamedTuple):
    """One model year from :func:`step` (classes as nested lists, removals by class)."""

    census: list[list[Any]]
    """Census at *t + 1*, ``[sex][yearling, adult]``."""
    conception: Any
    """Conception probability of this year's rut."""
    ratio: Any
    """Breeding males per breeding female at the rut."""
    births: Any
    """Total births (both sexes)."""
    density_factor: Any
    at_calving: list[list[Any]]
    """Within-year classes after births, before the calving die-off."""
    after_calving: list[list[Any]]
    """Within-year classes after the calving die-off."""
    at_removal: list[list[Any]]
    """Within-year classes the removal-season numeric requests meet (after poaching)."""
    poached: dict[tuple[int, int], Any]
    asked: dict[tuple[int, int], Any]
    """Removal-season numeric requests (summed over sources)."""
    taken: dict[tuple[int, int], Any]
    """Removal-season numbers taken."""
    at_rut: list[list[Any]]
    breeding_males: Any
    breeding_females: Any
    calving_taken: dict[tuple[int, int], Any]
    winter_taken: dict[tuple[int, int], Any]
    at_winter: list[list[Any]]
    """Within-year classes to which survival applies."""


def step(
    census: Classes,
    conception_prev: Any,
    *,
    births_per_female: Sequence[Any],
    survival: Classes,
    mating: Mating,
    density: Density | None = None,
    density_factor: Any = None,
    birth_sex_ratio: Any = 0.5,
    calving_survival: Classes | None = None,
    poaching: Requests | None = None,
    removals: RequestLike | Sequence[RequestLike] | None = None,
    calving_removals: RequestLike | Sequence[RequestLike] | None = None,
    winter_removals: RequestLike | Sequence[RequestLike] | None = None,
    max_removal_fraction: float = 1.0,
    ops: Ops = NUMPY_OPS,
) -> StepResult:
    """One model year: calving → removals (poaching first) → rut → winter.

    Parameters
    ----------
    census
        ``census[sex][age]``, age = (yearling, adult).
    conception_prev
        Conception probability of the previous rut.
    births_per_female
        ``(φ_y (1 + τ_y), φ_ad (1 + τ_ad))``.
    survival
        Over-winter survival ``survival[sex][age]``, age = (calf, yearling, adult), with any
        process noise or winter catastrophe already applied.
    mating
        Mating-function settings.
    density, density_factor
        Density dependence from the census total, or the factor itself (default 1).
    birth_sex_ratio
        Share of births that are female.
    calving_survival
        ``[sex][age]`` share surviving the calving-season die-off (``None``: all).
    poaching
        ``{(sex, age): rate}`` applied first in the removal season.
    removals, calving_removals, winter_removals
        Numeric removals (mappings or callables, or sequences of them) in the removal
        season, at calving (after the die-off) and after the rut.
    max_removal_fraction
        Cap on the share of a class removed by one timing's numeric removals.
    ops
        Array operations (:data:`~saigapop.demography._xp.NUMPY_OPS` or PyTensor's).

    Returns
    -------
    StepResult
    """
    if density_factor is None:
        density_factor = 1.0 if density is None else density.factor(census_total(census), ops)
    births, at_calving, x = calve(
        census, conception_prev, births_per_female, density_factor, birth_sex_ratio,
        calving_survival,
    )  # fmt: skip
    after_calving = x
    x, _, calving_taken = remove(x, calving_removals, max_fraction=max_removal_fraction, ops=ops)
    x, poached = poach(x, poaching)
    at_removal = x
    x, asked, taken = remove(x, removals, max_fraction=max_removal_fraction, ops=ops)
    conception, ratio, males, females = breeding(x, mating, ops)
    at_rut = x
    x, _, winter_taken = remove(x, winter_removals, max_fraction=max_removal_fraction, ops=ops)
    return StepResult(
        census=winter(x, survival),
        conception=conception,
        ratio=ratio,
        births=births,
        density_factor=density_factor,
        at_calving=at_calving,
        after_calving=after_calving,
        at_removal=at_removal,
        poached=poached,
        asked=asked,
        taken=taken,
        at_rut=at_rut,
        breeding_males=males,
        breeding_females=females,
        calving_taken=calving_taken,
        winter_taken=winter_taken,
        at_winter=x,
    )
