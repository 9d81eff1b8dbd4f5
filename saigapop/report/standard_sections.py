"""Sections every report has.

Summary, assumptions and limits, monitoring and traceability, references, provenance and
the list of named numbers.
"""

from __future__ import annotations

import importlib.metadata
import platform
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from saigapop import constants as C
from saigapop._version import __version__
from saigapop.report.config import ReportConfig
from saigapop.report.contracts import Provenance, Section, Table, ValueBook
from saigapop.report.data_sections import SaigaDataLike
from saigapop.report.formatting import format_date, format_value
from saigapop.report.i18n import N_, _
from saigapop.report.precaution_sections import precautions_summary
from saigapop.report.programme_sections import programme_summary
from saigapop.report.prose import join_words
from saigapop.report.quota_sections import quota_summary
from saigapop.report.vocabulary import population_full_name

__all__ = [
    "DEPENDENCIES",
    "LITERATURE",
    "assumptions_section",
    "collect_provenance",
    "monitoring_section",
    "provenance_section",
    "references_section",
    "summary_section",
    "values_section",
]

#: Distributions whose versions are printed in the provenance.
DEPENDENCIES: tuple[str, ...] = (
    "numpy",
    "scipy",
    "pandas",
    "xarray",
    "pymc",
    "arviz",
    "pandera",
    "matplotlib",
    "jinja2",
    "weasyprint",
    "python-docx",
)

#: Literature cited by the report's fixed text: (citation, URL).
LITERATURE: tuple[tuple[str, str], ...] = (
    (
        "Bekenov, A.B., Grachev, Iu.A. & Milner-Gulland, E.J. (1998). The ecology and management "
        "of the saiga antelope in Kazakhstan. Mammal Review 28: 1–52.",
        "",
    ),
    (
        "CITES (2025). CoP20, Proposal 3 (Kazakhstan), adopted with amendments: exports of Saiga "
        "tatarica horn from Kazakhstan only, up to 10,000 kg per year for three years.",
        "https://programs.wcs.org/newsroom/News-Releases/articleType/ArticleView/articleId/25672/"
        "CITES-CoP20-Decision-Allows-International-Trade-in-Saiga-Horn-Strongly-Opposed-by-WCS.aspx",
    ),
    (
        "CITES. Resolution Conf. 16.7, Non-detriment findings.",
        "https://cites.org/sites/default/files/eng/res/16/E-Res-16-07.pdf",
    ),
    (
        "Kock, R.A. et al. (2018). Saigas on the brink: multidisciplinary analysis of the factors "
        "influencing mass mortality events. Science Advances 4: eaao2314.",
        "https://pmc.ncbi.nlm.nih.gov/articles/PMC5777396",
    ),
    (
        "Kühl, A. et al. (2009). Monitoring population productivity in the saiga antelope. "
        "Animal Conservation 12: 355–363.",
        "",
    ),
    (
        "Wade, P.R. (1998). Calculating limits to the allowable human-caused mortality of "
        "cetaceans and pinnipeds. Marine Mammal Science 14: 1–37.",
        "",
    ),
    (
        "Milner-Gulland, E.J. et al. (2003). Reproductive collapse in saiga antelope harems. "
        "Nature 422: 135.",
        "https://www.nature.com/articles/422135a",
    ),
)


def summary_section(
    *,
    populations: Sequence[str],
    country: str = "Kazakhstan",
    vb: ValueBook,
    quota_recommended: bool,
    diagnostics_passed: bool | None,
    computed_inputs: Mapping[str, bool],
    quota: Any = None,
    config: Any = None,
) -> Section:
    """Build the summary: scope, the CITES cap and whether a quota is recommended.

    With a ``quota`` (:class:`~saigapop.management.outcomes.QuotaInputs`) the quota per population
    and year in adult males, horns and kg by source, against the cap, and the triggers that
    suspend it, are added — labelled NOT recommended when the fit failed its checks.
    """
    cap = vb.add("cites.annual_cap_kg", C.CITES_CAP_KG, _("CITES CoP20 export cap, kg per year"))
    n_pop = vb.add("summary.populations", len(populations), _("populations in this report"))
    paragraphs = [
        _(
            "This report is the biological justification (CITES non-detriment finding) for "
            "exports of saiga horn from {country}. Populations covered ({count}): {names}. "
            "CITES CoP20 allows Kazakhstan to export at most {cap} kg of horn a year for three "
            "years; only adult males carry horns, and every annual quota must rest on a "
            "finding like this one."
        ).format(
            country=country,
            count=n_pop,
            names=join_words([population_full_name(p) for p in populations]),
            cap=cap,
        ),
    ]
    tables: list[Table] = []
    if quota_recommended:
        paragraphs.append(
            _(
                "A quota is recommended: the model fit passed its diagnostics and acceptance "
                "checklist. The recommended quotas are below and in the table."
            )
        )
    elif not computed_inputs.get("fit"):
        paragraphs.append(
            _(
                "No quota is recommended in this report: no model fit was supplied, so the "
                "model, status, projection, risk and quota sections were not computed. The "
                "report presents the data, the assumptions and the traceability of every "
                "figure; a quota needs a fitted model that passes its diagnostics and "
                "acceptance checklist."
            )
        )
    elif diagnostics_passed is False:
        paragraphs.append(
            _(
                "No quota is recommended: the model fit failed its diagnostics or acceptance "
                "checklist (see that section). A quota from such a fit is not a valid finding."
            )
        )
    else:
        paragraphs.append(_("No quota is recommended: no quota solution was supplied."))
    if quota is not None and computed_inputs.get("fit"):
        more, tabs = quota_summary(
            quota, vb, config or ReportConfig(), recommended=quota_recommended
        )
        cfg = config or ReportConfig()
        paragraphs += more + programme_summary(quota, vb, cfg) + precautions_summary(quota, vb, cfg)
        tables += tabs
    return Section(
        "summary", _("Summary and recommended quotas"), tuple(paragraphs), tables=tuple(tables)
    )


def assumptions_section(data: SaigaDataLike, vb: ValueBook) -> Section:
    """Assumptions and limits of the data and of any finding drawn from them."""
    paragraphs = [
        _(
            "Census counts. Spring aerial counts are published without error margins; methods "
            "and coverage have changed over the series, and some recent figures coincide with "
            "ministry planning estimates (see the Flags column of the census table). A model "
            "must allow for observation error and for changes in detection, or it will read "
            "them as births and deaths."
        ),
        _(
            "Sex ratio. Counts see totals, not the adult sex ratio, yet a male-only quota binds "
            "on it: harem breeding fails when adult males become scarce (Milner-Gulland et al. "
            "2003). Unless composition data inform it, the sex ratio rests on priors, and the "
            "report must label it so."
        ),
        _(
            "Removals. Only final figures are removals; interim, planned and limit figures are "
            "not added. Where a cull's split by population or by sex and age is unpublished, "
            "the removal is carried with bounds, and cull composition is treated as a "
            "selective sample, not a random one."
        ),
        _(
            "Die-offs. Mass mortality in the calving season (pasteurellosis) has repeatedly "
            "killed a large share of a population within weeks (Kock et al. 2018). Known "
            "die-offs are data; future ones are a risk that any projection must include."
        ),
        _(
            "Migration across borders. The Ural population ranges into Russia and the Ustyurt "
            "population into Uzbekistan, and Betpakdala moves far south in deep-snow winters. "
            "Spring counts in Kazakhstan may include or miss animals that cross borders, and "
            "removals abroad are not in these data. Quotas for shared populations call for "
            "consultation with the other range States (CMS Memorandum of Understanding on the "
            "saiga; CITES guidance on non-detriment findings for migratory and transboundary "
            "species)."
        ),
    ]
    return Section("assumptions", _("Assumptions and limits"), tuple(paragraphs))


def monitoring_section(vb: ValueBook, *, registry_supplied: bool) -> Section:
    """Build the monitoring that keeps the finding valid, and how each number is traced."""
    paragraphs = [
        _(
            "Monitoring. The finding depends on an annual spring census with its method, "
            "coverage and error reported; counts of the sex ratio before the rut and of calves "
            "per female after calving; surveillance of the calving grounds in May for "
            "die-offs; and final cull and harvest figures by population, sex and age class."
        ),
        _(
            "Traceability. Every number in the prose is a named value listed in the last "
            "section with its meaning, and every table is a CSV file in the machine-readable "
            "bundle that accompanies this report (report.json holds the values and the "
            "provenance). Each data row keeps its source and its file line. The report "
            "identifier on the cover is derived from the content, so two reports with one "
            "identifier show the same numbers."
        ),
    ]
    if not registry_supplied:
        paragraphs.append(
            _(
                "Horn registry. Not computed: no horn registry was supplied, so the "
                "reconciliation of marked horns with removals and quotas is not shown."
            )
        )
    return Section("monitoring", _("Monitoring and traceability"), tuple(paragraphs))


def _split_sources(text: str) -> list[str]:
    return [s.strip() for s in str(text).split(" ; ") if s.strip()]


def references_section(data: SaigaDataLike, vb: ValueBook) -> Section:
    """Literature cited by the text, and every data source with the rows that cite it."""
    counts: dict[str, dict[str, int]] = {}
    for table, frame in (
        ("census", data.census),
        ("removals", data.removals),
        ("composition", data.composition),
    ):
        for text in frame.get("source", pd.Series([], dtype=str)):
            for src in _split_sources(text):
                counts.setdefault(src, {"census": 0, "removals": 0, "composition": 0})
                counts[src][table] += 1
    frame = pd.DataFrame(
        {
            "Source": list(counts),
            "Census rows": [c["census"] for c in counts.values()],
            "Removal rows": [c["removals"] for c in counts.values()],
            "Composition rows": [c["composition"] for c in counts.values()],
        }
    ).astype(
        {
            "Source": str,
            "Census rows": "int64",
            "Removal rows": "int64",
            "Composition rows": "int64",
        }
    )
    n = vb.add("references.data_sources", len(frame), _("distinct data sources"))
    literature = pd.DataFrame(
        {"Reference": [c for c, _ in LITERATURE], "Link": [u for _, u in LITERATURE]}
    ).astype(str)
    return Section(
        "references",
        _("References"),
        (
            _("Literature cited in the text, then the data sources of the tables ({n}).").format(
                n=n
            ),
        ),
        tables=(
            Table("literature", _("Literature"), literature, link_columns=("Link",)),
            Table(
                "data_sources",
                _("Data sources"),
                frame,
                caption=_("Each source with the number of rows citing it in each table."),
                link_columns=("Source",),
            ),
        ),
    )


def collect_provenance(
    *,
    data_hash: str,
    seed: int | None,
    sampler: Mapping[str, object],
    created: str,
    inputs: Mapping[str, bool],
) -> Provenance:
    """Versions of saigapop and its numerical and document dependencies, plus run settings."""
    deps = {"python": platform.python_version()}
    for name in DEPENDENCIES:
        try:
            deps[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            deps[name] = "not installed"
    return Provenance(
        package_version=__version__,
        data_hash=data_hash,
        seed=seed,
        sampler=dict(sampler),
        created=created,
        dependencies=deps,
        inputs=dict(inputs),
    )


#: The optional inputs of a report, in words (provenance table).
_INPUT_WORDS = {
    "fit": N_("model fit"),
    "diagnostics": N_("diagnostics"),
    "quota": N_("quota solution"),
    "trials": N_("robustness trials"),
    "validation": N_("validation"),
    "registry": N_("horn registry"),
}


def provenance_section(prov: Provenance) -> Section:
    """Provenance as a two-column table."""
    sampler = ", ".join(f"{k}={format_value(v, k)}" for k, v in prov.sampler.items())
    supplied = [_INPUT_WORDS.get(k, k) for k, v in prov.inputs.items() if v]
    absent = [_INPUT_WORDS.get(k, k) for k, v in prov.inputs.items() if not v]
    items = [
        (_("saigapop version"), prov.package_version),
        (_("Data hash (SHA-256)"), prov.data_hash),
        (_("Seed"), _("none") if prov.seed is None else str(prov.seed)),
        (_("Sampler settings"), sampler or _("none (no fit)")),
        (_("Created (UTC)"), format_date(prov.created)),
        (_("Inputs supplied"), join_words([_(w) for w in supplied]) or _("data only")),
        (_("Inputs not supplied"), join_words([_(w) for w in absent]) or _("none")),
        *((_("Version of {package}").format(package=k), v) for k, v in prov.dependencies.items()),
    ]
    frame = pd.DataFrame(items, columns=["Item", "Value"]).astype(str)
    return Section(
        "provenance",
        _("Provenance"),
        (
            _(
                "What produced this report, enough to reproduce it. The identifier on the cover "
                "is SGP, the report date and the first 8 hexadecimal digits of a SHA-256 hash "
                "over the prose, tables, named values and this provenance (the date excepted). "
                "The English and Russian reports of one analysis share the identifier."
            ),
        ),
        tables=(Table("provenance", _("Provenance"), frame),),
    )


def values_section(vb: ValueBook) -> Section:
    """Every named number with its meaning, as printed."""
    frame = pd.DataFrame(
        {
            "Name": list(vb.values),
            "Value": [format_value(v, k) for k, v in vb.values.items()],
            "Meaning": [vb.meanings[k] for k in vb.values],
        }
    ).astype(str)
    return Section(
        "values",
        _("Numbers used in this report"),
        (
            _(
                "Every number in the prose, by name, as printed (report.json in the bundle "
                "holds them as numbers)."
            ),
        ),
        tables=(Table("named_values", _("Named values"), frame),),
    )
