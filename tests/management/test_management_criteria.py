import numpy as np
import pytest
import xarray as xr

from saigapop.exceptions import ConfigError
from saigapop.management import AbundanceRisk, ConceptionRisk, GrowthRate, SexRatioRisk
from saigapop.management._mc import ess_mean, mcse_mean


def _proj(total, ratio=None, conception=None, years=(2025, 2026, 2027)):
    """Handmade projection (candidate, draw, population, year) and its baseline."""
    total = np.asarray(total, dtype=float)
    _, d, p, _ = total.shape
    ratio = np.full_like(total, 0.3) if ratio is None else np.asarray(ratio, float)
    conception = np.full_like(total, 0.99) if conception is None else np.asarray(conception, float)
    ds = xr.Dataset(
        {
            "total": (("candidate", "draw", "population", "year"), total),
            "ratio": (("candidate", "draw", "population", "year"), ratio),
            "conception": (("candidate", "draw", "population", "year"), conception),
        },
        coords={
            "population": ["A"] * p if p == 1 else [f"P{i}" for i in range(p)],
            "year": list(years),
            "chain": ("draw", np.zeros(d, int)),
        },
        attrs={"start_year": years[0], "quota_years": [years[1]]},
    )
    return ds


def test_abundance_added_risk_is_paired_difference():
    # 4 draws; baseline below the limit in draw 0; export pushes draws 0 and 1 below
    base = _proj([[[[100, 50, 60]], [[100, 120, 130]], [[100, 150, 160]], [[100, 200, 210]]]])
    exp = _proj([[[[100, 40, 50]], [[100, 90, 95]], [[100, 140, 150]], [[100, 190, 200]]]])
    out = AbundanceRisk(limits={"A": 100.0}).evaluate(exp, base.isel(candidate=0))
    assert float(out["risk"].squeeze()) == 0.5
    assert float(out["baseline_risk"].squeeze()) == 0.25
    assert float(out["added_risk"].squeeze()) == 0.25
    assert float(out["decision_risk"].squeeze()) == 0.25
    assert out["fail"].squeeze().values.tolist() == [False, True, False, False]
    assert not bool(out["passes"].squeeze())
    assert out.attrs["limit"] == 0.01


def test_abundance_limit_required_for_every_population():
    base = _proj(np.ones((1, 2, 1, 3)) * 10)
    with pytest.raises(ConfigError, match="no abundance limit"):
        AbundanceRisk(limits={"B": 1.0}).evaluate(base, base.isel(candidate=0))


def test_sex_ratio_relative_and_floor():
    ratio_b = np.array([[[[0.3, 0.30, 0.3]], [[0.3, 0.21, 0.3]], [[0.3, 0.30, 0.3]]]])
    ratio_e = np.array([[[[0.3, 0.28, 0.3]], [[0.3, 0.195, 0.3]], [[0.3, 0.26, 0.3]]]])
    base = _proj(np.ones((1, 3, 1, 3)), ratio=ratio_b)
    exp = _proj(np.ones((1, 3, 1, 3)), ratio=ratio_e)
    out = SexRatioRisk().evaluate(exp, base.isel(candidate=0))
    # draw 0: 0.28/0.30 = 0.93 ok; draw 1: below floor 0.2 while baseline above; draw 2: 0.87 < 0.9
    assert out["fail"].squeeze().values.tolist() == [False, True, True]
    relaxed = SexRatioRisk(prior_driven=False).evaluate(exp, base.isel(candidate=0))
    assert relaxed["fail"].squeeze().values.tolist() == [False, False, True]


def test_sex_ratio_floor_is_added_risk_against_the_paired_baseline():
    """A draw whose no-export ratio already dips below the floor is not a floor failure.

    Draw 0: the baseline is below 0.2 at the first rut; the export (≥ 90 % of baseline
    everywhere) goes below 0.2 at the second rut as well — the old per-rut test charged
    that to the export. Draw 1: the baseline never goes below 0.2, the export does (fail).
    Draw 2: neither goes below. Absolute risks 2/3 with and 1/3 without export; the floor
    part of the decision risk is their difference, 1/3.
    """
    ratio_b = np.array([[[[0.3, 0.19, 0.215]], [[0.3, 0.21, 0.3]], [[0.3, 0.3, 0.3]]]])
    ratio_e = np.array([[[[0.3, 0.185, 0.198]], [[0.3, 0.195, 0.3]], [[0.3, 0.29, 0.3]]]])
    ratio_b = np.concatenate([ratio_b, np.full((1, 3, 1, 1), 0.3)], axis=-1)
    ratio_e = np.concatenate([ratio_e, np.full((1, 3, 1, 1), 0.3)], axis=-1)
    years = (2025, 2026, 2027, 2028)
    base = _proj(np.ones((1, 3, 1, 4)), ratio=ratio_b, years=years)
    exp = _proj(np.ones((1, 3, 1, 4)), ratio=ratio_e, years=years)
    out = SexRatioRisk().evaluate(exp, base.isel(candidate=0))
    assert out["fail"].squeeze().values.tolist() == [False, True, False]
    assert float(out["risk"].squeeze()) == pytest.approx(2 / 3)
    assert float(out["baseline_risk"].squeeze()) == pytest.approx(1 / 3)
    assert float(out["decision_risk"].squeeze()) == pytest.approx(
        float(out["added_risk"].squeeze())
    )


def test_conception_loss_is_relative_to_baseline():
    cb = np.array([[[[0.9, 0.9, 0.9]], [[0.9, 0.9, 0.9]]]])
    ce = np.array([[[[0.9, 0.89, 0.9]], [[0.9, 0.87, 0.9]]]])  # 1.1 % and 3.3 % loss
    base = _proj(np.ones((1, 2, 1, 3)), conception=cb)
    exp = _proj(np.ones((1, 2, 1, 3)), conception=ce)
    out = ConceptionRisk().evaluate(exp, base.isel(candidate=0))
    assert out["fail"].squeeze().values.tolist() == [False, True]
    # absolute mate-shortage loss (10 %) is reported, not charged to the export
    assert float(out["baseline_risk"].squeeze()) == 1.0
    assert float(out["decision_risk"].squeeze()) == 0.5


def test_growth_rate():
    t = np.array([[[[100.0, 100.0 * 1.02**1, 100.0 * 1.02**2]]]])
    base = _proj(t)
    assert bool(GrowthRate(last_years=2).evaluate(base, base.isel(candidate=0))["passes"].squeeze())
    assert not bool(
        GrowthRate(min_lambda=1.03, last_years=2)
        .evaluate(base, base.isel(candidate=0))["passes"]
        .squeeze()
    )


def test_ess_and_mcse():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 4000))
    chain = np.repeat(np.arange(4), 1000)
    ess = ess_mean(x, chain)
    assert np.all((ess > 3400) & (ess < 4600))
    # an AR(1) chain has a much smaller ESS
    y = np.zeros(4000)
    for i in range(1, 4000):
        y[i] = 0.9 * y[i - 1] + rng.normal()
    # AR(1) with φ = 0.9: ESS ≈ n (1 − φ) / (1 + φ) = 4000 × 0.1 / 1.9 ≈ 211 (analytic)
    assert 130 < float(ess_mean(y, chain)) < 320
    np.testing.assert_allclose(mcse_mean(x, chain), x.std(-1, ddof=1) / np.sqrt(ess))


def test_rhat_matches_arviz():
    from arviz_stats.base import array_stats

    from saigapop.management._mc import rhat

    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 4, 300))
    x[1] += np.arange(4)[:, None] * 0.3  # chains disagree
    ours = rhat(x.reshape(2, -1), np.repeat(np.arange(4), 300))
    np.testing.assert_allclose(ours, array_stats.rhat(x, chain_axis=1, draw_axis=2), rtol=1e-10)
    assert ours[1] > 1.01 > ours[0]
