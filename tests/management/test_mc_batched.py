"""Issue 15: the batched Monte Carlo errors are arviz_stats' numbers, series by series.

:mod:`saigapop.management._mc` computes the ESS of the mean for a whole batch of series with
ArviZ's algorithm written over arrays. These tests hold it to ``arviz_stats`` itself, element
by element — the reference the standards prefer to hand-written code — and to the
per-series path used before (:mod:`saigapop.management._reference`).
"""

from __future__ import annotations

import numpy as np
import pytest
from arviz_stats.base import array_stats

from saigapop.management import ConstantHarvest, _mc
from saigapop.management._mc import ess_mean, mcse_mean
from saigapop.management._reference import (
    ess_mean_arviz,
    mcse_mean_arviz,
    summarise_reference,
)
from saigapop.management.criteria import summarise


def _series(rng: np.random.Generator, n_series: int, n_chain: int, n_draw: int) -> np.ndarray:
    """Indicators, paired differences, autocorrelated and plain continuous series."""
    n = n_chain * n_draw
    p = rng.random((n_series, 1)) * 0.4
    x = (rng.random((n_series, n)) < p).astype(np.float64)
    walk = np.cumsum(rng.normal(size=(n_series, n)), axis=-1)
    sticky = 0.05 * walk + rng.normal(size=(n_series, n))  # long autocorrelation: many pairs
    q = n_series // 5
    x[:q] = (sticky[:q] > 0.5).astype(np.float64)  # autocorrelated indicators
    x[q : 2 * q] = x[q : 2 * q] - (rng.random((q, n)) < 0.1)  # -1/0/1 differences
    x[2 * q : 3 * q] = sticky[2 * q : 3 * q]  # continuous, autocorrelated
    x[3 * q : 3 * q + 3] = 0.0  # constant
    x[3 * q + 3, :5] = 1.0  # a rare event, in one chain
    x[3 * q + 4] = 0.05 * walk[0]  # a random walk: autocorrelation to the end of the chain
    return x


SHAPES = [(4, 1000), (4, 999), (1, 60), (2, 7), (3, 4), (8, 250)]


@pytest.mark.parametrize(("n_chain", "n_draw"), SHAPES)
def test_ess_and_mcse_equal_arviz_series_by_series(n_chain, n_draw):
    rng = np.random.default_rng(n_chain * 1000 + n_draw)
    x = _series(rng, 60, n_chain, n_draw)
    chain = np.repeat(np.arange(n_chain), n_draw)
    ess = ess_mean(x, chain)
    mcse = mcse_mean(x, chain)
    for i, row in enumerate(x):
        y = np.ascontiguousarray(row.reshape(n_chain, n_draw))
        if np.ptp(row) == 0:  # the convention kept: ESS = draws, MCSE 0
            assert ess[i] == row.size
            assert mcse[i] == 0.0
            continue
        want_ess = float(array_stats.ess(y, chain_axis=-2, draw_axis=-1, method="mean"))
        want_mcse = float(array_stats.mcse(y, chain_axis=-2, draw_axis=-1, method="mean"))
        assert ess[i] == want_ess or (np.isnan(ess[i]) and np.isnan(want_ess)), i
        assert mcse[i] == want_mcse or (np.isnan(mcse[i]) and np.isnan(want_mcse)), i


@pytest.mark.parametrize(("n_chain", "n_draw"), SHAPES)
def test_mcse_matches_the_unbatched_path(n_chain, n_draw):
    """The former per-series path: the same ESS, the sd to summation order (1e-12)."""
    rng = np.random.default_rng(7 + n_draw)
    x = _series(rng, 40, n_chain, n_draw)
    chain = np.repeat(np.arange(n_chain), n_draw)
    np.testing.assert_allclose(ess_mean(x, chain), ess_mean_arviz(x, chain), rtol=1e-12)
    np.testing.assert_allclose(mcse_mean(x, chain), mcse_mean_arviz(x, chain), rtol=1e-12)


def test_unequal_and_unordered_chains_and_nan():
    rng = np.random.default_rng(3)
    x = (rng.random((5, 410)) < 0.3).astype(np.float64)
    chain = np.r_[np.repeat([2, 0, 1], 100), np.repeat(3, 110)]  # unordered, one longer
    np.testing.assert_array_equal(ess_mean(x, chain), ess_mean_arviz(x, chain))
    np.testing.assert_allclose(mcse_mean(x, chain), mcse_mean_arviz(x, chain), rtol=1e-12)
    x[1, 7] = np.nan  # a NaN series is "not varying" (np.ptp is NaN), as before
    np.testing.assert_array_equal(ess_mean(x, chain), ess_mean_arviz(x, chain))
    np.testing.assert_array_equal(mcse_mean(x, chain)[1], 0.0)


def test_identical_series_computed_once_give_identical_errors(monkeypatch):
    rng = np.random.default_rng(5)
    base = (rng.random((3, 4000)) < 0.2).astype(np.int8)
    x = base[[0, 1, 0, 2, 1, 0]]
    chain = np.repeat(np.arange(4), 1000)
    seen = []
    real = _mc._series_stats
    monkeypatch.setattr(
        _mc, "_series_stats", lambda v, c, sd: seen.append(len(v)) or real(v, c, sd)
    )
    out = mcse_mean(x, chain)
    assert seen == [3]
    np.testing.assert_array_equal(out, mcse_mean(base.astype(float), chain)[[0, 1, 0, 2, 1, 0]])


def test_threads_and_batches_do_not_change_the_errors(monkeypatch):
    rng = np.random.default_rng(9)
    x = _series(rng, 50, 4, 500)
    chain = np.repeat(np.arange(4), 500)
    want = mcse_mean(x, chain)
    monkeypatch.setattr(_mc, "WORKERS", 2)
    monkeypatch.setattr(_mc, "_BATCH_CELLS", 4 * 500 * 3)  # 3 series per batch
    np.testing.assert_array_equal(mcse_mean(x, chain), want)
    monkeypatch.setattr(_mc, "WORKERS", 1)
    np.testing.assert_array_equal(mcse_mean(x, chain), want)


def test_summarise_equals_the_reference_path():
    """Risks exactly (counts / draws), MC errors to 1e-12, for every basis."""
    rng = np.random.default_rng(11)
    c, d, p = 5, 800, 3
    chain = np.repeat(np.arange(4), d // 4)
    inds = []
    for basis in ("added", "paired", "absolute"):
        exp = rng.random((c, d, p)) < rng.random((c, 1, p)) * 0.3
        base = rng.random((d, p)) < 0.1
        base[:, 2] = False  # a population without baseline events
        fail = exp & ~base[None]
        inds.append((exp, base, fail, basis))
    got = summarise(inds, chain)
    want = summarise_reference(inds, chain)
    for key in ("risk", "baseline_risk", "added_risk", "decision_risk"):
        np.testing.assert_array_equal(got[key], want[key], err_msg=key)
    for key in ("risk_mcse", "added_risk_mcse", "decision_mcse"):
        np.testing.assert_allclose(got[key], want[key], rtol=1e-12, atol=0, err_msg=key)
    skipped = summarise(inds, chain, mc_errors=False)
    np.testing.assert_array_equal(skipped["decision_risk"], want["decision_risk"])
    assert np.isnan(skipped["decision_mcse"]).all()


def test_threaded_chunks_equal_the_serial_projection(om):
    levels = np.linspace(0.0, 3000.0, 7)
    serial = list(om.iter_projections(ConstantHarvest(), levels, chunk_size=2))
    threaded = om.map_projections(lambda ds: ds, ConstantHarvest(), levels, chunk_size=2, workers=2)
    assert len(serial) == len(threaded) == 4
    for a, b in zip(serial, threaded, strict=True):
        assert a.identical(b)


def test_shared_leading_years_equal_a_full_projection(om):
    """Summary runs take year Y from one no-export projection; full runs project it."""
    levels = [0.0, 500.0, 4000.0]
    summary = om.project(ConstantHarvest(), levels, record="summary")
    full = om.project(ConstantHarvest(), levels, record="full")
    for name in ("total", "adult_males", "ratio", "conception", "male_mortality", "export"):
        np.testing.assert_array_equal(summary[name].values, full[name].values, err_msg=name)
    base = om.baseline()
    np.testing.assert_array_equal(summary["total"].isel(candidate=0).values, base["total"].values)


def test_one_pass_log_and_ratio_equal_the_kernel_numpy_ops():
    """The operating model's ops give NUMPY_OPS' numbers, including 0, inf, -0 and NaN."""
    from saigapop.demography._xp import NUMPY_OPS
    from saigapop.management import operating_model

    rng = np.random.default_rng(2)
    special = np.array([0.0, -0.0, np.inf, np.nan, -1.0, 1e-300, 5e-324, 1.0, 0.15])
    xs = [rng.random((4, 50, 3)) * 3.0, special, np.abs(special)]
    for x in xs:
        np.testing.assert_array_equal(operating_model._log(x), NUMPY_OPS.log(x))
    females = [rng.random((4, 50, 3)), np.r_[special, 2.0], np.abs(np.r_[special, 2.0])]
    males = [rng.random((4, 50, 3)), np.r_[special[::-1], 0.0], np.abs(np.r_[special, 1.0])]
    for m, f in zip(males, females, strict=True):
        with np.errstate(invalid="ignore"):  # NaN males: the reference's own warning
            want, got = NUMPY_OPS.ratio(m, f), operating_model._ratio(m, f)
        np.testing.assert_array_equal(got, want)
    m, f = rng.random((5, 1, 3)), rng.random((1, 7, 3))  # broadcasting
    np.testing.assert_array_equal(operating_model._ratio(m, f), NUMPY_OPS.ratio(m, f))


def test_criteria_year_selection_equals_xarray(om):
    """criteria._np: the numpy view equals ``.sel(year=...).transpose(...).values``."""
    import xarray as xr

    from saigapop.management.criteria import _np

    proj = om.project(ConstantHarvest(), [0.0, 100.0], record="summary")
    dims = ("year", "candidate", "draw", "population")
    da = proj["ratio"]
    for years in (slice(2026, 2030), slice(None, 2027), slice(2031, None), slice(2100, 2200)):
        want = da.sel(year=years).transpose(*dims).values
        np.testing.assert_array_equal(_np(da, dims, years), want)
    shuffled = da.isel(year=[3, 0, 2, 1])  # unsorted: xarray's own rules
    with xr.set_options(keep_attrs=True):
        want = shuffled.sel(year=slice(2026, 2027)).transpose(*dims).values
    np.testing.assert_array_equal(_np(shuffled, dims, slice(2026, 2027)), want)
