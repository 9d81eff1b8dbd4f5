"""Quota solver: deterministic cases with independently known answers, and behaviour."""

import numpy as np
import pytest
from scipy.optimize import brentq

from saigapop.demography.matrix import lambda_, stable_stage, two_sex_linearised_matrix
from saigapop.demography.vital_rates import VitalRates
from saigapop.management import (
    AbundanceRisk,
    ConceptionRisk,
    GrowthRate,
    OperatingModel,
    ProportionalHarvest,
    SexRatioRisk,
    default_criteria,
    risk_curve,
    solve_quota,
)
from saigapop.testing import synthetic_posterior

HORIZON = 80
YEARS = tuple(range(2025, 2025 + HORIZON))


def _rates(post, harem):
    return VitalRates(
        survival=post["survival"].isel(population=0).values,
        fecundity=post["fecundity"].sel(age=["yearling", "adult"]).values,
        twinning=post["twinning"].sel(age=["yearling", "adult"]).values,
        harem_size=harem,
        mating_form="exponential",  # the synthetic posterior is a fit without mating parameters
    )


def _det_om(dt, det):
    return OperatingModel.from_posterior(
        dt, horizon=HORIZON, density_form="none", wounding=0.0, **det
    )


def test_female_proportional_harvest_matches_closed_form(deterministic_posterior, det):
    """Two-class female model, proportional harvest of yearling and adult females.

    With conception 1 (males never limiting) the female census matrix is
    [[s_c ρ b_y, s_c ρ b_a], [(1-u) s_y, (1-u) s_a]] and λ = 1 at
    u* = 1 - (1 - r_y) / (s_a (1 - r_y) + r_a s_y), r = s_c ρ b.
    """
    dt = deterministic_posterior(harem_size=(1e7, 1e7))
    post = dt["posterior"].to_dataset().isel(chain=0, draw=0, population=0)
    s = post["survival"].sel(sex="female").values
    b = (post["fecundity"] * (1 + post["twinning"])).sel(age=["yearling", "adult"]).values
    r_y, r_a = s[0] * 0.5 * b[0], s[0] * 0.5 * b[1]
    u_star = 1 - (1 - r_y) / (s[2] * (1 - r_y) + r_a * s[1])
    om = _det_om(dt, det)
    rule = ProportionalHarvest(sex="female", ages=("yearling", "adult"), years=YEARS)
    result = solve_quota(om, [GrowthRate()], export=rule, progress=False)
    assert result.unit == "rate"
    assert float(result.level.squeeze()) == pytest.approx(u_star, rel=0.01)
    assert str(result.binding.squeeze().values) == "growth_rate"


def _male_rate_at_lambda_one(rates: VitalRates) -> float:
    """Adult-male harvest rate u at which the mating function pulls λ to 1.

    The linearised two-sex matrix at mating ratio r (adult-male survival s_ma (1-u): the
    harvest comes before the rut and winter) has a stable structure that itself implies a
    ratio M/F at the rut; r is the fixed point (inner brentq). The outer brentq finds u
    with λ = 1.
    """
    s = rates.survival
    bpf = rates.fecundity * (1 + rates.twinning)

    def matrix(u, r):
        surv = s.copy()
        surv[1, 2] = s[1, 2] * (1 - u)
        return two_sex_linearised_matrix(rates.replace(survival=surv), males_per_female=r)

    def implied_ratio(u, r):
        w = stable_stage(matrix(u, r))  # census (f_y, f_a, m_y, m_a)
        p = rates.conception(r, 1.0)
        female_calves = 0.5 * p * (bpf[0] * w[0] + bpf[1] * w[1])
        return (1 - u) * w[3] / (female_calves + w[0] + w[1])

    def ratio(u):
        lo, hi = 1e-6, 10.0
        if implied_ratio(u, lo) <= lo:  # no positive fixed point: the population collapses
            return lo
        return brentq(lambda r: implied_ratio(u, r) - r, lo, hi, xtol=1e-14)

    return brentq(lambda u: lambda_(matrix(u, ratio(u))) - 1.0, 0.0, 0.999, xtol=1e-12)


def test_male_proportional_harvest_matches_linearised_matrix(deterministic_posterior, det):
    dt = deterministic_posterior(harem_size=(2.0, 2.0))
    post = dt["posterior"].to_dataset().isel(chain=0, draw=0)
    u_star = _male_rate_at_lambda_one(_rates(post, 2.0))
    assert 0.05 < u_star < 0.95
    om = _det_om(dt, det)
    rule = ProportionalHarvest(sex="male", ages=("adult",), years=YEARS)
    result = solve_quota(om, [GrowthRate()], export=rule, progress=False)
    assert float(result.level.squeeze()) == pytest.approx(u_star, rel=0.01)


def test_raw_risk_non_decreasing_in_male_only_quota(om):
    """Common random numbers, no smoothing: every criterion's raw risks are monotone."""
    levels = np.linspace(0.0, 120_000.0, 25)
    curve = risk_curve(om, levels, default_criteria(), progress=False)
    for var in ("risk", "decision_risk", "added_risk"):
        diffs = curve[var].diff("candidate")
        assert float(diffs.min()) >= -1e-12, var
    assert float(curve["decision_risk"].max()) > 0  # the grid reaches failures


def test_sex_ratio_binds_before_abundance(om):
    limits = {p: 1_000.0 for p in om.populations}  # far below any projected abundance
    result = solve_quota(om, default_criteria(limits), progress=False)
    assert set(result.binding.values) == {"sex_ratio"}
    assert np.all(result.level.values > 0)
    assert float(result.at_quota["added_risk"].sel(criterion="abundance").max()) <= 0.01


def test_small_population_strict_limits_gets_zero_with_reason(det):
    # ~3,000 animals hovering near a limit of 2,900 (λ ≈ 1: survival lowered), no export
    # may add any risk of falling below it: even a fraction of an animal a year does
    survival = {"female": (0.45, 0.8, 0.8), "male": (0.45, 0.75, 0.6)}
    dt = synthetic_posterior({"Small": 3_000.0}, chains=1, draws=200, seed=4, survival=survival)
    om = OperatingModel.from_posterior(dt, seed=1)
    crit = (
        AbundanceRisk(limits={"Small": 2_900.0}, max_added_risk=0.0),
        SexRatioRisk(),
        ConceptionRisk(),
    )
    result = solve_quota(om, crit, progress=False)
    assert float(result.level.sel(population="Small")) == 0.0
    reason = str(result.reason.sel(population="Small").values)
    assert reason.startswith("zero quota")
    assert "abundance" in reason
    assert str(result.binding.sel(population="Small").values) == "abundance"


def test_nothing_safe_returns_zero_not_an_exception(om):
    crit = (GrowthRate(min_lambda=5.0),)  # impossible even without export
    result = solve_quota(om, crit, progress=False)
    assert np.all(result.level.values == 0.0)
    assert all("zero quota" in str(r) for r in result.reason.values)


def test_catastrophes_alone_do_not_zero_a_quota(posterior):
    om = OperatingModel.from_posterior(posterior, seed=2, catastrophe_rate_multiplier=4.0)
    limits = {
        p: 0.9
        * float(
            posterior["posterior"]["N"].sel(population=p, year=2025).sum(("sex", "age")).median()
        )
        for p in om.populations
    }
    result = solve_quota(om, default_criteria(limits), progress=False)
    base = result.at_quota["baseline_risk"].sel(criterion="abundance")
    assert float(base.max()) > 0.1  # catastrophes make the absolute risk large …
    assert np.all(result.level.values > 0)  # … yet the export still gets a positive quota


def test_same_seed_gives_identical_quota_tables(posterior):
    a = solve_quota(OperatingModel.from_posterior(posterior, seed=9), progress=False)
    b = solve_quota(OperatingModel.from_posterior(posterior, seed=9), progress=False)
    assert a.table().equals(b.table())
    assert a.quota.equals(b.quota)


def test_quota_result_contents(om):
    result = solve_quota(om, progress=False)
    q = result.quota
    assert q.dims == ("population", "year", "sex", "age")
    assert list(q["year"].values) == [2026, 2027, 2028]
    np.testing.assert_allclose(
        q.sel(sex="male", age="adult").values, np.repeat(result.level.values[:, None], 3, 1)
    )
    assert float(q.sel(sex="female").sum()) == 0.0
    assert {"risk", "baseline_risk", "added_risk", "decision_mcse"} <= set(
        result.at_quota.data_vars
    )
    assert result.risk_curve["risk"].dims == ("criterion", "candidate", "population")
    tmm = result.male_mortality["total_male_mortality"].sel(statistic="median")
    assert np.all(tmm.values >= result.level.values)  # export is only part of male mortality
    assert "P*" in repr(result) or "P* =" in repr(result)


def test_constant_harvest_upper_grid_widens_when_all_pass(deterministic_posterior, det):
    om = OperatingModel.from_posterior(deterministic_posterior(), horizon=6, **det)
    result = solve_quota(om, [AbundanceRisk(limits=1.0)], upper=10.0, max_expand=2, progress=False)
    assert "search bound" in str(result.reason.squeeze().values)
    assert float(result.level.squeeze()) == pytest.approx(40.0)


def test_trials_evaluate_the_quota_everywhere(posterior, om):
    from saigapop.management import DEFAULT_TRIALS, run_trials
    from saigapop.management.trials import synthetic_counts

    result = solve_quota(om, progress=False)
    out = run_trials(posterior, result, counts=synthetic_counts(posterior), seed=3, progress=False)
    assert list(out["trial"].values) == [t.name for t in DEFAULT_TRIALS]
    base = out.sel(trial="base")
    # the base trial is the solver's own operating model: every criterion passes
    assert bool(base["passes"].all())
    np.testing.assert_allclose(
        base["decision_risk"].sel(criterion=["abundance", "sex_ratio", "conception"]).values,
        result.at_quota["decision_risk"]
        .sel(criterion=["abundance", "sex_ratio", "conception"])
        .values,
    )
    stress = out.sel(trial="double_catastrophes", criterion="abundance")
    assert np.all(
        stress["baseline_risk"].values >= base.sel(criterion="abundance")["baseline_risk"].values
    )
    assert out["trial_passes"].dims == ("trial", "population")


def test_solve_across_reference_trials_takes_the_minimum(posterior):
    from saigapop.management import DEFAULT_TRIALS, solve_across_trials

    trials = [t for t in DEFAULT_TRIALS if t.name in ("base", "evidence_mating_pessimistic")]
    out = solve_across_trials(posterior, trials=trials, seed=3, progress=False)
    np.testing.assert_array_equal(out["quota"].values, out["level"].min("trial").values)
    assert set(out["binding_trial"].values) <= {"base", "evidence_mating_pessimistic"}


def test_robust_quota_passes_every_solved_reference_trial(posterior):
    """The recommended quota is the minimum over reference trials and passes in each."""
    from saigapop.management import DEFAULT_TRIALS, solve_quota, solve_robust_quota
    from saigapop.management.trials import build_trial_model

    om = OperatingModel.from_posterior(posterior, seed=3)
    result, across = solve_robust_quota(om, posterior, seed=3, progress=False)
    fitted = solve_quota(om, progress=False).level
    expected = np.minimum(fitted.values, across["quota"].values)
    np.testing.assert_allclose(result.level.values, expected, atol=1.0)
    lowered = across["quota"].values < fitted.values
    assert lowered.any(), "a reference trial should lower the quota in this synthetic world"
    for j, pop in enumerate(result.level["population"].values):
        binding = str(result.binding.sel(population=pop).values)
        trial = str(across["binding_trial"].sel(population=pop).values)
        assert (trial in binding) == bool(lowered[j])
    # at the recommended quota, every solved reference trial passes all criteria
    for trial in (t for t in DEFAULT_TRIALS if t.kind == "reference" and t.reweight is None):
        t_om = build_trial_model(posterior, trial, seed=3)
        at = solve_quota(t_om, result.criteria, upper=result.level.values, max_expand=0)
        assert (at.level.values >= result.level.values - 1.0).all(), trial.name
