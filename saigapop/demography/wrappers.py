"""Thin xarray shell over the numpy core: named dimensions in, named dimensions out."""

from __future__ import annotations

from typing import Literal

import numpy as np
import xarray as xr

from saigapop.constants import AGE, AGE_CLASSES, CENSUS_AGE_CLASSES, SEX, SEXES, YEAR
from saigapop.demography.cycle import Projection, project
from saigapop.demography.matrix import lambda_, stable_stage
from saigapop.demography.vital_rates import _ARRAY_FIELDS, VitalRates

__all__ = ["lambda_dataarray", "project_dataset", "stable_stage_dataarray"]

_CORE = {  # variable -> (Projection field, core dims after year)
    "N": ("census", (SEX, AGE)),
    "conception": ("conception", ()),
    "births": ("births", (SEX,)),
    "removed": ("removed", (SEX, AGE)),
    "shortfall": ("shortfall", (SEX, AGE)),
    "calving_deaths": ("calving_deaths", (SEX, AGE)),
    "winter_deaths": ("winter_deaths", (SEX, AGE)),
    "at_rut": ("at_rut", (SEX, AGE)),
    "breeding_females": ("breeding_females", ()),
    "breeding_males": ("breeding_males", ()),
    "density_factor": ("density_factor", ()),
}


_RATES_CORE = {
    "survival": (SEX, "_age3"),
    "fecundity": ("_female_age",),
    "twinning": ("_female_age",),
}


def _rates_arrays(rates: VitalRates, rates_dims: tuple[str, ...]) -> dict[str, xr.DataArray]:
    """Each array field of ``rates`` as a DataArray, batch axes named by ``rates_dims``."""
    if len(rates.batch_shape) > len(rates_dims):
        raise ValueError(
            f"rates has batch shape {rates.batch_shape}; name its axes with rates_dims "
            f"(got {rates_dims})"
        )
    out = {}
    for name in _ARRAY_FIELDS:
        arr = np.asarray(getattr(rates, name))
        core = _RATES_CORE.get(name, ())
        n_batch = arr.ndim - len(core)
        dims = (*rates_dims[len(rates_dims) - n_batch :], *core)
        squeeze = tuple(i for i in range(n_batch) if arr.shape[i] == 1)  # numpy broadcasting
        out[name] = xr.DataArray(
            arr.squeeze(axis=squeeze), dims=[d for i, d in enumerate(dims) if i not in squeeze]
        )
    return out


def _pad_flow(arr: np.ndarray, core_ndim: int) -> np.ndarray:
    """Append a NaN year (the flows of the last census year were not projected)."""
    pad = [(0, 0)] * arr.ndim
    pad[arr.ndim - core_ndim - 1] = (0, 1)
    return np.pad(arr, pad, constant_values=np.nan)


def project_dataset(
    initial: xr.DataArray,
    initial_conception: xr.DataArray | float,
    rates: VitalRates,
    years: int,
    *,
    start_year: int,
    rates_dims: tuple[str, ...] = (),
    removals: xr.DataArray | None = None,
    mass_mortality: xr.DataArray | None = None,
    on_excess: Literal["raise", "cap"] = "raise",
) -> xr.Dataset:
    """Project the annual cycle and return a Dataset with named dimensions.

    Inputs are aligned by dimension name (``xr.apply_ufunc``), so the census, the rates,
    the removals and the conception may each carry any subset of the leading dims (e.g.
    ``draw``, ``population``, ``quota``).

    Parameters
    ----------
    initial
        Census state with dims ``(..., sex, age)``, ``age`` ∈ (yearling, adult).
    initial_conception
        Conception of the rut before ``start_year`` (scalar or DataArray).
    rates
        Vital rates, the same every year.
    years
        Number of model years projected.
    start_year
        Census year of ``initial``.
    rates_dims
        Names of the batch axes of ``rates`` (e.g. ``("draw", "population")``); required
        when ``rates.batch_shape`` is not empty. Fields with fewer batch axes take the last
        names (numpy broadcasting).
    removals, mass_mortality
        Optional DataArrays with dims ``(..., year, sex, age)``, ``age`` ∈ (calf,
        yearling, adult), ``year`` covering the ``years`` model years from ``start_year``.
    on_excess
        Passed to :func:`saigapop.demography.apply_removals`.

    Returns
    -------
    xarray.Dataset
        ``year`` runs over ``start_year … start_year + years``; ``age`` over (calf,
        yearling, adult). ``N`` is the census (calves 0: none exist at a pre-breeding
        census); the flows of model year *t* (``births``, ``removed``, ``shortfall``,
        ``calving_deaths``, ``winter_deaths``, ``at_rut``, ``conception``,
        ``breeding_females``, ``breeding_males``, ``density_factor``) are NaN in the last
        year, which was not projected.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> init = xr.DataArray(
    ...     np.full((3, 2, 2), 1000.0),
    ...     dims=("population", "sex", "age"),
    ...     coords={"population": ["Betpakdala", "Ural", "Ustyurt"],
    ...             "sex": ["female", "male"], "age": ["yearling", "adult"]},
    ... )
    >>> rates = VitalRates.kuhl_2009(survival=np.full((3, 2, 3), 0.8))
    >>> ds = project_dataset(init, 0.9, rates, 3, start_year=2025, rates_dims=("population",))
    >>> ds.N.sizes["year"], int(ds.year[-1]), ds.N.dims
    (4, 2028, ('population', 'year', 'sex', 'age'))
    """
    initial = initial.sel({SEX: list(SEXES), AGE: list(CENSUS_AGE_CLASSES)})
    year_coord = np.arange(start_year, start_year + years + 1)
    conception = (
        initial_conception
        if isinstance(initial_conception, xr.DataArray)
        else xr.DataArray(initial_conception)
    )
    rate_arrays = _rates_arrays(rates, rates_dims)
    args = [initial, conception, *rate_arrays.values()]
    core_in = [[SEX, AGE], [], *[list(_RATES_CORE.get(n, ())) for n in rate_arrays]]
    for extra in (removals, mass_mortality):
        if extra is not None:
            extra = extra.sel({SEX: list(SEXES), AGE: list(AGE_CLASSES), YEAR: year_coord[:-1]})
            args.append(extra.rename({YEAR: "_flow_year", AGE: "_age3"}))
            core_in.append(["_flow_year", SEX, "_age3"])
    n_rates = len(rate_arrays)
    has_removals, has_mortality = removals is not None, mass_mortality is not None
    fixed = {n: getattr(rates, n) for n in ("mating_form", "density_form")}

    def func(init: np.ndarray, conc: np.ndarray, *rest: np.ndarray) -> tuple[np.ndarray, ...]:
        step_rates = VitalRates(**dict(zip(rate_arrays, rest[:n_rates], strict=True)), **fixed)
        extras = list(rest[n_rates:])
        rem = extras.pop(0) if has_removals else None
        mort = extras.pop(0) if has_mortality else None
        out: Projection = project(
            init, conc, step_rates, years, rem, mass_mortality=mort, on_excess=on_excess
        )
        census = np.concatenate([np.zeros((*out.census.shape[:-1], 1)), out.census], axis=-1)
        flows = [_pad_flow(getattr(out, f), len(d)) for f, d in list(_CORE.values())[1:]]
        return (census, *flows)

    results = xr.apply_ufunc(
        func,
        *args,
        input_core_dims=core_in,
        output_core_dims=[[YEAR, *dims] for _, dims in _CORE.values()],
        exclude_dims={AGE},
    )
    coords = {YEAR: year_coord, SEX: list(SEXES), AGE: list(AGE_CLASSES)}
    data = {
        name: result.assign_coords({k: v for k, v in coords.items() if k in result.dims})
        for name, result in zip(_CORE, results, strict=True)
    }
    return xr.Dataset(data)


def lambda_dataarray(
    A: xr.DataArray, *, dims: tuple[str, str] = ("stage", "stage_from")
) -> xr.DataArray:
    """Dominant eigenvalue λ of projection matrices held in a DataArray.

    Parameters
    ----------
    A
        Matrices with row dim ``dims[0]`` (stage to) and column dim ``dims[1]`` (stage
        from), plus any other dims.
    dims
        Names of the (row, column) dims.

    Examples
    --------
    >>> import xarray as xr
    >>> A = xr.DataArray([[0.0, 2.0], [0.5, 0.0]], dims=("stage", "stage_from"))
    >>> float(lambda_dataarray(A))
    1.0
    """
    return xr.apply_ufunc(lambda_, A, input_core_dims=[list(dims)])


def stable_stage_dataarray(
    A: xr.DataArray, *, dims: tuple[str, str] = ("stage", "stage_from")
) -> xr.DataArray:
    """Stable stage distribution (sums to 1) along the row dim ``dims[0]``.

    Examples
    --------
    >>> import xarray as xr
    >>> A = xr.DataArray([[0.0, 2.0], [0.5, 0.0]], dims=("stage", "stage_from"))
    >>> stable_stage_dataarray(A).values.round(4)
    array([0.6667, 0.3333])
    """
    return xr.apply_ufunc(
        stable_stage,
        A,
        input_core_dims=[list(dims)],
        output_core_dims=[[dims[0]]],
    )
