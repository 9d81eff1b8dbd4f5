from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from matplotlib.figure import Figure
from scipy import stats

import saigapop as sp
import saigapop.validation as sv
from saigapop.validation import (
    INFLUENCE_CASES,
    Alternative,
    SensitivityResult,
    default_alternatives,
    drop_census_rows,
    pareto_khat,
    plot_khat,
    plot_sensitivity,
    plot_tornado,
    prior_sensitivity,
    run_alternative_priors,
    run_influence,
    tornado_table,
    without_counts,
    without_planning_estimates,
    without_preliminary,
)


@pytest.fixture(scope="module")
def data():
    return sp.load_kazakhstan()


def _normal_fit(y, *, prior_sd=None, seed=0):
    """Exact posterior of a normal mean (flat prior, or N(0, prior_sd)) with sd-1 likelihood."""
    rng = np.random.default_rng(seed)
    n = len(y)
    prec = n + (0.0 if prior_sd is None else prior_sd**-2)
    mu = rng.normal(y.sum() / prec, prec**-0.5, (4, 1000))
    obs = [f"count {i}" for i in range(n)]
    groups = {
        "posterior": xr.Dataset({"mu": (("chain", "draw"), mu)}),
        "log_likelihood": xr.Dataset(
            {"count": (("chain", "draw", "obs"), stats.norm.logpdf(y, mu[..., None], 1.0))},
            coords={"obs": obs},
        ),
        "observed_data": xr.Dataset({"count": ("obs", y)}, coords={"obs": obs}),
    }
    if prior_sd is not None:
        groups["log_prior"] = xr.Dataset(
            {"mu": (("chain", "draw"), stats.norm.logpdf(mu, 0.0, prior_sd))}
        )
    return xr.DataTree.from_dict(groups)


# --- LOO ----------------------------------------------------------------------------------------


def test_outlier_has_the_worst_khat_and_fails_the_check():
    y = np.r_[np.random.default_rng(2).normal(0, 1, 24), 11.0]
    res = pareto_khat(_normal_fit(y))
    worst = res.worst(1).iloc[0]
    assert worst["observation"] == "count 24"
    assert worst["observed"] == 11.0
    assert worst["khat"] > 0.7
    assert (res.table["khat"].drop(index=24) < 0.7).all()
    check = res.check()
    assert not check.passed
    assert not check.gating  # judges PSIS, not the model: reported, never withholds a quota
    assert "count 24" in str(check.text)
    assert res.elpd.loc[0, "variable"] == "count"
    assert res.good_k == pytest.approx(0.7)
    assert isinstance(plot_khat(result=res), Figure)


def test_khat_threshold_shrinks_with_few_draws():
    y = np.random.default_rng(3).normal(0, 1, 25)
    fit = _normal_fit(y)
    few = fit.isel(draw=slice(0, 100))  # 4 x 100 draws: good_k = 1 - 1 / log10(400)
    res = pareto_khat(few)
    assert res.good_k == pytest.approx(1 - 1 / np.log10(400))
    assert f"< {res.good_k:.2f}" == str(res.check().threshold)


def test_well_behaved_data_pass_the_khat_check():
    y = np.random.default_rng(3).normal(0, 1, 25)
    assert pareto_khat(_normal_fit(y)).check().passed


# --- data filters for influence refits ---------------------------------------------------------


def test_without_planning_estimates_drops_exactly_the_flagged_2025_rows(data):
    d = without_planning_estimates(data)
    gone = data.census.merge(d.census, how="left", indicator=True).query("_merge == 'left_only'")
    assert sorted(gone["population"]) == ["Betpakdala", "Ural", "total"]
    assert set(gone["year"]) == {2025}
    assert d.removals.equals(data.removals)
    assert d.composition.equals(data.composition)
    assert d.data_hash != data.data_hash
    # the result is a working SaigaData
    assert d.select(populations="Ural").census["year"].max() == 2024
    assert int(d.to_xarray()["count"].sel(population="Ustyurt", year=2025)) == 78_000


def test_without_preliminary_drops_the_2021_figures(data):
    d = without_preliminary(data)
    assert len(data.census) - len(d.census) == 4
    assert 2021 not in set(d.census["year"])


def test_without_counts_drops_one_population_year(data):
    d = without_counts(data, population="Ustyurt", year=2022)
    assert len(data.census) - len(d.census) == 1
    assert not ((d.census["population"] == "Ustyurt") & (d.census["year"] == 2022)).any()


def test_drop_census_rows_combines_criteria_and_keeps_warnings_of_kept_rows(data):
    d = drop_census_rows(data, kinds="estimate", years=[1990, 1997])
    assert len(data.census) - len(d.census) == 5
    assert len(d.warnings) == len(data.warnings)
    assert drop_census_rows(data).census.empty  # no criterion: every row matches


def test_influence_cases_and_runner(data):
    assert set(INFLUENCE_CASES) == {
        "without 2025 planning-estimate counts",
        "without 2021 preliminary figures",
        "without Ustyurt 2022",
        "without Ustyurt 2012",
    }
    ends = []

    def fitter(d, end):
        ends.append(end)
        return d

    def extract(d):  # abundance = number of census rows (changes when rows are dropped)
        pops = ["Betpakdala", "Ural", "Ustyurt"]
        n = [float((d.census["population"] == p).sum()) for p in pops]
        return xr.Dataset(
            {"rows": (("population", "year"), np.array(n)[:, None])},
            coords={"population": pops, "year": [2025]},
        )

    out = run_influence(data, fitter, extract=extract)
    assert set(ends) == {2025}
    r = out.set_index(["case", "population"])["relative_change"]
    assert r.loc[("without Ustyurt 2022", "Ustyurt")] < 0
    assert r.loc[("without Ustyurt 2022", "Ural")] == 0
    assert r.loc[("without Ustyurt 2012", "Ustyurt")] < 0


# --- prior sensitivity --------------------------------------------------------------------------


def test_power_scaling_flags_a_strong_prior_only():
    y = np.random.default_rng(0).normal(1.0, 1.0, 10)
    strong = prior_sensitivity(_normal_fit(y, prior_sd=0.1))
    weak = prior_sensitivity(_normal_fit(y, prior_sd=10.0))
    assert strong.table.loc[0, "prior"] > 0.05
    assert weak.table.loc[0, "prior"] < 0.05
    assert weak.table.loc[0, "likelihood"] > 0.05
    assert weak.table.loc[0, "diagnosis"] == "data dominate"
    assert "possible prior-data conflict for 1" in str(strong.check().text)
    assert "possible prior-data conflict for 0" in str(weak.check().text)
    assert not strong.check().gating  # reported, never gated
    assert isinstance(plot_sensitivity(result=strong), Figure)


def test_sensitivity_result_prior_driven():
    t = pd.DataFrame(
        {
            "parameter": ["asr", "cv"],
            "element": ["", ""],
            "prior": [0.3, 0.01],
            "likelihood": [0.01, 0.2],
            "diagnosis": ["prior decides (weak likelihood)", "data dominate"],
        }
    )
    r = SensitivityResult(t)
    assert r.prior_driven() == ["asr"]
    assert r.check().passed
    assert "asr (0.30)" in str(r.check().text)
    assert "prior decides for 1 parameter" in str(r.check().text)


def test_alternative_priors_and_tornado():
    alts = [
        Alternative("obs_cv", "low", {"k": 0.8}),
        Alternative("obs_cv", "high", {"k": 1.5}),
        Alternative("harem_size", "low", {"k": 0.95}),
        Alternative("harem_size", "high", {"k": 1.0}),
    ]

    def fitter(data, priors):
        return 1.0 if priors is None else priors["k"]

    table = run_alternative_priors(
        None, fitter, lambda f: {"Ural": 100 * f, "Ustyurt": f}, alternatives=alts
    )
    assert len(table) == 8
    assert (table.query("population == 'Ural'")["reference"] == 100).all()
    torn = tornado_table(table)
    ural = torn.query("population == 'Ural'")
    assert ural["parameter"].tolist() == ["obs_cv", "harem_size"]
    assert ural["swing"].tolist() == pytest.approx([70.0, 5.0])
    fig = plot_tornado(table=table, population="Ural")
    assert isinstance(fig, Figure)
    assert fig.axes[0].get_title() == "Ural"


def test_alternative_priors_carry_each_refits_convergence_verdict():
    alts = [Alternative("obs_cv", "low", {"k": 0.5}), Alternative("obs_cv", "high", {"k": 2.0})]

    class Quota:  # keeps a convergence log like QuotaFunction
        def __init__(self):
            self.log = []

        def __call__(self, k):
            self.log.append({"converged": k != 2.0, "divergences": int(k == 2.0) * 7})
            return {"Ural": 100 * k}

    table = run_alternative_priors(
        None, lambda d, p: 1.0 if p is None else p["k"], Quota(), alternatives=alts
    )
    assert table["converged"].tolist() == [True, False]
    assert table["divergences"].tolist() == [0, 7]
    assert table["reference_converged"].all()


def test_default_alternatives_vary_the_issue_priors():
    alts = default_alternatives()
    assert {a.parameter for a in alts} == {
        "obs_cv",
        "survival_adult_male",
        "mating_half_share",
        "pasteurellosis_rate",
    }
    # the mating function's collapse point (the harem size no longer moves the quota)
    collapse = {
        a.label: a.priors["mating_half_share"].summary()["q50"]
        for a in alts
        if a.parameter == "mating_half_share"
    }
    assert collapse["low"] == pytest.approx(0.005, rel=0.05)
    assert collapse["high"] == pytest.approx(0.02, rel=0.05)


# --- exact leave-one-out ------------------------------------------------------------------------


def _count_posterior(n_total, q, cv, population="Ustyurt", year=2012):
    """Posterior Dataset with census total ``n_total`` per draw split over two cells."""
    n_total = np.asarray(n_total, float).reshape(1, -1)
    cells = np.stack([0.4 * n_total, 0.6 * n_total], axis=-1)[:, :, None, None, None, :]
    cells = np.concatenate([cells, np.full_like(cells, np.nan)], axis=-2)  # calves: NaN
    dims = ("chain", "draw", "population", "year", "sex", "age")
    coords = {"population": [population], "year": [year], "age": ["yearling", "adult"]}
    n = xr.DataArray(cells.reshape(1, -1, 1, 1, 2, 2), dims=dims, coords=coords)
    qy = xr.full_like(n.isel(sex=0, age=0, drop=True), q)
    cv = np.broadcast_to(np.asarray(cv, float), n.shape[:2])
    return xr.Dataset({"N": n, "catchability_year": qy, "obs_cv": (("chain", "draw"), cv)})


def test_count_log_predictive_matches_a_plain_loop():
    rng = np.random.default_rng(3)
    total = rng.uniform(40_000, 90_000, 200)
    cv = rng.uniform(0.1, 0.4, (1, 200))
    post = _count_posterior(total, 0.9, cv)
    y = 63_600.0
    dens = [stats.lognorm.pdf(y, s, scale=0.9 * t) for s, t in zip(cv.ravel(), total, strict=True)]
    want = np.log(np.mean(dens))
    got = sv.count_log_predictive(post, population="Ustyurt", year=2012, value=y)
    assert got == pytest.approx(want, rel=1e-10)


def test_run_exact_loo_refits_without_the_count(data):
    seen = []

    def fitter(d, end_year):
        # stand-in refit: remembers whether the count was left out; posterior centred at 50,000
        rows = d.census
        seen.append(
            (
                end_year,
                bool(((rows["population"] == "Ustyurt") & (rows["year"] == 2012)).any()),
            )
        )
        return xr.DataTree.from_dict({"posterior": _count_posterior([50_000.0] * 4, 1.0, 0.2)})

    ref = sv.LOOResult(
        pd.DataFrame(
            {
                "variable": ["count"],
                "observation": ["Ustyurt 2012 count"],
                "khat": [1.18],
                "elpd_loo": [-10.0],
                "observed": [np.nan],
            }
        ),
        pd.DataFrame(),
    )
    table = sv.run_exact_loo(data, fitter, [("Ustyurt", 2012)], reference=ref)
    assert seen == [(sv.last_census_year(data), False)]
    y = float(
        data.census.query("population == 'Ustyurt' and year == 2012 and kind == 'count'")[
            "value"
        ].iloc[0]
    )
    want = stats.lognorm.logpdf(y, 0.2, scale=50_000.0)
    row = table.iloc[0]
    assert row["observed"] == y
    assert row["elpd_exact"] == pytest.approx(want)
    assert row["khat"] == 1.18
    assert row["psis_error"] == pytest.approx(-10.0 - want)
    with pytest.raises(ValueError, match="one count"):
        sv.run_exact_loo(data, fitter, [("Ustyurt", 1990)])
