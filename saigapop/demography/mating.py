"""Mating function: probability that a breeding female conceives at the December rut."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from saigapop.constants import DEFAULT_HAREM_SIZE
from saigapop.demography._xp import NUMPY_OPS, Ops

__all__ = ["conception_from_ratio", "conception_probability"]

MATING_FORMS = ("exponential", "hill", "sigmoid")


def conception_from_ratio(
    ratio: Any,
    females: Any,
    *,
    form: str = "exponential",
    harem_size: Any = DEFAULT_HAREM_SIZE,
    half_share: Any = 0.01,
    steepness: Any = 3.0,
    ops: Ops = NUMPY_OPS,
) -> Any:
    """Compute conception from the breeding ratio on any array namespace (no validation).

    The single implementation used by :func:`conception_probability`, the annual-cycle
    kernel (:mod:`saigapop.demography.kernel`), the operating model and the PyMC model.
    ``ratio`` is breeding males per breeding female as given by ``ops.ratio`` (``+inf``
    with males and no females); ``P = 0`` wherever ``females`` is 0.

    Examples
    --------
    >>> round(float(conception_from_ratio(0.15, 100.0, harem_size=20.0)), 4)
    0.9502
    """
    if form == "exponential":
        p = -ops.expm1(-harem_size * ratio)
    elif form in ("hill", "sigmoid"):
        log_r50 = ops.log(half_share / (1.0 - half_share))
        p = ops.sigmoid(steepness * (ops.log(ratio) - log_r50))
    else:
        raise ValueError(f"form must be 'exponential' or 'hill' ('sigmoid'), got {form!r}")
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
    form: str = "exponential",
    half_share: ArrayLike = 0.01,
    steepness: ArrayLike = 3.0,
) -> NDArray[np.float64]:
    r"""Probability that a breeding female conceives, given breeding males and females.

    With :math:`r = M/F` breeding males per breeding female:

    * ``form="exponential"`` (DESIGN §2 default): :math:`P = 1 - \exp(-h\,r)`. Each male can
      serve about ``h`` females; ``P ≈ h r`` when males are scarce and saturates at 1.
    * ``form="hill"`` (``"sigmoid"`` is an alias): :math:`P = 1 / (1 + (r_{50}/r)^k)` with
      :math:`r_{50} = s_{50} / (1 - s_{50})`, where :math:`s_{50}` (``half_share``) is the
      male share :math:`M/(M+F)` of breeders at which conception is one half and ``k``
      (``steepness``) the Hill exponent. ``half_share=0.01`` puts the collapse at the ~1 %
      males of Kalmykia (Milner-Gulland et al. 2003); ``0.03`` is a pessimistic trial.

    In both forms ``P = 0`` when ``M = 0`` and, safely (no division warning), when
    ``F = 0``. ``P`` is non-decreasing in ``M/F``.

    What the default gives (exact to 3 decimals; "1 per 100" means ``r = 0.01``):

    ========  ================  =================  ============================
    ``h``     1 male / 100 F    15 males / 100 F   ``r`` needed for ``P = 0.95``
    ========  ================  =================  ============================
    12        0.113             0.835              0.250 (25 per 100)
    20        0.181             0.950              0.150 (15 per 100)
    30        0.259             0.989              0.100 (10 per 100)
    ========  ================  =================  ============================

    So the exponential form "fails" at one male per 100 females only in the sense that
    conception falls to 11–26 %, not to zero, and it is *not* saturated at 15 per 100 when
    ``h = 12`` (83.5 %). Whether saturation is reached by 10–20 males per 100 depends on
    ``h``, which is why ``h`` carries a prior (12–30) rather than a fixed value.

    Parameters
    ----------
    males, females
        Breeding males and breeding females (numbers, or any proportional quantities);
        non-negative, broadcastable against each other.
    harem_size
        ``h``, exponential form only; must be positive.
    form
        ``"exponential"`` or ``"hill"`` (alias ``"sigmoid"``).
    half_share
        Hill form only: male share of breeders at which ``P = 0.5``, in ``(0, 1)``.
    steepness
        Hill form only: exponent ``k > 0``.

    Returns
    -------
    numpy.ndarray
        Conception probability, the broadcast shape of the inputs.

    Raises
    ------
    ValueError
        For negative or NaN numbers, non-positive ``h`` or ``k``, ``half_share`` outside
        ``(0, 1)`` or an unknown ``form``.

    References
    ----------
    Milner-Gulland E.J. et al. (2003) Reproductive collapse in saiga antelope harems.
    *Nature* 422:135.

    Examples
    --------
    >>> round(float(conception_probability(1.0, 100.0, 20.0)), 4)
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
    elif form in ("hill", "sigmoid"):
        s50 = np.asarray(half_share, dtype=np.float64)
        k = np.asarray(steepness, dtype=np.float64)
        if np.any(np.isnan(s50) | (s50 <= 0) | (s50 >= 1)):
            raise ValueError(f"half_share must lie in (0, 1), got {half_share!r}")
        if np.any(np.isnan(k) | (k <= 0)):
            raise ValueError(f"steepness must be positive, got {steepness!r}")
    else:
        raise ValueError(f"form must be 'exponential' or 'hill' ('sigmoid'), got {form!r}")
    return np.asarray(
        conception_from_ratio(
            NUMPY_OPS.ratio(m, f),
            np.broadcast_to(f, np.broadcast_shapes(m.shape, f.shape)),
            form=form,
            harem_size=np.asarray(harem_size, dtype=np.float64),
            half_share=np.asarray(half_share, dtype=np.float64),
            steepness=np.asarray(steepness, dtype=np.float64),
        ),
        dtype=np.float64,
    )
