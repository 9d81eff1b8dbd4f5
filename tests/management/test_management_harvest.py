import numpy as np
import pytest

from saigapop.management import (
    ConstantHarvest,
    HarvestSchedule,
    OperatingModel,
    ProportionalHarvest,
    ThresholdHarvest,
    risk_curve,
)


def _classes():
    f = [np.array([10.0]), np.array([20.0]), np.array([30.0])]
    m = [np.array([10.0]), np.array([5.0]), np.array([15.0])]
    return [f, m]


def test_rules_request_the_documented_numbers():
    x = _classes()
    total = np.array([200.0])
    pidx = np.zeros(1, int)
    assert ConstantHarvest(sex="both").request(np.array([40.0]), x, total, pidx)[(0, 2)] == 20.0
    prop = ProportionalHarvest(sex="male", ages=("yearling", "adult")).request(
        np.array([0.2]), x, total, pidx
    )
    assert prop[(1, 1)] == pytest.approx(1.0)
    assert prop[(1, 2)] == pytest.approx(3.0)
    thr = ThresholdHarvest(threshold={"A": 100.0}, sex="both", ages=("adult",)).for_populations(
        ["A"]
    )
    req = thr.request(np.array([0.5]), x, total, pidx)  # surplus 100 × 0.5, split 30:15
    assert req[(0, 2)] == pytest.approx(50.0 * 30 / 45)
    assert req[(1, 2)] == pytest.approx(50.0 * 15 / 45)


def test_rules_are_validated():
    with pytest.raises(ValueError, match="sex"):
        ConstantHarvest(sex="males")
    with pytest.raises(ValueError, match="ages"):
        ConstantHarvest(ages=("old",))
    with pytest.raises(ValueError, match="rate"):
        ProportionalHarvest(level=1.5)
    with pytest.raises(ValueError, match="level"):
        ConstantHarvest(level=-1.0)


def test_schedule_as_export_equals_constant_rule(om):
    recs = [(p, y, "male", "adult", 5000.0) for p in om.populations for y in om.quota_years]
    sched = HarvestSchedule.from_records(recs)
    a = om.project(sched, record="summary")["total"]
    b = om.project(ConstantHarvest(), [5000.0], record="summary")["total"]
    np.testing.assert_allclose(a.values, b.values)


def test_planned_culls_are_added_on_top_of_the_export(posterior):
    plan = HarvestSchedule.from_records([("Ural", 2026, "female", "adult", 50_000.0)])
    with_plan = OperatingModel.from_posterior(posterior, seed=3, planned_culls=plan)
    proj = with_plan.project(ConstantHarvest(), [1000.0], record="full")
    removed = proj["removed"].sel(population="Ural", year=2026).mean("draw").squeeze()
    assert float(removed.sel(source="cull", sex="female", age_class="adult")) > 0
    assert float(removed.sel(source="export", sex="male", age_class="adult")) == pytest.approx(
        1000.0
    )


def test_threshold_rule_family_in_a_risk_curve(om):
    rule = ThresholdHarvest(threshold=1e6, sex="male", ages=("adult",))
    curve = risk_curve(om, [0.0, 0.01, 0.05], export=rule, progress=True)
    assert curve.attrs["unit"] == "rate"
    assert float(curve["export_taken"].sel(population="Ustyurt").max()) == 0.0  # below threshold
    assert float(curve["export_taken"].sel(population="Ural").isel(candidate=2).mean()) > 0


def test_realised_removals_from_the_bundled_data():
    import saigapop as sp
    from saigapop.management import realised_removals

    rr = realised_removals(sp.load_kazakhstan().removals, 2025)
    assert float(rr.sel(population="Ural").sum()) == pytest.approx(108_500.0)
    # the non-Ural cull is published only as a bound: the upper end is taken
    assert float(rr.sel(population="Betpakdala").sum()) == pytest.approx(87_500.0)
    assert float(rr.sel(population="Ural", sex="male").sum()) > float(
        rr.sel(population="Ural", sex="female").sum()
    )
    low = realised_removals(sp.load_kazakhstan().removals, 2025, bounds="lower")
    assert float(low.sel(population="Betpakdala").sum()) == 0.0
