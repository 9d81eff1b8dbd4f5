"""Deprecated shim: the quota gate (whether the fit passed its checks).

Moved to :mod:`saigapop.validation.outcomes`.

Importing a name from here still works for one release and raises a
:class:`DeprecationWarning` naming its new home.
"""

from __future__ import annotations

from saigapop._deprecation import moved_names

_MOVED: dict[str, str] = {
    "checklist_passed": "saigapop.validation.outcomes",
    "diagnostics_passed": "saigapop.validation.outcomes",
    "diagnostics_section": "saigapop.report.checklist_section",
}


__getattr__ = moved_names(__name__, _MOVED)
