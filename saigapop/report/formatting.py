"""The one formatting function every exporter and every prose helper uses.

A number is printed the same way in prose, HTML, PDF and DOCX, so a test can look for
``format_value(payload.values[name], name)`` in the text of each and find it. The bundle is
the exception: it stores raw numbers (dot decimal, no grouping) for machines.
"""

from __future__ import annotations

import math
import numbers

__all__ = ["format_value", "is_plain_name"]

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
    """Format one number (or string) for a human reader.

    Integers and integral floats get comma thousands separators (``196,000``); other floats
    get three significant digits (``1.66``, ``12.3``, ``0.0123``) and no exponent; missing
    values print as ``n/a``. Identifiers (years, seeds; see :func:`is_plain_name`) print
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
    """
    if value is None:
        return "n/a"
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    try:
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return "n/a"
    except ImportError:  # pragma: no cover - pandas is a dependency
        pass
    if not isinstance(value, numbers.Real):
        return str(value)
    plain = is_plain_name(name)
    if isinstance(value, numbers.Integral):
        return str(int(value)) if plain else f"{int(value):,}"
    x = float(value)
    if math.isnan(x):
        return "n/a"
    if math.isinf(x):
        return "infinite" if x > 0 else "-infinite"
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x)) if plain else f"{int(x):,}"
    if abs(x) >= 1000:
        out = f"{x:.0f}" if plain else f"{x:,.0f}"
    else:
        decimals = max(0, 2 - math.floor(math.log10(abs(x))))
        out = f"{x:.{decimals}f}"
    return "0" if out in ("-0", "-0.0") else out
