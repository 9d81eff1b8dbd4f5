"""The default mating function from evidence (issue 16): normalised Hill curve."""

import math

import numpy as np
import pytest

from saigapop.constants import (
    DEFAULT_MATING_FORM,
    DEFAULT_MATING_HALF_SHARE,
    DEFAULT_MATING_REFERENCE_RATIO,
    DEFAULT_MATING_STEEPNESS,
)
from saigapop.demography import VitalRates, conception_probability, kernel


def _by_hand(r, s50, k, r_ref):
    """The formula written out with math (no numpy, no shared code)."""
    if r == 0.0:
        return 0.0
    r50 = s50 / (1.0 - s50)
    hill = 1.0 / (1.0 + (r50 / r) ** k)
    hill_ref = 1.0 / (1.0 + (r50 / r_ref) ** k)
    return min(1.0, hill / hill_ref)


def test_default_is_the_normalised_hill_at_the_prior_medians():
    assert DEFAULT_MATING_FORM == "normalised_hill"
    m = kernel.Mating()
    assert m.form == "normalised_hill"
    assert (m.half_share, m.steepness, m.reference_ratio) == (0.008, 3.0, 0.15)
    assert m.steepness == DEFAULT_MATING_STEEPNESS
    assert VitalRates.kuhl_2009(survival=np.ones((2, 3))).mating_form == "normalised_hill"


def test_conception_is_one_at_and_above_the_reference_ratio():
    r_ref = DEFAULT_MATING_REFERENCE_RATIO
    assert conception_probability(r_ref, 1.0) == 1.0
    assert np.all(conception_probability(np.array([0.2, 0.5, 1.0, 10.0]), 1.0) == 1.0)
    # the un-normalised curve is already ≥ 0.99 at r_ref (so the min is a negligible kink):
    # 1 / (1 + (0.008/0.992 / 0.15)^3) = 0.99984
    r50 = 0.008 / 0.992
    assert 1.0 / (1.0 + (r50 / r_ref) ** 3) == pytest.approx(0.99984, abs=1e-5)
    hill = conception_probability(r_ref, 1.0, form="hill", half_share=0.008)
    assert hill == pytest.approx(0.99984, abs=1e-5)


def test_collapse_at_the_one_per_cent_point():
    # Hill midpoint: at r = r50 the curve is 1/2, divided by H(r_ref) = 0.99984
    r50 = DEFAULT_MATING_HALF_SHARE / (1 - DEFAULT_MATING_HALF_SHARE)
    h_ref = 1.0 / (1.0 + (r50 / DEFAULT_MATING_REFERENCE_RATIO) ** 3)
    assert conception_probability(r50, 1.0) == pytest.approx(0.5 / h_ref, rel=1e-12)
    # 1 adult male per 99 females (1 % males): 1 / (1 + (r50 * 99)^3) / H(r_ref) = 0.663
    p1 = conception_probability(1.0, 99.0)
    assert p1 == pytest.approx(1.0 / (1.0 + (r50 * 99) ** 3) / h_ref, rel=1e-12)
    assert p1 == pytest.approx(0.663, abs=5e-4)
    # and the pessimistic trial's collapse at 3 %: P(3 % males) = 1/2 / H(r_ref)
    p3 = conception_probability(3.0, 97.0, half_share=0.03)
    assert p3 == pytest.approx(0.5 / (1.0 / (1.0 + (0.03 / 0.97 / 0.15) ** 3)), rel=1e-12)


def test_no_mate_limitation_at_kalmykia_2022_ratios():
    """Record recruitment at M/F 0.17–0.36 (docs/annual_cycle.md): P = 1 at every prior draw."""
    rng = np.random.default_rng(0)
    s50 = rng.uniform(0.004, 0.015, 500)
    k = rng.uniform(1.5, 6.0, 500)
    r_ref = rng.uniform(0.05, 0.17, 500)
    p = conception_probability(0.17, 1.0, half_share=s50, steepness=k, reference_ratio=r_ref)
    np.testing.assert_array_equal(p, 1.0)
    # the former default (exponential, h 12–30) was mate-limited there
    assert conception_probability(0.17, 1.0, 12.0, form="exponential") < 0.9


def test_monotone_bounded_and_zero_without_males():
    rng = np.random.default_rng(1)
    r = np.concatenate([[0.0], np.geomspace(1e-5, 10.0, 4000)])
    for _ in range(20):
        s50, k, r_ref = rng.uniform(0.002, 0.05), rng.uniform(1.0, 8.0), rng.uniform(0.03, 0.6)
        p = conception_probability(r, 1.0, half_share=s50, steepness=k, reference_ratio=r_ref)
        assert p[0] == 0.0
        assert np.all(np.diff(p) >= 0.0)
        assert np.all((p >= 0.0) & (p <= 1.0))
        assert np.all(p[r >= r_ref] == 1.0)


def test_vectorised_equals_a_plain_loop():
    rng = np.random.default_rng(2)
    n = 300
    males = rng.uniform(0.0, 30.0, n)
    males[:5] = 0.0
    females = rng.uniform(50.0, 150.0, n)
    s50 = rng.uniform(0.003, 0.04, n)
    k = rng.uniform(1.5, 5.0, n)
    r_ref = rng.uniform(0.05, 0.4, n)
    vec = conception_probability(males, females, half_share=s50, steepness=k, reference_ratio=r_ref)
    loop = [_by_hand(males[i] / females[i], s50[i], k[i], r_ref[i]) for i in range(n)]
    np.testing.assert_allclose(vec, loop, rtol=1e-13, atol=0.0)


def test_kernel_breeding_uses_the_form_and_yearling_weight():
    x = [[40.0, 30.0, 30.0], [40.0, 10.0, 0.5]]  # 0.5 adult males + w * 10 yearlings
    for w in (0.0, 0.2):
        p, _r, m, f = kernel.breeding(x, kernel.Mating(yearling_male_weight=w))
        assert m == pytest.approx(0.5 + 10.0 * w)
        assert f == 100.0
        assert float(p) == pytest.approx(_by_hand(m / f, 0.008, 3.0, 0.15), rel=1e-13)
    assert math.isclose(
        float(kernel.breeding(x, kernel.Mating())[0]), _by_hand(0.005, 0.008, 3.0, 0.15)
    )


def test_rejects_bad_reference_ratio_and_unknown_form():
    with pytest.raises(ValueError, match="reference_ratio must be positive"):
        conception_probability(1.0, 10.0, reference_ratio=-0.1)
    with pytest.raises(ValueError, match="normalised_hill"):
        conception_probability(1.0, 10.0, form="harem")
    with pytest.raises(ValueError, match="mating_reference_ratio"):
        VitalRates.kuhl_2009(survival=np.ones((2, 3)), mating_reference_ratio=0.0)
