"""The whole programme (culls + export vs no offtake): issue 15 item 3, second question."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from saigapop.management import (
    DEFAULT_ABUNDANCE_LIMITS,
    AbundanceRisk,
    ConstantHarvest,
    HarvestSchedule,
    recommend_quota,
)
from saigapop.management.arms import NO_EXPORT_EFFECTS
from saigapop.management.harvest import RealisedLevel
from saigapop.management.operating_model import OperatingModel
from saigapop.management.programme import ProgrammeResult, programme_models, solve_programme
from saigapop.management.quota import solve_quota
from saigapop.management.recommend import operating_model_options
from saigapop.persist import from_node, to_node
from saigapop.testing import synthetic_posterior

QUOTA_YEARS = (2026, 2027, 2028)


def _removals(rows: list[tuple[str, int, str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "population": pop,
                "year": year,
                "kind": "cull",
                "status": "final",
                "timing": "removal",
                "sex": sex,
                "age": age,
                "unit": "animals",
                "value": value,
                "lower": None,
                "upper": None,
            }
            for pop, year, sex, age, value in rows
        ],
        columns=[
            "population",
            "year",
            "kind",
            "status",
            "timing",
            "sex",
            "age",
            "unit",
            "value",
            "lower",
            "upper",
        ],
    )


#: a 2025 cull that happened: stays in both arms of both questions
CULL_2025 = _removals(
    [("Ural", 2025, "male", "adult", 30_000.0), ("Ural", 2025, "female", "adult", 20_000.0)]
)


@pytest.fixture(scope="module")
def post():
    # as in test_no_export_arm: 2 chains × 100 draws, male-depleted
    return synthetic_posterior(chains=2, draws=100, seed=3, adult_male_share=0.15)


def _realised(rows: list[tuple[str, str, str, float]]) -> RealisedLevel:
    """A realised-level plan: ``(population, sex, age, number)`` in every quota year."""
    recs = [(p, y, s, a, v) for p, s, a, v in rows for y in QUOTA_YEARS]
    return RealisedLevel(
        HarvestSchedule.from_records(recs).removals.transpose("year", "population", "sex", "age")
    )


@pytest.mark.parametrize("effects", [None, NO_EXPORT_EFFECTS], ids=["trade", "no_effects"])
def test_with_no_plan_the_plannable_part_is_the_export_quota(post, effects):
    """No culls: the no-offtake comparator is the no-export arm, so the questions coincide.

    The plannable part (adult males taken) equals the export quota; the limit adds what the
    projection removes on top of it: limit = quota × (1 + wounding) + expected poaching.
    """
    opts = operating_model_options(post, CULL_2025, offtake=None, om_draws=None)
    om = OperatingModel.from_posterior(post, seed=4, export_effects=effects, **opts)
    res = solve_programme(post, CULL_2025, None, seed=4, om_draws=None, export_effects=effects)
    quota = solve_quota(om, res.solution.criteria)
    xr.testing.assert_equal(res.plannable.rename(None), quota.level.rename(None).drop_attrs())
    assert (res.plannable > 0).all()
    np.testing.assert_allclose(
        res.limit.values, quota.level.values * (1 + om.wounding) + res.poaching.values
    )
    assert (res.limit > res.plannable).all()  # poaching and wounding are not plannable
    # the same as what the report's export question solves in the fitted world
    rec = recommend_quota(post, CULL_2025, seed=4, om_draws=None, robust=False)
    if effects is None:
        np.testing.assert_array_equal(res.plannable.values, rec.result.level.values)


def test_a_plan_with_only_adult_males_changes_nothing(post):
    """The plan's adult males are what is solved for: they do not count twice."""
    plan = _realised([("Ural", "male", "adult", 40_000.0)])
    with_males = solve_programme(post, CULL_2025, plan, seed=4, om_draws=None)
    without = solve_programme(post, CULL_2025, None, seed=4, om_draws=None)
    xr.testing.assert_equal(with_males.plannable, without.plannable)


def _female_calf_plan(females: float) -> RealisedLevel:
    return _realised(
        [
            ("Ural", "female", "adult", females),
            ("Ural", "female", "calf", females / 4),
            ("Ural", "male", "calf", females / 4),
            ("Ural", "male", "adult", 10_000.0),
        ]
    )


def test_under_the_abundance_criterion_a_larger_female_and_calf_plan_lowers_the_limit(post):
    """Monotone where abundance binds: more females and calves taken, fewer adult males."""
    criteria = [AbundanceRisk(limits={**DEFAULT_ABUNDANCE_LIMITS, "Ural": 1.6e6})]
    plannable, limit = [], []
    for females in (0.0, 20_000.0, 60_000.0):
        res = solve_programme(
            post, CULL_2025, _female_calf_plan(females), criteria, seed=4, om_draws=None
        )
        assert str(res.binding.sel(population="Ural").values) == "abundance"
        plannable.append(float(res.plannable.sel(population="Ural")))
        limit.append(float(res.limit.sel(population="Ural")))
        # the plan's other removals are carried as given (realised level: exactly)
        kept = res.other_removals.sel(population="Ural")
        assert float(kept.sel(sex="female", age="adult")) == pytest.approx(females)
        assert float(kept.sel(sex="male", age="adult")) == 0.0
    assert plannable[0] > plannable[1] > plannable[2]  # strictly: the plan bites
    assert limit[0] > limit[1] > limit[2]


def test_under_the_ratio_criteria_female_culls_raise_the_male_limit(post):
    """NOT monotone under the default criteria, and why (the report must say so).

    The sex-ratio and conception criteria judge breeding males per breeding female against
    no offtake; removing females raises that ratio, so it leaves room for more males to go
    before the ratio falls to 90 % of no offtake's. Where a ratio criterion binds, a larger
    female plan *raises* the adult-male limit.
    """
    small = solve_programme(post, CULL_2025, _female_calf_plan(20_000.0), seed=4, om_draws=None)
    females_only = _realised([("Ural", "female", "adult", 150_000.0)])
    large = solve_programme(post, CULL_2025, females_only, seed=4, om_draws=None)
    assert str(small.binding.sel(population="Ural").values) in ("sex_ratio", "conception")
    assert float(large.plannable.sel(population="Ural")) > float(
        small.plannable.sel(population="Ural")
    )


def test_the_comparator_has_no_culls_but_keeps_the_realised_latest_year(post):
    plan = _realised([("Ural", "female", "adult", 50_000.0), ("Ural", "male", "adult", 9_000.0)])
    models = programme_models(post, CULL_2025, plan, seed=4, om_draws=None)
    base = models.no_offtake.baseline(record="full")
    removed = base["removed"].mean("draw")
    later = removed.sel(year=slice(2026, None))
    assert float(later.sel(source=["export", "wounding", "cull"]).sum()) == 0.0
    y = removed.sel(year=2025, population="Ural", source="cull")
    assert float(y.sel(sex="male", age_class="adult")) == pytest.approx(30_000.0)
    assert float(y.sel(sex="female", age_class="adult")) == pytest.approx(20_000.0)
    assert float(removed.sel(year=2026, source="poaching").sum()) > 0  # baseline poaching kept
    assert not bool(base["exports"].any())
    # the candidate carries the plan's females, not its adult males (those are solved for)
    cand = models.candidate.project(None, record="full", exports=False)["removed"]
    cull = cand.sel(source="cull", population="Ural", year=2026).mean("draw").isel(candidate=0)
    assert float(cull.sel(sex="female", age_class="adult")) == pytest.approx(50_000.0)
    assert float(cull.sel(sex="male", age_class="adult")) == 0.0
    # same random numbers in both models
    np.testing.assert_array_equal(models.candidate.survival, models.no_offtake.survival)
    np.testing.assert_array_equal(models.candidate.obs_noise, models.no_offtake.obs_noise)


def test_plannable_part_is_limit_minus_poaching_and_wounding_by_hand():
    """One deterministic world: poaching = rate × adult males at each quota-year census."""
    post = synthetic_posterior(chains=1, draws=8, seed=2, uncertainty=0.0)
    det = {"process_noise": False, "catastrophes": False, "implementation_error": False}
    res = solve_programme(
        post, CULL_2025, None, seed=1, om_draws=None, export_effects=NO_EXPORT_EFFECTS, **det
    )
    models = programme_models(
        post, CULL_2025, None, seed=1, om_draws=None, export_effects=NO_EXPORT_EFFECTS, **det
    )
    rates = post["posterior"]["poaching_rate"].sel(sex="male")
    for j, pop in enumerate(res.limit["population"].values):
        take = float(res.plannable.sel(population=pop))
        # plain loop: the candidate at the solved level, census by census
        males = []
        levels = np.zeros((1, 3))
        levels[0, j] = take
        proj = models.candidate.project(ConstantHarvest(), levels, record="summary")
        for year in QUOTA_YEARS:
            males.append(float(proj["adult_males"].sel(year=year, population=pop).mean()))
        rate = float(rates.sel(population=pop).mean())
        poaching = rate * sum(males) / len(males)
        wounding = 0.10 * take
        assert float(res.poaching.sel(population=pop)) == pytest.approx(poaching, rel=1e-9)
        assert float(res.wounding.sel(population=pop)) == pytest.approx(wounding, rel=1e-12)
        assert float(res.limit.sel(population=pop)) == pytest.approx(
            take + wounding + poaching, rel=1e-12
        )
        # the projection agrees: in a world without die-offs, poaching is rate × census males
        assert float(res.simulated["poaching"].sel(population=pop)) == pytest.approx(
            poaching, rel=1e-9
        )
        assert float(res.simulated["wounding"].sel(population=pop)) == pytest.approx(wounding)


def test_national_sum_and_table_and_round_trip(post, tmp_path):
    plan = _realised([("Ural", "female", "adult", 20_000.0)])
    res = solve_programme(post, CULL_2025, plan, seed=4, om_draws=None)
    table = res.table()
    for name in ("limit", "plannable", "poaching", "wounding"):
        per_pop = [float(getattr(res, name).sel(population=p)) for p in res.limit["population"]]
        assert res.national()[name] == pytest.approx(sum(per_pop))
        assert table.loc["national", name] == pytest.approx(sum(per_pop))
    assert "no offtake" in str(res.comparator)
    back = from_node(to_node(res))
    assert isinstance(back, ProgrammeResult)
    xr.testing.assert_identical(back.limit, res.limit)
    assert str(back.reason.values[0]) == str(res.reason.values[0])
    assert back.settings["formula"] == res.settings["formula"]
