from __future__ import annotations

import numpy as np
import pytest

from saigapop.exceptions import ConfigError
from saigapop.model.priors import DEFAULT_PRIORS, Prior, priors_table, with_prior


@pytest.mark.parametrize("name", sorted(DEFAULT_PRIORS))
def test_every_prior_has_rationale_and_citation(name):
    p = DEFAULT_PRIORS[name]
    assert len(p.rationale) > 20
    assert len(p.citation) > 5
    s = p.summary(2000)
    assert np.isfinite([s["mean"], s["sd"], s["q05"], s["q95"]]).all()


def test_kuhl_fecundity_and_twinning_means():
    assert DEFAULT_PRIORS["fecundity_yearling"].summary()["mean"] == pytest.approx(0.774, abs=0.01)
    assert DEFAULT_PRIORS["fecundity_adult"].summary()["mean"] == pytest.approx(0.946, abs=0.01)
    assert DEFAULT_PRIORS["twinning_yearling"].summary()["mean"] == pytest.approx(0.117, abs=0.01)
    assert DEFAULT_PRIORS["twinning_adult"].summary()["mean"] == pytest.approx(0.726, abs=0.01)


def test_harem_size_90pct_interval_is_12_to_30():
    s = DEFAULT_PRIORS["harem_size"].summary(50_000)
    assert 11 < s["q05"] < 13.5
    assert 27 < s["q95"] < 32


def test_males_survive_less_than_females_a_priori():
    m = DEFAULT_PRIORS["survival_adult_male"].summary()["q50"]
    f = DEFAULT_PRIORS["survival_adult_female"].summary()["q50"]
    assert m < f


def test_prior_validation():
    with pytest.raises(ConfigError, match="unknown prior distribution"):
        Prior("Cauchy", {"alpha": 0.0, "beta": 1.0}, "r" * 30, "c")
    with pytest.raises(ConfigError, match="needs parameters"):
        Prior("Beta", {"mu": 0.0}, "r" * 30, "c")
    with pytest.raises(ConfigError, match="positive"):
        Prior("HalfNormal", {"sigma": -1.0}, "r" * 30, "c")
    with pytest.raises(ConfigError, match="rationale and a citation"):
        Prior("HalfNormal", {"sigma": 1.0}, " ", "c")


def test_priors_table_and_with_prior():
    t = priors_table()
    assert len(t) == len(DEFAULT_PRIORS)
    assert {"parameter", "distribution", "q05", "q50", "q95", "rationale", "citation"} <= set(
        t.columns
    )
    changed = with_prior(DEFAULT_PRIORS, "obs_cv", params={"mu": -1.0, "sigma": 0.1})
    assert changed["obs_cv"].params["sigma"] == 0.1
    assert DEFAULT_PRIORS["obs_cv"].params["sigma"] == 0.25
    with pytest.raises(ConfigError):
        with_prior(DEFAULT_PRIORS, "nope", params={})
