"""Numbering and cell layout shared by the exporters (layout only: nothing is computed)."""

from __future__ import annotations

import base64
import functools
import re
from dataclasses import dataclass

import pandas as pd

from saigapop.report.contracts import Figure, ReportPayload, Section, Table
from saigapop.report.i18n import current_language, gettext, use_language
from saigapop.report.vocabulary import DATA_PHRASES, DATA_WORDS, POPULATIONS, is_verbatim

__all__ = ["Cell", "LaidFigure", "LaidSection", "LaidTable", "lay_out", "split_links"]

_NUMBER = re.compile(r"-?\d[\d,\u00a0\u202f]*([.,]\d+)?")  # English or Russian form


@dataclass(frozen=True)
class Cell:
    """One table cell as shown: text, CSS class, and URLs for link columns."""

    text: str
    cls: str = ""
    links: tuple[str, ...] = ()


@dataclass(frozen=True)
class LaidTable:
    """A table with its number, shown columns (and their translated titles) and cells."""

    table: Table
    number: int
    columns: tuple[str, ...]
    rows: list[list[Cell]]
    widths: tuple[float, ...]  # percentages of the text width, one per column
    headers: tuple[str, ...] = ()  # column titles in the report language

    @property
    def titles(self) -> tuple[str, ...]:
        """Column titles as shown (translated), one per column."""
        return self.headers or self.columns


@dataclass(frozen=True)
class LaidFigure:
    """A figure with its number and base64 PNG."""

    figure: Figure
    number: int

    @property
    def b64(self) -> str:
        """The PNG as base64 text for a data URI."""
        return base64.b64encode(self.figure.png).decode("ascii")


@dataclass(frozen=True)
class LaidSection:
    """A section with its number ("3" or "3.2"), figures and tables."""

    section: Section
    number: str
    figures: list[LaidFigure]
    tables: list[LaidTable]


def split_links(text: str) -> tuple[str, ...]:
    """Split a source cell holding several sources separated by `` ; ``."""
    return tuple(s.strip() for s in str(text).split(" ; ") if s.strip())


@functools.cache
def _phrase_pattern() -> re.Pattern[str]:
    words = sorted({*DATA_PHRASES, *DATA_WORDS, *POPULATIONS}, key=len, reverse=True)
    alternatives = "|".join(re.escape(w) for w in words)
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])")


def translate_cell(text: str) -> str:
    """Return a text cell in the report language.

    Data vocabulary (kinds, statuses, sexes, flags, population names, census methods, ...)
    is looked up in the catalogue, whole; failing that, the known words and phrases of
    :mod:`saigapop.report.vocabulary` inside the cell (``2025-07 (approx.)``, a list of
    flags) are replaced one by one. Free text with no catalogue entry (a citation, a file
    name, a parameter name) is shown as it is. English text is returned unchanged.
    """
    if not text or current_language() == "en":
        return text
    shown = gettext(text)
    if shown != text:
        return shown
    return _phrase_pattern().sub(lambda m: gettext(m.group(0)), text)


def _lay_table(table: Table, number: int) -> LaidTable:
    cols = table.shown_columns
    frame = table.frame
    numeric = {c: pd.api.types.is_numeric_dtype(frame[c]) for c in cols}
    formatted = table.formatted_rows()
    for j, c in enumerate(cols):  # text columns holding only printed numbers align right too
        cells = [row[j] for row in formatted if row[j]]
        if cells and all(_NUMBER.fullmatch(cell) for cell in cells):
            numeric[c] = True
    rows = []
    for texts, raw in zip(
        formatted,
        frame.loc[:, list(cols)].itertuples(index=False, name=None),
        strict=True,
    ):
        row = []
        for col, text, value in zip(cols, texts, raw, strict=True):
            if col in table.link_columns:
                row.append(Cell(text, "url", split_links(value)))
            elif numeric[col]:
                row.append(Cell("" if text == gettext("n/a") else text, "num"))
            elif is_verbatim(col):
                row.append(Cell(text, ""))
            else:
                row.append(Cell(translate_cell(text), ""))
        rows.append(row)
    headers = tuple(gettext(c) for c in cols)
    return LaidTable(
        table, number, cols, rows, _widths(headers, rows, table.link_columns, cols), headers
    )


_CYRILLIC = re.compile(r"[\u0400-\u04ff]")


def _width(text: str) -> float:
    """Return the printed width of ``text`` in Latin characters (Cyrillic is ~20 % wider)."""
    return len(text) + 0.2 * len(_CYRILLIC.findall(text))


def _widths(
    cols: tuple[str, ...],
    rows: list[list[Cell]],
    links: tuple[str, ...],
    keys: tuple[str, ...] | None = None,
) -> tuple[float, ...]:
    """Column widths (fixed table layout) so that no word is broken inside a column.

    Each column gets at least its longest word (capped) and, where room is left, space in
    proportion to its typical text length. URL columns wrap anywhere and get a fixed share.
    """
    available = 130.0  # characters across the A4 text width at the print table font size
    minimum, desired = [], []
    for j, col in enumerate(cols):
        texts = [r[j].text for r in rows] or [""]
        # a cell may wrap at spaces and after "/" (date ranges such as 2025-07-01/2025-11-30)
        words = [_width(w) for t in texts for w in t.replace("/", "/ ").split()]
        words += [_width(w) for w in col.split()]
        longest = min(max([*words, 3]), 18) + 1.5
        typical = sorted(_width(t) for t in texts)[int(0.9 * (len(texts) - 1))]
        if (keys or cols)[j] in links:
            longest, typical = 30.0, 40.0
        minimum.append(float(longest))
        desired.append(float(max(longest, min(typical, 45))))
    spare = available - sum(minimum)
    extra = [d - m for d, m in zip(desired, minimum, strict=True)]
    if spare > 0 and sum(extra) > 0:
        share = min(1.0, spare / sum(extra))
        widths = [m + e * share for m, e in zip(minimum, extra, strict=True)]
    else:
        widths = minimum
    total = sum(widths)
    return tuple(round(100 * w / total, 2) for w in widths)


def lay_out(payload: ReportPayload) -> list[LaidSection]:
    """Lay the payload out: sections numbered "1", "1.1", figures and tables in order.

    Column titles and data vocabulary are translated into the payload's language here, so
    the payload's frames (and the bundle) keep their English column names.
    """
    with use_language(payload.language):
        return _lay_out(payload)


def _lay_out(payload: ReportPayload) -> list[LaidSection]:
    out: list[LaidSection] = []
    major = minor = n_fig = n_tab = 0
    for section in payload.sections:
        if section.level == 1:
            major += 1
            minor = 0
            number = str(major)
        else:
            minor += 1
            number = f"{major}.{minor}"
        figures = []
        for fig in section.figures:
            n_fig += 1
            figures.append(LaidFigure(fig, n_fig))
        tables = []
        for tab in section.tables:
            n_tab += 1
            tables.append(_lay_table(tab, n_tab))
        out.append(LaidSection(section, number, figures, tables))
    return out
