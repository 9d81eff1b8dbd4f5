"""Chain-of-custody export (CSV, JSON) and its schema; the report section."""

import dataclasses
import json

import pandas as pd
import pytest

from saigapop.locale import use_language
from saigapop.locale.messages import Message
from saigapop.registry import (
    CUSTODY_CSV_COLUMNS,
    CUSTODY_JSON_SCHEMA,
    DEMO_FAULTS,
    STAGES,
    custody_events,
    custody_json,
    make_synthetic_registry,
    reconcile,
    registry_section,
    schema_errors,
    validate_registry,
    write_custody,
)


@pytest.fixture(scope="module")
def validation():
    synth = make_synthetic_registry(600, faults=DEMO_FAULTS, seed=31)
    return validate_registry(synth.registry, synth.removals)


def test_events_cover_accepted_horns_in_custody_order(validation):
    events = custody_events(validation)
    assert list(events.columns) == list(CUSTODY_CSV_COLUMNS)
    assert events["mark"].nunique() == validation.n_accepted
    assert set(events["mark"]) == set(validation.accepted["mark"])
    for _, chain in events.groupby("mark", sort=False):
        assert chain["sequence"].is_monotonic_increasing
        assert chain["sequence"].is_unique
        assert chain["event"].tolist() == [STAGES[i - 1] for i in chain["sequence"]]
        assert chain["date"].is_monotonic_increasing
        assert chain["event"].iloc[0] == "harvested"
    expected_events = sum(validation.accepted[f"{s}_date"].notna().sum() for s in STAGES)
    assert len(events) == expected_events


def test_json_validates_against_its_schema(validation):
    doc = custody_json(validation)
    assert schema_errors(doc) == []
    assert len(doc["horns"]) == validation.n_accepted
    horn = doc["horns"][0]
    assert horn["events"][0]["event"] == "harvested"
    # Survives a trip through text.
    assert schema_errors(json.loads(json.dumps(doc))) == []


def test_json_validates_with_jsonschema_when_available(validation):
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.Draft202012Validator.check_schema(dict(CUSTODY_JSON_SCHEMA))
    jsonschema.validate(custody_json(validation), dict(CUSTODY_JSON_SCHEMA))


@pytest.mark.parametrize(
    ("breaker", "text"),
    [
        (lambda d: d.update(schema="other"), "$.schema: expected 'saigapop.horn_custody'"),
        (lambda d: d["horns"][0].update(gtin="123"), "$.horns[0].gtin: '123' does not match"),
        (lambda d: d["horns"][0].update(sex="female"), "$.horns[0].sex: expected 'male'"),
        (lambda d: d["horns"][0].update(mass_g=0), "$.horns[0].mass_g: 0 is not above 0"),
        (lambda d: d["horns"][0].update(colour="grey"), "unexpected property 'colour'"),
        (lambda d: d["horns"][0].pop("events"), "missing required property 'events'"),
        (
            lambda d: d["horns"][0]["events"][0].update(date="10.08.2025"),
            "$.horns[0].events[0].date: '10.08.2025' does not match",
        ),
        (
            lambda d: d["horns"][0]["events"][0].update(event="sold"),
            "$.horns[0].events[0].event: 'sold' is not one of",
        ),
        (
            lambda d: d["horns"][0]["events"][0].update(sequence="1"),
            "$.horns[0].events[0].sequence: expected integer, got str",
        ),
        (lambda d: d["horns"][0].update(events=[]), "$.horns[0].events: fewer than 1 items"),
    ],
)
def test_schema_errors_catch_violations(validation, breaker, text):
    doc = custody_json(validation)
    breaker(doc)
    errors = schema_errors(doc)
    assert any(text in e for e in errors), errors


def test_schema_validator_refuses_unknown_keywords():
    with pytest.raises(NotImplementedError, match="oneOf"):
        schema_errors(1, {"oneOf": []})


def test_write_custody_csv_and_json(tmp_path, validation):
    write_custody(validation, tmp_path / "custody.csv")
    write_custody(validation, tmp_path / "custody.json")
    csv = pd.read_csv(tmp_path / "custody.csv", dtype=str, keep_default_na=False)
    assert list(csv.columns) == list(CUSTODY_CSV_COLUMNS)
    assert len(csv) == len(custody_events(validation))
    assert csv["gtin"].str.len().eq(14).all()  # leading zeros kept
    doc = json.loads((tmp_path / "custody.json").read_text(encoding="utf-8"))
    assert schema_errors(doc) == []
    with pytest.raises(ValueError, match=r"\.json or \.csv"):
        write_custody(validation, tmp_path / "custody.xml")


def test_registry_section(validation):
    synth = make_synthetic_registry(600, faults=DEMO_FAULTS, seed=31)
    rec = reconcile(validation, quota_kg=synth.quota_kg)
    section = registry_section(validation, rec)
    assert dataclasses.is_dataclass(section)
    with pytest.raises(dataclasses.FrozenInstanceError):
        section.title = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        section.tables["new"] = pd.DataFrame()  # type: ignore[index]
    assert set(section.tables) == {
        "accounting",
        "faults",
        "population_year",
        "exports",
        "stock",
        "findings_sample",
    }
    n = section.numbers
    assert n["horns_input"] == 600
    assert n["horns_accepted"] + n["horns_rejected"] == n["horns_input"]
    assert n["stock_kg"] == pytest.approx(rec.stock_kg, abs=0.05)
    text = "\n".join(map(str, section.prose))
    assert "600 horns" in text
    assert "where no final removal is recorded" in text  # the Ustyurt horns
    assert "from the" in text
    assert "males removed" in text
    assert "10,000 kg" in text
    assert all(isinstance(p, Message) for p in section.prose)  # rendered by the report
    with use_language("ru"):
        shown = "\n".join(p.render() for p in section.prose)
    assert "10\u00a0000 кг" in shown  # the Russian number format, from the same message
    assert len(section.tables["findings_sample"]) == 20


def test_registry_section_on_a_clean_registry():
    synth = make_synthetic_registry(300, seed=2)
    section = registry_section(validate_registry(synth.registry, synth.removals))
    text = "\n".join(map(str, section.prose))
    assert "no row has any fault" in text
    assert "every population-year's horns are covered" in text


def test_docs_show_the_schema_in_the_code():
    from pathlib import Path

    docs = Path(__file__).resolve().parents[2] / "docs" / "registry.md"
    if not docs.exists():
        pytest.skip("docs not present")
    text = docs.read_text(encoding="utf-8")
    block = text.split("<!-- custody-schema:start -->")[1].split("<!-- custody-schema:end -->")[0]
    shown = json.loads(block.strip().removeprefix("```json").removesuffix("```"))
    assert shown == json.loads(json.dumps(dict(CUSTODY_JSON_SCHEMA)))


def test_registry_section_without_removals():
    synth = make_synthetic_registry(50, seed=2)
    section = registry_section(validate_registry(synth.registry, None))
    assert "not checked against removals" in str(section.prose[1])
