"""Vital rates of the annual cycle: one frozen, validated container of numpy arrays.

Every rate is an array that broadcasts against the leading ("batch") axes of the state,
e.g. ``(draw, population)`` or ``(draw, population, quota)``. The trailing (core) axes are
fixed:

========================  ================  =================================================
field                     core shape        axes
========================  ================  =================================================
``survival``              ``(2, 3)``        sex (female, male) × age (calf, yearling, adult)
``fecundity``             ``(2,)``          female census age class (yearling, adult)
``twinning``              ``(2,)``          female census age class (yearling, adult)
every other array field   ``()``            —
========================  ================  =================================================
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal, Self, get_args

import numpy as np
from numpy.typing import ArrayLike, NDArray

from saigapop.constants import (
    BIRTH_SEX_RATIO,
    DEFAULT_HAREM_SIZE,
    DEFAULT_MATING_FORM,
    DEFAULT_MATING_HALF_SHARE,
    DEFAULT_MATING_REFERENCE_RATIO,
    DEFAULT_MATING_STEEPNESS,
    KUHL_2009_FECUNDITY,
    KUHL_2009_TWINNING,
)
from saigapop.demography.mating import conception_probability

__all__ = ["DensityForm", "MatingForm", "VitalRates"]

MatingForm = Literal["normalised_hill", "exponential", "hill", "sigmoid"]
DensityForm = Literal["none", "beverton_holt", "ricker", "theta_logistic"]

# field name -> (core shape, lower, upper, lower open, upper open)
_ARRAY_FIELDS: dict[str, tuple[tuple[int, ...], float, float, bool, bool]] = {
    "survival": ((2, 3), 0.0, 1.0, False, False),
    "fecundity": ((2,), 0.0, 1.0, False, False),
    "twinning": ((2,), 0.0, 1.0, False, False),
    "birth_sex_ratio": ((), 0.0, 1.0, False, False),
    "harem_size": ((), 0.0, np.inf, True, True),
    "yearling_male_weight": ((), 0.0, 1.0, False, False),
    "mating_half_share": ((), 0.0, 1.0, True, True),
    "mating_steepness": ((), 0.0, np.inf, True, True),
    "mating_reference_ratio": ((), 0.0, np.inf, True, False),
    "carrying_capacity": ((), 0.0, np.inf, True, False),
    "density_strength": ((), 0.0, np.inf, False, True),
}


def _validated(name: str, value: ArrayLike, spec: tuple) -> NDArray[np.float64]:
    core, lower, upper, lower_open, upper_open = spec
    try:
        arr = np.array(value, dtype=np.float64)  # always a private copy
    except (TypeError, ValueError) as err:
        raise ValueError(f"VitalRates.{name} must be numeric, got {value!r}") from err
    if core and (arr.ndim < len(core) or arr.shape[arr.ndim - len(core) :] != core):
        raise ValueError(
            f"VitalRates.{name} must have trailing shape {core}, got shape {arr.shape}"
        )
    too_low = arr <= lower if lower_open else arr < lower
    too_high = arr >= upper if upper_open else arr > upper
    bad = np.isnan(arr) | too_low | too_high
    if np.any(bad):
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        left = "(" if lower_open else "["
        right = ")" if upper_open else "]"
        raise ValueError(
            f"VitalRates.{name} must lie in {left}{lower}, {upper}{right}; "
            f"got {float(arr[index])!r} at index {index} ({int(bad.sum())} bad value(s))"
        )
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False, kw_only=True)
class VitalRates:
    """Vital rates of the two-sex saiga annual cycle (DESIGN §2), validated on creation.

    Parameters
    ----------
    survival
        Over-winter survival, shape ``(..., 2, 3)`` on sex (female, male) × age (calf,
        yearling, adult): calf → yearling, yearling → adult and adult → adult, from the rut
        to the next spring census. Rut exhaustion of males belongs in the male entries.
    fecundity
        Proportion of females giving birth, shape ``(..., 2)`` on female census age class
        (yearling, adult), when conception is certain (conception probability 1).
    twinning
        Proportion of births that are twins, shape ``(..., 2)`` on (yearling, adult); the
        mean litter of a female giving birth is ``1 + twinning``.
    birth_sex_ratio
        Proportion of calves that are female. Default 0.5.
    harem_size
        Harem size ``h`` of the exponential mating function (females one male can serve).
    yearling_male_weight
        Weight in ``[0, 1]`` of yearling males (1.5 years at the rut) among breeding males.
    mating_form
        ``"normalised_hill"`` (default, issue 16), ``"exponential"`` or ``"hill"`` (alias
        ``"sigmoid"``); see :func:`saigapop.demography.conception_probability`.
    mating_half_share
        Hill forms: the male share ``M / (M + F)`` of breeders at which the Hill curve is
        one half.
    mating_steepness
        Hill forms: Hill exponent (steepness) in ``log(M / F)``.
    mating_reference_ratio
        ``"normalised_hill"`` only: ``M / F`` at which conception is normalised to 1 (the
        ratio of Kühl et al.'s fecundity measurements).
    density_form
        ``"none"``, ``"beverton_holt"``, ``"ricker"`` or ``"theta_logistic"``; see
        :func:`saigapop.demography.density_factor`.
    carrying_capacity
        Density scale ``K`` (animals at census) of the density factor; ``inf`` disables it.
    density_strength
        Strength (or ``theta``) of the density factor.

    Raises
    ------
    ValueError
        Naming the field and the offending value, when a rate is outside its range, NaN,
        of the wrong trailing shape, or when fields do not broadcast together.

    Notes
    -----
    Arrays are copied and made read-only, so a ``VitalRates`` cannot be changed after
    validation; use :func:`dataclasses.replace` (or :meth:`replace`) to derive a new one.
    Equality is identity (``eq=False``) because fields are arrays.

    Examples
    --------
    >>> import numpy as np
    >>> rates = VitalRates.kuhl_2009(survival=np.full((2, 3), 0.8))
    >>> rates.fecundity
    array([0.774, 0.946])
    >>> rates.batch_shape
    ()
    >>> VitalRates.kuhl_2009(survival=np.full((4, 2, 3), 0.8), harem_size=12.0).batch_shape
    (4,)
    """

    survival: ArrayLike
    fecundity: ArrayLike
    twinning: ArrayLike
    birth_sex_ratio: ArrayLike = BIRTH_SEX_RATIO
    harem_size: ArrayLike = DEFAULT_HAREM_SIZE
    yearling_male_weight: ArrayLike = 0.0
    mating_form: MatingForm = DEFAULT_MATING_FORM
    mating_half_share: ArrayLike = DEFAULT_MATING_HALF_SHARE
    mating_steepness: ArrayLike = DEFAULT_MATING_STEEPNESS
    mating_reference_ratio: ArrayLike = DEFAULT_MATING_REFERENCE_RATIO
    density_form: DensityForm = "none"
    carrying_capacity: ArrayLike = np.inf
    density_strength: ArrayLike = 1.0

    def __post_init__(self) -> None:
        for name, spec in _ARRAY_FIELDS.items():
            object.__setattr__(self, name, _validated(name, getattr(self, name), spec))
        if self.mating_form not in get_args(MatingForm):
            raise ValueError(
                f"VitalRates.mating_form must be one of {get_args(MatingForm)}, "
                f"got {self.mating_form!r}"
            )
        if self.density_form not in get_args(DensityForm):
            raise ValueError(
                f"VitalRates.density_form must be one of {get_args(DensityForm)}, "
                f"got {self.density_form!r}"
            )
        if self.density_form == "theta_logistic" and np.any(self.density_strength <= 0):
            raise ValueError(
                "VitalRates.density_strength (theta) must be positive for theta_logistic; "
                f"got {float(np.min(self.density_strength))!r}"
            )
        try:
            _ = self.batch_shape
        except ValueError as err:
            shapes = {n: np.shape(getattr(self, n)) for n in _ARRAY_FIELDS}
            raise ValueError(f"VitalRates fields do not broadcast together: {shapes}") from err

    @property
    def batch_shape(self) -> tuple[int, ...]:
        """Broadcast shape of the leading (batch) axes of all fields."""
        shapes = []
        for name, (core, *_rest) in _ARRAY_FIELDS.items():
            shape = np.shape(getattr(self, name))
            shapes.append(shape[: len(shape) - len(core)])
        return tuple(np.broadcast_shapes(*shapes))

    @classmethod
    def kuhl_2009(cls, *, survival: ArrayLike, **kwargs: Any) -> Self:
        """Rates with the published fecundity and twinning of Kühl et al. (2009).

        Yearlings (calving at age 1 after conceiving at ~7 months): 77.4 % fecund,
        11.7 % twinned; females ≥ 2 years: 94.6 % fecund, 72.6 % twinned; birth sex ratio
        0.5. Survival has no published values and must be given.

        Parameters
        ----------
        survival
            Over-winter survival, shape ``(..., 2, 3)`` (sex × calf, yearling, adult).
        **kwargs
            Any other :class:`VitalRates` field (e.g. ``harem_size``), overriding defaults.

        Returns
        -------
        VitalRates

        References
        ----------
        Kühl A., Mysterud A., Grachev Iu.A., Bekenov A.B., Ubushaev B.S., Lushchekina A.A.,
        Milner-Gulland E.J. (2009) Monitoring population productivity in the saiga antelope.
        *Animal Conservation* 12:355–363.

        Examples
        --------
        >>> rates = VitalRates.kuhl_2009(survival=np.ones((2, 3)))
        >>> rates.twinning
        array([0.117, 0.726])
        """
        kwargs.setdefault("fecundity", KUHL_2009_FECUNDITY)
        kwargs.setdefault("twinning", KUHL_2009_TWINNING)
        return cls(survival=survival, **kwargs)

    def replace(self, **changes: Any) -> Self:
        """Return a validated copy with some fields changed.

        Examples
        --------
        >>> rates = VitalRates.kuhl_2009(survival=np.ones((2, 3)))
        >>> float(rates.replace(harem_size=30.0).harem_size)
        30.0
        """
        return dataclasses.replace(self, **changes)

    def conception(self, males: ArrayLike, females: ArrayLike) -> NDArray[np.float64]:
        """Conception probability at these breeding numbers, with this object's mating settings.

        Examples
        --------
        >>> rates = VitalRates.kuhl_2009(survival=np.ones((2, 3)))
        >>> float(rates.conception(15.0, 100.0)), round(float(rates.conception(1.0, 100.0)), 3)
        (1.0, 0.656)
        """
        return conception_probability(
            males,
            females,
            self.harem_size,
            form=self.mating_form,
            half_share=self.mating_half_share,
            steepness=self.mating_steepness,
            reference_ratio=self.mating_reference_ratio,
        )
