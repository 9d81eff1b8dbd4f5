"""Census rows flagged ``equals_planning_estimate``: left out by default, counts on request."""

from __future__ import annotations

import json

import pytest

import saigapop as sp
from saigapop.exceptions import ConfigError
from saigapop.model.config import ModelConfig
from saigapop.model.fit import model_hash
from saigapop.model.inputs import PLANNING_FLAG, is_planning_estimate, prepare_inputs
from saigapop.model.priors import DEFAULT_PRIORS


@pytest.fixture(scope="module")
def data():
    return sp.load_kazakhstan()


def _keys(inputs):
    return {(r.population, r.year) for r in inputs.counts.itertuples()}


def test_left_out_drops_exactly_the_flagged_rows_and_reports_them(data):
    flagged = data.census[data.census.apply(is_planning_estimate, axis=1)]
    flagged = flagged[flagged["kind"] == "count"]
    assert {(p, int(y)) for p, y in zip(flagged["population"], flagged["year"], strict=True)} == {
        ("Betpakdala", 2025),
        ("Ural", 2025),
    }
    out = prepare_inputs(data, ModelConfig())
    used = prepare_inputs(data, ModelConfig(planning_estimates="count"))
    assert _keys(used) - _keys(out) == {("Betpakdala", 2025), ("Ural", 2025)}
    assert _keys(out) <= _keys(used)
    assert ("Ustyurt", 2025) in _keys(out)  # unflagged: still an observation
    reported = [n for n in out.notes if PLANNING_FLAG in n]
    assert len(reported) == 2
    assert any(n.startswith("Betpakdala 2025 count 1600000: not used") for n in reported)
    assert any(n.startswith("Ural 2025 count 2300000: not used") for n in reported)
    assert not [n for n in used.notes if PLANNING_FLAG in n]
    # the window still ends in 2025 (latest_census_year) and the prior scales are shared
    assert out.years[-1] == used.years[-1] == 2025
    assert (out.density_scale == used.density_scale).all()
    assert (out.init_scale == used.init_scale).all()


def test_flag_among_other_flags_is_recognised():
    import pandas as pd

    assert is_planning_estimate(pd.Series({"flag": "approximate;equals_planning_estimate"}))
    assert not is_planning_estimate(pd.Series({"flag": "equals_planning_estimate_not"}))
    assert not is_planning_estimate(pd.Series({"flag": ""}))


def test_config_round_trips_validates_and_changes_the_hash(data):
    for mode in ("left_out", "count"):
        cfg = ModelConfig(planning_estimates=mode)
        assert ModelConfig.from_json(cfg.to_json()) == cfg
    assert ModelConfig().planning_estimates == "left_out"
    with pytest.raises(ConfigError, match="planning_estimates"):
        ModelConfig(planning_estimates="drop")
    a, b = ModelConfig(), ModelConfig(planning_estimates="count")
    assert a.to_json() != b.to_json()
    ha = model_hash(prepare_inputs(data, a), a, DEFAULT_PRIORS)
    hb = model_hash(prepare_inputs(data, b), b, DEFAULT_PRIORS)
    assert ha != hb
    # a config saved before the option existed used the flagged rows as counts
    old = json.loads(a.to_json())
    del old["planning_estimates"]
    assert ModelConfig.from_json(json.dumps(old)).planning_estimates == "count"


def test_assessment_config_carries_the_option():
    cfg = sp.AssessmentConfig(model=ModelConfig(planning_estimates="count"))
    back = sp.AssessmentConfig.from_json(cfg.to_json())
    assert back.model.planning_estimates == "count"
