from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from saigapop.validation import Check, binomial_band, checklist_table


def test_binomial_band_matches_scipy_quantiles():
    lo, hi = binomial_band(250, 0.9, 0.95)
    assert lo == stats.binom.ppf(0.025, 250, 0.9) / 250
    assert hi == stats.binom.ppf(0.975, 250, 0.9) / 250
    assert lo < 0.9 < hi


def test_binomial_band_holds_its_level_by_simulation():
    rng = np.random.default_rng(0)
    lo, hi = binomial_band(100)
    cover = rng.binomial(100, 0.9, size=20_000) / 100
    inside = np.mean((cover >= lo) & (cover <= hi))
    assert inside >= 0.99


def test_binomial_band_rejects_empty():
    with pytest.raises(ValueError, match="at least 1"):
        binomial_band(0)


def test_checklist_table_and_line():
    checks = [Check("a", True, 0.1, "< 1", "fine"), Check("b", False, 3.0, "< 1", "bad")]
    table = checklist_table(checks)
    assert list(table.columns) == [
        "Check",
        "Value",
        "Threshold",
        "Passed",
        "Gates the quota",
        "Detail",
    ]
    assert table["Passed"].tolist() == [True, False]
    assert table["Gates the quota"].tolist() == [True, True]
    assert checks[1].line().startswith("FAIL  b: bad")
    advisory = Check("k", False, 1.2, "< 0.7", "worst 1.2", gating=False)
    assert advisory.line().endswith("reported, not gating)")


def test_only_gating_checks_withhold_the_quota():
    """A failed non-gating check (PSIS-LOO k-hat) is shown but does not block the quota."""
    from saigapop.validation.outcomes import ValidationInputs, checklist_passed

    ok = {"passed": True}
    advisory = Check("k-hat", False, 1.2, "< 0.7", "worst 1.2", gating=False)
    gating = Check("coverage", False, 0.5, ">= 0.75", "14 of 28", gating=True)
    assert checklist_passed(ok, ValidationInputs(checks=[advisory])) is True
    assert checklist_passed(ok, ValidationInputs(checks=[advisory, gating])) is False


def test_diagnostics_section_names_non_gating_failures_without_withholding():
    from saigapop.report.checklist_section import diagnostics_section
    from saigapop.report.contracts import ValueBook
    from saigapop.validation.outcomes import ValidationInputs

    advisory = Check("k-hat", False, 1.2, "< 0.7", "worst 1.2", gating=False)
    vb = ValueBook()
    section = diagnostics_section({"passed": True}, vb, ValidationInputs(checks=[advisory]))
    assert "do not gate the quota failed" in section.paragraphs[0]
    assert "FAILED" not in section.paragraphs[0]
    assert vb.values["diagnostics.failed_checks"] == 0
    assert vb.values["diagnostics.failed_advisory_checks"] == 1


# --- evidence files -------------------------------------------------------------------------


def test_record_check_replaces_by_name_and_read_evidence_flags_other_data(tmp_path):
    import datetime as dt

    from saigapop.validation import read_evidence, record_check

    path = tmp_path / "checks.json"
    old = Check("Mohn's rho", False, 0.5, "|rho| <= 0.3", "largest |rho| = 0.50")
    new = Check("Mohn's rho", True, 0.12, "|rho| <= 0.3", "largest |rho| = 0.12")
    sbc = Check("SBC uniformity", True, 0.06, "p > 0.01", "smallest p 0.06")
    record_check(path, old, data_hash="h1", source="a", created=dt.date(2026, 1, 1))
    record_check(path, sbc, data_hash="simulated data", source="b")
    record_check(path, new, data_hash="h1", source="c", created=dt.date(2026, 11, 26))
    ev = read_evidence(path, data_hash="h1")
    assert [c.name for c in ev.checks] == ["SBC uniformity", "Mohn's rho"]
    rho = ev.checks[1]
    assert (rho.passed, rho.value, rho.gating) == (True, 0.12, False)
    rec = ev.records.set_index("name")
    assert rec.loc["Mohn's rho", "created"] == "2026-11-26"
    assert rec.loc["Mohn's rho", "source"] == "c"
    assert rec["same_data"].tolist() == [False, True]
    assert read_evidence(path).records["same_data"].isna().all()


def test_read_evidence_names_the_file_and_the_bad_record(tmp_path):
    from saigapop.validation import read_evidence

    path = tmp_path / "checks.json"
    path.write_text('{"name": "x"}', encoding="utf-8")
    with pytest.raises(ValueError, match=r"checks\.json: expected a list"):
        read_evidence(path)
    path.write_text('[{"name": "x", "passed": true}]', encoding="utf-8")
    with pytest.raises(ValueError, match=r"record 0 lacks \['created', 'data_hash'"):
        read_evidence(path)


def test_evidence_keeps_messages_and_reads_old_plain_text(tmp_path):
    """A Message sentence is written as template, values and English text and read back as a
    message (rendered in the report's language); a plain string of an older file stays as is."""
    import json

    from saigapop.locale import N_, use_language
    from saigapop.locale.messages import Message
    from saigapop.validation import read_evidence, record_check

    path = tmp_path / "checks.json"
    text = Message(
        N_("largest |rho| = {rho:.2f} ({quantity}, {population}) over {peels} peels"),
        {"rho": 0.12, "quantity": "N", "population": "Ural", "peels": 5},
    )
    rho = Check("Mohn's rho", True, 0.12, Message("|rho| <= {t}", {"t": 0.3}), text)
    record_check(path, rho, data_hash="h1", source="c")
    old = Check("SBC uniformity", True, 0.06, "p > 0.01", "smallest p 0.06")
    record_check(path, old, data_hash="h1", source="b")
    written = json.loads(path.read_text(encoding="utf-8"))
    assert written[0]["text"]["text"] == "largest |rho| = 0.12 (N, Ural) over 5 peels"
    assert written[1]["text"] == "smallest p 0.06"
    ev = read_evidence(path)
    assert ev.checks[0].text == text
    assert ev.checks[0].threshold == rho.threshold
    assert ev.checks[1].text == "smallest p 0.06"
    with use_language("ru"):
        assert ev.checks[0].text.render().startswith("наибольший |ρ| = 0,12")
