"""Structured messages: a translatable template plus its values, rendered where they are shown.

Modules below the report (management, validation, registry, model diagnostics) never build
reader-facing sentences with f-strings. They return a :class:`Message` — an English template
marked for the catalogue with :func:`~saigapop.locale.N_` and the values that fill it — and the
report renders it in the active language, with that language's number formats. Nothing is
translated by parsing English back.

Values may be numbers (formatted with the placeholder's format spec, then localised; the
spec ``v`` applies the report's rule of :func:`~saigapop.locale.format_number`), plain
strings (identifiers, names, shown as they are), :class:`Term` (one word or phrase of the
vocabulary, translated with an optional gettext context), other :class:`Message` objects
(rendered recursively) or sequences of those (joined with the language's list separator).

``str(message)`` is the English sentence, so code and logs that print a message keep working;
:meth:`Message.to_dict` / :meth:`Message.from_dict` give a locale-neutral, JSON-ready form for
the report bundle and for saving results.

Examples
--------
>>> from saigapop.locale import N_, use_language
>>> m = Message(N_("quota {quota:,.0f} adult males in {population}"),
...             {"quota": 1747.0, "population": Term("Betpakdala")})
>>> str(m)
'quota 1,747 adult males in Betpakdala'
>>> m.to_dict()["values"]["quota"]
1747.0
>>> Message.from_dict(m.to_dict()) == m
True
"""

from __future__ import annotations

import math
import numbers
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from saigapop.locale import (
    current_language,
    format_number,
    gettext,
    localise_number,
    ngettext,
    pgettext,
    use_language,
)

__all__ = ["Message", "Term", "render"]


@dataclass(frozen=True, slots=True)
class Term:
    """A word or phrase of the vocabulary (population, criterion, trial name), translated.

    Parameters
    ----------
    text
        English text, marked with :func:`~saigapop.locale.N_` where it is written.
    context
        Optional gettext context (``msgctxt``) for one English word with two roles.

    Examples
    --------
    >>> from saigapop.locale import use_language
    >>> with use_language("ru"):
    ...     Term("Ural").render()
    'Урал'
    """

    text: str
    context: str | None = None

    def render(self, language: str | None = None) -> str:
        """Return the term in ``language`` (default: the active language)."""
        return _in_language(language, self._render)

    def _render(self) -> str:
        return pgettext(self.context, self.text) if self.context else gettext(self.text)

    def __str__(self) -> str:
        return self.text


def _in_language(language: str | None, fn: Any) -> str:
    if language is None or language == current_language():
        return fn()
    with use_language(language):
        return fn()


class _Formatter(string.Formatter):
    """``str.format`` whose numbers are localised and whose terms/messages are translated."""

    def format_field(self, value: Any, format_spec: str) -> str:
        if isinstance(value, Message | Term):
            return format(value._render(), format_spec)
        if isinstance(value, bool) or value is None:
            return format(str(value), format_spec)
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            if not math.isfinite(float(value)):
                return gettext("n/a") if math.isnan(float(value)) else format(value, format_spec)
            if format_spec == "v":  # the report's own rule (3 significant digits, grouped)
                return localise_number(format_number(value))
            return localise_number(format(value, format_spec))
        if isinstance(value, Sequence) and not isinstance(value, str):
            parts = [self.format_field(v, format_spec) for v in value]
            return gettext(", ").join(parts)
        return format(value, format_spec)


_FORMATTER = _Formatter()


@dataclass(frozen=True, slots=True)
class Message:
    """A reader-facing sentence as data: an English template and the values that fill it.

    Parameters
    ----------
    template
        English text with ``{name[:spec]}`` placeholders, marked with
        :func:`~saigapop.locale.N_` where it is written so that the catalogue extractor
        finds it.
    values
        Placeholder values (numbers, strings, :class:`Term`, :class:`Message`, or sequences).
    plural
        Optional English plural template; with it, ``count`` names the value that chooses
        the form (gettext ``ngettext``).
    count
        Name of the value that chooses the plural form.
    """

    template: str
    values: Mapping[str, Any] = field(default_factory=dict)
    plural: str | None = None
    count: str | None = None

    def render(self, language: str | None = None) -> str:
        """Return the sentence in ``language`` (default: the active language)."""
        return _in_language(language, self._render)

    def _render(self) -> str:
        if self.plural is not None and self.count is not None:
            text = ngettext(self.template, self.plural, int(self.values[self.count]))
        else:
            text = gettext(self.template)
        return _FORMATTER.vformat(text, (), dict(self.values))

    def __str__(self) -> str:
        return self.render("en")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Message):
            return NotImplemented
        return (self.template, self.plural, self.count, _freeze(self.values)) == (
            other.template,
            other.plural,
            other.count,
            _freeze(other.values),
        )

    def __hash__(self) -> int:
        return hash((self.template, self.plural, self.count, _freeze(self.values)))

    @classmethod
    def counted(cls, forms: tuple[str, str], count: str, values: Mapping[str, Any]) -> Message:
        """Return a message with a singular and a plural form, chosen by ``values[count]``.

        ``forms`` is the pair marked with :func:`~saigapop.locale.NP_`, so that the catalogue
        extractor records both forms.

        Examples
        --------
        >>> from saigapop.locale import NP_, use_language
        >>> m = Message.counted(NP_("{n} row", "{n} rows"), "n", {"n": 5})
        >>> str(m)
        '5 rows'
        >>> with use_language("ru"):
        ...     m.render()
        '5 строк'
        """
        singular, plural = forms
        return cls(singular, dict(values), plural, count)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready, locale-neutral form (see :meth:`from_dict`)."""
        out: dict[str, Any] = {
            "template": self.template,
            "values": {k: _encode(v) for k, v in self.values.items()},
            "text": str(self),
        }
        if self.plural is not None:
            out["plural"] = self.plural
            out["count"] = self.count
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Message:
        """Rebuild a message written by :meth:`to_dict`."""
        return cls(
            data["template"],
            {k: _decode(v) for k, v in data.get("values", {}).items()},
            data.get("plural"),
            data.get("count"),
        )


def _freeze(values: Mapping[str, Any]) -> tuple:
    def one(v: Any) -> Any:
        if isinstance(v, list | tuple):
            return tuple(one(x) for x in v)
        if isinstance(v, float) and math.isnan(v):
            return "nan"
        return v

    return tuple(sorted((k, one(v)) for k, v in values.items()))


def _encode(v: Any) -> Any:
    if isinstance(v, Message):
        return {"message": v.to_dict()}
    if isinstance(v, Term):
        return {"term": v.text, "context": v.context}
    if isinstance(v, list | tuple):
        return [_encode(x) for x in v]
    if hasattr(v, "item") and not isinstance(v, str):  # numpy scalar
        return v.item()
    return v


def _decode(v: Any) -> Any:
    if isinstance(v, dict) and "message" in v:
        return Message.from_dict(v["message"])
    if isinstance(v, dict) and "term" in v:
        return Term(v["term"], v.get("context"))
    if isinstance(v, list):
        return tuple(_decode(x) for x in v)
    return v


def render(text: str | Message | Term, language: str | None = None) -> str:
    """Render a message or term in ``language``; a plain string is returned as it is.

    Examples
    --------
    >>> render("as is")
    'as is'
    """
    if isinstance(text, Message | Term):
        return text.render(language)
    return text
