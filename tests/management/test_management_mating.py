"""The operating model reads the fitted mating function (issue 16); old fits stay loadable."""

import numpy as np
import pytest
import xarray as xr

from saigapop.demography.mating import conception_probability
from saigapop.management import OperatingModel
from saigapop.management._contract import OPTIONAL_VARIABLES, validate_posterior
from saigapop.management._reference import simulate_one
from saigapop.management.harvest import ConstantHarvest
from saigapop.testing import synthetic_posterior

pytestmark = pytest.mark.filterwarnings(
    "ignore::saigapop.management.operating_model.ConvergenceWarning"
)

MATING = ("mating_half_share", "mating_steepness", "mating_reference_ratio")


def _with_mating(dt, seed=0):
    """A synthetic posterior carrying fitted mating parameters, as a new fit does."""
    post = dt["posterior"].to_dataset()
    rng = np.random.default_rng(seed)
    shape = (post.sizes["chain"], post.sizes["draw"])
    cd = ("chain", "draw")
    new = post.assign(
        mating_half_share=(cd, rng.uniform(0.006, 0.012, shape)),
        mating_steepness=(cd, rng.uniform(2.0, 4.0, shape)),
        mating_reference_ratio=(cd, rng.uniform(0.06, 0.3, shape)),
        mating_yearling_weight=(cd, rng.uniform(0.0, 0.5, shape)),
    )
    out = dt.copy()
    out["posterior"] = xr.DataTree(new)
    return out


@pytest.fixture(scope="module")
def old():
    return synthetic_posterior(chains=2, draws=20, seed=3, adult_male_share=0.05)


def test_mating_variables_are_optional_contract_variables(old):
    assert {*MATING, "mating_yearling_weight"} <= OPTIONAL_VARIABLES
    assert validate_posterior(old).attrs["mating_form"] == "exponential"
    assert validate_posterior(_with_mating(old)).attrs["mating_form"] == "normalised_hill"


def test_old_fit_projects_with_the_exponential_form(old):
    om = OperatingModel.from_posterior(old, horizon=3)
    assert om.mating_form == "exponential"
    np.testing.assert_array_equal(om.yearling_male_weight, 0.0)


def test_new_fit_projects_with_its_fitted_draws(old):
    dt = _with_mating(old)
    om = OperatingModel.from_posterior(dt, horizon=3)
    assert om.mating_form == "normalised_hill"
    post = dt["posterior"].to_dataset().stack(sample=("chain", "draw"))
    for name in MATING:
        np.testing.assert_array_equal(getattr(om, name)[:, 0], post[name].values)
    np.testing.assert_array_equal(om.yearling_male_weight[:, 0], post["mating_yearling_weight"])
    # conception in the projection is the mating function of each draw's own parameters
    proj = OperatingModel.from_posterior(
        dt, horizon=3, process_noise=False, catastrophes=False, poaching=False
    ).project(ConstantHarvest(), [0.0])
    d = 7
    got = proj["conception"].isel(candidate=0, draw=d, year=0).values
    males = proj["breeding_males"].isel(candidate=0, draw=d, year=0).values
    females = proj["breeding_females"].isel(candidate=0, draw=d, year=0).values
    want = conception_probability(
        males,
        females,
        form="normalised_hill",
        half_share=om.mating_half_share[d, 0],
        steepness=om.mating_steepness[d, 0],
        reference_ratio=om.mating_reference_ratio[d, 0],
    )
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_trial_options_override_the_fitted_form(old):
    dt = _with_mating(old)
    exp = OperatingModel.from_posterior(dt, horizon=3, mating_form="exponential")
    assert exp.mating_form == "exponential"
    pess = OperatingModel.from_posterior(dt, horizon=3, mating_half_share=0.03)
    np.testing.assert_array_equal(pess.mating_half_share, 0.03)


def test_plain_loop_reference_follows_the_fitted_form(old):
    dt = _with_mating(old)
    om = OperatingModel.from_posterior(dt, horizon=4, seed=2)
    proj = om.project(ConstantHarvest(), [500.0])
    for d in (0, 5, 13):
        _, ratios, conc = simulate_one(om, d, 0, 500.0)
        np.testing.assert_allclose(
            proj["conception"].isel(candidate=0, draw=d, population=0).values[: len(conc)],
            conc,
            rtol=1e-10,
        )
        np.testing.assert_allclose(
            proj["ratio"].isel(candidate=0, draw=d, population=0).values[: len(ratios)],
            ratios,
            rtol=1e-10,
        )
