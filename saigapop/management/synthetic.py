"""Deprecated: use :func:`saigapop.testing.synthetic_posterior`.

The synthetic-posterior factory exists once, in :mod:`saigapop.testing`. This shim keeps
``saigapop.management.synthetic_posterior`` working for one release with a
``DeprecationWarning`` naming the replacement; it returns the same posterior.
"""

from __future__ import annotations

import warnings
from typing import Any

import xarray as xr

__all__ = ["synthetic_posterior"]


def synthetic_posterior(*args: Any, **kwargs: Any) -> xr.DataTree:
    """Return :func:`saigapop.testing.synthetic_posterior` (deprecated alias, warns).

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     dt = synthetic_posterior({"A": 1e5}, chains=1, draws=2)
    >>> "saigapop.testing.synthetic_posterior" in str(caught[0].message)
    True
    """
    warnings.warn(
        "saigapop.management.synthetic_posterior is deprecated; use "
        "saigapop.testing.synthetic_posterior",
        DeprecationWarning,
        stacklevel=2,
    )
    from saigapop import testing  # loads the model builder: only when this alias is used

    return testing.synthetic_posterior(*args, **kwargs)
