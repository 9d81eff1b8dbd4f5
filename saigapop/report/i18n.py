"""Report language: which language the report text is built in, and its message lookup.

Every reader-facing string of the report is written in English in the code, wrapped in
:func:`_` (``_("Recommended quota")``; with values, ``_("Quota for {year}").format(year=y)``),
and looked up in the message catalogue of the active language. The active language is set
for a block of code with :func:`use_language`.

Examples
--------
>>> from saigapop.report.i18n import _, current_language, use_language
>>> current_language()
'en'
>>> with use_language("en"):
...     _("Recommended quota")
'Recommended quota'
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["LANGUAGES", "_", "current_language", "gettext", "use_language"]

#: Languages the report can be written in.
LANGUAGES: tuple[str, ...] = ("en",)

_LANGUAGE: ContextVar[str] = ContextVar("saigapop_report_language", default="en")


def current_language() -> str:
    """Return the language report text is currently built in."""
    return _LANGUAGE.get()


@contextmanager
def use_language(language: str) -> Iterator[str]:
    """Build report text in ``language`` inside the ``with`` block."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, got {language!r}")
    token = _LANGUAGE.set(language)
    try:
        yield language
    finally:
        _LANGUAGE.reset(token)


def gettext(message: str) -> str:
    """Translate ``message`` into the active language."""
    return message


_ = gettext
