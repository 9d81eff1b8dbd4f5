"""The report states the triggers on what a manager observes, and still shows old results.

A triggers Dataset from :func:`saigapop.management.compute_triggers` carries ``count``,
``survey_sex_ratio`` and ``die_off_toll``; one saved before (true quantities only) must
still render, saying which kind it is.
"""

from __future__ import annotations

import dataclasses

import pytest

from saigapop.report import build_payload
from saigapop.report.formatting import format_value


@pytest.fixture(scope="module")
def quota(synthetic_quota):
    return synthetic_quota[1]


@pytest.fixture(scope="module")
def old_quota(quota):
    """The same quota with its triggers as saved before they were stated on observations."""
    t = quota.triggers
    new = [v for v in t.data_vars if v.split("_basis")[0].split("_conditional")[0].split("_hit")[0]
           in ("count", "survey_sex_ratio", "die_off_toll")]  # fmt: skip
    old = t.drop_vars(new)
    for k in ("observed", "survey_adults", "survey_design_effect", "toll_detection", "seed"):
        old.attrs.pop(k, None)
    assert "count" not in old
    assert "census" in old
    return dataclasses.replace(quota, triggers=old)


def _payload(data, config, posterior, quota, language="en"):
    return build_payload(
        data,
        fit=posterior,
        diagnostics={"passed": True},
        quota=quota,
        config=config.model_copy(update={"language": language}),
    )


def _trigger_sentence(payload) -> str:
    hits = [
        p
        for s in payload.sections
        for p in s.paragraphs
        if "suspend the following autumn's take" in p or "изъятия следующей осенью" in p
    ]
    assert hits, "no trigger sentence in the summary"
    return hits[0]


def test_summary_states_triggers_on_observations(data, config, synthetic_quota):
    posterior, quota = synthetic_quota
    payload = _payload(data, config, posterior, quota)
    text = _trigger_sentence(payload)
    assert "true spring abundance" not in text
    assert "a census count below" in text
    assert "a composition survey (1,000 adults classified) showing fewer than" in text
    assert "a May die-off toll above" in text
    assert "carcasses" in text
    t = quota.triggers
    y = int(t["year"].values[0])
    for p in t["population"].values:
        count = round(float(t["count"].sel(year=y, population=p)), -2)
        assert payload.values[f"trigger.{p}.{y}.count_animals"] == count
        assert format_value(count, f"trigger.{p}.{y}.count_animals") in text
        ratio = round(float(t["survey_sex_ratio"].sel(year=y, population=p)), 3)
        assert payload.values[f"trigger.{p}.{y}.survey_sex_ratio"] == ratio
        toll = round(float(t["die_off_toll"].sel(year=y, population=p)), -2)
        assert payload.values[f"trigger.{p}.{y}.die_off_toll"] == toll
    assert payload.values["triggers.survey_adults"] == 1000
    summary = " ".join(p for s in payload.sections for p in s.paragraphs)
    assert "evidence of a population in trouble, not certainty" in summary


def test_triggers_section_tables_observed_then_true(data, config, synthetic_quota):
    posterior, quota = synthetic_quota
    payload = _payload(data, config, posterior, quota)
    section = payload.section("triggers")
    observed = payload.table("triggers")
    assert list(observed.columns[2:]) == [
        "Census count below (animals counted)",
        "Survey sex ratio below (adult males per adult female)",
        "May die-off toll above (carcasses)",
        "Basis (count, survey, toll)",
    ]
    t = quota.triggers
    row = observed.iloc[0]
    p, y = row["Population"], row["Year"]
    assert row["Census count below (animals counted)"] == round(
        float(t["count"].sel(year=y, population=p)), -2
    )
    true = payload.table("triggers_true")
    assert "True abundance below (animals)" in true.columns
    text = " ".join(section.paragraphs)
    assert "1,000 classified adults" in text
    assert "not certainty" in text
    assert "assuming 100 % of the deaths are found" in text


def test_an_old_triggers_dataset_still_renders_and_says_what_it_is(
    data, config, synthetic_quota, old_quota
):
    posterior, _ = synthetic_quota
    payload = _payload(data, config, posterior, old_quota)
    text = _trigger_sentence(payload)
    assert "a true spring abundance below" in text
    summary = " ".join(p for s in payload.sections for p in s.paragraphs)
    assert "from a result saved before triggers were stated on observations" in summary
    section = payload.section("triggers")
    assert section.computed
    assert "were computed before triggers were stated on observations" in " ".join(
        section.paragraphs
    )
    assert "True abundance below (animals)" in payload.table("triggers").columns
    assert "triggers_true" not in {t.name for _, t in payload.tables()}


def test_russian_trigger_sentence(data, config, synthetic_quota):
    posterior, quota = synthetic_quota
    payload = _payload(data, config, posterior, quota, language="ru")
    summary = " ".join(p for s in payload.sections for p in s.paragraphs)
    assert "результат учёта ниже" in summary
    assert "учёт полового состава (1 000 классифицированных взрослых особей)" in summary.replace(
        "\u00a0", " "
    ).replace("\u202f", " ")
    assert "найденных туш" in summary
    assert "истинная весенняя численность" not in summary
