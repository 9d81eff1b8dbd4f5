"""Fixtures for management tests: synthetic posteriors that meet the DESIGN §3 contract.

They come from the one factory, :func:`saigapop.testing.synthetic_posterior`, which writes
exactly the contract variables (``saigapop.model.schema.POSTERIOR_SCHEMA``).
"""

from __future__ import annotations

import pytest

from saigapop.management import OperatingModel
from saigapop.testing import synthetic_posterior

DET = {  # deterministic operating model: one draw, no noise, no human extras
    "process_noise": False,
    "catastrophes": False,
    "poaching": False,
    "implementation_error": False,
    "trade_effect": False,
}


@pytest.fixture
def det():
    """Keyword arguments of a deterministic operating model."""
    return dict(DET)


@pytest.fixture(scope="session")
def posterior():
    """4 chains × 250 draws (converged: R-hat < 1.01), the three Kazakh populations."""
    return synthetic_posterior(chains=4, draws=250, seed=11, adult_male_share=0.2)


@pytest.fixture(scope="session")
def om(posterior):
    return OperatingModel.from_posterior(posterior, seed=3)


@pytest.fixture
def deterministic_posterior():
    """Factory: a one-draw posterior without uncertainty."""

    def make(populations=None, **kwargs):
        kwargs.setdefault("uncertainty", 0.0)
        return synthetic_posterior(populations or {"A": 100_000.0}, chains=1, draws=1, **kwargs)

    return make
