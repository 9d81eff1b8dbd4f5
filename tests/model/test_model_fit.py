from __future__ import annotations

import json

import numpy as np
import pytest

import saigapop as sp
from saigapop.model.config import ModelConfig, SamplerConfig
from saigapop.model.diagnostics import check_convergence, ppc_coverage
from saigapop.model.fit import fit
from saigapop.model.io import load_fit, save_fit
from saigapop.model.schema import validate_fit

TINY = SamplerConfig(chains=2, draws=100, tune=100, prior_draws=50, random_seed=11)


def _smoke_data():
    return sp.load_kazakhstan().select(populations="Ural", years=slice(2003, 2012))


@pytest.fixture(scope="module")
def smoke_fit():
    """One real NUTS fit of a tiny problem (Ural 2003–2012, 2 chains × 100 draws)."""
    return fit(_smoke_data(), ModelConfig(), sampler_config=TINY, progressbar=False)


@pytest.mark.smoke
def test_smoke_fit_end_to_end(smoke_fit, tmp_path):
    data, dt = _smoke_data(), smoke_fit
    ds = validate_fit(dt)
    assert ds["N"].dims == ("chain", "draw", "population", "year", "sex", "age")
    assert ds.sizes["year"] == 10
    assert ds.sizes["draw"] == 100
    assert np.isfinite(ds["N"].sel(age=["yearling", "adult"]).values).all()
    assert dt.attrs["data_hash"] == data.tables_hash  # the fitted tables (no offtake plan)
    assert len(json.loads(dt.attrs["chain_seeds"])) == 2
    assert {"pymc", "pytensor", "arviz", "numpy", "jax"} <= set(json.loads(dt.attrs["versions"]))
    assert "count" in dt.posterior_predictive
    assert "count" in dt.observed_data
    assert 0.0 <= ppc_coverage(dt).attrs["coverage"] <= 1.0
    # save -> load gives identical summaries
    back = load_fit(
        save_fit(dt, tmp_path / "smoke.zarr"), expected_model_hash=dt.attrs["model_hash"]
    )
    assert check_convergence(back).table.equals(check_convergence(dt).table)


@pytest.mark.slow
def test_same_seed_gives_a_bit_identical_posterior(smoke_fit):
    """Same data, config and seed: the second fit's posterior equals the first bit for bit."""
    again = fit(_smoke_data(), ModelConfig(), sampler_config=TINY, progressbar=False)
    for name in smoke_fit.posterior.data_vars:
        np.testing.assert_array_equal(
            smoke_fit.posterior[name].values, again.posterior[name].values
        )


@pytest.mark.slow
def test_full_fit_bundled_data_converges():
    dt = fit(sp.load_kazakhstan(), progressbar=False)
    validate_fit(dt)
    res = check_convergence(dt)
    print(res.summary())
    print("count coverage (90 % PPI):", ppc_coverage(dt).attrs["coverage"])
    assert res.table["rhat"].max() <= 1.01
    assert res.table["ess_bulk"].min() >= 400
    assert res.divergences <= 40  # target is 0; see docs/model.md for the measured figure
