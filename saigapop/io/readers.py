"""Read and validate the census, removals and composition tables.

Each reader returns a typed frame with canonical population names and two added columns,
``row`` (the line in the source file; header = 1) and ``file``, or raises
:class:`~saigapop.exceptions.DataValidationError` listing *every* problem found. No row is ever
dropped, clipped or interpolated: every data row of the input is a row of the output.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from saigapop import constants as C
from saigapop.io.consistency import check_census_totals
from saigapop.io.parsing import RawTable, SourceLike, raw_from_frame, read_raw
from saigapop.io.plausibility import Plausibility
from saigapop.io.populations import PopulationResolver, UnknownPopulationError
from saigapop.io.problems import Problem, raise_if_errors
from saigapop.io.schemas import CENSUS, COMPOSITION, REMOVALS, TableSpec, check_strings, safe_number

__all__ = [
    "TableResult",
    "empty_table",
    "read_census",
    "read_composition",
    "read_removals",
    "read_table",
    "source_type_error",
]

#: What a table argument may be: a path, an open file (text or binary), or a frame.
Source = SourceLike | pd.DataFrame

_EXPECTED = "a path (str or os.PathLike), an open file (text or binary) or a pandas DataFrame"


def source_type_error(argument: str, value: object) -> TypeError | None:
    """Return the :class:`TypeError` for a table argument of the wrong type, or ``None``.

    Examples
    --------
    >>> from saigapop.io.readers import source_type_error
    >>> print(source_type_error("census", 3))  # doctest: +ELLIPSIS
    census: expected a path (str or os.PathLike), an open file ... got int (3)
    >>> source_type_error("census", "census.csv") is None
    True
    """
    if isinstance(value, str | os.PathLike | pd.DataFrame) or hasattr(value, "read"):
        return None
    shown = repr(value)
    shown = shown if len(shown) <= 40 else shown[:37] + "..."
    return TypeError(f"{argument}: expected {_EXPECTED}; got {type(value).__name__} ({shown})")


@dataclass
class TableResult:
    """A table after validation: the typed frame (all rows) and every problem found."""

    spec: TableSpec
    frame: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    path: str | None = None
    raw: RawTable | None = None
    usable: bool = True

    @property
    def label(self) -> str:
        """The name problems give this table's file."""
        return self.raw.label if self.raw is not None else f"<{self.spec.name} frame>"

    @property
    def bad_rows(self) -> set[tuple[str, int]]:
        """``(file, row)`` of rows with an error of their own."""
        return {(p.file, p.row) for p in self.problems if p.is_error and p.row is not None}


def read_table(
    spec: TableSpec,
    source: Source,
    *,
    resolver: PopulationResolver,
    label: str | None = None,
    sheet: str | None = None,
    plausibility: Plausibility | None = None,
) -> TableResult:
    """Read and validate one table without raising; problems are returned with the frame.

    Parameters
    ----------
    spec
        The table specification (:data:`~saigapop.io.schemas.CENSUS` etc.).
    source
        A CSV or Excel path, an open file (text or binary), or an in-memory frame.
    resolver
        Population-name resolver (carries the user's declared populations).
    label
        Name used in problems for an in-memory frame or an open file without a name (default
        ``<census frame>`` or ``<census file object>``).
    sheet
        Sheet of an Excel workbook (required if it has several).
    plausibility
        Settings of the plausibility rules (default ``Plausibility()``).

    Raises
    ------
    TypeError
        If ``source`` is none of these (including ``None``).
    """
    error = source_type_error(spec.name, source)
    if error is not None:
        raise error
    index_labels: dict[int, str] = {}
    if isinstance(source, pd.DataFrame):
        raw = raw_from_frame(source, label or f"<{spec.name} frame>")
        index_labels = {n: repr(v) for n, v in enumerate(source.index, start=2)}
    elif hasattr(source, "read"):
        raw = read_raw(source, sheet=sheet, label=label or f"<{spec.name} file object>")
    else:
        raw = read_raw(source, sheet=sheet)  # type: ignore[arg-type]
    result = _validate(spec, raw, resolver, plausibility)
    if index_labels and not _default_index(source):  # type: ignore[arg-type]
        result.problems = [
            replace(p, index=index_labels.get(p.row)) if p.row is not None else p
            for p in result.problems
        ]
    return result


def _default_index(frame: pd.DataFrame) -> bool:
    """Tell whether the index is 0..n-1, which adds nothing to the row number."""
    index = frame.index
    return isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1


def _validate(
    spec: TableSpec,
    raw: RawTable,
    resolver: PopulationResolver,
    plausibility: Plausibility | None = None,
) -> TableResult:
    problems = list(raw.problems)
    if not len(raw.frame.columns):
        return TableResult(spec, empty_table(spec), problems, raw.path, raw, usable=False)
    strings = raw.frame.set_index(raw.frame["row"].to_numpy())
    present = [c for c in strings.columns if c != "row"]
    missing = [c for c in spec.required if c not in present]
    if missing:
        names = ", ".join(f"'{c}'" for c in missing)
        because = "" if raw.header_ok else " (see the header problem(s) on the same file)"
        problems.append(
            Problem(
                raw.label,
                None,
                None,
                None,
                f"missing required column(s) {names}; a {spec.name} file needs columns "
                + ", ".join(spec.required)
                + because,
                follow_on=not raw.header_ok,
            )
        )
    # Placeholder names (for a column without a name, or repeated) are reported already.
    # Recognised optional columns (e.g. ``event`` of removals) are kept without a warning.
    extra = [c for c in present if c not in spec.columns]
    unknown = [c for c in extra if c not in spec.recognised]
    for name in [c for c in unknown if "<" not in c]:
        problems.append(
            Problem(
                raw.label,
                1,
                name,
                None,
                "unknown column kept as text; expected columns are " + ", ".join(spec.columns),
                severity="warning",
            )
        )
    problems += _resolve_populations(strings, raw, resolver)
    if "flag" in strings.columns:
        strings["flag"] = strings["flag"].map(_normalise_flag)
    problems += check_strings(spec, strings, raw.label, plausibility=plausibility)
    for column in spec.columns:
        if column not in strings.columns:
            strings[column] = ""
    typed = _typed(spec, strings, raw.label, extra)
    usable = not missing and raw.header_ok and len(typed) > 0
    result = TableResult(spec, typed, problems, raw.path, raw, usable=usable)
    if spec is CENSUS and usable:
        result.problems += check_census_totals(typed, {r for _, r in result.bad_rows})
    return result


def finalise(result: TableResult) -> pd.DataFrame:
    """Cast a valid table to its final dtypes (``year`` as int64)."""
    frame = result.frame.copy()
    frame["year"] = frame["year"].astype("int64")
    return frame.reset_index(drop=True)


def empty_table(spec: TableSpec) -> pd.DataFrame:
    """Return an empty frame with the columns and dtypes of a validated ``spec`` table."""
    data: dict[str, pd.Series] = {}
    for column in spec.columns:
        if column == "year":
            data[column] = pd.Series([], dtype="int64")
        elif column in spec.numeric:
            data[column] = pd.Series([], dtype="float64")
        else:
            data[column] = pd.Series([], dtype="str")
    data["row"] = pd.Series([], dtype="int64")
    data["file"] = pd.Series([], dtype="str")
    return pd.DataFrame(data)


def read_census(
    path: Source, *, populations: Iterable[str] | None = None, sheet: str | None = None
) -> pd.DataFrame:
    """Read and validate a census table (CSV or Excel).

    Columns: ``population, year, kind, value, survey_period, method, flag, source, notes``;
    ``survey_period``, ``method``, ``flag`` and ``notes`` may be absent.

    Parameters
    ----------
    path
        Path to a ``.csv`` or ``.xlsx`` file, an open file (text or binary), or an in-memory
        frame.
    sheet
        Sheet of an Excel workbook; required if the workbook has several (the error lists them).
    populations
        Populations to accept besides Betpakdala, Ural and Ustyurt (e.g. ``["Kalmykia"]``).

    Returns
    -------
    pandas.DataFrame
        One row per input row, with canonical population names, ``year`` as int64, ``value`` as
        float64 (NaN only for kind ``missing``), ``flag`` normalised to ``;``-separated words,
        and added ``row`` (source line, header = 1) and ``file`` columns.

    Raises
    ------
    TypeError
        If ``path`` is not a path, open file or frame.
    saigapop.exceptions.DataValidationError
        Listing every problem: unclosed quotes and rows of the wrong length, missing columns,
        bad numbers or years, unknown words or populations, duplicate (population, year, kind)
        keys, national totals inconsistent with counts, and empty or header-only files.

    Examples
    --------
    >>> import saigapop as sp
    >>> from saigapop.datasets import bundled_data_dir
    >>> census = sp.read_census(bundled_data_dir() / "census.csv")
    >>> ural_2024 = (census.population == "Ural") & (census.year == 2024)
    >>> census.loc[ural_2024 & (census.kind == "count"), "value"].item()
    1620000.0
    """
    return _read_public(CENSUS, path, populations, sheet)


def read_removals(
    path: Source, *, populations: Iterable[str] | None = None, sheet: str | None = None
) -> pd.DataFrame:
    """Read and validate a removals table (culls, harvest, die-offs, poaching; CSV or Excel).

    Columns: ``population, year, kind, status, timing, period, sex, age, unit, value, lower,
    upper, source, notes``; ``period``, ``lower``, ``upper`` and ``notes`` may be absent.
    Checks within the table only; checks against the census are done by
    :meth:`saigapop.SaigaData.from_files`.

    Parameters
    ----------
    path
        Path to a ``.csv`` or ``.xlsx`` file, an open file (text or binary), or an in-memory
        frame.
    sheet
        Sheet of an Excel workbook; required if the workbook has several (the error lists them).
    populations
        Populations to accept besides Betpakdala, Ural and Ustyurt.

    Returns
    -------
    pandas.DataFrame
        One row per input row; ``value``, ``lower``, ``upper`` as float64 (NaN where empty),
        plus ``row`` and ``file``.

    Raises
    ------
    saigapop.exceptions.DataValidationError
        Listing every problem found.

    Examples
    --------
    >>> import saigapop as sp
    >>> from saigapop.datasets import bundled_data_dir
    >>> removals = sp.read_removals(bundled_data_dir() / "removals.csv")
    >>> set(removals["status"]) <= {"final", "interim", "planned", "limit"}
    True
    """
    return _read_public(REMOVALS, path, populations, sheet)


def read_composition(
    path: Source, *, populations: Iterable[str] | None = None, sheet: str | None = None
) -> pd.DataFrame:
    """Read and validate a composition table (sex ratios, calves per female; CSV or Excel).

    Columns: ``population, year, kind, timing, status, males, females, calves,
    age_definition, source, notes``; ``age_definition`` and ``notes`` may be absent. At least
    two of ``males``, ``females``, ``calves`` must be given in each row.

    Parameters
    ----------
    path
        Path to a ``.csv`` or ``.xlsx`` file, an open file (text or binary), or an in-memory
        frame.
    sheet
        Sheet of an Excel workbook; required if the workbook has several (the error lists them).
    populations
        Populations to accept besides Betpakdala, Ural and Ustyurt.

    Returns
    -------
    pandas.DataFrame
        One row per input row; ``males``, ``females``, ``calves`` as float64 (NaN where
        empty), plus ``row`` and ``file``.

    Raises
    ------
    saigapop.exceptions.DataValidationError
        Listing every problem found.

    Examples
    --------
    >>> import saigapop as sp
    >>> from saigapop.datasets import bundled_data_dir
    >>> composition = sp.read_composition(bundled_data_dir() / "composition.csv")
    >>> bool((composition[["males", "females", "calves"]].notna().sum(axis=1) >= 2).all())
    True
    """
    return _read_public(COMPOSITION, path, populations, sheet)


# --- helpers ------------------------------------------------------------------------------


def _read_public(
    spec: TableSpec, source: Source, populations: Iterable[str] | None, sheet: str | None
) -> pd.DataFrame:
    result = read_table(spec, source, resolver=PopulationResolver(populations), sheet=sheet)
    raise_if_errors(result.problems, warn=True)
    return finalise(result)


def _resolve_populations(
    strings: pd.DataFrame, raw: RawTable, resolver: PopulationResolver
) -> list[Problem]:
    if "population" not in strings.columns:
        return []
    problems: list[Problem] = []
    mapping: dict[str, str] = {}
    for name in pd.unique(strings["population"]):
        if not name:
            continue  # reported by the schema as an empty value
        try:
            mapping[name] = resolver.resolve(name)
        except UnknownPopulationError as err:
            for row in strings.index[strings["population"] == name]:
                problems.append(Problem(raw.label, int(row), "population", name, str(err)))
    strings["population"] = strings["population"].map(lambda n: mapping.get(n, n))
    return problems


def _normalise_flag(text: str) -> str:
    return C.FLAG_SEPARATOR.join(p.strip() for p in text.split(C.FLAG_SEPARATOR) if p.strip())


def _typed(spec: TableSpec, strings: pd.DataFrame, label: str, extra: list[str]) -> pd.DataFrame:
    data: dict[str, object] = {}
    for column in spec.columns:
        if column == "year" or column in spec.numeric:
            data[column] = strings[column].map(safe_number).astype("float64").to_numpy()
        else:
            data[column] = strings[column].astype("str").to_numpy()
    for column in extra:
        data[column] = strings[column].astype("str").to_numpy()
    data["row"] = np.asarray(strings.index, dtype="int64")
    data["file"] = np.full(len(strings), label, dtype=object)
    frame = pd.DataFrame(data)
    frame["file"] = frame["file"].astype("str")
    return frame
