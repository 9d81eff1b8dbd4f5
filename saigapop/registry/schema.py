"""The horn registry table: columns, vocabularies, bounds and the catalogue of faults.

One row per horn (one mark), with the four custody events as fixed column groups. See
``docs/registry.md`` for why the registry is one wide table rather than horns + events.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

__all__ = [
    "DATE_COLUMNS",
    "DATE_PATTERN",
    "FAULTS",
    "HORN_MASS_G_PLAUSIBLE",
    "MODEL_YEAR_START_MONTH",
    "OPTIONAL_COLUMNS",
    "REGISTRY_COLUMNS",
    "REQUIRED_COLUMNS",
    "STAGES",
]

# --- Horn-registry constants (registry-specific; shared ones come from saigapop.constants) ---

#: Custody stages in the order a horn passes through them.
STAGES: Final[tuple[str, str, str, str]] = ("harvested", "stored", "processed", "exported")

#: Every registry column, in the canonical order used when writing files.
REGISTRY_COLUMNS: Final[tuple[str, ...]] = (
    "mark",
    "population",
    "region",
    "sex",
    "age",
    "mass_g",
    *(f"{stage}_{field}" for stage in STAGES for field in ("date", "place", "permit")),
)
#: Columns every row must fill (a horn is always harvested somewhere, on some date).
REQUIRED_COLUMNS: Final[tuple[str, ...]] = (
    "mark",
    "population",
    "region",
    "sex",
    "age",
    "mass_g",
    "harvested_date",
    "harvested_place",
)
#: Columns that may be empty (later custody events, and permits other than the export permit,
#: which is checked by its own rule).
OPTIONAL_COLUMNS: Final[tuple[str, ...]] = tuple(
    c for c in REGISTRY_COLUMNS if c not in REQUIRED_COLUMNS
)
DATE_COLUMNS: Final[tuple[str, ...]] = tuple(f"{stage}_date" for stage in STAGES)
#: A date written as text must give year, month and day: ``YYYY-MM-DD``, ``YYYY/MM/DD`` or
#: ``YYYYMMDD``, optionally followed by a time. ``2025`` or ``2025-09`` are not dates: read as
#: 1 January or 1 September they would put the horn in the wrong model year. Years outside
#: :data:`saigapop.constants.YEAR_RANGE` are not accepted either.
DATE_PATTERN: Final = r"(\d{4}([-/])\d{1,2}\2\d{1,2}|\d{8})([T ][\d:.]+)?"

#: Plausible envelope for the mass of ONE horn, grams. Wider than the typical adult range
#: (``saigapop.constants.HORN_MASS_G_RANGE``, 165-200 g) because that range is derived
#: indirectly (no direct measurement by age is published), because young adults carry smaller
#: horns and old males larger ones, and because horns dry and lose mass in storage. Outside it
#: a record is almost surely an error: below 80 g (under half the typical minimum) it is a
#: fragment, a juvenile horn or kilograms typed as grams; above 300 g (1.5 x the typical
#: maximum) it is most likely a pair weighed as one horn (a pair is ~330-400 g) or a typing
#: error.
HORN_MASS_G_PLAUSIBLE: Final[tuple[float, float]] = (80.0, 300.0)

#: Harvest dates from this calendar month on belong to model year = calendar year; earlier
#: dates (January-April, before the spring census) belong to the previous model year.
MODEL_YEAR_START_MONTH: Final = 5

#: Accepted spellings of sex and age class (case-insensitive) and their canonical values.
SEX_ALIASES: Final = MappingProxyType(
    {"male": "male", "m": "male", "female": "female", "f": "female"}
)
AGE_ALIASES: Final = MappingProxyType(
    {
        "calf": "calf",
        "young-of-year": "calf",
        "young of year": "calf",
        "yearling": "yearling",
        "adult": "adult",
    }
)

#: Every fault the validator reports, in reporting order, with a one-line description. Every
#: fault rejects the row it is found on.
FAULTS: Final = MappingProxyType(
    {
        "invalid_value": "a required value is missing or unreadable",
        "malformed_mark": "the mark is not a GS1 element string with (01) GTIN-14 and (21) serial",
        "bad_check_digit": "the GTIN's GS1 mod-10 check digit is wrong",
        "duplicate_mark": "the same mark (GTIN + serial) is on more than one row",
        "female_horn": "the horn is recorded from a female (female saiga have no horns)",
        "calf_horn": "the horn is recorded from a calf (calves carry only horn buds)",
        "mass_out_of_bounds": "the horn mass is outside the plausible envelope",
        "custody_out_of_order": "custody events are out of order or a stage is skipped",
        "custody_after_export": "a custody event is dated after the export",
        "export_without_permit": "the horn is exported without an export permit",
        "no_recorded_removal": "no final removal is recorded for the horn's population-year",
        "excess_horns": "more horns than twice the males removed in the population-year",
    }
)
