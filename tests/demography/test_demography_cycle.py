"""Annual cycle: a plain scalar loop, conservation, removals, long-run growth vs the matrix."""

import math

import numpy as np
import pytest

from saigapop.demography import (
    VitalRates,
    apply_removals,
    calving,
    female_matrix,
    lambda_,
    mass_mortality_fractions,
    project,
    rut,
    stable_stage,
    step,
    two_sex_linearised_matrix,
    winter,
)

DRAWS, POPS, YEARS = 50, 3, 12


def scalar_projection(state, conc, rate_list, removals, mortality, form, i, j):
    """Independent, plain-Python version of the cycle for draw i, population j.

    Returns per-year (census total by class, conception, shortfall) as nested lists.
    """
    fy, fa = float(state[i, j, 0, 0]), float(state[i, j, 0, 1])
    my, ma = float(state[i, j, 1, 0]), float(state[i, j, 1, 1])
    p_prev = float(conc[i, j])
    census, conceptions, shortfalls = [[fy, fa, my, ma]], [], []
    for t, r in enumerate(rate_list):
        s = r.survival[i, j]
        fec_y, fec_a = r.fecundity[i, j]
        tw_y, tw_a = r.twinning[i, j]
        rho = float(r.birth_sex_ratio[i, j])
        h = float(r.harem_size[i, j])
        w = float(r.yearling_male_weight[i, j])
        k = float(r.carrying_capacity[i, j])
        b = float(r.density_strength)
        n_total = fy + fa + my + ma
        dd = math.exp(-b * n_total / k)  # Ricker
        births = p_prev * dd * (fy * fec_y * (1 + tw_y) + fa * fec_a * (1 + tw_a))
        x = [[rho * births, fy, fa], [(1 - rho) * births, my, ma]]
        for sex in range(2):
            for age in range(3):
                x[sex][age] -= x[sex][age] * mortality[i, j, t, sex, age]
        short = []
        for sex in range(2):
            for age in range(3):
                asked = removals[i, j, t, sex, age]
                taken = asked if asked <= x[sex][age] else x[sex][age]
                short.append(asked - taken)
                x[sex][age] -= taken
        females = x[0][0] + x[0][1] + x[0][2]
        males = x[1][2] + w * x[1][1]
        if females <= 0:
            p = 0.0
        elif form == "exponential":
            p = 1 - math.exp(-h * males / females)
        else:  # hill with half share s50 and exponent k
            s50, kk = float(r.mating_half_share), float(r.mating_steepness)
            ratio = males / females
            p = 0.0 if ratio == 0 else 1 / (1 + ((s50 / (1 - s50)) / ratio) ** kk)
        fy, fa = s[0, 0] * x[0][0], s[0, 1] * x[0][1] + s[0, 2] * x[0][2]
        my, ma = s[1, 0] * x[1][0], s[1, 1] * x[1][1] + s[1, 2] * x[1][2]
        p_prev = p
        census.append([fy, fa, my, ma])
        conceptions.append(p)
        shortfalls.append(short)
    return census, conceptions, shortfalls


def random_inputs(rng, form):
    shape = (DRAWS, POPS)
    state = rng.uniform(1e3, 1e5, size=(*shape, 2, 2))
    conc = rng.uniform(0.5, 1.0, size=shape)
    rate_list = []
    for _ in range(YEARS):
        rate_list.append(
            VitalRates(
                survival=rng.uniform(0.3, 0.95, size=(*shape, 2, 3)),
                fecundity=rng.uniform(0.5, 1.0, size=(*shape, 2)),
                twinning=rng.uniform(0.0, 0.8, size=(*shape, 2)),
                birth_sex_ratio=rng.uniform(0.45, 0.55, size=shape),
                harem_size=rng.uniform(12, 30, size=shape),
                yearling_male_weight=rng.uniform(0, 0.5, size=shape),
                mating_form=form,
                mating_half_share=0.02,
                mating_steepness=2.5,
                density_form="ricker",
                carrying_capacity=rng.uniform(2e5, 2e6, size=shape),
                density_strength=0.7,
            )
        )
    # removals: mostly feasible, with some classes asked for more than they hold
    removals = rng.uniform(0, 3e4, size=(*shape, YEARS, 2, 3))
    mortality = np.zeros((*shape, YEARS, 2, 3))
    mortality[:, :, 4] = mass_mortality_fractions(  # a die-off in the fifth year
        females=rng.uniform(0, 0.6, size=shape), calves=rng.uniform(0, 0.9, size=shape), males=0.1
    )
    return state, conc, rate_list, removals, mortality


@pytest.mark.parametrize("form", ["exponential", "hill"])
def test_vectorised_projection_equals_plain_loop(form):
    rng = np.random.default_rng(20251128)
    state, conc, rate_list, removals, mortality = random_inputs(rng, form)
    out = project(
        state, conc, rate_list, YEARS, removals, mass_mortality=mortality, on_excess="cap"
    )
    assert out.census.shape == (DRAWS, POPS, YEARS + 1, 2, 2)
    assert out.conception.shape == (DRAWS, POPS, YEARS)
    assert out.shortfall.shape == (DRAWS, POPS, YEARS, 2, 3)
    assert out.shortfall.max() > 0  # the cap was exercised
    for i in range(DRAWS):
        for j in range(POPS):
            census, conceptions, shortfalls = scalar_projection(
                state, conc, rate_list, removals, mortality, form, i, j
            )
            np.testing.assert_allclose(
                out.census[i, j].reshape(YEARS + 1, 4), census, rtol=1e-10, atol=1e-10
            )
            np.testing.assert_allclose(out.conception[i, j], conceptions, rtol=1e-10, atol=1e-12)
            np.testing.assert_allclose(
                out.shortfall[i, j].reshape(YEARS, 6), shortfalls, rtol=1e-10, atol=1e-6
            )


def test_conservation_through_one_year():
    rng = np.random.default_rng(7)
    rates = VitalRates.kuhl_2009(
        survival=rng.uniform(0.4, 0.95, size=(10, 2, 3)),
        harem_size=20.0,
        density_form="beverton_holt",
        carrying_capacity=5e5,
    )
    state = rng.uniform(1e4, 1e5, size=(10, 2, 2))
    removals = rng.uniform(0, 5e3, size=(10, 2, 3))
    mortality = mass_mortality_fractions(females=0.3, calves=0.5, males=0.05)
    out = step(state, 0.9, rates, removals, mass_mortality=mortality)
    assert out.removed.sum() > 0
    assert out.calving_deaths.sum() > 0
    assert out.winter_deaths.sum() > 0
    np.testing.assert_array_equal(out.shortfall, 0)
    # per sex: census + births - removed - calving deaths - winter deaths = next census
    inflow = state.sum(-1) + out.births
    outflow = (out.removed + out.calving_deaths + out.winter_deaths).sum(-1)
    np.testing.assert_allclose(inflow - outflow, out.state.sum(-1), rtol=1e-13)
    # per class: calves become yearlings, yearlings + adults become adults
    calf_left = out.births - (out.removed + out.calving_deaths + out.winter_deaths)[..., 0]
    np.testing.assert_allclose(calf_left, out.state[..., 0], rtol=1e-12)
    old = state - (out.removed + out.calving_deaths + out.winter_deaths)[..., 1:]
    np.testing.assert_allclose(old.sum(-1), out.state[..., 1], rtol=1e-13)
    # each step on its own balances exactly as well
    born = calving(state, 0.9, rates, mass_mortality=mortality, density_factor=out.density_factor)
    np.testing.assert_allclose(born.births, out.births, rtol=1e-15)
    before = np.concatenate([born.births[..., None], state], axis=-1)
    np.testing.assert_allclose(born.population + born.deaths, before, rtol=1e-15)
    removed = apply_removals(born.population, removals)
    np.testing.assert_array_equal(removed.population + removed.taken, born.population)
    wintered = winter(removed.population, rates)
    np.testing.assert_allclose(
        wintered.state.sum(-1) + wintered.deaths.sum(-1),
        removed.population.sum(-1),
        rtol=1e-15,
    )


def test_calving_equation():
    rates = VitalRates.kuhl_2009(survival=np.ones((2, 3)), birth_sex_ratio=0.5)
    state = np.array([[200.0, 800.0], [50.0, 150.0]])
    out = calving(state, 0.8, rates, density_factor=0.9)
    births = 0.8 * 0.9 * (200 * 0.774 * 1.117 + 800 * 0.946 * 1.726)
    np.testing.assert_allclose(out.births, [births / 2, births / 2], rtol=1e-15)
    die_off = mass_mortality_fractions(females=0.6, calves=0.9)
    hit = calving(state, 0.8, rates, density_factor=0.9, mass_mortality=die_off)
    np.testing.assert_allclose(hit.population[0], [0.1 * births / 2, 80.0, 320.0], rtol=1e-14)
    np.testing.assert_allclose(hit.population[1], [0.1 * births / 2, 50.0, 150.0], rtol=1e-14)


def test_rut_counts_female_calves_and_weighted_yearling_males():
    rates = VitalRates.kuhl_2009(
        survival=np.ones((2, 3)), yearling_male_weight=0.5, mating_form="exponential"
    )
    pop = np.array([[400.0, 300.0, 300.0], [400.0, 40.0, 10.0]])
    out = rut(pop, rates)
    assert out.breeding_females == 1000.0
    assert out.breeding_males == 30.0
    assert out.conception == pytest.approx(1 - math.exp(-20 * 0.03))


def test_removals_exceeding_a_class_raise_naming_it():
    pop = np.ones((4, 2, 3)) * 100.0
    removals = np.zeros((4, 2, 3))
    removals[2, 1, 2] = 150.0
    with pytest.raises(ValueError, match=r"male adult class .*asked 150, available 100"):
        apply_removals(pop, removals)
    removals[2, 1, 2] = 0.0
    removals[0, 0, 0] = 101.0
    with pytest.raises(ValueError, match="female calf class"):
        apply_removals(pop, removals)
    with pytest.raises(ValueError, match="non-negative"):
        apply_removals(pop, -removals)
    with pytest.raises(ValueError, match="on_excess"):
        apply_removals(pop, removals, on_excess="ignore")


def test_removals_cap_returns_the_shortfall():
    pop = np.array([[10.0, 20.0, 30.0], [10.0, 20.0, 30.0]])
    asked = np.array([[5.0, 25.0, 30.0], [0.0, 0.0, 45.0]])
    out = apply_removals(pop, asked, on_excess="cap")
    np.testing.assert_array_equal(out.taken, [[5, 20, 30], [0, 0, 30]])
    np.testing.assert_array_equal(out.shortfall, [[0, 5, 0], [0, 0, 15]])
    np.testing.assert_array_equal(out.population, [[5, 0, 0], [10, 20, 0]])
    assert np.all(out.population >= 0)
    # through step and project the shortfall is carried, never silent
    rates = VitalRates.kuhl_2009(survival=np.full((2, 3), 0.8))
    res = step([[20.0, 30.0], [20.0, 30.0]], 0.0, rates, asked, on_excess="cap")
    np.testing.assert_array_equal(res.shortfall, [[5, 5, 0], [0, 0, 15]])
    with pytest.raises(ValueError, match="exceed"):
        step([[20.0, 30.0], [20.0, 30.0]], 0.0, rates, asked)
    with pytest.raises(
        ValueError,
        match="year index 0: removals exceed the female calf class: asked 5, available 0",
    ):
        project([[20.0, 30.0], [20.0, 30.0]], 0.0, rates, 2, asked[None])
    capped = project([[20.0, 30.0], [20.0, 30.0]], 0.0, rates, 2, asked[None], on_excess="cap")
    np.testing.assert_array_equal(capped.shortfall[0], res.shortfall)


def test_long_run_growth_matches_linearised_two_sex_matrix():
    surv = np.array([[0.6, 0.85, 0.9], [0.55, 0.8, 0.7]])
    rates = VitalRates.kuhl_2009(survival=surv, harem_size=20.0, yearling_male_weight=0.3)
    out = project([[1000.0, 5000.0], [800.0, 300.0]], 0.7, rates, 200)
    totals = out.census.sum((-2, -1))
    growth = totals[-1] / totals[-2]
    ratio = out.breeding_males[-1] / out.breeding_females[-1]
    A = two_sex_linearised_matrix(rates, males_per_female=ratio)
    assert growth == pytest.approx(lambda_(A), abs=1e-6)
    assert out.conception[-1] == pytest.approx(out.conception[-2], abs=1e-10)
    structure = out.census[-1].reshape(4) / totals[-1]
    np.testing.assert_allclose(structure, stable_stage(A), atol=1e-6)


def test_project_input_checks():
    rates = VitalRates.kuhl_2009(survival=np.full((2, 3), 0.8))
    with pytest.raises(ValueError, match="years"):
        project(np.ones((2, 2)), 1.0, rates, 0)
    with pytest.raises(ValueError, match="year axis"):
        project(np.ones((2, 2)), 1.0, rates, 3, np.zeros((2, 2, 3)))
    with pytest.raises(ValueError, match="expected years=3"):
        project(np.ones((2, 2)), 1.0, [rates, rates], 3)
    with pytest.raises(ValueError, match="state"):
        project(-np.ones((2, 2)), 1.0, rates, 3)


def test_one_year_of_the_cycle_is_the_linearised_matrix_at_the_previous_conception():
    rng = np.random.default_rng(11)
    rates = VitalRates(
        survival=rng.uniform(0.3, 0.95, size=(20, 2, 3)),
        fecundity=rng.uniform(0.5, 1.0, size=(20, 2)),
        twinning=rng.uniform(0.0, 0.8, size=(20, 2)),
        birth_sex_ratio=rng.uniform(0.4, 0.6, size=20),
    )
    state = rng.uniform(1e3, 1e5, size=(20, 2, 2))
    p_prev = rng.uniform(0.2, 1.0, size=20)
    out = step(state, p_prev, rates)
    A4 = two_sex_linearised_matrix(rates, conception=p_prev)
    expected = np.einsum("...ij,...j->...i", A4, state.reshape(20, 4))
    np.testing.assert_allclose(out.state.reshape(20, 4), expected, rtol=1e-13)
    Af = female_matrix(rates, conception=p_prev)
    np.testing.assert_allclose(out.state[:, 0], np.einsum("...ij,...j->...i", Af, state[:, 0]))


def test_project_record_keeps_only_requested_flows():
    rates = VitalRates.kuhl_2009(survival=np.full((2, 3), 0.8))
    full = project([[100.0, 300.0], [60.0, 90.0]], 0.9, rates, 4)
    some = project([[100.0, 300.0], [60.0, 90.0]], 0.9, rates, 4, record=["breeding_males"])
    np.testing.assert_array_equal(some.census, full.census)
    np.testing.assert_array_equal(some.breeding_males, full.breeding_males)
    assert some.births is None
    assert some.conception is None
    with pytest.raises(ValueError, match="unknown field"):
        project([[1.0, 1.0], [1.0, 1.0]], 0.9, rates, 2, record=["census", "N"])
