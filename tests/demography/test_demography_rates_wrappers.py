"""VitalRates validation and the xarray wrappers."""

import numpy as np
import pytest
import xarray as xr

from saigapop.demography import (
    VitalRates,
    lambda_,
    lambda_dataarray,
    project,
    project_dataset,
    stable_stage_dataarray,
)


def test_kuhl_2009_defaults():
    rates = VitalRates.kuhl_2009(survival=np.full((2, 3), 0.8))
    np.testing.assert_array_equal(rates.fecundity, [0.774, 0.946])
    np.testing.assert_array_equal(rates.twinning, [0.117, 0.726])
    assert rates.birth_sex_ratio == 0.5
    assert rates.yearling_male_weight == 0.0
    assert rates.mating_form == "normalised_hill"
    assert rates.batch_shape == ()
    with pytest.raises(ValueError, match="read-only"):
        rates.survival[0, 0] = 0.1


@pytest.mark.parametrize(
    ("field", "value", "pattern"),
    [
        ("fecundity", [0.7, 1.2], r"fecundity must lie in \[0.0, 1.0\]; got 1.2"),
        ("twinning", [-0.1, 0.5], r"twinning .* got -0.1"),
        ("birth_sex_ratio", float("nan"), "birth_sex_ratio .* got nan"),
        ("harem_size", 0.0, r"harem_size must lie in \(0.0, inf\); got 0.0"),
        ("yearling_male_weight", 2.0, "yearling_male_weight .* got 2.0"),
        ("mating_half_share", 1.0, "mating_half_share"),
        ("carrying_capacity", -5.0, "carrying_capacity .* got -5.0"),
        ("fecundity", [0.7, 0.8, 0.9], r"fecundity must have trailing shape \(2,\)"),
        ("mating_form", "linear", "mating_form must be one of"),
        ("density_form", "logistic", "density_form must be one of"),
        ("density_strength", -1.0, r"density_strength must lie in \[0.0, inf\); got -1.0"),
    ],
)
def test_validation_names_field_and_value(field, value, pattern):
    with pytest.raises(ValueError, match=pattern):
        VitalRates.kuhl_2009(survival=np.full((2, 3), 0.8), **{field: value})


def test_theta_logistic_needs_positive_theta():
    with pytest.raises(ValueError, match="theta"):
        VitalRates.kuhl_2009(
            survival=np.ones((2, 3)), density_form="theta_logistic", density_strength=0.0
        )


def test_survival_validation_and_broadcasting():
    with pytest.raises(ValueError, match=r"survival must lie in \[0.0, 1.0\]; got 1.5 at index"):
        VitalRates.kuhl_2009(survival=np.array([[0.5, 0.5, 1.5], [0.5, 0.5, 0.5]]))
    with pytest.raises(ValueError, match=r"survival must have trailing shape \(2, 3\)"):
        VitalRates.kuhl_2009(survival=np.full((3, 2), 0.5))
    with pytest.raises(ValueError, match="do not broadcast"):
        VitalRates.kuhl_2009(survival=np.full((4, 2, 3), 0.5), harem_size=np.full(3, 20.0))
    rates = VitalRates.kuhl_2009(survival=np.full((4, 1, 2, 3), 0.5), harem_size=np.full(3, 20.0))
    assert rates.batch_shape == (4, 3)
    assert rates.replace(harem_size=12.0).batch_shape == (4, 1)


POPS = ["Betpakdala", "Ural", "Ustyurt"]


def _census(values):
    return xr.DataArray(
        values,
        dims=("population", "sex", "age"),
        coords={"population": POPS, "sex": ["female", "male"], "age": ["yearling", "adult"]},
    )


def test_project_dataset_matches_numpy_core():
    rng = np.random.default_rng(3)
    values = rng.uniform(1e4, 1e5, size=(3, 2, 2))
    init = _census(values)
    rates = VitalRates.kuhl_2009(survival=rng.uniform(0.5, 0.9, size=(3, 2, 3)))
    rem = rng.uniform(0, 1e3, size=(3, 4, 2, 3))
    removals = xr.DataArray(
        rem,
        dims=("population", "year", "sex", "age"),
        coords={
            "population": POPS,
            "year": [2025, 2026, 2027, 2028],
            "sex": ["female", "male"],
            "age": ["calf", "yearling", "adult"],
        },
    )
    # the census in another dim order: the wrapper aligns by name
    ds = project_dataset(
        init.transpose("age", "population", "sex"),
        0.9,
        rates,
        4,
        start_year=2025,
        rates_dims=("population",),
        removals=removals,
    )
    ref = project(values, 0.9, rates, 4, rem)
    assert ds.N.dims == ("population", "year", "sex", "age")
    assert list(ds.year.values) == [2025, 2026, 2027, 2028, 2029]
    np.testing.assert_allclose(ds.N.sel(age=["yearling", "adult"]).values, ref.census)
    assert np.all(ds.N.sel(age="calf").values == 0)
    np.testing.assert_allclose(ds.removed.isel(year=slice(0, 4)).values, ref.removed)
    np.testing.assert_allclose(ds.conception.isel(year=slice(0, 4)).values, ref.conception)
    assert np.all(np.isnan(ds.births.isel(year=-1).values))
    with pytest.raises(ValueError, match="rates_dims"):
        project_dataset(init, 0.9, rates, 4, start_year=2025)


def test_project_dataset_aligns_draws_and_quotas_by_name():
    rng = np.random.default_rng(4)
    values = rng.uniform(1e4, 1e5, size=(3, 2, 2))
    surv = rng.uniform(0.5, 0.9, size=(5, 3, 2, 3))  # (draw, population, sex, age)
    harem = rng.uniform(12, 30, size=(5, 1))  # broadcasts over population
    rates = VitalRates.kuhl_2009(survival=surv, harem_size=harem)
    quota = np.array([0.0, 500.0, 2000.0, 8000.0])
    rem = np.zeros((4, 3, 2, 2, 3))  # (quota, population, year, sex, age)
    rem[..., 1, 2] = quota[:, None, None]
    removals = xr.DataArray(
        rem,
        dims=("quota", "population", "year", "sex", "age"),
        coords={"quota": quota, "population": POPS, "year": [2025, 2026]},
        name="removals",
    ).assign_coords(sex=["female", "male"], age=["calf", "yearling", "adult"])
    ds = project_dataset(
        _census(values),
        0.95,
        rates,
        2,
        start_year=2025,
        rates_dims=("draw", "population"),
        removals=removals,
        on_excess="cap",
    )
    assert set(ds.N.dims) == {"population", "draw", "quota", "year", "sex", "age"}
    for d in range(5):
        for q in range(4):
            ref = project(
                values,
                0.95,
                VitalRates.kuhl_2009(survival=surv[d], harem_size=harem[d]),
                2,
                rem[q],
                on_excess="cap",
            )
            got = ds.N.isel(draw=d, quota=q).sel(age=["yearling", "adult"])
            np.testing.assert_allclose(
                got.transpose("population", "year", "sex", "age").values, ref.census, rtol=1e-14
            )


def test_lambda_and_stable_stage_dataarrays():
    A = np.array([[[0.0, 2.0], [0.5, 0.0]], [[0.5, 2.0], [0.3, 0.8]]])
    da = xr.DataArray(
        A, dims=("population", "stage", "stage_from"), coords={"population": ["a", "b"]}
    )
    lam = lambda_dataarray(da)
    assert lam.dims == ("population",)
    np.testing.assert_allclose(lam.values, lambda_(A))
    w = stable_stage_dataarray(da)
    assert w.dims == ("population", "stage")
    np.testing.assert_allclose(w.sum("stage").values, 1.0)
