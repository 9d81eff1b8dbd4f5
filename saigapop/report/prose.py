"""Prose helpers: sentences built deterministically from numbers already in a ValueBook.

Each helper takes formatted numbers (strings returned by :meth:`ValueBook.add`) or plain
words, never raw floats, so a number cannot reach the prose without being a named value.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["join_words", "plural", "pretty_kind"]

_KIND_WORDS = {
    "count": "count",
    "total": "national total",
    "partial_total": "partial national total",
    "redundant_total": "sum of that year's counts",
    "upper_bound": "upper bound",
    "lower_bound": "lower bound",
    "estimate": "estimate (not a count)",
    "missing": "survey not flown",
    "mass_mortality": "mass die-off",
    "cull_composition": "cull composition",
}


def pretty_kind(kind: str) -> str:
    """Plain-English name of a census, removal or composition ``kind``.

    Examples
    --------
    >>> pretty_kind("redundant_total"), pretty_kind("cull")
    ("sum of that year's counts", 'cull')
    """
    return _KIND_WORDS.get(kind, kind.replace("_", " "))


def plural(n_formatted: str, singular: str, plural_form: str | None = None) -> str:
    """``"1 row"`` / ``"3 rows"`` from an already formatted count.

    Examples
    --------
    >>> plural("1", "row"), plural("12", "row"), plural("2", "die-off", "die-offs")
    ('1 row', '12 rows', '2 die-offs')
    """
    word = singular if n_formatted == "1" else (plural_form or singular + "s")
    return f"{n_formatted} {word}"


def join_words(items: Sequence[str], conjunction: str = "and") -> str:
    """Join with commas and a final conjunction.

    Examples
    --------
    >>> join_words(["a"]), join_words(["a", "b"]), join_words(["a", "b", "c"])
    ('a', 'a and b', 'a, b and c')
    """
    items = list(items)
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"
