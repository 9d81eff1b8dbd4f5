"""Canonical dimension names, coordinates and defaults shared by every module.

Every public object in saigapop uses these names; nothing returns an array whose
axes must be remembered by position.
"""

from __future__ import annotations

from typing import Final

#: Dimension names (DESIGN §3).
POPULATION: Final = "population"
YEAR: Final = "year"
SEX: Final = "sex"
AGE: Final = "age"

#: Coordinates. ``sex`` is ordered female, male everywhere (array axis order too).
SEXES: Final[tuple[str, str]] = ("female", "male")
#: Age classes over the model year; ``calf`` is the young of the year (removal data call it
#: "young-of-year") and exists only inside the year (pre-breeding census).
AGE_CLASSES: Final[tuple[str, str, str]] = ("calf", "yearling", "adult")
#: Classes counted at the spring census (pre-breeding: calves are not yet born).
CENSUS_AGE_CLASSES: Final[tuple[str, str]] = ("yearling", "adult")

#: Canonical spellings of the Kazakh populations and their accepted aliases.
KAZAKH_POPULATIONS: Final[tuple[str, str, str]] = ("Betpakdala", "Ural", "Ustyurt")
POPULATION_ALIASES: Final[dict[str, str]] = {
    "betpakdala": "Betpakdala",
    "betpak-dala": "Betpakdala",
    "betpak dala": "Betpakdala",
    "betpak_dala": "Betpakdala",
    "бетпакдала": "Betpakdala",
    "бетпак-дала": "Betpakdala",
    "ural": "Ural",
    "volga-ural": "Ural",
    "zhaiyk": "Ural",
    "урал": "Ural",
    "уральская": "Ural",
    "ustyurt": "Ustyurt",
    "ustiurt": "Ustyurt",
    "устюрт": "Ustyurt",
    "устюртская": "Ustyurt",
}
#: Reserved population value for rows that refer to the sum over all populations
#: (census kinds ``total``, ``partial_total``, ``redundant_total``; national removals).
TOTAL: Final = "total"

#: Census ``kind`` vocabulary (DESIGN §3).
CENSUS_KINDS: Final[tuple[str, ...]] = (
    "count",
    "total",
    "partial_total",
    "redundant_total",
    "upper_bound",
    "lower_bound",
    "estimate",
    "missing",
)
#: Kinds that enter the likelihood (``estimate`` only where the model config says so).
LIKELIHOOD_CENSUS_KINDS: Final[tuple[str, ...]] = (
    "count",
    "total",
    "partial_total",
    "upper_bound",
    "lower_bound",
)
#: Removal ``kind`` and ``status`` vocabularies (DESIGN §3).
REMOVAL_KINDS: Final[tuple[str, ...]] = (
    "cull",
    "harvest",
    "mass_mortality",
    "poaching",
    "seizure",
    "capture",
)
REMOVAL_STATUSES: Final[tuple[str, ...]] = ("final", "interim", "planned", "limit")

#: Default credible-interval mass (DESIGN §3: 90 % unless the user asks otherwise).
CI_PROB: Final = 0.90

#: Horns: two per adult male; plausible per-horn mass range in grams (DESIGN §3).
HORNS_PER_MALE: Final = 2
HORN_MASS_G_RANGE: Final[tuple[float, float]] = (165.0, 200.0)
#: The CITES CoP20 annual export cap, kg per calendar year.
CITES_CAP_KG: Final = 10_000.0
