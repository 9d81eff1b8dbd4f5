"""Read CSV or Excel files into frames of strings, and parse numbers strictly.

Nothing here guesses silently: bytes are decoded as UTF-8 (with or without BOM), UTF-16 with a
BOM, or, when UTF-8 fails, as cp1251 (Windows Cyrillic); numbers accept thousands separators only
in unambiguous groups of three digits.

Every physical line of an input is accounted for (:attr:`RawTable.accounted_lines` equals
:attr:`RawTable.line_count`): it is the header, part of a data row (kept in the frame, with or
without problems), or a blank line (reported as a warning after the header). A quoted field may
span lines only if the quote closes, the row then has the header's number of fields, and no
line it swallows would be a full row on its own; otherwise the row is read as the single line
where the quote opens, reported there, and reading goes on with the next line, so no row is
swallowed.
"""

from __future__ import annotations

import io
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pandas as pd

from saigapop.io.problems import Problem

__all__ = [
    "EXCEL_SUFFIXES",
    "NumberFormatError",
    "RawTable",
    "SourceLike",
    "decode_bytes",
    "parse_number",
    "raw_from_frame",
    "read_raw",
]

#: Anything the readers accept besides a frame: a path, or an open file (text or binary).
SourceLike = str | os.PathLike[str] | IO[str] | IO[bytes]

#: File suffixes read as Excel workbooks; everything else is read as CSV.
EXCEL_SUFFIXES: tuple[str, ...] = (".xlsx", ".xlsm")

_THIN_SPACES = " \u00a0\u202f\u2009"
_PLAIN = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_SPACE_GROUPED = re.compile(r"[+-]?\d{1,3}([ \u00a0\u202f\u2009]\d{3})+(\.\d+)?")
_COMMA_GROUPED = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")
_NUMBER_HELP = (
    "write digits with '.' as the decimal point; ',' or spaces may only separate thousands "
    "in groups of three (1150000, 1 150 000 or 1,150,000)"
)


class NumberFormatError(ValueError):
    """A cell could not be read as a number; the message says why."""


def parse_number(text: str) -> float:
    """Parse one cell as a number, accepting thousands separators but never guessing.

    Parameters
    ----------
    text
        The cell as read (surrounding whitespace is ignored).

    Returns
    -------
    float
        The number.

    Raises
    ------
    NumberFormatError
        If the cell is empty, not a number, or ambiguous (``"1,5"`` could mean 1.5 or 15).

    Examples
    --------
    >>> from saigapop.io.parsing import parse_number
    >>> parse_number("1 150 000"), parse_number("1,150,000"), parse_number("1150000.0")
    (1150000.0, 1150000.0, 1150000.0)
    >>> parse_number("1,5")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    saigapop.io.parsing.NumberFormatError: ambiguous number: ',' ... may be a decimal comma; ...
    """
    s = text.strip()
    if not s:
        raise NumberFormatError("expected a number, found an empty cell")
    if _PLAIN.fullmatch(s):
        value = float(s)
    elif _SPACE_GROUPED.fullmatch(s):
        value = float(re.sub(f"[{_THIN_SPACES}]", "", s))
    elif _COMMA_GROUPED.fullmatch(s):
        value = float(s.replace(",", ""))
    elif "," in s and re.fullmatch(r"[+-]?[\d,. \u00a0\u202f\u2009]+", s):
        raise NumberFormatError(
            "ambiguous number: ',' is not followed by a group of three digits, so it may be a "
            f"decimal comma; {_NUMBER_HELP}"
        )
    elif re.fullmatch(r"[+-]?\d{1,3}(\.\d{3}){2,}", s):
        raise NumberFormatError(
            f"ambiguous number: '.' used as a thousands separator; {_NUMBER_HELP}"
        )
    else:
        raise NumberFormatError(f"expected a number; {_NUMBER_HELP}")
    if not math.isfinite(value):
        raise NumberFormatError("expected a finite number")
    return value


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode file bytes, returning ``(text, encoding)``.

    UTF-8 with a byte-order mark, UTF-16 with a byte-order mark, plain UTF-8, and — only when
    UTF-8 decoding fails — cp1251 (Windows Cyrillic, the usual encoding of Kazakh and Russian
    spreadsheets saved as CSV).

    Raises
    ------
    UnicodeDecodeError
        If none of these encodings can decode the bytes.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return data.decode("utf-8-sig"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1251"), "cp1251"


@dataclass
class RawTable:
    """A table read as strings, before validation.

    Attributes
    ----------
    label
        Name used in problems (file name, or ``<census frame>`` for an in-memory table).
    path
        Full path as a string, or ``None`` for an in-memory frame or an open file.
    frame
        All cells as stripped strings (``""`` for empty), with normalised (stripped, lower-case)
        column names, and a ``row`` column holding each row's first line number in the file.
        Every non-blank line after the header is part of exactly one row of the frame.
    problems
        Problems found while reading (file-level, header and line-level).
    encoding
        Encoding used to decode a CSV file (``None`` for Excel or frames).
    line_count
        Physical lines (CSV), sheet rows (Excel) or rows plus header (frame) in the input.
    header_line
        Line of the header, or ``None`` if there is none.
    blank_lines
        Lines that are empty (or hold only separators); each after the header is reported as a
        warning, blank lines before the header are skipped.
    spans
        For each row of the frame, ``(first line, last line)``: a quoted field may span lines.
    header_ok
        Whether the header named every column once; if not, unnamed columns get placeholder
        names (``<column 3>``) and every column of a repeated name a suffix (``value <2>``), so
        that neither is read as that column and every other column of every row is still
        checked.

    Line accounting: ``1 (header) + sum(last - first + 1 for spans) + len(blank_lines) ==
    line_count`` for any table with a header.
    """

    label: str
    path: str | None
    frame: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    encoding: str | None = None
    line_count: int = 0
    header_line: int | None = None
    blank_lines: tuple[int, ...] = ()
    spans: tuple[tuple[int, int], ...] = ()
    header_ok: bool = True

    @property
    def accounted_lines(self) -> int:
        """Lines accounted for: header, lines of rows, blank lines (equals :attr:`line_count`)."""
        header = 0 if self.header_line is None else 1
        return header + sum(b - a + 1 for a, b in self.spans) + len(self.blank_lines)


def read_raw(source: SourceLike, *, sheet: str | None = None, label: str | None = None) -> RawTable:
    r"""Read a CSV or Excel file (a path or an open file) into a :class:`RawTable` of strings.

    Never raises for bad content: an unreadable, empty or header-only file gives a table with
    no rows and a file-level problem.

    Parameters
    ----------
    source
        A path, or an open file in text or binary mode (an Excel workbook must be binary).
    sheet
        Sheet to read from an Excel workbook. Required when the workbook has several sheets.
    label
        Name used in problems for an open file without a ``name`` attribute (default
        ``<file object>``); an open file with one is named by it.

    Examples
    --------
    >>> import io
    >>> from saigapop.io.parsing import read_raw
    >>> raw = read_raw(io.StringIO('a,b\n1,"two\nlines"\n\n3,4\n'), label="<demo>")
    >>> raw.frame["row"].tolist(), raw.spans, raw.blank_lines, raw.line_count
    ([2, 5], ((2, 3), (5, 5)), (4,), 5)
    """
    if hasattr(source, "read"):
        return _read_file_object(source, sheet, label)  # type: ignore[arg-type]
    path = Path(source)  # type: ignore[arg-type]
    label = path.name
    if not path.is_file():
        return _failed(label, str(path), f"file not found: {path}")
    if path.suffix.lower() in EXCEL_SUFFIXES:
        return _read_excel(path, label, str(path), sheet)
    if path.suffix.lower() in (".xls", ".ods"):
        return _failed(
            label, str(path), "this spreadsheet format is not read; save it as .xlsx or .csv"
        )
    return _read_csv_bytes(path.read_bytes(), label, str(path))


def raw_from_frame(frame: pd.DataFrame, label: str) -> RawTable:
    """Turn an in-memory frame into a :class:`RawTable` of strings.

    Rows are numbered as they would be in ``frame.to_csv(index=False)``: the first is row 2.
    Columns named ``row`` or ``file`` (added by the readers) are ignored, so a validated frame
    can be validated again.
    """
    frame = frame.drop(columns=[c for c in ("row", "file") if c in frame.columns])
    header = [str(c) for c in frame.columns]
    rows = [[_cell_to_str(v) for v in record] for record in frame.itertuples(index=False)]
    records = [_Record(n + 1, n + 1, cells, None) for n, cells in enumerate([header, *rows])]
    return _assemble(label, None, records, [], len(records))


# --- helpers ------------------------------------------------------------------------------


@dataclass
class _Record:
    """One record of a file: its lines, its cells, and the line where a bad quote opens."""

    first: int
    last: int
    cells: list[str]
    open_quote: int | None = None


def _failed(label: str, path: str | None, rule: str, line_count: int = 0) -> RawTable:
    problem = Problem(label, None, None, None, rule)
    return RawTable(label, path, pd.DataFrame(), [problem], line_count=line_count)


def _cell_to_str(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return repr(value)
    if value is pd.NA or value is pd.NaT:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()  # type: ignore[union-attr]
    return str(value)


def _read_file_object(handle: IO[Any], sheet: str | None, label: str | None) -> RawTable:
    name = getattr(handle, "name", None)
    if isinstance(name, str) and name:
        label = Path(name).name  # an open file is named after its file
    elif label is None:
        label = "<file object>"
    try:
        data = handle.read()
    except Exception as err:  # any reading error of a user object becomes a problem
        return _failed(label, None, f"cannot read from the file object ({err})")
    if isinstance(data, str):
        return _read_csv_text(data, label, None, None)
    if not isinstance(data, bytes | bytearray):
        return _failed(
            label, None, f"the file object returned {type(data).__name__}; expected str or bytes"
        )
    if bytes(data[:4]) == b"PK\x03\x04":  # a zip archive: an .xlsx workbook
        return _read_excel(io.BytesIO(bytes(data)), label, None, sheet)
    return _read_csv_bytes(bytes(data), label, None)


def _read_csv_bytes(data: bytes, label: str, path: str | None) -> RawTable:
    if not data:
        return _failed(label, path, "file is empty (0 bytes); expected a header line")
    try:
        text, encoding = decode_bytes(data)
    except UnicodeDecodeError as err:
        return _failed(label, path, f"cannot decode the file as UTF-8 or cp1251 ({err})")
    return _read_csv_text(text, label, path, encoding)


def _read_csv_text(text: str, label: str, path: str | None, encoding: str | None) -> RawTable:
    if not text:
        return _failed(label, path, "file is empty (0 bytes); expected a header line")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines[-1] == "":
        lines.pop()  # the newline ending the last line does not start another
    delimiter = max(",;\t", key=lines[0].count) if lines else ","
    records, problems = _split_lines(lines, delimiter, label)
    table = _assemble(label, path, records, problems, len(lines))
    table.encoding = encoding
    return table


def _parse_record(
    lines: list[str], start: int, delimiter: str, single_line: bool
) -> tuple[list[str], int, bool]:
    """Parse the record starting at line index ``start`` (quotes as in the csv module).

    Returns ``(cells, last line index, closed)``. With ``single_line`` an open quote ends at
    the end of the line.
    """
    cells: list[str] = []
    cell: list[str] = []
    j, pos, in_quote, at_start = start, 0, False, True
    line = lines[j]
    while True:
        if pos >= len(line):
            if in_quote and not single_line and j + 1 < len(lines):
                j, pos, line = j + 1, 0, lines[j + 1]
                cell.append("\n")
                continue
            cells.append("".join(cell))
            return cells, j, not in_quote
        ch = line[pos]
        pos += 1
        if in_quote:
            if ch == '"':
                if pos < len(line) and line[pos] == '"':
                    cell.append('"')
                    pos += 1
                else:
                    in_quote = False
            else:
                cell.append(ch)
        elif ch == delimiter:
            cells.append("".join(cell))
            cell, at_start = [], True
        elif ch == '"' and at_start:
            in_quote, at_start = True, False
        else:
            cell.append(ch)
            at_start = False


def _fits(cells: list[str], width: int) -> bool:
    """Whether a row has the header's fields (empty trailing cells beyond it are allowed)."""
    return len(cells) >= width and not any(c.strip() for c in cells[width:])


def _split_lines(
    lines: list[str], delimiter: str, label: str
) -> tuple[list[_Record], list[Problem]]:
    records: list[_Record] = []
    problems: list[Problem] = []
    width: int | None = None
    i = 0
    while i < len(lines):
        cells, last, closed = _parse_record(lines, i, delimiter, single_line=False)
        spans = last > i or not closed
        if not spans and not any(c.strip() for c in cells):
            records.append(_Record(i + 1, i + 1, cells))  # blank: header not yet known
            i += 1
            continue
        if spans and not (
            closed
            and width is not None
            and _fits(cells, width)
            and not any(_is_row(lines[k], delimiter, width) for k in range(i + 1, last + 1))
        ):
            # Read the line alone; the quote opening on it is reported there.
            cells, last, _ = _parse_record(lines, i, delimiter, single_line=True)
            records.append(_Record(i + 1, i + 1, cells, open_quote=i + 1))
        else:
            records.append(_Record(i + 1, last + 1, cells))
        if width is None:
            width = _header_width([c.strip().lower() for c in records[-1].cells])
        i = last + 1
    return records, problems


def _is_row(line: str, delimiter: str, width: int) -> bool:
    """Whether a line read on its own is a full row (so it is not inside a quoted field)."""
    cells, _, _ = _parse_record([line], 0, delimiter, single_line=True)
    return width > 1 and _fits(cells, width)


def _header_width(header: list[str]) -> int:
    # Trailing unnamed columns (common in spreadsheet exports) are not columns.
    width = len(header)
    while width and not header[width - 1]:
        width -= 1
    return width


def _read_excel(source: Path | io.BytesIO, label: str, path: str | None, sheet: str | None):
    import openpyxl  # lazy: only Excel input needs it

    try:
        workbook = openpyxl.load_workbook(source, data_only=True, read_only=False)
    except Exception as err:  # openpyxl raises many kinds of errors for bad files
        return _failed(label, path, f"cannot read the Excel workbook ({err})")
    names = workbook.sheetnames
    listed = ", ".join(f"'{n}'" for n in names)
    if sheet is None and len(names) > 1:
        workbook.close()
        return _failed(
            label,
            path,
            f"the workbook has {len(names)} sheets ({listed}); say which one to read "
            "with sheet=<name> (only a workbook with one sheet is read without it)",
        )
    if sheet is not None and sheet not in names:
        workbook.close()
        return _failed(label, path, f"no sheet named '{sheet}'; the workbook has {listed}")
    worksheet = workbook[sheet] if sheet is not None else workbook.worksheets[0]
    records = [
        _Record(number, number, [_cell_to_str(v) for v in values])
        for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1)
    ]
    workbook.close()
    if not records:
        return _failed(label, path, "the sheet is empty; expected a header row")
    return _assemble(label, path, records, [], len(records))


def _header_names(
    label: str, line: int, header: list[str], problems: list[Problem]
) -> tuple[list[str], bool]:
    """Name every column: report blank, reserved and repeated names, and stand in for them."""
    names: list[str] = []
    seen: dict[str, int] = {}
    ok = True
    repeated = {n for n in header if n and header.count(n) > 1}
    for position, name in enumerate(header, start=1):
        if not name:
            problems.append(Problem(label, line, None, None, f"column {position} has no name"))
            name = f"<column {position}>"
            ok = False
        elif name in ("row", "file"):
            problems.append(Problem(label, line, name, None, "column name is reserved for output"))
            name = f"<{name}>"
            ok = False
        elif name in seen:
            problems.append(
                Problem(
                    label,
                    line,
                    name,
                    None,
                    f"column name appears more than once (columns {seen[name]} and {position}); "
                    "neither is read, since it is not clear which holds the values",
                )
            )
            name = f"{name} <{position}>"
            ok = False
        elif name in repeated:
            seen[name] = position
            name = f"{name} <{position}>"
        else:
            seen[name] = position
        names.append(name)
    return names, ok


def _assemble(
    label: str,
    path: str | None,
    records: list[_Record],
    problems: list[Problem],
    line_count: int,
) -> RawTable:
    blank: list[int] = []
    # Blank lines before the header are skipped (and counted).
    while records and not any(c.strip() for c in records[0].cells):
        blank.append(records.pop(0).first)
    if not records:
        problems.append(Problem(label, None, None, None, "file has no header line"))
        return RawTable(
            label, path, pd.DataFrame(), problems, line_count=line_count, blank_lines=tuple(blank)
        )
    head = records[0]
    if head.open_quote is not None:
        problems.append(
            Problem(label, head.first, None, None, "a quote opens in the header and does not close")
        )
    header = [c.strip().lower() for c in head.cells]
    width = _header_width(header)
    names, header_ok = _header_names(label, head.first, header[:width], problems)
    rows: list[list[str]] = []
    numbers: list[int] = []
    spans: list[tuple[int, int]] = []
    for record in records[1:]:
        cells = [c.strip() for c in record.cells]
        line = record.first
        if not any(cells) and record.open_quote is None:
            blank.append(line)
            problems.append(
                Problem(label, line, None, None, "empty row ignored", severity="warning")
            )
            continue
        if record.open_quote is not None:
            problems.append(
                Problem(
                    label,
                    line,
                    None,
                    None,
                    'a quote (") opens on this line and does not close within a row of '
                    f"{width} fields; the line is read on its own (close the quote, or double "
                    'it ("") inside a quoted field)',
                )
            )
        extra = [c for c in cells[width:] if c]
        if len(cells) < width:
            # A short row: report it, then pad so that every other rule can still be checked.
            problems.append(
                Problem(label, line, None, None, f"expected {width} fields, found {len(cells)}")
            )
        elif extra:
            problems.append(
                Problem(
                    label,
                    line,
                    None,
                    ", ".join(extra),
                    f"expected {width} fields, found {len(cells)} (values beyond the header)",
                )
            )
        rows.append((cells + [""] * width)[:width])
        numbers.append(line)
        spans.append((record.first, record.last))
    if not rows:
        problems.append(Problem(label, None, None, None, "file has a header but no data rows"))
    frame = pd.DataFrame(rows, columns=names, dtype=object).astype(str)
    frame["row"] = pd.Series(numbers, dtype="int64")
    return RawTable(
        label,
        path,
        frame,
        problems,
        line_count=line_count,
        header_line=head.first,
        blank_lines=tuple(sorted(blank)),
        spans=tuple(spans),
        header_ok=header_ok and head.open_quote is None,
    )
