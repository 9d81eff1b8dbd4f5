"""Density dependence: a factor in ``[0, 1]`` multiplying fecundity (hence recruitment)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from saigapop.demography._xp import NUMPY_OPS, Ops

__all__ = ["DENSITY_FORMS", "density_factor", "density_from_total"]

DENSITY_FORMS = ("none", "beverton_holt", "ricker", "theta_logistic")


def density_from_total(
    total: Any, *, form: str, carrying_capacity: Any, strength: Any, ops: Ops = NUMPY_OPS
) -> Any:
    """Compute the density factor on any array namespace (no validation).

    The single implementation used by :func:`density_factor`, the annual-cycle kernel, the
    operating model and the PyMC model (which uses ``"ricker"``, with strength 0 when
    density dependence is off). ``"none"`` returns the Python float 1.0.

    Examples
    --------
    >>> float(density_from_total(1000.0, form="ricker", carrying_capacity=1000.0, strength=0.0))
    1.0
    """
    if form == "none":
        return 1.0
    x = total / carrying_capacity
    if form == "beverton_holt":
        return 1.0 / (1.0 + strength * x)
    if form == "ricker":
        return ops.exp(-strength * x)
    if form == "theta_logistic":
        return ops.maximum(0.0, 1.0 - x**strength)
    raise ValueError(
        f"form must be 'none', 'beverton_holt', 'ricker' or 'theta_logistic', got {form!r}"
    )


def density_factor(
    total: ArrayLike,
    *,
    form: str = "none",
    carrying_capacity: ArrayLike = np.inf,
    strength: ArrayLike = 1.0,
) -> NDArray[np.float64]:
    r"""Multiplier of fecundity as a function of the census total ``N``.

    With :math:`x = N / K` (``K`` = ``carrying_capacity``, ``b`` = ``strength``):

    =================== =========================================== =============================
    ``form``            factor                                      notes
    =================== =========================================== =============================
    ``none``            :math:`1`
    ``beverton_holt``   :math:`1 / (1 + b\,x)`                      one half at ``N = K/b``
    ``ricker``          :math:`\exp(-b\,x)`                         :math:`e^{-b}` at ``N = K``
    ``theta_logistic``  :math:`\max(0,\ 1 - x^{b})`, ``b = θ > 0``   zero at and above ``K``
    =================== =========================================== =============================

    Every form equals 1 at ``N = 0`` and is non-increasing in ``N``. ``K`` is a density
    *scale* for the fecundity factor, not the equilibrium abundance, which also depends on
    survival (only for ``theta_logistic`` is fecundity zero at ``K``).

    Parameters
    ----------
    total
        Census total ``N`` (non-negative), any shape.
    form
        One of ``"none"``, ``"beverton_holt"``, ``"ricker"``, ``"theta_logistic"``.
    carrying_capacity
        ``K > 0`` (``inf`` gives a factor of 1).
    strength
        ``b ≥ 0`` (``θ > 0`` for ``theta_logistic``).

    Returns
    -------
    numpy.ndarray
        The factor, broadcast over the inputs.

    Examples
    --------
    >>> float(density_factor(1000.0, form="beverton_holt", carrying_capacity=1000.0))
    0.5
    >>> density_factor([0.0, 2e6], form="theta_logistic", carrying_capacity=1e6)
    array([1., 0.])
    """
    n = np.asarray(total, dtype=np.float64)
    if np.any(np.isnan(n) | (n < 0)):
        raise ValueError(f"total must be non-negative, got {total!r}")
    k = np.asarray(carrying_capacity, dtype=np.float64)
    b = np.asarray(strength, dtype=np.float64)
    if np.any(np.isnan(k) | (k <= 0)):
        raise ValueError(f"carrying_capacity must be positive, got {carrying_capacity!r}")
    if np.any(np.isnan(b) | (b < 0) | np.isinf(b)):
        raise ValueError(f"strength must be finite and non-negative, got {strength!r}")
    if form == "none":
        return np.ones(np.broadcast_shapes(n.shape, k.shape, b.shape))
    if form == "theta_logistic" and np.any(b <= 0):
        raise ValueError(f"strength (theta) must be positive for theta_logistic, got {b!r}")
    if form not in DENSITY_FORMS:
        raise ValueError(
            f"form must be 'none', 'beverton_holt', 'ricker' or 'theta_logistic', got {form!r}"
        )
    return np.asarray(density_from_total(n, form=form, carrying_capacity=k, strength=b))
