"""Small factories for tests and docs: synthetic data and synthetic fitted posteriors.

Nothing here samples. :func:`make_synthetic_posterior` draws parameters from the default
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
from collections.abc import Sequence
from types import SimpleNamespace

import numpy as np
import xarray as xr
from scipy import special

__all__ = ["make_synthetic_posterior", "simulate_counts"]


def _draw_raw(n: int, n_pop: int, n_year: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    from saigapop.model.priors import DEFAULT_PRIORS as D

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
    from saigapop.model.build import annual_step, survival_array
    from saigapop.model.fit import contract_variables

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
