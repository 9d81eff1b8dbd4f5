"""The few array operations the annual-cycle kernel needs, per array namespace.

:mod:`saigapop.demography.kernel`, :mod:`~saigapop.demography.mating` and
:mod:`~saigapop.demography.density` are written against an :class:`Ops` object so that the
same code runs on numpy arrays (projections, the operating model) and on PyTensor tensors
(the PyMC model; its :class:`Ops` lives in :mod:`saigapop.model.build`, so this layer never
imports PyTensor). Arithmetic (``+ - * /``, ``**``) is written with operators and needs no
entry here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import expit

__all__ = ["NUMPY_OPS", "Ops"]

Fn = Callable[..., Any]


@dataclass(frozen=True)
class Ops:
    """Element-wise operations that differ between array namespaces.

    Attributes
    ----------
    exp, expm1, log, minimum, maximum, sigmoid
        The usual functions (``log(0)`` must give ``-inf`` without a warning).
    where
        ``where(condition, a, b)`` (``numpy.where``, ``pytensor.tensor.switch``).
    ratio
        ``ratio(m, f)``: ``m / f`` where ``f > 0``; ``+inf`` where ``f = 0 < m``; ``0``
        where both are 0 — without division warnings.
    """

    exp: Fn
    expm1: Fn
    log: Fn
    minimum: Fn
    maximum: Fn
    sigmoid: Fn
    where: Fn
    ratio: Fn


def _np_log(x: Any) -> Any:
    x = np.asarray(x, dtype=np.float64)
    return np.log(x, out=np.full(x.shape, -np.inf), where=x > 0)


def _np_ratio(m: Any, f: Any) -> Any:
    m = np.asarray(m, dtype=np.float64)
    f = np.asarray(f, dtype=np.float64)
    m, f = np.broadcast_arrays(m, f)
    return np.divide(m, f, out=np.where(m > 0, np.inf, 0.0), where=f > 0)


#: numpy operations.
NUMPY_OPS = Ops(
    exp=np.exp,
    expm1=np.expm1,
    log=_np_log,
    minimum=np.minimum,
    maximum=np.maximum,
    sigmoid=expit,
    where=np.where,
    ratio=_np_ratio,
)
