"""Importance weights adding (or removing) census rows equal to a planning estimate."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from saigapop.testing import synthetic_posterior
from saigapop.validation.planning import (
    fitted_treatment,
    planning_alternative_quotas,
    planning_estimate_weights,
)

FLAG = "equals_planning_estimate"


def _census(rows):
    return pd.DataFrame(
        [{"population": p, "year": y, "kind": k, "value": v, "flag": f} for p, y, k, v, f in rows]
    )


@pytest.fixture
def tiny():
    """Three draws, two populations, N split over sex x age (summed by the weights)."""
    n_tot = np.array([[1000.0, 50.0], [1500.0, 80.0], [2000.0, 60.0]])  # draw x population
    split = np.array([[0.1, 0.2], [0.3, 0.4]])  # sex x age shares, sum 1
    n = n_tot[:, :, None, None, None] * split[None, None, None]  # draw, pop, year, sex, age
    q = np.array([[0.9, 1.0], [1.1, 1.0], [1.0, 0.8]])
    sigma = np.array([0.1, 0.2, 0.3])
    post = xr.Dataset(
        {
            "N": (("chain", "draw", "population", "year", "sex", "age"), n[None]),
            "catchability_year": (("chain", "draw", "population", "year"), q[None, :, :, None]),
            "obs_cv": (("chain", "draw"), sigma[None]),
        },
        coords={"population": ["A", "B"], "year": [2025]},
    )
    return post, n_tot, q, sigma


def _lognormal(y, mu, s):
    return math.exp(-((math.log(y) - mu) ** 2) / (2 * s * s)) / (y * s * math.sqrt(2 * math.pi))


def test_weights_are_the_normalised_lognormal_likelihood(tiny):
    post, n_tot, q, sigma = tiny
    census = _census(
        [
            ("A", 2025, "count", 1600.0, FLAG),
            ("B", 2025, "count", 70.0, "approximate;" + FLAG),
            ("B", 2025, "estimate", 99.0, FLAG),  # not a count: never reweighted
            ("A", 2025, "count", 1700.0, ""),  # not flagged
            ("C", 2025, "count", 10.0, FLAG),  # not in the posterior
        ]
    )
    lik = [
        _lognormal(1600.0, math.log(q[i, 0] * n_tot[i, 0]), sigma[i])
        * _lognormal(70.0, math.log(q[i, 1] * n_tot[i, 1]), sigma[i])
        for i in range(3)
    ]
    pw = planning_estimate_weights(post, census, fitted="left_out")
    assert pw.direction == "added"
    assert pw.rows[["population", "year"]].values.tolist() == [["A", 2025], ["B", 2025]]
    np.testing.assert_allclose(pw.weights, np.array(lik) / sum(lik), rtol=1e-10)
    back = planning_estimate_weights(post, census, fitted="count")
    inv = [1.0 / x for x in lik]
    assert back.direction == "removed"
    np.testing.assert_allclose(back.weights, np.array(inv) / sum(inv), rtol=1e-10)


def test_no_flagged_row_is_an_error_and_an_empty_table(tiny):
    post, *_ = tiny
    census = _census([("A", 2025, "count", 1600.0, "")])
    with pytest.raises(ValueError, match="equals_planning_estimate"):
        planning_estimate_weights(post, census)
    fit = xr.DataTree.from_dict({"posterior": post})
    out = planning_alternative_quotas(fit, census, lambda p: {"A": 1.0}, {"A": 1.0})
    assert out.empty
    assert "khat" in out.columns


def test_the_fit_says_how_it_treated_the_rows():
    assert fitted_treatment(xr.Dataset(attrs={"saigapop_model_config": "{}"})) == "count"
    left = '{"planning_estimates": "left_out"}'
    assert fitted_treatment(xr.Dataset(attrs={"saigapop_model_config": left})) == "left_out"


def _solve(post):
    """A quota rule monotone in abundance: 1 % of the median 2025 total of each population."""
    n = post["posterior"]["N"].sel(year=2025)
    n = n.sum([d for d in n.dims if d not in ("chain", "draw", "population")])
    return {str(p): 0.01 * float(n.sel(population=p).median()) for p in n["population"].values}


@pytest.fixture(scope="module")
def synthetic():
    dt = synthetic_posterior(chains=2, draws=1000, seed=3)
    dt.attrs["saigapop_model_config"] = '{"planning_estimates": "left_out"}'
    return dt


def test_agreeing_row_leaves_the_quota_and_disagreeing_row_moves_it(synthetic):
    ref = _solve(synthetic)
    n = synthetic["posterior"]["N"].sel(year=2025, population="Ural").sum(["sex", "age"])
    q = synthetic["posterior"]["catchability"].sel(population="Ural")
    centre = float((q * n).median())
    sd = float(np.log(q * n).std())
    out = {}
    for name, value in (("agree", centre), ("high", centre * math.exp(3 * sd))):
        census = _census([("Ural", 2025, "count", value, FLAG)])
        t = planning_alternative_quotas(synthetic, census, _solve, ref, n_draws=2000, seed=1)
        out[name] = t.set_index("population")
        assert (t["treatment"] == "count").all()
        assert (t["flagged_value"].notna() == (t["population"] == "Ural")).all()
    agree, high = out["agree"].loc["Ural"], out["high"].loc["Ural"]
    assert abs(agree["value"] / agree["reference"] - 1) < 0.02
    assert agree["reliable"]
    assert agree["ess"] > 1000
    assert high["value"] > 1.03 * high["reference"]  # a high count pulls the quota up
    # the other populations share no row with it: their quota barely moves
    assert abs(out["high"].loc["Ustyurt", "value"] / ref["Ustyurt"] - 1) < 0.05
