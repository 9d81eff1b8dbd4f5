"""What each precaution costs: every row is the quota of a procedure solved directly."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from saigapop.exceptions import ConfigError
from saigapop.management import PRECAUTIONS, precaution_costs, recommend_quota

NO_REMOVALS = pd.DataFrame(
    columns=["population", "year", "kind", "status", "timing", "sex", "age", "unit", "value",
             "lower", "upper"]
)  # fmt: skip
KW = {"seed": 3, "om_draws": None}


@pytest.fixture(scope="module")
def post():
    from saigapop.testing import synthetic_posterior

    return synthetic_posterior(chains=2, draws=40, seed=3)


@pytest.fixture(scope="module")
def solved(post):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full = recommend_quota(post, NO_REMOVALS, **KW)
        return full, precaution_costs(post, NO_REMOVALS, full=full, **KW)


def _level(rec):
    return rec.result.level.values


def test_the_full_row_is_the_recommended_quota(solved):
    full, ds = solved
    np.testing.assert_array_equal(ds["full"].values, _level(full))
    np.testing.assert_array_equal(ds["cost"].values, ds["without"].values - _level(full))


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("trials", {"robust": False}),
        ("p_star", {"p_star": 1.0}),
        ("wounding", {"om_overrides": {"wounding": 0.0}}),
        ("trade_poaching", {"om_overrides": {"trade_effect": False}}),
    ],
)
def test_each_row_is_the_procedure_with_that_precaution_switched_off(post, solved, name, options):
    _, ds = solved
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        direct = recommend_quota(post, NO_REMOVALS, **KW, **options)
    np.testing.assert_array_equal(ds["without"].sel(precaution=name).values, _level(direct))


def test_the_last_cumulative_row_has_no_precaution_at_all(post, solved):
    full, ds = solved
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bare = recommend_quota(
            post,
            NO_REMOVALS,
            **KW,
            robust=False,
            p_star=1.0,
            sex_ratio_floor=False,
            om_overrides={"wounding": 0.0, "trade_effect": False},
        )
    np.testing.assert_array_equal(ds["cumulative"].isel(step=-1).values, _level(bare))
    # the step gains telescope to the whole gain
    np.testing.assert_allclose(
        ds["step_cost"].sum("step").values, _level(bare) - _level(full), atol=1e-9
    )
    assert list(ds["step"].values) == list(PRECAUTIONS)


def test_once_the_trials_are_gone_each_removal_can_only_raise_the_quota(solved):
    # same operating model, a weaker constraint each step: the pass set only grows
    _, ds = solved
    assert np.all(ds["step_cost"].sel(step=list(PRECAUTIONS[1:])).values >= 0)
    assert float(ds["cumulative"].isel(step=-1).sum()) > float(ds["full"].sum())


def test_a_trial_left_out_gives_the_smallest_quota_of_the_others(solved):
    full, ds = solved
    level = full.across["level"].where(full.across["kind"] == "reference", drop=True)
    trials = [str(t) for t in level["trial"].values if str(t) != "base"]
    assert set(ds["precaution"].values) >= {f"trial:{t}" for t in trials}
    fitted = ds["without"].sel(precaution="trials").values
    for trial in trials:
        rest = [t for t in trials if t != trial]
        expected = np.minimum(level.sel(trial=rest).min("trial").values, fitted)
        np.testing.assert_array_equal(ds["without"].sel(precaution=f"trial:{trial}"), expected)


def test_the_order_must_name_every_precaution_once(post):
    with pytest.raises(ConfigError, match="permutation"):
        precaution_costs(post, NO_REMOVALS, order=("trials", "p_star"), **KW)
