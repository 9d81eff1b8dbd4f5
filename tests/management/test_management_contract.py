import numpy as np
import pytest

from saigapop.exceptions import ConfigError
from saigapop.management import POSTERIOR_VARIABLES, validate_posterior


def test_synthetic_posterior_meets_contract(posterior):
    ds = validate_posterior(posterior)
    # the synthetic posterior is shaped like a fit made before the fitted mating function
    mating = {v for v in POSTERIOR_VARIABLES if v.startswith("mating_")}
    assert set(POSTERIOR_VARIABLES) - mating <= set(ds.data_vars)
    assert ds["N"].dims == ("chain", "draw", "population", "year", "sex", "age")


def test_missing_and_misdimensioned_variables_all_reported(posterior):
    ds = posterior["posterior"].to_dataset()
    bad = ds.drop_vars(["harem_size", "poaching_rate"])
    bad["survival"] = bad["survival"].isel(population=0, drop=True)
    with pytest.raises(ConfigError) as err:
        validate_posterior(bad)
    msg = str(err.value)
    assert "harem_size" in msg
    assert "poaching_rate" in msg
    assert "'survival' lacks dim 'population'" in msg


def test_datatree_without_posterior_group_is_refused():
    import xarray as xr

    with pytest.raises(ConfigError, match="no 'posterior' group"):
        validate_posterior(xr.DataTree())


def test_model_parameter_names_are_mapped_to_the_contract(posterior):
    """saigapop.model.build's raw parameters are turned into contract variables."""
    import xarray as xr

    from saigapop.management import OperatingModel

    ds = posterior["posterior"].to_dataset()
    s = ds["survival"]
    classes = [
        s.sel(sex="female", age="calf"),
        s.sel(sex="female", age="yearling"),
        s.sel(sex="male", age="yearling"),
        s.sel(sex="female", age="adult"),
        s.sel(sex="male", age="adult"),
    ]
    raw = ds.drop_vars(
        [
            "survival",
            "fecundity",
            "twinning",
            "catchability",
            "catastrophe_rate",
            "catastrophe_severity",
            "poaching_rate",
            "implementation_fraction",
            "implementation_selectivity",
            "carrying_capacity",
        ]
    )
    raw["survival_rate"] = xr.concat(
        [c.drop_vars(["sex", "age"]) for c in classes], dim="survival_class"
    )
    for name in ("fecundity", "twinning"):
        for age in ("yearling", "adult"):
            raw[f"{name}_{age}"] = ds[name].sel(age=age, drop=True)
    raw["catchability_year"] = ds["catchability"].expand_dims(year=[2024, 2025], axis=-1)
    raw["pasteurellosis_rate"] = ds["catastrophe_rate"].isel(catastrophe=0, drop=True)
    raw["dzhut_rate"] = ds["catastrophe_rate"].isel(catastrophe=1, drop=True)
    raw["pasteurellosis_severity"] = (
        ds["catastrophe_severity"].isel(catastrophe=0).sel(sex="female", age="adult", drop=True)
    )
    raw["pasteurellosis_male_ratio"] = 0.1 + 0 * raw["pasteurellosis_severity"]
    raw["dzhut_severity"] = (
        ds["catastrophe_severity"].isel(catastrophe=1).sel(sex="male", age="adult", drop=True)
    )
    raw["poaching_rate_male"] = ds["poaching_rate"].sel(sex="male").isel(population=0, drop=True)
    raw["implementation_log_mean"] = np.log(ds["implementation_fraction"])
    raw["cull_male_selectivity"] = 1.3 + 0 * raw["implementation_log_mean"]
    raw["cull_calf_selectivity"] = 0.5 + 0 * raw["implementation_log_mean"]
    const = xr.Dataset(
        {"density_scale": ("population", [1e7, 1e7, 1e6])},
        coords={"population": ds["population"].values},
    )
    tree = xr.DataTree.from_dict({"/posterior": raw, "/constant_data": const})
    om = OperatingModel.from_posterior(tree, seed=1, catastrophes=False)
    ref = OperatingModel.from_posterior(posterior, seed=1, catastrophes=False)
    np.testing.assert_allclose(om.mean_survival[..., 0, 1:], ref.mean_survival[..., 0, 1:])
    np.testing.assert_allclose(om.mean_survival[..., 1, 1:], ref.mean_survival[..., 1, 1:])
    np.testing.assert_allclose(om.births_per_female, ref.births_per_female)
    assert om.density_form == "ricker"
    assert np.all(om.poaching[0] == 0)
    np.testing.assert_allclose(om.catchability, ref.catchability)


def test_unconverged_posterior_is_loudly_marked(posterior):
    from saigapop.management import OperatingModel, solve_quota
    from saigapop.management.operating_model import ConvergenceWarning

    ds = posterior["posterior"].to_dataset()
    shifted = ds.copy()
    shifted["harem_size"] = ds["harem_size"] + 10.0 * ds["chain"]  # chains disagree
    with pytest.warns(ConvergenceWarning, match="R-hat"):
        om = OperatingModel.from_posterior(shifted, seed=1)
    assert om.settings["converged"] is False
    result = solve_quota(om, progress=False)
    assert "WARNING" in repr(result)
    assert OperatingModel.from_posterior(posterior, seed=1).settings["converged"] is True


def test_management_synthetic_posterior_is_a_deprecated_shim_of_the_one_factory():
    import xarray as xr

    from saigapop.management import synthetic_posterior as old
    from saigapop.testing import synthetic_posterior

    with pytest.warns(DeprecationWarning, match="saigapop.testing.synthetic_posterior"):
        shimmed = old({"A": 1e5}, chains=2, draws=5, seed=4)
    xr.testing.assert_identical(
        shimmed["posterior"].to_dataset(),
        synthetic_posterior({"A": 1e5}, chains=2, draws=5, seed=4)["posterior"].to_dataset(),
    )


def test_management_contract_names_are_the_model_schema():
    from saigapop.management._contract import validate_posterior as management_validate
    from saigapop.model.schema import POSTERIOR_SCHEMA, read_posterior

    assert management_validate is read_posterior
    assert set(POSTERIOR_VARIABLES) == set(POSTERIOR_SCHEMA.variables)
    for name, spec in POSTERIOR_SCHEMA.variables.items():
        assert tuple(d for d in POSTERIOR_VARIABLES[name] if not d.startswith("?")) == spec.dims
