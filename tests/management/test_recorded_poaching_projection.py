"""Recorded poaching of the latest census year enters the projection as a removal.

The fit already treats a recorded poaching estimate as a removal and switches the rate off
there (tests/model/test_model_poaching.py); the projection must do the same for year Y, or
it would carry the rate instead of the record (and nothing of a heavy recorded poaching).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from saigapop.management import OperatingModel
from saigapop.management.arms import offtake_options
from saigapop.testing import synthetic_posterior

COLUMNS = ["population", "year", "kind", "status", "timing", "sex", "age", "unit", "value",
           "lower", "upper"]  # fmt: skip


def _table(rows):
    return pd.DataFrame(rows, columns=COLUMNS)


CULL = ("Ural", 2025, "cull", "final", "removal", "male", "adult", "animals", 1000.0, None, None)
POACHED = (
    "Ustyurt", 2025, "poaching", "final", "removal", "male", "adult", "animals",
    np.nan, 300.0, 1200.0,
)  # fmt: skip


@pytest.fixture(scope="module")
def post():
    return synthetic_posterior(chains=1, draws=40, seed=2)


def test_a_recorded_estimate_is_a_removal_at_its_upper_bound_and_switches_the_rate_off():
    opts = offtake_options(_table([CULL, POACHED]), 2025)
    rr = opts["realised_removals"].sel(year=2025, sex="male", age="adult")
    assert float(rr.sel(population="Ural")) == 1000.0
    assert float(rr.sel(population="Ustyurt")) == 1200.0  # the range's upper end
    assert opts["poaching_off"] == [("Ustyurt", 2025)]


def test_without_a_record_nothing_changes():
    opts = offtake_options(_table([CULL]), 2025)
    assert "poaching_off" not in opts
    assert list(opts["realised_removals"]["population"].values) == ["Ural"]


def test_the_projection_takes_the_record_instead_of_the_rate(post):
    opts = offtake_options(_table([CULL, POACHED]), 2025)
    om = OperatingModel.from_posterior(post, seed=2, **opts)
    plain = OperatingModel.from_posterior(post, seed=2, realised_removals=opts["realised_removals"])
    t0, ust = 0, list(om.populations).index("Ustyurt")
    assert om.start_year == 2025
    # poaching rate array (sex, year, draw, population): off in Ustyurt 2025 only
    assert np.all(om.poaching[:, t0, :, ust] == 0.0)
    np.testing.assert_array_equal(om.poaching[:, t0 + 1 :], plain.poaching[:, t0 + 1 :])
    np.testing.assert_array_equal(
        np.delete(om.poaching[:, t0], ust, -1), np.delete(plain.poaching[:, t0], ust, -1)
    )
    assert np.any(plain.poaching[:, t0, :, ust] > 0.0)
    base = om.baseline(record="full")["removed"].sel(year=2025, population="Ustyurt")
    assert float(base.sel(source="poaching").sum("sex").max()) == 0.0
    np.testing.assert_allclose(
        base.sel(source="cull", sex="male", age_class="adult").values, 1200.0, rtol=1e-9
    )
    assert om.settings["poaching_off"] == [["Ustyurt", 2025]]
