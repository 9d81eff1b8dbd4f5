r"""Simulate saiga data sets from known parameters through the library's own annual cycle.

The true dynamics are those of :func:`saigapop.demography.project` (calving → removals →
rut → winter, DESIGN §2), run one model year at a time so that three things the model has
and the numpy core does not can be added exactly as the model writes them
(``saigapop.model.build.annual_step``):

* **process noise**: the next census is multiplied by :math:`e^{\varepsilon_{p,t}}`,
  :math:`\varepsilon_{p,t} \sim N(0, \sigma_{proc})` — the same as net winter survival
  :math:`S\,e^{\varepsilon}`, because winter survival is the last stage of the year;
* **poaching** of a fraction of adult males in the removal season (added to the removals);
* **cull selectivity**: a cull total without a sex × age split is spread over the classes in
  proportion to ``abundance × selectivity`` (the model's rule).

Observations: counts :math:`C_{p,t} = q_{p,t} N_{p,t} e^{\sigma z}` (lognormal with median
:math:`q N`, as in the model's likelihood), optional composition samples (binomial at the
census, binomial calves among calves + females after calving, multinomial cull composition)
and the removals actually taken. The truth is an ``xarray.Dataset`` named like the model's
posterior, the observations a :class:`saigapop.io.SaigaData` built by
:meth:`~saigapop.io.SaigaData.from_frames`, so the model fits them unchanged.

Examples
--------
>>> sim = simulate(TrueParameters(populations=("Ural",), start_year=2003, end_year=2012),
...                seed=1)
>>> sim.data.populations
('Ural',)
>>> sim.truth["N"].dims
('population', 'year', 'sex', 'age')
>>> int(sim.truth.sizes["year"])
10
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd
import xarray as xr
from numpy.typing import NDArray

from saigapop.constants import (
    AGE_CLASSES,
    KAZAKH_POPULATIONS,
    SEXES,
)
from saigapop.demography import VitalRates, calving, density_factor, project
from saigapop.io import SaigaData
from saigapop.io.populations import population_key
from saigapop.validation.truth import (  # re-exported from here
    TrueParameters,
    parameters_from_priors,
)

__all__ = [
    "ObservationDesign",
    "Simulation",
    "TrueParameters",
    "parameters_from_priors",
    "simulate",
]

_SOURCE = "saigapop.validation.simulate"


@dataclass(frozen=True, kw_only=True)
class ObservationDesign:
    """Which observations a simulation produces.

    Parameters
    ----------
    count_years
        Years with a census count of every population (default: every year).
    sex_ratio_years, sex_ratio_sample
        Years with a census sex-ratio sample (``adult_sex_ratio`` at ``census`` timing: males
        among all census animals, binomial) and its size.
    calves_per_female_years, calves_per_female_sample
        Years with a post-calving sample (calves among calves + females, binomial).
    cull_composition_sample
        Size of the multinomial sample (males, females, calves) of each year's culled animals
        (at most the animals culled);
        ``None``: no cull-composition rows.
    """

    count_years: Sequence[int] | None = None
    sex_ratio_years: Sequence[int] = ()
    sex_ratio_sample: int = 500
    calves_per_female_years: Sequence[int] = ()
    calves_per_female_sample: int = 500
    cull_composition_sample: int | None = 1000


class Simulation(NamedTuple):
    """Result of :func:`simulate`."""

    truth: xr.Dataset
    """True parameters and states (``N``, ``N_total``, ``births`` ...), posterior names."""
    data: SaigaData
    """The simulated observations, validated."""
    parameters: TrueParameters
    """The parameters simulated from."""
    seed: int | None
    """The seed used."""


def _split(pool: NDArray, total: NDArray) -> NDArray:
    """Spread ``total[p]`` over ``pool[p, 2, 3]`` in proportion (0 where the pool is empty)."""
    s = pool.sum(axis=(-2, -1), keepdims=True)
    share = np.divide(pool, s, out=np.zeros_like(pool), where=s > 0)
    return share * total[:, None, None]


def _on_grid(da: xr.DataArray | None, pops: Sequence[str], years: NDArray, dims: tuple[str, ...]):
    if da is None:
        return None
    missing = set(da.dims) - {"population", "year", "sex", "age"}
    if missing:
        raise ValueError(f"unexpected dims {sorted(missing)} in {da.name or 'array'}")
    da = da.reindex(population=list(pops), year=years, fill_value=0.0)
    if "sex" in dims:
        da = da.reindex(sex=list(SEXES), age=list(AGE_CLASSES), fill_value=0.0)
    return da.transpose(*dims).fillna(0.0).to_numpy().astype(float)


def simulate(
    params: TrueParameters,
    design: ObservationDesign | None = None,
    *,
    seed: int | np.random.Generator | None = None,
) -> Simulation:
    """Simulate true abundance and observations from ``params``.

    Parameters
    ----------
    params
        True parameter values (:class:`TrueParameters`).
    design
        Which observations to produce (default: a count every year and a cull-composition
        sample where there are culls).
    seed
        Seed or generator; the same seed gives the same data.

    Returns
    -------
    Simulation
        ``truth`` (Dataset: parameters plus ``N(population, year, sex, age)`` with calf NaN at
        the census, ``N_total``, ``births``, ``conception``, ``removed``, ``rut_males``,
        ``rut_females``, ``adult_sex_ratio_rut``, ``process_effect``,
        ``catchability_year``, ``count_median``) and ``data`` (:class:`SaigaData`).

    Examples
    --------
    >>> import xarray as xr
    >>> cull = xr.DataArray([[0.0, 500.0]], dims=("population", "year"),
    ...                     coords={"population": ["Ural"], "year": [2005, 2006]})
    >>> p = TrueParameters(populations=("Ural",), end_year=2008, removals=cull,
    ...                    process_noise_sd=0.0)
    >>> sim = simulate(p, seed=3)
    >>> float(sim.truth["removed"].sel(year=2006).sum())
    500.0
    >>> sorted(set(sim.data.census["kind"]))
    ['count']
    """
    design = design or ObservationDesign()
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    pops, years = params.populations, params.years
    n_pop, n_year = len(pops), len(years)
    rates = params.rates()
    sel = params.selectivity()
    rem_total = rem_split = None
    if params.removals is not None:
        if "sex" in params.removals.dims:
            rem_split = _on_grid(params.removals, pops, years, ("population", "year", "sex", "age"))
        else:
            rem_total = _on_grid(params.removals, pops, years, ("population", "year"))
    mort = _on_grid(params.mass_mortality, pops, years, ("population", "year", "sex", "age"))

    n0 = params.initial_abundance
    y0, m0 = params.initial_yearling_share, params.initial_male_share
    state = np.stack(
        [
            np.stack([0.5 * y0 * n0, (1 - y0) * (1 - m0) * n0], -1),
            np.stack([0.5 * y0 * n0, (1 - y0) * m0 * n0], -1),
        ],
        axis=1,
    )  # (P, sex, census age)
    conception = 1.0 - np.exp(-params.harem_size * state[:, 1, 1] / state[:, 0, :].sum(-1))
    eps = rng.normal(0.0, params.process_noise_sd, size=(n_pop, n_year))

    census = np.empty((n_pop, n_year, 2, 2))
    flows: dict[str, NDArray] = {
        "births": np.empty((n_pop, n_year)),
        "conception": np.empty((n_pop, n_year)),
        "removed": np.empty((n_pop, n_year, 2, 3)),
        "calving_deaths": np.empty((n_pop, n_year, 2, 3)),
        "rut_males": np.empty((n_pop, n_year)),
        "rut_females": np.empty((n_pop, n_year)),
        "post_calving": np.empty((n_pop, n_year, 2, 3)),
    }
    for t in range(n_year):
        census[:, t] = state
        mort_t = None if mort is None else mort[:, t]
        born = calving(
            state,
            conception,
            rates,
            density_factor=_density(rates, state),
            mass_mortality=mort_t,
        )
        x = born.population
        asked = np.zeros((n_pop, 2, 3))
        asked[:, 1, 2] = params.poaching_rate_male * x[:, 1, 2]
        if rem_split is not None:
            asked += rem_split[:, t]
        if rem_total is not None:
            asked += _split((x - asked).clip(min=0.0) * sel, rem_total[:, t])
        out = project(
            state,
            conception,
            rates,
            1,
            asked[:, None],
            mass_mortality=None if mort_t is None else mort_t[:, None],
            on_excess="cap",
        )
        flows["births"][:, t] = out.births[:, 0].sum(-1)
        flows["conception"][:, t] = out.conception[:, 0]
        flows["removed"][:, t] = out.removed[:, 0]
        flows["calving_deaths"][:, t] = out.calving_deaths[:, 0]
        flows["rut_males"][:, t] = out.breeding_males[:, 0]
        flows["rut_females"][:, t] = out.breeding_females[:, 0]
        flows["post_calving"][:, t] = x
        state = out.census[:, -1] * np.exp(eps[:, t])[:, None, None]
        conception = out.conception[:, 0]

    q = params.catchability_year()
    n_total = census.sum(axis=(-2, -1))
    truth = _truth_dataset(params, census, flows, eps, q)
    census_rows, removal_rows, comp_rows = _observations(
        params, design, rng, n_total * q, census, flows, rem_split is not None
    )
    removals = pd.DataFrame(removal_rows) if removal_rows else None
    composition = pd.DataFrame(comp_rows) if comp_rows else None
    data = SaigaData.from_frames(
        pd.DataFrame(census_rows),
        removals,
        composition,
        populations=[p for p in pops if population_key(p) not in _KAZAKH_KEYS],
    )
    return Simulation(truth, data, params, seed if isinstance(seed, int) else None)


#: Lookup keys of the Kazakh populations: any other simulated population is declared.
_KAZAKH_KEYS = frozenset(population_key(p) for p in KAZAKH_POPULATIONS)


def _density(rates: VitalRates, state: NDArray) -> NDArray:
    return density_factor(
        state.sum(axis=(-2, -1)),
        form=rates.density_form,
        carrying_capacity=rates.carrying_capacity,
        strength=rates.density_strength,
    )


def _truth_dataset(
    params: TrueParameters,
    census: NDArray,
    flows: Mapping[str, NDArray],
    eps: NDArray,
    q: NDArray,
) -> xr.Dataset:
    n_pop, n_year = census.shape[:2]
    n = np.concatenate([np.full((n_pop, n_year, 2, 1), np.nan), census], axis=-1)
    py = ("population", "year")
    ds = params.to_dataset()
    eps = eps.copy()
    eps[:, -1] = np.nan  # the effect after the last census is not part of the data window
    n_total = census.sum(axis=(-2, -1))
    ds = ds.assign(
        N=((*py, "sex", "age"), n),
        N_total=(py, n_total),
        births=(py, flows["births"]),
        conception=(py, flows["conception"]),
        removed=((*py, "sex", "age"), flows["removed"]),
        calving_deaths=((*py, "sex", "age"), flows["calving_deaths"]),
        rut_males=(py, flows["rut_males"]),
        rut_females=(py, flows["rut_females"]),
        adult_sex_ratio_rut=(py, flows["rut_males"] / flows["rut_females"]),
        adult_sex_ratio=(py, census[..., 1, 1] / census[..., 0, 1]),
        process_effect=(py, eps),
        catchability_year=(py, q),
        count_median=(py, q * n_total),
    )
    ds = ds.assign_coords(year=params.years)
    ds.attrs = {
        "description": "true values of a saigapop.validation.simulate run",
        "catchability_breaks": str(dict(params.catchability_breaks)),
    }
    return ds


def _observations(
    params: TrueParameters,
    design: ObservationDesign,
    rng: np.random.Generator,
    median: NDArray,
    census: NDArray,
    flows: Mapping[str, NDArray],
    split_known: bool,
) -> tuple[list[dict], list[dict], list[dict]]:
    pops, years = params.populations, params.years
    count_years = set(years.tolist() if design.count_years is None else design.count_years)
    census_rows, removal_rows, comp_rows = [], [], []
    counts = median * np.exp(params.obs_cv * rng.standard_normal(median.shape))
    for p, pop in enumerate(pops):
        for t, year in enumerate(years.tolist()):
            if year in count_years:
                census_rows.append(
                    {
                        "population": pop,
                        "year": year,
                        "kind": "count",
                        "value": float(np.round(counts[p, t])),
                        "method": "simulated",
                        "source": _SOURCE,
                    }
                )
            taken = flows["removed"][p, t]
            poached = params.poaching_rate_male * flows["post_calving"][p, t, 1, 2]
            cull = taken.copy()
            cull[1, 2] = max(cull[1, 2] - poached, 0.0)
            if cull.sum() >= 0.5:
                base = {
                    "population": pop,
                    "year": year,
                    "kind": "cull",
                    "status": "final",
                    "timing": "removal",
                    "unit": "animals",
                    "source": _SOURCE,
                }
                if split_known:
                    for s, sex in enumerate(SEXES):
                        for a, age in enumerate(AGE_CLASSES):
                            if cull[s, a] >= 0.5:
                                removal_rows.append(
                                    base
                                    | {"sex": sex, "age": age, "value": float(np.round(cull[s, a]))}
                                )
                else:
                    removal_rows.append(
                        base | {"sex": "all", "age": "all", "value": float(np.round(cull.sum()))}
                    )
                if design.cull_composition_sample:
                    share = (
                        np.array([cull[1, 1:].sum(), cull[0, 1:].sum(), cull[:, 0].sum()])
                        / cull.sum()
                    )
                    # A sample of the culled animals: never more than were culled (the
                    # readers reject a composition above its cull).
                    size = min(design.cull_composition_sample, int(np.round(cull.sum())))
                    m, f, c = rng.multinomial(size, share)
                    comp_rows.append(
                        {
                            "population": pop,
                            "year": year,
                            "kind": "cull_composition",
                            "timing": "removal",
                            "status": "final",
                            "males": m,
                            "females": f,
                            "calves": c,
                            "source": _SOURCE,
                        }
                    )
            deaths = flows["calving_deaths"][p, t].sum()
            if deaths >= 0.5:
                removal_rows.append(
                    {
                        "population": pop,
                        "year": year,
                        "kind": "mass_mortality",
                        "status": "final",
                        "timing": "calving",
                        "sex": "all",
                        "age": "all",
                        "unit": "animals",
                        "value": float(np.round(deaths)),
                        "source": _SOURCE,
                    }
                )
            if year in set(design.sex_ratio_years):
                males, females = census[p, t, 1].sum(), census[p, t, 0].sum()
                m = rng.binomial(design.sex_ratio_sample, males / (males + females))
                comp_rows.append(
                    {
                        "population": pop,
                        "year": year,
                        "kind": "adult_sex_ratio",
                        "timing": "census",
                        "status": "final",
                        "males": m,
                        "females": design.sex_ratio_sample - m,
                        "source": _SOURCE,
                    }
                )
            if year in set(design.calves_per_female_years):
                x = flows["post_calving"][p, t]
                calves, females = x[:, 0].sum(), x[0, 1:].sum()
                c = rng.binomial(design.calves_per_female_sample, calves / (calves + females))
                comp_rows.append(
                    {
                        "population": pop,
                        "year": year,
                        "kind": "calves_per_female",
                        "timing": "calving",
                        "status": "final",
                        "calves": c,
                        "females": design.calves_per_female_sample - c,
                        "source": _SOURCE,
                    }
                )
    for row in comp_rows:
        for col in ("males", "females", "calves"):
            row.setdefault(col, np.nan)
    return census_rows, removal_rows, comp_rows
