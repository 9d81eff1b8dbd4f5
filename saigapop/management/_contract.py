"""The posterior variables management reads (DESIGN §3 posterior contract), in one place.

Management code reads a fitted posterior only through the names below. When
``saigapop.model.schema`` lands, :func:`validate_posterior` delegates to it; until then it
checks exactly these names and dims, so a mismatch fails here, loudly, before any
projection runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import numpy as np
import xarray as xr

from saigapop.constants import AGE_CLASSES
from saigapop.exceptions import ConfigError

__all__ = ["CATASTROPHES", "POSTERIOR_VARIABLES", "posterior_dataset", "validate_posterior"]

#: Catastrophe kinds (coordinate ``catastrophe``): calving-season pasteurellosis and
#: harsh-winter dzhut.
CATASTROPHES: Final[tuple[str, str]] = ("pasteurellosis", "dzhut")

#: name -> required dims besides ``(chain, draw)``; a leading ``?`` marks an optional dim
#: (the variable may or may not carry it), ``optional`` variables may be absent.
POSTERIOR_VARIABLES: Final[Mapping[str, tuple[str, ...]]] = {
    "N": ("population", "year", "sex", "age"),
    "survival": ("population", "sex", "age"),
    "fecundity": ("age",),
    "twinning": ("age",),
    "harem_size": (),
    "carrying_capacity": ("population",),
    "density_strength": (),
    "process_noise_sd": ("?population",),
    "obs_cv": (),
    "catchability": ("population",),
    "catastrophe_rate": ("catastrophe",),
    "catastrophe_severity": ("catastrophe", "sex", "age"),
    "poaching_rate": ("population", "sex"),
    "poaching_trade_effect": (),
    "implementation_fraction": (),
    "implementation_selectivity": ("sex", "age"),
    "conception_probability": ("population",),
}
#: Names the model side uses for the same quantity (renamed on reading).
ALIASES: Final[Mapping[str, tuple[str, ...]]] = {"conception_probability": ("conception",)}
#: Variables on census ages that may use a ``census_age`` dim instead of ``age``.
CENSUS_AGE_VARIABLES: Final[frozenset[str]] = frozenset({"N", "fecundity", "twinning"})
#: Variables that may be absent (a documented default is used instead).
OPTIONAL_VARIABLES: Final[frozenset[str]] = frozenset({"carrying_capacity", "density_strength"})


#: Pooled survival classes of ``saigapop.model.build`` (``survival_rate``'s ``survival_class``).
MODEL_SURVIVAL_CLASSES: Final[tuple[str, ...]] = (
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
    """
    constant = None
    if isinstance(posterior, xr.DataTree):
        if "posterior" not in posterior.children:
            raise ConfigError("the DataTree has no 'posterior' group")
        ds = posterior["posterior"].to_dataset()
        if "constant_data" in posterior.children:
            constant = posterior["constant_data"].to_dataset()
        ds.attrs = {**dict(posterior.attrs), **dict(ds.attrs)}
    else:
        ds = posterior
    renames = {
        alias: name
        for name, aliases in ALIASES.items()
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


def validate_posterior(posterior: xr.DataTree | xr.Dataset) -> xr.Dataset:
    """Check the posterior carries every variable management needs, with the right dims.

    Delegates to ``saigapop.model.schema.validate_posterior`` when that module exists, then
    checks the names management reads (so a renamed variable on either side fails here).

    Parameters
    ----------
    posterior
        Fitted ``DataTree`` (or its ``posterior`` Dataset).

    Returns
    -------
    xarray.Dataset
        The posterior group.

    Raises
    ------
    ConfigError
        Listing every missing variable or wrong dim at once.
    """
    ds = posterior_dataset(posterior)
    try:  # the one schema both sides test against
        from saigapop.model import schema  # type: ignore[attr-defined]
    except ImportError:
        schema = None
    if schema is not None and hasattr(schema, "validate_posterior"):
        schema.validate_posterior(ds)
    problems: list[str] = []
    for name, dims in POSTERIOR_VARIABLES.items():
        if name not in ds:
            if name not in OPTIONAL_VARIABLES:
                problems.append(f"missing variable {name!r} (dims chain, draw, {', '.join(dims)})")
            continue
        have = set(ds[name].dims)
        for dim in ("chain", "draw", *dims):
            if dim.startswith("?"):
                continue
            if dim not in have:
                problems.append(f"{name!r} lacks dim {dim!r} (has {tuple(ds[name].dims)})")
        allowed = {"chain", "draw", *(d.lstrip("?") for d in dims)}
        if name == "conception_probability":
            allowed.add("year")
        extra = have - allowed
        if extra:
            problems.append(f"{name!r} has unexpected dims {sorted(extra)}")
    if "N" in ds and "age" in ds["N"].dims:
        ages = {str(a) for a in ds["N"]["age"].values}
        if not {"yearling", "adult"} <= ages:
            problems.append(f"N must have age yearling and adult at census, got {sorted(ages)}")
    if problems:
        raise ConfigError(
            "the posterior does not meet the management contract:\n  - " + "\n  - ".join(problems)
        )
    return ds
