"""Read CSV or Excel files into frames of strings, and parse numbers strictly.

Nothing here guesses silently: bytes are decoded as UTF-8 (with or without BOM), UTF-16 with a
BOM, or, when UTF-8 fails, as cp1251 (Windows Cyrillic); numbers accept thousands separators only
in unambiguous groups of three digits.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from saigapop.io.problems import Problem

__all__ = [
    "EXCEL_SUFFIXES",
    "NumberFormatError",
    "RawTable",
    "decode_bytes",
    "parse_number",
    "raw_from_frame",
    "read_raw",
]

#: File suffixes read as Excel workbooks (first sheet); everything else is read as CSV.
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
        Name used in problems (file name or ``<census frame>``).
    path
        Full path as a string, or ``None`` for an in-memory frame.
    frame
        All cells as stripped strings (``""`` for empty), with normalised (stripped, lower-case)
        column names, and a ``row`` column holding each row's line number in the file.
    problems
        File-level problems found while reading.
    encoding
        Encoding used to decode a CSV file (``None`` for Excel or frames).
    """

    label: str
    path: str | None
    frame: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    encoding: str | None = None


def read_raw(source: str | os.PathLike[str]) -> RawTable:
    """Read a CSV or Excel file into a :class:`RawTable` of strings.

    Never raises for bad content: an unreadable, empty or header-only file gives a table with
    no rows and a file-level problem.
    """
    path = Path(source)
    label = path.name
    if not path.is_file():
        return _failed(label, str(path), f"file not found: {path}")
    if path.suffix.lower() in EXCEL_SUFFIXES:
        return _read_excel(path)
    if path.suffix.lower() in (".xls", ".ods"):
        return _failed(
            label, str(path), "this spreadsheet format is not read; save it as .xlsx or .csv"
        )
    data = path.read_bytes()
    if not data:
        return _failed(label, str(path), "file is empty (0 bytes); expected a header line")
    try:
        text, encoding = decode_bytes(data)
    except UnicodeDecodeError as err:
        return _failed(label, str(path), f"cannot decode the file as UTF-8 or cp1251 ({err})")
    rows, line_numbers, problems = _split_csv(text, label)
    table = _assemble(label, str(path), rows, line_numbers, problems)
    table.encoding = encoding
    return table


def raw_from_frame(frame: pd.DataFrame, label: str) -> RawTable:
    """Turn an in-memory frame into a :class:`RawTable` of strings.

    Rows are numbered as they would be in ``frame.to_csv(index=False)``: the first is row 2.
    Columns named ``row`` or ``file`` (added by the readers) are ignored, so a validated frame
    can be validated again.
    """
    frame = frame.drop(columns=[c for c in ("row", "file") if c in frame.columns])
    header = [str(c) for c in frame.columns]
    rows = [[_cell_to_str(v) for v in record] for record in frame.itertuples(index=False)]
    line_numbers = list(range(2, len(rows) + 2))
    problems: list[Problem] = []
    return _assemble(label, None, [header, *rows], [1, *line_numbers], problems)


# --- helpers ------------------------------------------------------------------------------


def _failed(label: str, path: str | None, rule: str) -> RawTable:
    return RawTable(label, path, pd.DataFrame(), [Problem(label, None, None, None, rule)])


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


def _split_csv(text: str, label: str) -> tuple[list[list[str]], list[int], list[Problem]]:
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[list[str]] = []
    line_numbers: list[int] = []
    problems: list[Problem] = []
    previous_end = 0
    try:
        for record in reader:
            start = previous_end + 1
            previous_end = reader.line_num
            rows.append(record)
            line_numbers.append(start)
    except csv.Error as err:
        problems.append(
            Problem(label, previous_end + 1, None, None, f"cannot parse the CSV line ({err})")
        )
    return rows, line_numbers, problems


def _read_excel(path: Path) -> RawTable:
    import openpyxl

    label = path.name
    try:
        workbook = openpyxl.load_workbook(path, data_only=True)
    except Exception as err:  # openpyxl raises many kinds of errors for bad files
        return _failed(label, str(path), f"cannot read the Excel workbook ({err})")
    sheet = workbook.worksheets[0]
    rows: list[list[str]] = []
    line_numbers: list[int] = []
    for number, record in enumerate(sheet.iter_rows(values_only=True), start=1):
        rows.append([_cell_to_str(v) for v in record])
        line_numbers.append(number)
    workbook.close()
    if not rows:
        return _failed(label, str(path), "the first sheet is empty; expected a header row")
    return _assemble(label, str(path), rows, line_numbers, [])


def _assemble(
    label: str,
    path: str | None,
    rows: list[list[str]],
    line_numbers: list[int],
    problems: list[Problem],
) -> RawTable:
    # Drop leading blank lines before the header.
    while rows and not any(c.strip() for c in rows[0]):
        rows.pop(0)
        line_numbers.pop(0)
    if not rows:
        problems.append(Problem(label, None, None, None, "file has no header line"))
        return RawTable(label, path, pd.DataFrame(), problems)
    header = [c.strip().lower() for c in rows[0]]
    # Trailing unnamed columns (common in spreadsheet exports) are kept only if they hold data.
    width = len(header)
    while width and not header[width - 1]:
        width -= 1
    header = header[:width]
    seen: set[str] = set()
    for name in header:
        if not name:
            problems.append(Problem(label, line_numbers[0], None, None, "a column has no name"))
        elif name in ("row", "file"):
            problems.append(
                Problem(label, line_numbers[0], name, None, "column name is reserved for output")
            )
        elif name in seen:
            problems.append(
                Problem(label, line_numbers[0], name, None, "column name appears more than once")
            )
        seen.add(name)
    if any(p.row == line_numbers[0] for p in problems):
        return RawTable(label, path, pd.DataFrame(), problems)
    records: list[list[str]] = []
    numbers: list[int] = []
    for line, record in zip(line_numbers[1:], rows[1:], strict=True):
        cells = [c.strip() for c in record]
        if not any(cells):
            problems.append(
                Problem(label, line, None, None, "empty row ignored", severity="warning")
            )
            continue
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
        records.append((cells + [""] * width)[:width])
        numbers.append(line)
    if not records:
        problems.append(Problem(label, None, None, None, "file has a header but no data rows"))
    frame = pd.DataFrame(records, columns=header, dtype=object).astype(str)
    frame["row"] = pd.Series(numbers, dtype="int64")
    return RawTable(label, path, frame, problems)
