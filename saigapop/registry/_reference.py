"""A plain row-by-row validator: the independent reference for tests and the benchmark baseline.

It applies the rules of :func:`saigapop.registry.validate_registry` with ordinary Python loops
over records, sharing only the constants and the scalar GS1 check digit. It returns the set of
(row, fault) pairs found; the vectorised validator must find exactly the same set.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime

import pandas as pd

from saigapop.constants import KAZAKH_POPULATIONS, POPULATION_ALIASES, YEAR_RANGE
from saigapop.registry.gs1 import gtin_check_digit
from saigapop.registry.schema import (
    AGE_ALIASES,
    DATE_PATTERN,
    HORN_MASS_G_PLAUSIBLE,
    MODEL_YEAR_START_MONTH,
    SEX_ALIASES,
    STAGES,
)

_HRI = re.compile(
    r"^\(01\)(\d{14})\(21\)([A-Za-z0-9!\"%&'*+,\-./:;<=>?_]{1,20})(?:\(\d{2,4}\)[^()]*)*$"
)
_RAW = re.compile(r"^01(\d{14})21([A-Za-z0-9!\"%&'*+,\-./:;<=>?_]{1,20})(?:\x1d.*)?$")


def validate_rowwise(
    registry: pd.DataFrame,
    removals: pd.DataFrame | None,
    mass_bounds: tuple[float, float] = HORN_MASS_G_PLAUSIBLE,
    as_of: int | None = None,
) -> set[tuple[int, str]]:
    """Validate ``registry`` one row at a time; return the (row, fault) pairs found.

    ``as_of`` defaults as in ``validate_registry`` without a census: the latest year of a
    final removal + 1.
    """
    lo, hi = mass_bounds
    known = {p.lower() for p in KAZAKH_POPULATIONS} | set(POPULATION_ALIASES) | {"total"}
    final_years: list[int] = []
    for rec in [] if removals is None else removals.to_dict("records"):
        name = _text(rec.get("population")).lower()
        known.add(POPULATION_ALIASES.get(name, name).lower())
        year = _number(rec.get("year"))
        if _text(rec.get("status")).lower() == "final" and year is not None:
            final_years.append(int(year))
    if as_of is None and final_years:
        as_of = max(final_years) + 1
    found: set[tuple[int, str]] = set()
    records = registry.to_dict("records")
    rows = (
        [int(r["row"]) for r in records] if "row" in registry else list(range(2, len(records) + 2))
    )
    keys: dict[str, list[int]] = {}
    placed: dict[tuple[str, int], list[tuple[date, int]]] = {}
    for row, rec in zip(rows, records, strict=True):
        text = {k: _text(v) for k, v in rec.items()}
        # invalid values
        for col in ("mark", "population", "region", "harvested_place"):
            if text[col] == "":
                found.add((row, "invalid_value"))
        if text["sex"].lower() not in SEX_ALIASES or text["age"].lower() not in AGE_ALIASES:
            found.add((row, "invalid_value"))
        mass = _number(rec["mass_g"])
        if mass is None:
            found.add((row, "invalid_value"))
        dates: dict[str, date | None] = {}
        for stage in STAGES:
            raw = text[f"{stage}_date"]
            dates[stage] = _date(rec[f"{stage}_date"])
            if raw != "" and dates[stage] is None:
                found.add((row, "invalid_value"))
            if stage != "harvested":
                if raw == "" and (text[f"{stage}_place"] or text[f"{stage}_permit"]):
                    found.add((row, "invalid_value"))
                if raw != "" and text[f"{stage}_place"] == "":
                    found.add((row, "invalid_value"))
        if text["harvested_date"] == "":
            found.add((row, "invalid_value"))
        # marks
        mark = text["mark"]
        match = _HRI.match(mark) or _RAW.match(mark)
        if match:
            gtin, serial = match.group(1), match.group(2)
            if gtin_check_digit(gtin[:13]) != int(gtin[13]):
                found.add((row, "bad_check_digit"))
            key = f"(01){gtin}(21){serial}"
        else:
            if mark:
                found.add((row, "malformed_mark"))
            key = mark
        if key:
            keys.setdefault(key, []).append(row)
        # population and as-of year
        population = POPULATION_ALIASES.get(text["population"].lower(), text["population"])
        unknown = bool(population) and population.lower() not in known
        if unknown:
            found.add((row, "invalid_value"))
        late = {s for s in STAGES if as_of is not None and dates[s] and dates[s].year > as_of}
        if late:
            found.add((row, "invalid_value"))
        # biology
        if SEX_ALIASES.get(text["sex"].lower()) == "female":
            found.add((row, "female_horn"))
        if AGE_ALIASES.get(text["age"].lower()) == "calf":
            found.add((row, "calf_horn"))
        if mass is not None and not lo <= mass <= hi:
            found.add((row, "mass_out_of_bounds"))
        # custody
        h, s, p, e = (dates[stage] for stage in STAGES)
        if s and h and s < h:
            found.add((row, "custody_out_of_order"))
        previous = s or h
        if p and previous and p < previous:
            found.add((row, "custody_out_of_order"))
        if text["stored_date"] == "" and (text["processed_date"] or text["exported_date"]):
            found.add((row, "custody_out_of_order"))
        if e and any(d and d > e for d in (h, s, p)):
            found.add((row, "custody_after_export"))
        if text["exported_date"] and not text["exported_permit"]:
            found.add((row, "export_without_permit"))
        if population.lower() == "total":
            found.add((row, "invalid_value"))
        elif population and h and not unknown and "harvested" not in late:
            year = h.year - (1 if h.month < MODEL_YEAR_START_MONTH else 0)
            placed.setdefault((population, year), []).append((h, row))
    for rows_with_key in keys.values():
        if len(rows_with_key) > 1:
            found.update((r, "duplicate_mark") for r in rows_with_key)
    if removals is not None:
        capacity = _capacity(removals)
        for key, horns in placed.items():
            if key not in capacity:
                found.update((r, "no_recorded_removal") for _, r in horns)
                continue
            for rank, (_, r) in enumerate(sorted(horns), start=1):
                if rank > capacity[key]:
                    found.add((r, "excess_horns"))
    return found


def _capacity(removals: pd.DataFrame) -> dict[tuple[str, int], float]:
    """2 x the most horn-bearing males removed, per recorded population-year."""
    males: dict[tuple[str, int], float] = {}
    recorded: set[tuple[str, int]] = set()
    for rec in removals.to_dict("records"):
        if (
            _text(rec.get("status")).lower() != "final"
            or _text(rec.get("unit")).lower() != "animals"
        ):
            continue
        name = _text(rec["population"])
        population = POPULATION_ALIASES.get(name.lower(), name)
        if population.lower() == "total":
            continue
        key = (population, int(rec["year"]))
        value, lower, upper = (_number(rec.get(c)) for c in ("value", "lower", "upper"))
        if max(value or 0, lower or 0, upper or 0) > 0:
            recorded.add(key)
        sex = _text(rec.get("sex")).lower()
        age = _text(rec.get("age")).lower()
        if sex == "female" or age in ("calf", "young-of-year", "young of year"):
            continue
        most = upper if upper is not None else value if value is not None else math.inf
        males[key] = males.get(key, 0.0) + most
    return {key: 2 * males.get(key, 0.0) for key in recorded}


def _text(value: object) -> str:
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, datetime | pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    return str(value).strip()


def _number(value: object) -> float | None:
    try:
        number = float(_text(value))
    except ValueError:
        return None
    return None if math.isnan(number) else number


def _date(value: object) -> date | None:
    if value is pd.NaT or value is None:
        return None
    if isinstance(value, datetime | pd.Timestamp):
        return value.date()
    text = _text(value)
    if not text or not re.fullmatch(DATE_PATTERN, text):
        return None
    try:
        parsed = pd.Timestamp(text).date()
    except ValueError:
        return None
    return parsed if YEAR_RANGE[0] <= parsed.year <= YEAR_RANGE[1] else None
