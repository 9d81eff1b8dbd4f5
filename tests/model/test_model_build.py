from __future__ import annotations

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from scipy import stats

import saigapop as sp
from saigapop.demography import kernel
from saigapop.demography.mating import conception_probability
from saigapop.exceptions import ConfigError
from saigapop.model.build import annual_step, build_model, log_normal_sf, survival_array
from saigapop.model.config import ModelConfig


@pytest.fixture(scope="module")
def bundled():
    return sp.load_kazakhstan()


@pytest.fixture(scope="module")
def model(bundled):
    return build_model(bundled)


def test_coords_and_dims(model):
    assert model.coords["population"] == ("Betpakdala", "Ural", "Ustyurt")
    assert model.coords["year"][0] == 2003
    assert model.coords["year"][-1] == 2025
    assert model.coords["sex"] == ("female", "male")
    assert model.coords["age"] == ("calf", "yearling", "adult")
    assert model.named_vars_to_dims["N"] == ("population", "year", "sex", "census_age")
    assert model.named_vars_to_dims["process_z"] == ("population", "transition")
    assert model.named_vars_to_dims["count"] == ("count_obs",)
    assert {"count", "national", "toll", "catastrophe_record", "implementation"} <= {
        v.name for v in model.observed_RVs
    }
    assert {"bounds", "toll_lower_bounds", "cull_composition"} <= {p.name for p in model.potentials}


def _jax_logp_and_grad(model):
    import jax
    from pymc.sampling.jax import get_jaxified_logp

    ip = model.initial_point()
    f = jax.jit(get_jaxified_logp(model, negative_logp=False))
    x = [np.asarray(ip[v.name]) for v in model.value_vars]
    val, grad = jax.value_and_grad(f)(x)
    return float(val), [np.asarray(g) for g in grad]


def test_logp_and_gradient_finite_at_initial_point(model):
    val, grad = _jax_logp_and_grad(model)
    assert np.isfinite(val)
    assert all(np.isfinite(g).all() for g in grad)


def test_single_population_model_builds_and_is_finite(bundled):
    m = build_model(bundled.select(populations="Ustyurt"))
    assert m.coords["population"] == ("Ustyurt",)
    val, grad = _jax_logp_and_grad(m)
    assert np.isfinite(val)
    assert all(np.isfinite(g).all() for g in grad)


def test_unrolled_and_scan_agree(bundled):
    data = bundled.select(populations="Ural", years=slice(2003, 2012))
    a = _jax_logp_and_grad(build_model(data, loop="scan"))
    b = _jax_logp_and_grad(build_model(data, loop="unrolled"))
    assert a[0] == pytest.approx(b[0], rel=1e-10)
    for ga, gb in zip(a[1], b[1], strict=True):
        np.testing.assert_allclose(ga, gb, rtol=1e-8, atol=1e-10)


def test_bad_arguments(bundled):
    with pytest.raises(ConfigError, match="loop"):
        build_model(bundled, loop="while")
    with pytest.raises(ConfigError, match="unknown prior"):
        build_model(bundled, priors={"not_a_prior": None})


# ----------------------------------------------------------------- the annual step
def reference_step(Y, A, P_prev, s, f, tw, h, dd, mu, poach, sel, eps, rows, yw=0.0, cap=0.95):
    """Independent plain-loop reference of one model year (DESIGN §2)."""
    P = Y.shape[0]
    X = np.zeros((P, 2, 3))
    births = np.zeros(P)
    for p in range(P):
        births[p] = (
            P_prev[p] * dd[p] * (Y[p, 0] * f[0] * (1 + tw[0]) + A[p, 0] * f[1] * (1 + tw[1]))
        )
        for sx in range(2):
            X[p, sx] = [births[p] / 2, Y[p, sx], A[p, sx]]
            for a in range(3):
                X[p, sx, a] *= 1 - mu[p, sx, a]
        X[p, 1, 2] *= 1 - poach
    asked = np.zeros_like(X)
    for p_row, value, mask, selective in rows:
        w = np.where(mask, sel if selective else 1.0, 0.0)
        pool = X[p_row] * w
        asked[p_row] += value * pool / pool.sum()
    X = X - np.minimum(asked, cap * X)
    conc = np.zeros(P)
    for p in range(P):
        m = X[p, 1, 2] + yw * X[p, 1, 1]
        fem = X[p, 0].sum()
        conc[p] = 1 - np.exp(-h * m / fem)
    Yn, An = np.zeros((P, 2)), np.zeros((P, 2))
    for p in range(P):
        for sx in range(2):
            g = np.exp(eps[p])
            Yn[p, sx] = X[p, sx, 0] * s[p, sx, 0] * g
            An[p, sx] = (X[p, sx, 1] * s[p, sx, 1] + X[p, sx, 2] * s[p, sx, 2]) * g
    return Yn, An, conc, births


@pytest.fixture
def step_inputs():
    rng = np.random.default_rng(7)
    P = 2
    Y = rng.uniform(100, 1000, (P, 2))
    A = rng.uniform(500, 3000, (P, 2))
    P_prev = rng.uniform(0.6, 1.0, P)
    phi = rng.uniform(0.4, 0.95, (P, 5))
    s = survival_array(phi, np)
    f, tw = np.array([0.77, 0.95]), np.array([0.12, 0.73])
    mu = np.zeros((P, 2, 3))
    mu[1] = [[0.5, 0.5, 0.5], [0.5, 0.1, 0.1]]
    sel = np.array([[0.4, 1.0, 1.0], [0.4, 2.0, 2.0]])
    eps = np.array([0.1, -0.2])
    dd = np.array([0.9, 1.0])
    mask_all = np.ones((2, 3), bool)
    mask_male_adult = np.array([[0, 0, 0], [0, 0, 1]], bool)
    rows = [
        (0, 300.0, mask_all, True),
        (1, 50.0, mask_male_adult, False),
        (0, 20.0, mask_all, False),
    ]
    return dict(
        Y=Y,
        A=A,
        P_prev=P_prev,
        s=s,
        f=f,
        tw=tw,
        h=19.0,
        dd=dd,
        mu=mu,
        poach=0.03,
        sel=sel,
        eps=eps,
        rows=rows,
    )


def _spec(rows, P, sel):
    onehot = np.zeros((len(rows), P))
    masks = np.zeros((len(rows), 2, 3))
    flags = np.zeros((len(rows), 1, 1))
    for k, (p, _, m, selective) in enumerate(rows):
        onehot[k, p] = 1.0
        masks[k] = m
        flags[k] = float(selective)
    values = np.array([r[1] for r in rows])
    return onehot, values, masks * (flags * sel + (1 - flags))


def test_numpy_step_matches_reference(step_inputs):
    d = step_inputs
    onehot, values, weights = _spec(d["rows"], 2, d["sel"])
    out = annual_step(
        d["Y"],
        d["A"],
        d["P_prev"],
        survival=d["s"],
        fecundity=d["f"],
        twinning=d["tw"],
        harem_size=d["h"],
        density_factor=d["dd"],
        dieoff=d["mu"],
        poaching=d["poach"],
        selectivity=d["sel"],
        log_process=d["eps"],
        removals={"removal": {"onehot": onehot, "values": values, "weights": weights}},
    )
    Yn, An, conc, births = reference_step(**d)
    np.testing.assert_allclose(out["Y"], Yn, rtol=1e-12)
    np.testing.assert_allclose(out["A"], An, rtol=1e-12)
    np.testing.assert_allclose(out["conception"], conc, rtol=1e-12)
    np.testing.assert_allclose(out["births"], births, rtol=1e-12)


def test_pytensor_step_matches_reference(step_inputs):
    d = step_inputs
    onehot, values, weights = _spec(d["rows"], 2, d["sel"])
    Yv, Av, Pv = pt.dmatrix("Y"), pt.dmatrix("A"), pt.dvector("P")
    out = annual_step(
        Yv,
        Av,
        Pv,
        survival=pt.as_tensor(d["s"]),
        fecundity=pt.as_tensor(d["f"]),
        twinning=pt.as_tensor(d["tw"]),
        harem_size=pt.as_tensor(d["h"]),
        density_factor=pt.as_tensor(d["dd"]),
        dieoff=pt.as_tensor(d["mu"]),
        poaching=pt.as_tensor(d["poach"]),
        selectivity=pt.as_tensor(d["sel"]),
        log_process=pt.as_tensor(d["eps"]),
        removals={
            "removal": {"onehot": onehot, "values": pt.as_tensor(values), "weights": weights}
        },
        xp=pt,
    )
    fn = pytensor.function(
        [Yv, Av, Pv], [out["Y"], out["A"], out["conception"]], mode="FAST_COMPILE"
    )
    Yn, An, conc = fn(d["Y"], d["A"], d["P_prev"])
    rY, rA, rc, _ = reference_step(**d)
    np.testing.assert_allclose(Yn, rY, rtol=1e-12)
    np.testing.assert_allclose(An, rA, rtol=1e-12)
    np.testing.assert_allclose(conc, rc, rtol=1e-12)


def test_removal_cap_keeps_state_positive(step_inputs):
    d = step_inputs
    rows = [(0, 1e9, np.ones((2, 3), bool), True)]
    onehot, values, weights = _spec(rows, 2, d["sel"])
    out = annual_step(
        d["Y"],
        d["A"],
        d["P_prev"],
        survival=d["s"],
        fecundity=d["f"],
        twinning=d["tw"],
        harem_size=d["h"],
        density_factor=d["dd"],
        dieoff=d["mu"],
        poaching=d["poach"],
        selectivity=d["sel"],
        log_process=d["eps"],
        removals={"removal": {"onehot": onehot, "values": values, "weights": weights}},
    )
    assert (out["Y"] > 0).all()
    assert (out["A"] > 0).all()


def test_perfect_survival_growth_is_the_kuhl_ceiling():
    # female-only cycle at Kühl means, perfect survival and mating: lambda -> 1.664
    Y, A = np.array([[100.0, 100.0]]), np.array([[400.0, 400.0]])
    s = np.ones((1, 2, 3))
    prev = None
    for _ in range(60):
        out = annual_step(
            Y,
            A,
            np.ones(1),
            survival=s,
            fecundity=np.array([0.774, 0.946]),
            twinning=np.array([0.117, 0.726]),
            harem_size=1e9,
            density_factor=np.ones(1),
            dieoff=np.zeros((1, 2, 3)),
            poaching=0.0,
            selectivity=np.ones((2, 3)),
            log_process=np.zeros(1),
        )
        prev = (out["Y"] + out["A"]).sum() / (Y + A).sum()
        Y, A = out["Y"] / 1e3, out["A"] / 1e3
    assert prev == pytest.approx(1.664, abs=0.002)


def test_log_normal_sf_matches_scipy_with_finite_gradient():
    z = pt.dvector("z")
    fn = pytensor.function([z], [log_normal_sf(z), pt.grad(log_normal_sf(z).sum(), z)])
    zz = np.array([-30.0, -3.0, 0.0, 2.0, 7.9, 8.1, 12.0, 40.0, 300.0])
    val, grad = fn(zz)
    np.testing.assert_allclose(val, stats.norm.logsf(zz), rtol=1e-6, atol=1e-12)
    assert np.isfinite(grad).all()


def test_config_streams_switch_likelihood_terms(bundled):
    m = build_model(
        bundled, ModelConfig(streams=frozenset({"counts"}), population_year_effects=False)
    )
    assert {v.name for v in m.observed_RVs} == {"count"}
    assert "process_z" not in m.named_vars


@pytest.mark.filterwarnings("ignore:The effect of Potentials:UserWarning")
def test_model_N_equals_the_numpy_kernel_on_the_same_draws(bundled):
    """The PyMC model's deterministic ``N`` is the numpy kernel run on the same prior draws.

    The scan, its padded removal sequences, the die-off and process-noise arrays and the
    initial state of :func:`build_model` are rebuilt here by hand from ``model.inputs`` and
    the drawn parameters, and the cycle is run year by year with numpy.
    """
    import pymc as pm

    model = build_model(bundled.select(populations=["Betpakdala", "Ural"]))
    inp = model.inputs
    P, T = inp.n_pop, inp.n_year
    assert set(inp.removals["timing"]) == {"calving", "removal", "winter"}  # all three timings
    names = [
        "N",
        "survival_rate",
        "fecundity_yearling",
        "fecundity_adult",
        "twinning_yearling",
        "twinning_adult",
        "mating_half_share",
        "mating_steepness",
        "mating_reference_ratio",
        "mating_yearling_weight",
        "density_strength",
        "process_noise_sd",
        "process_z",
        "initial_abundance",
        "initial_male_share",
        "initial_yearling_share",
        "cull_male_selectivity",
        "cull_calf_selectivity",
        "poaching_rate_male",
        "pasteurellosis_male_ratio",
    ]
    if len(inp.dieoffs):
        names.append("dieoff_fraction")
    if len(inp.unknown_removals):
        names.append("removal_unknown_fraction")
    with model:
        prior = pm.sample_prior_predictive(draws=5, random_seed=11, var_names=names)
    pr = prior["prior"].to_dataset().isel(chain=0)
    for d in range(pr.sizes["draw"]):

        def g(name, d=d):
            return np.asarray(pr[name].isel(draw=d).values, dtype=float)

        surv = survival_array(g("survival_rate"), np)
        fec = np.array([g("fecundity_yearling"), g("fecundity_adult")])
        twin = np.array([g("twinning_yearling"), g("twinning_adult")])
        b = float(g("density_strength"))
        mating = kernel.Mating(
            "normalised_hill",
            half_share=float(g("mating_half_share")),
            steepness=float(g("mating_steepness")),
            reference_ratio=float(g("mating_reference_ratio")),
            yearling_male_weight=float(g("mating_yearling_weight")),
        )
        eps = g("process_noise_sd") * g("process_z")  # (P, T - 1)
        n0 = inp.init_scale * np.exp(g("initial_abundance"))
        m0, y0 = g("initial_male_share"), g("initial_yearling_share")
        Y = np.stack([0.5 * y0 * n0, 0.5 * y0 * n0], -1)
        A = np.stack([(1 - y0) * (1 - m0) * n0, (1 - y0) * m0 * n0], -1)
        # initial conception: census adult males per census female, same form
        conc = conception_probability(
            A[:, 1],
            Y[:, 0] + A[:, 0],
            form="normalised_hill",
            half_share=mating.half_share,
            steepness=mating.steepness,
            reference_ratio=mating.reference_ratio,
        )
        sc, sm = g("cull_calf_selectivity"), g("cull_male_selectivity")
        selw = np.array([[sc, 1.0, 1.0], [sc, sm, sm]])
        mu = np.zeros((T, P, 2, 3))
        for k, r in enumerate(inp.dieoffs.itertuples()):
            mr = g("pasteurellosis_male_ratio")
            mu[r.t, r.p] = g("dieoff_fraction")[k] * np.array([[1, 1, 1], [1, mr, mr]])
        N = np.empty((P, T, 2, 2))
        for t in range(T):
            N[:, t] = np.stack([Y, A], -1)
            specs = {}
            for timing in ("calving", "removal", "winter"):
                rows = inp.removals[(inp.removals["timing"] == timing) & (inp.removals["t"] == t)]
                if rows.empty:
                    continue
                onehot = np.zeros((len(rows), P))
                values = np.zeros(len(rows))
                weights = np.zeros((len(rows), 2, 3))
                for k, r in enumerate(rows.itertuples()):
                    onehot[k, r.p] = 1.0
                    if r.unknown >= 0:
                        u = inp.unknown_removals.iloc[r.unknown]
                        frac = g("removal_unknown_fraction")[r.unknown]
                        values[k] = u["lower"] + (u["upper"] - u["lower"]) * frac
                    else:
                        values[k] = r.value
                    weights[k] = np.array(r.mask) * (selw if r.selective else 1.0)
                specs[timing] = {"onehot": onehot, "values": values, "weights": weights}
            out = annual_step(
                Y,
                A,
                conc,
                survival=surv,
                fecundity=fec,
                twinning=twin,
                mating=mating,
                density_factor=np.exp(-b * (Y.sum(1) + A.sum(1)) / inp.density_scale),
                dieoff=mu[t],
                poaching=float(g("poaching_rate_male")),
                selectivity=selw,
                log_process=eps[:, t] if t < T - 1 else np.zeros(P),
                removals=specs,
                max_removal_fraction=ModelConfig().max_removal_fraction,
            )
            Y, A, conc = out["Y"], out["A"], out["conception"]
        model_n = pr["N"].isel(draw=d).transpose("population", "year", "sex", "census_age")
        np.testing.assert_allclose(model_n.values, N, rtol=1e-9)
