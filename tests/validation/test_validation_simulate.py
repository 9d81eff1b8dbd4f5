from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from saigapop.demography import VitalRates, project
from saigapop.model import config, inputs
from saigapop.model import priors as model_priors
from saigapop.validation import ObservationDesign, TrueParameters, parameters_from_priors, simulate

YEARS = np.arange(2003, 2013)


def _cull(values, pops=("Ural",), years=YEARS):
    arr = np.broadcast_to(np.asarray(values, float), (len(pops), len(years)))
    return xr.DataArray(
        arr, dims=("population", "year"), coords={"population": list(pops), "year": years}
    )


def test_without_noise_truth_equals_demography_project():
    p = TrueParameters(process_noise_sd=0.0)
    sim = simulate(p, seed=0)
    n0 = p.initial_abundance[0]
    y0, m0 = p.initial_yearling_share, p.initial_male_share
    state = np.array(
        [[0.5 * y0 * n0, (1 - y0) * (1 - m0) * n0], [0.5 * y0 * n0, (1 - y0) * m0 * n0]]
    )
    conc = 1 - np.exp(-p.harem_size * state[1, 1] / state[0].sum())
    rates = VitalRates.kuhl_2009(survival=p.survival[0], harem_size=p.harem_size)
    ref = project(state, conc, rates, len(YEARS) - 1).census  # (year, sex, census age)
    got = sim.truth["N"].sel(population="Ural", age=["yearling", "adult"]).values
    np.testing.assert_allclose(got, ref, rtol=1e-12)
    assert np.isnan(sim.truth["N"].sel(age="calf")).all()


def test_process_noise_multiplies_the_next_census():
    p = TrueParameters(process_noise_sd=0.3)
    sim = simulate(p, seed=4)
    rates = p.rates()
    n = sim.truth["N"].sel(age=["yearling", "adult"]).values[0]  # (year, 2, 2)
    conc = sim.truth["conception"].values[0]
    eps = sim.truth["process_effect"].values[0]
    for t in range(1, len(YEARS) - 1):
        nxt = project(n[t], conc[t - 1], _one(rates), 1).census[-1]
        np.testing.assert_allclose(n[t + 1], nxt * np.exp(eps[t]), rtol=1e-10)


def _one(rates):
    return VitalRates.kuhl_2009(survival=rates.survival[0], harem_size=rates.harem_size)


def test_counts_are_lognormal_around_q_times_n():
    pops = tuple(f"P{i}" for i in range(40))
    p = TrueParameters(populations=pops, obs_cv=0.25, catchability_base=0.8, end_year=2032)
    sim = simulate(p, seed=11)
    c = sim.data.census
    median = sim.truth["count_median"].to_series()
    z = (
        np.log(
            c.set_index(["population", "year"])["value"]
            / median.reindex(c.set_index(["population", "year"]).index)
        )
        / 0.25
    )
    assert abs(z.mean()) < 0.05
    assert abs(z.std() - 1) < 0.05
    np.testing.assert_allclose(sim.truth["catchability_year"], 0.8)


def test_catchability_break_applies_from_its_year():
    p = TrueParameters(catchability_breaks={("Ural", 2008): 1.5})
    q = simulate(p, seed=0).truth["catchability_year"].sel(population="Ural")
    assert q.sel(year=2007) == 1.0
    assert q.sel(year=slice(2008, None)).values.tolist() == [1.5] * 5


def test_unsplit_cull_follows_selectivity_and_is_reported_as_one_row():
    p = TrueParameters(
        removals=_cull(1000.0),
        cull_male_selectivity=50.0,
        cull_calf_selectivity=1e-6,
        process_noise_sd=0.0,
    )
    sim = simulate(p, seed=1)
    removed = sim.truth["removed"].sel(population="Ural").sum("year")
    assert float(removed.sum()) == pytest.approx(10 * 1000.0)
    assert float(removed.sel(sex="male").sum()) > 0.8 * float(removed.sum())
    rows = sim.data.removals
    assert set(rows["sex"]) == {"all"}
    assert len(rows) == 10
    comp = sim.data.composition
    assert (comp["kind"] == "cull_composition").sum() == 10
    assert (comp[["males", "females", "calves"]].sum(axis=1) == 1000).all()


def test_split_cull_is_reported_per_class_and_capped():
    cull = xr.DataArray(
        np.zeros((1, len(YEARS), 2, 3)),
        dims=("population", "year", "sex", "age"),
        coords={
            "population": ["Ural"],
            "year": YEARS,
            "sex": ["female", "male"],
            "age": ["calf", "yearling", "adult"],
        },
    )
    cull.loc[dict(year=2005, sex="male", age="adult")] = 1e9  # more than exist: capped
    cull.loc[dict(year=2004, sex="female", age="calf")] = 300.0
    sim = simulate(TrueParameters(removals=cull, process_noise_sd=0.0), seed=2)
    taken = sim.truth["removed"].sel(population="Ural")
    assert float(taken.sel(year=2004, sex="female", age="calf")) == 300.0
    # asking for more adult males than exist takes them all (no error) ...
    at_calving = sim.truth["N"].sel(population="Ural", year=2005, sex="male", age="adult")
    assert float(taken.sel(year=2005, sex="male", age="adult")) == pytest.approx(float(at_calving))
    # ... so the 2005 rut fails and no calves are born in 2006
    assert float(sim.truth["conception"].sel(population="Ural", year=2005)) == 0.0
    assert float(sim.truth["births"].sel(population="Ural", year=2006)) == 0.0
    rows = sim.data.removals.set_index(["year", "sex", "age"])["value"]
    assert rows.loc[(2004, "female", "calf")] == 300.0


def test_poaching_removes_adult_males_but_is_not_reported():
    p = TrueParameters(poaching_rate_male=0.2, process_noise_sd=0.0)
    sim = simulate(p, seed=0)
    taken = sim.truth["removed"].sel(population="Ural", sex="male", age="adult")
    assert (taken > 0).all()
    assert sim.data.removals.empty


def test_mass_mortality_gives_a_toll_row():
    mort = xr.DataArray(
        np.zeros((1, len(YEARS), 2, 3)),
        dims=("population", "year", "sex", "age"),
        coords={"population": ["Ural"], "year": YEARS},
    )
    mort[0, 5, 0, :] = 0.6
    mort[0, 5, :, 0] = 0.6
    sim = simulate(TrueParameters(mass_mortality=mort), seed=0)
    rows = sim.data.removals
    assert rows["kind"].tolist() == ["mass_mortality"]
    assert rows["value"].iloc[0] == pytest.approx(
        float(sim.truth["calving_deaths"].sel(year=2008).sum()), abs=0.5
    )


def test_composition_samples_and_data_reproducibility():
    design = ObservationDesign(
        sex_ratio_years=[2005, 2010], calves_per_female_years=[2006], count_years=[2003, 2005, 2012]
    )
    a = simulate(TrueParameters(), design, seed=5)
    b = simulate(TrueParameters(), design, seed=5)
    c = simulate(TrueParameters(), design, seed=6)
    assert a.data.data_hash == b.data.data_hash != c.data.data_hash
    assert sorted(a.data.census["year"]) == [2003, 2005, 2012]
    sr = a.data.composition.query("kind == 'adult_sex_ratio'")
    assert ((sr["males"] + sr["females"]) == 500).all()
    cpf = a.data.composition.query("kind == 'calves_per_female'")
    assert len(cpf) == 1
    assert cpf["calves"].iloc[0] + cpf["females"].iloc[0] == 500


def test_invalid_parameters_fail_early():
    with pytest.raises(ValueError, match="end_year"):
        TrueParameters(start_year=2010, end_year=2010)
    with pytest.raises(ValueError, match="survival"):
        TrueParameters(survival=np.full((2, 3), 1.5))
    with pytest.raises(ValueError, match="catchability break"):
        TrueParameters(catchability_breaks={("Nowhere", 2005): 1.2})


def test_truth_names_match_the_posterior_contract():
    truth = simulate(TrueParameters(), seed=0).truth
    for name in (
        "N",
        "survival",
        "fecundity",
        "harem_size",
        "obs_cv",
        "process_noise_sd",
        "catchability_base",
        "adult_sex_ratio_rut",
        "conception",
    ):
        assert name in truth
    assert truth["survival"].dims == ("population", "sex", "age")


def test_parameters_from_priors_follow_the_prior():
    rng = np.random.default_rng(0)
    draws = [
        parameters_from_priors(model_priors.DEFAULT_PRIORS, rng=rng, populations=("A", "B"))
        for _ in range(300)
    ]
    obs_cv = np.array([d.obs_cv for d in draws])
    want = model_priors.DEFAULT_PRIORS["obs_cv"].summary()
    assert np.median(obs_cv) == pytest.approx(want["q50"], rel=0.1)
    assert draws[0].survival.shape == (2, 2, 3)
    fixed = parameters_from_priors(model_priors.DEFAULT_PRIORS, rng=rng, harem_size=25.0)
    assert fixed.harem_size == 25.0


def test_simulated_data_are_model_inputs_unchanged():
    sim = simulate(
        TrueParameters(removals=_cull(500.0)), ObservationDesign(sex_ratio_years=[2008]), seed=3
    )
    inp = inputs.prepare_inputs(sim.data, config.ModelConfig(start_year=2003))
    s = inp.summary()
    assert s["counts"] == 10
    assert s["removals"] == 10
    assert s["sex_ratios"] == 1
    assert list(inp.years) == list(YEARS)
