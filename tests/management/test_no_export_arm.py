"""One definition of the no-export arm, the same cull plan in both arms (issue 15 item 3).

Every test compares exact arrays or exact risks (common random numbers make the arms
paired draw by draw), so a trade effect leaking into the no-export arm, or a cull plan
missing from one arm, fails them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from saigapop.exceptions import ConfigError
from saigapop.management import ConstantHarvest, HarvestSchedule, OperatingModel, risk_curve
from saigapop.management.arms import (
    NO_EXPORT_EFFECTS,
    ExportEffects,
    achieved_culls,
    exporting,
    offtake_options,
)
from saigapop.management.mse import Procedure, _subset_posterior, run_mse
from saigapop.management.quota import solve_quota
from saigapop.management.reweighting import weighted_quantile
from saigapop.management.trials import DEFAULT_TRIALS, build_trial_model, run_trials
from saigapop.runner import task_seeds
from saigapop.testing import synthetic_posterior

POPS = ("Betpakdala", "Ural", "Ustyurt")
LEVELS = np.array([0.0, 2_000.0, 8_000.0, 20_000.0])
STATS = ("risk", "baseline_risk", "added_risk", "decision_risk")


@pytest.fixture(scope="module")
def post():
    # 2 chains × 100 draws, converged; male-depleted so that culls and poaching matter
    return synthetic_posterior(chains=2, draws=100, seed=3, adult_male_share=0.15)


def _plan(scale: float) -> HarvestSchedule:
    """Planned culls 2026–28 in every population: males, females and calves."""
    return HarvestSchedule.from_records(
        [
            (p, y, s, a, scale * n)
            for p in POPS
            for y in (2026, 2027, 2028)
            for s, a, n in (
                ("male", "adult", 3_000.0),
                ("female", "adult", 4_000.0),
                ("female", "calf", 1_000.0),
                ("male", "calf", 1_000.0),
            )
        ]
    )


def _realised() -> xr.DataArray:
    """A realised-level cull of 2025 and 2026, applied exactly."""
    arr = np.zeros((2, len(POPS), 2, 3))
    arr[:, :, 1, 2] = 1_500.0
    arr[:, :, 0, 2] = 2_000.0
    return xr.DataArray(
        arr,
        dims=("year", "population", "sex", "age"),
        coords={
            "year": [2025, 2026],
            "population": list(POPS),
            "sex": ["female", "male"],
            "age": ["calf", "yearling", "adult"],
        },
    )


def _om(post, **kw) -> OperatingModel:
    return OperatingModel.from_posterior(post, seed=7, realised_removals=_realised(), **kw)


def _same(a: xr.Dataset, b: xr.Dataset) -> None:
    for name in ("total", "adult_males", "ratio", "conception"):
        np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)
    # male mortality sums its sources in the order the kernel lists them: last-bit only
    np.testing.assert_allclose(a["male_mortality"].values, b["male_mortality"].values, rtol=1e-14)


# ---------------------------------------------------------------------- 1. no export effect
@pytest.mark.parametrize("scale", [0.0, 1.0, 3.0])
def test_without_export_effects_the_added_risk_is_exactly_zero_for_any_cull_plan(post, scale):
    om = _om(post, planned_culls=_plan(scale), export_effects=NO_EXPORT_EFFECTS)
    # level 0 exporting (horns from stock and culls, no dedicated harvest) and not exporting
    curve = risk_curve(om, [0.0, 0.0], exports=[True, False], progress=False)
    assert curve["exports"].values[:, 0].tolist() == [True, False]
    for stat in ("added_risk", "added_risk_mcse"):
        np.testing.assert_array_equal(curve[stat].values, 0.0)
    np.testing.assert_array_equal(curve["risk"].values, curve["baseline_risk"].values)
    proj = om.project(ConstantHarvest(), [0.0], exports=True, record="summary")
    _same(proj.isel(candidate=0, drop=True), om.baseline())


def test_the_no_export_baseline_moves_with_the_cull_plan(post):
    light = _om(post, planned_culls=_plan(1.0))
    heavy = _om(post, planned_culls=_plan(3.0))
    b_light, b_heavy = light.baseline(), heavy.baseline()
    # the same plan in both arms: heavier culls leave fewer animals in the no-export arm
    first, later = b_light["total"].sel(year=2026), b_light["total"].sel(year=slice(2027, None))
    np.testing.assert_array_equal(first.values, b_heavy["total"].sel(year=2026).values)
    assert np.all(b_heavy["total"].sel(year=slice(2027, None)).values < later.values)
    # and the baseline absolute risk of the abundance criterion rises (limits set high)
    limits = {p: float(b_light["total"].sel(population=p, year=2026).median()) for p in POPS}
    from saigapop.management.criteria import default_criteria

    crit = default_criteria(limits)
    r_light = risk_curve(light, [0.0], crit, progress=False)
    r_heavy = risk_curve(heavy, [0.0], crit, progress=False)
    ab = {"criterion": "abundance", "candidate": 0}
    assert np.all(r_heavy["baseline_risk"].sel(**ab) >= r_light["baseline_risk"].sel(**ab))
    assert np.any(r_heavy["baseline_risk"].sel(**ab) > r_light["baseline_risk"].sel(**ab))


def test_planned_culls_are_in_both_arms_with_implementation_error(post):
    om = _om(post, planned_culls=_plan(1.0))
    proj = om.project(ConstantHarvest(), [0.0, 100.0], record="full")  # Ustyurt is small
    base = om.baseline(record="full")
    cull = proj["removed"].sel(source="cull", year=2027).sum(("sex", "age_class"))
    base_cull = base["removed"].sel(source="cull", year=2027).sum(("sex", "age_class"))
    # asked (before any class runs out): plan total × the draw's implementation fraction
    frac = post["posterior"]["implementation_fraction"].stack(s=("chain", "draw")).values
    np.testing.assert_allclose(
        base_cull.values, np.broadcast_to(9_000.0 * frac[:, None], base_cull.shape), rtol=1e-9
    )
    np.testing.assert_allclose(cull.isel(candidate=1).values, base_cull.values, rtol=1e-9)
    # realised-level culls exactly, both arms, never scaled
    real = proj["removed"].sel(source="cull", year=2026, sex="male", age_class="adult")
    planned_male = base["removed"].sel(source="cull", year=2026, sex="male", age_class="adult")
    assert np.all(planned_male.values > 1_500.0)
    np.testing.assert_allclose(real.isel(candidate=1).values, planned_male.values, rtol=1e-9)


# ------------------------------------------------------- 2. trade multiplier 1, no shift
def test_trade_multiplier_one_gives_the_added_risk_of_the_dedicated_harvest_alone(post):
    plan = _plan(1.0)
    one = _om(post, planned_culls=plan, export_effects=ExportEffects(trade_multiplier=1.0))
    off = _om(post, planned_culls=plan, trade_effect=False)
    default = _om(post, planned_culls=plan)
    c_one = risk_curve(one, LEVELS, progress=False)
    c_off = risk_curve(off, LEVELS, progress=False)
    for stat in (*STATS, "fail", "male_mortality"):
        np.testing.assert_array_equal(c_one[stat].values, c_off[stat].values, err_msg=stat)
    assert np.all(c_one["added_risk"].isel(candidate=0).values == 0.0)
    # the posterior trade effect (median 1.5) is seen: more male mortality at levels > 0
    c_def = risk_curve(default, LEVELS, progress=False)
    mm_def = c_def["male_mortality"].isel(candidate=slice(1, None)).values
    mm_off = c_off["male_mortality"].isel(candidate=slice(1, None)).values
    assert mm_def.mean() > mm_off.mean()
    np.testing.assert_array_equal(c_def["baseline_risk"].values, c_off["baseline_risk"].values)


# --------------------------------------------------------------- 3. trade multiplier > 1
@pytest.mark.parametrize("multiplier", [2.0, 5.0])
def test_a_trade_effect_raises_added_risk_and_leaves_the_no_export_arm_alone(post, multiplier):
    plan = _plan(1.0)
    off = _om(post, planned_culls=plan, trade_effect=False)
    hi = _om(post, planned_culls=plan, export_effects=ExportEffects(trade_multiplier=multiplier))
    _same(hi.baseline(), off.baseline())  # the bug fixed: no trade in the no-export arm
    c_off = risk_curve(off, LEVELS, progress=False)
    c_hi = risk_curve(hi, LEVELS, progress=False)
    np.testing.assert_array_equal(c_hi["baseline_risk"].values, c_off["baseline_risk"].values)
    pos = {"candidate": slice(1, None)}
    # per draw, every export-caused failure without trade is one with trade (CRN)
    f_off, f_hi = c_off["fail"].isel(**pos).values, c_hi["fail"].isel(**pos).values
    assert np.all(f_hi >= f_off)
    assert np.all(c_hi["added_risk"].isel(**pos).values >= c_off["added_risk"].isel(**pos).values)
    assert np.any(c_hi["added_risk"].isel(**pos).values > c_off["added_risk"].isel(**pos).values)
    # level 0 stays the no-export arm: exactly zero added risk
    np.testing.assert_array_equal(c_hi["added_risk"].isel(candidate=0).values, 0.0)


def test_trade_poaching_is_the_multiplier_times_the_baseline_rate_by_hand(deterministic_posterior):
    dt = deterministic_posterior({"A": 200_000.0}, poaching_male=0.04)
    kw = {"process_noise": False, "catastrophes": False, "implementation_error": False}
    om = OperatingModel.from_posterior(dt, export_effects=ExportEffects(trade_multiplier=2.5), **kw)
    proj = om.project(ConstantHarvest(), [0.0], exports=[True], record="full")
    base = om.baseline(record="full")
    sel = {"source": "poaching", "age_class": "adult"}
    x = proj["removed"].sel(**sel).isel(candidate=0, draw=0, population=0)
    b = base["removed"].sel(**sel).isel(draw=0, population=0)
    # the first quota year starts from the same census in both arms: ratio = multiplier
    np.testing.assert_allclose(x.sel(year=2026) / b.sel(year=2026), 2.5, rtol=1e-12)
    np.testing.assert_array_equal(x.sel(year=2025), b.sel(year=2025))  # year Y: trade shut
    # after the three quota years trade reverts (CoP20): the poached share is the base rate
    am_x = proj["abundance"].sel(sex="male", age="adult").isel(candidate=0, draw=0, population=0)
    assert om.trade_years == (2026, 2027, 2028)
    np.testing.assert_array_equal(om.trade[[0, 4, 5]], 1.0)
    assert float(x.sel(year=2029, sex="male")) < 0.04 * float(am_x.sel(year=2029)) * 1.01
    persist = OperatingModel.from_posterior(
        dt, export_effects=ExportEffects(trade_multiplier=2.5, trade_persists=True), **kw
    )
    assert persist.trade_years == tuple(range(2026, 2038))


def test_a_male_selectivity_shift_changes_only_the_exporting_arm(post):
    plan = _plan(1.0)
    shift = ExportEffects(trade_poaching=False, cull_male_selectivity=3.0)
    om = _om(post, planned_culls=plan, export_effects=shift)
    off = _om(post, planned_culls=plan, trade_effect=False)
    _same(om.baseline(), off.baseline())
    proj = om.project(ConstantHarvest(), [0.0], exports=True, record="full")
    culled = proj["removed"].sel(source="cull", year=2027).isel(candidate=0)
    base = off.baseline(record="full")["removed"].sel(source="cull", year=2027)
    male_share = culled.sel(sex="male").sum("age_class") / culled.sum(("sex", "age_class"))
    male_share0 = base.sel(sex="male").sum("age_class") / base.sum(("sex", "age_class"))
    assert np.all(male_share.values > male_share0.values)
    np.testing.assert_allclose(  # the same total: only the selectivity shifted
        culled.sum(("sex", "age_class")).values, base.sum(("sex", "age_class")).values, rtol=1e-9
    )
    curve = risk_curve(om, [0.0], exports=True, progress=False)
    for crit in ("sex_ratio", "conception"):
        assert np.all(curve["added_risk"].sel(criterion=crit).values >= 0.0)
    assert float(curve["added_risk"].sel(criterion="sex_ratio").max()) > 0.0


# --------------------------------------------------- 4. one no-export arm for all callers
def test_projection_trials_and_mse_share_one_no_export_arm(post):
    plan = _plan(1.0)
    opts = {"realised_removals": _realised(), "planned_culls": plan}
    n = post["posterior"].sizes["chain"] * post["posterior"].sizes["draw"]
    # the MSE block's operating model: all draws in one block, its own spawned seed
    block_seed = task_seeds(3, 1)[0]
    om_seed = int(np.random.SeedSequence(block_seed).generate_state(1, dtype=np.uint32)[0])
    mse = run_mse(
        post,
        Procedure(harvest_fraction=0.01),
        n_replicates=n,
        block_size=n,
        seed=3,
        limits=dict.fromkeys(POPS, 1e4),
        **opts,
    )
    zero = mse.sel(procedure="zero_export")["total"].transpose("replicate", "population", "year")
    # projection (the solver's operating model: three quota years, trade on)
    solver = OperatingModel.from_posterior(post, seed=om_seed, **opts).baseline()
    np.testing.assert_array_equal(
        zero.values, solver["total"].transpose("draw", "population", "year").values
    )
    # the MSE's own operating model (trade open for 12 years) has the same no-export arm
    sub = _subset_posterior(post, list(range(n)))
    mse_om = OperatingModel.from_posterior(sub, seed=om_seed, quota_years=12, **opts)
    _same(mse_om.baseline(), solver)
    # trials: the reference 'base' trial's comparator is the same arm
    base_trial = next(t for t in DEFAULT_TRIALS if t.name == "base")
    _same(build_trial_model(post, base_trial, seed=om_seed, **opts).baseline(), solver)
    trials = run_trials(
        post, [1_000.0] * 3, trials=[base_trial], seed=om_seed, progress=False, **opts
    )
    curve = risk_curve(
        OperatingModel.from_posterior(post, seed=om_seed, **opts), [0.0, 1_000.0], progress=False
    )
    crit = list(trials["criterion"].values[:-1])  # without collapse
    np.testing.assert_allclose(
        trials["baseline_risk"].sel(trial="base", criterion=crit).values,
        curve["baseline_risk"].sel(criterion=crit).isel(candidate=1).values,
        rtol=1e-12,
    )
    end = solver["total"].isel(year=-1).transpose("population", "draw").values
    np.testing.assert_allclose(
        trials["abundance_end_no_export"].sel(trial="base").values,
        weighted_quantile(end, np.full(n, 1.0 / n), 0.5),
        rtol=1e-12,
    )


# ------------------------------------------------------------------------- the helpers
def test_exporting_switch_defaults_and_overrides():
    rule = ConstantHarvest()
    lv = np.array([[0.0, 1.0], [2.0, 0.0]])
    assert exporting(None, lv, ["A", "B"], [2026]).tolist() == [[False, False], [False, False]]
    assert exporting(rule, lv, ["A", "B"], [2026]).tolist() == [[False, True], [True, False]]
    assert exporting(rule, lv, ["A", "B"], [2026], exports=True).all()
    assert exporting(rule, lv, ["A", "B"], [2026], [True, False]).tolist() == [
        [True, True],
        [False, False],
    ]
    sched = HarvestSchedule.from_records([("B", 2026, "male", "adult", 10.0)])
    assert exporting(sched, lv, ["A", "B"], [2026]).tolist() == [[False, True], [False, True]]
    with pytest.raises(ConfigError, match="exports must be"):
        exporting(rule, lv, ["A", "B"], [2026], exports=[[True, False, True]])


def test_a_no_export_candidate_takes_no_dedicated_harvest(post):
    om = _om(post, trade_effect=False)
    proj = om.project(ConstantHarvest(), [5_000.0], exports=False, record="summary")
    _same(proj.isel(candidate=0, drop=True), om.baseline())
    assert float(proj["export"].sum()) == 0.0


def test_achieved_culls_by_hand():
    plan = np.zeros((1, 1, 2, 3))
    plan[0, 0, 0, 2] = 60.0  # adult females
    plan[0, 0, 1, 2] = 40.0  # adult males
    sel = np.ones((1, 2, 3))
    sel[0, 1, 2] = 1.5
    out = achieved_culls(plan, np.array([0.25]), sel)[0, 0, 0]
    # weights 60 and 60 → half each of 25
    np.testing.assert_allclose(out[:, 2], [12.5, 12.5])
    assert out.sum() == pytest.approx(25.0)


def test_offtake_options_plug_in_announced_and_realised_level_culls():
    table = pd.DataFrame(
        {
            "population": ["Ural"],
            "year": [2025],
            "kind": ["cull"],
            "status": ["final"],
            "timing": ["removal"],
            "sex": ["male"],
            "age": ["adult"],
            "unit": ["animals"],
            "value": [1000.0],
            "lower": [None],
            "upper": [None],
        }
    )

    class Plan:  # the OfftakePlan interface (saigapop.io, issue 15 item 1)
        def numbers(self, pops, years):
            out = np.zeros((len(years), len(pops), 2, 3))
            out[list(years).index(2027), pops.index("Ural"), 1, 2] = 700.0
            return out

        def realised(self, pops, years):
            da = xr.zeros_like(
                _realised().sel(year=[2026]).reindex(population=pops, fill_value=0.0)
            )
            return da + 300.0

    opts = offtake_options(table, 2025, Plan(), populations=["Ural", "Ustyurt"], horizon=5)
    plan = opts["planned_culls"].numbers(["Ural"], [2026, 2027])
    assert plan.sum() == 700.0
    assert plan[1, 0, 1, 2] == 700.0
    real = opts["realised_removals"]
    assert float(real.sel(year=2025, population="Ural", sex="male", age="adult")) == 1000.0
    assert float(real.sel(year=2026, population="Ustyurt", sex="female", age="calf")) == 300.0
    assert set(offtake_options(table, 2025)) == {"realised_removals"}
    with pytest.raises(ConfigError, match="populations"):
        offtake_options(table, 2025, Plan())


def test_solver_sees_the_trade_effect(post):
    plan = _plan(1.0)
    off = solve_quota(_om(post, planned_culls=plan, trade_effect=False), progress=False)
    hi = solve_quota(
        _om(post, planned_culls=plan, export_effects=ExportEffects(trade_multiplier=3.0)),
        progress=False,
    )
    assert np.all(hi.level.values <= off.level.values)
    assert np.any(hi.level.values < off.level.values)


def test_realised_level_culls_shift_in_open_years_only(post):
    """A realised-level scenario (2026) shifts toward males in an exporting arm; 2025 never."""
    om = _om(post, export_effects=ExportEffects(cull_male_selectivity=2.0))
    years = list(om.model_years)
    y25, y26 = years.index(2025), years.index(2026)
    base, shifted = om.culls, om.culls_export  # (sex, age, year, draw, pop)
    np.testing.assert_array_equal(shifted[:, :, y25], base[:, :, y25])  # already happened
    # 2026: 1,500 males and 2,000 females → males' odds doubled, total kept
    m = shifted[1, 2, y26]
    f = shifted[0, 2, y26]
    np.testing.assert_allclose(m + f, 3_500.0)
    np.testing.assert_allclose(m / f, 2.0 * 1_500.0 / 2_000.0)
    assert _om(post).culls_export is None  # no export effect: one set of culls
