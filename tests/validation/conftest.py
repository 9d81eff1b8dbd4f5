"""Synthetic posteriors for the validation tests (exact draws, never sampling)."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr


def contract_posterior(
    n_total: np.ndarray,
    *,
    years: np.ndarray,
    populations: tuple[str, ...],
    q: float = 1.0,
    obs_cv: float = 0.1,
    draws: int = 400,
    spread: float = 0.05,
    seed: int = 0,
) -> xr.DataTree:
    """A posterior DataTree with the contract's ``N`` around ``n_total(population, year)``.

    ``N`` sums to ``n_total``: 10 % yearlings, 90 % adults, one adult male per four adult
    females (adult sex ratio 0.25); each draw scales the trajectory by ``exp(spread * z)``.
    """
    rng = np.random.default_rng(seed)
    n_pop, n_year = n_total.shape
    scale = np.exp(spread * rng.standard_normal((1, draws, n_pop, 1)))
    tot = n_total[None, None] * scale  # (chain, draw, pop, year)
    n = np.full((1, draws, n_pop, n_year, 2, 3), np.nan)
    n[..., :, 1] = 0.05 * tot[..., None]
    n[..., 0, 2] = 0.9 * tot * 0.8
    n[..., 1, 2] = 0.9 * tot * 0.2
    post = xr.Dataset(
        {
            "N": (("chain", "draw", "population", "year", "sex", "age"), n),
            "catchability_year": (
                ("chain", "draw", "population", "year"),
                np.full((1, draws, n_pop, n_year), q),
            ),
            "obs_cv": (("chain", "draw"), np.full((1, draws), obs_cv)),
        },
        coords={
            "population": list(populations),
            "year": years,
            "sex": ["female", "male"],
            "age": ["calf", "yearling", "adult"],
        },
    )
    return xr.DataTree.from_dict({"posterior": post})


@pytest.fixture
def make_posterior():
    """Factory of contract-shaped synthetic posteriors (see :func:`contract_posterior`)."""
    return contract_posterior
