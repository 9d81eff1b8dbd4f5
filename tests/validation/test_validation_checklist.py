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
    assert list(table.columns) == ["Check", "Value", "Threshold", "Passed", "Detail"]
    assert table["Passed"].tolist() == [True, False]
    assert checks[1].line().startswith("FAIL  b: bad")
