"""The model's mating function: PyTensor equals numpy, priors as documented."""

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest

from saigapop.demography import kernel
from saigapop.demography._xp import NUMPY_OPS
from saigapop.demography.mating import conception_from_ratio
from saigapop.model.build import PYTENSOR_OPS, annual_step
from saigapop.model.priors import DEFAULT_PRIORS


def test_pytensor_ops_equal_numpy_ops_with_finite_gradients():
    rng = np.random.default_rng(0)
    n = 200
    r = np.concatenate([[0.0, 0.15], rng.uniform(1e-4, 0.6, n - 2)])
    f = np.full(n, 100.0)
    s50, k, rref = rng.uniform(0.004, 0.03, n), rng.uniform(1.5, 5, n), rng.uniform(0.05, 0.4, n)
    rv, sv, kv, qv = pt.dvector("r"), pt.dvector("s"), pt.dvector("k"), pt.dvector("q")
    p = conception_from_ratio(
        rv, f, half_share=sv, steepness=kv, reference_ratio=qv, ops=PYTENSOR_OPS
    )
    fn = pytensor.function([rv, sv, kv, qv], p)
    got = fn(r, s50, k, rref)
    want = conception_from_ratio(
        r, f, half_share=s50, steepness=k, reference_ratio=rref, ops=NUMPY_OPS
    )
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=0.0)
    assert got[0] == 0.0
    assert got[1] == 1.0 or rref[1] > 0.15  # r = 0.15: 1 wherever r_ref <= 0.15
    # gradients for NUTS are finite wherever males exist (the model keeps M > 0), including
    # at and around the kink r = r_ref
    r_pos = r.copy()
    r_pos[:2] = rref[:2]  # exactly at the kink
    grad = pytensor.function([rv, sv, kv, qv], pt.grad(p.sum(), [sv, kv, qv]))
    for gi in grad(r_pos, s50, k, rref):
        assert np.isfinite(gi).all()


def test_annual_step_with_the_fitted_mating_function_numpy_equals_pytensor():
    rng = np.random.default_rng(1)
    Y = rng.uniform(1e3, 1e4, (2, 2))
    A = rng.uniform(1e3, 1e4, (2, 2))
    A[1, 1], Y[1, 1] = 60.0, 50.0  # a male-depleted population: conception well below 1
    P_prev = np.array([0.9, 1.0])
    kw = dict(
        survival=rng.uniform(0.5, 0.9, (2, 2, 3)),
        fecundity=np.array([0.774, 0.946]),
        twinning=np.array([0.117, 0.726]),
        density_factor=np.ones(2),
        dieoff=np.zeros((2, 2, 3)),
        poaching=0.01,
        selectivity=np.ones((2, 3)),
        log_process=np.zeros(2),
    )
    mate = np.array([0.01, 2.5, 0.2, 0.3])

    def mating(m):
        return kernel.Mating(
            "normalised_hill",
            half_share=m[0],
            steepness=m[1],
            reference_ratio=m[2],
            yearling_male_weight=m[3],
        )

    ref = annual_step(Y, A, P_prev, mating=mating(mate), **kw)
    mv = pt.dvector("mate")
    out = annual_step(
        pt.as_tensor(Y),
        pt.as_tensor(A),
        pt.as_tensor(P_prev),
        mating=mating(mv),
        xp=pt,
        **{k: pt.as_tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()},
    )
    fn = pytensor.function([mv], [out["conception"], out["Y"], out["A"]])
    conc, Yn, An = fn(mate)
    np.testing.assert_allclose(conc, ref["conception"], rtol=1e-12)
    np.testing.assert_allclose(Yn, ref["Y"], rtol=1e-12)
    np.testing.assert_allclose(An, ref["A"], rtol=1e-12)
    assert ref["conception"][1] < 0.9 < ref["conception"][0]
    # yearling males count with weight w at the rut
    males = ref["rut_males"]
    np.testing.assert_allclose(males, ref["at_rut"][:, 1, 2] + 0.3 * ref["at_rut"][:, 1, 1])


def test_annual_step_needs_a_mating_function():
    from saigapop.exceptions import ConfigError

    with pytest.raises(ConfigError, match="mating"):
        annual_step(
            np.ones((1, 2)),
            np.ones((1, 2)),
            np.ones(1),
            survival=np.ones((1, 2, 3)),
            fecundity=np.ones(2),
            twinning=np.zeros(2),
            density_factor=np.ones(1),
            dieoff=np.zeros((1, 2, 3)),
            poaching=0.0,
            selectivity=np.ones((2, 3)),
            log_process=np.zeros(1),
        )


@pytest.mark.parametrize(
    ("name", "q05", "q50", "q95"),
    [
        ("mating_half_share", 0.0049, 0.008, 0.013),
        ("mating_steepness", 1.8, 3.0, 4.9),
        ("mating_reference_ratio", 0.056, 0.15, 0.40),
        ("mating_yearling_weight", 0.013, 0.16, 0.53),
    ],
)
def test_mating_priors_match_their_stated_intervals(name, q05, q50, q95):
    """The 90 % intervals written in each rationale and in docs/annual_cycle.md."""
    s = DEFAULT_PRIORS[name].summary(50_000)
    assert s["q05"] == pytest.approx(q05, rel=0.05)
    assert s["q50"] == pytest.approx(q50, rel=0.05)
    assert s["q95"] == pytest.approx(q95, rel=0.05)
    assert DEFAULT_PRIORS[name].citation
