"""Report language: which language the report text is built in, and its message lookup.

Every reader-facing string of the report is written in English in the code, wrapped in
:func:`_` (``_("Recommended quota")``; with values, ``_("Quota for {year}").format(year=y)``),
and looked up in the message catalogue of the active language (:mod:`saigapop.locale`, a
gettext ``.po`` file read with Babel). The active language is set for a block of code with
:func:`use_language`. Column names and data vocabulary are marked with :func:`N_` and
translated where the exporters lay them out, so the machine-readable bundle stays the same
in every language.

Examples
--------
>>> from saigapop.report.i18n import _, current_language, use_language
>>> current_language()
'en'
>>> with use_language("ru"):
...     _("Summary and recommended quotas")
'Резюме и рекомендуемые квоты'
"""

from __future__ import annotations

from saigapop.locale import (
    LANGUAGES,
    N_,
    NP_,
    _,
    current_language,
    gettext,
    ngettext,
    use_language,
    validate_language,
)

__all__ = [
    "LANGUAGES",
    "NP_",
    "N_",
    "_",
    "current_language",
    "gettext",
    "ngettext",
    "use_language",
    "validate_language",
]
