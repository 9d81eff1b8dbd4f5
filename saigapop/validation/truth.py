"""The true parameters a data set is simulated from: stated by hand or drawn from the priors.

:class:`TrueParameters` holds the true values of every parameter of the population model that
:func:`saigapop.validation.simulate` runs (its vital rates, noise, initial state, catchability
and removals); :func:`parameters_from_priors` draws them from the model's priors for SBC.
Both are re-exported from :mod:`saigapop.validation.simulate`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr
from numpy.typing import ArrayLike, NDArray
from scipy import special

from saigapop.constants import AGE_CLASSES, KUHL_2009_FECUNDITY, KUHL_2009_TWINNING, SEXES
from saigapop.demography import VitalRates

__all__ = ["DEFAULT_SURVIVAL", "TrueParameters", "parameters_from_priors"]

#: Default survival by sex × (calf, yearling, adult): plausible saiga values with room to grow.
DEFAULT_SURVIVAL = ((0.55, 0.80, 0.85), (0.55, 0.70, 0.65))


def _per_population(name: str, value: ArrayLike, n_pop: int, core: tuple[int, ...] = ()) -> NDArray:
    arr = np.asarray(value, dtype=float)
    try:
        return np.array(np.broadcast_to(arr, (n_pop, *core)))
    except ValueError as err:
        raise ValueError(
            f"TrueParameters.{name} must broadcast to {(n_pop, *core)}, got shape {arr.shape}"
        ) from err


@dataclass(frozen=True, kw_only=True, eq=False)
class TrueParameters:
    """Known ("true") parameter values of a simulation, named as in the model's posterior.

    Per-population arrays broadcast over ``populations``. Defaults are one plausible saiga
    population growing from ~20,000 with Kühl et al. (2009) reproduction; every value is stated
    in the truth Dataset so a recovery study says at which values it was run.

    Parameters
    ----------
    populations
        Population names (any; the Kazakh ones get their canonical spelling).
    start_year, end_year
        First and last census year (both simulated).
    survival
        Annual survival ``(population, sex, age)`` or ``(sex, age)``, age = calf, yearling,
        adult.
    fecundity, twinning
        By female census age (yearling, adult).
    harem_size
        ``h`` of the mating function :math:`P = 1 - e^{-h M / F}`.
    density_strength, carrying_capacity
        Ricker fecundity factor :math:`e^{-b N / K}`; ``b = 0`` switches it off. ``K`` per
        population (the model uses the largest count as ``K``).
    process_noise_sd
        SD of the population × year effects on log net winter survival.
    obs_cv
        Lognormal SD of counts.
    catchability_base
        Counted / true animals per population.
    catchability_breaks
        ``{(population, year): factor}``: catchability is multiplied by ``factor`` from
        ``year`` on.
    initial_abundance
        Census total at ``start_year`` per population.
    initial_male_share, initial_yearling_share
        Share of males among adults and of yearlings among all animals at ``start_year``.
    poaching_rate_male
        Fraction of adult males poached each removal season.
    cull_male_selectivity, cull_calf_selectivity
        Per-capita cull vulnerability of yearling/adult males and of calves relative to
        females (used for cull totals given without a split).
    removals
        Requested removals in animals: a DataArray on ``(population, year)`` (a total split by
        selectivity, reported as one ``all``/``all`` row) or on ``(population, year, sex,
        age)`` (reported per class). Capped at what exists. Missing entries mean none.
    mass_mortality
        Calving-season die-off fractions on ``(population, year, sex, age)``; each year with
        deaths gives a ``mass_mortality`` row with the toll.
    """

    populations: tuple[str, ...] = ("Ural",)
    start_year: int = 2003
    end_year: int = 2012
    survival: ArrayLike = DEFAULT_SURVIVAL
    fecundity: ArrayLike = KUHL_2009_FECUNDITY
    twinning: ArrayLike = KUHL_2009_TWINNING
    harem_size: float = 19.0
    density_strength: float = 0.0
    carrying_capacity: ArrayLike = np.inf
    process_noise_sd: float = 0.1
    obs_cv: float = 0.2
    catchability_base: ArrayLike = 1.0
    catchability_breaks: Mapping[tuple[str, int], float] = field(default_factory=dict)
    initial_abundance: ArrayLike = 20_000.0
    initial_male_share: float = 0.125
    initial_yearling_share: float = 0.3
    poaching_rate_male: float = 0.0
    cull_male_selectivity: float = 1.0
    cull_calf_selectivity: float = 1.0
    removals: xr.DataArray | None = None
    mass_mortality: xr.DataArray | None = None

    def __post_init__(self) -> None:
        pops = tuple(self.populations)
        if not pops or len(set(pops)) != len(pops):
            raise ValueError(f"populations must be distinct names, got {self.populations!r}")
        object.__setattr__(self, "populations", pops)
        if self.end_year <= self.start_year:
            raise ValueError(
                f"end_year ({self.end_year}) must be after start_year ({self.start_year})"
            )
        n = len(pops)
        object.__setattr__(self, "survival", _per_population("survival", self.survival, n, (2, 3)))
        for name in ("carrying_capacity", "catchability_base", "initial_abundance"):
            object.__setattr__(self, name, _per_population(name, getattr(self, name), n))
        for name in ("fecundity", "twinning"):
            arr = np.asarray(getattr(self, name), dtype=float)
            if arr.shape != (2,):
                raise ValueError(f"TrueParameters.{name} must have shape (2,), got {arr.shape}")
            object.__setattr__(self, name, arr)
        for name in ("initial_male_share", "initial_yearling_share", "poaching_rate_male"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"TrueParameters.{name} must lie in [0, 1)")
        for name in ("harem_size", "obs_cv", "catchability_base", "initial_abundance"):
            if np.any(np.asarray(getattr(self, name)) <= 0):
                raise ValueError(f"TrueParameters.{name} must be positive")
        if self.process_noise_sd < 0 or self.density_strength < 0:
            raise ValueError("process_noise_sd and density_strength must be non-negative")
        for (pop, _year), factor in self.catchability_breaks.items():
            if pop not in pops or factor <= 0:
                raise ValueError(f"catchability break {pop!r}: unknown population or factor <= 0")
        # validate rates once (ranges, shapes)
        self.rates()

    @property
    def years(self) -> NDArray[np.int64]:
        """Census years simulated."""
        return np.arange(self.start_year, self.end_year + 1)

    def replace(self, **changes: Any) -> TrueParameters:
        """Return a validated copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    def rates(self) -> VitalRates:
        """Return the vital rates of the annual cycle (batch axis = population)."""
        dd = self.density_strength > 0 and bool(np.all(np.isfinite(self.carrying_capacity)))
        return VitalRates.kuhl_2009(
            survival=self.survival,
            fecundity=self.fecundity,
            twinning=self.twinning,
            harem_size=self.harem_size,
            density_form="ricker" if dd else "none",
            carrying_capacity=self.carrying_capacity if dd else np.inf,
            density_strength=self.density_strength,
        )

    def selectivity(self) -> NDArray[np.float64]:
        """Relative cull vulnerability by sex × (calf, yearling, adult)."""
        c, m = self.cull_calf_selectivity, self.cull_male_selectivity
        return np.array([[c, 1.0, 1.0], [c, m, m]])

    def catchability_year(self) -> NDArray[np.float64]:
        """Catchability ``(population, year)`` including breaks."""
        q = np.repeat(self.catchability_base[:, None], len(self.years), axis=1)
        for (pop, year), factor in self.catchability_breaks.items():
            q[self.populations.index(pop), self.years >= year] *= factor
        return q

    def to_dataset(self) -> xr.Dataset:
        """Return the parameter values as a Dataset named as in the model's posterior."""
        pop = ("population",)
        nan = np.nan
        ds = xr.Dataset(
            {
                "survival": (("population", "sex", "age"), self.survival),
                "fecundity": ("age", [nan, *self.fecundity]),
                "twinning": ("age", [nan, *self.twinning]),
                "fecundity_yearling": ((), self.fecundity[0]),
                "fecundity_adult": ((), self.fecundity[1]),
                "twinning_yearling": ((), self.twinning[0]),
                "twinning_adult": ((), self.twinning[1]),
                "harem_size": ((), self.harem_size),
                "density_strength": ((), self.density_strength),
                "process_noise_sd": ((), self.process_noise_sd),
                "obs_cv": ((), self.obs_cv),
                "catchability_base": (pop, self.catchability_base),
                "initial_male_share": ((), self.initial_male_share),
                "initial_yearling_share": ((), self.initial_yearling_share),
                "poaching_rate_male": ((), self.poaching_rate_male),
                "cull_male_selectivity": ((), self.cull_male_selectivity),
                "cull_calf_selectivity": ((), self.cull_calf_selectivity),
            },
            coords={
                "population": list(self.populations),
                "sex": list(SEXES),
                "age": list(AGE_CLASSES),
            },
        )
        return ds


def parameters_from_priors(
    priors: Mapping[str, Any],
    *,
    rng: np.random.Generator,
    populations: tuple[str, ...] = ("Ural",),
    start_year: int = 2003,
    end_year: int = 2012,
    initial_scale: ArrayLike = 20_000.0,
    **fixed: Any,
) -> TrueParameters:
    """Draw :class:`TrueParameters` from the model's priors (for SBC).

    Mirrors the parameterisation of ``saigapop.model.build``: survival class means are drawn
    from ``survival_<class>`` and spread over populations with ``survival_pooling_sd`` on the
    logit scale; the initial abundance is ``initial_scale × exp(initial_abundance)``.
    Catastrophes and culls are not drawn (pass ``removals=...`` in ``fixed`` for culls).

    Parameters
    ----------
    priors
        Mapping of parameter name to an object with ``sample(size, rng)`` (e.g.
        ``saigapop.model.priors.DEFAULT_PRIORS``); names not present keep the defaults.
    rng
        Random generator.
    populations, start_year, end_year
        As in :class:`TrueParameters`.
    initial_scale
        Centre of the initial-abundance prior per population. For a calibrated SBC it must
        be the *same fixed number* in the model's prior (not computed from the data).
    **fixed
        Any :class:`TrueParameters` field to set instead of drawing.

    Returns
    -------
    TrueParameters

    Examples
    --------
    >>> from saigapop.model.priors import DEFAULT_PRIORS
    >>> p = parameters_from_priors(DEFAULT_PRIORS, rng=np.random.default_rng(0))
    >>> p.survival.shape
    (1, 2, 3)
    """
    n = len(populations)

    def draw(name: str, size: int = 1) -> NDArray | None:
        if name not in priors:
            return None
        return np.asarray(priors[name].sample(size, rng), dtype=float)

    values: dict[str, Any] = {}
    classes = ("calf", "yearling_female", "yearling_male", "adult_female", "adult_male")
    means = [draw(f"survival_{c}") for c in classes]
    if all(m is not None for m in means):
        sd = draw("survival_pooling_sd")
        sd = 0.0 if sd is None else float(sd[0])
        logit = special.logit(np.concatenate(means))[None, :] + sd * rng.standard_normal((n, 5))
        phi = special.expit(logit)
        values["survival"] = np.stack(
            [phi[:, [0, 1, 3]], phi[:, [0, 2, 4]]], axis=1
        )  # (P, sex, age)
    pairs = {
        "fecundity": ("fecundity_yearling", "fecundity_adult"),
        "twinning": ("twinning_yearling", "twinning_adult"),
    }
    for field_name, (a, b) in pairs.items():
        va, vb = draw(a), draw(b)
        if va is not None and vb is not None:
            values[field_name] = np.array([va[0], vb[0]])
    for name in (
        "harem_size",
        "density_strength",
        "process_noise_sd",
        "obs_cv",
        "initial_male_share",
        "initial_yearling_share",
        "poaching_rate_male",
        "cull_male_selectivity",
        "cull_calf_selectivity",
    ):
        v = draw(name)
        if v is not None:
            values[name] = float(v[0])
    q = draw("catchability_base", n)
    if q is not None:
        values["catchability_base"] = q
    off = draw("initial_abundance", n)
    if off is not None:
        values["initial_abundance"] = np.asarray(initial_scale, dtype=float) * np.exp(off)
    values.update(fixed)
    return TrueParameters(
        populations=populations, start_year=start_year, end_year=end_year, **values
    )
