r"""Build the joint two-sex, age-structured state-space model in PyMC (pure: no sampling).

The annual cycle (DESIGN §2) is written once, in :func:`saigapop.demography.kernel.step`
(shared with :func:`saigapop.demography.project` and the operating model);
:func:`annual_step` adapts the model's arrays to it on either array namespace (``numpy`` or
``pytensor.tensor``), and it is iterated over the model years with
``pytensor.scan`` inside :func:`build_model` (an unrolled loop is available; scan was measured
faster per gradient and to compile; see ``docs/model.md``).

State at census *t*: yearlings ``Y[p, s]`` and adults ``A[p, s]`` (sex = female, male).
Within year *t* the population ``X[p, s, a]`` has ages (calf, yearling, adult).

Over ~600 lines because :func:`build_model` is one model graph (priors, the cycle's per-year
inputs, scan and unrolled loops, and every likelihood stream); splitting it would scatter
one graph's names across modules.

Examples
--------
>>> import saigapop as sp
>>> from saigapop.model.build import build_model
>>> model = build_model(sp.load_kazakhstan().select(populations="Ural", years=slice(2003, 2012)))
>>> model.coords["population"], model.coords["year"][0], model.coords["year"][-1]
(('Ural',), 2003, 2012)
"""

from __future__ import annotations

from collections.abc import Mapping
from types import ModuleType
from typing import Any

import numpy as np
import pymc as pm
import pytensor
import pytensor.tensor as pt

from saigapop.constants import AGE_CLASSES, CENSUS_AGE_CLASSES, DEFAULT_MATING_FORM, SEXES
from saigapop.demography import kernel
from saigapop.demography._xp import NUMPY_OPS, Ops
from saigapop.demography.density import density_from_total
from saigapop.demography.mating import conception_from_ratio
from saigapop.exceptions import ConfigError
from saigapop.model.config import ModelConfig
from saigapop.model.inputs import TIMINGS, DataLike, ModelInputs, prepare_inputs
from saigapop.model.priors import DEFAULT_PRIORS, Prior

__all__ = [
    "DIEOFF_CONCENTRATION",
    "SURVIVAL_CLASSES",
    "annual_step",
    "build_model",
    "log_normal_sf",
    "survival_array",
]

#: What one year's step hands on, in order (the scan's outputs and the unrolled loop's rows).
_STEP_OUTPUTS: tuple[str, ...] = (
    "Y",
    "A",
    "conception",
    "births",
    "at_calving",
    "pool",
    "rut_males",
    "rut_females",
)

#: Pooled survival classes (calf survival is shared by the sexes; Buuveibaatar et al. 2013).
SURVIVAL_CLASSES: tuple[str, ...] = (
    "calf",
    "yearling_female",
    "yearling_male",
    "adult_female",
    "adult_male",
)
#: Concentration of the Beta distribution of a known die-off's fraction around the mean
#: pasteurellosis severity (a die-off fraction ~ Beta(κ·s, κ·(1 − s))).
DIEOFF_CONCENTRATION = 6.0
#: PyTensor's entries of the array namespace of :mod:`saigapop.demography.kernel` (the model
#: keeps breeding females positive — die-off fractions and removal caps below 1 — so a plain
#: division serves as the breeding ratio).
PYTENSOR_OPS = Ops(
    exp=pt.exp,
    expm1=pt.expm1,
    log=pt.log,
    minimum=pt.minimum,
    maximum=pt.maximum,
    sigmoid=pt.sigmoid,
    where=pt.switch,
    ratio=lambda m, f: m / f,
)


def survival_array(phi: Any, xp: ModuleType = np) -> Any:
    """Arrange pooled survival ``phi[p, 5]`` (:data:`SURVIVAL_CLASSES`) as ``(p, sex, age)``.

    Parameters
    ----------
    phi
        Survival per population and class, shape ``(P, 5)``.
    xp
        ``numpy`` or ``pytensor.tensor``.

    Returns
    -------
    array
        Shape ``(P, 2, 3)``: (female, male) × (calf, yearling, adult).
    """
    female = xp.stack([phi[:, 0], phi[:, 1], phi[:, 3]], axis=-1)
    male = xp.stack([phi[:, 0], phi[:, 2], phi[:, 4]], axis=-1)
    return xp.stack([female, male], axis=1)


def _stack(classes: Any, xp: ModuleType) -> Any:
    """``classes[sex][age]`` of ``(P,)`` arrays → ``(P, 2, k)``."""
    return xp.stack([xp.stack(list(row), axis=-1) for row in classes], axis=1)


def _split(spec: Mapping[str, Any], xp: ModuleType) -> Any:
    """Turn removal rows into a request on the classes (each row's total split by weight)."""
    onehot, values, weights = spec["onehot"], spec["values"], spec["weights"]

    def request(x: Any) -> dict[tuple[int, int], Any]:
        pool = xp.tensordot(onehot, _stack(x, xp), axes=1) * weights  # (K, 2, 3)
        share = pool / pool.sum(axis=(1, 2), keepdims=True)
        asked = xp.tensordot(onehot.T, values[:, None, None] * share, axes=1)  # (P, 2, 3)
        return {(s, a): asked[:, s, a] for s in range(2) for a in range(3)}

    return request


def annual_step(
    Y: Any,
    A: Any,
    P_prev: Any,
    *,
    survival: Any,
    fecundity: Any,
    twinning: Any,
    harem_size: Any = None,
    density_factor: Any,
    dieoff: Any,
    poaching: Any,
    selectivity: Any,
    log_process: Any,
    removals: Mapping[str, Mapping[str, Any] | None] | None = None,
    yearling_male_weight: float = 0.0,
    max_removal_fraction: float = 0.95,
    mating: kernel.Mating | None = None,
    xp: ModuleType = np,
) -> dict[str, Any]:
    r"""One model year, census *t* → census *t + 1* (DESIGN §2).

    1. Calving: :math:`B = P_{t-1} D_t \sum_a N_{f,a} \phi_a (1 + \tau_a)`, half of each sex;
       then known die-offs kill the fraction ``dieoff[p, s, a]``; then calving-timed removals.
    2. Removal season: adult males lose the poached fraction; removal rows are split over
       eligible classes by ``selectivity``-weighted abundance (culls) or by abundance.
    3. Rut: :math:`P_t = g(M / F)` with the mating function ``mating`` (the model's default:
       the normalised Hill curve, :func:`saigapop.demography.mating.conception_from_ratio`),
       ``M`` = adult males (+ weighted yearling males), ``F`` = all females including
       7-month calves.
    4. Winter: winter-timed removals, then survival times :math:`e^{\varepsilon_{p,t}}`
       (population × year effect on net survival, which may exceed 1: movement/detection
       drift); calves become yearlings, yearlings and adults become adults.

    Parameters
    ----------
    Y, A
        Yearlings and adults at census *t*, shape ``(P, 2)`` (female, male).
    P_prev
        Conception probability at the previous rut, ``(P,)``.
    survival
        ``(P, 2, 3)`` annual survival by sex × (calf, yearling, adult).
    fecundity, twinning
        ``(2,)`` by female census age (yearling, adult).
    harem_size
        Scalar ``h`` of the exponential mating function :math:`1 - e^{-h M/F}`, used (with
        ``yearling_male_weight``) only when ``mating`` is not given.
    density_factor
        ``(P,)`` multiplier of births.
    dieoff
        ``(P, 2, 3)`` calving-season die-off fractions (zeros in ordinary years).
    poaching
        Fraction of adult males poached in the removal season: a scalar, or ``(P,)`` (zero in
        a population-year whose poaching is a recorded estimate among ``removals``).
    selectivity
        ``(2, 3)`` relative per-capita cull vulnerability.
    log_process
        ``(P,)`` population × year effect :math:`\varepsilon_{p,t}`.
    removals
        Per timing (``calving``, ``removal``, ``winter``): ``None`` or a dict with
        ``onehot (K, P)``, ``values (K,)``, ``weights (K, 2, 3)`` (eligibility, times
        selectivity for culls).
    yearling_male_weight
        Weight of yearling males among breeding males (only without ``mating``).
    max_removal_fraction
        Cap on the fraction of a class removed in one step.
    mating
        Mating-function settings (form and parameters, yearling weight included); default
        the exponential form with ``harem_size``.
    xp
        ``numpy`` or ``pytensor.tensor``.

    Returns
    -------
    dict
        ``Y``, ``A`` (next census), ``conception``, ``births`` (P,), ``at_calving``
        (P, 2, 3, before die-offs), ``pool`` (P, 2, 3, selectivity-weighted abundance at the
        start of the removal season), ``at_rut`` (P, 2, 3), ``rut_males``, ``rut_females``,
        ``removed`` (P, 2, 3, all timings).
    """
    removals = removals or {}
    if mating is None:
        if harem_size is None:
            raise ConfigError("annual_step needs `mating` or `harem_size`")
        mating = kernel.Mating(
            "exponential", harem_size=harem_size, yearling_male_weight=yearling_male_weight
        )
    ops = NUMPY_OPS if xp is np else PYTENSOR_OPS
    timed = {k: None if v is None else _split(v, xp) for k, v in removals.items()}
    growth = xp.exp(log_process)[:, None, None]
    out = kernel.step(
        [[Y[:, 0], A[:, 0]], [Y[:, 1], A[:, 1]]],
        P_prev,
        births_per_female=(
            fecundity[0] * (1.0 + twinning[0]),
            fecundity[1] * (1.0 + twinning[1]),
        ),
        survival=_classes(survival * growth),
        mating=mating,
        density_factor=density_factor,
        calving_survival=_classes(1.0 - dieoff),
        poaching={(1, 2): poaching},
        removals=timed.get("removal"),
        calving_removals=timed.get("calving"),
        winter_removals=timed.get("winter"),
        max_removal_fraction=max_removal_fraction,
        ops=ops,
    )
    at_calving = _stack(out.at_calving, xp)
    removed = at_calving * 0.0
    for taken in (out.calving_taken, out.taken, out.winter_taken):
        if taken:
            removed = removed + _stack([[taken[(s, a)] for a in range(3)] for s in range(2)], xp)
    return {
        "Y": xp.stack([out.census[0][0], out.census[1][0]], axis=-1),
        "A": xp.stack([out.census[0][1], out.census[1][1]], axis=-1),
        "conception": out.conception,
        "births": out.births,
        "at_calving": at_calving,
        "pool": _stack(out.at_removal, xp) * selectivity,
        "at_rut": _stack(out.at_rut, xp),
        "rut_males": out.breeding_males,
        "rut_females": out.breeding_females,
        "removed": removed,
    }


def _classes(arr: Any) -> list[list[Any]]:
    """``(P, 2, 3)`` → ``classes[sex][age]`` of ``(P,)``."""
    return [[arr[:, s, a] for a in range(3)] for s in range(2)]


def log_normal_sf(z: Any) -> Any:
    r"""Numerically safe :math:`\log(1 - \Phi(z))` with finite gradients everywhere.

    Uses ``log(erfc(z/√2)/2)`` for ``z < 8`` and the asymptotic series
    :math:`-z^2/2 - \log(z\sqrt{2\pi}) + \log(1 - z^{-2} + 3 z^{-4})` above, each branch
    evaluated on clipped inputs so that ``where`` cannot leak NaN gradients.
    """
    z_small = pt.minimum(z, 8.0)
    z_big = pt.maximum(z, 8.0)
    small = pt.log(0.5 * pt.erfc(z_small / np.sqrt(2.0)))
    big = (
        -0.5 * z_big**2
        - pt.log(z_big * np.sqrt(2.0 * np.pi))
        + pt.log1p(-(z_big**-2) + 3.0 * z_big**-4 - 15.0 * z_big**-6)
    )
    return pt.where(z < 8.0, small, big)


def _rv(priors: Mapping[str, Prior], name: str, dims: Any = None) -> Any:
    if name not in priors:
        raise ConfigError(f"no prior for {name!r}; pass a complete priors mapping")
    shape = None
    if dims is not None:
        model = pm.modelcontext(None)
        dd = (dims,) if isinstance(dims, str) else tuple(dims)
        shape = tuple(len(model.coords[d]) for d in dd)
    return priors[name].create(name, dims=dims, shape=shape)


def _logit_rv(priors: Mapping[str, Prior], name: str) -> Any:
    """LogitNormal priors are sampled on the logit scale (``logit_<name>``)."""
    p = priors[name]
    if p.distribution == "LogitNormal":
        return pm.Normal(f"logit_{name}", mu=p.params["mu"], sigma=p.params["sigma"])
    rv = p.create(name)
    return pt.log(rv) - pt.log1p(-rv)


def _mating(mate: Any) -> kernel.Mating:
    """Return the model's mating function from ``(half_share, steepness, r_ref, w_y)``."""
    return kernel.Mating(
        DEFAULT_MATING_FORM,
        half_share=mate[0],
        steepness=mate[1],
        reference_ratio=mate[2],
        yearling_male_weight=mate[3],
    )


def build_model(
    data: DataLike | ModelInputs,
    config: ModelConfig | None = None,
    priors: Mapping[str, Prior] | None = None,
    *,
    loop: str = "scan",
) -> pm.Model:
    """Build the PyMC model of all populations in ``data`` (no sampling).

    Parameters
    ----------
    data
        Validated data (:class:`saigapop.io.SaigaData`, any subset of populations, including
        one) or already prepared :class:`~saigapop.model.inputs.ModelInputs`.
    config
        Model configuration; defaults to :class:`ModelConfig()`.
    priors
        Priors by parameter name; defaults to :data:`~saigapop.model.priors.DEFAULT_PRIORS`.
        A partial mapping is completed from the defaults.
    loop
        ``"scan"`` (default: ``pytensor.scan`` over years; measured 0.6 ms per JAX
        logp+gradient and 11 s to compile on the bundled data) or ``"unrolled"`` (a Python
        loop; 1.0 ms and 29 s).

    Returns
    -------
    pymc.Model
        Coordinates ``population``, ``year``, ``sex``, ``age``, ``census_age`` and one per
        observation stream. ``model.inputs`` holds the :class:`ModelInputs` used.
    """
    config = config or ModelConfig()
    if loop not in ("unrolled", "scan"):
        raise ConfigError(f"loop must be 'unrolled' or 'scan', got {loop!r}")
    merged = dict(DEFAULT_PRIORS)
    if priors is not None:
        unknown = set(priors) - set(DEFAULT_PRIORS)
        if unknown:
            raise ConfigError(
                f"unknown prior name(s) {sorted(unknown)}; known: {sorted(DEFAULT_PRIORS)}"
            )
        merged.update(priors)
    priors = merged
    inp = data if isinstance(data, ModelInputs) else prepare_inputs(data, config)
    P, T = inp.n_pop, inp.n_year
    years = [int(y) for y in inp.years]
    coords: dict[str, Any] = {
        "population": list(inp.populations),
        "year": years,
        "transition": years[:-1],
        "sex": list(SEXES),
        "age": list(AGE_CLASSES),
        "census_age": list(CENSUS_AGE_CLASSES),
        "survival_class": list(SURVIVAL_CLASSES),
        "count_obs": [
            f"{inp.populations[r.p]} {years[r.t]} {r.kind}" for r in inp.counts.itertuples()
        ],
    }
    if len(inp.sums):
        coords["sum_obs"] = list(inp.sums["label"])
    if inp.breaks:
        coords["break"] = list(inp.break_labels)
    if len(inp.dieoffs):
        coords["dieoff"] = list(inp.dieoffs["label"])
    if len(inp.unknown_removals):
        coords["removal_unknown"] = list(inp.unknown_removals["label"])
    if len(inp.poaching_estimates):
        coords["poaching_estimate"] = list(inp.poaching_estimates["label"])
    point_tolls = inp.tolls[inp.tolls["side"] == "point"]
    if len(point_tolls):
        coords["toll_obs"] = list(point_tolls["label"])
    if len(inp.implementation):
        coords["implementation_obs"] = list(inp.implementation["label"])

    with pm.Model(coords=coords) as model:
        # ---------------- vital rates, partially pooled on the logit scale -----------------
        logit_mu = pt.stack([_logit_rv(priors, f"survival_{c}") for c in SURVIVAL_CLASSES])
        pool_sd = _rv(priors, "survival_pooling_sd")
        z_surv = pm.Normal(
            "survival_z",
            0.0,
            1.0,
            dims=("population", "survival_class"),
            shape=(P, len(SURVIVAL_CLASSES)),
        )
        phi = pm.math.sigmoid(logit_mu[None, :] + pool_sd * z_surv)  # (P, 5)
        pm.Deterministic("survival_rate", phi, dims=("population", "survival_class"))
        surv = survival_array(phi, pt)
        fec = pt.stack([_rv(priors, "fecundity_yearling"), _rv(priors, "fecundity_adult")])
        twin = pt.stack([_rv(priors, "twinning_yearling"), _rv(priors, "twinning_adult")])
        # mating function (issue 16): the normalised Hill curve; harem_size is carried for
        # the pessimistic exponential trial only (it does not enter the likelihood)
        _rv(priors, "harem_size")
        mate = pt.stack(
            [
                _rv(priors, "mating_half_share"),
                _rv(priors, "mating_steepness"),
                _rv(priors, "mating_reference_ratio"),
                _rv(priors, "mating_yearling_weight"),
            ]
        )
        if config.density_dependence == "fecundity":
            dd_b = _rv(priors, "density_strength")
        else:
            dd_b = pt.constant(0.0)
        K = pt.as_tensor(inp.density_scale)
        # ---------------- process noise (population x year, non-centred) -------------------
        if config.population_year_effects and T > 1:
            proc_sd = _rv(priors, "process_noise_sd")
            z_proc = pm.Normal(
                "process_z", 0.0, 1.0, dims=("population", "transition"), shape=(P, T - 1)
            )
            eps = proc_sd * z_proc
        else:
            eps = pt.zeros((P, max(T - 1, 1)))
        # ---------------- observation ------------------------------------------------------
        obs_cv = _rv(priors, "obs_cv")
        q_base = _rv(priors, "catchability_base", dims="population")
        log_q = pt.repeat(pt.log(q_base)[:, None], T, axis=1)
        if inp.breaks:
            q_break = _rv(priors, "catchability_break", dims="break")
            steps = np.zeros((len(inp.breaks), P, T))
            for b, (p, t) in enumerate(inp.breaks):
                steps[b, p, t:] = 1.0
            log_q = log_q + pt.tensordot(pt.log(q_break), steps, axes=1)
        q = pm.Deterministic("catchability_year", pt.exp(log_q), dims=("population", "year"))
        # ---------------- initial state ----------------------------------------------------
        init_off = _rv(priors, "initial_abundance", dims="population")
        N0 = pt.as_tensor(inp.init_scale) * pt.exp(init_off)
        m0 = _rv(priors, "initial_male_share")
        y0 = _rv(priors, "initial_yearling_share")
        Y = pt.stack([0.5 * y0 * N0, 0.5 * y0 * N0], axis=-1)
        A = pt.stack([(1 - y0) * (1 - m0) * N0, (1 - y0) * m0 * N0], axis=-1)
        P_prev = conception_from_ratio(
            A[:, 1] / (Y[:, 0] + A[:, 0]),
            Y[:, 0] + A[:, 0],
            form=DEFAULT_MATING_FORM,
            half_share=mate[0],
            steepness=mate[1],
            reference_ratio=mate[2],
            ops=PYTENSOR_OPS,
        )
        # ---------------- removals, die-offs, management ------------------------------------
        sel_m = _rv(priors, "cull_male_selectivity")
        sel_c = _rv(priors, "cull_calf_selectivity")
        selw = pt.stack(
            [pt.stack([sel_c, pt.constant(1.0), pt.constant(1.0)]), pt.stack([sel_c, sel_m, sel_m])]
        )
        poach = _rv(priors, "poaching_rate_male")
        past_rate = _rv(priors, "pasteurellosis_rate")
        past_sev = _rv(priors, "pasteurellosis_severity")
        male_ratio = _rv(priors, "pasteurellosis_male_ratio")
        for name in ("dzhut_rate", "dzhut_severity", "poaching_trade_effect"):
            _rv(priors, name)  # prior-only: carried to projections
        if len(inp.dieoffs):
            d_frac = pm.Beta(
                "dieoff_fraction",
                alpha=DIEOFF_CONCENTRATION * past_sev,
                beta=DIEOFF_CONCENTRATION * (1.0 - past_sev),
                dims="dieoff",
                shape=(len(inp.dieoffs),),
            )
        unknown_u = (
            _rv(priors, "removal_unknown_fraction", dims="removal_unknown")
            if len(inp.unknown_removals)
            else None
        )
        # recorded poaching estimates with a stated range: the removed number is latent, its
        # range the prior's 90 % interval (saigapop.model.inputs.poaching_lognormal)
        poached_latent = (
            pm.LogNormal(
                "poaching_removed",
                mu=inp.poaching_estimates["mu"].to_numpy(dtype=float),
                sigma=inp.poaching_estimates["sigma"].to_numpy(dtype=float),
                dims="poaching_estimate",
                shape=(len(inp.poaching_estimates),),
            )
            if len(inp.poaching_estimates)
            else None
        )
        imp_mu = _rv(priors, "implementation_log_mean")
        imp_sd = _rv(priors, "implementation_log_sd")

        # ---------------- per-year inputs of the cycle (dense, padded) --------------------
        seqs: list[Any] = []
        rem_keys: list[str] = []
        rem_const: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        for timing in TIMINGS:
            rows = inp.removals[inp.removals["timing"] == timing]
            if rows.empty:
                continue
            kmax = int(rows.groupby("t").size().max())
            onehot = np.zeros((T, kmax, P))
            onehot[:, :, 0] = 1.0  # padding rows: population 0, value 0, all classes
            masks = np.ones((T, kmax, 2, 3))
            sel = np.zeros((T, kmax, 1, 1))
            vals = pt.zeros((T, kmax))
            for t, g in rows.groupby("t"):
                for k, r in enumerate(g.itertuples()):
                    onehot[t, k] = 0.0
                    onehot[t, k, r.p] = 1.0
                    masks[t, k] = np.array(r.mask)
                    sel[t, k] = float(r.selective)
                    if r.unknown >= 0:
                        u = inp.unknown_removals.iloc[r.unknown]
                        v = u["lower"] + (u["upper"] - u["lower"]) * unknown_u[r.unknown]
                    elif r.latent >= 0:
                        v = poached_latent[r.latent]
                    else:
                        v = r.value
                    vals = pt.set_subtensor(vals[t, k], v)
            rem_keys.append(timing)
            rem_const[timing] = (onehot, masks, sel)
            seqs += [pt.as_tensor(onehot), pt.as_tensor(masks), pt.as_tensor(sel), vals]
        # die-off fractions by population-year (sex x age pattern: females and calves fully,
        # yearling/adult males by the male ratio)
        pattern = np.array([[1.0, 1.0, 1.0], [1.0, 0.0, 0.0]]) + 0.0
        male_part = np.array([[0.0, 0.0, 0.0], [0.0, 1.0, 1.0]])
        mu_all = pt.zeros((T, P, 2, 3))
        if len(inp.dieoffs):
            shape_k = pattern[None] + male_ratio * male_part[None]  # (1, 2, 3)
            for k, r in enumerate(inp.dieoffs.itertuples()):
                mu_all = pt.set_subtensor(mu_all[r.t, r.p], d_frac[k] * shape_k[0])
        eps_all = pt.concatenate([eps.T if T > 1 else pt.zeros((0, P)), pt.zeros((1, P))], axis=0)
        # population-years with a recorded poaching estimate: the estimate replaces the
        # rate-based poaching there (a (T, P) 0/1 multiplier of the rate; absent when there is
        # no such year, so the graph is then exactly the rate-only one)
        poach_on = None
        if inp.poaching_off:
            poach_on = np.ones((T, P))
            for p_, t_ in inp.poaching_off:
                poach_on[t_, p_] = 0.0

        mrf = config.max_removal_fraction

        def _step(*args: Any) -> tuple[Any, ...]:
            it = iter(args)
            mu_t, eps_t = next(it), next(it)
            on_t = next(it) if poach_on is not None else 1.0
            rspec_seq = {k: (next(it), next(it), next(it), next(it)) for k in rem_keys}
            Y_t, A_t, Pp_t = next(it), next(it), next(it)
            surv_, fec_, twin_, mate_, ddb_, K_, poach_, selw_ = it
            specs = {
                k: {"onehot": oh, "values": v, "weights": m * (sl * selw_ + (1.0 - sl))}
                for k, (oh, m, sl, v) in rspec_seq.items()
            }
            ntot = Y_t.sum(axis=1) + A_t.sum(axis=1)
            out = annual_step(
                Y_t,
                A_t,
                Pp_t,
                survival=surv_,
                fecundity=fec_,
                twinning=twin_,
                mating=_mating(mate_),
                density_factor=density_from_total(
                    ntot, form="ricker", carrying_capacity=K_, strength=ddb_, ops=PYTENSOR_OPS
                ),
                dieoff=mu_t,
                poaching=poach_ * on_t if poach_on is not None else poach_,
                selectivity=selw_,
                log_process=eps_t,
                removals=specs,
                max_removal_fraction=mrf,
                xp=pt,
            )
            return tuple(out[k] for k in _STEP_OUTPUTS)

        if loop == "scan":
            results = pytensor.scan(
                _step,
                sequences=[
                    mu_all,
                    eps_all,
                    *([pt.as_tensor(poach_on)] if poach_on is not None else []),
                    *seqs,
                ],
                outputs_info=[Y, A, P_prev, None, None, None, None, None],
                non_sequences=[surv, fec, twin, mate, dd_b, K, poach, selw],
                n_steps=T,
                strict=True,
                return_updates=False,
            )
        else:  # unrolled: only years with removals carry removal operations
            per_t: list[list[Any]] = []
            carry = (Y, A, P_prev)
            for t in range(T):
                spec_t: dict[str, Any] = {}
                for j, timing in enumerate(rem_keys):
                    onehot, masks, sel = rem_const[timing]
                    n_real = int(
                        (inp.removals["timing"] == timing).mul(inp.removals["t"] == t).sum()
                    )
                    if n_real == 0:
                        continue
                    vals_t = seqs[4 * j + 3][t, :n_real]
                    spec_t[timing] = {
                        "onehot": onehot[t, :n_real],
                        "values": vals_t,
                        "weights": masks[t, :n_real]
                        * (sel[t, :n_real] * selw + (1.0 - sel[t, :n_real])),
                    }
                ntot_t = carry[0].sum(axis=1) + carry[1].sum(axis=1)
                out = annual_step(
                    *carry,
                    survival=surv,
                    fecundity=fec,
                    twinning=twin,
                    mating=_mating(mate),
                    density_factor=density_from_total(
                        ntot_t, form="ricker", carrying_capacity=K, strength=dd_b, ops=PYTENSOR_OPS
                    ),
                    dieoff=mu_all[t],
                    poaching=poach * poach_on[t] if poach_on is not None else poach,
                    selectivity=selw,
                    log_process=eps_all[t],
                    removals=spec_t,
                    max_removal_fraction=mrf,
                    xp=pt,
                )
                per_t.append([out[k] for k in _STEP_OUTPUTS])
                carry = (out["Y"], out["A"], out["conception"])
            results = [pt.stack([row[i] for row in per_t]) for i in range(len(_STEP_OUTPUTS))]
        Ys, As, conc, births, at_calving, pools, males, females = results
        Yc = pt.concatenate([Y[None], Ys[:-1]], axis=0)  # (T, P, 2) at census
        Ac = pt.concatenate([A[None], As[:-1]], axis=0)
        N = pt.stack([Yc, Ac], axis=-1).dimshuffle(1, 0, 2, 3)  # (P, T, 2, 2)
        pm.Deterministic("N", N, dims=("population", "year", "sex", "census_age"))
        pm.Deterministic("conception", conc.T, dims=("population", "year"))
        pm.Deterministic("births", births.T, dims=("population", "year"))
        pm.Deterministic("rut_males", males.T, dims=("population", "year"))
        pm.Deterministic("rut_females", females.T, dims=("population", "year"))
        tolls_exp: dict[int, Any] = {}
        if len(inp.dieoffs):
            for k, r in enumerate(inp.dieoffs.itertuples()):
                tolls_exp[k] = (at_calving[r.t, r.p] * mu_all[r.t, r.p]).sum()
        births_l = [births[t] for t in range(T)]
        males_l = [males[t] for t in range(T)]
        females_l = [females[t] for t in range(T)]
        states = [N[:, t] for t in range(T)]
        ntot = N.sum(axis=(2, 3))  # (P, T)
        counted = q * ntot

        # ---------------- likelihood streams ----------------------------------------------
        if len(inp.counts):
            pidx = inp.counts["p"].to_numpy()
            tidx = inp.counts["t"].to_numpy()
            sig = np.where(inp.counts["kind"] == "estimate", config.estimate_cv, 0.0)
            sigma = pt.where(sig > 0, sig, obs_cv)
            pm.LogNormal(
                "count",
                mu=pt.log(counted[pidx, tidx]),
                sigma=sigma,
                observed=inp.counts["value"].to_numpy(),
                dims="count_obs",
            )
        if len(inp.sums):
            masks = np.array([np.array(m) for m in inp.sums["mask"]])  # (S, P)
            tt = inp.sums["t"].to_numpy()
            mu_s = (counted[:, tt].T * masks).sum(axis=1)
            sig = np.where(inp.sums["kind"] == "estimate", config.estimate_cv, 0.0)
            pm.LogNormal(
                "national",
                mu=pt.log(mu_s),
                sigma=pt.where(sig > 0, sig, obs_cv),
                observed=inp.sums["value"].to_numpy(),
                dims="sum_obs",
            )
        if len(inp.bounds):
            masks = np.array([np.array(m) for m in inp.bounds["mask"]])
            tt = inp.bounds["t"].to_numpy()
            mu_b = pt.log((counted[:, tt].T * masks).sum(axis=1))
            vals = inp.bounds["value"].to_numpy()
            upper = np.flatnonzero((inp.bounds["side"] == "upper").to_numpy())
            lower = np.flatnonzero((inp.bounds["side"] == "lower").to_numpy())
            lp = pt.constant(0.0)
            # separate terms (not pt.where): a where() over logcdf/logccdf leaks NaN gradients
            if len(upper):  # P(X <= U) = 1 - Phi(-(log U - mu)/sigma)
                z = (np.log(vals[upper]) - mu_b[upper]) / obs_cv
                lp = lp + log_normal_sf(-z).sum()
            if len(lower):  # P(X >= L)
                z = (np.log(vals[lower]) - mu_b[lower]) / obs_cv
                lp = lp + log_normal_sf(z).sum()
            pm.Potential("bounds", lp)
        if len(inp.dieoffs) and len(inp.tolls):
            toll_cv = _rv(priors, "toll_cv")
            exp_t = pt.stack([tolls_exp[int(k)] for k in inp.tolls["dieoff"]])
            is_pt = (inp.tolls["side"] == "point").to_numpy()
            if is_pt.any():
                pm.LogNormal(
                    "toll",
                    mu=pt.log(exp_t[np.flatnonzero(is_pt)]),
                    sigma=toll_cv,
                    observed=inp.tolls["value"].to_numpy()[is_pt],
                    dims="toll_obs",
                )
            if (~is_pt).any():
                lo = np.flatnonzero(~is_pt)
                z = (np.log(inp.tolls["value"].to_numpy()[lo]) - pt.log(exp_t[lo])) / toll_cv
                pm.Potential("toll_lower_bounds", log_normal_sf(z).sum())
        events, trials = inp.catastrophe_record
        if trials:
            pm.Binomial("catastrophe_record", n=trials, p=past_rate, observed=events)
        if len(inp.compositions):
            lp = 0.0
            for r in inp.compositions.itertuples():
                pool = pools[r.t, r.p]
                pred = pt.stack(
                    [pool[1, 1:].sum(), pool[0, 1:].sum(), pool[:, 0].sum()]
                )  # males, females, calves
                obs = np.array([r.males, r.females, r.calves], dtype=float)
                have = np.isfinite(obs)
                share = obs[have] / obs[have].sum()
                pr = pred[np.flatnonzero(have)]
                lp = lp + config.composition_ess * (share * pt.log(pr / pr.sum())).sum()
            pm.Potential("cull_composition", lp)
        if len(inp.sex_ratios):
            lp = 0.0
            for r in inp.sex_ratios.itertuples():
                if r.timing == "rut":
                    m, f = males_l[r.t][r.p], females_l[r.t][r.p]
                else:
                    st = states[r.t][r.p]
                    m, f = st[1].sum(), st[0].sum()
                n = r.males + r.females
                scale = min(1.0, config.sex_ratio_ess / n)
                pm_ = m / (m + f)
                lp = lp + scale * (r.males * pt.log(pm_) + r.females * pt.log1p(-pm_))
            pm.Potential("sex_ratio", lp)
        if len(inp.calves_per_female):
            lp = 0.0
            for r in inp.calves_per_female.itertuples():
                b = births_l[r.t][r.p]
                st = states[r.t][r.p]
                ratio = b / st[0].sum()
                lp = lp + pm.logp(pm.LogNormal.dist(pt.log(ratio), obs_cv), r.calves / r.females)
            pm.Potential("calves_per_female", lp)
        if len(inp.implementation):
            pm.Normal(
                "implementation",
                mu=imp_mu,
                sigma=imp_sd,
                observed=inp.implementation["log_ratio"].to_numpy(),
                dims="implementation_obs",
            )
    model.inputs = inp  # type: ignore[attr-defined]
    model.saigapop_config = config  # type: ignore[attr-defined]
    model.saigapop_priors = priors  # type: ignore[attr-defined]
    return model
