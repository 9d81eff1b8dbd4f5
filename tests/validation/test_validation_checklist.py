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
    from saigapop.report.inputs import ValidationInputs
    from saigapop.report.pending import checklist_passed

    ok = {"passed": True}
    advisory = Check("k-hat", False, 1.2, "< 0.7", "worst 1.2", gating=False)
    gating = Check("coverage", False, 0.5, ">= 0.75", "14 of 28", gating=True)
    assert checklist_passed(ok, ValidationInputs(checks=[advisory])) is True
    assert checklist_passed(ok, ValidationInputs(checks=[advisory, gating])) is False


def test_diagnostics_section_names_non_gating_failures_without_withholding():
    from saigapop.report.contracts import ValueBook
    from saigapop.report.inputs import ValidationInputs
    from saigapop.report.pending import diagnostics_section

    advisory = Check("k-hat", False, 1.2, "< 0.7", "worst 1.2", gating=False)
    vb = ValueBook()
    section = diagnostics_section({"passed": True}, vb, ValidationInputs(checks=[advisory]))
    assert "do not gate the quota failed" in section.paragraphs[0]
    assert "FAILED" not in section.paragraphs[0]
    assert vb.values["diagnostics.failed_checks"] == 0
    assert vb.values["diagnostics.failed_advisory_checks"] == 1
