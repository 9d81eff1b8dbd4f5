"""Small factories for tests and docs: synthetic data and synthetic fitted posteriors.

Nothing here samples. :func:`synthetic_posterior` builds a posterior meeting the contract
from stated means and spreads (management tests, docs, benchmarks);
:func:`make_synthetic_posterior` draws parameters from the default
priors with numpy and runs the model's own annual cycle (:func:`saigapop.model.build.
annual_step` with numpy) forward, so its ``N`` is internally consistent with its rates.

Examples
--------
>>> from saigapop.testing import make_synthetic_posterior
>>> dt = make_synthetic_posterior(populations=("A", "B"), chains=2, draws=3)
>>> dict(dt.posterior["N"].sizes)
{'chain': 2, 'draw': 3, 'population': 2, 'year': 6, 'sex': 2, 'age': 3}
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from types import SimpleNamespace

import numpy as np
import xarray as xr
from scipy import special
from scipy.special import expit, logit

from saigapop.constants import AGE_CLASSES, CENSUS_AGE_CLASSES, SEXES
from saigapop.model.build import annual_step, survival_array
from saigapop.model.fit import contract_variables
from saigapop.model.priors import DEFAULT_PRIORS
from saigapop.model.schema import CATASTROPHES

__all__ = ["make_synthetic_posterior", "simulate_counts", "synthetic_posterior"]


def _draw_raw(n: int, n_pop: int, n_year: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    D = DEFAULT_PRIORS
    out = {name: D[name].sample(n, rng) for name in D if D[name].distribution != "LogitNormal"}
    logit_mu = np.stack(
        [
            special.logit(D[f"survival_{c}"].sample(n, rng))
            for c in ("calf", "yearling_female", "yearling_male", "adult_female", "adult_male")
        ],
        -1,
    )
    z = rng.normal(size=(n, n_pop, 5))
    out["survival_rate"] = special.expit(
        logit_mu[:, None, :] + out["survival_pooling_sd"][:, None, None] * z
    )
    out["process_z"] = rng.normal(size=(n, n_pop, max(n_year - 1, 1)))
    out["initial_abundance"] = rng.normal(size=(n, n_pop))
    return out


def make_synthetic_posterior(
    populations: Sequence[str] = ("Betpakdala", "Ural", "Ustyurt"),
    years: Sequence[int] = tuple(range(2020, 2026)),
    *,
    chains: int = 2,
    draws: int = 50,
    seed: int = 0,
    initial_total: float = 100_000.0,
) -> xr.DataTree:
    """Build a ``DataTree`` shaped like a fit that meets the posterior contract (no sampling).

    Parameters
    ----------
    populations
        Population names.
    years
        Census years (consecutive).
    chains, draws
        Posterior shape.
    seed
        Seed of the numpy generator.
    initial_total
        Scale of each population's first-year abundance.

    Returns
    -------
    xarray.DataTree
        Groups ``posterior`` (raw parameters and contract variables), ``sample_stats``
        (``diverging``, ``energy``), ``observed_data``, ``constant_data``, ``prior``,
        ``posterior_predictive``, and the provenance attrs of a real fit.
    """
    rng = np.random.default_rng(seed)
    pops = list(populations)
    yrs = [int(y) for y in years]
    P, T, n = len(pops), len(yrs), chains * draws
    raw = _draw_raw(n, P, T, rng)
    N = np.empty((n, P, T, 2, 2))
    conc = np.empty((n, P, T))
    births = np.empty((n, P, T))
    males = np.empty((n, P, T))
    females = np.empty((n, P, T))
    for i in range(n):
        n0 = initial_total * np.exp(0.3 * raw["initial_abundance"][i])
        y0, m0 = raw["initial_yearling_share"][i], raw["initial_male_share"][i]
        Y = np.stack([0.5 * y0 * n0, 0.5 * y0 * n0], -1)
        A = np.stack([(1 - y0) * (1 - m0) * n0, (1 - y0) * m0 * n0], -1)
        Pp = 1 - np.exp(-raw["harem_size"][i] * A[:, 1] / (Y[:, 0] + A[:, 0]))
        surv = survival_array(raw["survival_rate"][i], np)
        selw = np.array([[0.5, 1, 1], [0.5, 1.5, 1.5]])
        for t in range(T):
            N[i, :, t] = np.stack([Y, A], -1)
            eps = raw["process_noise_sd"][i] * raw["process_z"][i][:, min(t, T - 2)]
            out = annual_step(
                Y,
                A,
                Pp,
                survival=surv,
                fecundity=np.array([raw["fecundity_yearling"][i], raw["fecundity_adult"][i]]),
                twinning=np.array([raw["twinning_yearling"][i], raw["twinning_adult"][i]]),
                harem_size=raw["harem_size"][i],
                density_factor=np.ones(P),
                dieoff=np.zeros((P, 2, 3)),
                poaching=raw["poaching_rate_male"][i],
                selectivity=selw,
                log_process=eps,
            )
            conc[i, :, t], births[i, :, t] = out["conception"], out["births"]
            males[i, :, t], females[i, :, t] = out["rut_males"], out["rut_females"]
            Y, A, Pp = out["Y"], out["A"], out["conception"]

    def shaped(x: np.ndarray) -> np.ndarray:
        return x.reshape(chains, draws, *x.shape[1:])

    cd = ("chain", "draw")
    data = {k: (cd, shaped(v)) for k, v in raw.items() if v.ndim == 1}
    data["survival_rate"] = ((*cd, "population", "survival_class"), shaped(raw["survival_rate"]))
    data["N"] = ((*cd, "population", "year", "sex", "census_age"), shaped(N))
    for name, arr in (
        ("conception", conc),
        ("births", births),
        ("rut_males", males),
        ("rut_females", females),
    ):
        data[name] = ((*cd, "population", "year"), shaped(arr))
    q = np.exp(rng.normal(0, 0.1, size=(n, P)))
    data["catchability_year"] = (
        (*cd, "population", "year"),
        shaped(np.repeat(q[:, :, None], T, axis=2)),
    )
    ds = xr.Dataset(
        data,
        coords={
            "chain": np.arange(chains),
            "draw": np.arange(draws),
            "population": pops,
            "year": yrs,
            "sex": ["female", "male"],
            "census_age": ["yearling", "adult"],
        },
    )
    inputs = SimpleNamespace(
        density_scale=np.full(P, 10 * initial_total), n_pop=P, years=np.array(yrs)
    )
    post = contract_variables(ds, inputs)
    total = post["N"].sum(["sex", "age"])
    obs = total.isel(chain=0, draw=0) * np.exp(rng.normal(0, 0.2, size=(P, T)))
    observed = xr.Dataset(
        {"count": obs.stack(count_obs=("population", "year")).reset_index("count_obs", drop=True)}
    )
    ppc = xr.Dataset(
        {
            "count": (total * np.exp(rng.normal(0, 0.2, size=total.shape)))
            .stack(count_obs=("population", "year"))
            .reset_index("count_obs", drop=True)
        }
    )
    stats = xr.Dataset(
        {
            "diverging": (cd, np.zeros((chains, draws), dtype=bool)),
            "energy": (
                cd,
                rng.normal(size=(chains, draws)).cumsum(axis=1) * 0.1
                + rng.normal(size=(chains, draws)),
            ),
        },
        coords={"chain": np.arange(chains), "draw": np.arange(draws)},
    )
    dt = xr.DataTree.from_dict(
        {
            "/posterior": post,
            "/prior": post,
            "/posterior_predictive": ppc,
            "/observed_data": observed,
            "/sample_stats": stats,
            "/constant_data": xr.Dataset(
                {"density_scale": ("population", inputs.density_scale)}, coords={"population": pops}
            ),
        }
    )
    dt.attrs = {
        "saigapop_model_config": "{}",
        "saigapop_sampler_config": json.dumps({"chains": chains, "draws": draws}),
        "data_hash": "synthetic",
        "model_hash": f"synthetic-{seed}",
        "random_seed": int(seed),
        "chain_seeds": json.dumps(list(range(chains))),
        "versions": "{}",
        "parameters": json.dumps(["harem_size", "obs_cv", "survival_rate"]),
        "synthetic": 1,
    }
    return dt


def simulate_counts(dt: xr.DataTree, *, cv: float = 0.2, seed: int = 0) -> xr.DataArray:
    """Noisy counts (population, year) from the first draw of a synthetic posterior."""
    rng = np.random.default_rng(seed)
    total = dt.posterior["N"].isel(chain=0, draw=0).sum(["sex", "age"])
    return total * np.exp(rng.normal(0, cv, size=total.shape))


def synthetic_posterior(
    populations: Mapping[str, float] | None = None,
    *,
    chains: int = 2,
    draws: int = 100,
    year: int = 2025,
    seed: int = 0,
    adult_male_share: float = 0.15,
    survival: Mapping[str, tuple[float, float, float]] | None = None,
    catastrophe_rate: tuple[float, float] = (0.05, 0.08),
    poaching_male: float = 0.02,
    harem_size: tuple[float, float] = (12.0, 30.0),
    uncertainty: float = 1.0,
) -> xr.DataTree:
    """Build a posterior ``DataTree`` with every contract variable, from stated means.

    The factory for tests, docs and benchmarks of management: each contract variable is
    drawn around a plausible saiga value (Kühl et al. 2009 fecundity, harem 12–30, ~25 %
    growth), with spreads scaled by ``uncertainty``; the numbers are *not* a fit to any
    data. :func:`make_synthetic_posterior` instead runs the model's own cycle from the
    priors (a fit-shaped tree with every group, for model and report tests).

    Parameters
    ----------
    populations
        Population name -> true total at the census of ``year``. Default: the three
        Kazakh populations at roughly their 2025 counts.
    chains, draws
        Posterior shape.
    year
        The latest census year ``Y``; ``N`` covers ``Y - 2 … Y``.
    seed
        Seed of the generator.
    adult_male_share
        Adult males as a share of the census total.
    survival
        ``{"female": (calf, yearling, adult), "male": (...)}`` posterior means.
    catastrophe_rate
        Annual probability (pasteurellosis, dzhut) per population-year.
    poaching_male
        Annual fraction of adult males poached.
    harem_size
        Uniform range of the harem-size posterior.
    uncertainty
        Multiplies every posterior spread (0 gives identical draws).

    Returns
    -------
    xarray.DataTree
        With a ``posterior`` group.

    Examples
    --------
    >>> from saigapop.testing import synthetic_posterior
    >>> dt = synthetic_posterior({"A": 1e5}, chains=1, draws=4)
    >>> dict(dt.posterior["N"].sizes)
    {'chain': 1, 'draw': 4, 'population': 1, 'year': 3, 'sex': 2, 'age': 3}
    """
    if populations is None:
        populations = {"Betpakdala": 1.6e6, "Ural": 2.3e6, "Ustyurt": 7.8e4}
    if survival is None:
        survival = {"female": (0.60, 0.85, 0.85), "male": (0.60, 0.80, 0.65)}
    rng = np.random.default_rng(seed)
    u = float(uncertainty)
    pops = list(populations)
    n_pop = len(pops)
    shape = (chains, draws)

    def noise(*extra: int, sd: float) -> np.ndarray:
        return rng.normal(0.0, sd * u, size=(*shape, *extra))

    surv_mean = np.array([survival["female"], survival["male"]])
    surv = expit(logit(surv_mean) + noise(n_pop, 2, 3, sd=0.15))
    fec = expit(logit(np.array([0.774, 0.946])) + noise(2, sd=0.1))
    twin = expit(logit(np.array([0.117, 0.726])) + noise(2, sd=0.1))
    totals = np.array([populations[p] for p in pops], dtype=float)
    share = np.array(
        [[0.18, 0.82 - adult_male_share - 0.18 - 0.18], [0.18, adult_male_share]]
    )  # (sex, census age), rows female, male
    share[0, 1] = 1.0 - share[0, 0] - share[1].sum()
    years = np.arange(year - 2, year + 1)
    growth = 1.25 ** (years - year)
    base = totals[:, None, None, None] * growth[None, :, None, None] * share[None, None]
    n = (
        base
        * np.exp(noise(n_pop, 1, 1, 1, sd=0.1))
        * np.exp(noise(n_pop, len(years), 2, 2, sd=0.02))
    )
    severity = np.zeros((*shape, 2, 2, 3))
    severity[..., 0, 0, :] = (0.5, 0.3, 0.3)  # pasteurellosis: females and calves
    severity[..., 0, 1, :] = (0.5, 0.03, 0.03)
    severity[..., 1, :, 0] = 0.4  # dzhut: calves
    severity[..., 1, 0, 1:] = (0.1, 0.08)
    severity[..., 1, 1, 1:] = (0.15, 0.3)  # post-rut adult males
    severity = np.clip(severity * np.exp(noise(2, 2, 3, sd=0.2)), 0.0, 0.95)
    poach = np.stack(
        [
            np.full((*shape, n_pop), poaching_male / 10.0),
            poaching_male * np.exp(noise(n_pop, sd=0.3)),
        ],
        axis=-1,
    )
    select = np.ones((*shape, 2, 3))
    select[..., 1, 1:] = 1.0 + 0.25 * np.exp(noise(1, sd=0.3))  # male-biased: > 1
    select[..., :, 0] = 0.5
    coords = {
        "chain": np.arange(chains),
        "draw": np.arange(draws),
        "population": pops,
        "year": years,
        "sex": list(SEXES),
        "age": list(AGE_CLASSES),
        "catastrophe": list(CATASTROPHES),
    }
    cd = ("chain", "draw")
    ds = xr.Dataset(
        {
            "N": (
                (*cd, "population", "year", "sex", "age_census"),
                n,
            ),
            "survival": ((*cd, "population", "sex", "age"), surv),
            "fecundity": ((*cd, "age_census"), fec),
            "twinning": ((*cd, "age_census"), twin),
            "harem_size": (
                cd,
                rng.uniform(*harem_size, size=shape)
                if u > 0
                else np.full(shape, np.mean(harem_size)),
            ),
            "carrying_capacity": (
                (*cd, "population"),
                10.0 * totals * np.exp(noise(n_pop, sd=0.3)),
            ),
            "density_strength": (cd, 0.5 * np.exp(noise(sd=0.2))),
            "process_noise_sd": (cd, 0.15 * np.exp(noise(sd=0.2))),
            "obs_cv": (cd, 0.2 * np.exp(noise(sd=0.2))),
            "catchability": ((*cd, "population"), np.exp(noise(n_pop, sd=0.1))),
            "catastrophe_rate": (
                (*cd, "catastrophe"),
                # annual probabilities: never above 1
                np.minimum(np.array(catastrophe_rate) * np.exp(noise(2, sd=0.3)), 1.0),
            ),
            "catastrophe_severity": ((*cd, "catastrophe", "sex", "age"), severity),
            "poaching_rate": ((*cd, "population", "sex"), poach),
            "poaching_trade_effect": (cd, 1.0 + 0.5 * np.exp(noise(sd=0.3))),  # trade raises it
            "implementation_fraction": (cd, expit(logit(0.25) + noise(sd=0.3))),
            "implementation_selectivity": ((*cd, "sex", "age"), select),
            "conception_probability": ((*cd, "population"), expit(3.0 + noise(n_pop, sd=0.3))),
        },
        coords=coords,
    )
    # One Dataset holds one "age" coordinate: census-age variables (N, fecundity, twinning)
    # are stored on all three classes with calf = NaN, which the contract allows.
    census = ds[["N", "fecundity", "twinning"]].rename({"age_census": "age"})
    census = census.assign_coords(age=list(CENSUS_AGE_CLASSES)).reindex(age=list(AGE_CLASSES))
    full = ds.drop_vars(["N", "fecundity", "twinning"])
    for name in census.data_vars:
        full[name] = census[name]
    full.attrs = {"density_form": "beverton_holt", "latest_census_year": int(year), "synthetic": 1}
    dt = xr.DataTree.from_dict({"/posterior": full})
    return dt
