"""Message catalogues of saigapop's reader-facing text (report, figures), and the active language.

Every reader-facing string is written in English in the code and wrapped in :func:`gettext`
(imported as ``_``): ``_("Recommended quota")``, or with values
``_("Quota for {year}").format(year=y)``. Strings that must stay English where they are
written (column names used as keys, vocabulary of the data) are marked with :func:`N_` and
translated where they are shown. Counted nouns use :func:`ngettext`.

The catalogue of each language is a standard gettext ``.po`` file,
``saigapop/locale/<lang>/LC_MESSAGES/saigapop.po``, maintained with Babel (``pybabel
extract``/``update``, see ``docs/language.md``). It is read with Babel's PO reader the first
time a language is used: the ``.po`` is the one source of truth (no compiled ``.mo`` to keep
in sync), and it ships inside the package, so a fresh clone and an installed wheel behave
alike. Untranslated and fuzzy entries fall back to English (a test forbids them).

Examples
--------
>>> from saigapop.locale import _, current_language, use_language
>>> current_language()
'en'
>>> with use_language("ru"):
...     _("Contents")
'Содержание'
>>> _("Contents")
'Contents'
"""

from __future__ import annotations

import functools
import gettext as _gettext
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from importlib.resources import files

from babel.messages.pofile import read_po
from babel.numbers import get_decimal_symbol, get_group_symbol

__all__ = [
    "DOMAIN",
    "LANGUAGES",
    "NP_",
    "N_",
    "_",
    "catalogue",
    "current_language",
    "format_number",
    "gettext",
    "localise_number",
    "ngettext",
    "pgettext",
    "po_path",
    "use_language",
    "validate_language",
]

#: Languages the report can be written in (English is the source language of the code).
LANGUAGES: tuple[str, ...] = ("en", "ru")
#: Gettext domain: the catalogue file is ``<lang>/LC_MESSAGES/saigapop.po``.
DOMAIN = "saigapop"

_LANGUAGE: ContextVar[str] = ContextVar("saigapop_language", default="en")


def validate_language(language: str) -> str:
    """Return ``language`` if saigapop can write in it, else raise :class:`ValueError`.

    Examples
    --------
    >>> validate_language("ru")
    'ru'
    >>> validate_language("kk")
    Traceback (most recent call last):
    ...
    ValueError: unknown report language 'kk': choose one of ('en', 'ru')
    """
    if language not in LANGUAGES:
        raise ValueError(f"unknown report language {language!r}: choose one of {LANGUAGES}")
    return language


def current_language() -> str:
    """Return the language reader-facing text is currently built in (``"en"`` by default)."""
    return _LANGUAGE.get()


@contextmanager
def use_language(language: str) -> Iterator[str]:
    """Build reader-facing text in ``language`` inside the ``with`` block.

    The language is held in a :class:`~contextvars.ContextVar`, so threads and tasks
    building reports in different languages do not disturb one another.
    """
    validate_language(language)
    token = _LANGUAGE.set(language)
    try:
        yield language
    finally:
        _LANGUAGE.reset(token)


def po_path(language: str):
    """Path (an importlib resource) of the ``.po`` catalogue of ``language``."""
    return files("saigapop.locale") / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@dataclass(frozen=True)
class _Catalogue:
    singular: dict[str, str]
    plural: dict[str, tuple[str, ...]]
    plural_index: Callable[[int], int]


@functools.cache
def catalogue(language: str) -> _Catalogue:
    """Read the ``.po`` catalogue of ``language`` (once) with Babel.

    Untranslated and fuzzy entries are left out, so they fall back to English.
    """
    validate_language(language)
    if language == "en":
        return _Catalogue({}, {}, lambda n: 0 if n == 1 else 1)
    with po_path(language).open("rb") as fh:
        cat = read_po(fh, locale=language, domain=DOMAIN)
    singular: dict[str, str] = {}
    plural: dict[str, tuple[str, ...]] = {}
    for msg in cat:
        if not msg.id or msg.fuzzy:
            continue
        if isinstance(msg.id, tuple):
            forms = tuple(msg.string)
            if all(forms):
                plural[msg.id[0]] = forms
        elif msg.string:
            key = f"{msg.context}\x04{msg.id}" if msg.context else msg.id
            singular[key] = msg.string
    return _Catalogue(singular, plural, _gettext.c2py(cat.plural_expr))


def gettext(message: str) -> str:
    """Translate ``message`` into the active language (English text is returned as is)."""
    language = _LANGUAGE.get()
    if language == "en" or not message:
        return message
    return catalogue(language).singular.get(message, message)


def pgettext(context: str, message: str) -> str:
    """Translate ``message`` in ``context`` (gettext ``msgctxt``): one English word, two roles.

    Examples
    --------
    >>> with use_language("ru"):
    ...     pgettext("full name", "Ural"), gettext("Ural")
    ('Уральская популяция', 'Урал')
    >>> pgettext("full name", "Ural")
    'Ural'
    """
    language = _LANGUAGE.get()
    if language == "en" or not message:
        return message
    return catalogue(language).singular.get(f"{context}\x04{message}", message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Translate a message with a count: the plural form of the active language for ``n``.

    Examples
    --------
    >>> with use_language("ru"):
    ...     [ngettext("{n} row", "{n} rows", k).format(n=k) for k in (1, 3, 5, 21)]
    ['1 строка', '3 строки', '5 строк', '21 строка']
    """
    language = _LANGUAGE.get()
    if language != "en":
        cat = catalogue(language)
        forms = cat.plural.get(singular)
        if forms:
            return forms[min(cat.plural_index(abs(int(n))), len(forms) - 1)]
    return singular if abs(int(n)) == 1 else plural


@functools.cache
def _symbols(language: str) -> tuple[str, str]:
    """Return the grouping and decimal symbols of ``language`` (CLDR, through Babel)."""
    return get_group_symbol(language), get_decimal_symbol(language)


def localise_number(text: str, language: str | None = None) -> str:
    r"""Swap the English grouping (``,``) and decimal (``.``) symbols for the language's.

    ``text`` is a number already printed in English form (by
    :func:`saigapop.report.formatting.format_value`, or an f-string for plot ticks).

    Examples
    --------
    >>> localise_number("1,150,000.5", "ru")
    '1\xa0150\xa0000,5'
    >>> localise_number("1,150,000.5", "en")
    '1,150,000.5'
    """
    language = language or current_language()
    if language == "en":
        return text
    group, decimal = _symbols(language)
    return text.replace(",", "\0").replace(".", decimal).replace("\0", group)


def format_number(value: float, *, plain: bool = False) -> str:
    """Print a number in English form, the way the report prints every quantity.

    Integers and integral floats get thousands separators (``196,000``; none with
    ``plain=True``, for identifiers such as years); other floats get three significant
    digits (``1.66``, ``12.3``, ``0.0123``, ``0.300``) and no exponent. NaN and infinities
    print as ``nan``, ``inf`` and ``-inf`` (the report words them). Swap the symbols for the
    active language with :func:`localise_number`.

    Examples
    --------
    >>> format_number(196000), format_number(1.6612), format_number(0.3)
    ('196,000', '1.66', '0.300')
    >>> format_number(2025, plain=True)
    '2025'
    """
    if isinstance(value, int) or (hasattr(value, "dtype") and value.dtype.kind in "iu"):
        return str(int(value)) if plain else f"{int(value):,}"
    x = float(value)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x)) if plain else f"{int(x):,}"
    if abs(x) >= 1000:
        out = f"{x:.0f}" if plain else f"{x:,.0f}"
    else:
        decimals = max(0, 2 - math.floor(math.log10(abs(x))))
        out = f"{x:.{decimals}f}"
    return "0" if out in ("-0", "-0.0") else out


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue without translating it here (gettext_noop)."""
    return message


def NP_(singular: str, plural: str) -> tuple[str, str]:
    """Mark a singular/plural pair for the catalogue (ngettext_noop); returns the pair."""
    return singular, plural


_ = gettext
