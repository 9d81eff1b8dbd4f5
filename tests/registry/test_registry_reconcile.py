"""Reconciliation by population x year and by calendar year, checked against hand counts."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_registry_validate import base_registry, base_removals  # the same folder

from saigapop.constants import CITES_CAP_KG
from saigapop.registry import (
    CALENDAR_YEAR,
    make_synthetic_registry,
    males_removed,
    reconcile,
    validate_registry,
)

DATA = Path(__file__).resolve().parents[2] / "data" / "removals.csv"


@pytest.fixture
def rec():
    registry = base_registry()
    registry.loc[2, "mass_g"] = "200"
    registry.loc[3, "sex"] = "female"  # Betpakdala 2026 horn rejected
    return reconcile(
        validate_registry(registry, base_removals()), quota_kg={2026: 0.3, 2027: 5_000.0}
    )


def test_population_year_counts(rec):
    py = rec.by_population_year
    assert py.index.names == ["population", "year"]
    assert py.index.tolist() == [("Betpakdala", 2025), ("Betpakdala", 2026), ("Ural", 2025)]
    ural = py.loc[("Ural", 2025)]
    assert ural["males_removed"] == 10
    assert ural["horn_capacity"] == 20
    assert ural["removed"] == 40
    assert ural[
        ["horns_registered", "horns_accepted", "stored", "processed", "exported"]
    ].tolist() == [
        3,
        3,
        3,
        2,
        2,
    ]
    assert ural["in_stock"] == 1
    assert ural["exported_kg"] == pytest.approx(2 * 0.1815)
    assert ural["in_stock_kg"] == pytest.approx(0.1815)
    bet25 = py.loc[("Betpakdala", 2025)]
    # 4 animals of unknown sex: none known to be male, at most 4.
    assert bet25["males_removed"] == 0
    assert bet25["males_removed_max"] == 4
    assert bet25["in_stock_kg"] == pytest.approx(0.2)
    bet26 = py.loc[("Betpakdala", 2026)]
    assert bet26["horns_registered"] == 1
    assert bet26["horns_rejected"] == 1
    assert bet26["in_stock"] == 0


def test_exports_by_calendar_year(rec):
    ex = rec.exports_by_year
    assert ex.index.name == CALENDAR_YEAR
    assert ex.index.tolist() == [2026, 2027]
    y26 = ex.loc[2026]
    assert y26["horns_exported"] == 2
    assert y26["exported_kg_total"] == pytest.approx(0.363)
    # Both horns were harvested in model year 2025 and exported in 2026: from stock.
    assert y26["from_stock_kg"] == pytest.approx(0.363)
    assert y26["from_new_harvest_kg"] == 0
    assert y26["limit_kg"] == 0.3
    assert y26["cap_kg"] == CITES_CAP_KG
    assert not y26["within_quota"]
    assert y26["within_cap"]
    assert y26["headroom_kg"] == pytest.approx(0.3 - 0.363)
    y27 = ex.loc[2027]
    assert y27["horns_exported"] == 0
    assert y27["within_quota"]


def test_stock_and_accounting(rec):
    # H3 (Betpakdala, 200 g) and H2 (Ural); H4 is rejected, H1 and H5 are exported.
    assert rec.stock["horns"].to_dict() == {"Betpakdala": 1, "Ural": 1}
    assert rec.stock_kg == pytest.approx(0.2 + 0.1815)
    acc = rec.accounting["rows"]
    assert acc["input"] == 5
    assert acc["accepted"] == 4
    assert acc["rejected"] == 1
    assert acc["not placed in a population-year"] == 0


def test_rejected_exports_count_against_the_cap():
    registry = base_registry()
    registry.loc[0, "exported_permit"] = ""  # rejected, but the horn left the country
    rec = reconcile(validate_registry(registry, base_removals()), cap_kg=0.2)
    y26 = rec.exports_by_year.loc[2026]
    assert y26["exported_kg_accepted"] == pytest.approx(0.1815)
    assert y26["exported_kg_rejected"] == pytest.approx(0.1815)
    assert not y26["within_cap"]
    assert pd.isna(y26["quota_kg"])
    assert pd.isna(y26["within_quota"])


def test_new_harvest_exports_are_split_from_stock():
    registry = base_registry()
    registry.loc[3, ["processed_date", "processed_place"]] = ["2026-08-01", "Almaty"]
    registry.loc[3, ["exported_date", "exported_place", "exported_permit"]] = [
        "2026-09-01",
        "Khorgos",
        "KZ/E/3",
    ]
    ex = reconcile(validate_registry(registry, base_removals())).exports_by_year
    assert ex.loc[2026, "from_new_harvest_kg"] == pytest.approx(0.1815)
    assert ex.loc[2026, "from_stock_kg"] == pytest.approx(0.363)


def test_unplaced_rows_are_accounted():
    registry = base_registry()
    registry.loc[0, "harvested_date"] = ""
    rec = reconcile(validate_registry(registry, base_removals()))
    assert rec.accounting.loc["not placed in a population-year", "rows"] == 1
    assert rec.by_population_year["horns_registered"].sum() == 4


def test_to_dataset_named_dims():
    synth = make_synthetic_registry(3_000, faults={"no_recorded_removal": 5}, seed=8)
    rec = reconcile(validate_registry(synth.registry, synth.removals), quota_kg=synth.quota_kg)
    ds = rec.to_dataset()
    assert ds["horns_registered"].dims == ("population", "year")
    assert ds["exported_kg_total"].dims == (CALENDAR_YEAR,)
    assert ds["stock_kg"].dims == ("population",)
    assert set(ds["population"].values) == {"Betpakdala", "Ural", "Ustyurt"}
    total = ds["horns_registered"].sum().item()
    assert total == 3_000
    assert float(ds["horns_registered"].sel(population="Ustyurt", year=2025)) == 5
    assert np.isnan(float(ds["removed"].sel(population="Ustyurt", year=2025)))


def test_males_removed_rules():
    removals = pd.DataFrame(
        {
            "population": ["Ural", "ural", "Ural", "Ural", "total", "Ural", "Ural", "Ural"],
            "year": [2025, 2025, 2025, 2025, 2025, 2025, 2025, 2024],
            "kind": ["cull"] * 6 + ["seizure", "cull"],
            "status": ["final", "final", "final", "interim", "final", "final", "final", "final"],
            "sex": ["male", "all", "all", "male", "all", "male", "male", "all"],
            "age": ["adult", "all", "calf", "adult", "all", "all", "all", "all"],
            "unit": ["animals"] * 5 + ["horns", "horns", "animals"],
            "value": [100.0, np.nan, 50.0, 999.0, 5000.0, 150.0, 30.0, np.nan],
            "lower": [np.nan, 10.0, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan],
            "upper": [np.nan, 40.0, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan],
        }
    )
    summary = males_removed(removals)
    ural = summary.loc[("Ural", 2025)]
    assert ural["removed"] == 100 + 10 + 50  # value, else lower
    assert ural["males_removed"] == 100
    assert ural["males_removed_max"] == 100 + 40  # unknown sex counts to its upper; calves not
    assert ural["horns_reported"] == 150  # the cull's horn count, not the seizure's
    assert ural["recorded"]
    assert ("total", 2025) not in summary.index
    # Unknown sex with no value and no upper bound: the most males is unbounded.
    assert np.isinf(summary.loc[("Ural", 2024), "males_removed_max"])
    assert not summary.loc[("Ural", 2024), "recorded"]


def test_males_removed_needs_its_columns():
    with pytest.raises(ValueError, match="lacks column"):
        males_removed(pd.DataFrame({"population": ["Ural"]}))


@pytest.mark.skipif(not DATA.exists(), reason="bundled removals not present")
def test_bundled_removals_give_horn_capacity():
    summary = males_removed(pd.read_csv(DATA))
    ural = summary.loc[("Ural", 2025)]
    # 108,500 animals of unreported sex: at most 217,000 horns; the ministry reports 91,298.
    assert ural["males_removed_max"] >= 108_500
    assert ural["horns_reported"] == 91_298
    assert summary.loc[("Betpakdala", 2025), "recorded"]
