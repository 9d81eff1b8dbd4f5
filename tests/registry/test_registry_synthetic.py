"""The synthetic registry: reproducible, realistic, and its planted faults are all found."""

import time

import numpy as np
import pandas as pd
import pytest

from saigapop.constants import HORN_MASS_G_RANGE
from saigapop.io import readers
from saigapop.registry import (
    DEMO_FAULTS,
    FAULTS,
    REGISTRY_COLUMNS,
    make_synthetic_registry,
    validate_registry,
)
from saigapop.registry._reference import validate_rowwise


def found_pairs(result) -> set[tuple[int, str]]:
    f = result.findings
    return set(zip(f["row"].tolist(), f["fault"].tolist(), strict=True))


def truth_pairs(synth) -> set[tuple[int, str]]:
    t = synth.truth
    return set(zip(t["row"].tolist(), t["fault"].tolist(), strict=True))


def test_same_seed_same_registry():
    a = make_synthetic_registry(3_000, faults=DEMO_FAULTS, seed=11)
    b = make_synthetic_registry(3_000, faults=DEMO_FAULTS, seed=11)
    pd.testing.assert_frame_equal(a.registry, b.registry)
    pd.testing.assert_frame_equal(a.removals, b.removals)
    pd.testing.assert_frame_equal(a.truth, b.truth)
    c = make_synthetic_registry(3_000, faults=DEMO_FAULTS, seed=12)
    assert not a.registry.equals(c.registry)


def test_clean_registry_is_realistic():
    synth = make_synthetic_registry(5_000, seed=1)
    reg = synth.registry
    assert list(reg.columns) == list(REGISTRY_COLUMNS)
    assert len(reg) == 5_000
    assert synth.truth.empty
    assert reg["mark"].is_unique
    # Harvest in the July-November removal season.
    assert reg["harvested_date"].dt.month.between(7, 11).all()
    assert (reg["sex"] == "male").all()
    # Per-horn masses around the typical adult range (DESIGN §3: ~165-200 g).
    lo, hi = HORN_MASS_G_RANGE
    assert lo < reg["mass_g"].mean() < hi
    assert reg["mass_g"].between(lo, hi).mean() > 0.85
    # Regions belong to each population's range.
    regions = reg.groupby("population")["region"].unique().map(set).to_dict()
    assert regions["Ural"] <= {"West Kazakhstan", "Atyrau"}
    assert regions["Betpakdala"] <= {"Kostanay", "Ulytau", "Karaganda", "Aktobe"}
    # Custody chains run forward; exports only after CoP20 and with a permit.
    assert (reg["stored_date"] >= reg["harvested_date"]).all()
    processed = reg["processed_date"].notna()
    assert (reg.loc[processed, "processed_date"] >= reg.loc[processed, "stored_date"]).all()
    exported = reg["exported_date"].notna()
    assert (reg.loc[exported, "exported_date"] >= reg.loc[exported, "processed_date"]).all()
    assert (reg.loc[exported, "exported_date"] >= pd.Timestamp("2026-01-01")).all()
    assert (reg.loc[exported, "exported_permit"] != "").all()
    assert 0.2 < exported.mean() < 0.6
    # The removals explain every horn: at most 2 per male removed, in every population-year.
    result = validate_registry(reg, synth.removals)
    assert result.findings.empty


def test_unknown_or_impossible_faults_raise():
    with pytest.raises(ValueError, match="unknown fault"):
        make_synthetic_registry(100, faults={"stolen": 1})
    with pytest.raises(ValueError, match="non-negative"):
        make_synthetic_registry(100, faults={"female_horn": -1})
    with pytest.raises(ValueError, match="cannot hold"):
        make_synthetic_registry(10, faults={"female_horn": 11})


@pytest.mark.parametrize("fault", list(FAULTS))
def test_each_planted_fault_alone_is_found_exactly(fault):
    synth = make_synthetic_registry(2_000, faults={fault: 7}, seed=5)
    result = validate_registry(synth.registry, synth.removals)
    assert found_pairs(result) == truth_pairs(synth)
    expected = 14 if fault == "duplicate_mark" else 7
    assert len(synth.truth) == expected
    for row, the_mark, message in result.findings[["row", "mark", "message"]].itertuples(
        index=False
    ):
        assert message.startswith(f"row {row}, mark {the_mark}: ")


def test_reference_loop_agrees_with_vectorised():
    synth = make_synthetic_registry(8_000, faults=DEMO_FAULTS, seed=9)
    result = validate_registry(synth.registry, synth.removals)
    assert found_pairs(result) == validate_rowwise(synth.registry, synth.removals)


FAULTS_100K = {code: 5 * DEMO_FAULTS.get(code, 5) for code in FAULTS}


def test_100k_recall_is_one_per_fault_and_every_row_is_accounted():
    synth = make_synthetic_registry(100_000, faults=FAULTS_100K, seed=2026)
    start = time.perf_counter()
    result = validate_registry(synth.registry, synth.removals)
    elapsed = time.perf_counter() - start
    found, truth = found_pairs(result), truth_pairs(synth)
    for fault in FAULTS:
        planted = {p for p in truth if p[1] == fault}
        assert planted, fault
        recall = len(planted & found) / len(planted)
        assert recall == 1.0, fault
    assert found == truth  # nothing found that was not planted
    assert result.n_input == 100_000
    assert result.n_accepted + result.n_rejected == result.n_input
    assert result.n_rejected == synth.truth["row"].nunique()
    assert elapsed < 5.0, f"validation took {elapsed:.2f} s"


def test_100k_clean_registry_has_no_finding():
    synth = make_synthetic_registry(100_000, seed=7)
    result = validate_registry(synth.registry, synth.removals)
    assert result.findings.empty
    assert result.n_accepted == 100_000


def test_synthetic_removals_follow_the_bundled_layout():
    synth = make_synthetic_registry(1_000, faults={"no_recorded_removal": 3}, seed=4)
    columns = (
        "population,year,kind,status,timing,period,sex,age,unit,value,lower,upper,source,notes"
    )
    assert list(synth.removals.columns) == columns.split(",")
    assert set(synth.removals["status"]) == {"final", "interim", "planned"}
    assert np.isfinite(synth.removals["value"]).all()


def test_synthetic_removals_pass_the_io_reader():
    synth = make_synthetic_registry(1_000, faults=DEMO_FAULTS, seed=4)
    assert len(readers.read_removals(synth.removals)) == len(synth.removals)


def test_no_event_after_the_extract_date():
    synth = make_synthetic_registry(2_000, seed=3, years=(2025, 2026, 2027))
    dates = synth.registry[["harvested_date", "stored_date", "processed_date", "exported_date"]]
    assert dates.max().max() <= pd.Timestamp("2028-06-30")
    assert sorted(synth.quota_kg) == [2026, 2027, 2028]
    with pytest.raises(ValueError, match="inside the 2026 season"):
        make_synthetic_registry(100, as_of="2026-10-01")
