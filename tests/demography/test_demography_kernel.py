"""The annual-cycle kernel: hand-computed one-step cases and the removal semantics."""

from __future__ import annotations

import math

import numpy as np
import pytest

from saigapop.demography import VitalRates, kernel, step
from saigapop.demography._xp import NUMPY_OPS


def _one_step(**kw):
    args = dict(
        births_per_female=(1.0, 2.0),
        survival=[[0.5] * 3, [0.5] * 3],
        mating=kernel.Mating("exponential", harem_size=20.0),
        calving_survival=[[1.0, 1.0, 0.9], [1.0, 1.0, 1.0]],
        poaching={(1, 2): 0.1},
        removals={(1, 2): 20.0, (0, 0): 10.0},
    )
    args.update(kw)
    return kernel.step([[100.0, 300.0], [60.0, 90.0]], 0.95, **args)


def test_one_step_by_hand():
    out = _one_step()
    # births 0.95 (100 * 1 + 300 * 2) = 665, half female; 10 % of adult females die at calving
    assert out.births == pytest.approx(665.0, rel=1e-15)
    assert out.after_calving[0] == pytest.approx([332.5, 100.0, 270.0], rel=1e-15)
    # poaching first: 10 % of the 90 adult males; then 20 adult males and 10 female calves
    assert out.poached[(1, 2)] == pytest.approx(9.0, rel=1e-15)
    assert out.at_removal[1][2] == pytest.approx(81.0, rel=1e-15)
    assert out.at_rut[1][2] == pytest.approx(61.0, rel=1e-15)
    assert out.at_rut[0][0] == pytest.approx(322.5, rel=1e-15)
    females = 322.5 + 100.0 + 270.0
    assert float(out.breeding_females) == pytest.approx(females, rel=1e-15)
    assert float(out.conception) == pytest.approx(1.0 - math.exp(-20.0 * 61.0 / females), 1e-14)
    # winter: half of every class; calves become yearlings, yearlings join the adults
    assert np.asarray(out.census, dtype=float) == pytest.approx(
        np.array([[161.25, 185.0], [166.25, 60.5]]), rel=1e-15
    )


def test_density_factor_scales_births_and_density_spec_uses_the_census_total():
    k = 1000.0
    out = _one_step(density=kernel.Density(form="beverton_holt", carrying_capacity=k))
    total = 100.0 + 300.0 + 60.0 + 90.0
    assert float(out.density_factor) == pytest.approx(1.0 / (1.0 + total / k), rel=1e-15)
    assert float(out.births) == pytest.approx(665.0 / (1.0 + total / k), rel=1e-14)


def test_poaching_is_taken_first_and_numeric_removals_meet_what_is_left():
    """100 adult males, 20 % poached, 50 export + 50 cull asked: 80 remain, both get 40."""
    x, poached = kernel.poach([[0.0] * 3, [0.0, 0.0, 100.0]], {(1, 2): 0.2})
    x, asked, taken = kernel.remove(x, [{(1, 2): 50.0}, {(1, 2): 50.0}])
    assert poached[(1, 2)] == 20.0
    assert asked[(1, 2)] == 100.0
    assert float(taken[(1, 2)]) == 80.0
    assert float(x[1][2]) == 0.0


def test_removal_cap_fraction_and_callable_requests():
    seen = []

    def request(x):
        seen.append(x[1][2])
        return {(1, 2): 0.5 * x[1][2]}

    x, asked, taken = kernel.remove(
        [[1.0, 1.0, 1.0], [1.0, 1.0, 40.0]], [request, {(1, 2): 30.0}], max_fraction=0.95
    )
    assert seen == [40.0]  # the callable sees the classes when the removals happen
    assert asked[(1, 2)] == 50.0
    assert float(taken[(1, 2)]) == pytest.approx(38.0)
    assert float(x[1][2]) == pytest.approx(2.0)


def test_no_females_means_no_conception_and_an_infinite_ratio():
    p, r, m, f = kernel.breeding([[0.0, 0.0, 0.0], [0.0, 5.0, 10.0]], kernel.Mating())
    assert float(p) == 0.0
    assert float(r) == np.inf
    assert m == 10.0
    assert f == 0.0
    p, r, *_ = kernel.breeding([[0.0] * 3, [0.0] * 3], kernel.Mating(form="hill"))
    assert float(p) == 0.0
    assert float(r) == 0.0


def test_kernel_on_arrays_equals_the_validated_step_element_by_element():
    rng = np.random.default_rng(3)
    state = rng.uniform(10, 1000, (4, 2, 2))
    rates = VitalRates.kuhl_2009(survival=rng.uniform(0.3, 0.95, (4, 2, 3)))
    removals = rng.uniform(0, 5, (4, 2, 3))
    ref = step(state, 0.9, rates, removals)
    bpf = rates.fecundity * (1 + rates.twinning)
    for i in range(4):
        out = kernel.step(
            [[state[i, s, a] for a in range(2)] for s in range(2)],
            0.9,
            births_per_female=(bpf[0], bpf[1]),
            survival=rates.survival[i],
            mating=kernel.Mating(),  # the default form on both sides
            removals={(s, a): removals[i, s, a] for s in range(2) for a in range(3)},
            ops=NUMPY_OPS,
        )
        np.testing.assert_allclose(np.asarray(out.census, dtype=float), ref.state[i], rtol=1e-15)
        np.testing.assert_allclose(float(out.conception), ref.conception[i], rtol=1e-15)
