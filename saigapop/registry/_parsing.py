"""Parse a registry's columns once (text, dates, masses, marks, canonical names) for the rules.

Private to :mod:`saigapop.registry`: :func:`parse_columns` turns the registry frame into a
:class:`ParsedRegistry` that every rule in :mod:`saigapop.registry._rules` reads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from saigapop.constants import YEAR_RANGE
from saigapop.io.populations import canonical_population
from saigapop.registry.gs1 import parse_marks
from saigapop.registry.schema import (
    AGE_ALIASES,
    DATE_COLUMNS,
    DATE_PATTERN,
    MODEL_YEAR_START_MONTH,
    REGISTRY_COLUMNS,
    SEX_ALIASES,
    STAGES,
)

__all__ = ["Lazy", "ParsedRegistry", "iso_dates", "parse_columns"]

#: Values or rules computed for the hit rows only (given the boolean hit mask).
Lazy = Callable[[np.ndarray], "pd.Series | np.ndarray | list[str]"]

_TEXT_COLUMNS = tuple(c for c in REGISTRY_COLUMNS if c not in (*DATE_COLUMNS, "mass_g"))


@dataclass(frozen=True)
class ParsedRegistry:
    """The registry's columns parsed once, shared by the checks (all aligned on one index)."""

    rows: pd.Series  # line numbers
    text: dict[str, pd.Series]  # text columns, stripped ("" = empty)
    dates: dict[str, pd.Series]  # stage -> datetime64 (NaT = empty or unreadable)
    date_text: dict[str, pd.Series]  # stage -> the date as written ("" for typed input)
    present: dict[str, pd.Series]  # stage -> the cell holds a date (readable or not)
    mass: pd.Series  # grams, NaN = empty or unreadable
    mass_text: pd.Series  # as written
    marks: pd.DataFrame  # parse_marks()
    population: pd.Series  # canonical spelling
    sex: pd.Series  # canonical or NaN
    age: pd.Series  # canonical or NaN
    model_year: pd.Series  # Int64, <NA> without a readable harvest date

    def shown_date(self, stage: str) -> Lazy:
        """Show a stage's date as ISO where readable, else as written (hit rows only)."""
        return lambda hit: iso_dates(self.dates[stage][hit]).where(
            self.dates[stage][hit].notna(), self.date_text[stage][hit]
        )

    def shown_mass(self, hit: np.ndarray) -> pd.Series:
        """Show masses as numbers where readable (an Excel 1903.0 reads "1903"), else as written."""
        return self.mass[hit].astype(str).where(self.mass[hit].notna(), self.mass_text[hit])


def parse_columns(frame: pd.DataFrame) -> ParsedRegistry:
    empty = pd.Series("", index=frame.index, dtype="str")
    text = {c: _text(frame[c]) if c in frame else empty for c in _TEXT_COLUMNS}
    dates, date_text = {}, {}
    for stage in STAGES:
        col = f"{stage}_date"
        dates[stage], date_text[stage] = _dates(frame.get(col, empty))
    present = {s: (date_text[s] != "") | dates[s].notna() for s in STAGES}
    mass_text = _text(frame["mass_g"])
    mass = (
        pd.to_numeric(frame["mass_g"], errors="coerce").astype(float)
        if _is_numeric(frame["mass_g"])
        else pd.to_numeric(mass_text.where(mass_text != ""), errors="coerce").astype(float)
    )
    h = dates["harvested"]
    model_year = h.dt.year - (h.dt.month < MODEL_YEAR_START_MONTH).astype("int64")
    return ParsedRegistry(
        rows=_row_numbers(frame),
        text=text,
        dates=dates,
        date_text=date_text,
        present=present,
        mass=mass,
        mass_text=mass_text,
        marks=parse_marks(text["mark"]),
        population=canonical_population(text["population"]),
        sex=text["sex"].str.lower().map(SEX_ALIASES),
        age=text["age"].str.lower().map(AGE_ALIASES),
        model_year=model_year.astype("Int64"),
    )


def _row_numbers(frame: pd.DataFrame) -> pd.Series:
    if "row" in frame.columns:
        rows = pd.to_numeric(frame["row"], errors="coerce")
        if rows.notna().all():
            return rows.astype("int64")
    return pd.Series(np.arange(2, len(frame) + 2, dtype=np.int64), index=frame.index)


def _is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _text(series: pd.Series) -> pd.Series:
    if pd.api.types.is_string_dtype(series) and not pd.api.types.is_object_dtype(series):
        return series.fillna("").str.strip()
    return series.astype(object).where(series.notna(), "").astype(str).str.strip()


def _dates(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse one date column: (datetime64 series, the text as written).

    The text is ``""`` for empty cells and for typed (datetime) input, where there is nothing
    else to show; a cell holds a date when its text is not empty or it parsed.
    """
    if pd.api.types.is_datetime64_any_dtype(series):
        parsed = series.astype("datetime64[us]")
        return parsed, pd.Series("", index=series.index, dtype="str")
    raw = _text(series)
    full = raw.str.fullmatch(DATE_PATTERN)
    parsed = pd.to_datetime(raw.where(full), format="ISO8601", errors="coerce")
    parsed = parsed.astype("datetime64[us]")
    in_range = (parsed.dt.year >= YEAR_RANGE[0]) & (parsed.dt.year <= YEAR_RANGE[1])
    return parsed.where(in_range), raw


def iso_dates(dates: pd.Series) -> pd.Series:
    return dates.dt.strftime("%Y-%m-%d").fillna("").astype(str)
