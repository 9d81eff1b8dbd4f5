"""Module-level ``__getattr__`` for names that moved: the one mechanism of every deprecated shim."""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable, Mapping
from typing import Any


def moved_names(module: str, moved: Mapping[str, str]) -> Callable[[str], Any]:
    """Return a module ``__getattr__`` that serves ``moved`` names from their new homes.

    Each access raises a :class:`DeprecationWarning` naming the replacement; any other name is
    an :class:`AttributeError`.

    Examples
    --------
    >>> import warnings
    >>> getter = moved_names("old", {"sqrt": "math"})
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     getter("sqrt")(4.0), str(caught[0].message)
    (2.0, 'old.sqrt is deprecated: use math.sqrt')
    """

    def __getattr__(name: str) -> Any:
        if name not in moved:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        home = moved[name]
        warnings.warn(
            f"{module}.{name} is deprecated: use {home}.{name}", DeprecationWarning, stacklevel=2
        )
        return getattr(importlib.import_module(home), name)

    return __getattr__
