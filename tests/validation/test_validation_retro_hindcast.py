from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from matplotlib.figure import Figure
from scipy import stats

import saigapop as sp
from saigapop.validation import (
    HindcastResult,
    decision_retrospective,
    hindcast_data,
    last_census_year,
    mase,
    mohns_rho,
    plot_hindcast,
    plot_retrospective,
    predict_counts,
    residual_runs,
    run_hindcast,
    run_retrospective,
    runs_test,
    terminal_quantities,
)

YEARS = np.arange(2020, 2026)


@pytest.fixture(scope="module")
def data():
    return sp.load_kazakhstan()


# --- Mohn's rho -------------------------------------------------------------------------------


def test_mohns_rho_hand_made_series():
    ref = np.array([100.0, 110.0, 120.0, 130.0, 140.0, 150.0])  # 2020..2025
    est = np.full((4, 6), np.nan)
    est[0] = ref
    est[1, :5] = [100, 110, 120, 130, 154]  # peel 1 ends 2024: +10 % of 140
    est[2, :4] = [100, 110, 120, 117]  # peel 2 ends 2023: -10 % of 130
    est[3, :3] = [100, 110, 144]  # peel 3 ends 2022: +20 % of 120
    da = xr.DataArray(est, dims=("peel", "year"), coords={"peel": [0, 1, 2, 3], "year": YEARS})
    assert float(mohns_rho(da)) == pytest.approx((0.1 - 0.1 + 0.2) / 3)


def test_mohns_rho_per_population_and_explicit_terminal_years():
    base = np.linspace(1.0, 2.0, 6)
    est = np.stack([np.stack([base, 10 * base])] * 3)  # (peel, pop, year)
    est[1, 0, 3] *= 1.5  # peel 1 ends at 2023 here (a missed survey), population A only
    est[2, 1, 2] *= 0.5
    da = xr.DataArray(
        est,
        dims=("peel", "population", "year"),
        coords={
            "peel": [0, 1, 2],
            "population": ["A", "B"],
            "year": YEARS,
            "terminal_year": ("peel", [2025, 2023, 2022]),
        },
    )
    rho = mohns_rho(da)
    assert float(rho.sel(population="A")) == pytest.approx(0.25)
    assert float(rho.sel(population="B")) == pytest.approx(-0.25)


def test_mohns_rho_needs_peels():
    da = xr.DataArray([[1.0, 2.0]], dims=("peel", "year"), coords={"peel": [0], "year": [1, 2]})
    with pytest.raises(ValueError, match="at least one peel"):
        mohns_rho(da)


def _truth_series(pops=("Betpakdala", "Ural", "Ustyurt")):
    years = np.arange(2003, 2026)
    values = np.array(
        [[1000.0 * 1.2 ** (y - 2003) * (i + 1) for y in years] for i in range(len(pops))]
    )
    return xr.DataArray(
        values, dims=("population", "year"), coords={"population": list(pops), "year": years}
    )


def test_run_retrospective_passes_truncated_data_and_reproduces_known_rho(data):
    truth = _truth_series()
    seen = []

    def fitter(d, end):
        seen.append((end, int(d.census["year"].max()), int(d.removals["year"].max())))
        return end

    def extract(end):  # terminal year read 10 % too high, earlier years exact
        est = truth.where(truth["year"] <= end)
        est = est + 0.1 * truth.where(truth["year"] == end, 0.0)
        return xr.Dataset({"abundance": est, "adult_sex_ratio": est / est})

    res = run_retrospective(data, fitter, peels=5, extract=extract)
    assert [s[0] for s in seen] == [2025, 2024, 2023, 2022, 2021, 2020]
    assert all(c <= end and r <= end for end, c, r in seen)
    rho = res.rho().set_index(["quantity", "population"])["rho"]
    # peel terminal value +10 % vs the reference's exact value of the same year
    np.testing.assert_allclose(rho.loc["abundance"].to_numpy(), 0.1)
    np.testing.assert_allclose(rho.loc["adult_sex_ratio"].to_numpy(), 0.0)
    check = res.check()
    assert check.passed
    assert check.value == pytest.approx(0.1)
    assert not res.check(threshold=0.05).passed
    assert isinstance(plot_retrospective(result=res), Figure)


def test_terminal_quantities_from_contract_posterior(make_posterior):
    n = np.array([[100.0, 200.0], [10.0, 20.0]])
    fit = make_posterior(n, years=np.array([2024, 2025]), populations=("A", "B"), spread=0.0)
    q = terminal_quantities(fit)
    np.testing.assert_allclose(q["abundance"].values, n)
    np.testing.assert_allclose(q["adult_sex_ratio"].values, 0.25)


def test_decision_retrospective_table(data):
    def fitter(d, end):
        return int(d.census["year"].max())

    out = decision_retrospective(data, fitter, lambda y: pd.Series({"Ural": float(y)}))
    assert out["data_year"].tolist() == [2021, 2022, 2023, 2024]
    assert out["quota"].tolist() == [2021.0, 2022.0, 2023.0, 2024.0]


def test_decision_retrospective_keeps_the_quota_log(data):
    class Quota:  # like QuotaFunction: logs a verdict per fit
        def __init__(self):
            self.log = []

        def __call__(self, y):
            self.log.append({"data_year": y, "converged": y != 2022})
            return {"Ural": 1.0, "Ustyurt": 0.0}

    out = decision_retrospective(
        data, lambda d, end: int(d.census["year"].max()), Quota(), years=[2021, 2022]
    )
    assert out["converged"].tolist() == [True, True, False, False]
    assert out["population"].tolist() == ["Ural", "Ustyurt", "Ural", "Ustyurt"]


def test_last_census_year(data):
    assert last_census_year(data) == 2025
    assert last_census_year(data.select(years=slice(None, 2021))) == 2021


# --- hindcast statistics ----------------------------------------------------------------------


def test_mase_hand_values():
    assert mase([10.0, 20.0], [12.0, 18.0], [5.0, 30.0], scale="natural") == pytest.approx(
        (2 + 2) / (5 + 10)
    )
    lg = mase([100.0, 100.0], [110.0, 90.0], [200.0, 50.0])
    want = (abs(np.log(100 / 110)) + abs(np.log(100 / 90))) / (2 * np.log(2))
    assert lg == pytest.approx(want)
    with pytest.raises(ValueError, match="scale"):
        mase([1.0], [1.0], [2.0], scale="sqrt")
    with pytest.raises(ValueError, match="equal length"):
        mase([1.0], [1.0, 2.0], [2.0])


def _brute_force_runs_p(n1, n2, observed):
    counts = []
    for pos in itertools.combinations(range(n1 + n2), n1):
        s = np.zeros(n1 + n2, bool)
        s[list(pos)] = True
        counts.append(1 + np.count_nonzero(s[1:] != s[:-1]))
    counts = np.array(counts)
    lo, hi = np.mean(counts <= observed), np.mean(counts >= observed)
    return min(1.0, 2 * min(lo, hi))


@pytest.mark.parametrize(
    "signs",
    [
        [1, 1, -1, -1, 1, 1, -1, -1],
        [1, -1, 1, -1, 1, -1, 1],
        [1, 1, 1, 1, -1, -1, -1, 1, 1],
        [-1, 1, 1, -1, -1, -1, 1, -1, 1, 1, 1],
    ],
)
def test_runs_test_exact_p_matches_enumeration(signs):
    r = runs_test(signs)
    n1, n2 = sum(s > 0 for s in signs), sum(s < 0 for s in signs)
    assert (r.n_positive, r.n_negative) == (n1, n2)
    assert r.p_exact == pytest.approx(_brute_force_runs_p(n1, n2, r.runs))


def test_runs_test_hand_computed_normal_approximation():
    r = runs_test([1, 2, -1, -3, 4, 1, -2, -1, 0, np.nan])  # zeros and NaN dropped
    assert r.runs == 4
    assert r.expected == 5.0
    var = 2 * 16 * (32 - 8) / (64 * 7)
    assert r.z == pytest.approx(-1 / np.sqrt(var))
    assert r.p_normal == pytest.approx(0.4450, abs=1e-4)
    assert r.p_exact == pytest.approx(52 / 70)
    assert np.isnan(runs_test([1, 2, 3]).p_exact)


# --- hindcast table and runner ----------------------------------------------------------------


def _draws(values, pops):
    v = np.asarray(values, float)
    return xr.DataArray(
        np.tile(v, (100, 1)) * np.linspace(0.8, 1.2, 100)[:, None],
        dims=("sample", "population"),
        coords={"population": list(pops)},
    )


def test_hindcast_table_with_and_without_planning_estimates(data):
    pops = ("Betpakdala", "Ural", "Ustyurt")
    preds = {2024: _draws([1.0e6, 1.5e6, 50_000], pops), 2025: _draws([1.5e6, 2.0e6, 70_000], pops)}
    res = HindcastResult.from_predictions(data, preds)
    t = res.table.set_index(["year", "population"])
    assert t.loc[(2024, "Ural"), "naive"] == 1_130_000
    assert t.loc[(2025, "Ural"), "naive"] == 1_620_000
    assert t.loc[(2025, "Ural"), "equals_planning_estimate"]
    assert not t.loc[(2025, "Ustyurt"), "equals_planning_estimate"]
    assert t.loc[(2024, "Ural"), "covered"]  # 1.62e6 within 1.5e6 * [0.82, 1.18]
    s = res.summary().set_index("counts")
    assert s.loc["all", "n"] == 6
    assert s.loc["without planning estimates", "n"] == 4
    want = mase(res.table["observed"], res.table["predicted"], res.table["naive"])
    assert s.loc["all", "mase"] == pytest.approx(want)
    assert res.check().passed == (want < 1)
    assert str(res.check(exclude_planning_estimates=True).text).count("without") == 1
    assert isinstance(plot_hindcast(result=res), Figure)


def test_run_hindcast_fits_on_past_data_to_the_target_year(data):
    calls = []

    def fitter(d, end):
        calls.append((end, int(d.census["year"].max())))
        return end

    def predictor(fit, year, rng):
        assert fit == year
        return _draws([1.0e6, 1.6e6, 60_000], ("Betpakdala", "Ural", "Ustyurt"))

    res = run_hindcast(data, fitter, predictor=predictor)
    assert calls == [(2024, 2023), (2025, 2024)]
    assert len(res.table) == 6
    assert int(hindcast_data(data, 2022).census["year"].max()) == 2021


def test_run_hindcast_scores_each_count_by_its_exact_lfo_density(data, make_posterior):
    pops = ("Betpakdala", "Ural", "Ustyurt")
    n = np.array([[1.0e6, 1.2e6], [1.5e6, 2.0e6], [50_000.0, 70_000.0]])

    def fitter(d, end):
        return make_posterior(
            n, years=np.array([end - 1, end]), populations=pops, q=0.9, obs_cv=0.3, spread=0.0
        )

    res = run_hindcast(data, fitter, years=(2025,))
    t = res.table.set_index("population")
    for p, total in zip(pops, n[:, 1], strict=True):
        expected = stats.lognorm.logpdf(t.loc[p, "observed"], 0.3, scale=0.9 * total)
        assert t.loc[p, "elpd_lfo"] == pytest.approx(expected, rel=1e-9)
    assert res.summary()["elpd_lfo"].iloc[0] == pytest.approx(t["elpd_lfo"].sum())


def test_predict_counts_is_q_times_n_with_lognormal_noise(make_posterior):
    n = np.array([[1000.0, 2000.0]])
    fit = make_posterior(
        n,
        years=np.array([2024, 2025]),
        populations=("A",),
        q=0.5,
        obs_cv=0.2,
        spread=0.0,
        draws=4000,
    )
    pred = predict_counts(fit, 2025, rng=0)
    assert pred.dims == ("sample", "population")
    assert float(np.median(pred)) == pytest.approx(0.5 * 2000, rel=0.02)
    assert float(np.log(pred).std()) == pytest.approx(0.2, rel=0.05)


def test_residual_runs_per_population(data, make_posterior):
    years = np.arange(2016, 2026)
    counts = data.to_xarray()["count"].sel(year=years)
    fitted = np.where(np.isnan(counts.values), 1.0, counts.values)  # q*N equals every count
    fit = make_posterior(fitted, years=years, populations=data.populations, spread=0.0)
    out = residual_runs(fit, data).set_index("population")
    assert out.loc["Ural", "n"] == int(counts.sel(population="Ural").notnull().sum())
    assert np.isnan(out.loc["Ural", "p_exact"])  # zero residuals: no signs


def test_cached_fitter_fits_once_per_data_and_year_and_lists_convergence(data, tmp_path):
    from saigapop.testing import make_synthetic_posterior
    from saigapop.validation import CachedFitter

    calls = []

    def fitter(d, end):
        calls.append(end)
        fit = make_synthetic_posterior(chains=2, draws=30)
        fit.attrs["model_hash"] = f"demo-{end}"
        return fit

    cached = CachedFitter(fitter, tmp_path / "fits")
    first = cached(data, 2024)
    again = cached(data, 2024)
    cached(data.select(years=slice(None, 2023)), 2023)
    assert calls == [2024, 2023]
    np.testing.assert_array_equal(
        first["posterior"]["obs_cv"].values, again["posterior"]["obs_cv"].values
    )
    table = cached.convergence()
    assert table["end_year"].tolist() == [2023, 2024]
    assert {"converged", "max_rhat", "divergences"} <= set(table.columns)
    assert not list((tmp_path / "fits").glob(".tmp*"))  # nothing half-written is left
