"""The posterior contract (DESIGN §3) as one schema object, checked on both sides.

``saigapop.management`` projects from these variables only, so a fit must carry them and a
synthetic posterior built for tests must too. :func:`validate_posterior` checks the
``posterior`` group (names, dims, coordinates and value ranges) and raises one error listing
every problem; :func:`validate_fit` additionally checks the groups and provenance attrs that
:func:`saigapop.model.fit.fit` writes. Variables outside the schema are allowed and not
checked: the model's own parameters and latents that only some data sets create (e.g.
``poaching_removed`` on ``poaching_estimate``, the latent removals of recorded poaching
estimates with a stated range) travel with the fit, and a fit with or without them meets the
contract; management never reads them.

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

from saigapop.constants import AGE_CLASSES
from saigapop.exceptions import ConfigError

__all__ = [
    "CATASTROPHES",
    "CENSUS_AGE_VARIABLES",
    "FIT_ATTRS",
    "FIT_GROUPS",
    "POSTERIOR_SCHEMA",
    "VARIABLE_ALIASES",
    "PosteriorContractError",
    "PosteriorSchema",
    "VariableSpec",
    "contract_dims",
    "posterior_dataset",
    "read_posterior",
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


#: Catastrophe kinds (coordinate ``catastrophe``): calving-season pasteurellosis and
#: harsh-winter dzhut.
CATASTROPHES: tuple[str, str] = ("pasteurellosis", "dzhut")
#: Names the model side uses for the same quantity (renamed on reading).
VARIABLE_ALIASES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"conception_probability": ("conception",)}
)
#: Variables on census ages that may use a ``census_age`` dim instead of ``age``.
CENSUS_AGE_VARIABLES: frozenset[str] = frozenset({"N", "fecundity", "twinning"})


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
            "harem_size": VariableSpec(
                (), "h of the exponential mating function P = 1 - exp(-h M/F)", 0.0
            ),
            # the default mating function (issue 16); absent in fits made before it, which
            # project with the exponential form (attrs["mating_form"])
            "mating_half_share": VariableSpec(
                (), "male share of breeders at which the Hill curve is 1/2", *_P, optional=True
            ),
            "mating_steepness": VariableSpec(
                (), "Hill exponent of conception in log(M/F)", 0.0, optional=True
            ),
            "mating_reference_ratio": VariableSpec(
                (), "M/F at which conception is normalised to 1 (Kühl et al.)", 0.0, optional=True
            ),
            "mating_yearling_weight": VariableSpec(
                (), "weight of yearling males among breeding males", *_P, optional=True
            ),
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
            "catastrophe": CATASTROPHES,
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


#: Pooled survival classes of ``saigapop.model.build`` (``survival_rate``'s ``survival_class``).
MODEL_SURVIVAL_CLASSES: tuple[str, ...] = (
    "calf",
    "yearling_female",
    "yearling_male",
    "adult_female",
    "adult_male",
)


def _from_model_parameters(ds: xr.Dataset, constant: xr.Dataset | None) -> xr.Dataset:
    """Derive contract variables from ``saigapop.model.build``'s own parameter names.

    Used only where a contract variable is absent and the model's parameters are present
    (a posterior saved before the model wrote the contract names itself). Mappings follow
    ``saigapop.model.build.annual_step``: survival by pooled class; calves of both sexes
    share one survival; pasteurellosis kills calves and females at ``severity`` and males
    at ``severity × male_ratio``; dzhut (prior only) kills calves and adult males at its
    severity; poaching is on adult males only; the implementation fraction is the median
    ``exp(implementation_log_mean)``; selectivity is female (calf, 1, 1), male (calf, m, m);
    density dependence is Ricker on ``density_scale`` (``constant_data``).
    """
    out = ds.copy()
    sexes, ages = ["female", "male"], ["calf", "yearling", "adult"]
    one = xr.DataArray(1.0)

    def grid(values: list[list[xr.DataArray]]) -> xr.DataArray:
        rows = [xr.concat(r, dim="age", coords="minimal", compat="override") for r in values]
        da = xr.concat(rows, dim="sex", coords="minimal", compat="override")
        return da.assign_coords(sex=sexes, age=ages)

    if "survival" not in ds and "survival_rate" in ds:
        sr = ds["survival_rate"]
        if "survival_class" in sr.dims:
            sr = sr.assign_coords(survival_class=list(MODEL_SURVIVAL_CLASSES))

        def c(name: str) -> xr.DataArray:
            return sr.sel(survival_class=name, drop=True)

        out["survival"] = grid(
            [
                [c("calf"), c("yearling_female"), c("adult_female")],
                [c("calf"), c("yearling_male"), c("adult_male")],
            ]
        )
    for name in ("fecundity", "twinning"):
        if name not in ds and f"{name}_yearling" in ds and f"{name}_adult" in ds:
            out[name] = xr.concat(
                [ds[f"{name}_yearling"], ds[f"{name}_adult"]], dim="age"
            ).assign_coords(age=["yearling", "adult"])
    if "catchability" not in ds and "catchability_year" in ds:
        out["catchability"] = ds["catchability_year"].isel(year=-1, drop=True)
    if "carrying_capacity" not in ds and constant is not None and "density_scale" in constant:
        out["carrying_capacity"] = constant["density_scale"] * xr.ones_like(ds["density_strength"])
        out.attrs["density_form"] = "ricker"  # the model's form: exp(-b N / K)
    if "catastrophe_rate" not in ds and "pasteurellosis_rate" in ds and "dzhut_rate" in ds:
        out["catastrophe_rate"] = xr.concat(
            [ds["pasteurellosis_rate"], ds["dzhut_rate"]], dim="catastrophe"
        ).assign_coords(catastrophe=list(CATASTROPHES))
    if (
        "catastrophe_severity" not in ds
        and "pasteurellosis_severity" in ds
        and "dzhut_severity" in ds
    ):
        ps, ratio, dz = (
            ds["pasteurellosis_severity"],
            ds["pasteurellosis_male_ratio"],
            ds["dzhut_severity"],
        )
        zero = 0.0 * dz
        past = grid([[ps, ps, ps], [ps, ps * ratio, ps * ratio]])
        dzhut = grid([[dz, zero, zero], [dz, zero, dz]])
        out["catastrophe_severity"] = xr.concat([past, dzhut], dim="catastrophe").assign_coords(
            catastrophe=list(CATASTROPHES)
        )
    if "poaching_rate" not in ds and "poaching_rate_male" in ds and "N" in ds:
        pm_ = ds["poaching_rate_male"] * xr.ones_like(ds["N"]["population"], dtype=float)
        out["poaching_rate"] = xr.concat([0.0 * pm_, pm_], dim="sex").assign_coords(sex=sexes)
    if "implementation_fraction" not in ds and "implementation_log_mean" in ds:
        out["implementation_fraction"] = np.exp(ds["implementation_log_mean"]).clip(0.0, 1.0)
    if "implementation_selectivity" not in ds and "cull_male_selectivity" in ds:
        m, cf = ds["cull_male_selectivity"], ds["cull_calf_selectivity"]
        out["implementation_selectivity"] = grid([[cf, one * 1.0 + 0 * m, one + 0 * m], [cf, m, m]])
    if "process_noise_sd" in out:
        out.attrs.setdefault("process_noise_scale", "log")
    # the fitted mating function: the normalised Hill curve when its parameters were
    # fitted; a fit made before them (``harem_size`` only) keeps its exponential form
    out.attrs.setdefault(
        "mating_form", "normalised_hill" if "mating_half_share" in out else "exponential"
    )
    return out


def posterior_dataset(posterior: xr.DataTree | xr.Dataset) -> xr.Dataset:
    """Return the posterior group as a Dataset (accepts a DataTree or a Dataset).

    Parameters
    ----------
    posterior
        A fitted ``DataTree`` with a ``posterior`` group, or that group as a Dataset.

    Returns
    -------
    xarray.Dataset
        The posterior group, with ``saigapop.model.build``'s own parameter names translated
        to the contract names where those are absent (:data:`VARIABLE_ALIASES`,
        census-age variables put on ``age``); nothing is checked here.
    """
    constant = None
    if isinstance(posterior, xr.DataTree):
        if "posterior" not in posterior.children:
            raise PosteriorContractError("the DataTree has no 'posterior' group")
        ds = posterior["posterior"].to_dataset()
        if "constant_data" in posterior.children:
            constant = posterior["constant_data"].to_dataset()
        ds.attrs = {**dict(posterior.attrs), **dict(ds.attrs)}
    else:
        ds = posterior
    renames = {
        alias: name
        for name, aliases in VARIABLE_ALIASES.items()
        for alias in aliases
        if name not in ds and alias in ds
    }
    ds = ds.rename(renames) if renames else ds
    if "census_age" in ds.dims:  # census-age variables on their own dim (model side)
        census = ds[[v for v in CENSUS_AGE_VARIABLES if v in ds and "census_age" in ds[v].dims]]
        ds = ds.drop_vars(list(census.data_vars))
        census = census.rename({"census_age": "age"})
        # one "age" coordinate for the whole Dataset: all three classes, calf NaN
        census = census.reindex(
            age=list(ds["age"].values) if "age" in ds.dims else list(AGE_CLASSES)
        )
        ds = ds.drop_dims("census_age", errors="ignore").merge(census)
    return _from_model_parameters(ds, constant)


def read_posterior(posterior: xr.DataTree | xr.Dataset) -> xr.Dataset:
    """Translate a posterior to the contract names and check it (what management reads).

    :func:`posterior_dataset` then :func:`validate_posterior`: a fit saved with the model's
    own parameter names is accepted, and anything still missing or misshapen fails here,
    loudly, before any projection runs.

    Parameters
    ----------
    posterior
        Fitted ``DataTree`` (or its ``posterior`` Dataset).

    Returns
    -------
    xarray.Dataset
        The posterior group with every contract variable.

    Raises
    ------
    PosteriorContractError
        Listing every missing variable, wrong dim, missing coordinate value and
        out-of-range value at once.

    Examples
    --------
    >>> from saigapop.testing import make_synthetic_posterior
    >>> ds = read_posterior(make_synthetic_posterior(chains=1, draws=2))
    >>> ds["survival"].dims
    ('chain', 'draw', 'population', 'sex', 'age')
    """
    return validate_posterior(posterior_dataset(posterior))


def contract_dims(schema: PosteriorSchema = POSTERIOR_SCHEMA) -> dict[str, tuple[str, ...]]:
    """Variable -> dims besides ``(chain, draw)``; optional dims are marked with a leading ``?``.

    Examples
    --------
    >>> contract_dims()["process_noise_sd"]
    ('?population',)
    """
    return {
        name: (*spec.dims, *(f"?{d}" for d in spec.optional_dims))
        for name, spec in schema.variables.items()
    }


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
