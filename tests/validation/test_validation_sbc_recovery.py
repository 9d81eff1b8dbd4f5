"""SBC and recovery on a conjugate normal–normal model with exact posterior draws.

theta ~ N(0, 1), y_i ~ N(theta, 1), i = 1..n  =>  theta | y ~ N(sum(y) / (n + 1), 1 / (n + 1)).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from matplotlib.figure import Figure
from scipy import stats

from saigapop.runner import TaskError
from saigapop.validation import (
    RecoveryResult,
    SBCResult,
    binomial_band,
    plot_rank_histograms,
    plot_recovery,
    rank_statistics,
    recovery,
    run_sbc,
    uniformity_test,
)

N_OBS = 5


def simulator(rng):
    theta = rng.normal(0.0, 1.0, size=2)
    y = rng.normal(theta[:, None], 1.0, size=(2, N_OBS))
    truth = xr.Dataset(
        {"theta": ("group", theta), "scalar": theta[0]}, coords={"group": ["a", "b"]}
    )
    return truth, y


def exact_fitter(scale=1.0, shift=0.0):
    def fit(y, seed):
        rng = np.random.default_rng(seed)
        mean = y.sum(axis=1) / (N_OBS + 1) + shift
        sd = scale * (1.0 / (N_OBS + 1)) ** 0.5
        draws = rng.normal(mean, sd, size=(2, 200, 2))
        post = xr.Dataset(
            {
                "theta": (("chain", "draw", "group"), draws),
                "scalar": (("chain", "draw"), draws[..., 0]),
            },
            coords={"group": ["a", "b"]},
        )
        prior = xr.Dataset(
            {
                "theta": (("chain", "draw", "group"), rng.normal(0, 1, size=(1, 2000, 2))),
                "scalar": (("chain", "draw"), rng.normal(0, 1, size=(1, 2000))),
            },
            coords={"group": ["a", "b"]},
        )
        return xr.DataTree.from_dict({"posterior": post, "prior": prior})

    return fit


# --- ranks and uniformity tests -------------------------------------------------------------


def test_rank_of_known_value_and_thinning():
    post = xr.Dataset({"a": (("chain", "draw"), np.arange(100.0).reshape(2, 50))})
    ranks = rank_statistics(xr.Dataset({"a": 49.5}), post)
    assert int(ranks["a"]) == 50
    assert ranks.attrs["n_draws"] == 100
    thinned = rank_statistics(xr.Dataset({"a": 49.5}), post, n_draws=10)
    assert thinned.attrs["n_draws"] == 10
    assert int(thinned["a"]) == 5


def test_nan_truths_have_no_rank_and_are_not_tested():
    post = xr.Dataset(
        {"a": (("chain", "draw", "age"), np.zeros((1, 9, 2)))}, coords={"age": ["calf", "adult"]}
    )
    truth = xr.Dataset({"a": ("age", [np.nan, 0.5])}, coords={"age": ["calf", "adult"]})
    ranks = rank_statistics(truth, post)
    assert np.isnan(ranks["a"].sel(age="calf"))
    assert int(ranks["a"].sel(age="adult")) == 9
    many = xr.concat([ranks] * 20, dim="simulation")
    assert SBCResult(many, 9).uniformity()["element"].tolist() == ["age=adult"]


def test_ties_are_broken_uniformly():
    post = xr.Dataset({"a": (("chain", "draw"), np.zeros((1, 4)))})
    got = {int(rank_statistics(xr.Dataset({"a": 0.0}), post, rng=s)["a"]) for s in range(200)}
    assert got == {0, 1, 2, 3, 4}


def test_uniformity_test_matches_scipy_chisquare_with_exact_bin_probabilities():
    ranks = np.array([0, 1, 1, 2, 5, 6, 6, 6, 9, 10])
    res = uniformity_test(ranks, 10, bins=3)  # 11 rank values in bins of 4, 4, 3
    expected = np.array([4, 4, 3]) / 11 * 10
    observed = np.array([4, 4, 2])
    ref = stats.chisquare(observed, expected)
    assert res["chi2"] == pytest.approx(ref.statistic)
    assert res["p_chi2"] == pytest.approx(ref.pvalue)


def test_uniformity_test_rejects_out_of_range_ranks():
    with pytest.raises(ValueError, match=r"0\.\.9"):
        uniformity_test(np.array([0, 10]), 9)


# --- SBC on the conjugate model ---------------------------------------------------------------


def test_sbc_exact_posterior_passes():
    res = run_sbc(simulator, exact_fitter(), 200, n_draws=99, seed=1)
    assert res.n_sims == 200
    assert res.n_draws == 99
    assert res.ranks["theta"].dims == ("simulation", "group")
    u = res.uniformity()
    assert len(u) == 3
    assert (u["p_chi2"] > 0.001).all()
    check = res.check()
    assert check.passed, check.text


def test_sbc_too_narrow_posterior_fails():
    res = run_sbc(simulator, exact_fitter(scale=0.5), 200, n_draws=99, seed=1)
    check = res.check()
    assert not check.passed
    assert check.value < 1e-6
    # too narrow: ranks pile up at both ends (a U shape)
    r = res.ranks["scalar"].values
    assert np.mean((r < 10) | (r > 89)) > 0.4


def test_sbc_biased_posterior_fails():
    res = run_sbc(simulator, exact_fitter(shift=0.5), 200, n_draws=99, seed=2)
    assert not res.check().passed
    assert np.mean(res.ranks["scalar"].values) < 40  # truth below most draws


def test_sbc_records_failed_fits_and_uses_map_fn():
    calls = []

    def my_map(f, xs):
        xs = list(xs)
        calls.append(len(xs))
        return [f(x) for x in xs]

    def flaky(y, seed):
        if seed % 3 == 0:
            raise RuntimeError("divergent")
        return exact_fitter()(y, seed)

    res = run_sbc(simulator, flaky, 30, n_draws=19, seed=3, map_fn=my_map)
    assert calls == [30]
    assert res.n_sims + len(res.failures) == 30
    if res.failures:
        assert "divergent" in res.failures[0][1]
        assert not res.check().passed
    with pytest.raises(TaskError, match="ZeroDivisionError"):
        run_sbc(simulator, lambda y, s: 1 / 0, 3, catch=False)
    with pytest.raises(ZeroDivisionError):
        run_sbc(simulator, lambda y, s: 1 / 0, 3, catch=False, map_fn=map)
    with pytest.raises(RuntimeError, match="every SBC fit failed"):
        run_sbc(simulator, lambda y, s: 1 / 0, 3)


def test_sbc_accepts_simulation_objects():
    from saigapop.validation import Simulation

    def sim(rng):
        truth, y = simulator(rng)
        return Simulation(truth, y, None, None)

    res = run_sbc(sim, exact_fitter(), 10, n_draws=19)
    assert res.n_sims == 10


def test_plot_rank_histograms_one_panel_per_element():
    res = run_sbc(simulator, exact_fitter(), 40, n_draws=19, seed=0)
    fig = plot_rank_histograms(result=res)
    assert isinstance(fig, Figure)
    assert len([a for a in fig.axes if a.get_visible()]) == 3


# --- recovery -------------------------------------------------------------------------------


def _replicates(n, fitter, seed=0):
    rng = np.random.default_rng(seed)
    fits, truths = [], []
    for i in range(n):
        truth, y = simulator(rng)
        fits.append(fitter(y, i))
        truths.append(truth)
    return fits, truths


def test_recovery_of_exact_posterior_has_nominal_coverage_and_known_contraction():
    fits, truths = _replicates(150, exact_fitter())
    res = recovery(fits, truths)
    s = res.summary().set_index("parameter")
    assert s.loc["theta", "n"] == 300
    assert s.loc["scalar", "n"] == 150
    assert s["in_band"].all()
    # contraction = 1 - (1 / (n + 1)) / 1 = n / (n + 1)
    assert s.loc["theta", "contraction"] == pytest.approx(N_OBS / (N_OBS + 1), abs=0.02)
    assert res.check().passed
    assert abs(s.loc["theta", "mean_abs_z"] - np.sqrt(2 / np.pi)) < 0.1


def test_recovery_flags_overconfident_posterior():
    fits, truths = _replicates(100, exact_fitter(scale=0.4))
    res = recovery(fits, truths)
    assert not res.check().passed
    assert res.summary()["coverage"].max() < 0.6


def test_recovery_calls_too_wide_intervals_conservative_not_failed():
    fits, truths = _replicates(100, exact_fitter(scale=3.0))
    res = recovery(fits, truths)
    s = res.summary().set_index("parameter")
    assert (s["status"] == "wider than nominal").all()
    assert (s["replicates"] == 100).all()
    check = res.check()
    assert check.passed
    assert "wider than nominal: theta, scalar" in str(check.text)


def test_recovery_band_counts_replicates_not_correlated_elements():
    # 10 replicates × 2 elements; one replicate misses on both elements (perfectly
    # correlated): 90 % coverage, inside the band of 10 replicates
    t = pd.DataFrame(
        {
            "replicate": np.repeat(np.arange(10), 2),
            "parameter": "theta",
            "element": ["a", "b"] * 10,
            "covered": [False, False] + [True] * 18,
            "contraction": 0.5,
            "z": 0.1,
        }
    )
    s = RecoveryResult(t).summary().set_index("parameter")
    assert s.loc["theta", "n"] == 20
    assert s.loc["theta", "replicates"] == 10
    assert (s.loc["theta", "band_lower"], s.loc["theta", "band_upper"]) == binomial_band(10)
    assert s.loc["theta", "status"] == "nominal"


def test_recovery_aligns_by_label_skips_nan_and_needs_matching_lengths():
    fits, truths = _replicates(2, exact_fitter())
    truth = truths[0].assign(theta=("group", [np.nan, 0.3])).sel(group=["b", "a"])
    res = recovery(fits[:1], [truth], var_names=["theta"])
    assert res.table["element"].tolist() == ["group=b"]
    with pytest.raises(ValueError, match="2 fits but 1 truths"):
        recovery(fits, [truth, truth][:1])


def test_plot_recovery_returns_figure():
    fits, truths = _replicates(5, exact_fitter())
    fig = plot_recovery(result=recovery(fits, truths))
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 2


def test_sbc_result_uniformity_is_a_table():
    ranks = xr.Dataset({"a": ("simulation", np.arange(100) % 10)})
    u = SBCResult(ranks, 9).uniformity(bins=5)
    assert isinstance(u, pd.DataFrame)
    assert u.loc[0, "p_chi2"] == pytest.approx(1.0)


def test_sbc_through_run_grid_matches_plain_map():
    """The default path (saigapop.runner.run_grid, serial) gives the ranks of a plain map."""
    a = run_sbc(simulator, exact_fitter(), 12, n_draws=19, seed=5)
    b = run_sbc(simulator, exact_fitter(), 12, n_draws=19, seed=5, map_fn=map)
    xr.testing.assert_identical(a.ranks, b.ranks)


def test_sbc_store_resumes_without_refitting(tmp_path):
    calls = []

    def counting(y, seed):
        calls.append(seed)
        return exact_fitter()(y, seed)

    a = run_sbc(simulator, counting, 8, n_draws=19, seed=4, store=tmp_path)
    assert len(calls) == 8
    assert len(list(tmp_path.glob("sim_*.nc"))) == 8
    b = run_sbc(simulator, counting, 8, n_draws=19, seed=4, store=tmp_path)
    assert len(calls) == 8  # every simulation was read back, none refitted
    xr.testing.assert_allclose(a.ranks, b.ranks)
    partial = SBCResult.from_store(tmp_path)
    assert partial.n_sims == 8
    assert partial.n_draws == 19
    xr.testing.assert_allclose(partial.ranks, a.ranks)


# --- data-independent prior scales (what a valid SBC of the saiga model needs) ----------------


def test_config_fixes_prior_scales_independently_of_the_data():
    import saigapop as sp
    from saigapop.exceptions import ConfigError
    from saigapop.model.config import ModelConfig
    from saigapop.model.inputs import prepare_inputs

    data = sp.load_kazakhstan()
    default = prepare_inputs(data, ModelConfig())
    cfg = ModelConfig(
        initial_abundance_scale=(("Ural", 20_000.0), ("Kalmykia", 5.0)),
        density_scale=(("Ustyurt", 1e6),),
    )
    fixed = prepare_inputs(data, cfg)
    pops = list(fixed.populations)
    ural, ust = pops.index("Ural"), pops.index("Ustyurt")
    assert fixed.init_scale[ural] == 20_000.0
    assert fixed.density_scale[ust] == 1e6
    # populations not listed keep the data-derived values
    others = [i for i in range(len(pops)) if i != ural]
    np.testing.assert_array_equal(fixed.init_scale[others], default.init_scale[others])
    assert default.init_scale[ural] != 20_000.0
    notes = " ".join(fixed.notes)
    assert "fixed by the config for ['Ural']" in notes
    assert "Kalmykia, which is not in the data; ignored" in notes
    assert ModelConfig.from_json(cfg.to_json()) == cfg
    # unset, they stay out of the JSON: the model hash of existing fits does not change
    assert "initial_abundance_scale" not in ModelConfig().to_json()
    assert "density_scale" not in ModelConfig().to_json()
    for bad in ((("Ural", -1.0),), (("Ural", 1.0), ("Ural", 2.0)), (("Ural",),)):
        with pytest.raises(ConfigError):
            ModelConfig(initial_abundance_scale=bad)


def test_sbc_check_names_the_smallest_raw_p_value():
    # both adjusted p-values clip at 1; the text must still name the smaller raw p-value
    flat = np.tile(np.arange(10), 10).astype(float)  # perfectly uniform: p = 1
    tilted = flat.copy()
    tilted[:6] = 0.0  # a few extra zeros: p < 1 but p * 2 > 1
    res = SBCResult(xr.Dataset({"a": ("simulation", flat), "b": ("simulation", tilted)}), 9)
    p = res.uniformity(bins=5).set_index("parameter")["p_chi2"]
    assert p["b"] < p["a"]
    assert 2 * p["b"] > 1
    check = res.check()
    assert "(b)" in str(check.text)
    assert check.passed
