"""Reference and robustness trials: the grid as data, conditioning weights, pass/fail."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from saigapop.exceptions import ConfigError
from saigapop.management import OperatingModel, solve_quota
from saigapop.management._mc import mcse_mean
from saigapop.management.reweighting import weighted_stats as _weighted_stats
from saigapop.management.trial_grid import _replacement_density
from saigapop.management.trials import (
    DEFAULT_TRIALS,
    KHAT_MAX,
    Reweight,
    Trial,
    build_trial_model,
    psis,
    run_trials,
    synthetic_counts,
    trial_table,
    trial_weights,
)
from saigapop.testing import synthetic_posterior

pytestmark = pytest.mark.filterwarnings(
    "ignore::saigapop.management.operating_model.ConvergenceWarning"
)

REQUIRED = {
    "reference": {
        "base",
        "obs_cv_0.1",
        "obs_cv_0.3",
        "catchability_0.8",
        "catchability_1.0",
        "catchability_1.2",
        "no_density_dependence",
        "evidence_mating",
        "evidence_mating_pessimistic",
        "export_male_selective_culls",
        "trade_poaching_persists",
        "census_2025_estimate",
    },
    "robustness": {
        "double_catastrophes",
        "ppr_event",
        "triple_poaching",
        "implementation_overshoot",
        "low_male_survival",
        "emigration",
        "exponential_mating",
        "density_at_current",
        "export_raises_implementation",
    },
}


@pytest.fixture(scope="module")
def small():
    post = synthetic_posterior(chains=2, draws=100, seed=5, adult_male_share=0.2)
    return post, synthetic_counts(post, seed=1)


def test_grid_is_data_and_covers_every_named_trial():
    by_kind = {k: {t.name for t in DEFAULT_TRIALS if t.kind == k} for k in REQUIRED}
    assert by_kind == REQUIRED
    for t in DEFAULT_TRIALS:
        assert t.differs
        assert t.why
        assert t.conditioning
        assert t.conditioning.split(":")[0] in ("as fitted", "reweighted", "projection only")
        assert (t.reweight is not None) == t.conditioning.startswith("reweighted")
        with pytest.raises(AttributeError):
            t.name = "x"  # frozen
    mating = {t.name: t for t in DEFAULT_TRIALS if "mating" in t.name}
    assert set(mating) == {"evidence_mating", "evidence_mating_pessimistic", "exponential_mating"}
    assert mating["evidence_mating"].options == {"mating_form": "normalised_hill"}
    assert mating["evidence_mating_pessimistic"].options["mating_half_share"] == 0.03
    assert mating["exponential_mating"].options == {"mating_form": "exponential"}
    # each mating trial states its plausibility weight and the evidence for it
    for t in mating.values():
        assert t.plausibility in ("high", "medium", "low")
        assert t.evidence
    # high and medium weights are reference trials the quota must pass
    assert {t.name for t in mating.values() if t.plausibility in ("high", "medium")} == {
        t.name for t in mating.values() if t.kind == "reference"
    }


def test_psis_uniform_and_heavy_tails():
    w, k, ess = psis(np.zeros(50))
    np.testing.assert_allclose(w, 1 / 50)
    assert ess == 50.0
    assert k == -np.inf
    rng = np.random.default_rng(1)
    light = psis(0.1 * rng.standard_normal(2000))
    heavy = psis(3.0 * rng.standard_normal(2000))
    assert light[1] < 0.5 < KHAT_MAX < heavy[1]
    assert light[2] > 1900
    assert heavy[2] < 200


def test_psis_recovers_an_analytic_importance_sampling_mean():
    """Draws from N(0, 1) reweighted to N(0.5, 1): log w = 0.5 x − 0.125, target mean 0.5."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal(4000)
    w, k, ess = psis(0.5 * x - 0.125)
    assert float(np.sum(w * x)) == pytest.approx(0.5, abs=0.05)
    assert k < 0.5  # light-tailed ratios
    # ESS of the normalised weights: n / E[w²] with E[w²] = exp(0.25) for this pair
    assert ess == pytest.approx(4000 * np.exp(-0.25), rel=0.1)
    # fewer than 25 draws: no tail to fit, raw normalised weights
    w_small, k_small, _ = psis(np.arange(10.0))
    np.testing.assert_allclose(w_small, np.exp(np.arange(10.0)) / np.exp(np.arange(10.0)).sum())
    assert k_small == -np.inf


def test_reweighting_with_the_fitted_model_gives_uniform_weights(small):
    post, counts = small
    w, _k, ess = trial_weights(post, counts, Reweight())
    np.testing.assert_allclose(w, 1 / 200)
    assert ess == pytest.approx(200.0)
    # a different CV changes them; their sum stays 1
    w2, k2, _ = trial_weights(post, counts, Reweight(obs_cv=0.3))
    assert w2.sum() == pytest.approx(1.0)
    assert np.ptp(w2) > 0
    assert np.isfinite(k2)


def test_weighted_mc_error_reduces_to_the_unweighted_one():
    rng = np.random.default_rng(0)
    x = (rng.random((3, 400)) < 0.2).astype(float)
    chain = np.repeat([0, 1], 200)
    m, se = _weighted_stats(x, np.full(400, 1 / 400), chain)
    np.testing.assert_array_equal(m, x.mean(-1))
    np.testing.assert_array_equal(se, mcse_mean(x, chain))
    # self-normalised IS error by hand (iid chains, no inflation below 1)
    w = rng.random(400)
    w /= w.sum()
    m2, se2 = _weighted_stats(x, w, chain)
    by_hand = np.sqrt((w**2 * (x - (x * w).sum(-1, keepdims=True)) ** 2).sum(-1))
    np.testing.assert_allclose(m2, (x * w).sum(-1))
    assert np.all(se2 >= by_hand - 1e-15)


def test_trial_stresses_change_what_they_say(small):
    post, _ = small
    get = {t.name: t for t in DEFAULT_TRIALS}
    base = build_trial_model(post, get["base"], seed=2)
    ppr = build_trial_model(post, get["ppr_event"], seed=2)
    np.testing.assert_allclose(ppr.survival[:, :, 1], 0.2 * base.survival[:, :, 1])
    np.testing.assert_array_equal(ppr.survival[:, :, 2], base.survival[:, :, 2])
    poach = build_trial_model(post, get["triple_poaching"], seed=2)
    np.testing.assert_array_equal(poach.poaching[:, 0], base.poaching[:, 0])
    np.testing.assert_allclose(poach.poaching[:, 1:], np.clip(3 * base.poaching[:, 1:], 0, 1))
    q = build_trial_model(post, get["catchability_1.2"], seed=2)
    assert np.all(q.catchability == 1.2)
    emig = build_trial_model(post, get["emigration"], seed=2)
    np.testing.assert_allclose(emig.survival, 0.95 * base.survival)


def test_density_at_current_holds_replacement(small):
    from saigapop.demography.matrix import female_matrix, lambda_
    from saigapop.demography.vital_rates import VitalRates

    post, _ = small
    om = OperatingModel.from_posterior(post, seed=1)
    d = _replacement_density(om)
    surv = np.clip(om.mean_survival, 0, 1)
    bpf = om.births_per_female[:, 0, :]
    fec = np.clip(bpf / 2, 0, 1)
    rates = VitalRates(survival=surv, fecundity=fec[:, None], twinning=(bpf / fec - 1)[:, None])
    lam = lambda_(female_matrix(rates, conception=om.conception0, density_factor=d))
    grows = d < 1
    assert grows.any()
    np.testing.assert_allclose(lam[grows], 1.0, atol=1e-6)
    trial = next(t for t in DEFAULT_TRIALS if t.name == "density_at_current")
    dd = build_trial_model(post, trial, seed=1)
    b = dd.density_strength
    n_now = dd.n0.sum(axis=(-2, -1))
    factor = 1.0 / (1.0 + b * n_now / dd.carrying_capacity)
    np.testing.assert_allclose(factor[grows], d[grows], rtol=1e-9)


def test_recommended_quota_in_every_trial_and_failures_shown(small):
    post, counts = small
    om = OperatingModel.from_posterior(post, seed=3)
    result = solve_quota(om, progress=False)
    out = run_trials(post, result, counts=counts, seed=3, progress=False)
    assert out["trial"].values.tolist() == [t.name for t in DEFAULT_TRIALS]
    assert bool(out["trial_passes"].sel(trial="base").all())
    np.testing.assert_allclose(
        out.sel(trial="base", criterion=["abundance", "sex_ratio", "conception"])[
            "decision_risk"
        ].values,
        result.at_quota["decision_risk"].sel(criterion=["abundance", "sex_ratio", "conception"]),
    )
    rew = [t.name for t in DEFAULT_TRIALS if t.reweight is not None]
    assert np.all(np.isfinite(out["pareto_k"].sel(trial=rew)))
    assert np.all(out["ess"].sel(trial=rew) <= out["n_draws"].sel(trial=rew))
    over = out.sel(trial="implementation_overshoot")
    np.testing.assert_allclose(over["quota"].values, 1.25 * result.level.values)
    failed = out.attrs["failed_trials"]
    table = trial_table(out)
    assert set(table.loc[~table["passes"]].index.get_level_values("trial")) == set(failed)
    assert table.shape[0] == len(DEFAULT_TRIALS) * 3


def test_unsafe_fixed_large_male_quota_fails_the_trials(small):
    post, counts = small
    om = OperatingModel.from_posterior(post, seed=3)
    unsafe = 0.9 * np.median(om.n0[..., 1, 1], axis=0)  # 90 % of adult males a year
    out = run_trials(post, unsafe, counts=counts, seed=3, progress=False)
    ref = out.sel(trial=[t.name for t in DEFAULT_TRIALS if t.kind == "reference"])
    assert not bool(ref["trial_passes"].any())
    rob = out.sel(trial=[t.name for t in DEFAULT_TRIALS if t.kind == "robustness"])
    assert not bool(rob["trial_passes"].any())  # collapse everywhere
    assert np.all(rob["decision_risk"].sel(criterion="collapse") > 0.05)
    assert len(out.attrs["failed_trials"]) == len(DEFAULT_TRIALS)


def test_reweighted_trial_needs_counts(small):
    post, _ = small
    with pytest.raises(Exception, match="counts"):
        run_trials(post, [1.0, 1.0, 1.0], trials=DEFAULT_TRIALS[1:2], progress=False)


def test_custom_trial_kind_is_validated():
    with pytest.raises(Exception, match="reference"):
        Trial("x", "other")  # type: ignore[arg-type]


def test_observed_counts_read_the_models_flat_layout():
    """The fit stores counts flat ("Ural 2011 count"); trials must find them (CLI --trials)."""
    from saigapop.datasets import load_kazakhstan
    from saigapop.management.trials import observed_counts

    labels = ["Ural 2011 count", "Betpakdala 2012 count", "Ural 2025 count"]
    obs = xr.Dataset(
        {"count": ("count_obs", [17_700.0, 1.1e5, 2.3e6])}, coords={"count_obs": labels}
    )
    post = synthetic_posterior({"Ural": 2.3e6}, chains=1, draws=2)
    dt = xr.DataTree.from_dict({"posterior": post["posterior"].to_dataset(), "observed_data": obs})
    c = observed_counts(dt)
    assert c.dims == ("population", "year")
    assert float(c.sel(population="Ural", year=2011)) == 17_700.0
    assert float(c.sel(population="Ural", year=2025)) == 2.3e6
    assert np.isnan(float(c.sel(population="Betpakdala", year=2011)))
    bundled = load_kazakhstan().to_xarray()["count"]
    assert float(bundled.sel(population="Ural", year=2025)) == float(
        c.sel(population="Ural", year=2025)
    )


def test_refitted_trial_uses_its_own_posterior_and_says_so(small):
    """A trial given a refit is evaluated on that posterior, unweighted, labelled 'refit'."""
    post, counts = small
    refit = synthetic_posterior(chains=2, draws=60, seed=9, adult_male_share=0.2)
    levels = [2000.0, 2000.0, 100.0]
    trials = [t for t in DEFAULT_TRIALS if t.name in ("base", "obs_cv_0.3")]
    out = run_trials(
        post, levels, trials=trials, counts=counts, refits={"obs_cv_0.3": refit}, progress=False
    )
    t = out.sel(trial="obs_cv_0.3")
    assert str(t["conditioning"].values).startswith("refit:")
    assert "120 draws" in str(t["conditioning"].values)
    assert float(t["ess"]) == 120.0
    assert not np.isfinite(float(t["pareto_k"]))
    # the same numbers as the base trial run on the refitted posterior itself
    alone = run_trials(refit, levels, trials=trials[:1], progress=False).sel(trial="base")
    for var in ("risk", "baseline_risk", "decision_risk", "decision_mcse", "sex_ratio"):
        np.testing.assert_array_equal(t[var].values, alone[var].values)
    with pytest.raises(ConfigError, match="unknown trials"):
        run_trials(post, levels, trials=trials, counts=counts, refits={"nope": refit})
