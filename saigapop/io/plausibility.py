"""Plausibility of single values: the configurable bounds every input figure must respect.

:class:`Plausibility` holds the settings (the as-of year, the largest plausible figure per
table, whether counts must be whole animals); :func:`value_problems` applies the per-cell
rules to a table of strings as read, so a problem shows the value exactly as the user wrote it.
The rules across rows and tables (years after the as-of year, parts above totals, …) live in
:mod:`saigapop.io.consistency`. Every rule and default is listed in ``docs/data_sheet.md``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from numbers import Integral, Real

import numpy as np
import pandas as pd

from saigapop import constants as C
from saigapop.exceptions import ConfigError
from saigapop.io.parsing import NumberFormatError, parse_number
from saigapop.io.problems import Problem

__all__ = [
    "AS_OF_EXEMPT",
    "DEFAULT_MAX_ANIMALS",
    "Plausibility",
    "latest_census_year",
    "value_problems",
]

#: The largest plausible figure in animals, by default, in any table: 10 x the largest count in
#: the bundled ``data/census.csv`` (the 2025 national redundant total, 3,978,000), rounded up to
#: 40 million. The largest figure of any kind there is the 2026 ministry projection of
#: 5,000,000; the Soviet-era maximum for Kazakhstan was 1.2 million (CMS 2023, quoted in the
#: 1990 row's notes). A figure above the bound is a typing or unit error (1e13, an extra group of
#: digits, a kilogram total typed as animals), never a real saiga count.
DEFAULT_MAX_ANIMALS: float = 40_000_000.0

#: Rows that may describe years after the as-of year: census ``estimate`` rows (projections)
#: and removals with status ``planned`` or ``limit``.
AS_OF_EXEMPT: dict[str, tuple[str, tuple[str, ...]]] = {
    "census": ("kind", ("estimate",)),
    "removals": ("status", ("planned", "limit")),
}

#: Census kinds that are not survey results, so do not define the latest census year.
_NOT_SURVEYS: tuple[str, ...] = ("estimate", "missing")

#: Columns holding numbers of animals (or horns) in each table.
COUNT_COLUMNS: dict[str, tuple[str, ...]] = {
    "census": ("value",),
    "removals": ("value", "lower", "upper"),
    "composition": ("males", "females", "calves"),
    "offtake": ("value",),
}

_DOT_THOUSANDS = re.compile(r"[+-]?\d{1,3}\.\d{3}")


@dataclass(frozen=True)
class Plausibility:
    """Settings of the plausibility rules applied to census, removals and composition tables.

    Parameters
    ----------
    as_of
        The last model year the data may describe. Rows for later years are errors, except
        census ``estimate`` rows and removals with status ``planned`` or ``limit``. ``None``
        (default): the latest census year (the latest year of a census row of any kind but
        ``estimate`` or ``missing``) + 1 — computed from the data, never from the clock. With
        the default, census rows themselves can never be later than the as-of year; pass a year
        to check them too.
    max_census, max_removals, max_composition
        The largest plausible figure in each table, in animals (horns: twice ``max_removals``,
        two per male). Default :data:`DEFAULT_MAX_ANIMALS` (40 million).
    whole_animals
        Whether every figure of animals or horns must be a whole number (default ``True``).
        ``"2.700"`` reads as 2.7 animals: an error that suggests a thousands separator.
    proportion_tolerance
        A composition row whose figures are all below 1 and sum to 1 within this tolerance is
        a row of proportions where counts are expected (default 0.02).

    Raises
    ------
    ConfigError
        If a setting has the wrong type or is out of range.

    Examples
    --------
    >>> from saigapop.io.plausibility import Plausibility
    >>> Plausibility().max_for("census", "animals")
    40000000.0
    >>> Plausibility(as_of=2026).as_of
    2026
    >>> Plausibility(max_census=-1)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    saigapop.exceptions.ConfigError: Plausibility.max_census must be a positive finite ...
    """

    as_of: int | None = None
    max_census: float = DEFAULT_MAX_ANIMALS
    max_removals: float = DEFAULT_MAX_ANIMALS
    max_composition: float = DEFAULT_MAX_ANIMALS
    whole_animals: bool = True
    proportion_tolerance: float = 0.02

    def __post_init__(self) -> None:
        if self.as_of is not None:
            ok = isinstance(self.as_of, Integral) and not isinstance(self.as_of, bool)
            if not ok or not C.YEAR_RANGE[0] <= int(self.as_of) <= C.YEAR_RANGE[1]:
                raise ConfigError(
                    f"Plausibility.as_of must be None or an integer year between "
                    f"{C.YEAR_RANGE[0]} and {C.YEAR_RANGE[1]}, got {self.as_of!r}"
                )
            object.__setattr__(self, "as_of", int(self.as_of))
        for name in ("max_census", "max_removals", "max_composition"):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, Real)
                or not math.isfinite(value)
                or value <= 0
            ):
                raise ConfigError(
                    f"Plausibility.{name} must be a positive finite number, got {value!r}"
                )
            object.__setattr__(self, name, float(value))
        if not isinstance(self.whole_animals, bool):
            raise ConfigError(
                f"Plausibility.whole_animals must be True or False, got {self.whole_animals!r}"
            )
        tol = self.proportion_tolerance
        if isinstance(tol, bool) or not isinstance(tol, Real) or not 0 < tol < 0.5:
            raise ConfigError(
                f"Plausibility.proportion_tolerance must be a number in (0, 0.5), got {tol!r}"
            )

    def max_for(self, table: str, unit: str = "animals") -> float:
        """Return the largest plausible figure in ``table`` (census, removals, composition).

        An offtake plan (table ``offtake``) is held to the removals bound.
        """
        bound = {
            "census": self.max_census,
            "removals": self.max_removals,
            "offtake": self.max_removals,
            "composition": self.max_composition,
        }[table]
        return bound * C.HORNS_PER_MALE if unit == "horns" else bound

    def resolved(self, census: pd.DataFrame | None) -> Plausibility:
        """Return a copy whose ``as_of`` is set: as given, else from ``census`` (typed frame).

        ``as_of`` stays ``None`` only when it was not given and the census has no survey row.

        Examples
        --------
        >>> import pandas as pd
        >>> from saigapop.io.plausibility import Plausibility
        >>> census = pd.DataFrame({"year": [2024.0, 2025.0, 2026.0],
        ...                        "kind": ["count", "count", "estimate"]})
        >>> Plausibility().resolved(census).as_of
        2026
        """
        if self.as_of is not None or census is None:
            return self
        latest = latest_census_year(census)
        return self if latest is None else replace(self, as_of=latest + 1)


def latest_census_year(census: pd.DataFrame) -> int | None:
    """Return the latest year of a census survey row (any kind but estimate or missing).

    ``census`` may be typed or hold strings; unreadable years are ignored. ``None`` if there
    is no such row.
    """
    if census.empty or "year" not in census or "kind" not in census:
        return None
    surveys = census.loc[~census["kind"].isin(_NOT_SURVEYS), "year"]
    years = pd.to_numeric(surveys, errors="coerce")
    years = years[(years >= C.YEAR_RANGE[0]) & (years <= C.YEAR_RANGE[1])]
    return None if years.empty else int(years.max())


# --- per-cell rules on string frames --------------------------------------------------------


def _number(text: str) -> float:
    try:
        return parse_number(text)
    except NumberFormatError:
        return math.nan


def _plain(value: float) -> str:
    return f"{value:,.0f}"


def whole_rule(text: str, value: float) -> str:
    """Return the message for a figure of animals that is not a whole number."""
    rule = f"expected a whole number of animals; '{text.strip()}' reads as {value:g}"
    if _DOT_THOUSANDS.fullmatch(text.strip()):
        digits = text.strip().replace(".", "")
        rule += (
            f". If '.' separates thousands here, write {int(digits)} "
            f"(or {int(digits):,}): '.' is always read as the decimal point"
        )
    return rule


def value_problems(
    table: str, frame: pd.DataFrame, label: str, plausibility: Plausibility
) -> list[Problem]:
    """Check every figure of a string table (index = line numbers) against the settings.

    Rules: figures of animals or horns are whole numbers (``whole_animals``); no figure is above
    the table's maximum; a composition row is not a row of proportions. Cells that are empty,
    unreadable or negative are left to the schema's own rules.

    Parameters
    ----------
    table
        ``census``, ``removals`` or ``composition``.
    frame
        The table as strings, indexed by line number.
    label
        File label used in problems.
    plausibility
        The settings.

    Returns
    -------
    list of Problem

    Examples
    --------
    >>> import pandas as pd
    >>> from saigapop.io.plausibility import Plausibility, value_problems
    >>> frame = pd.DataFrame({"value": ["2.700", "1e13", "5000"]}, index=[2, 3, 4])
    >>> for p in value_problems("census", frame, "census.csv", Plausibility()):
    ...     print(p)  # doctest: +ELLIPSIS
    census.csv, row 2, column 'value': '2.700' — expected a whole number of animals; ...
    census.csv, row 3, column 'value': '1e13' — at most 40,000,000 animals are plausible ...
    """
    columns = [c for c in COUNT_COLUMNS[table] if c in frame.columns]
    if not columns:
        return []
    numbers = pd.DataFrame({c: frame[c].map(_number).astype(float) for c in columns})
    problems: list[Problem] = []
    proportion_rows: set[int] = set()
    if table == "composition":
        proportion_rows = _proportion_rows(frame, numbers, plausibility.proportion_tolerance)
        for row in sorted(proportion_rows):
            given = [c for c in columns if not np.isnan(numbers.at[row, c])]
            shown = ", ".join(f"{c} {frame.at[row, c]}" for c in given)
            total = float(numbers.loc[row, given].sum())
            problems.append(
                Problem(
                    label,
                    int(row),
                    given[0],
                    frame.at[row, given[0]],
                    f"the figures ({shown}) look like proportions (each below 1, summing to "
                    f"{total:.2f}); give the numbers of animals classified",
                )
            )
    horns = (
        frame["unit"].eq("horns").to_numpy()
        if "unit" in frame.columns
        else np.zeros(len(frame), bool)
    )
    bound = np.where(
        horns, plausibility.max_for(table, "horns"), plausibility.max_for(table, "animals")
    )
    for column in columns:
        values = numbers[column].to_numpy()
        usable = ~np.isnan(values) & (values >= 0)
        if plausibility.whole_animals:
            fractional = usable & (values != np.floor(values))
            for i in np.flatnonzero(fractional):
                row = int(frame.index[i])
                if row in proportion_rows:
                    continue
                text = frame[column].iloc[i]
                problems.append(Problem(label, row, column, text, whole_rule(text, values[i])))
        above = usable & (values > bound)
        for i in np.flatnonzero(above):
            what = "horns" if horns[i] else "animals"
            attribute = "max_removals" if table == "offtake" else f"max_{table}"
            problems.append(
                Problem(
                    label,
                    int(frame.index[i]),
                    column,
                    frame[column].iloc[i],
                    f"at most {_plain(bound[i])} {what} are plausible in a {table} table "
                    f"(Plausibility.{attribute}); check the number of digits and the unit",
                )
            )
    return problems


def _proportion_rows(frame: pd.DataFrame, numbers: pd.DataFrame, tolerance: float) -> set[int]:
    given = numbers.notna()
    below_one = (numbers.fillna(0.0) < 1).all(axis=1) & (numbers.fillna(0.0) >= 0).all(axis=1)
    total = numbers.fillna(0.0).sum(axis=1)
    fractional = ((numbers.fillna(0.0) % 1) != 0).any(axis=1)
    hit = (given.sum(axis=1) >= 2) & below_one & fractional & ((total - 1).abs() <= tolerance)
    return {int(r) for r in frame.index[hit.to_numpy()]}
