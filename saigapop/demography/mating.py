"""Mating function: probability that a breeding female conceives at the December rut."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from saigapop.constants import (
    DEFAULT_HAREM_SIZE,
    DEFAULT_MATING_FORM,
    DEFAULT_MATING_HALF_SHARE,
    DEFAULT_MATING_REFERENCE_RATIO,
    DEFAULT_MATING_STEEPNESS,
)
from saigapop.demography._xp import NUMPY_OPS, Ops

__all__ = ["MATING_FORMS", "conception_from_ratio", "conception_probability"]

#: Mating-function forms: the default ``"normalised_hill"`` (issue 16), the former default
#: ``"exponential"`` (a pessimistic robustness trial), and the plain ``"hill"`` (alias
#: ``"sigmoid"``).
MATING_FORMS = ("normalised_hill", "exponential", "hill", "sigmoid")


def conception_from_ratio(
    ratio: Any,
    females: Any,
    *,
    form: str = DEFAULT_MATING_FORM,
    harem_size: Any = DEFAULT_HAREM_SIZE,
    half_share: Any = DEFAULT_MATING_HALF_SHARE,
    steepness: Any = DEFAULT_MATING_STEEPNESS,
    reference_ratio: Any = DEFAULT_MATING_REFERENCE_RATIO,
    ops: Ops = NUMPY_OPS,
) -> Any:
    """Compute conception from the breeding ratio on any array namespace (no validation).

    The single implementation used by :func:`conception_probability`, the annual-cycle
    kernel (:mod:`saigapop.demography.kernel`), the operating model and the PyMC model.
    ``ratio`` is breeding males per breeding female as given by ``ops.ratio`` (``+inf``
    with males and no females); ``P = 0`` wherever ``females`` is 0. The forms are
    described in :func:`conception_probability`.

    Examples
    --------
    >>> round(float(conception_from_ratio(0.15, 100.0, form="exponential", harem_size=20.0)), 4)
    0.9502
    >>> float(conception_from_ratio(0.15, 100.0))  # the default form, at r_ref
    1.0
    """
    if form == "exponential":
        p = -ops.expm1(-harem_size * ratio)
    elif form in ("hill", "sigmoid", "normalised_hill"):
        log_r50 = ops.log(half_share / (1.0 - half_share))
        p = ops.sigmoid(steepness * (ops.log(ratio) - log_r50))
        if form == "normalised_hill":
            p_ref = ops.sigmoid(steepness * (ops.log(reference_ratio) - log_r50))
            p = ops.minimum(p / p_ref, 1.0)
    else:
        raise ValueError(f"form must be one of {MATING_FORMS}, got {form!r}")
    return ops.where(females > 0, p, 0.0)


def _nonnegative(name: str, value: ArrayLike) -> NDArray[np.float64]:
    arr = np.asarray(value, dtype=np.float64)
    bad = np.isnan(arr) | (arr < 0)
    if np.any(bad):
        raise ValueError(
            f"{name} must be non-negative numbers; got {float(arr[tuple(np.argwhere(bad)[0])])!r}"
        )
    return arr


def conception_probability(
    males: ArrayLike,
    females: ArrayLike,
    harem_size: ArrayLike = DEFAULT_HAREM_SIZE,
    *,
    form: str = DEFAULT_MATING_FORM,
    half_share: ArrayLike = DEFAULT_MATING_HALF_SHARE,
    steepness: ArrayLike = DEFAULT_MATING_STEEPNESS,
    reference_ratio: ArrayLike = DEFAULT_MATING_REFERENCE_RATIO,
) -> NDArray[np.float64]:
    r"""Probability that a breeding female conceives, given breeding males and females.

    With :math:`r = M/F` breeding males per breeding female at the rut (``F`` includes the
    7-month females) and the Hill curve
    :math:`g(r) = 1 / (1 + (r_{50}/r)^k)`, :math:`r_{50} = s_{50} / (1 - s_{50})`:

    * ``form="normalised_hill"`` (default, issue 16):
      :math:`P = \min\{1,\ g(r) / g(r_{\mathrm{ref}})\}`. Conception is 1 at the
      ratio :math:`r_{\mathrm{ref}}` (``reference_ratio``) under which Kühl et al. (2009)
      measured fecundity, and at every larger ratio, so the model's fecundity (Kühl's) is
      not multiplied by a second mate limitation; it collapses to one half near
      :math:`s_{50}` (``half_share``) males — the ~1 % of Kalmykia (Milner-Gulland et al.
      2003). ``min`` is a kink only in name: the slope of :math:`g/g(r_{\mathrm{ref}})` at
      :math:`r_{\mathrm{ref}}` is :math:`k (r_{50}/r_{\mathrm{ref}})^k / r_{\mathrm{ref}}`
      ≈ 0.003 at the prior medians (:math:`g(r_{\mathrm{ref}}) = 0.99984`), so gradients
      for NUTS are continuous to that precision. Evidence and arithmetic:
      ``docs/annual_cycle.md``.
    * ``form="exponential"`` (the former default; a pessimistic robustness trial):
      :math:`P = 1 - \exp(-h\,r)`. Each male can serve about ``h`` females; ``P ≈ h r``
      when males are scarce and saturates at 1 only well above one male per harem.
    * ``form="hill"`` (``"sigmoid"`` is an alias): :math:`P = g(r)`, not normalised.

    In every form ``P = 0`` when ``M = 0`` and, safely (no division warning), when
    ``F = 0``. ``P`` is non-decreasing in ``M/F``.

    What the forms give (3 decimals; "1 per 100" means ``r = 0.01``):

    ==============================  ==============  ===============  ==================
    form                            1 male / 100 F  5 males / 100 F  15 males / 100 F
    ==============================  ==============  ===============  ==================
    normalised Hill, medians        0.656           0.996            1.000
    exponential, ``h`` = 12         0.113           0.451            0.835
    exponential, ``h`` = 20         0.181           0.632            0.950
    exponential, ``h`` = 30         0.259           0.777            0.989
    ==============================  ==============  ===============  ==================

    Parameters
    ----------
    males, females
        Breeding males and breeding females (numbers, or any proportional quantities);
        non-negative, broadcastable against each other.
    harem_size
        ``h``, exponential form only; must be positive.
    form
        ``"normalised_hill"``, ``"exponential"`` or ``"hill"`` (alias ``"sigmoid"``).
    half_share
        Hill forms: male share ``M/(M+F)`` of breeders at which ``g = 0.5``, in ``(0, 1)``.
    steepness
        Hill forms: exponent ``k > 0``.
    reference_ratio
        ``"normalised_hill"`` only: :math:`r_{\mathrm{ref}} > 0` (``inf`` gives the plain
        Hill curve).

    Returns
    -------
    numpy.ndarray
        Conception probability, the broadcast shape of the inputs.

    Raises
    ------
    ValueError
        For negative or NaN numbers, non-positive ``h``, ``k`` or ``reference_ratio``,
        ``half_share`` outside ``(0, 1)`` or an unknown ``form``.

    References
    ----------
    Milner-Gulland E.J. et al. (2003) Reproductive collapse in saiga antelope harems.
    *Nature* 422:135. Kühl A. et al. (2009) Monitoring population productivity in the saiga
    antelope. *Animal Conservation* 12:355–363.

    Examples
    --------
    >>> round(float(conception_probability(1.0, 100.0)), 3)
    0.656
    >>> float(conception_probability(15.0, 100.0))
    1.0
    >>> round(float(conception_probability(1.0, 100.0, 20.0, form="exponential")), 4)
    0.1813
    >>> conception_probability([0.0, 5.0], [100.0, 0.0])
    array([0., 0.])
    >>> round(float(conception_probability(1.0, 99.0, form="hill", half_share=0.01)), 4)
    0.5
    """
    m = _nonnegative("males", males)
    f = _nonnegative("females", females)
    if form == "exponential":
        h = np.asarray(harem_size, dtype=np.float64)
        if np.any(np.isnan(h) | (h <= 0)):
            raise ValueError(f"harem_size must be positive, got {harem_size!r}")
    elif form in ("hill", "sigmoid", "normalised_hill"):
        s50 = np.asarray(half_share, dtype=np.float64)
        k = np.asarray(steepness, dtype=np.float64)
        if np.any(np.isnan(s50) | (s50 <= 0) | (s50 >= 1)):
            raise ValueError(f"half_share must lie in (0, 1), got {half_share!r}")
        if np.any(np.isnan(k) | (k <= 0)):
            raise ValueError(f"steepness must be positive, got {steepness!r}")
        rr = np.asarray(reference_ratio, dtype=np.float64)
        if form == "normalised_hill" and np.any(np.isnan(rr) | (rr <= 0)):
            raise ValueError(f"reference_ratio must be positive, got {reference_ratio!r}")
    else:
        raise ValueError(f"form must be one of {MATING_FORMS}, got {form!r}")
    return np.asarray(
        conception_from_ratio(
            NUMPY_OPS.ratio(m, f),
            np.broadcast_to(f, np.broadcast_shapes(m.shape, f.shape)),
            form=form,
            harem_size=np.asarray(harem_size, dtype=np.float64),
            half_share=np.asarray(half_share, dtype=np.float64),
            steepness=np.asarray(steepness, dtype=np.float64),
            reference_ratio=np.asarray(reference_ratio, dtype=np.float64),
        ),
        dtype=np.float64,
    )
