"""Mating function and density dependence."""

import math
import warnings

import numpy as np
import pytest

from saigapop.demography import conception_probability, density_factor


def test_exponential_near_failure_at_one_male_per_100_females():
    # asserted threshold: P <= 0.2 at 1 male per 100 females with h = 20 (exact 0.1813)
    assert conception_probability(1.0, 100.0, 20.0, form="exponential") <= 0.2
    assert conception_probability(1.0, 100.0, 20.0, form="exponential") == pytest.approx(
        1 - math.exp(-0.2), abs=1e-15
    )


def test_exponential_near_full_at_15_males_per_100_females_default_h():
    # default harem size (constants.DEFAULT_HAREM_SIZE = 20): P = 1 - exp(-3) = 0.9502
    assert conception_probability(15.0, 100.0, form="exponential") >= 0.95


@pytest.mark.parametrize(
    ("h", "at_1", "at_15"),
    [(12.0, 0.113, 0.835), (20.0, 0.181, 0.950), (30.0, 0.259, 0.989)],
)
def test_docstring_table_is_honest(h, at_1, at_15):
    assert conception_probability(1.0, 100.0, h, form="exponential") == pytest.approx(
        at_1, abs=5e-4
    )
    assert conception_probability(15.0, 100.0, h, form="exponential") == pytest.approx(
        at_15, abs=5e-4
    )


@pytest.mark.parametrize("form", ["normalised_hill", "exponential", "hill", "sigmoid"])
def test_monotone_and_zero_without_males_or_females(form):
    ratios = np.linspace(0.0, 1.0, 2001)
    p = conception_probability(ratios, 1.0, 20.0, form=form)
    assert p[0] == 0.0
    assert np.all(np.diff(p) >= 0)
    assert np.all((p >= 0) & (p <= 1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = conception_probability([0.0, 10.0, 0.0], [100.0, 0.0, 0.0], form=form)
    np.testing.assert_array_equal(out, 0.0)


@pytest.mark.parametrize("half_share", [0.01, 0.03])
def test_hill_is_one_half_at_the_stated_male_share(half_share):
    males, females = half_share, 1 - half_share  # male share M / (M + F)
    p = conception_probability(males, females, form="hill", half_share=half_share, steepness=4)
    assert p == pytest.approx(0.5, abs=1e-12)
    # collapse at 3 % males puts 1 % males deep in failure
    if half_share == 0.03:
        assert conception_probability(1.0, 100.0, form="hill", half_share=0.03) < 0.05


def test_mating_rejects_bad_inputs():
    with pytest.raises(ValueError, match="males"):
        conception_probability(-1.0, 10.0)
    with pytest.raises(ValueError, match="harem_size"):
        conception_probability(1.0, 10.0, 0.0, form="exponential")
    with pytest.raises(ValueError, match="reference_ratio"):
        conception_probability(1.0, 10.0, reference_ratio=0.0)
    with pytest.raises(ValueError, match="half_share"):
        conception_probability(1.0, 10.0, form="hill", half_share=1.5)
    with pytest.raises(ValueError, match="form"):
        conception_probability(1.0, 10.0, form="logistic")


FORMS = ["none", "beverton_holt", "ricker", "theta_logistic"]


@pytest.mark.parametrize("form", FORMS)
def test_density_factor_is_one_at_zero_and_non_increasing(form):
    n = np.linspace(0.0, 3e6, 3001)
    d = density_factor(n, form=form, carrying_capacity=1e6, strength=1.5)
    assert d[0] == 1.0
    assert density_factor(1e-9, form=form, carrying_capacity=1e6) == pytest.approx(1.0, abs=1e-14)
    assert np.all(np.diff(d) <= 0)
    assert np.all((d >= 0) & (d <= 1))
    if form != "none":
        assert d[-1] < d[0]


def test_density_factor_reference_values():
    k = 2.5e5
    assert density_factor(k, form="beverton_holt", carrying_capacity=k) == pytest.approx(0.5)
    assert density_factor(k / 2, form="beverton_holt", carrying_capacity=k) == pytest.approx(2 / 3)
    assert density_factor(k, form="beverton_holt", carrying_capacity=k, strength=3.0) == (
        pytest.approx(0.25)
    )
    assert density_factor(k / 2, form="ricker", carrying_capacity=k) == pytest.approx(
        math.exp(-0.5)
    )
    assert density_factor(k, form="ricker", carrying_capacity=k, strength=2.0) == pytest.approx(
        math.exp(-2.0)
    )
    assert density_factor(k, form="theta_logistic", carrying_capacity=k, strength=2.0) == 0.0
    assert density_factor(k / 2, form="theta_logistic", carrying_capacity=k, strength=2.0) == (
        pytest.approx(0.75)
    )
    assert density_factor(5 * k, form="theta_logistic", carrying_capacity=k) == 0.0
    assert density_factor(1e9, form="ricker") == 1.0  # K = inf disables
    d = density_factor([[1.0], [2e5]], form="ricker", carrying_capacity=[1e5, 1e6])
    assert d.shape == (2, 2)


def test_density_factor_rejects_bad_settings():
    with pytest.raises(ValueError, match="form"):
        density_factor(1.0, form="logistic")
    with pytest.raises(ValueError, match="carrying_capacity"):
        density_factor(1.0, form="ricker", carrying_capacity=0.0)
    with pytest.raises(ValueError, match="total"):
        density_factor(-1.0, form="ricker", carrying_capacity=1.0)
