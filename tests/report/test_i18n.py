"""The report in Russian: complete catalogue, no English left, identical numbers, fonts."""

from __future__ import annotations

import dataclasses
import io
import json
import re

import pandas as pd
import pytest
from pydantic import ValidationError
from report_helpers import (
    docx_text,
    html_text,
    mse_note,
    normalise,
    pdf_text,
    reweighted_alternatives,
    shown_texts,
    small_trial_inputs,
    validation_checks,
)

from saigapop.locale import LANGUAGES, catalogue, ngettext, use_language
from saigapop.locale.catalog import extract_messages, missing_translations
from saigapop.management.outcomes import TrialInputs
from saigapop.report import (
    ReportConfig,
    build_payload,
    render_docx,
    render_html,
    render_pdf,
    write_bundle,
)
from saigapop.report.formatting import format_date, format_value
from saigapop.report.standard_sections import DEPENDENCIES
from saigapop.validation.outcomes import ValidationInputs

# --- the catalogue -------------------------------------------------------------------------


def test_every_message_of_the_code_has_a_russian_translation():
    missing = missing_translations("ru")
    assert not missing, f"{len(missing)} untranslated, e.g. {missing[:5]}"


def test_extraction_finds_template_plotting_and_vocabulary_messages():
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in extract_messages()}
    for msg in ("Contents", "Page", "Census year", "Count (animals)", "{n} row", "final"):
        assert msg in ids, msg


def test_translations_keep_every_placeholder():
    cat = catalogue("ru")
    bad = []
    for msgid, text in cat.singular.items():
        if set(re.findall(r"\{\w*\}", msgid)) != set(re.findall(r"\{\w*\}", text)):
            bad.append(msgid)
    for msgid, forms in cat.plural.items():
        if any(set(re.findall(r"\{\w*\}", msgid)) != set(re.findall(r"\{\w*\}", f)) for f in forms):
            bad.append(msgid)
    assert not bad, bad


def test_russian_plural_forms():
    with use_language("ru"):
        got = [ngettext("{n} row", "{n} rows", k).format(n=k) for k in (1, 2, 5, 11, 21, 22, 25)]
    assert got == [
        "1 строка",
        "2 строки",
        "5 строк",
        "11 строк",
        "21 строка",
        "22 строки",
        "25 строк",
    ]


def test_glossary_terms_are_used_in_the_catalogue():
    """The standard terms of docs/glossary.md are the ones the catalogue uses."""
    text = " ".join(catalogue("ru").singular.values()).lower()
    for term in (
        "биологическое обоснование",
        "заключение о неущербности",
        "численность",
        "половозрастной состав",
        "половое соотношение",
        "авиаучёт",
        "изъяти",
        "квота",
        "сеголетки",
        "взрослые самцы",
        "рог",
        "массовый падёж",
        "окот",
        "гон",
        "априорн",
        "апостериорн",
    ):
        assert term in text, term


# --- numbers and dates ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "name", "en", "ru"),
    [
        (1_150_000, None, "1,150,000", "1\u00a0150\u00a0000"),
        (1.6612, None, "1.66", "1,66"),
        (-1234.5, None, "-1,234", "-1\u00a0234"),
        (0.01234, None, "0.0123", "0,0123"),
        (2025, "census.latest_year", "2025", "2025"),
        (float("nan"), None, "n/a", "н/д"),
        (True, None, "yes", "да"),
    ],
)
def test_numbers_follow_the_language_with_the_same_digits(value, name, en, ru):
    assert format_value(value, name) == en
    with use_language("ru"):
        assert format_value(value, name) == ru


def test_dates_follow_the_language():
    assert format_date("2026-01-15T09:30:00+00:00", "en") == "2026-01-15T09:30:00+00:00"
    ru = format_date("2026-01-15T09:30:00+00:00", "ru")
    assert ru == "15 января 2026\u202fг., 09:30"  # narrow no-break space before "г."


# --- unknown language ----------------------------------------------------------------------


def test_unknown_language_is_refused_everywhere():
    assert LANGUAGES == ("en", "ru")
    with pytest.raises(ValidationError, match="unknown report language 'kk'"):
        ReportConfig(language="kk")
    with pytest.raises(ValueError, match="unknown report language 'de'"), use_language("de"):
        pass


def test_cli_refuses_an_unknown_language_before_any_work(tmp_path):
    from typer.testing import CliRunner

    from saigapop.cli import app

    result = CliRunner().invoke(app, ["report", "--language", "fr", "--out", str(tmp_path)])
    assert result.exit_code != 0
    assert "unknown report language 'fr'" in result.output
    assert not any(tmp_path.iterdir())


# --- payloads in both languages ------------------------------------------------------------


@pytest.fixture(scope="module")
def ru_config(config):
    return config.model_copy(update={"language": "ru"})


@pytest.fixture(scope="module")
def ru_payload(data, ru_config):
    return build_payload(data, config=ru_config)


@pytest.fixture(scope="module")
def model_inputs(synthetic_quota):
    posterior, quota = synthetic_quota
    result = quota.result
    validation = ValidationInputs(checks=validation_checks()[:1])
    trials = TrialInputs(
        trials=pd.DataFrame(
            [
                {
                    "trial": name,
                    "population": str(p),
                    "set": kind,
                    "quota": float(result.level.sel(population=p)),
                    "passes": True,
                }
                for name, kind in (
                    ("reference", "reference"),
                    ("double_catastrophes", "robustness"),
                )
                for p in result.level["population"].values
            ]
        )
    )
    return {
        "fit": posterior,
        "diagnostics": {"passed": True},
        "quota": quota,
        "validation": validation,
        "trials": trials,
    }


@pytest.fixture(scope="module")
def model_payloads(data, config, ru_config, model_inputs):
    return {
        "en": build_payload(data, config=config, **model_inputs),
        "ru": build_payload(data, config=ru_config, **model_inputs),
    }


@pytest.fixture(scope="module")
def ru_model_texts(model_payloads):
    payload = model_payloads["ru"]
    html = render_html(payload)
    pdf = render_pdf(payload, html=html)
    return {
        "html": html_text(html),
        "pdf": pdf_text(pdf),
        "docx": docx_text(render_docx(payload)),
        "_html": html,
        "_pdf": pdf,
    }


def test_russian_payload_is_in_russian_with_the_english_numbers(ru_payload, payload):
    assert ru_payload.language == "ru"
    assert ru_payload.section("summary").title == "Резюме и рекомендуемые квоты"
    assert ru_payload.title == "Биологическое обоснование квот на экспорт рогов сайгака"
    assert dict(ru_payload.values) == dict(payload.values)
    assert ru_payload.report_id == payload.report_id
    assert [s.key for s in ru_payload.sections] == [s.key for s in payload.sections]


def test_model_report_numbers_are_identical_in_both_languages(model_payloads):
    en, ru = model_payloads["en"], model_payloads["ru"]
    assert len(en.values) > 100
    assert dict(ru.values) == dict(en.values)
    assert ru.report_id == en.report_id
    assert ru.quota_recommended == en.quota_recommended
    for name, frame in en.to_dataframes().items():
        neutral = ru.bundle_frame(name)
        assert neutral.equals(frame), name


#: report.json keys whose text is in the report's language; everything else is identical.
_LANGUAGE_KEYS = {"language", "title", "subtitle", "alerts", "value_meanings"}


def _neutral_meta(meta: dict) -> dict:
    meta = {k: v for k, v in meta.items() if k not in _LANGUAGE_KEYS}
    meta["sections"] = [{k: v for k, v in s.items() if k != "title"} for s in meta["sections"]]
    meta["tables"] = [
        {k: v for k, v in t.items() if k not in ("title", "caption")} for t in meta["tables"]
    ]
    return meta


def test_bundles_are_byte_identical_apart_from_language_metadata(model_payloads, tmp_path):
    en = write_bundle(model_payloads["en"], tmp_path / "en")
    ru = write_bundle(model_payloads["ru"], tmp_path / "ru")
    en_csv = sorted(p.relative_to(en) for p in en.rglob("*.csv"))
    assert en_csv == sorted(p.relative_to(ru) for p in ru.rglob("*.csv"))
    assert len(en_csv) > 10
    for rel in en_csv:
        assert (en / rel).read_bytes() == (ru / rel).read_bytes(), rel
    meta_en = json.loads((en / "report.json").read_text(encoding="utf-8"))
    meta_ru = json.loads((ru / "report.json").read_text(encoding="utf-8"))
    assert (meta_en["language"], meta_ru["language"]) == ("en", "ru")
    assert meta_ru["value_meanings"].keys() == meta_en["value_meanings"].keys()
    assert _neutral_meta(meta_ru) == _neutral_meta(meta_en)


@pytest.mark.parametrize("fmt", ["html", "pdf", "docx"])
def test_every_named_value_appears_in_the_russian_exports(model_payloads, ru_model_texts, fmt):
    payload = model_payloads["ru"]
    text = ru_model_texts[fmt]
    with use_language("ru"):
        missing = [
            name
            for name, value in payload.values.items()
            if normalise(format_value(value, name)) not in text
        ]
    assert not missing, missing[:10]


def test_russian_pdf_holds_the_russian_quota_table(model_payloads, ru_model_texts):
    text = ru_model_texts["pdf"]
    assert "Квота и экспорт по годам, популяциям и источникам" in text
    assert "Квота (взрослых самцов)" in text
    assert "Рекомендуемая квота" in text
    payload = model_payloads["ru"]
    quotas = [k for k in payload.values if k.startswith("quota.") and k.endswith(".adult_males")]
    assert quotas
    with use_language("ru"):
        for k in quotas:
            assert normalise(format_value(payload.values[k], k)) in text, k


def test_pdf_embeds_the_bundled_cyrillic_font(ru_model_texts):
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(ru_model_texts["_pdf"]))
    fonts = set()
    for page in reader.pages[:3]:
        resources = page["/Resources"]
        for font in resources.get("/Font", {}).values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    assert fonts
    assert all("saigapop-DejaVu-Sans" in f for f in fonts), fonts  # never a system font
    assert "Содержание" in ru_model_texts["pdf"]


# --- no English left -----------------------------------------------------------------------

#: Latin-script words allowed in the Russian report: international abbreviations and
#: statistics kept as they are, units of the formulae, software and file names, authors.
ALLOWED = {
    "CITES", "NDF", "CMS", "PBR", "MSE", "R-hat", "ESS", "bulk", "tail", "E-BFMI", "N_min",
    "R_max", "F_r", "P", "P*", "M", "F", "M/F", "h", "s", "n", "exp", "log", "SHA-256", "SGP",
    "UTC", "CSV", "JSON", "DataTree", "saigapop", "report.json", "File", "Row", "Saiga",
    "tatarica", "WWF", "Wade", "Kock", "Milner-Gulland", "Kühl", "et", "al", "seed", "Hindcast",
    "MASE", "PSIS", "PSIS-LOO", "k", "N", "CV", "GTIN", "SBC", "LogNormal", "Normal", "Beta",
    "HalfNormal", "LogitNormal", "mu", "sigma", "alpha", "beta",
    "Kallioinen",
    "rho",  # Mohn's rho in its threshold, |rho| <= 0.3
    "base",  # the name of the reference trial (saigapop.management.trials), an identifier
    "python",
    *DEPENDENCIES,  # package names in the provenance
}  # fmt: skip
#: Identifier-like tokens: dotted names, snake_case, file names, hashes, package names.
_IDENTIFIER = re.compile(r".*[._\d].*|[a-z0-9-]+\d[a-z0-9-]*|[a-z]+-[a-z]+")
_COMMAND = re.compile(r"saigapop report(?: --[\w-]+(?: [A-Z]+)?)*")
_LATIN = re.compile(
    r"[A-Za-zÀ-ÖØ-öø-ÿ][A-Za-zÀ-ÖØ-öø-ÿ0-9_.\-'’*/]*[A-Za-zÀ-ÖØ-öø-ÿ0-9*]|[A-Za-zÀ-ÖØ-öø-ÿ]"
)


def _english_words(payload, html: str) -> list[str]:
    words = []
    for text in shown_texts(payload, html):
        text = _COMMAND.sub(" ", text)  # command lines quoted for the reader stay as typed
        for word in _LATIN.findall(text):
            word = word.strip(".'’")
            if word in ALLOWED or _IDENTIFIER.fullmatch(word):
                continue
            words.append(word)
    return sorted(set(words))


def test_data_report_in_russian_has_no_english_left(ru_payload):
    html = render_html(ru_payload)
    assert '<html lang="ru">' in html
    assert _english_words(ru_payload, html) == []


def test_model_report_in_russian_has_no_english_left(model_payloads, ru_model_texts):
    words = _english_words(model_payloads["ru"], ru_model_texts["_html"])
    assert words == [], words


def test_the_english_check_catches_an_unwrapped_string(ru_payload):
    """The Latin-word check is not vacuous: English text that bypassed _() is found."""
    html = render_html(ru_payload).replace("Содержание", "Contents of the report")
    assert {"Contents", "of", "the", "report"} <= set(_english_words(ru_payload, html))


def test_english_report_is_unchanged_by_the_catalogue(payload, html):
    assert '<html lang="en">' in html
    assert payload.section("summary").title == "Summary and recommended quotas"
    assert "Contents" in html_text(html)
    assert "Содержание" not in html


def test_russian_docx_uses_the_russian_template_strings(model_payloads, ru_model_texts):
    import docx as python_docx

    text = ru_model_texts["docx"]
    for label in ("Идентификатор отчёта", "Дата (UTC)", "Рисунок 1.", "Таблица 1.", "Резюме"):
        assert label in text, label
    for english in ("Report identifier", "Figure 1.", "Table 1.", "Date (UTC)"):
        assert english not in text, english
    doc = python_docx.Document(io.BytesIO(render_docx(model_payloads["ru"])))
    assert doc.core_properties.language == "ru"
    assert "стр." in doc.sections[0].footer.paragraphs[0].text


@pytest.fixture(scope="module")
def full_ru_payload(data, ru_config, model_inputs):
    """A Russian report with every section: trials, MSE, alternative priors, checks."""
    base = small_trial_inputs(model_inputs["fit"], model_inputs["quota"].result, n_replicates=40)
    alternatives = reweighted_alternatives()
    checks = validation_checks()[1::2]  # Pareto k, Mohn's rho
    inputs = {
        **model_inputs,
        "trials": dataclasses.replace(
            base,
            notes=(mse_note(40, 20),),
        ),
        "validation": ValidationInputs(
            checks=checks, alternatives=alternatives, method="reweighted"
        ),
    }
    return build_payload(data, config=ru_config, **inputs)


def test_every_section_in_russian_has_no_english_left(full_ru_payload):
    for key in ("robustness", "sensitivity", "diagnostics"):
        assert full_ru_payload.section(key).computed, key
    words = _english_words(full_ru_payload, render_html(full_ru_payload))
    assert words == [], words


def test_registry_section_in_russian_has_no_english_left(data, ru_config):
    from saigapop.registry import make_synthetic_registry, validate_registry

    synth = make_synthetic_registry(400, faults={"female_horn": 3}, seed=7)
    registry = validate_registry(synth.registry, synth.removals)
    payload = build_payload(data, registry=registry, config=ru_config)
    assert payload.section("registry").computed
    text = " ".join(payload.section("registry").paragraphs)
    assert "Реестр рогов содержит рогов: 400" in text
    assert "рог записан от самки" in text
    words = _english_words(payload, render_html(payload))
    assert words == [], words
