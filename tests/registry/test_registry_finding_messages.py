"""Registry findings as messages: the English ``message`` is the ``finding`` rendered in English,
and every finding reads in Russian (the report shows it in its language)."""

from __future__ import annotations

import re

import pytest

from saigapop.locale import use_language
from saigapop.locale.messages import Message
from saigapop.registry import make_synthetic_registry, validate_registry

FAULTS = {
    "female_horn": 2,
    "calf_horn": 1,
    "excess_horns": 2,
    "no_recorded_removal": 2,
    "bad_check_digit": 1,
    "malformed_mark": 1,
    "duplicate_mark": 1,
    "mass_out_of_bounds": 1,
    "export_without_permit": 1,
    "custody_out_of_order": 2,
    "custody_after_export": 1,
}


@pytest.fixture(scope="module")
def findings():
    synth = make_synthetic_registry(400, faults=FAULTS, seed=7)
    return validate_registry(synth.registry, synth.removals).findings


def test_every_fault_is_found(findings):
    assert set(FAULTS) <= set(findings["fault"])


def test_the_english_message_is_the_finding_in_english(findings):
    assert all(isinstance(f, Message) for f in findings["finding"])
    for message, finding in zip(findings["message"], findings["finding"], strict=True):
        assert message == str(finding)


def test_every_finding_reads_in_russian(findings):
    with use_language("ru"):
        shown = [f.render() for f in findings["finding"]]
    for text, fault in zip(shown, findings["fault"], strict=True):
        assert text.startswith("строка "), text
        # the rule itself (after the mark, before the fault code) is in Cyrillic
        rule = text.split(": ", 1)[1].rsplit(" [", 1)[0]
        assert re.search("[а-яё]", rule), text
        assert text.endswith(f"[{fault}]")
    female = shown[list(findings["fault"]).index("female_horn")]
    assert "у самок сайги нет рогов" in female


def test_a_missing_value_is_a_message_with_its_column():
    synth = make_synthetic_registry(20, seed=1)
    registry = synth.registry.copy()
    registry.loc[registry.index[3], "region"] = ""
    found = validate_registry(registry, synth.removals).findings
    hit = found[(found["fault"] == "invalid_value") & (found["column"] == "region")]
    assert hit["rule"].item() == "region: missing value"
    with use_language("ru"):
        assert "region: значение отсутствует" in hit["finding"].item().render()
