from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import saigapop as sp
from saigapop.model.config import ModelConfig
from saigapop.model.inputs import prepare_inputs


@pytest.fixture(scope="module")
def bundled():
    return sp.load_kazakhstan()


def test_bundled_streams(bundled):
    inp = prepare_inputs(bundled, ModelConfig())
    assert inp.populations == ("Betpakdala", "Ural", "Ustyurt")
    assert (inp.years[0], inp.years[-1]) == (2003, 2025)
    s = inp.summary()
    assert s["counts"] == 26  # 28 count rows less Betpakdala and Ural 2025 (planning estimates)
    assert s["bounds"] == 2  # 2005 and 2008 upper bounds
    # partial totals observe the residual over populations not counted that year
    pt15 = inp.sums[inp.sums["label"].str.contains("2015")].iloc[0]
    assert pt15["value"] == pytest.approx(295_400 - 51_700 - 1_000)
    assert pt15["mask"] == (1.0, 0.0, 0.0)
    # interim / planned / limit rows never enter; horns never enter
    assert not inp.removals["label"].str.contains("interim").any()
    ural25 = inp.removals[inp.removals["label"].str.startswith("Ural 2025 cull")]
    assert list(ural25["value"]) == [108_500.0]
    # 2015 die-off: one hidden fraction, two toll observations (point + lower bound)
    b15 = inp.dieoffs[inp.dieoffs["label"] == "Betpakdala 2015"].index[0]
    tolls = inp.tolls[inp.tolls["dieoff"] == b15]
    assert sorted(tolls["side"]) == ["lower", "point"]
    assert inp.catastrophe_record == (2, 3 * 23)
    # the latest (largest) cumulative cull composition is used
    assert inp.compositions["males"].tolist() == [42_000.0]
    assert inp.breaks == ((0, 2024 - 2003),)


def test_estimates_only_when_configured(bundled):
    off = prepare_inputs(bundled, ModelConfig())
    on = prepare_inputs(bundled, ModelConfig(use_estimates=True))
    assert (off.counts["kind"] == "estimate").sum() == 0
    assert (on.counts["kind"] == "estimate").sum() > 0


def test_single_population_drops_national_rows(bundled):
    inp = prepare_inputs(bundled.select(populations="Ural"), ModelConfig())
    assert inp.populations == ("Ural",)
    assert len(inp.sums) == 0
    assert len(inp.bounds) == 0
    assert np.isfinite(inp.init_scale).all()


def test_bounded_removal_becomes_an_unknown():
    census = pd.DataFrame(
        {
            "population": ["A", "A", "A"],
            "year": [2010, 2011, 2012],
            "kind": ["count"] * 3,
            "value": [1000, 1200, 1300],
            "source": ["s"] * 3,
        }
    )
    removals = pd.DataFrame(
        {
            "population": ["A"],
            "year": [2011],
            "kind": ["cull"],
            "status": ["final"],
            "timing": ["removal"],
            "sex": ["all"],
            "age": ["all"],
            "unit": ["animals"],
            "value": [None],
            "lower": [0],
            "upper": [200],
            "source": ["s"],
        }
    )
    data = sp.SaigaData.from_frames(census, removals, populations=["A"])
    inp = prepare_inputs(data, ModelConfig(start_year=2010))
    assert len(inp.unknown_removals) == 1
    assert inp.removals["unknown"].tolist() == [0]
