"""The one formatting function every exporter and every prose helper uses.

A number is printed the same way in prose, HTML, PDF and DOCX, so a test can look for
``format_value(payload.values[name], name)`` in the text of each and find it. The bundle is
the exception: it stores raw numbers (dot decimal, no grouping) for machines.

Numbers follow the active report language (:mod:`saigapop.report.i18n`): English
``1,150,000`` and ``1.66``; Russian ``1 150 000`` (no-break space) and ``1,66``. The digits
are the same in every language: the number is rounded once, in English form, and only the
grouping and decimal symbols (Babel's CLDR symbols for the language) are swapped.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
import re

import pandas as pd
from babel.dates import format_date as babel_date
from babel.dates import format_time

from saigapop.locale import _, current_language, format_number, localise_number

__all__ = ["format_date", "format_value", "is_plain_name", "localise_number"]


def format_date(value: dt.datetime | str, language: str | None = None) -> str:
    r"""Format a report date: ISO 8601 in English, ``15 января 2026 г., 09:30`` in Russian.

    Examples
    --------
    >>> import datetime as dt
    >>> d = dt.datetime(2026, 1, 15, 9, 30, tzinfo=dt.UTC)
    >>> format_date(d, "en"), format_date(d, "ru")
    ('2026-01-15T09:30:00+00:00', '15 января 2026\u202fг., 09:30')
    """
    language = language or current_language()
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if language == "en":
        return value.isoformat()
    day = babel_date(value, format="long", locale=language)
    return f"{day}, {format_time(value, format='HH:mm', locale=language)}"


_NUMERIC = re.compile(r"-?[\d,]+(\.\d+)?")

#: Name fragments of identifiers printed without digit grouping (``2025``, not ``2,025``).
_PLAIN_WORDS = ("year", "seed", "draws", "chains", "tune", "id", "row")


def is_plain_name(name: str | None) -> bool:
    """Whether a value or column called ``name`` is an identifier printed without grouping.

    Years, seeds, file lines and sampler settings are identifiers, not quantities: ``2025``
    rather than ``2,025``. The rule looks at the last word of the name only, so
    ``annual_cap_kg`` is a quantity but ``latest_count_year`` is a year.

    Parameters
    ----------
    name
        A value name (``"census.latest_year"``) or a column title (``"Year"``).

    Returns
    -------
    bool

    Examples
    --------
    >>> is_plain_name("census.Ural.latest_year"), is_plain_name("Count (animals)")
    (True, False)
    >>> is_plain_name("Census year"), is_plain_name("cites.annual_cap_kg")
    (True, False)
    """
    if not name:
        return False
    words = name.lower().replace(".", " ").replace("_", " ").replace("(", " ").split()
    return bool(words) and (words[-1] in _PLAIN_WORDS or words[-1].endswith("year"))


def format_value(value: object, name: str | None = None) -> str:
    r"""Format one number (or string) for a human reader.

    Integers and integral floats get thousands separators (``196,000``); other floats
    get three significant digits (``1.66``, ``12.3``, ``0.0123``) and no exponent; missing
    values print as ``n/a``. Symbols and words follow the active report language (Russian:
    ``196 000``, ``1,66``, ``н/д``). Identifiers (years, seeds; see :func:`is_plain_name`) print
    without grouping. Negative numbers use an ASCII hyphen so that text extraction from
    PDF and DOCX finds them.

    Parameters
    ----------
    value
        The value: ``int``, ``float``, numpy scalar, ``bool``, ``str`` or ``None``.
    name
        Optional value name or column title, used only to recognise identifiers.

    Returns
    -------
    str

    Examples
    --------
    >>> format_value(196000), format_value(1.6612), format_value(2025, "latest_year")
    ('196,000', '1.66', '2025')
    >>> format_value(float("nan")), format_value(0.01234), format_value(-1234.5)
    ('n/a', '0.0123', '-1,234')
    >>> from saigapop.report.i18n import use_language
    >>> with use_language("ru"):
    ...     format_value(1150000), format_value(1.6612), format_value(None)
    ('1\xa0150\xa0000', '1,66', 'н/д')
    """
    if isinstance(value, str):
        return value
    out = _format_en(value, name)
    return localise_number(out) if _NUMERIC.fullmatch(out) else out


def _format_en(value: object, name: str | None) -> str:
    if value is None:
        return _("n/a")
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if value is pd.NA or value is pd.NaT:
        return _("n/a")
    if not isinstance(value, numbers.Real):
        return str(value)
    x = float(value)
    if math.isnan(x):
        return _("n/a")
    if math.isinf(x):
        return _("infinite") if x > 0 else "-" + _("infinite")
    plain = is_plain_name(name)
    return format_number(value if isinstance(value, numbers.Integral) else x, plain=plain)
