"""Matrix analysis against published values (popbio `whale`), closed forms and scipy."""

import math

import numpy as np
import pytest
import scipy.linalg

from saigapop.demography import (
    VitalRates,
    damping_ratio,
    elasticity,
    female_matrix,
    generation_time,
    lambda_,
    net_reproductive_rate,
    reproductive_value,
    sensitivity,
    split_first_row,
    stable_stage,
    two_sex_linearised_matrix,
)

# Killer whale (Caswell 2001; R package popbio, data `whale`): yearling, juvenile, mature,
# postreproductive.
WHALE = np.array(
    [
        [0.0, 0.0043, 0.1132, 0.0],
        [0.9775, 0.9111, 0.0, 0.0],
        [0.0, 0.0736, 0.9534, 0.0],
        [0.0, 0.0, 0.0452, 0.9804],
    ]
)
WHALE_LAMBDA = 1.025441  # popbio: lambda(whale)
WHALE_W = np.array([0.0370, 0.3161, 0.3229, 0.3240])  # popbio: stable.stage(whale), 4 d.p.


def test_whale_lambda_and_stable_stage_match_popbio():
    assert lambda_(WHALE) == pytest.approx(WHALE_LAMBDA, abs=1e-6)
    np.testing.assert_allclose(stable_stage(WHALE), WHALE_W, atol=1e-4)


def test_whale_eigen_results_match_scipy_independently():
    values, left, right = scipy.linalg.eig(WHALE, left=True, right=True)
    k = np.argmax(np.abs(values))
    w = np.abs(right[:, k].real)
    w /= w.sum()
    v = np.abs(left[:, k].real)
    v /= v[0]
    assert lambda_(WHALE) == pytest.approx(values[k].real, abs=1e-12)
    np.testing.assert_allclose(stable_stage(WHALE), w, atol=1e-12)
    np.testing.assert_allclose(reproductive_value(WHALE), v, atol=1e-12)
    second = np.sort(np.abs(values))[-2]
    assert damping_ratio(WHALE) == pytest.approx(values[k].real / second, rel=1e-12)


def test_whale_sensitivity_is_the_derivative_of_lambda():
    s = sensitivity(WHALE)
    eps = 1e-7
    for i in range(4):
        for j in range(4):
            up, down = WHALE.copy(), WHALE.copy()
            up[i, j] += eps
            down[i, j] -= eps
            fd = (lambda_(up) - lambda_(down)) / (2 * eps)
            assert s[i, j] == pytest.approx(fd, abs=1e-7), (i, j)


def test_whale_elasticities_sum_to_one_and_vanish_on_zeros():
    e = elasticity(WHALE)
    assert e.sum() == pytest.approx(1.0, abs=1e-12)
    assert np.all(e[WHALE == 0] == 0)
    # elasticity is d log(lambda) / d log(a_ij): check one entry by finite difference
    up = WHALE.copy()
    up[2, 2] *= 1 + 1e-7
    fd = (math.log(lambda_(up)) - math.log(lambda_(WHALE))) / math.log1p(1e-7)
    assert e[2, 2] == pytest.approx(fd, abs=1e-6)


def test_net_reproductive_rate_equals_series_and_generation_time_definition():
    T, F = split_first_row(WHALE)
    np.testing.assert_array_equal(F[1:], 0)
    np.testing.assert_array_equal(T[0], 0)
    # independent: R0 = spectral radius of F * sum_k T^k (truncated Neumann series)
    total, power = np.zeros((4, 4)), np.eye(4)
    for _ in range(20_000):
        total += power
        power = power @ T
    r0_series = max(abs(np.linalg.eigvals(F @ total)))
    assert net_reproductive_rate(WHALE) == pytest.approx(r0_series, rel=1e-9)
    assert net_reproductive_rate(transitions=T, fertility=F) == pytest.approx(r0_series, rel=1e-9)
    assert net_reproductive_rate(WHALE, fertility=F) == pytest.approx(r0_series, rel=1e-9)
    lam = max(abs(scipy.linalg.eigvals(WHALE)))
    expected_gt = math.log(r0_series) / math.log(lam)
    assert generation_time(WHALE) == pytest.approx(expected_gt, rel=1e-9)


def test_net_reproductive_rate_rejects_non_transient_T():
    with pytest.raises(ValueError, match="spectral radius"):
        net_reproductive_rate(transitions=np.eye(2), fertility=np.zeros((2, 2)))


def test_matrix_functions_vectorise_over_leading_axes():
    rng = np.random.default_rng(1)
    stack = rng.uniform(0.0, 1.0, size=(5, 3, 4, 4))
    lam = lambda_(stack)
    w = stable_stage(stack)
    v = reproductive_value(stack)
    s = sensitivity(stack)
    dr = damping_ratio(stack)
    assert lam.shape == (5, 3)
    assert w.shape == v.shape == (5, 3, 4)
    for idx in np.ndindex(5, 3):
        assert lam[idx] == pytest.approx(lambda_(stack[idx]), rel=1e-12)
        np.testing.assert_allclose(w[idx], stable_stage(stack[idx]), rtol=1e-10)
        np.testing.assert_allclose(v[idx], reproductive_value(stack[idx]), rtol=1e-10)
        np.testing.assert_allclose(s[idx], sensitivity(stack[idx]), rtol=1e-10)
        assert dr[idx] == pytest.approx(damping_ratio(stack[idx]), rel=1e-10)
    np.testing.assert_allclose(w.sum(-1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(elasticity(stack).sum((-2, -1)), 1.0, rtol=1e-10)


def test_saiga_female_matrix_maximum_lambda_closed_form():
    # Kühl et al. (2009) rates, perfect survival, P = 1: A = [[a, b], [1, 1]]
    a = 0.5 * 0.774 * (1 + 0.117)
    b = 0.5 * 0.946 * (1 + 0.726)
    closed = ((a + 1) + math.sqrt((a + 1) ** 2 - 4 * (a - b))) / 2
    assert closed == pytest.approx(1.663, abs=1e-3)
    rates = VitalRates.kuhl_2009(survival=np.ones((2, 3)))
    A = female_matrix(rates, conception=1.0)
    np.testing.assert_allclose(A, [[a, b], [1.0, 1.0]], rtol=1e-15)
    assert lambda_(A) == pytest.approx(closed, abs=1e-12)
    assert lambda_(A) == pytest.approx(1.663, abs=1e-3)
    # the 4x4 two-sex matrix at P = 1 has the same lambda
    A4 = two_sex_linearised_matrix(rates, conception=1.0)
    assert lambda_(A4) == pytest.approx(closed, abs=1e-12)


def test_two_sex_matrix_structure_and_mating_ratio():
    surv = np.array([[0.6, 0.85, 0.9], [0.55, 0.8, 0.7]])
    rates = VitalRates.kuhl_2009(survival=surv, harem_size=20.0, mating_form="exponential")
    A = two_sex_linearised_matrix(rates, males_per_female=0.05)
    p = 1 - math.exp(-20 * 0.05)
    b = np.array([0.774 * 1.117, 0.946 * 1.726])
    np.testing.assert_allclose(A[0, :2], 0.5 * 0.6 * p * b, rtol=1e-14)
    np.testing.assert_allclose(A[2, :2], 0.5 * 0.55 * p * b, rtol=1e-14)
    np.testing.assert_allclose(A[1], [0.85, 0.9, 0, 0])
    np.testing.assert_allclose(A[3], [0, 0, 0.8, 0.7])
    assert np.all(A[[0, 2]][:, 2:] == 0)
    assert lambda_(A) == pytest.approx(lambda_(female_matrix(rates, conception=p)), rel=1e-12)
    with pytest.raises(ValueError, match="exactly one"):
        two_sex_linearised_matrix(rates)
