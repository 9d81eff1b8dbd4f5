import numpy as np
import pytest
import xarray as xr

from saigapop.demography.cycle import project as demography_project
from saigapop.demography.vital_rates import VitalRates
from saigapop.management import (
    ConstantHarvest,
    HarvestSchedule,
    OperatingModel,
)
from saigapop.testing import synthetic_posterior


def _realised(pop="A", males=2000.0, females=1500.0, calves=500.0):
    return xr.DataArray(
        [[[calves / 2, 0.0, females], [calves / 2, 0.0, males]]],
        dims=("population", "sex", "age"),
        coords={
            "population": [pop],
            "sex": ["female", "male"],
            "age": ["calf", "yearling", "adult"],
        },
    )


def test_kernel_matches_demography_cycle(deterministic_posterior, det):
    """The lean kernel reproduces saigapop.demography.project year by year."""
    dt = deterministic_posterior()
    post = dt["posterior"].to_dataset().isel(chain=0, draw=0)
    om = OperatingModel.from_posterior(
        dt, horizon=8, realised_removals=_realised(), wounding=0.1, **det
    )
    level = 3000.0
    proj = om.project(ConstantHarvest(), [level]).isel(candidate=0, draw=0, population=0)

    rates = VitalRates(
        survival=post["survival"].isel(population=0).values,
        fecundity=post["fecundity"].sel(age=["yearling", "adult"]).values,
        twinning=post["twinning"].sel(age=["yearling", "adult"]).values,
        harem_size=float(post["harem_size"]),
        mating_form="exponential",  # a fit without mating parameters projects exponential
        density_form="beverton_holt",
        carrying_capacity=float(post["carrying_capacity"].isel(population=0)),
        density_strength=float(post["density_strength"]),
    )
    removals = np.zeros((8, 2, 3))
    removals[0] = _realised().isel(population=0).values
    removals[1:4, 1, 2] = level * 1.1  # export plus wounding in the quota years
    n0 = post["N"].isel(population=0).sel(year=2025, age=["yearling", "adult"]).values
    ref = demography_project(
        n0,
        float(post["conception_probability"].isel(population=0)),
        rates,
        8,
        removals,
        on_excess="cap",
    )
    np.testing.assert_allclose(
        proj["abundance"].transpose("year", "sex", "age").values, ref.census, rtol=1e-10
    )
    np.testing.assert_allclose(proj["conception"].values[:-1], ref.conception, rtol=1e-10)
    np.testing.assert_allclose(proj["births"].values[:-1], ref.births.sum(-1), rtol=1e-10)


def test_common_random_numbers_do_not_depend_on_candidates(om):
    together = om.project(ConstantHarvest(), [0.0, 20_000.0], record="summary")
    alone = om.project(ConstantHarvest(), [20_000.0], record="summary")
    np.testing.assert_array_equal(
        together["total"].isel(candidate=1).values, alone["total"].isel(candidate=0).values
    )
    base = om.baseline()
    np.testing.assert_array_equal(together["total"].isel(candidate=0).values, base["total"].values)


def test_same_seed_identical_and_other_seed_differs(posterior):
    a = OperatingModel.from_posterior(posterior, seed=5).baseline()["total"].values
    b = OperatingModel.from_posterior(posterior, seed=5).baseline()["total"].values
    c = OperatingModel.from_posterior(posterior, seed=6).baseline()["total"].values
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_projection_has_named_dims_and_starts_at_latest_census(om):
    proj = om.project(ConstantHarvest(), [1000.0])
    assert proj["abundance"].dims == ("candidate", "draw", "population", "year", "sex", "age")
    assert int(proj["year"][0]) == 2025
    assert int(proj["year"][-1]) == 2025 + 13
    assert proj.attrs["quota_years"] == [2026, 2027, 2028]
    # export only in the quota years, and it is adult males
    removed = proj["removed"].sel(source="export").sum(("candidate", "draw", "population"))
    yrs = removed.sum(("sex", "age_class"))
    assert float(yrs.sel(year=2025)) == 0.0
    assert float(yrs.sel(year=2029)) == 0.0
    assert float(yrs.sel(year=2026)) > 0
    assert float(removed.sel(sex="female").sum()) == 0.0


def test_realised_cull_applied_exactly_in_first_year(deterministic_posterior, det):
    dt = deterministic_posterior()
    kw = {"horizon": 3, **det}
    with_cull = OperatingModel.from_posterior(dt, realised_removals=_realised(), **kw).baseline(
        record="full"
    )
    removed = with_cull["removed"].sel(source="cull", year=2025).isel(draw=0, population=0)
    np.testing.assert_allclose(removed.sel(sex="male", age_class="adult"), 2000.0)
    np.testing.assert_allclose(removed.sel(sex="female", age_class="adult"), 1500.0)


def test_implementation_error_takes_a_fraction_and_is_male_biased(posterior):
    plan = HarvestSchedule.from_records(
        [
            ("Ural", 2027, s, a, n)
            for s, a, n in [
                ("male", "adult", 40_000.0),
                ("female", "adult", 40_000.0),
                ("male", "calf", 10_000.0),
                ("female", "calf", 10_000.0),
            ]
        ]
    )
    om = OperatingModel.from_posterior(posterior, planned_culls=plan, seed=1)
    achieved = om.culls[:, :, 2, :, 1]  # (sex, age, draw) for Ural, 2027
    frac = achieved.sum(axis=(0, 1)) / 100_000.0
    impl = posterior["posterior"]["implementation_fraction"].stack(s=("chain", "draw")).values
    np.testing.assert_allclose(frac, impl, rtol=1e-12)  # achieved = fraction of plan
    male_share = achieved[1].sum(0) / achieved.sum(axis=(0, 1))
    assert np.all(male_share > 0.5)  # planned 50 % males, achieved more


def test_catastrophes_are_sex_specific():
    dt = synthetic_posterior({"A": 1e5}, chains=1, draws=200, catastrophe_rate=(1.0, 1.0), seed=2)
    om = OperatingModel.from_posterior(dt, seed=1, process_noise=False)
    cs = om.calving_survival  # pasteurellosis at calving: females and calves
    assert np.mean(1 - cs[0, 2]) > 5 * np.mean(1 - cs[1, 2])
    assert np.mean(1 - cs[0, 0]) > 0.3
    ref = OperatingModel.from_posterior(dt, seed=1, process_noise=False, catastrophes=False)
    dz = 1 - om.survival / ref.survival  # dzhut in winter: calves and adult males
    assert np.mean(dz[1, 2]) > 2 * np.mean(dz[0, 2])
    assert np.mean(dz[0, 0]) > np.mean(dz[0, 2])
    assert not ref.events.any()


def test_poaching_is_male_biased_and_raised_by_trade_in_exporting_arms_only(om):
    p = om.poaching  # (sex, year, draw, pop): the baseline rate, both arms
    assert np.all(p[1] > p[0])
    years = list(om.model_years)
    q = years.index(2026)
    np.testing.assert_array_equal(p[:, q], p[:, 0])  # no trade in the baseline rate
    assert np.all(om.trade[q] > 1.0)  # an exporting arm: trade open in quota years
    np.testing.assert_array_equal(om.trade[0], 1.0)
    np.testing.assert_array_equal(om.trade[years.index(2030)], 1.0)  # reverts after 3 years
    assert om.trade_years == (2026, 2027, 2028)


def test_removals_never_exceed_what_exists(deterministic_posterior, det):
    om = OperatingModel.from_posterior(deterministic_posterior(), horizon=5, **det)
    proj = om.project(ConstantHarvest(), [1e9])
    assert float(proj["abundance"].min()) >= 0.0
    assert float(proj["export_shortfall"].sel(year=2026).squeeze()) > 0


def test_bad_levels_are_refused(om):
    from saigapop.exceptions import ConfigError

    with pytest.raises(ConfigError):
        om.project(ConstantHarvest(), [-1.0])


def test_vectorised_risks_equal_plain_loop(om):
    """The vectorised kernel and criteria agree draw by draw with a plain Python loop."""
    from saigapop.management import default_criteria, risk_curve
    from saigapop.management._reference import loop_risks

    levels = np.array([[0.0, 0.0, 0.0], [20_000.0, 30_000.0, 800.0], [80_000.0, 90_000.0, 3000.0]])
    limits = {"Betpakdala": 1.2e6, "Ural": 1.8e6, "Ustyurt": 6e4}
    draws = list(range(0, om.n_draws, 10))
    curve = risk_curve(om, levels, default_criteria(limits), progress=False)
    vec = curve["fail"].sel(criterion=["abundance", "sex_ratio", "conception"]).isel(draw=draws)
    ref = loop_risks(om, levels, [limits[p] for p in om.populations], draws)
    np.testing.assert_array_equal(
        vec.transpose("criterion", "candidate", "draw", "population").values, ref
    )
    assert ref.any()


def test_severe_die_offs_never_wipe_out_a_class_and_the_rut_does_not_overflow():
    """A pasteurellosis of posterior severity 0.7 at intensity up to 1.5 kills < 100 %.

    Before the fix the kill was ``severity × intensity`` clipped at 1: every female died in
    about a third of events, the rut ratio became ``M / 1e-300`` and ``h · M / F``
    overflowed (a warning the CLI used to silence).
    """
    import warnings

    dt = synthetic_posterior({"A": 1e5}, chains=1, draws=200, catastrophe_rate=(1.0, 0.0), seed=4)
    sev = dt["posterior"]["catastrophe_severity"].copy()
    sev.loc[{"catastrophe": "pasteurellosis"}] = 0.7
    dt["posterior"]["catastrophe_severity"] = sev
    om = OperatingModel.from_posterior(dt, seed=1, poaching=False)
    kill = 1.0 - om.calving_survival[:, :, om.events[0]]  # (sex, age, event)
    # kill = 1 − (1 − s)^u with u ~ U(0.5, 1.5): between 1 − 0.3^0.5 and 1 − 0.3^1.5
    assert kill.min() >= 1.0 - 0.3**0.5 - 1e-12
    assert kill.max() <= 1.0 - 0.3**1.5 + 1e-12
    assert kill.min() < 0.46
    assert kill.max() > 0.83
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow warning fails the test
        proj = om.project(ConstantHarvest(), np.array([[2000.0]]), record="full")
    assert np.all(proj["breeding_females"].isel(year=slice(0, -1)).values > 0)
    assert np.isfinite(proj["conception"].isel(year=slice(0, -1)).values).all()


def test_poaching_is_taken_first_and_the_export_meets_what_is_left(deterministic_posterior, det):
    """Poaching is a rate on the adults present; numeric removals are capped at the rest.

    Asking for more adult males than exist: the poachers still take exactly their rate, the
    export and its wounding loss share what is left in proportion (1 : w), and no adult male
    is left at the rut.
    """
    om = OperatingModel.from_posterior(
        deterministic_posterior(), horizon=3, wounding=0.1, **{**det, "poaching": True}
    )
    t = list(om.model_years).index(2026)
    rate = float(om.poaching[1, t, 0, 0])
    assert rate > 0
    proj = om.project(ConstantHarvest(), [1e9]).isel(candidate=0, draw=0, population=0)
    ma = float(proj["abundance"].sel(year=2026, sex="male", age="adult"))  # no die-off
    removed = proj["removed"].sel(year=2026, sex="male", age_class="adult")
    np.testing.assert_allclose(float(removed.sel(source="poaching")), rate * ma, rtol=1e-12)
    left = (1.0 - rate) * ma
    np.testing.assert_allclose(float(removed.sel(source="export")), left / 1.1, rtol=1e-12)
    np.testing.assert_allclose(float(removed.sel(source="wounding")), 0.1 * left / 1.1, rtol=1e-12)
    np.testing.assert_allclose(float(proj["export"].sel(year=2026)), left / 1.1, rtol=1e-12)
    np.testing.assert_allclose(
        float(proj["export_shortfall"].sel(year=2026)), 1e9 - left / 1.1, rtol=1e-12
    )
    assert float(proj["breeding_males"].sel(year=2026)) == 0.0
