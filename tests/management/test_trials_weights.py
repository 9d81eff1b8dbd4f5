"""Trial plausibility weights, the robustness pass rule, own and equal-weight quotas, and
the two trials of export-driven cull behaviour (issue 16 item 4, issue 15 item 3b/c)."""

from __future__ import annotations

import dataclasses
import json
import warnings

import numpy as np
import pytest

from saigapop.assessment import AssessmentConfig
from saigapop.exceptions import ConfigError
from saigapop.management import OperatingModel, risk_curve, solve_quota
from saigapop.management.arms import ExportEffects, shift_culls
from saigapop.management.criteria import (
    AbundanceRisk,
    ConceptionRisk,
    SexRatioRisk,
    default_criteria,
)
from saigapop.management.harvest import ConstantHarvest, HarvestSchedule
from saigapop.management.robust import equal_weight_quota, solve_across_trials
from saigapop.management.trial_grid import (
    DEFAULT_TRIALS,
    EXPORT_IMPLEMENTATION,
    EXPORT_MALE_SELECTIVITY,
    KIND_OF_PLAUSIBILITY,
    ROBUSTNESS_LIMIT_FACTOR,
    Trial,
    build_trial_model,
    loosen,
    plausibility_weights,
    weighted_trials,
)
from saigapop.management.trials import run_trials, trial_table
from saigapop.testing import synthetic_posterior

pytestmark = pytest.mark.filterwarnings(
    "ignore::saigapop.management.operating_model.ConvergenceWarning"
)
GET = {t.name: t for t in DEFAULT_TRIALS}
RESEARCH = ("saiga_biology.md", "saiga_removals.csv", "saiga_census.csv")
DET = {
    "process_noise": False,
    "catastrophes": False,
    "poaching": False,
    "implementation_error": False,
    "trade_effect": False,
}


@pytest.fixture(scope="module")
def post():
    return synthetic_posterior(chains=2, draws=100, seed=5, adult_male_share=0.2)


def _plan(per_sex: float, ustyurt_share: float = 0.05) -> HarvestSchedule:
    """Planned adult culls, ``per_sex`` males and as many females a year, 2026–2028."""
    sizes = (("Betpakdala", 1.0), ("Ural", 1.0), ("Ustyurt", ustyurt_share))
    return HarvestSchedule.from_records(
        [
            (pop, year, sex, "adult", per_sex * f)
            for pop, f in sizes
            for year in (2026, 2027, 2028)
            for sex in ("male", "female")
        ]
    )


# ------------------------------------------------------------------ weights as data
def test_every_default_trial_is_rated_from_stated_evidence():
    for t in DEFAULT_TRIALS:
        assert t.plausibility in ("high", "medium", "low"), t.name
        assert t.kind == KIND_OF_PLAUSIBILITY[t.plausibility], t.name
        # a sentence with its source in /work/shared/research, or what is missing
        assert any(f in t.evidence for f in RESEARCH) or "no source" in t.evidence, t.name
    weights = plausibility_weights()
    assert list(weights) == [t.name for t in DEFAULT_TRIALS]
    # density at the current abundance is contradicted by the 2024→2025 growth
    dd = GET["density_at_current"]
    assert (dd.plausibility, dd.kind) == ("low", "robustness")
    assert "42 %" in dd.evidence
    assert "196,000" in dd.evidence
    # the two cull-behaviour trials, their factors and that their size has no source
    sel, imp = GET["export_male_selective_culls"], GET["export_raises_implementation"]
    assert sel.options["export_effects"] == ExportEffects(cull_male_selectivity=1.3)
    assert imp.options["export_effects"] == ExportEffects(cull_implementation=2.0)
    # 1.3: the odds ratio of the 2025 realised (~47 %) to the planned (40 %) male share
    assert EXPORT_MALE_SELECTIVITY == round((0.467 / 0.533) / (0.40 / 0.60), 1) == 1.3
    assert EXPORT_IMPLEMENTATION == 2.0
    assert (sel.plausibility, imp.plausibility) == ("medium", "low")
    assert "no source" in sel.evidence
    assert "no source" in imp.evidence
    assert "Ural 2025" in sel.evidence


def test_kind_follows_plausibility_and_old_style_trials_still_work():
    assert Trial("a", plausibility="high", evidence="e").kind == "reference"
    assert Trial("a", plausibility="medium", evidence="e").kind == "reference"
    assert Trial("a", plausibility="low", evidence="e").kind == "robustness"
    assert Trial("a", "robustness", plausibility="low", evidence="e").kind == "robustness"
    with pytest.raises(ConfigError, match="contradicts plausibility 'medium'"):
        Trial("a", "robustness", plausibility="medium", evidence="e")
    with pytest.raises(ConfigError, match="needs its evidence"):
        Trial("a", plausibility="high")
    with pytest.raises(ConfigError, match="plausibility must be"):
        Trial("a", plausibility="certain", evidence="e")  # type: ignore[arg-type]
    # user code written before weights: an explicit kind is kept, not rated
    old = Trial("old", "reference", "catchability 0.8", "why")
    assert (old.kind, old.plausibility) == ("reference", None)
    assert Trial("older").kind == "robustness"
    # re-rating moves the set; the evidence is kept unless replaced
    up = GET["density_at_current"].with_plausibility("medium")
    assert (up.kind, up.evidence) == ("reference", GET["density_at_current"].evidence)


def test_weights_are_recorded_in_the_config_and_round_trip():
    cfg = AssessmentConfig(trial_weights={"density_at_current": "medium", "base": "high"})
    assert cfg.trial_weights == (("base", "high"), ("density_at_current", "medium"))
    back = AssessmentConfig.from_json(cfg.to_json())
    assert back == cfg
    assert json.loads(cfg.to_json())["trial_weights"] == {
        "density_at_current": "medium",
        "base": "high",
    }
    kinds = {t.name: t.kind for t in cfg.trials}
    assert kinds["density_at_current"] == "reference"
    assert (
        "re-rated medium" in next(t for t in cfg.trials if t.name == "density_at_current").evidence
    )
    # the default config applies the grid's own weights
    assert [t.kind for t in AssessmentConfig().trials] == [t.kind for t in DEFAULT_TRIALS]
    # an old config without the field still loads
    raw = json.loads(AssessmentConfig().to_json())
    raw.pop("trial_weights")
    assert AssessmentConfig.from_json(json.dumps(raw)).trial_weights == ()
    with pytest.raises(ConfigError, match="unknown trials"):
        AssessmentConfig(trial_weights={"nope": "low"})
    with pytest.raises(ConfigError, match="plausibility must be"):
        weighted_trials({"base": "huge"})


# ------------------------------------------------------------------ pass rules
def test_loosen_doubles_every_allowed_probability():
    crit = default_criteria({"Betpakdala": 1.0, "Ural": 1.0, "Ustyurt": 1.0})
    loose = [loosen(c, 2.0) for c in crit]
    assert [c.limit for c in crit] == [0.01, 0.05, pytest.approx(0.05)]
    assert [c.limit for c in loose] == [0.02, 0.1, pytest.approx(0.1)]
    # what a criterion measures is unchanged: only its allowed probability
    assert loose[1].min_relative == crit[1].min_relative
    assert loose[1].floor == crit[1].floor
    assert loose[2].max_loss == crit[2].max_loss
    assert loosen(SexRatioRisk(max_risk=0.7), 2.0).limit == 1.0  # capped
    assert loosen(AbundanceRisk(max_added_risk=0.01), 1.0) == AbundanceRisk(max_added_risk=0.01)
    assert loosen(ConceptionRisk(probability=0.9), 3.0).limit == pytest.approx(0.3)
    with pytest.raises(ConfigError):
        loosen(SexRatioRisk(), 0.0)


def test_robustness_trials_are_judged_by_performance_at_looser_limits(post):
    """The same world rated high and low: same statistics, limits × 2, and a low trial that
    passes on collapse can still fail on the sex ratio (the old rule passed it)."""
    world = {"stress": {"mass_mortality": 0.8}, "evidence": "test"}
    hi = Trial("ppr_high", plausibility="high", **world)
    lo = Trial("ppr_low", plausibility="low", **world)
    om = OperatingModel.from_posterior(post, seed=3)
    level = 0.1 * np.median(om.n0[..., 1, 1], axis=0)  # 10 % of adult males a year
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = run_trials(post, level, trials=[hi, lo], seed=3, progress=False)
    a, b = out.sel(trial="ppr_high"), out.sel(trial="ppr_low")
    np.testing.assert_array_equal(a["decision_risk"].values, b["decision_risk"].values)
    for c in ("abundance", "sex_ratio", "conception"):
        ref = float(a["limit"].sel(criterion=c))
        assert float(b["limit"].sel(criterion=c)) == pytest.approx(ROBUSTNESS_LIMIT_FACTOR * ref)
    assert float(a["limit"].sel(criterion="collapse")) == float(
        b["limit"].sel(criterion="collapse")
    )
    # pass = every criterion within the trial's limits, in both sets
    np.testing.assert_array_equal(
        out["passes"].values, (out["decision_risk"] <= out["limit"]).values
    )
    np.testing.assert_array_equal(out["trial_passes"].values, out["passes"].all("criterion").values)
    sr = b["decision_risk"].sel(criterion="sex_ratio").values
    collapse_ok = b["passes"].sel(criterion="collapse").values
    failing = (sr > 2 * 0.05) & collapse_ok  # the case the collapse-only rule let through
    assert failing.any()
    assert not b["trial_passes"].values[failing].any()
    # the trial table shows each statistic, the trial's limit and pass/fail
    table = trial_table(out)
    for c in ("sex_ratio", "conception", "collapse"):
        assert {f"{c} risk", f"{c} limit", f"{c} passes"} <= set(table.columns)
    assert table.loc[("ppr_low", "Ural"), "sex_ratio limit"] == pytest.approx(0.1)
    assert table.loc[("ppr_low", "Ural"), "plausibility"] == "low"


# ------------------------------------------------------------------ own and equal-weight quotas
def test_each_trial_is_solved_and_the_quota_is_the_smallest_reference_one(post):
    trials = [
        GET["base"],
        GET["no_density_dependence"],
        GET["emigration"].with_plausibility("medium", "test"),
        GET["ppr_event"],  # low: solved under its own (looser) rule, never sets the quota
    ]
    out = solve_across_trials(post, trials=trials, seed=2, progress=False)
    assert out["kind"].values.tolist() == ["reference"] * 3 + ["robustness"]
    assert out["plausibility"].values.tolist() == ["high", "high", "medium", "low"]
    ref = out["level"].isel(trial=slice(0, 3))
    np.testing.assert_array_equal(out["quota"].values, ref.min("trial").values)
    assert set(out["binding_trial"].values) <= {"base", "no_density_dependence", "emigration"}
    assert out.attrs["equal_weight_trials"] == ["base", "no_density_dependence", "emigration"]
    # the robustness trial's own quota is the solver's answer under the loosened rule
    om = build_trial_model(post, GET["ppr_event"], seed=2)
    loose = tuple(loosen(c, ROBUSTNESS_LIMIT_FACTOR) for c in default_criteria())
    alone = solve_quota(om, loose, p_star=0.2, progress=False)
    np.testing.assert_array_equal(out["level"].sel(trial="ppr_event").values, alone.level.values)
    # the equal-weight quota lies at or above the smallest reference quota
    assert np.all(out["equal_weight_quota"].values >= out["quota"].values)


def test_equal_weight_quota_is_the_solver_on_the_pooled_draws(post):
    """Plain reference: average each trial's decision risks at a level (a mean over draws,
    so the pooled draws' risk), then check every criterion and P* at the answer and 1 %
    above it."""
    oms = [
        build_trial_model(post, GET[name], seed=4)
        for name in ("base", "no_density_dependence", "emigration")
    ]
    crit = default_criteria()
    q = equal_weight_quota([(om, None) for om in oms], crit)

    def pooled_pass(level):
        risks = [
            risk_curve(om, level[None, :], crit, progress=False)["decision_risk"]
            .isel(candidate=0)
            .transpose("criterion", "population")
            for om in oms
        ]
        mean = np.mean([r.values for r in risks], axis=0)
        limits = np.array([c.limit for c in crit] + [0.1])  # the criteria, then P*
        return (mean <= limits[:, None]).all(axis=0)

    assert pooled_pass(q).all()
    above = np.maximum(np.ceil(q * 1.01), q + 2)
    assert not pooled_pass(above).any()
    # one world pooled with itself is that world's own quota
    own = solve_quota(oms[0], crit, progress=False).level.values
    twice = equal_weight_quota([(oms[0], None), (oms[0], None)], crit)
    np.testing.assert_allclose(twice, own, rtol=0.01, atol=2)


# ------------------------------------------------------------------ cull-behaviour trials
def test_cull_behaviour_trials_reach_the_operating_model(post):
    plan = _plan(10_000.0)
    base = build_trial_model(post, GET["base"], seed=1, planned_culls=plan)
    sel = build_trial_model(post, GET["export_male_selective_culls"], seed=1, planned_culls=plan)
    imp = build_trial_model(post, GET["export_raises_implementation"], seed=1, planned_culls=plan)
    assert base.culls_export is None
    np.testing.assert_array_equal(sel.culls, base.culls)  # the no-export arm is unchanged
    open_ = np.isin(sel.model_years, sel.quota_years)
    t = np.flatnonzero(open_)[0]
    tot = base.culls[:, :, t].sum(axis=(0, 1))
    # totals kept, males share up (× 1.3 per capita, renormalised), closed years unchanged
    np.testing.assert_allclose(sel.culls_export[:, :, t].sum(axis=(0, 1)), tot)
    m, f = base.culls[1, :, t].sum(0), base.culls[0, :, t].sum(0)
    ok = (m + f) > 0
    k = EXPORT_MALE_SELECTIVITY
    expect = k * m / (k * m + f)
    got = sel.culls_export[1, :, t].sum(0)
    np.testing.assert_allclose(got[ok] / tot[ok], expect[ok])
    np.testing.assert_array_equal(sel.culls_export[:, :, ~open_], base.culls[:, :, ~open_])
    np.testing.assert_allclose(imp.culls_export[:, :, t], 2.0 * base.culls[:, :, t])
    # realised-level culls (the bundled default scenario) are shifted too
    realised = HarvestSchedule.from_records([("Ural", 2026, "male", "adult", 1000.0)])
    rr = realised.removals.transpose("population", "year", "sex", "age")
    world = build_trial_model(
        post, GET["export_male_selective_culls"], seed=1, realised_removals=rr
    )
    assert world.culls_export is not None
    # a shared ExportEffects is combined, factors multiplied
    shared = ExportEffects(cull_male_selectivity=1.5, trade_persists=True)
    both = build_trial_model(
        post,
        GET["export_male_selective_culls"],
        seed=1,
        planned_culls=plan,
        export_effects=shared,
    )
    open_all = np.isin(both.model_years, both.model_years[both.model_years >= 2026])
    np.testing.assert_allclose(
        both.culls_export,
        shift_culls(base.culls, open_all, 1.5 * EXPORT_MALE_SELECTIVITY, 1.0),
        rtol=1e-12,
    )


def test_shift_culls_by_hand():
    c = np.zeros((2, 3, 2, 1, 1))
    c[0, 2, :] = 60.0  # adult females
    c[1, 2, :] = 20.0  # adult males
    c[0, 0, :] = 20.0  # female calves
    out = shift_culls(c, np.array([True, False]), 2.0, 1.5)
    # per-capita weights: females 60 + 20, males 2 × 20 = 40; total 100 × 1.5 = 150
    np.testing.assert_allclose(out[1, 2, 0, 0, 0], 40 / 120 * 150)
    np.testing.assert_allclose(out[0, 2, 0, 0, 0], 60 / 120 * 150)
    np.testing.assert_allclose(out[0, 0, 0, 0, 0], 20 / 120 * 150)
    np.testing.assert_array_equal(out[:, :, 1], c[:, :, 1])


def test_selective_culls_raise_sex_ratio_and_conception_risks(post):
    """At a fixed quota with heavy planned culls: the male-selective trial raises the
    sex-ratio failure risk in every population and the conception failure risk somewhere
    (never lowers it)."""
    trials = [GET["base"], GET["export_male_selective_culls"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = run_trials(
            post,
            [1000.0, 1000.0, 50.0],
            trials=trials,
            progress=False,
            planned_culls=_plan(120_000.0),
            seed=3,
        )
    base, sel = out.sel(trial="base"), out.sel(trial="export_male_selective_culls")
    sr = ("decision_risk", "sex_ratio")
    assert np.all(sel[sr[0]].sel(criterion=sr[1]) > base[sr[0]].sel(criterion=sr[1]))
    cb = base["decision_risk"].sel(criterion="conception").values
    cs = sel["decision_risk"].sel(criterion="conception").values
    assert np.all(cs >= cb)
    assert np.any(cs > cb)
    assert np.all(sel["sex_ratio"] < base["sex_ratio"])
    # fewer females culled: more animals at the end, so no higher abundance risk
    assert np.all(sel["abundance_end"] > base["abundance_end"])
    assert np.all(
        sel["decision_risk"].sel(criterion="abundance")
        <= base["decision_risk"].sel(criterion="abundance")
    )


def test_sign_of_the_selectivity_effect_on_abundance_deterministic():
    """One draw, no noise: 5,000 adult males and 5,000 adult females planned a year in a
    population of 100,000, export 500 males. Doubling male selectivity moves ~1,667 culls a
    year from females to males, so more calves are born: the exporting arm ends *larger* —
    the selectivity trial lowers the abundance risk (sign −) while it lowers the sex ratio
    and conception."""
    post1 = synthetic_posterior(
        {"A": 100_000.0}, chains=1, draws=1, uncertainty=0.0, adult_male_share=0.2
    )
    plan = HarvestSchedule.from_records(
        [("A", y, s, "adult", 5000.0) for y in (2026, 2027, 2028) for s in ("male", "female")]
    )
    end = {}
    for name in ("base", "export_male_selective_culls"):
        om = build_trial_model(post1, GET[name], seed=1, planned_culls=plan, **DET)
        p = om.project(ConstantHarvest(), np.array([[500.0]]), record="summary")
        end[name] = (
            float(p["total"].isel(candidate=0, year=-1).values.ravel()[0]),
            float(p["ratio"].isel(candidate=0).sel(year=2028).values.ravel()[0]),
            float(p["conception"].isel(candidate=0).sel(year=2028).values.ravel()[0]),
        )
    (n0, r0, c0), (n1, r1, c1) = end["base"], end["export_male_selective_culls"]
    assert np.sign(n1 - n0) == 1  # abundance up → abundance risk effect −
    assert r1 < r0
    assert c1 < c0
    assert dataclasses.is_dataclass(GET["export_male_selective_culls"])


def test_trade_poaching_persists_keeps_trade_poaching_to_the_end(post):
    """The persistence trial: trade-linked poaching in every year after the first quota year."""
    trial = GET["trade_poaching_persists"]
    assert trial.kind == "reference"
    assert "Hsiang" in trial.evidence
    assert "disputed" in trial.evidence
    base = build_trial_model(post, GET["base"], seed=1)
    om = build_trial_model(post, trial, seed=1)
    first = base.quota_years[0]
    after = [int(y) for y in base.model_years if y > max(base.quota_years)]
    assert after  # the horizon runs beyond the quota years
    assert om.trade_years == tuple(range(first, int(base.model_years[-1]) + 1))
    assert base.trade_years == tuple(base.quota_years)
    # combined with a shared ExportEffects, persistence is kept
    both = build_trial_model(
        post, trial, seed=1, export_effects=ExportEffects(cull_male_selectivity=1.5)
    )
    assert both.trade_years == om.trade_years
