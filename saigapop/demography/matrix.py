r"""Matrix population analysis (Caswell 2001) and the linearised saiga projection matrices.

The general functions accept any square projection matrix ``A`` with shape ``(..., n, n)``
(leading axes are batch axes) and follow the conventions of the R package *popbio*:

* :func:`lambda_` — dominant eigenvalue (the eigenvalue with the largest real part, which
  for a non-negative matrix is the Perron root);
* :func:`stable_stage` — right eigenvector ``w``, normalised to sum to 1;
* :func:`reproductive_value` — left eigenvector ``v``, normalised so ``v[0] = 1``;
* :func:`sensitivity` — :math:`\partial\lambda/\partial a_{ij} = v_i w_j / \langle v, w\rangle`
  (for every entry, including structural zeros);
* :func:`elasticity` — :math:`(a_{ij}/\lambda)\,\partial\lambda/\partial a_{ij}` (sums to 1);
* :func:`net_reproductive_rate` — :math:`R_0 = \rho(F (I - T)^{-1})` with ``A = T + F``;
* :func:`generation_time` — :math:`\log R_0 / \log \lambda`;
* :func:`damping_ratio` — :math:`\lambda_1 / |\lambda_2|`.

The saiga matrices are pre-breeding-census matrices on census classes (see
``docs/annual_cycle.md``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from saigapop.constants import FEMALE, MALE
from saigapop.demography.vital_rates import VitalRates

__all__ = [
    "damping_ratio",
    "elasticity",
    "female_matrix",
    "generation_time",
    "lambda_",
    "net_reproductive_rate",
    "reproductive_value",
    "sensitivity",
    "split_first_row",
    "stable_stage",
    "two_sex_linearised_matrix",
]

Array = NDArray[np.float64]


def _square(A: ArrayLike, name: str = "A") -> Array:
    arr = np.asarray(A, dtype=np.float64)
    if arr.ndim < 2 or arr.shape[-1] != arr.shape[-2]:
        raise ValueError(f"{name} must be square in its last two axes, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite")
    return arr


def _dominant(A: Array) -> tuple[Array, Array]:
    """Dominant eigenvalue (largest real part) and its right eigenvector, both real."""
    values, vectors = np.linalg.eig(A)
    idx = np.argmax(values.real, axis=-1)
    lam = np.take_along_axis(values, idx[..., None], axis=-1)[..., 0]
    vec = np.take_along_axis(vectors, idx[..., None, None], axis=-1)[..., 0]
    return lam.real, vec.real


def lambda_(A: ArrayLike) -> Array:
    """Asymptotic growth rate: the dominant eigenvalue of ``A``.

    Parameters
    ----------
    A
        Projection matrix ``(..., n, n)``.

    Returns
    -------
    numpy.ndarray
        ``(...)``.

    Examples
    --------
    >>> round(float(lambda_([[0.5, 2.0], [0.3, 0.8]])), 6)
    1.438987
    """
    return _dominant(_square(A))[0]


def stable_stage(A: ArrayLike) -> Array:
    """Stable stage distribution: the dominant right eigenvector, summing to 1.

    Examples
    --------
    >>> stable_stage([[0.0, 2.0], [0.5, 0.0]])
    array([0.66666667, 0.33333333])
    """
    _, w = _dominant(_square(A))
    return w / w.sum(axis=-1, keepdims=True)


def reproductive_value(A: ArrayLike) -> Array:
    """Reproductive value: the dominant left eigenvector, scaled so its first element is 1.

    Examples
    --------
    >>> reproductive_value([[0.0, 2.0], [0.5, 0.0]])
    array([1., 2.])
    """
    _, v = _dominant(np.swapaxes(_square(A), -1, -2))
    return v / v[..., :1] + 0.0  # + 0.0 turns -0.0 into 0.0


def sensitivity(A: ArrayLike) -> Array:
    r"""Sensitivity of λ to each entry: :math:`s_{ij} = v_i w_j / \sum_k v_k w_k`.

    Examples
    --------
    >>> sensitivity([[0.0, 2.0], [0.5, 0.0]]).round(4)
    array([[0.5 , 0.25],
           [1.  , 0.5 ]])
    """
    arr = _square(A)
    w = stable_stage(arr)
    v = reproductive_value(arr)
    vw = np.sum(v * w, axis=-1)[..., None, None]
    return v[..., :, None] * w[..., None, :] / vw + 0.0


def elasticity(A: ArrayLike) -> Array:
    """Elasticity of λ to each entry, ``(a_ij / λ) s_ij``; the entries sum to 1.

    Examples
    --------
    >>> elasticity([[0.0, 2.0], [0.5, 0.0]])
    array([[0. , 0.5],
           [0.5, 0. ]])
    """
    arr = _square(A)
    return arr * sensitivity(arr) / lambda_(arr)[..., None, None]


def split_first_row(A: ArrayLike) -> tuple[Array, Array]:
    """Split ``A = T + F`` with fertility ``F`` = the first row of ``A`` and ``T`` the rest.

    This is the usual convention for a stage-classified matrix whose first stage holds the
    newborn (popbio's ``net.reproductive.rate`` default). It is wrong when the first row
    also holds survival (e.g. a stasis term ``a_11``): pass ``T`` and ``F`` explicitly.

    Examples
    --------
    >>> T, F = split_first_row([[0.0, 2.0], [0.5, 0.9]])
    >>> F
    array([[0., 2.],
           [0., 0.]])
    """
    arr = _square(A)
    fertility = np.zeros_like(arr)
    fertility[..., 0, :] = arr[..., 0, :]
    return arr - fertility, fertility


def _decompose(
    A: ArrayLike | None,
    transitions: ArrayLike | None,
    fertility: ArrayLike | None,
    split: Callable[[ArrayLike], tuple[Array, Array]],
) -> tuple[Array, Array]:
    if A is None:
        if transitions is None or fertility is None:
            raise ValueError("give A, or both transitions and fertility")
        return _square(transitions, "transitions"), _square(fertility, "fertility")
    if transitions is not None:
        raise ValueError("give either A (with optional fertility) or transitions, not both")
    if fertility is not None:
        arr, f = _square(A), _square(fertility, "fertility")
        return arr - f, f
    return split(A)


def net_reproductive_rate(
    A: ArrayLike | None = None,
    *,
    transitions: ArrayLike | None = None,
    fertility: ArrayLike | None = None,
    split: Callable[[ArrayLike], tuple[Array, Array]] = split_first_row,
) -> Array:
    r"""Net reproductive rate :math:`R_0 = \rho(F N)`, :math:`N = (I - T)^{-1}`.

    ``A = T + F`` is decomposed as: ``transitions`` and ``fertility`` if both are given;
    ``T = A - fertility`` if ``A`` and ``fertility`` are given; otherwise ``split(A)``
    (default :func:`split_first_row`).

    Raises
    ------
    ValueError
        If the spectral radius of ``T`` is not below 1 (the fundamental matrix ``N`` does
        not exist).

    Examples
    --------
    >>> round(float(net_reproductive_rate([[0.0, 2.0], [0.5, 0.0]])), 6)
    1.0
    """
    T, F = _decompose(A, transitions, fertility, split)
    radius = np.max(np.abs(np.linalg.eigvals(T)), axis=-1)
    if np.any(radius >= 1.0):
        raise ValueError(
            f"the transition matrix T must have spectral radius < 1, got {radius.max():.6g}"
        )
    eye = np.eye(T.shape[-1])
    fundamental = np.linalg.inv(eye - T)
    return lambda_(F @ fundamental)


def generation_time(
    A: ArrayLike | None = None,
    *,
    transitions: ArrayLike | None = None,
    fertility: ArrayLike | None = None,
    split: Callable[[ArrayLike], tuple[Array, Array]] = split_first_row,
) -> Array:
    r"""Compute the generation time :math:`\log R_0 / \log \lambda` (Caswell 2001).

    Decomposition as in :func:`net_reproductive_rate`; ``λ`` is that of ``T + F``.
    Undefined (NaN) where ``λ = 1`` exactly.

    Examples
    --------
    >>> round(float(generation_time([[0.0, 4.0], [0.5, 0.0]])), 6)
    2.0
    """
    T, F = _decompose(A, transitions, fertility, split)
    r0 = net_reproductive_rate(transitions=T, fertility=F)
    log_lam = np.log(lambda_(T + F))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(log_lam == 0.0, np.nan, np.log(r0) / log_lam)


def damping_ratio(A: ArrayLike) -> Array:
    """Damping ratio ``λ1 / |λ2|``: dominant eigenvalue over the next largest modulus.

    Examples
    --------
    >>> round(float(damping_ratio([[0.5, 2.0], [0.3, 0.8]])), 6)
    10.353413
    """
    arr = _square(A)
    values = np.linalg.eigvals(arr)
    idx = np.argmax(values.real, axis=-1)
    lam = np.take_along_axis(values.real, idx[..., None], axis=-1)[..., 0]
    moduli = np.abs(values)
    np.put_along_axis(moduli, idx[..., None], -np.inf, axis=-1)
    with np.errstate(divide="ignore"):
        return lam / np.max(moduli, axis=-1)


def female_matrix(
    rates: VitalRates, *, conception: ArrayLike = 1.0, density_factor: ArrayLike = 1.0
) -> Array:
    r"""Female-only pre-breeding census matrix on (yearling, adult) at fixed conception.

    .. math::

        A = \begin{pmatrix}
            \rho S_{f,c} P D \phi_y (1 + \tau_y) & \rho S_{f,c} P D \phi_{ad} (1 + \tau_{ad}) \\
            S_{f,y} & S_{f,ad}
        \end{pmatrix}

    with ``ρ`` the birth sex ratio (0.5), ``P`` the conception probability and ``D`` the
    density factor — exactly the female part of :func:`saigapop.demography.step` without
    removals or mass mortality.

    Returns
    -------
    numpy.ndarray
        ``(..., 2, 2)`` over ``rates.batch_shape`` and the shapes of the arguments.

    Examples
    --------
    >>> rates = VitalRates.kuhl_2009(survival=np.ones((2, 3)))
    >>> round(float(lambda_(female_matrix(rates))), 4)
    1.6632
    """
    p = np.asarray(conception, dtype=np.float64)
    d = np.asarray(density_factor, dtype=np.float64)
    s = rates.survival
    recruit = rates.birth_sex_ratio * s[..., FEMALE, 0] * p * d
    top = recruit[..., None] * rates.fecundity * (1.0 + rates.twinning)
    bottom = s[..., FEMALE, 1:]
    top, bottom = np.broadcast_arrays(top, bottom)
    return np.stack([top, bottom], axis=-2)


def two_sex_linearised_matrix(
    rates: VitalRates,
    *,
    males_per_female: ArrayLike | None = None,
    conception: ArrayLike | None = None,
    density_factor: ArrayLike = 1.0,
) -> Array:
    r"""Two-sex pre-breeding census matrix, linearised at a fixed mating ratio.

    Stages (female yearling, female adult, male yearling, male adult). The conception
    probability is ``P = g(r, 1)`` from the mating function in ``rates`` at
    ``r = males_per_female`` — breeding males per breeding female *at the rut*, where
    breeding females include the 7-month female calves — or ``conception`` directly.

    .. math::

        A = \begin{pmatrix}
            \rho S_{f,c} P D b_y & \rho S_{f,c} P D b_{ad} & 0 & 0 \\
            S_{f,y} & S_{f,ad} & 0 & 0 \\
            (1-\rho) S_{m,c} P D b_y & (1-\rho) S_{m,c} P D b_{ad} & 0 & 0 \\
            0 & 0 & S_{m,y} & S_{m,ad}
        \end{pmatrix}, \qquad b_a = \phi_a (1 + \tau_a)

    At fixed ``P`` males do not feed back on females, so λ is that of
    :func:`female_matrix` unless ``S_{m,ad}`` exceeds it; the matrix's value is the stable
    two-sex structure. It linearises the nonlinear cycle of :func:`saigapop.demography.step`
    (no removals or mass mortality) at the ratio ``r`` its stable state produces.

    Examples
    --------
    >>> rates = VitalRates.kuhl_2009(survival=np.full((2, 3), 0.8), harem_size=20.0,
    ...                           mating_form="exponential")
    >>> A = two_sex_linearised_matrix(rates, males_per_female=0.15)
    >>> A.shape, round(float(A[0, 1]), 4)
    ((4, 4), 0.6206)
    """
    if (males_per_female is None) == (conception is None):
        raise ValueError("give exactly one of males_per_female and conception")
    if conception is None:
        p = rates.conception(males_per_female, 1.0)
    else:
        p = np.asarray(conception, dtype=np.float64)
    d = np.asarray(density_factor, dtype=np.float64)
    s = rates.survival
    per_female = rates.fecundity * (1.0 + rates.twinning)
    f_recruit = (rates.birth_sex_ratio * s[..., FEMALE, 0] * p * d)[..., None] * per_female
    m_recruit = ((1.0 - rates.birth_sex_ratio) * s[..., MALE, 0] * p * d)[..., None] * per_female
    f_surv = s[..., FEMALE, 1:]
    m_surv = s[..., MALE, 1:]
    f_recruit, m_recruit, f_surv, m_surv = np.broadcast_arrays(f_recruit, m_recruit, f_surv, m_surv)
    zeros = np.zeros_like(f_recruit)
    rows = [
        np.concatenate([f_recruit, zeros], axis=-1),
        np.concatenate([f_surv, zeros], axis=-1),
        np.concatenate([m_recruit, zeros], axis=-1),
        np.concatenate([zeros, m_surv], axis=-1),
    ]
    return np.stack(rows, axis=-2)
