r"""The annual cycle (DESIGN §2) as pure numpy functions, vectorised over leading axes.

Model year *t* runs from spring census *t* to spring census *t + 1*, in this order:

This module is the validated numpy shell: every equation is computed once, in
:mod:`saigapop.demography.kernel` (shared with the operating model and the PyMC model).

1. census state ``N`` — shape ``(..., 2, 2)``: sex (female, male) × (yearling, adult);
2. :func:`calving` — births from the previous rut's conception, then calving-season mass
   mortality; the within-year population has shape ``(..., 2, 3)``: sex × (calf,
   yearling, adult) (:data:`saigapop.constants.AGE_CLASSES`);
3. :func:`apply_removals` — culls/harvest by sex × (calf, yearling, adult);
4. :func:`rut` — conception probability from breeding males per breeding female;
5. :func:`winter` — survival and ageing to the next census.

:func:`step` composes one year and :func:`project` loops years. The equations, the age of
each class at each event and the assumptions are in ``docs/annual_cycle.md``.

Over ~600 lines because it is the whole validated public numpy API of the cycle (the five
phase functions, :func:`step`, :func:`project`, their result types and runnable docstrings);
no equation is computed here that is not in the kernel.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from saigapop.demography import kernel
from saigapop.demography.density import density_factor  # re-exported: part of the cycle
from saigapop.demography.vital_rates import VitalRates

__all__ = [
    "Calving",
    "Projection",
    "Removal",
    "Rut",
    "Winter",
    "YearResult",
    "apply_removals",
    "calving",
    "density_factor",
    "mass_mortality_fractions",
    "project",
    "rut",
    "step",
    "winter",
]

Array = NDArray[np.float64]
OnExcess = Literal["raise", "cap"]

#: Age indices of the within-year axis (calf, yearling, adult) and of the census axis.
CALF, YEARLING, ADULT = 0, 1, 2
CENSUS_YEARLING, CENSUS_ADULT = 0, 1
_SEX_NAMES = ("female", "male")
_AGE_NAMES = ("calf", "yearling", "adult")


def _array(name: str, value: ArrayLike, core: tuple[int, ...]) -> Array:
    arr = np.asarray(value, dtype=np.float64)
    if core and (arr.ndim < len(core) or arr.shape[arr.ndim - len(core) :] != core):
        raise ValueError(f"{name} must have trailing shape {core}, got shape {arr.shape}")
    return arr


def _nonnegative(name: str, value: ArrayLike, core: tuple[int, ...]) -> Array:
    arr = _array(name, value, core)
    bad = np.isnan(arr) | (arr < 0)
    if np.any(bad):
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"{name} must be non-negative; got {float(arr[idx])!r} at index {idx}")
    return arr


def _fraction(name: str, value: ArrayLike, core: tuple[int, ...]) -> Array:
    arr = _nonnegative(name, value, core)
    if np.any(arr > 1):
        idx = tuple(int(i) for i in np.argwhere(arr > 1)[0])
        raise ValueError(f"{name} must lie in [0, 1]; got {float(arr[idx])!r} at index {idx}")
    return arr


def _classes(arr: Array) -> list[list[Array]]:
    """``(..., 2, k)`` array → ``classes[sex][age]`` views."""
    return [[arr[..., s, a] for a in range(arr.shape[-1])] for s in range(2)]


def _stack(classes: kernel.Classes, lead: tuple[int, ...]) -> Array:
    """``classes[sex][age]`` → a new ``(*lead, 2, k)`` array."""
    return np.array(
        np.stack(
            [np.stack([np.broadcast_to(v, lead) for v in row], axis=-1) for row in classes],
            axis=-2,
        )
    )


def _mating(rates: VitalRates) -> kernel.Mating:
    return kernel.Mating(
        form=rates.mating_form,
        harem_size=rates.harem_size,
        half_share=rates.mating_half_share,
        steepness=rates.mating_steepness,
        reference_ratio=rates.mating_reference_ratio,
        yearling_male_weight=rates.yearling_male_weight,
    )


def _births_per_female(rates: VitalRates) -> tuple[Array, Array]:
    per_female = rates.fecundity * (1.0 + rates.twinning)
    return per_female[..., 0], per_female[..., 1]


def mass_mortality_fractions(
    *, females: ArrayLike = 0.0, calves: ArrayLike = 0.0, males: ArrayLike = 0.0
) -> Array:
    """Calving-season mass-mortality fractions as a ``(..., 2, 3)`` array for :func:`calving`.

    Parameters
    ----------
    females
        Fraction of yearling and adult females killed (shape ``(...)``).
    calves
        Fraction of newborn calves of both sexes killed.
    males
        Fraction of yearling and adult males killed (default 0).

    Returns
    -------
    numpy.ndarray
        Shape ``(..., 2, 3)`` on sex × (calf, yearling, adult).

    Examples
    --------
    >>> mass_mortality_fractions(females=0.6, calves=0.8, males=0.3)
    array([[0.8, 0.6, 0.6],
           [0.8, 0.3, 0.3]])
    """
    f, c, m = (
        _fraction(n, v, ()) for n, v in (("females", females), ("calves", calves), ("males", males))
    )
    f, c, m = np.broadcast_arrays(f, c, m)
    return np.stack([np.stack([c, f, f], axis=-1), np.stack([c, m, m], axis=-1)], axis=-2)


class Calving(NamedTuple):
    """Result of :func:`calving`."""

    population: Array
    """Within-year population after births and mass mortality, ``(..., 2, 3)``."""
    births: Array
    """Calves born by sex, ``(..., 2)`` (before mass mortality)."""
    deaths: Array
    """Mass-mortality deaths, ``(..., 2, 3)``."""


def calving(
    state: ArrayLike,
    conception_prev: ArrayLike,
    rates: VitalRates,
    *,
    density_factor: ArrayLike = 1.0,
    mass_mortality: ArrayLike | None = None,
) -> Calving:
    r"""Births in May from the previous December's conceptions, then mass mortality.

    .. math::

        B = P_{t-1}\, D_t \sum_{a \in \{y, ad\}} N_{f,a}\, \phi_a (1 + \tau_a), \qquad
        B_f = \rho B, \quad B_m = (1 - \rho) B

    with ``P`` the conception probability of the previous rut, ``D`` the density factor,
    ``φ`` fecundity, ``τ`` twinning and ``ρ`` the birth sex ratio. Mass mortality (fraction
    ``μ`` per sex × age) then removes ``μ ⊙ X`` from the within-year population ``X``;
    mothers that die have already given birth (their calves' loss is in the calf fraction).

    Parameters
    ----------
    state
        Census state, ``(..., 2, 2)`` sex × (yearling, adult).
    conception_prev
        Conception probability of the previous rut, ``(...)``.
    rates
        Vital rates (fecundity, twinning, birth sex ratio are used).
    density_factor
        Multiplier of fecundity, ``(...)``.
    mass_mortality
        ``None`` or fractions ``(..., 2, 3)``; see :func:`mass_mortality_fractions`.

    Returns
    -------
    Calving
        ``population`` ``(..., 2, 3)``, ``births`` ``(..., 2)``, ``deaths`` ``(..., 2, 3)``.

    Examples
    --------
    >>> rates = VitalRates.kuhl_2009(survival=np.ones((2, 3)))
    >>> out = calving([[100.0, 100.0], [50.0, 50.0]], 1.0, rates)
    >>> out.births.round(2)
    array([124.87, 124.87])
    >>> out.population[0].round(2)
    array([124.87, 100.  , 100.  ])
    """
    n = _nonnegative("state", state, (2, 2))
    p = _fraction("conception_prev", conception_prev, ())
    d = _nonnegative("density_factor", density_factor, ())
    lead = np.broadcast_shapes(n.shape[:-2], p.shape, d.shape, rates.batch_shape)
    survive = None
    if mass_mortality is not None:
        mu = _fraction("mass_mortality", mass_mortality, (2, 3))
        lead = np.broadcast_shapes(lead, mu.shape[:-2])
        survive = _classes(1.0 - mu)
    _, before, after = kernel.calve(
        _classes(n), p, _births_per_female(rates), d, rates.birth_sex_ratio, survive
    )
    at_calving = _stack(before, lead)
    population = _stack(after, lead)
    by_sex = np.stack([np.broadcast_to(before[s][0], lead) for s in range(2)], axis=-1)
    return Calving(population, by_sex, at_calving - population)


class Removal(NamedTuple):
    """Result of :func:`apply_removals`."""

    population: Array
    """Within-year population after removals, ``(..., 2, 3)``."""
    taken: Array
    """Animals actually removed, ``(..., 2, 3)``."""
    shortfall: Array
    """Asked minus taken, ``(..., 2, 3)``; non-zero only where a class ran out."""


def apply_removals(
    population: ArrayLike, removals: ArrayLike, *, on_excess: OnExcess = "raise"
) -> Removal:
    """Remove animals by sex × (calf, yearling, adult), never making a class negative.

    Parameters
    ----------
    population
        Within-year population, ``(..., 2, 3)``.
    removals
        Numbers to remove, non-negative, broadcastable to ``(..., 2, 3)``.
    on_excess
        ``"raise"`` (default): asking for more than a class holds raises ``ValueError``
        naming the class, the amount asked and the amount available. ``"cap"``: take what
        exists and report the rest in ``shortfall``.

    Returns
    -------
    Removal
        ``population``, ``taken`` and ``shortfall``, all ``(..., 2, 3)``.

    Raises
    ------
    ValueError
        On negative or NaN removals, or on excess with ``on_excess="raise"``.

    Examples
    --------
    >>> pop = np.array([[10.0, 5.0, 20.0], [10.0, 5.0, 8.0]])
    >>> out = apply_removals(pop, [[0, 0, 0], [0, 0, 10.0]], on_excess="cap")
    >>> out.taken[1, 2], out.shortfall[1, 2]
    (np.float64(8.0), np.float64(2.0))
    >>> apply_removals(pop, [[0, 0, 0], [0, 0, 10.0]])
    Traceback (most recent call last):
    ...
    ValueError: removals exceed the male adult class: asked 10, available 8 (1 class(es) in excess)
    """
    x = _nonnegative("population", population, (2, 3))
    r = _nonnegative("removals", removals, (2, 3))
    if on_excess not in ("raise", "cap"):
        raise ValueError(f"on_excess must be 'raise' or 'cap', got {on_excess!r}")
    lead = np.broadcast_shapes(x.shape[:-2], r.shape[:-2])
    x = np.broadcast_to(x, (*lead, 2, 3))
    r = np.broadcast_to(r, (*lead, 2, 3))
    after, _, taken_by_class = kernel.remove(
        _classes(x), {(sex, age): r[..., sex, age] for sex in range(2) for age in range(3)}
    )
    taken = _stack([[taken_by_class[(sex, age)] for age in range(3)] for sex in range(2)], lead)
    shortfall = r - taken
    _raise_on_excess(on_excess, shortfall, r, x)
    return Removal(_stack(after, lead), taken, shortfall)


def _raise_on_excess(on_excess: OnExcess, shortfall: Array, asked: Array, have: Array) -> None:
    if on_excess == "raise" and np.any(shortfall > 0):
        where = np.argwhere(shortfall > 0)
        idx = tuple(int(i) for i in where[0])
        *batch, sex, age = idx
        at = f" at leading index {tuple(batch)}" if batch else ""
        raise ValueError(
            f"removals exceed the {_SEX_NAMES[sex]} {_AGE_NAMES[age]} class{at}: "
            f"asked {asked[idx]:.6g}, available {have[idx]:.6g} ({len(where)} class(es) in excess)"
        )


class Rut(NamedTuple):
    """Result of :func:`rut`."""

    conception: Array
    """Conception probability, ``(...)``."""
    breeding_females: Array
    """Female calves (7 months) + yearlings + adults, ``(...)``."""
    breeding_males: Array
    """Adult males + weight × yearling males, ``(...)``."""


def rut(population: ArrayLike, rates: VitalRates) -> Rut:
    r"""December rut: conception from breeding males per breeding female.

    .. math::

        F = X_{f,c} + X_{f,y} + X_{f,ad}, \quad M = X_{m,ad} + w X_{m,y}, \quad
        P = g(M, F)

    with ``g`` :func:`saigapop.demography.conception_probability` under the mating
    settings in ``rates`` and ``w`` the yearling-male weight.

    Parameters
    ----------
    population
        Within-year population after removals, ``(..., 2, 3)``.
    rates
        Vital rates (mating settings and yearling-male weight are used).

    Returns
    -------
    Rut

    Examples
    --------
    >>> rates = VitalRates.kuhl_2009(survival=np.ones((2, 3)), harem_size=20.0,
    ...                           mating_form="exponential")
    >>> out = rut([[40.0, 30.0, 30.0], [40.0, 30.0, 15.0]], rates)
    >>> round(float(out.conception), 4), float(out.breeding_males)
    (0.9502, 15.0)
    """
    x = _nonnegative("population", population, (2, 3))
    lead = np.broadcast_shapes(x.shape[:-2], rates.batch_shape)
    conception, _, males, females = kernel.breeding(_classes(x), _mating(rates))
    return Rut(*(np.array(np.broadcast_to(v, lead)) for v in (conception, females, males)))


class Winter(NamedTuple):
    """Result of :func:`winter`."""

    state: Array
    """Census state at the next spring, ``(..., 2, 2)``."""
    deaths: Array
    """Winter deaths by sex × (calf, yearling, adult), ``(..., 2, 3)``."""


def winter(population: ArrayLike, rates: VitalRates) -> Winter:
    r"""Over-winter survival and ageing to the next spring census.

    .. math::

        N'_{s,y} = S_{s,c} X_{s,c}, \qquad N'_{s,ad} = S_{s,y} X_{s,y} + S_{s,ad} X_{s,ad}

    and deaths :math:`X - S \odot X` (calves become yearlings, yearlings adults).

    Parameters
    ----------
    population
        Within-year population after the rut, ``(..., 2, 3)``.
    rates
        Vital rates (``survival`` is used).

    Returns
    -------
    Winter

    Examples
    --------
    >>> rates = VitalRates.kuhl_2009(survival=np.full((2, 3), 0.5))
    >>> winter(np.full((2, 3), 10.0), rates).state
    array([[ 5., 10.],
           [ 5., 10.]])
    """
    x = _nonnegative("population", population, (2, 3))
    lead = np.broadcast_shapes(x.shape[:-2], rates.batch_shape)
    x = np.broadcast_to(x, (*lead, 2, 3))
    census = kernel.winter(_classes(x), _classes(rates.survival))
    return Winter(_stack(census, lead), x - x * rates.survival)


class YearResult(NamedTuple):
    """One model year from census *t* to census *t + 1* (:func:`step`).

    Balance, per sex and in total (to rounding):
    ``state_t + births − removed − calving_deaths − winter_deaths = state``.
    """

    state: Array
    """Census state at *t + 1*, ``(..., 2, 2)``."""
    conception: Array
    """Conception probability of this year's rut (feeds next year's calving), ``(...)``."""
    births: Array
    """Calves born by sex, ``(..., 2)``."""
    removed: Array
    """Removals taken, ``(..., 2, 3)``."""
    shortfall: Array
    """Removals asked but not available, ``(..., 2, 3)``."""
    calving_deaths: Array
    """Calving-season mass-mortality deaths, ``(..., 2, 3)``."""
    winter_deaths: Array
    """Winter deaths, ``(..., 2, 3)``."""
    at_rut: Array
    """Within-year population at the rut (after removals), ``(..., 2, 3)``."""
    breeding_females: Array
    """Breeding females at the rut, ``(...)``."""
    breeding_males: Array
    """Breeding males at the rut, ``(...)``."""
    density_factor: Array
    """Density factor applied to fecundity, ``(...)``."""


def step(
    state: ArrayLike,
    conception_prev: ArrayLike,
    rates: VitalRates,
    removals: ArrayLike | None = None,
    *,
    mass_mortality: ArrayLike | None = None,
    density_factor: ArrayLike | None = None,
    on_excess: OnExcess = "raise",
) -> YearResult:
    """One model year: calving → removals → rut → winter.

    Parameters
    ----------
    state
        Census state at *t*, ``(..., 2, 2)`` sex × (yearling, adult).
    conception_prev
        Conception probability of the rut in year *t − 1*, ``(...)``.
    rates
        Vital rates for this year.
    removals
        ``None`` or numbers ``(..., 2, 3)`` by sex × (calf, yearling, adult).
    mass_mortality
        ``None`` or calving-season fractions ``(..., 2, 3)``.
    density_factor
        Override of the fecundity multiplier; by default it is computed from the census
        total ``state.sum((-2, -1))`` with the density settings in ``rates``.
    on_excess
        Passed to :func:`apply_removals`.

    Returns
    -------
    YearResult
        Every field broadcast to the common leading shape.

    Examples
    --------
    >>> rates = VitalRates.kuhl_2009(survival=np.full((2, 3), 0.8))
    >>> out = step([[100.0, 300.0], [60.0, 90.0]], 0.95, rates)
    >>> out.state.round(1)
    array([[219., 320.],
           [219., 120.]])
    >>> total_in = 550.0 + out.births.sum()
    >>> bool(np.isclose(total_in - out.winter_deaths.sum(), out.state.sum()))
    True
    """
    n = _nonnegative("state", state, (2, 2))
    p = _fraction("conception_prev", conception_prev, ())
    lead = np.broadcast_shapes(n.shape[:-2], p.shape, rates.batch_shape)
    if removals is not None:
        lead = np.broadcast_shapes(lead, np.shape(removals)[:-2])
    if mass_mortality is not None:
        lead = np.broadcast_shapes(lead, np.shape(mass_mortality)[:-2])
    if on_excess not in ("raise", "cap"):
        raise ValueError(f"on_excess must be 'raise' or 'cap', got {on_excess!r}")
    n = np.broadcast_to(n, (*lead, 2, 2))
    density = kernel.Density(
        form=rates.density_form,
        carrying_capacity=rates.carrying_capacity,
        strength=rates.density_strength,
    )
    d = None if density_factor is None else _nonnegative("density_factor", density_factor, ())
    survive = None
    if mass_mortality is not None:
        survive = _classes(1.0 - _fraction("mass_mortality", mass_mortality, (2, 3)))
    asked = None
    if removals is not None:
        r = _nonnegative("removals", removals, (2, 3))
        asked = {(sex, age): r[..., sex, age] for sex in range(2) for age in range(3)}
    out = kernel.step(
        _classes(n),
        p,
        births_per_female=_births_per_female(rates),
        survival=_classes(rates.survival),
        mating=_mating(rates),
        density=density,
        density_factor=d,
        birth_sex_ratio=rates.birth_sex_ratio,
        calving_survival=survive,
        removals=asked,
    )
    zeros = [[0.0] * 3, [0.0] * 3]
    at_calving = _stack(out.at_calving, lead)
    after_calving = _stack(out.after_calving, lead)
    at_rut = _stack(out.at_rut, lead)
    removed = _stack([[out.taken.get((s, a), 0.0) for a in range(3)] for s in range(2)], lead)
    shortfall = (
        _stack(zeros, lead)
        if asked is None
        else _stack([[asked[(s, a)] for a in range(3)] for s in range(2)], lead) - removed
    )
    _raise_on_excess(on_excess, shortfall, shortfall + removed, after_calving)
    survival = np.broadcast_to(rates.survival, (*lead, 2, 3))
    return YearResult(
        state=_stack(out.census, lead),
        conception=np.array(np.broadcast_to(out.conception, lead)),
        births=np.stack([at_calving[..., 0, 0], at_calving[..., 1, 0]], axis=-1),
        removed=removed,
        shortfall=shortfall,
        calving_deaths=at_calving - after_calving,
        winter_deaths=at_rut - at_rut * survival,
        at_rut=at_rut,
        breeding_females=np.array(np.broadcast_to(out.breeding_females, lead)),
        breeding_males=np.array(np.broadcast_to(out.breeding_males, lead)),
        density_factor=np.array(np.broadcast_to(out.density_factor, lead)),
    )


#: Number of trailing core axes of each YearResult field (the year axis goes before them).
_CORE_NDIM = {
    "state": 2,
    "conception": 0,
    "births": 1,
    "removed": 2,
    "shortfall": 2,
    "calving_deaths": 2,
    "winter_deaths": 2,
    "at_rut": 2,
    "breeding_females": 0,
    "breeding_males": 0,
    "density_factor": 0,
}


class Projection(NamedTuple):
    """Result of :func:`project`; the ``year`` axis sits just before the core axes.

    ``census[..., t, :, :]`` is the census at the start of model year *t* (``years + 1``
    entries, the first being the initial state); every other field holds ``years`` entries,
    the flows of model year *t* (see :class:`YearResult`). ``conception[..., t]`` is the
    conception of year *t*'s rut, which feeds calving in year *t + 1*. Flow fields not
    requested through ``project(..., record=...)`` are ``None``.
    """

    census: Array
    conception: Array | None
    births: Array | None
    removed: Array | None
    shortfall: Array | None
    calving_deaths: Array | None
    winter_deaths: Array | None
    at_rut: Array | None
    breeding_females: Array | None
    breeding_males: Array | None
    density_factor: Array | None


def _per_year(name: str, value: ArrayLike | None, years: int) -> Array | None:
    if value is None:
        return None
    arr = _nonnegative(name, value, (2, 3))
    if arr.ndim < 3 or arr.shape[-3] not in (1, years):
        raise ValueError(
            f"{name} must have shape (..., years={years}, 2, 3) with a year axis, "
            f"got shape {arr.shape}"
        )
    return arr


def project(
    initial_state: ArrayLike,
    initial_conception: ArrayLike,
    rates: VitalRates | Sequence[VitalRates],
    years: int,
    removals: ArrayLike | None = None,
    *,
    mass_mortality: ArrayLike | None = None,
    on_excess: OnExcess = "raise",
    record: Iterable[str] | None = None,
) -> Projection:
    """Project the annual cycle over ``years`` model years, vectorised over leading axes.

    Parameters
    ----------
    initial_state
        Census state at the first year, ``(..., 2, 2)``.
    initial_conception
        Conception probability of the rut before the first year, ``(...)``.
    rates
        One :class:`VitalRates` for every year, or a sequence of ``years`` of them.
    years
        Number of model years to project (≥ 1).
    removals
        ``None`` or numbers ``(..., years, 2, 3)`` (a year axis of length 1 broadcasts).
    mass_mortality
        ``None`` or calving-season fractions ``(..., years, 2, 3)``.
    on_excess
        Passed to :func:`apply_removals`.
    record
        Names of the :class:`Projection` flow fields to keep (``census`` is always kept);
        the others are ``None``. Default: all. Keeping few saves memory for large runs
        (draws × populations × candidate quotas).

    Returns
    -------
    Projection

    Examples
    --------
    >>> rates = VitalRates.kuhl_2009(survival=np.full((3, 2, 3), 0.8))  # 3 populations
    >>> out = project(np.full((3, 2, 2), 100.0), 0.9, rates, years=5)
    >>> out.census.shape, out.births.shape
    ((3, 6, 2, 2), (3, 5, 2))
    >>> project(np.full((2, 2), 100.0), 0.9, rates, 5, record=["conception"]).births is None
    True
    """
    if int(years) != years or years < 1:
        raise ValueError(f"years must be a positive integer, got {years!r}")
    years = int(years)
    if isinstance(rates, VitalRates):
        rates_by_year: Sequence[VitalRates] = [rates] * years
    else:
        rates_by_year = list(rates)
        if len(rates_by_year) != years:
            raise ValueError(f"rates has {len(rates_by_year)} entries, expected years={years}")
    rem = _per_year("removals", removals, years)
    mort = _per_year("mass_mortality", mass_mortality, years)
    state = _nonnegative("initial_state", initial_state, (2, 2))
    conception = _fraction("initial_conception", initial_conception, ())
    lead = np.broadcast_shapes(
        state.shape[:-2],
        conception.shape,
        *(r.batch_shape for r in rates_by_year),
        *(() if a is None else a.shape[:-3] for a in (rem, mort)),
    )
    flows = _CORE_NDIM.keys() - {"state"}
    kept = set(flows) if record is None else set(record)
    if unknown := kept - flows:
        raise ValueError(
            f"record has unknown field(s) {sorted(unknown)}; choose from {sorted(flows)}"
        )
    census = np.empty((*lead, years + 1, 2, 2))
    census[..., 0, :, :] = state
    out_arrays: dict[str, Array | None] = dict.fromkeys(flows)
    for t in range(years):
        r_t = None if rem is None else rem[..., min(t, rem.shape[-3] - 1), :, :]
        m_t = None if mort is None else mort[..., min(t, mort.shape[-3] - 1), :, :]
        try:
            out = step(
                state, conception, rates_by_year[t], r_t, mass_mortality=m_t, on_excess=on_excess
            )
        except ValueError as err:
            raise ValueError(f"projection year index {t}: {err}") from err
        state, conception = out.state, out.conception
        census[..., t + 1, :, :] = state
        for name in kept:
            value = getattr(out, name)
            core = value.shape[value.ndim - _CORE_NDIM[name] :]
            if out_arrays[name] is None:
                out_arrays[name] = np.empty((*lead, years, *core))
            out_arrays[name][(..., t, *(slice(None),) * len(core))] = value
    return Projection(census=census, **out_arrays)
