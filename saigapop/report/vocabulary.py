"""Words the report shows that are not sentences: column titles and the data's vocabulary.

Tables keep English column names and English data codes in their frames (the bundle is
the same in every language, and section builders find columns by name); the exporters
translate them where they lay a table out
(:func:`saigapop.report.exporters._layout.translate_cell`).
Every such word is listed here, marked with :func:`~saigapop.report.i18n.N_`, so that it is
extracted into the message catalogue and a test can require its translation.

Population names: the catalogue gives the short Russian forms used in tables and prose
(Бетпакдала, Урал, Устюрт); :func:`population_full_name` the full names
(Бетпакдалинская популяция, ...) used where the populations are introduced. See
``docs/glossary.md``.
"""

from __future__ import annotations

from saigapop.locale import pgettext
from saigapop.report.i18n import N_, _

__all__ = [
    "COLUMN_TITLES",
    "DATA_PHRASES",
    "DATA_WORDS",
    "VERBATIM_COLUMNS",
    "is_verbatim",
    "population_full_name",
    "population_name",
]

#: Populations of the bundled data and the national row.
POPULATIONS = (N_("Betpakdala"), N_("Ural"), N_("Ustyurt"), N_("national"))


def population_name(pop: str) -> str:
    """Short name of a population in the report language (``Урал``); unknown names as given.

    Examples
    --------
    >>> from saigapop.report.i18n import use_language
    >>> with use_language("ru"):
    ...     population_name("Betpakdala"), population_name("Kalmykia")
    ('Бетпакдала', 'Kalmykia')
    """
    return _(pop)


def population_full_name(pop: str) -> str:
    """Full name where a population is introduced (Russian «Уральская популяция»).

    English keeps the short name (``Ural``); unknown names are returned as given.

    Examples
    --------
    >>> from saigapop.report.i18n import use_language
    >>> with use_language("ru"):
    ...     population_full_name("Ustyurt")
    'Устюртская популяция'
    """
    names = {
        "Betpakdala": pgettext("full name", "Betpakdala"),
        "Ural": pgettext("full name", "Ural"),
        "Ustyurt": pgettext("full name", "Ustyurt"),
    }
    return names.get(pop, pop)


#: Column titles of the report's tables (units in brackets).
COLUMN_TITLES = (
    N_("5 %"),
    N_("50 %"),
    N_("95 %"),
    N_("5 % (animals)"),
    N_("Median (animals)"),
    N_("95 % (animals)"),
    N_("Added risk"),
    N_("Adult sex ratio below (males per female)"),
    N_("Age"),
    N_("Age definition"),
    N_("Basis (die-off, abundance, sex ratio)"),
    N_("Basis (count, survey, toll)"),
    N_("Calves (animals)"),
    N_("Census count below (animals counted)"),
    N_("Census rows"),
    N_("Check"),
    N_("Computed on"),
    N_("saigapop version"),
    N_("Same data as this report"),
    N_("Citation"),
    N_("Column"),
    N_("Composition rows"),
    N_("Count (animals)"),
    N_("Criterion"),
    N_("Deaths (animals)"),
    N_("Decision risk"),
    N_("Detail"),
    N_("Expected count below (animals)"),
    N_("May die-off toll above (carcasses)"),
    N_("Survey sex ratio below (adult males per adult female)"),
    N_("Export (adult males a year)"),
    N_("Export (kg)"),
    N_("Binding criterion"),
    N_("Other planned removals (animals a year)"),
    N_("Wounding loss (adult males a year)"),
    N_("Expected poaching (adult males a year)"),
    N_("Plannable (adult males a year)"),
    N_("Limit (adult males a year)"),
    N_("Export, light end (kg)"),
    N_("Females (animals)"),
    N_("File"),
    N_("Flags"),
    N_("From culls (horns)"),
    N_("From culls (kg)"),
    N_("From stock (horns)"),
    N_("From stock (kg)"),
    N_("Harvest years of the horns"),
    N_("Human offtake (animals a year)"),
    N_("Item"),
    N_("Kind"),
    N_("Label"),
    N_("Limit"),
    N_("Link"),
    N_("Lower (animals)"),
    N_("Lower (horns)"),
    N_("May die-off above (% killed)"),
    N_("MC error"),
    N_("Male offtake (males a year)"),
    N_("Males (animals)"),
    N_("Meaning"),
    N_("Method"),
    N_("N_min (animals)"),
    N_("Name"),
    N_("New harvest (adult males)"),
    N_("New harvest (horns)"),
    N_("New harvest (kg)"),
    N_("Notes"),
    N_("Number (animals)"),
    N_("Number (horns)"),
    N_("Parameter"),
    N_("Passed"),
    N_("Gates the quota"),
    N_("Passes"),
    N_("PBR male (males a year)"),
    N_("PBR total (animals a year)"),
    N_("Period"),
    N_("Population"),
    N_("Posterior mean"),
    N_("Posterior SD"),
    N_("Prior"),
    N_("Prior mean"),
    N_("Prior SD"),
    N_("Quantity"),
    N_("Quota (adult males)"),
    N_("R_max (per year)"),
    N_("Rationale"),
    N_("Reference"),
    N_("Removal rows"),
    N_("Removed"),
    N_("Risk at the quota"),
    N_("Risk at zero export"),
    N_("Row"),
    N_("Rule"),
    N_("Series"),
    N_("SD ratio"),
    N_("Sex"),
    N_("Sex ratio"),
    N_("Source"),
    N_("Status"),
    N_("Survey period"),
    N_("Threshold"),
    N_("Timing"),
    N_("True abundance below (animals)"),
    N_("Unit"),
    N_("Upper (animals)"),
    N_("Upper (horns)"),
    N_("Value"),
    N_("Warning"),
    N_("Within PBR male"),
    N_("Within PBR total"),
    N_("Year"),
    # robustness trials (saigapop.management.trials.trial_table)
    N_("trial"),
    N_("set"),
    N_("population"),
    N_("quota"),
    N_("passes"),
)

#: Columns shown exactly as written, in every language: citations, links, file names,
#: identifiers of parameters and values, notes quoted from the sources. (The registry's findings
#: are messages, shown in the report language.)
VERBATIM_COLUMNS = frozenset(
    {
        "Source",
        "Citation",
        "Reference",
        "Link",
        "File",
        "Notes",
        "Name",
        "Parameter",
        "Prior",
        "Column",
        "Value",
        "Mark (GS1)",
    }
)


def is_verbatim(column: str) -> bool:
    """Whether a column is shown as written: by its English name or its translated title.

    Some section builders title their columns in the report language already.
    """
    return column in VERBATIM_COLUMNS or column in {_(c) for c in VERBATIM_COLUMNS}


#: Codes of the data files and of the report's own tables, shown as words.
DATA_WORDS = (
    # census kinds
    N_("count"),
    N_("total"),
    N_("partial_total"),
    N_("redundant_total"),
    N_("upper_bound"),
    N_("lower_bound"),
    N_("estimate"),
    N_("missing"),
    # census flags
    N_("preliminary"),
    N_("coverage_change"),
    N_("method_change"),
    N_("equals_planning_estimate"),
    N_("secondary_source"),
    N_("approximate"),
    N_("pre_die_off"),
    N_("post_die_off"),
    N_("derived"),
    # removal kinds, statuses, timings, sexes, ages, units
    N_("cull"),
    N_("harvest"),
    N_("mass_mortality"),
    N_("poaching"),
    N_("seizure"),
    N_("capture"),
    N_("final"),
    N_("interim"),
    N_("planned"),
    N_("limit"),
    N_("calving"),
    N_("removal"),
    N_("winter"),
    N_("female"),
    N_("male"),
    N_("all"),
    N_("calf"),
    N_("yearling"),
    N_("adult"),
    N_("yearling_adult"),
    N_("animals"),
    N_("horns"),
    N_("herd_composition"),
    N_("cull_composition"),
    # labels of the report's tables
    N_("PRIOR-DRIVEN"),
    N_("data-informed"),
    N_("prior-driven"),
    N_("none"),
    N_("reference"),
    N_("robustness"),
    N_("no export"),
    N_("at the quota"),
    N_("posterior"),
    N_("conditional"),
    N_("percentile"),
    # census methods of the bundled data (sources: ACBK, Okhotzooprom, the ministry)
    N_("aerial survey (ACBK + Okhotzooprom), 230 flight hours"),
    N_(
        "aerial survey (ACBK for the Committee for Forestry and Wildlife; with Okhotzooprom, "
        "Kazaviaspas)"
    ),
    N_("aerial survey (ACBK for the Committee; Okhotzooprom)"),
    N_("aerial survey (ACBK)"),
    N_("aerial survey (Okhotzooprom + ACBK)"),
    N_("aerial survey (official statistics, reported secondhand)"),
    N_("aerial survey (official)"),
    N_("aerial survey (official, April-May 2025)"),
    N_("ministry post-calving estimate incl. 2024 calves (not a survey)"),
    N_("ministry projection after 2026 calving (not a survey)"),
    N_("ministry projection incl. 2023 calves (not a survey)"),
    N_("none - survey not flown"),
    N_("official statement (not a survey result)"),
    N_("unspecified (Saiga Conservation Alliance figure reported by RFE/RL)"),
    N_("unspecified (press)"),
    N_("unspecified (secondary press statement)"),
    N_("unspecified (secondary statement in a popular book)"),
    N_("unspecified (secondary statement)"),
    N_("unspecified (secondary statement, WWF Russia)"),
    # composition age definitions of the bundled data
    N_("males/females = animals >= ~1 year (yearling_adult); calves = young-of-year (segoletki)"),
    N_("males/females = animals >= ~1 year (yearling_adult); young-of-year not reported"),
)

#: Fragments of free-text data cells (survey and removal periods, validator warnings),
#: replaced inside a cell when the whole cell has no catalogue entry.
DATA_PHRASES = (
    N_("Betpakdala part"),
    N_("early May"),
    N_("April-early May"),
    N_("April-May"),
    N_("3 weeks"),
    N_("year of report, presumed"),
    N_("reported"),
    N_("announced"),
    N_("proposed"),
    N_("approx."),
    N_("from"),
    N_("cannot check this final"),
    N_("against abundance: no count for"),
    N_("in"),
    # horn-registry accounting (saigapop.registry)
    N_("input"),
    N_("accepted"),
    N_("rejected"),
    N_("not placed in a population-year"),
)
