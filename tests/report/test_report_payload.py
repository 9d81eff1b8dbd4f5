import dataclasses
import datetime as dt
import re

import pandas as pd
import pytest

from saigapop.report import ReportConfig, Table, build_payload, format_value
from saigapop.report.contracts import ValueBook
from saigapop.report.sections import MODEL_SECTIONS

# DESIGN §6 order: summary, reference case, data, model, diagnostics, status, projections,
# risk, robustness, sensitivity, PBR, triggers, horn registry, assumptions, monitoring,
# references, provenance.
EXPECTED_ORDER = [
    "summary", "reference_case", "data", "data_census", "data_removals", "data_die_offs",
    "data_composition", "model", "diagnostics", "status", "projections", "risk",
    "programme", "precautions", "robustness", "sensitivity", "pbr", "triggers", "registry",
    "assumptions", "monitoring", "references", "provenance", "values",
]  # fmt: skip


def test_sections_follow_the_ndf_order(payload):
    assert [s.key for s in payload.sections] == EXPECTED_ORDER


def test_data_only_payload_recommends_no_quota(payload):
    assert payload.quota_recommended is False
    assert payload.diagnostics_passed is None
    assert any("No quota is recommended" in a for a in payload.alerts)
    summary = " ".join(payload.section("summary").paragraphs)
    assert "No quota is recommended" in summary
    assert "no model fit was supplied" in summary


def test_model_sections_say_plainly_they_were_not_computed(payload):
    for key in [spec.key for spec in MODEL_SECTIONS] + ["diagnostics"]:
        section = payload.section(key)
        assert section.computed is False
        assert section.paragraphs[0].startswith("Not computed.")
        assert not section.tables
        assert not section.figures


def test_data_sections_are_built_for_real(payload, data):
    census = payload.table("census")
    assert len(census) == len(data.census)
    assert {"Count (animals)", "Kind", "Flags", "Source", "Row"} <= set(census.columns)
    assert set(census["Kind"]) == set(data.census["kind"])
    ural_2025 = census[
        (census["Population"] == "Ural") & (census["Year"] == 2025) & (census["Kind"] == "count")
    ]
    assert ural_2025["Count (animals)"].item() == payload.values["census.Ural.latest_count_animals"]
    removals = payload.table("removals")
    assert {"final", "interim", "planned"} <= set(removals["Status"])
    assert (payload.table("die_offs")["Deaths (animals)"] > 0).all()
    assert len(payload.table("composition")) == len(data.composition)
    figure = payload.section("data_census").figures[0]
    assert figure.png.startswith(b"\x89PNG")


def test_values_come_from_the_data(payload, data):
    v = payload.values
    counts = data.census[data.census["kind"] == "count"]
    for pop in data.populations:
        sub = counts[counts["population"] == pop].sort_values("year")
        assert v[f"census.{pop}.latest_count_animals"] == sub["value"].iloc[-1]
        assert v[f"census.{pop}.latest_count_year"] == sub["year"].iloc[-1]
    assert v["cites.annual_cap_kg"] == 10_000
    assert all(isinstance(x, int | float | str) for x in v.values())


def _numbers(text: str) -> set[str]:
    # numbers standing alone (not the "20" of "CoP20")
    return set(re.findall(r"(?<![\w.])\d[\d,]*(?:\.\d+)?(?!\w)", text))


def test_every_number_in_data_prose_is_a_value_or_a_table_cell(payload):
    """Traceability: prose numbers are named values or cells of the section's tables."""
    named = {format_value(v, k) for k, v in payload.values.items()}
    cells = set()
    for section in payload.sections:
        if section.key != "values":  # the list of values would make this circular
            for table in section.tables:
                for row in table.formatted_rows():
                    cells |= {n for cell in row for n in _numbers(cell)} | set(row)
    for section in payload.sections:
        if not section.computed or section.key in ("provenance", "values"):
            continue
        for para in section.paragraphs:
            stray = {n for n in _numbers(para) if n.rstrip(",") not in named | cells}
            assert not stray, f"{section.key}: {stray} in {para!r}"


def test_payload_is_frozen(payload):
    with pytest.raises(dataclasses.FrozenInstanceError):
        payload.report_id = "x"
    with pytest.raises(TypeError):
        payload.values["census.rows"] = 0
    frame = payload.table("census")
    frame.loc[0, "Count (animals)"] = -1.0
    assert payload.table("census").loc[0, "Count (animals)"] != -1.0


def test_report_id_is_deterministic(payload, data):
    assert re.fullmatch(r"SGP-20260115-[0-9a-f]{8}", payload.report_id)
    # same content on another day: same hash, other date
    later = build_payload(data, config=ReportConfig(date=dt.datetime(2026, 2, 1)))
    assert later.report_id == payload.report_id.replace("20260115", "20260201")


def test_provenance(payload, data):
    prov = payload.provenance
    assert prov.data_hash == data.data_hash
    assert prov.seed is None
    assert dict(prov.sampler) == {}
    assert {"numpy", "pandas", "weasyprint", "python"} <= set(prov.dependencies)
    assert prov.inputs == {k: False for k in prov.inputs}


def test_population_selection(data, config):
    ural = build_payload(data, config=config.model_copy(update={"populations": ("ural",)}))
    assert "census.Ural.latest_count_animals" in ural.values
    assert "census.Betpakdala.latest_count_animals" not in ural.values
    assert set(ural.table("census")["Population"]) == {"Ural"}


def test_supplied_results_are_never_dropped_silently(data, config):
    # a registry the section cannot read is an error, not a no-op
    with pytest.raises(TypeError, match="registry"):
        build_payload(data, config=config, registry=object())


def test_failed_diagnostics_are_reported_at_the_top(data, config):
    checks = pd.DataFrame(
        {
            "Check": ["R-hat max", "Divergences"],
            "Value": [1.08, 0.0],
            "Threshold": [1.01, 0.0],
            "Passed": [False, True],
        }
    )
    payload = build_payload(data, config=config, diagnostics={"passed": False, "checks": checks})
    assert payload.diagnostics_passed is False
    assert payload.quota_recommended is False
    assert "FAILED" in payload.alerts[0]
    section = payload.section("diagnostics")
    assert section.computed
    assert "FAILED" in section.paragraphs[0]
    assert payload.values["diagnostics.failed_checks"] == 1
    assert payload.table("acceptance_checklist").equals(checks)


def test_diagnostics_need_a_boolean(data, config):
    with pytest.raises(TypeError):
        build_payload(data, config=config, diagnostics={"passed": "yes"})


def test_value_book_rejects_a_name_with_two_values():
    vb = ValueBook()
    assert vb.add("a.count", 1200.0, "x") == "1,200"
    assert isinstance(vb.values["a.count"], int)
    with pytest.raises(ValueError, match="twice"):
        vb.add("a.count", 1300, "x")


def test_table_checks_its_arguments():
    frame = pd.DataFrame({"Year": [2025], "Source": [None]})
    with pytest.raises(ValueError, match="slug"):
        Table("bad name", "t", frame)
    with pytest.raises(ValueError, match="no column"):
        Table("t", "t", frame, display_columns=("Nope",))
    assert Table("t", "t", frame).frame["Source"].tolist() == [""]


def test_config_validation():
    with pytest.raises(ValueError, match="less than 1"):
        ReportConfig(ci_prob=1.5)
    with pytest.raises(ValueError, match="at least one population"):
        ReportConfig(populations=())
    with pytest.raises(ValueError, match="repeated"):
        ReportConfig(populations=("Ural", "Ural"))
    with pytest.raises(ValueError, match="Extra inputs"):
        ReportConfig(unknown=1)
    naive = ReportConfig(date=dt.datetime(2026, 1, 1))
    assert naive.date.tzinfo is dt.UTC


def test_a_new_population_with_counts_only(config):
    import saigapop as sp

    census = pd.DataFrame(
        {"population": ["Kalmykia"] * 3, "year": [2022, 2023, 2024], "kind": ["count"] * 3,
         "value": [9000, 12000, 15000], "source": ["reserve report"] * 3}
    )  # fmt: skip
    data = sp.SaigaData.from_frames(census, populations=["Kalmykia"])
    payload = build_payload(data, config=config.model_copy(update={"country": "Russia"}))
    assert payload.values["census.Kalmykia.latest_count_animals"] == 15_000
    assert payload.values["census.Kalmykia.max_annual_growth_ratio"] == 1.33
    assert "from Russia" in payload.section("summary").paragraphs[0]
    assert "no removal record" in payload.section("data_removals").paragraphs[0]
    assert "no mass die-off" in payload.section("data_die_offs").paragraphs[0]
    assert "rests on priors" in payload.section("data_composition").paragraphs[0]
    assert payload.quota_recommended is False


def test_registered_builders_plug_in(data, config, monkeypatch):
    from saigapop.report import Section
    from saigapop.report import sections as sections_module

    def risk(inputs, vb, cfg):
        n = vb.add("risk.candidates", inputs["quota"]["candidates"], "candidate quotas")
        return Section("risk", "Risk and decision tables", (f"{n} candidates were tried.",))

    def triggers(inputs, vb, cfg):
        return Section("triggers", "Triggers", ("None.",))

    monkeypatch.setitem(sections_module.BUILDERS, "risk", risk)
    monkeypatch.setitem(sections_module.BUILDERS, "triggers", triggers)
    quota = {"candidates": 41}
    payload = build_payload(data, config=config, quota=quota)
    assert payload.section("risk").paragraphs == ("41 candidates were tried.",)
    assert payload.section("model").computed is False  # still needs a fit
    assert payload.quota_recommended is False  # a quota without a passing fit is not one
    assert payload.provenance.inputs["quota"] is True
