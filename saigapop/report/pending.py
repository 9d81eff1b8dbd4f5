"""Deprecated shim: the quota gate (whether the fit passed its checks).

Moved to :mod:`saigapop.validation.outcomes`.

Importing a name from here still works for one release and raises a
:class:`DeprecationWarning` naming its new home.
"""

from __future__ import annotations

import importlib
import warnings
from typing import Any

_MOVED: dict[str, str] = {
    "checklist_passed": "saigapop.validation.outcomes",
    "diagnostics_passed": "saigapop.validation.outcomes",
    "diagnostics_section": "saigapop.report.checklist_section",
}


def __getattr__(name: str) -> Any:
    if name not in _MOVED:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    home = _MOVED[name]
    warnings.warn(
        f"{__name__}.{name} is deprecated: use {home}.{name}",
        DeprecationWarning,
        stacklevel=2,
    )
    return getattr(importlib.import_module(home), name)
