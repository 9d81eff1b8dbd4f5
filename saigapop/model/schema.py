"""The posterior contract (DESIGN §3) as one schema object, checked on both sides.

``saigapop.management`` projects from these variables only, so a fit must carry them and a
synthetic posterior built for tests must too. :func:`validate_posterior` checks the
``posterior`` group (names, dims, coordinates and value ranges) and raises one error listing
every problem; :func:`validate_fit` additionally checks the groups and provenance attrs that
:func:`saigapop.model.fit.fit` writes.

Examples
--------
>>> from saigapop.testing import make_synthetic_posterior
>>> from saigapop.model.schema import POSTERIOR_SCHEMA, validate_posterior
>>> ds = validate_posterior(make_synthetic_posterior(chains=1, draws=4))
>>> "N" in POSTERIOR_SCHEMA.variables and "N" in ds
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import xarray as xr

from saigapop.exceptions import ConfigError

__all__ = [
    "FIT_ATTRS",
    "FIT_GROUPS",
    "POSTERIOR_SCHEMA",
    "PosteriorContractError",
    "PosteriorSchema",
    "VariableSpec",
    "validate_fit",
    "validate_posterior",
]


class PosteriorContractError(ConfigError):
    """A posterior does not meet the DESIGN §3 contract."""


@dataclass(frozen=True, slots=True)
class VariableSpec:
    """One contract variable.

    Parameters
    ----------
    dims
        Required dims besides ``(chain, draw)``.
    description
        What it is.
    lower, upper
        Allowed value range (NaN allowed only where ``allow_nan``).
    optional_dims
        Dims the variable may also carry.
    optional
        The variable may be absent (a documented default is used instead).
    allow_nan
        NaN marks "not applicable" (e.g. calves at the census).
    """

    dims: tuple[str, ...]
    description: str
    lower: float = -np.inf
    upper: float = np.inf
    optional_dims: tuple[str, ...] = ()
    optional: bool = False
    allow_nan: bool = False


@dataclass(frozen=True, slots=True)
class PosteriorSchema:
    """Named variables with their dims and ranges, plus required coordinate values."""

    variables: Mapping[str, VariableSpec]
    required_coords: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def table(self) -> list[dict[str, object]]:
        """Rows (name, dims, range, optional, description) for docs and reports."""
        return [
            {
                "variable": name,
                "dims": ("chain", "draw", *spec.dims),
                "range": (spec.lower, spec.upper),
                "optional": spec.optional,
                "description": spec.description,
            }
            for name, spec in self.variables.items()
        ]


_P = (0.0, 1.0)
#: The DESIGN §3 posterior contract (names shared with ``saigapop.management``).
POSTERIOR_SCHEMA = PosteriorSchema(
    variables=MappingProxyType(
        {
            "N": VariableSpec(
                ("population", "year", "sex", "age"),
                "abundance at the spring census; age calf is NaN (not yet born)",
                lower=0.0,
                allow_nan=True,
            ),
            "survival": VariableSpec(
                ("population", "sex", "age"), "annual survival by sex and age", *_P
            ),
            "fecundity": VariableSpec(
                ("age",),
                "pregnancy probability by female census age (calf NaN)",
                *_P,
                allow_nan=True,
            ),
            "twinning": VariableSpec(
                ("age",),
                "twinning probability by female census age (calf NaN)",
                *_P,
                allow_nan=True,
            ),
            "harem_size": VariableSpec((), "h of the mating function P = 1 - exp(-h M/F)", 0.0),
            "carrying_capacity": VariableSpec(
                ("population",),
                "density scale K of the fecundity factor exp(-b N/K)",
                0.0,
                optional=True,
            ),
            "density_strength": VariableSpec(
                (), "b of the Ricker fecundity factor exp(-b N/K)", 0.0, optional=True
            ),
            "process_noise_sd": VariableSpec(
                (),
                "SD of population x year log net-survival effects",
                0.0,
                optional_dims=("population",),
            ),
            "obs_cv": VariableSpec((), "lognormal SD of aerial counts", 0.0),
            "catchability": VariableSpec(
                ("population",), "counted/true animals in the latest census year", 0.0
            ),
            "catastrophe_rate": VariableSpec(
                ("catastrophe",), "annual probability per population", *_P
            ),
            "catastrophe_severity": VariableSpec(
                ("catastrophe", "sex", "age"), "fraction killed in a catastrophe", *_P
            ),
            "poaching_rate": VariableSpec(
                ("population", "sex"), "annual fraction poached (adults)", *_P
            ),
            "poaching_trade_effect": VariableSpec((), "poaching multiplier with trade", 0.0),
            "implementation_fraction": VariableSpec(
                (), "typical achieved/planned removal ratio", 0.0
            ),
            "implementation_selectivity": VariableSpec(
                ("sex", "age"), "relative per-capita removal vulnerability", 0.0
            ),
            "conception_probability": VariableSpec(
                ("population",),
                "conception probability at the rut",
                *_P,
                optional_dims=("year",),
            ),
        }
    ),
    required_coords=MappingProxyType(
        {
            "sex": ("female", "male"),
            "age": ("yearling", "adult"),
            "catastrophe": ("pasteurellosis", "dzhut"),
        }
    ),
)
#: Groups a fit from :func:`saigapop.model.fit.fit` must have.
FIT_GROUPS: tuple[str, ...] = (
    "posterior",
    "posterior_predictive",
    "prior",
    "sample_stats",
    "observed_data",
    "constant_data",
)
#: Provenance attrs a fit must carry.
FIT_ATTRS: tuple[str, ...] = (
    "saigapop_model_config",
    "saigapop_sampler_config",
    "data_hash",
    "model_hash",
    "random_seed",
    "chain_seeds",
    "versions",
)


def _posterior(dt: xr.DataTree | xr.Dataset) -> xr.Dataset:
    if isinstance(dt, xr.DataTree):
        if "posterior" not in dt.children:
            raise PosteriorContractError("the DataTree has no 'posterior' group")
        return dt["posterior"].to_dataset()
    return dt


def validate_posterior(
    dt: xr.DataTree | xr.Dataset, schema: PosteriorSchema = POSTERIOR_SCHEMA
) -> xr.Dataset:
    """Check a posterior against the contract; return the posterior Dataset.

    Parameters
    ----------
    dt
        A ``DataTree`` with a ``posterior`` group, or that group as a Dataset.
    schema
        The schema (default :data:`POSTERIOR_SCHEMA`).

    Returns
    -------
    xarray.Dataset
        The posterior group.

    Raises
    ------
    PosteriorContractError
        Listing every missing variable, wrong dim, missing coordinate value and
        out-of-range value at once.
    """
    ds = _posterior(dt)
    problems: list[str] = []
    for dim, values in schema.required_coords.items():
        if dim in ds.coords:
            have = {str(v) for v in ds[dim].values}
            missing = [v for v in values if v not in have]
            if missing:
                problems.append(f"coordinate {dim!r} lacks {missing} (has {sorted(have)})")
    for name, spec in schema.variables.items():
        if name not in ds:
            if not spec.optional:
                dims = ", ".join(("chain", "draw", *spec.dims))
                problems.append(f"missing variable {name!r} (dims {dims}): {spec.description}")
            continue
        da = ds[name]
        have = set(da.dims)
        for dim in ("chain", "draw", *spec.dims):
            if dim not in have:
                problems.append(f"{name!r} lacks dim {dim!r} (has {tuple(da.dims)})")
        extra = have - {"chain", "draw", *spec.dims, *spec.optional_dims}
        if extra:
            problems.append(f"{name!r} has unexpected dims {sorted(extra)}")
        values = np.asarray(da.values, dtype=float)
        nan = np.isnan(values)
        if nan.any() and not spec.allow_nan:
            problems.append(f"{name!r} has {int(nan.sum())} NaN value(s)")
        if name == "N" and "age" in da.dims:
            census = da.sel(age=[a for a in ("yearling", "adult") if a in da["age"].values])
            if np.isnan(census.values).any():
                problems.append("'N' has NaN at census ages (yearling/adult)")
        finite = values[~nan]
        if finite.size and (finite.min() < spec.lower or finite.max() > spec.upper):
            problems.append(
                f"{name!r} outside [{spec.lower}, {spec.upper}]: "
                f"min {finite.min():.4g}, max {finite.max():.4g}"
            )
    if problems:
        raise PosteriorContractError(
            "the posterior does not meet the DESIGN §3 contract:\n  - " + "\n  - ".join(problems)
        )
    return ds


def validate_fit(dt: xr.DataTree, schema: PosteriorSchema = POSTERIOR_SCHEMA) -> xr.Dataset:
    """Check a full fit: groups, provenance attrs and the posterior contract.

    Raises
    ------
    PosteriorContractError
        Listing everything missing at once.
    """
    problems = [f"missing group {g!r}" for g in FIT_GROUPS if g not in dt.children]
    problems += [f"missing attr {a!r}" for a in FIT_ATTRS if a not in dt.attrs]
    try:
        ds = validate_posterior(dt, schema) if "posterior" in dt.children else None
    except PosteriorContractError as err:
        problems.append(str(err))
        ds = None
    if problems:
        raise PosteriorContractError("the fit is incomplete:\n  - " + "\n  - ".join(problems))
    assert ds is not None
    return ds
