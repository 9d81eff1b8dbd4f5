from __future__ import annotations

import pytest

from saigapop.exceptions import ConfigError
from saigapop.model.config import DATA_STREAMS, ModelConfig, SamplerConfig


def test_defaults_follow_the_brief():
    cfg = ModelConfig()
    assert cfg.start_year == 2003
    assert cfg.end_year is None
    assert cfg.age_classes == ("yearling", "adult")
    assert cfg.catchability_breaks == (("Betpakdala", 2024),)
    assert cfg.use_estimates is False
    assert cfg.population_year_effects is True
    assert cfg.streams == frozenset(DATA_STREAMS)
    sc = SamplerConfig()
    assert (sc.sampler, sc.chains, sc.draws, sc.tune, sc.target_accept) == (
        "numpyro",
        4,
        1000,
        1000,
        0.99,
    )


def test_config_is_frozen_and_round_trips_through_json():
    cfg = ModelConfig(end_year=2025, streams=frozenset({"counts", "totals"}))
    with pytest.raises(AttributeError):
        cfg.start_year = 2000  # type: ignore[misc]
    assert ModelConfig.from_json(cfg.to_json()) == cfg


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"start_year": 1800}, "start_year"),
        ({"end_year": 2003}, "end_year"),
        ({"age_classes": ("calf", "adult")}, "age_classes"),
        ({"streams": frozenset({"counts", "gossip"})}, "unknown data stream"),
        ({"catchability_breaks": (("Ural",),)}, "catchability_breaks"),
        ({"catchability_breaks": (("Ural", 2010), ("Ural", 2010))}, "duplicate"),
        ({"estimate_cv": 0.0}, "estimate_cv"),
        ({"density_dependence": "logistic"}, "density_dependence"),
        ({"removal_timing": "spring"}, "removal_timing"),
        ({"composition_ess": 0}, "composition_ess"),
        ({"yearling_breeding_weight": 2.0}, "yearling_breeding_weight"),
        ({"max_removal_fraction": 1.0}, "max_removal_fraction"),
    ],
)
def test_bad_model_settings_fail_at_construction(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        ModelConfig(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"sampler": "emcee"}, "sampler"),
        ({"chains": 0}, "chains"),
        ({"draws": 1.5}, "draws"),
        ({"tune": -1}, "tune"),
        ({"target_accept": 1.0}, "target_accept"),
        ({"random_seed": -3}, "random_seed"),
    ],
)
def test_bad_sampler_settings_fail_at_construction(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        SamplerConfig(**kwargs)


def test_uses_rejects_unknown_stream():
    assert ModelConfig().uses("counts")
    with pytest.raises(ConfigError):
        ModelConfig().uses("nonsense")
