"""Prose helpers: sentences built deterministically from numbers already in a ValueBook.

Each helper takes formatted numbers (strings returned by :meth:`ValueBook.add`) or plain
words, never raw floats, so a number cannot reach the prose without being a named value.
Words come from the message catalogue of the active report language.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from saigapop.report.i18n import N_, _, ngettext

__all__ = ["count_of", "join_words", "plural", "pretty_kind"]

_KIND_WORDS = {
    "count": N_("count"),
    "total": N_("national total"),
    "partial_total": N_("partial national total"),
    "redundant_total": N_("sum of that year's counts"),
    "upper_bound": N_("upper bound"),
    "lower_bound": N_("lower bound"),
    "estimate": N_("estimate (not a count)"),
    "missing": N_("survey not flown"),
    "mass_mortality": N_("mass die-off"),
    "cull_composition": N_("cull composition"),
    "herd_composition": N_("herd composition"),
    "cull": N_("cull"),
    "harvest": N_("harvest"),
    "capture": N_("capture"),
    "seizure": N_("seizure"),
}


def pretty_kind(kind: str) -> str:
    """Plain name of a census, removal or composition ``kind`` in the report language.

    Examples
    --------
    >>> pretty_kind("redundant_total"), pretty_kind("cull")
    ("sum of that year's counts", 'cull')
    """
    return _(_KIND_WORDS.get(kind, kind.replace("_", " ")))


def count_of(n_formatted: str) -> int:
    r"""Return the integer a formatted count stands for (``"1,150"``, ``"1 150"`` → 1150).

    Examples
    --------
    >>> count_of("1,150"), count_of("1\xa0150"), count_of("3")
    (1150, 1150, 3)
    """
    digits = re.sub(r"\D", "", n_formatted)
    return int(digits) if digits else 0


def plural(n_formatted: str, singular: str, plural_form: str | None = None) -> str:
    """``"1 row"`` / ``"3 rows"`` from an already formatted count.

    ``singular`` and ``plural_form`` are catalogue messages with a ``{n}`` placeholder
    (``"{n} row"``, ``"{n} rows"``); the active language picks its plural form (Russian has
    three: 1 строка, 3 строки, 5 строк). A bare word is accepted too (``"row"``) and
    becomes ``"{n} row"``.

    Examples
    --------
    >>> plural("1", "{n} row", "{n} rows"), plural("12", "{n} row", "{n} rows")
    ('1 row', '12 rows')
    >>> from saigapop.report.i18n import use_language
    >>> with use_language("ru"):
    ...     plural("5", "{n} row", "{n} rows")
    '5 строк'
    """
    if "{n}" not in singular:
        singular = "{n} " + singular
        plural_form = "{n} " + (plural_form or singular[4:] + "s")
    elif plural_form is None:
        plural_form = singular + "s"
    return ngettext(singular, plural_form, count_of(n_formatted)).format(n=n_formatted)


def join_words(items: Sequence[str], conjunction: str | None = None) -> str:
    """Join with commas and a final conjunction (``and`` in the report language).

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
    word = _("and") if conjunction is None else conjunction
    return f"{', '.join(items[:-1])} {word} {items[-1]}"
