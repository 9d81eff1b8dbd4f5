"""Read and write horn registry files (CSV or Excel), one row per horn."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from saigapop.exceptions import DataValidationError
from saigapop.io.parsing import EXCEL_SUFFIXES, SourceLike, read_raw
from saigapop.registry.schema import DATE_COLUMNS, REGISTRY_COLUMNS

__all__ = ["read_registry", "write_registry"]


def read_registry(path: SourceLike, *, sheet: str | None = None) -> pd.DataFrame:
    """Read a registry file into a frame of strings, one row per data line.

    An Excel workbook (``.xlsx``/``.xlsm``) or a CSV file (UTF-8, UTF-16 with BOM, or cp1251;
    ``,``, ``;`` or tab separated) is read without interpretation, by the same reader as the
    census (every line accounted for: an unclosed quote is reported on its line and the
    following rows are still read); :func:`~saigapop.registry.validate_registry` parses and
    checks the values.

    Parameters
    ----------
    path
        The file: a path or an open file (text or binary).
    sheet
        Sheet of an Excel workbook; required if the workbook has several.

    Returns
    -------
    pandas.DataFrame
        Every cell as a stripped string, lower-case column names, and a ``row`` column with each
        row's line number in the file (the header is line 1). ``attrs["file"]`` holds the file
        name and ``attrs["read_problems"]`` the row-level reading problems (e.g. a line with
        too many fields), which the validator turns into findings on those rows.

    Raises
    ------
    DataValidationError
        If the file cannot be read at all (missing, empty, no header, a header with a blank or
        repeated column name, several sheets and no ``sheet``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from saigapop.registry import make_synthetic_registry
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "registry.csv"
    >>> write_registry(make_synthetic_registry(3, seed=1).registry, path)
    >>> read_registry(path)["row"].tolist()
    [2, 3, 4]
    """
    raw = read_raw(path, sheet=sheet, label="<registry file object>")
    header = raw.header_line
    fatal = [
        p
        for p in raw.problems
        if p.is_error and (p.row is None or p.row == header or raw.frame.empty)
    ]
    if fatal:
        raise DataValidationError(fatal)
    frame = raw.frame
    frame.attrs["file"] = raw.label
    frame.attrs["read_problems"] = [p for p in raw.problems if p.row is not None and p.is_error]
    return frame


def write_registry(registry: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write a registry to CSV (UTF-8) or Excel (``.xlsx``), columns in the canonical order.

    Dates are written as ISO dates (``YYYY-MM-DD``) in CSV and as date cells in Excel; empty
    values as empty cells. Columns beyond the registry format are kept after the canonical ones;
    a ``row`` column (added by readers and the validator) is not written.

    Parameters
    ----------
    registry
        A registry frame (e.g. ``make_synthetic_registry(...).registry`` or the ``table`` of a
        validation).
    path
        Destination; the suffix chooses the format.
    """
    path = Path(path)
    columns = [c for c in REGISTRY_COLUMNS if c in registry.columns]
    columns += [c for c in registry.columns if c not in columns and c != "row"]
    out = registry[columns].copy()
    excel = path.suffix.lower() in EXCEL_SUFFIXES
    for col in DATE_COLUMNS:
        if col in out and pd.api.types.is_datetime64_any_dtype(out[col]):
            if excel:
                out[col] = out[col].dt.date.astype(object).where(out[col].notna(), None)
            else:
                out[col] = out[col].dt.strftime("%Y-%m-%d").fillna("")
    if excel:
        out.to_excel(path, index=False, sheet_name="registry")
    else:
        out.to_csv(path, index=False, encoding="utf-8")
