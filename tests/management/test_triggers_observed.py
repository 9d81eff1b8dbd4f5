"""Triggers stated on what a manager observes: census count, composition survey, die-off toll.

Hand-computed cases from deterministic operating models, analytic levels for a lognormal
census read through a lognormal survey, and the limits in which an observation becomes the
true quantity (a huge survey sample, no survey error).
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from scipy.stats import norm

from saigapop.management import ConstantHarvest, OperatingModel, compute_triggers, trigger_level
from saigapop.management.triggers import TriggerSurveys, observed_quantities
from saigapop.testing import synthetic_posterior


def _full(om, levels):
    return om.project(ConstantHarvest(), np.asarray(levels, float)[None], record="full").isel(
        candidate=0
    )


@pytest.fixture(scope="module")
def one_draw():
    """One draw, no noise of any kind, catchability 0.8 everywhere."""
    post = synthetic_posterior({"Ustyurt": 100_000.0}, chains=1, draws=1, uncertainty=0.0)
    om = OperatingModel.from_posterior(
        post,
        seed=4,
        process_noise=False,
        catastrophes=False,
        poaching=False,
        implementation_error=False,
        trade_effect=False,
    )
    return om.replace(catchability=np.full_like(om.catchability, 0.8))


@pytest.fixture(scope="module")
def identical_draws():
    """2,000 identical draws with noise off: the spread is the surveys' alone."""
    post = synthetic_posterior(
        {"Ustyurt": 100_000.0}, chains=1, draws=2000, uncertainty=0.0, adult_male_share=0.2
    )
    return OperatingModel.from_posterior(
        post, seed=6, process_noise=False, catastrophes=False, poaching=False
    )


def test_count_without_survey_error_is_catchability_times_abundance(one_draw):
    om = one_draw.replace(obs_cv=np.zeros_like(one_draw.obs_cv))
    trig = compute_triggers(om, [0.0])
    # one draw: each trigger is that draw's value (percentile of a single value)
    np.testing.assert_allclose(trig["count"].values, 0.8 * trig["census"].values, rtol=1e-12)
    proj = _full(om, [0.0])
    np.testing.assert_allclose(
        trig["census"].values[:, 0], proj["total"].sel(year=list(om.quota_years)).values.ravel()
    )


def test_count_with_survey_error_is_the_fitted_lognormal(one_draw):
    """count = q N exp(cv z_t), z_t the operating model's observation noise of census t."""
    om = one_draw.replace(obs_cv=np.full_like(one_draw.obs_cv, 0.25))
    trig = compute_triggers(om, [0.0])
    for i, y in enumerate(om.quota_years):
        z = om.obs_noise[y - om.start_year, 0, 0]
        expected = 0.8 * trig["census"].values[i, 0] * np.exp(0.25 * z)
        assert trig["count"].values[i, 0] == pytest.approx(expected, rel=1e-12)
        assert z != 0.0


def test_a_noisy_count_moves_a_conditional_trigger_up_to_the_bayes_level():
    """log N ~ Normal(m, s²), fail ⇔ N < c, log count = log q N + σ z.

    Without error the trigger is q·c. With error, P(fail | count = x) is the normal
    posterior probability Φ((log c − μ(x)) / τ); the local-risk trigger is where it equals
    alpha — above q·c whenever P(fail | count = q c) > alpha (here ≈ 0.4 against 0.1): a
    count just above q·c may still come from a population below c. The noisier survey
    gives the more conservative (higher) count trigger, at the analytic level.
    """
    rng = np.random.default_rng(0)
    m, s, sigma, q, alpha = np.log(1e6), 0.3, 0.2, 0.8, 0.1
    log_n = rng.normal(m, s, 200_000)
    c = np.exp(m + norm.ppf(0.1) * s)  # failures in the lowest decile
    fail = log_n < np.log(c)
    exact, basis, _, _ = trigger_level(q * np.exp(log_n), fail, alpha=alpha)
    assert basis == "conditional"
    assert exact == pytest.approx(q * c, rel=1e-4)
    noisy, basis, _, _ = trigger_level(
        q * np.exp(log_n + sigma * rng.standard_normal(log_n.size)), fail, alpha=alpha
    )
    assert basis == "conditional"
    # analytic level: Φ((log c − μ(y)) / τ) = alpha, μ(y) = m + s²/(s²+σ²) (y − log q − m)
    k = s**2 / (s**2 + sigma**2)
    tau = np.sqrt(s**2 * sigma**2 / (s**2 + sigma**2))
    y = np.log(q) + m + (np.log(c) - norm.ppf(alpha) * tau - m) / k
    assert noisy > 1.1 * exact
    assert np.log(noisy) == pytest.approx(y, abs=0.03)


def test_a_noisy_count_moves_a_percentile_trigger_out():
    """With no failures the trigger is the alpha percentile: hit with probability alpha
    whatever the survey error, so a noisier count (wider spread) puts it further out —
    at q exp(m + z_alpha sqrt(s² + σ²)) instead of q exp(m + z_alpha s)."""
    rng = np.random.default_rng(1)
    m, s, sigma, q, alpha = np.log(1e6), 0.3, 0.2, 0.8, 0.1
    log_n = rng.normal(m, s, 200_000)
    none = np.zeros(log_n.size, bool)
    exact, b1, _, hit1 = trigger_level(q * np.exp(log_n), none, alpha=alpha)
    noisy, b2, _, hit2 = trigger_level(
        q * np.exp(log_n + sigma * rng.standard_normal(log_n.size)), none, alpha=alpha
    )
    assert b1 == b2 == "percentile"
    assert hit1 == pytest.approx(alpha, abs=1e-3)
    assert hit2 == pytest.approx(alpha, abs=1e-3)
    z = norm.ppf(alpha)
    assert np.log(exact / q) == pytest.approx(m + z * s, abs=0.01)
    assert np.log(noisy / q) == pytest.approx(m + z * np.hypot(s, sigma), abs=0.01)


def test_a_huge_composition_survey_gives_the_true_ratio_and_its_trigger(om):
    proj = _full(om, [500.0, 500.0, 50.0])
    obs = observed_quantities(om, proj, TriggerSurveys(adults=10**10))
    np.testing.assert_allclose(obs["survey_sex_ratio"], obs["sex_ratio"], rtol=2e-4)
    trig = compute_triggers(om, [500.0, 500.0, 50.0], surveys=TriggerSurveys(adults=10**10))
    np.testing.assert_allclose(trig["survey_sex_ratio"], trig["sex_ratio"], rtol=2e-4)


def test_survey_share_is_binomial_and_a_design_effect_inflates_it(identical_draws):
    """Identical draws: the surveyed male share varies only by sampling, with variance
    deff · p(1 − p) / n."""
    om = identical_draws
    proj = _full(om, [0.0])
    n = 400
    for deff in (1.0, 4.0):
        obs = observed_quantities(om, proj, TriggerSurveys(adults=n, design_effect=deff))
        ratio = obs["sex_ratio"].values[0, 0, 0]
        p = ratio / (1 + ratio)
        r = obs["survey_sex_ratio"].values[0, :, 0]
        share = r / (1 + r)
        assert share.mean() == pytest.approx(p, abs=4 * np.sqrt(deff * p * (1 - p) / n / 2000))
        # variance of a sample variance of 2,000 draws: ±~10 % at 3 standard errors
        assert share.var() == pytest.approx(deff * p * (1 - p) / n, rel=0.12)
        males = share * n
        np.testing.assert_allclose(males, np.round(males), atol=1e-6)  # whole animals


def test_die_off_toll_counts_the_may_deaths(om):
    proj = _full(om, [500.0, 500.0, 50.0])
    full = observed_quantities(om, proj)
    deaths = full["die_off_deaths"].values
    assert (deaths > 0).any()
    np.testing.assert_array_equal(full["die_off_toll"].values, np.rint(deaths))
    share = (
        (proj["calving_deaths"] / (proj["births"] + proj["total"]))
        .sel(year=list(om.quota_years))
        .transpose("year", "draw", "population")
        .values
    )
    np.testing.assert_allclose(full["die_off"].values, np.where(share < 1e-9, 0, share))
    half = observed_quantities(om, proj, TriggerSurveys(toll_detection=0.5))
    big = deaths > 1e5
    np.testing.assert_allclose(half["die_off_toll"].values[big] / deaths[big], 0.5, atol=0.01)
    assert np.all(half["die_off_toll"].values <= np.rint(deaths))


def test_triggers_are_reproducible_with_the_seed(om):
    surveys = TriggerSurveys(adults=300, toll_detection=0.7)
    a = compute_triggers(om, [500.0, 500.0, 50.0], surveys=surveys)
    b = compute_triggers(om, [500.0, 500.0, 50.0], surveys=surveys)
    xr.testing.assert_identical(a, b)
    assert a.attrs["observed"] == 1
    assert a.attrs["survey_adults"] == 300
    proj = _full(om, [500.0, 500.0, 50.0])
    x = observed_quantities(om, proj, TriggerSurveys(adults=300, seed=1))
    y = observed_quantities(om, proj, TriggerSurveys(adults=300, seed=2))
    assert not np.array_equal(x["survey_sex_ratio"], y["survey_sex_ratio"])
    xr.testing.assert_identical(x["count"], y["count"])  # the census uses the OM's stream


@pytest.mark.parametrize(
    ("kw", "word"),
    [
        ({"adults": 0}, "adults"),
        ({"adults": 10.5}, "adults"),
        ({"design_effect": 0.5}, "design_effect"),
        ({"toll_detection": 0.0}, "toll_detection"),
        ({"toll_detection": 1.5}, "toll_detection"),
    ],
)
def test_bad_survey_settings_are_refused(kw, word):
    with pytest.raises(ValueError, match=word):
        TriggerSurveys(**kw)
