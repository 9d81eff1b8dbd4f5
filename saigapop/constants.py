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

# --- Demography (added for saigapop.demography) -------------------------------------------
#: Sex indices along the ``sex`` axis (order of :data:`SEXES`).
FEMALE: Final = 0
MALE: Final = 1
#: Published reproduction by female census age class (yearling, adult), Kühl et al. (2009)
#: Animal Conservation 12:355–363: proportion of females giving birth, and proportion of
#: births that are twins. Yearlings calve at age 1 having conceived at ~7 months.
KUHL_2009_FECUNDITY: Final[tuple[float, float]] = (0.774, 0.946)
KUHL_2009_TWINNING: Final[tuple[float, float]] = (0.117, 0.726)
#: Proportion of births that are female (1:1 primary sex ratio).
BIRTH_SEX_RATIO: Final = 0.5
#: Harem size h of the mating function: published range of harem sizes (12–30 females per
#: male, Milner-Gulland et al. 2003 press material) and the default used when none is given.
HAREM_SIZE_RANGE: Final[tuple[float, float]] = (12.0, 30.0)
DEFAULT_HAREM_SIZE: Final = 20.0
#: Default mating function (issue 16): a Hill curve in the breeding ratio ``r = M/F`` at the
#: rut, normalised to 1 at the ratio ``r_ref`` under which Kühl et al. (2009) measured
#: fecundity, so Kühl's fecundity is not multiplied by a second mate limitation. The numbers
#: below are the prior medians of ``saigapop.model.priors`` (arithmetic in
#: ``docs/annual_cycle.md``, "Mating function from evidence").
DEFAULT_MATING_FORM: Final = "normalised_hill"
#: Male share ``M/(M+F)`` of breeders at which the un-normalised Hill curve is 1/2: the ~1 %
#: adult males of Kalmykia's collapse (Milner-Gulland et al. 2003, Nature 422:135) converted
#: to the model's females at the rut (7-month calves included): 0.006–0.010, median 0.008.
DEFAULT_MATING_HALF_SHARE: Final = 0.008
#: Hill exponent in ``log(M/F)``: fecundity stayed high while males fell to a few per cent and
#: dropped suddenly near 1 % (Milner-Gulland et al. 2003): ≥ ~2, median 3.
DEFAULT_MATING_STEEPNESS: Final = 3.0
#: ``r_ref``, breeding males per breeding female at the rut during Kühl et al.'s (2009)
#: measurements (not published; assumed "healthy" composition, ~25 % adult males,
#: Milner-Gulland et al. 2001): 0.05–0.5, median 0.15.
DEFAULT_MATING_REFERENCE_RATIO: Final = 0.15

# ---------------------------------------------------------------------------------------------
# Data-file vocabularies (added by saigapop.io; the bundled data/*.csv use exactly these words)
# ---------------------------------------------------------------------------------------------

#: Census kinds that refer to the whole country and require population ``total``.
NATIONAL_CENSUS_KINDS: Final[tuple[str, ...]] = ("total", "partial_total", "redundant_total")
#: Census ``flag`` vocabulary; a row's flag is a ``;``-separated subset of these words.
CENSUS_FLAGS: Final[tuple[str, ...]] = (
    "preliminary",
    "coverage_change",
    "method_change",
    "equals_planning_estimate",
    "secondary_source",
    "approximate",
    "pre_die_off",
    "post_die_off",
    "derived",
)
#: Separator between words of a census ``flag``.
FLAG_SEPARATOR: Final = ";"
#: Removal ``timing`` (season of the model year), ``sex``, ``age`` and ``unit`` vocabularies.
REMOVAL_TIMINGS: Final[tuple[str, ...]] = ("calving", "removal", "winter")
REMOVAL_SEXES: Final[tuple[str, ...]] = ("female", "male", "all")
REMOVAL_AGES: Final[tuple[str, ...]] = ("calf", "yearling", "adult", "yearling_adult", "all")
REMOVAL_UNITS: Final[tuple[str, ...]] = ("animals", "horns")
#: Composition-table vocabularies.
COMPOSITION_KINDS: Final[tuple[str, ...]] = (
    "adult_sex_ratio",
    "calves_per_female",
    "cull_composition",
)
COMPOSITION_TIMINGS: Final[tuple[str, ...]] = ("census", "calving", "removal", "rut", "winter")
COMPOSITION_STATUSES: Final[tuple[str, ...]] = ("final", "interim")
#: Inclusive range of acceptable years in any data file.
YEAR_RANGE: Final[tuple[int, int]] = (1900, 2100)

#: Pareto k̂ above which importance weights (PSIS, PSIS-LOO) are unreliable
#: (Vehtari et al. 2024). Here (layer 0) so plots and management read the same limit.
PARETO_KHAT_MAX: float = 0.7
