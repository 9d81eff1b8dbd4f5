"""recommend_quota: the one path from a fit to the recommended quota (CLI, report, validation)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from saigapop.management import (
    OperatingModel,
    default_criteria,
    recommend_quota,
    solve_quota,
    solve_robust_quota,
)
from saigapop.testing import synthetic_posterior
from saigapop.validation import QuotaFunction

NO_REMOVALS = pd.DataFrame(
    columns=[
        "population", "year", "kind", "status", "timing", "sex", "age", "unit", "value",
        "lower", "upper",
    ]
)  # fmt: skip


@pytest.fixture(scope="module")
def post():
    return synthetic_posterior(chains=2, draws=60, seed=3)


def test_recommend_quota_equals_the_steps_it_stands_for(post):
    rec = recommend_quota(post, NO_REMOVALS, seed=4)
    # no prior group: every sex ratio is taken as prior-driven (the precautionary reading)
    assert all(rec.prior_driven.values())
    om = OperatingModel.from_posterior(post, seed=4)
    crit = default_criteria(prior_driven=rec.prior_driven)
    direct, across = solve_robust_quota(om, post, crit, seed=4, progress=False)
    np.testing.assert_array_equal(rec.result.level.values, direct.level.values)
    assert list(rec.across["trial"].values) == list(across["trial"].values)
    fitted = solve_quota(om, crit, progress=False)
    assert (rec.result.level.values <= fitted.level.values + 1e-9).all()


def test_fitted_world_only_and_thinning(post):
    rec = recommend_quota(post, NO_REMOVALS, seed=4, robust=False, om_draws=50)
    assert rec.across is None
    assert rec.om.n_draws == 50
    om = OperatingModel.from_posterior(post, seed=4, n_draws=50)
    plain = solve_quota(om, default_criteria(prior_driven=rec.prior_driven), progress=False)
    np.testing.assert_array_equal(rec.result.level.values, plain.level.values)
    assert recommend_quota(post, NO_REMOVALS, seed=4, om_draws=10_000).om_options["n_draws"] is None


def test_quota_function_issues_the_recommended_quota_and_logs_it(post):
    q = QuotaFunction(SimpleNamespace(removals=NO_REMOVALS), seed=4, om_draws=None)
    got = q(post)
    rec = recommend_quota(post, NO_REMOVALS, seed=4, om_draws=None)
    np.testing.assert_array_equal(got.to_numpy(), rec.result.level.values)
    assert q.log[-1]["binding"] == "; ".join(str(b) for b in rec.result.binding.values)
    fitted = QuotaFunction(SimpleNamespace(removals=NO_REMOVALS), seed=4, robust=False)(post)
    assert (got.to_numpy() <= fitted.to_numpy() + 1e-9).all()
