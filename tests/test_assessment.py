"""The Assessment: lazy recorded steps, one frozen config, save/load of every result."""

import json
import subprocess
import sys
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import saigapop as sp
from saigapop.assessment import Assessment, AssessmentConfig
from saigapop.exceptions import ConfigError
from saigapop.io import read_offtake
from saigapop.persist import from_node, to_node
from saigapop.testing import synthetic_posterior

STEPS = ("fit", "recommend", "quota")


@pytest.fixture(scope="module")
def data():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sp.load_kazakhstan()


@pytest.fixture
def assessment(data):
    post = synthetic_posterior(
        {"Betpakdala": 1.6e6, "Ural": 2.3e6, "Ustyurt": 7.8e4}, chains=2, draws=30, seed=3
    )
    config = AssessmentConfig(seed=3, om_draws=40)
    return Assessment.from_fit(data, post, config, progress=False)


def test_config_is_frozen_validated_and_round_trips_through_json():
    cfg = AssessmentConfig(seed=5, chains=2, draws=100, limits={"Kalmykia": 3000})
    assert AssessmentConfig.from_json(cfg.to_json()) == cfg
    assert cfg.all_limits["Kalmykia"] == 3000.0
    assert cfg.sampler_config.random_seed == 5  # one master seed
    with pytest.raises(AttributeError):
        cfg.seed = 1  # type: ignore[misc]
    for bad in ({"om_draws": 0}, {"mse_replicates": 3}, {"seed": -1}, {"limits": {"Ural": -5}}):
        with pytest.raises(ConfigError):
            AssessmentConfig(**bad)


def test_a_population_without_a_limit_is_refused_before_anything_runs(data):
    renamed = data.census.assign(
        population=data.census["population"].replace({"Ustyurt": "Kalmykia"})
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        other = sp.SaigaData.from_frames(renamed, populations=["Kalmykia"])
    with pytest.raises(ConfigError, match="Kalmykia"):
        Assessment(other)
    assert Assessment(other, AssessmentConfig(limits={"Kalmykia": 3000})).computed == ()


def test_steps_are_lazy_cached_and_recorded(assessment):
    seen = []
    assessment.on_step = seen.append
    assert assessment.computed == ("fit",)  # given, not sampled
    rec = assessment.recommend()
    assert assessment.recommend() is rec  # cached: not solved twice
    assert seen.count("Solving the quota in the fitted world and in every reference trial") == 1
    quota = assessment.quota()
    assert quota.result is rec.result
    log = assessment.log
    # the quota carries the whole programme's answer, solved as a step of its own
    assert list(log["step"]) == [
        "fit",
        "diagnostics",
        "recommend",
        "programme",
        "precautions",
        "quota",
    ]
    assert (log["seed"] == 3).all()
    assert json.loads(log.set_index("step").loc["recommend", "settings"])["om_draws"] == 40
    assert "recommended quota" in assessment._repr_html_()
    assert "Ural" in repr(assessment)


def test_same_config_and_seed_give_identical_quotas(assessment, data):
    again = Assessment.from_fit(data, assessment.fit(), assessment.config, progress=False)
    xr.testing.assert_identical(assessment.recommend().result.level, again.recommend().result.level)


def test_save_and_load_round_trip_every_result_and_the_report(assessment, tmp_path):
    first = assessment.report(tmp_path / "a", formats=["bundle"], steps=STEPS, date="2026-01-02")
    path = assessment.save(tmp_path / "a.zarr")
    loaded = Assessment.load(path, progress=False)
    assert loaded.computed == assessment.computed
    assert loaded.config == assessment.config
    assert loaded.data.data_hash == assessment.data.data_hash
    xr.testing.assert_identical(
        loaded.recommend().result.level, assessment.recommend().result.level
    )
    xr.testing.assert_identical(loaded.fit()["posterior"], assessment.fit()["posterior"])
    second = loaded.report(tmp_path / "b", formats=["bundle"], steps=STEPS, date="2026-01-02")
    tables_a = sorted((first["bundle"] / "tables").glob("*.csv"))
    assert len(tables_a) > 10
    for table in tables_a:
        other = second["bundle"] / "tables" / table.name
        assert table.read_bytes() == other.read_bytes(), table.name


def test_a_fit_of_other_data_is_refused(assessment, data):
    post = assessment.fit().copy()
    post.attrs["data_hash"] = "0" * 64
    with pytest.raises(ConfigError, match="other data"):
        Assessment.from_fit(data, post)


def test_unknown_report_steps_are_refused(assessment, tmp_path):
    with pytest.raises(ConfigError, match="unknown steps"):
        assessment.report(tmp_path, steps=["fit", "magic"])


@dataclass(frozen=True)
class _Inner:
    table: pd.DataFrame
    labels: xr.DataArray


@dataclass(frozen=True)
class _Outer:
    level: float
    name: str
    inner: _Inner
    parts: tuple
    arrays: dict
    skipped: object = field(default=None, metadata={"persist": False})


def test_persist_round_trips_nested_results():
    labels = xr.DataArray(np.array(["a", None, "c"], dtype=object), dims="x", name="labels")
    table = pd.DataFrame({"n": [1, 2], "p": ["Ural", "Ustyurt"]}, index=pd.Index([5, 6], name="i"))
    obj = _Outer(
        1.5,
        "q",
        _Inner(table, labels),
        (1, "two", xr.Dataset({"v": ("y", [1.0, 2.0])})),
        {"m": np.arange(4).reshape(2, 2)},
        skipped=object(),
    )
    back = from_node(to_node(obj))
    assert (back.level, back.name, back.skipped) == (1.5, "q", None)
    pd.testing.assert_frame_equal(back.inner.table, table)
    values = back.inner.labels.values
    assert (values[0], values[2]) == ("a", "c")
    assert pd.isna(values[1])  # missing stays missing
    assert back.parts[:2] == (1, "two")
    xr.testing.assert_identical(back.parts[2], obj.parts[2])
    np.testing.assert_array_equal(back.arrays["m"], obj.arrays["m"])


def test_persist_names_what_it_cannot_store():
    with pytest.raises(TypeError, match=r"inner\.table"):
        to_node(_Outer(1.0, "q", _Inner(object(), None), (), {}))


def test_import_saigapop_does_not_load_the_sampler_but_exposes_the_assessment():
    code = (
        "import sys, saigapop as sp; assert 'pymc' not in sys.modules; "
        "assert sp.Assessment.__name__ == 'Assessment'; assert 'pymc' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


class _WithOfftake:
    """The data with an offtake plan (``SaigaData.offtake``, issue 15 item 1)."""

    def __init__(self, data, plan):
        self._data = data
        self.offtake = plan

    def __getattr__(self, name):
        return getattr(self._data, name)


def _plan(tmp_path):
    """A two-scenario plan: 1,000 (``default``) or 2,000 (``double``) Ural adult males a year."""
    rows = [
        f"Ural,{y},{name},announced_plan,removal,male,adult,{n},src"
        for name, n in (("default", 1000), ("double", 2000))
        for y in (2026, 2027, 2028)
    ]
    path = tmp_path / "offtake_plan.csv"
    path.write_text(
        "population,year,scenario,basis,timing,sex,age,value,source\n" + "\n".join(rows) + "\n"
    )
    return read_offtake(path)


def test_the_offtake_scenario_reaches_both_arms_and_round_trips(assessment, data, tmp_path):
    plan = _plan(tmp_path)
    assessment.data = _WithOfftake(data, plan)
    assert assessment.offtake_plan().scenarios == ("default",)  # None: the default scenario
    rec = assessment.recommend()
    culls = rec.om_options["planned_culls"].removals
    assert float(culls.sel(year=2026, population="Ural", sex="male", age="adult")) == 1000.0
    assert float(culls.sum()) == 1000.0 * 3
    # the operating model (and so the no-export arm) carries the plan
    assert rec.om.planned_culls.sum() == 3000.0
    assert rec.om.baseline(record="full")["removed"].sel(source="cull", year=2026).sum() > 0
    built = assessment.operating_model()  # the same builder, without solving
    np.testing.assert_array_equal(built.culls, rec.om.culls)
    np.testing.assert_array_equal(built.poaching, rec.om.poaching)
    node = from_node(to_node(rec.om_options))
    xr.testing.assert_identical(node["planned_culls"].removals, culls)
    log = json.loads(assessment.log.set_index("step").loc["recommend", "settings"])
    assert log["offtake_scenario"] is None

    other = Assessment.from_fit(
        data, assessment.fit(), assessment.config.replace(offtake_scenario="double"), progress=False
    )
    other.data = _WithOfftake(data, plan)
    assert float(other.offtake_plan().numbers(["Ural"], [2026]).sum()) == 2000.0
    none = assessment.config.replace(offtake_scenario="none")
    zero = Assessment.from_fit(data, assessment.fit(), none, progress=False)
    zero.data = _WithOfftake(data, plan)
    assert float(zero.offtake_plan().numbers(["Ural"], [2026]).sum()) == 0.0
    assert AssessmentConfig.from_json(none.to_json()) == none
    with pytest.raises(ConfigError, match="offtake_scenario"):
        AssessmentConfig(offtake_scenario="")
    missing = Assessment.from_fit(
        data, assessment.fit(), assessment.config.replace(offtake_scenario="x"), progress=False
    )
    missing.data = _WithOfftake(data, plan)
    with pytest.raises(ValueError, match="scenarios are 'default', 'double'"):
        missing.offtake_plan()


def test_the_bundled_default_culls_are_realised_levels_in_both_arms(assessment, data):
    """The bundled default scenario repeats the 2025 cull, exactly (no implementation error)."""
    plan = assessment.offtake_plan()
    assert plan.scenarios == ("default",)
    rec = assessment.recommend()
    realised = rec.om_options["realised_removals"]
    assert realised["year"].values.tolist()[:4] == [2025, 2026, 2027, 2028]
    ural = realised.sel(population="Ural").sum(("sex", "age"))
    assert float(ural.sel(year=2026)) == pytest.approx(108_500.0)
    assert float(ural.sel(year=2028)) == pytest.approx(108_500.0)
    assert float(rec.om_options["planned_culls"].removals.sum()) == 0.0  # nothing announced
    base = rec.om.baseline(record="full")["removed"].sel(source="cull", population="Ural")
    assert float(base.sel(year=2027).mean("draw").sum()) == pytest.approx(108_500.0, rel=1e-6)


def test_without_an_offtake_plan_only_the_realised_culls_are_applied(assessment, data):
    assessment.data = _WithOfftake(data, None)
    assert assessment.offtake_plan() is None
    rec = assessment.recommend()
    assert "planned_culls" not in rec.om_options
    assert int(rec.om_options["realised_removals"]["year"].item()) == rec.latest_year


def test_the_programme_step_is_recorded_and_round_trips(assessment, tmp_path):
    """The whole programme: lazy, recorded, saved and loaded without recomputing."""
    prog = assessment.programme()
    assert assessment.programme() is prog
    assert "programme" in assessment.computed
    settings = json.loads(assessment.log.set_index("step").loc["programme", "settings"])
    assert settings["om_draws"] == 40
    # same seed and draws as the export question; the plan's culls are the bundled default
    assert prog.settings["seed"] == assessment.config.seed
    assert prog.settings["n_draws"] == 40
    np.testing.assert_allclose(
        prog.limit.values, (prog.plannable + prog.wounding + prog.poaching).values
    )
    loaded = Assessment.load(assessment.save(tmp_path / "p.zarr"), progress=False)
    assert "programme" in loaded.computed
    back = loaded.programme()
    xr.testing.assert_identical(back.limit, prog.limit)
    xr.testing.assert_identical(back.other_removals, prog.other_removals)
    assert str(back.comparator) == str(prog.comparator)
    assert back.table().equals(prog.table())


def test_the_poaching_scenario_reaches_every_arm_and_round_trips(assessment, data):
    """A future poaching scenario is an input like the culls: both arms, programme, trials."""
    base = assessment.operating_model()
    cfg = assessment.config.replace(poaching_multiplier=2.5)
    assert AssessmentConfig.from_json(cfg.to_json()) == cfg
    other = Assessment.from_fit(data, assessment.fit(), cfg, progress=False)
    built = other.operating_model()
    np.testing.assert_allclose(built.poaching, np.clip(2.5 * base.poaching, 0.0, 1.0))
    rec = other.recommend()
    assert rec.om_options["poaching_multiplier"] == 2.5  # shared by the trials and the MSE
    np.testing.assert_array_equal(rec.om.poaching, built.poaching)
    log = json.loads(other.log.set_index("step").loc["recommend", "settings"])
    assert log["poaching_multiplier"] == 2.5
    assert assessment.config.om_overrides == {}  # the fitted rate by default
    for bad in (-1.0, float("nan"), True):
        with pytest.raises(ConfigError, match="poaching_multiplier"):
            AssessmentConfig(poaching_multiplier=bad)


def test_quota_and_programme_from_an_unconverged_fit_warn(assessment):
    """Diagnostics gate decisions: both answers from a failed fit carry a loud warning."""
    from saigapop.management.convergence import ConvergenceWarning

    class Failed:
        passed = False

        def summary(self):
            return "max R-hat 1.2"

    assessment._results["diagnostics"] = Failed()
    for step, what in (("recommend", "the quota"), ("programme", "the whole programme")):
        with pytest.warns(ConvergenceWarning, match=f"{what}.*NOT supported.*R-hat 1.2"):
            getattr(assessment, step)()
