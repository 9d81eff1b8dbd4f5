"""Messages as data: no user-visible sentence of the Russian report falls back to English.

Sentences written by management (quota reasons, notes), validation (checks, evidence files)
and the horn registry are :class:`~saigapop.locale.messages.Message` objects that the report
renders in its language. This module builds a Russian report that exercises every section
— a failing convergence table, passing and failing validation checks, a validation-evidence
file, robustness trials and the MSE, alternative priors, a horn registry with faults,
unexplained and excess horns and exports against a quota — renders it as HTML and DOCX, and
finds every Latin-script word outside a short allow-list.
"""

from __future__ import annotations

import dataclasses
import io
import re

import pandas as pd
import pytest
from report_helpers import (
    mse_note,
    reweighted_alternatives,
    shown_texts,
    small_trial_inputs,
    validation_checks,
)

from saigapop.locale import N_, use_language
from saigapop.locale.messages import Message
from saigapop.report import build_payload, render_docx, render_html
from saigapop.report.standard_sections import DEPENDENCIES
from saigapop.report.vocabulary import is_verbatim
from saigapop.validation.evidence import read_evidence, record_check
from saigapop.validation.outcomes import ValidationInputs

#: Latin-script words a Russian report may hold, by why they stay in Latin script. Anything
#: else is an English word that escaped translation. Identifier-like tokens (with a digit,
#: dot or underscore: file names, codes, hashes, years) are allowed by :data:`_IDENTIFIER`.
ALLOWED = {
    # international abbreviations of the convention and of the statistics, kept in Russian
    # texts on CITES and on Bayesian diagnostics as they are
    "CITES", "NDF", "CMS", "PBR", "MSE", "R-hat", "ESS", "bulk", "tail", "MCSE", "MASE",
    "PSIS", "PSIS-LOO", "LOO", "SBC", "NUTS", "CV", "k-hat", "E-BFMI",
    # PPR (peste des petits ruminants, the OIE/WOAH code beside its Russian name); psense
    # (the power-scaling diagnostic of the priorsense method, a function name)
    "PPR", "psense",
    # codes and formats: GS1 GTIN, report-identifier prefix, time zone, file format
    "GTIN", "SGP", "UTC", "CSV",
    # symbols of formulae (P*, h and M/F of the mating function and the breeding share
    # M/(M+F) of its prior, L draws of SBC, |rho|)
    "P", "P*", "M/F", "M", "F", "N", "h", "s", "n", "k", "L", "p", "exp", "log", "rho",
    # the Latin binomial, and the distribution families and parameters of the priors table
    "Saiga", "tatarica", "LogNormal", "mu", "sigma",
    # authors of the cited sources
    "WWF", "Wade", "Kock", "Milner-Gulland", "Kühl", "et", "al",
    # software and identifiers: package names, the data set's File/Row columns, the RNG seed
    # setting, the reference trial "base"
    "saigapop", "python", "File", "Row", "seed", "base",
    *DEPENDENCIES,
}  # fmt: skip
_IDENTIFIER = re.compile(r".*[._\d].*|[a-z0-9-]+\d[a-z0-9-]*|[a-z]+_[a-z_]+")
_COMMAND = re.compile(r"saigapop report(?: --[\w-]+(?: [A-Z]+)?)*")
_URL = re.compile(r"(?:https?://|www\.|doi:)\S+")
_LATIN = re.compile(
    r"[A-Za-zÀ-ÖØ-öø-ÿ][A-Za-zÀ-ÖØ-öø-ÿ0-9_.\-'’*/]*[A-Za-zÀ-ÖØ-öø-ÿ0-9*]|[A-Za-zÀ-ÖØ-öø-ÿ]"
)


def latin_words(texts: list[str]) -> list[str]:
    """Latin-script words of ``texts`` outside :data:`ALLOWED` (URLs and commands removed)."""
    words = set()
    for text in texts:
        text = _COMMAND.sub(" ", _URL.sub(" ", text))
        for word in _LATIN.findall(text):
            word = word.strip(".'’")
            if word and word not in ALLOWED and not _IDENTIFIER.fullmatch(word):
                words.add(word)
    return sorted(words)


def docx_texts(docx: bytes, language: str) -> list[str]:
    """Paragraphs of the DOCX, and every table cell outside verbatim columns."""
    import docx as python_docx

    doc = python_docx.Document(io.BytesIO(docx))
    texts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        rows = [[cell.text for cell in row.cells] for row in table.rows]
        if not rows:
            continue
        with use_language(language):
            keep = [i for i, h in enumerate(rows[0]) if not is_verbatim(h.strip())]
        texts += rows[0]
        texts += [row[i] for row in rows[1:] for i in keep if i < len(row)]
    return texts


def planning_alternative() -> pd.DataFrame:
    """The quota with the planning-estimate census rows added back, as the step returns it."""
    return pd.DataFrame(
        {
            "population": ["Betpakdala", "Ural", "Ustyurt"],
            "value": [9000.0, 12000.0, 300.0],
            "reference": [8000.0, 11000.0, 300.0],
            "khat": 0.4,
            "ess": 900.0,
            "reliable": True,
            "treatment": "count",
            "rows": "Betpakdala 2025 1600000; Ural 2025 2300000",
            "flagged_year": [2025.0, 2025.0, float("nan")],
            "flagged_value": [1.6e6, 2.3e6, float("nan")],
            "method": "reweighted",
        }
    )


@pytest.fixture(scope="module")
def evidence(tmp_path_factory):
    """A validation-evidence file with a Mohn's rho check as the retrospective writes it."""
    path = tmp_path_factory.mktemp("evidence") / "checks.json"
    rho = validation_checks()[3]
    record_check(path, rho, data_hash="abc", source="pytest -m slow -k retrospective")
    return read_evidence(path, data_hash="abc")


@pytest.fixture(scope="module")
def inputs(evidence, synthetic_quota):
    """Every input of the report, with failures wherever the report words them."""
    from saigapop.registry import make_synthetic_registry, validate_registry

    posterior, quota = synthetic_quota
    result = quota.result
    trials = small_trial_inputs(posterior, result, n_replicates=40)
    note = mse_note(40, 20)
    synth = make_synthetic_registry(
        400, faults={"female_horn": 3, "excess_horns": 2, "no_recorded_removal": 2}, seed=7
    )
    return {
        "fit": posterior,
        "diagnostics": {
            "passed": False,
            "table": pd.DataFrame(
                {
                    "parameter": ["obs_cv", "harem_size"],
                    "rhat": [1.08, 1.001],
                    "ess_bulk": [120.0, 900.0],
                    "ess_tail": [80.0, 700.0],
                }
            ),
        },
        "quota": quota,
        "trials": dataclasses.replace(trials, notes=(note,)),
        "validation": ValidationInputs(
            checks=validation_checks()[:3],
            alternatives=reweighted_alternatives(),
            method="reweighted",
            evidence=evidence,
            planning=planning_alternative(),
        ),
        "registry": validate_registry(synth.registry, synth.removals),
    }


@pytest.fixture(scope="module")
def ru_report(data, config, inputs):
    payload = build_payload(data, config=config.model_copy(update={"language": "ru"}), **inputs)
    return payload, render_html(payload), render_docx(payload)


def test_the_russian_report_exercises_every_section(ru_report):
    payload, _, _ = ru_report
    assert payload.language == "ru"
    for key in ("robustness", "sensitivity", "diagnostics", "registry", "reference_case"):
        assert payload.section(key).computed, key
    registry = " ".join(payload.section("registry").paragraphs)
    assert "зарегистрировано рогов" in registry  # unexplained and excess horns, in Russian
    assert "Экспорт по календарным годам" in registry
    # the registry's row-level findings are messages, shown in Russian (not a verbatim column)
    tables = payload.section("registry").tables
    findings = next(t.frame for t in tables if t.name == "registry_findings_sample")
    assert any("у самок сайги нет рогов" in str(cell) for cell in findings.iloc[:, -1])
    assert not payload.diagnostics_passed  # the failing convergence rows are shown
    assert "НЕ ПРОШЁЛ" in " ".join(payload.section("diagnostics").paragraphs)
    sensitivity = " ".join(payload.section("sensitivity").paragraphs)
    assert "совпадают с плановой оценкой министерства" in sensitivity
    assert "Бетпакдала 2025 (1 600 000)" in sensitivity.replace("\u00a0", " ")


@pytest.mark.parametrize("fmt", ["html", "docx"])
def test_no_sentence_of_the_russian_report_falls_back_to_english(ru_report, fmt):
    payload, html, docx = ru_report
    texts = shown_texts(payload, html) if fmt == "html" else docx_texts(docx, "ru")
    assert latin_words(texts) == []


#: Modules whose sentences the report shows as messages (quota reasons, checks, registry).
PRODUCERS = ("saigapop/management/", "saigapop/validation/", "saigapop/registry/")


def test_every_message_of_the_producers_reads_in_russian():
    """Every form of every producer's sentence, including those the report above does not
    reach (zero quotas, other check outcomes), has a Russian translation with no English."""
    from saigapop.locale import gettext, ngettext, pgettext
    from saigapop.locale.catalog import extract_messages

    shown = {}
    with use_language("ru"):
        for msg in extract_messages():
            if not msg.id or not any(path.startswith(PRODUCERS) for path, _ in msg.locations):
                continue
            if isinstance(msg.id, tuple):
                forms = [ngettext(*msg.id[:2], n) for n in (1, 3, 5)]
            else:
                forms = [pgettext(msg.context, msg.id) if msg.context else gettext(msg.id)]
            for text in forms:
                shown[text] = msg.id
    assert len(shown) > 50
    english = {
        text: latin_words([re.sub(r"\{[^}]*\}", " ", text)])
        for text in shown
        if latin_words([re.sub(r"\{[^}]*\}", " ", text)])
    }
    assert english == {}


def test_the_scan_finds_an_english_sentence():
    """Not vacuous: a sentence left in English, or a message missing from the catalogue."""
    untranslated = Message(N_("this sentence is not in the catalogue {n}"), {"n": 3})
    with use_language("ru"):
        shown = untranslated.render()
    assert {"this", "sentence", "catalogue"} <= set(latin_words([shown]))
    assert latin_words(["Реестр рогов, https://cites.org/eng Saiga tatarica, report.json"]) == []


def test_registry_years_are_printed_as_years(ru_report):
    """The registry titles its columns in the report language; years stay ungrouped."""
    _, html, _ = ru_report
    assert "2\u00a0026" not in html
    assert ">2026<" in html
