"""Arrange validated tables on named dimensions (see :meth:`saigapop.SaigaData.to_xarray`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import xarray as xr

from saigapop import constants as C
from saigapop.io.consistency import distinct_removals

if TYPE_CHECKING:
    from saigapop.io.dataset import SaigaData

__all__ = ["to_xarray"]

_SPLIT_SEXES = set(C.SEXES)
_SPLIT_AGES = set(C.AGE_CLASSES)


def _pivot(
    frame: pd.DataFrame, column: str, pops: Sequence[str], years: np.ndarray, fill: float | str
) -> np.ndarray:
    """Return ``frame[column]`` on a (population, year) grid, ``fill`` where there is no row."""
    if frame.empty:
        return np.full((len(pops), len(years)), fill, dtype=object)
    table = frame.pivot(index="population", columns="year", values=column)
    table = table.reindex(index=list(pops), columns=years).astype(object)
    return table.where(table.notna(), fill).to_numpy()


def _by_year(frame: pd.DataFrame, column: str, years: np.ndarray, fill: float | str) -> np.ndarray:
    """Return ``frame[column]`` by year (at most one row per year), ``fill`` where none."""
    if frame.empty:
        return np.full(len(years), fill, dtype=object)
    series = frame.set_index("year")[column].reindex(years).astype(object)
    return series.where(series.notna(), fill).to_numpy()


def to_xarray(data: SaigaData) -> xr.Dataset:
    """Build the dataset documented in :meth:`saigapop.SaigaData.to_xarray`."""
    pops = list(data.populations)
    span = data.years
    years = np.arange(span.start, span.stop, dtype="int64")
    census = data.census
    local = census[census["population"] != C.TOTAL]
    national = census[census["population"] == C.TOTAL]
    pop_year = ("population", "year")

    def local_kind(kind: str, column: str = "value", fill: float | str = np.nan) -> np.ndarray:
        return _pivot(local[local["kind"] == kind], column, pops, years, fill)

    def national_kind(
        kinds: Sequence[str], column: str = "value", fill: float | str = np.nan
    ) -> np.ndarray:
        return _by_year(national[national["kind"].isin(kinds)], column, years, fill)

    missing_years = set(census.loc[census["kind"] == "missing", "year"])
    national_missing = set(national.loc[national["kind"] == "missing", "year"])
    count_missing = local_kind("missing", "kind", "") == "missing"
    count_missing |= np.isin(years, list(national_missing))[None, :]

    variables: dict[str, tuple] = {
        "count": (pop_year, local_kind("count").astype(float)),
        "count_flag": (pop_year, local_kind("count", "flag", "").astype(str)),
        "count_missing": (pop_year, count_missing.astype(bool)),
        "upper_bound": (pop_year, local_kind("upper_bound").astype(float)),
        "lower_bound": (pop_year, local_kind("lower_bound").astype(float)),
        "estimate": (pop_year, local_kind("estimate").astype(float)),
        "national_total": ("year", national_kind(C.NATIONAL_CENSUS_KINDS).astype(float)),
        "national_total_kind": (
            "year",
            national_kind(C.NATIONAL_CENSUS_KINDS, "kind", "").astype(str),
        ),
        "national_upper_bound": ("year", national_kind(["upper_bound"]).astype(float)),
        "national_lower_bound": ("year", national_kind(["lower_bound"]).astype(float)),
        "national_estimate": ("year", national_kind(["estimate"]).astype(float)),
        "missing": ("year", np.isin(years, list(missing_years))),
    }
    variables |= _removal_variables(data.removals, pops, years)
    variables |= _composition_variables(data.composition)
    coords = {
        "population": np.array(pops, dtype=str),
        "year": years,
        "sex": np.array(C.SEXES),
        "age": np.array(C.AGE_CLASSES),
        "kind": np.array([k for k in C.REMOVAL_KINDS if k != "mass_mortality"]),
    }
    coords |= _obs_coords(data.removals, data.composition)
    ds = xr.Dataset(
        {name: xr.Variable(dims, values) for name, (dims, values) in variables.items()},
        coords=coords,
    )
    ds.attrs = {"data_hash": data.data_hash, "files": list(data.files)}
    return ds


def _final_rows(removals: pd.DataFrame) -> pd.DataFrame:
    """Return the final rows; alternative reports of one removal (an ``event`` id) count once."""
    return distinct_removals(removals[removals["status"] == "final"])


def _removal_variables(
    removals: pd.DataFrame, pops: list[str], years: np.ndarray
) -> dict[str, tuple]:
    kinds = [k for k in C.REMOVAL_KINDS if k != "mass_mortality"]
    animals = _final_rows(removals)
    animals = animals[(animals["unit"] == "animals") & animals["population"].isin(pops)]
    animals = animals[animals["value"].notna()]
    split = animals[
        animals["sex"].isin(_SPLIT_SEXES)
        & animals["age"].isin(_SPLIT_AGES)
        & animals["kind"].isin(kinds)
    ]
    unsplit = animals[
        ~(animals["sex"].isin(_SPLIT_SEXES) & animals["age"].isin(_SPLIT_AGES))
        & animals["kind"].isin(kinds)
    ]
    by_kind = (
        split.groupby(["kind", "population", "year", "sex", "age"])["value"]
        .sum()
        .reindex(
            pd.MultiIndex.from_product(
                [kinds, pops, years, list(C.SEXES), list(C.AGE_CLASSES)],
                names=["kind", "population", "year", "sex", "age"],
            ),
            fill_value=0.0,
        )
        .to_numpy(dtype=float)
        .reshape(len(kinds), len(pops), len(years), len(C.SEXES), len(C.AGE_CLASSES))
    )
    unsplit_arr = (
        unsplit.groupby(["population", "year", "kind"])["value"]
        .sum()
        .reindex(
            pd.MultiIndex.from_product([pops, years, kinds], names=["population", "year", "kind"]),
            fill_value=0.0,
        )
        .to_numpy(dtype=float)
        .reshape(len(pops), len(years), len(kinds))
    )
    final = _final_rows(removals)
    die_off = final[(final["kind"] == "mass_mortality") & (final["unit"] == "animals")]
    return {
        "removals": (("population", "year", "sex", "age"), by_kind.sum(axis=0)),
        "removals_by_kind": (("kind", "population", "year", "sex", "age"), by_kind),
        "removals_unsplit": (("population", "year", "kind"), unsplit_arr),
        "removal_value": ("removal_obs", final["value"].to_numpy(float)),
        "removal_lower": ("removal_obs", final["lower"].to_numpy(float)),
        "removal_upper": ("removal_obs", final["upper"].to_numpy(float)),
        "mass_mortality": ("mass_mortality_obs", die_off["value"].to_numpy(float)),
        "mass_mortality_lower": ("mass_mortality_obs", die_off["lower"].to_numpy(float)),
        "mass_mortality_upper": ("mass_mortality_obs", die_off["upper"].to_numpy(float)),
    }


def _composition_variables(composition: pd.DataFrame) -> dict[str, tuple]:
    return {
        f"composition_{c}": ("composition_obs", composition[c].to_numpy(float))
        for c in ("males", "females", "calves")
    }


def _obs_coords(removals: pd.DataFrame, composition: pd.DataFrame) -> dict[str, tuple]:
    final = _final_rows(removals)
    die_off = final[(final["kind"] == "mass_mortality") & (final["unit"] == "animals")]
    coords: dict[str, tuple] = {}
    for column in ("population", "year", "kind", "sex", "age", "unit", "timing", "source", "row"):
        coords[f"removal_{column}"] = ("removal_obs", _coord(final[column]))
    for column in ("population", "year", "sex", "age", "source"):
        coords[f"mass_mortality_{column}"] = ("mass_mortality_obs", _coord(die_off[column]))
    for column in ("population", "year", "kind", "timing", "status", "source"):
        coords[f"composition_{column}"] = ("composition_obs", _coord(composition[column]))
    return coords


def _coord(series: pd.Series) -> np.ndarray:
    if pd.api.types.is_integer_dtype(series):
        return series.to_numpy("int64")
    return series.to_numpy(str).astype(str)
