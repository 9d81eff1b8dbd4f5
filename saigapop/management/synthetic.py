"""A synthetic posterior meeting the management contract, for tests, docs and benchmarks.

It stands in for ``saigapop.testing.make_synthetic_posterior`` until the model side lands;
its numbers are plausible for saiga (Kühl et al. 2009 fecundity, harem 12–30, ~25 % growth)
but are *not* a fit to any data.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import xarray as xr
from scipy.special import expit, logit

from saigapop.management._contract import CATASTROPHES

__all__ = ["synthetic_posterior"]

_SEXES = ("female", "male")
_AGES = ("calf", "yearling", "adult")
_CENSUS_AGES = ("yearling", "adult")


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
    """Build a posterior ``DataTree`` with every variable the management code reads.

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
        "sex": list(_SEXES),
        "age": list(_AGES),
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
    census = census.assign_coords(age=list(_CENSUS_AGES)).reindex(age=list(_AGES))
    full = ds.drop_vars(["N", "fecundity", "twinning"])
    for name in census.data_vars:
        full[name] = census[name]
    full.attrs = {"density_form": "beverton_holt", "latest_census_year": int(year), "synthetic": 1}
    dt = xr.DataTree.from_dict({"/posterior": full})
    return dt
