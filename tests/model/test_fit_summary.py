"""``summarise_fit``: what the report shows about a fit, checked against plain-loop references."""

from __future__ import annotations

import numpy as np
import xarray as xr

from saigapop.model.diagnostics import (
    PRIOR_DRIVEN_RATIO,
    FitSummary,
    quantile_bands,
    sex_ratio_prior_driven,
    summarise_fit,
)
from saigapop.model.priors import priors_table
from saigapop.testing import make_synthetic_posterior


def _quantile(values: list[float], q: float) -> float:
    """Linear-interpolation quantile (numpy's default), by hand."""
    v = sorted(values)
    pos = q * (len(v) - 1)
    lo = int(np.floor(pos))
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (pos - lo) * (v[hi] - v[lo])


def test_abundance_quantiles_match_a_plain_loop():
    fit = make_synthetic_posterior(chains=2, draws=15, seed=7)
    s = summarise_fit(fit)
    n = fit["posterior"]["N"]
    y = int(n["year"].max())
    assert s.latest_year == y
    rows = s.abundance_latest.set_index(["population", "sex", "age"])
    for p in n["population"].values:
        totals = []
        for c in n["chain"].values:
            for d in n["draw"].values:
                t = 0.0
                for sex in ("female", "male"):
                    for age in ("yearling", "adult"):
                        t += float(n.sel(chain=c, draw=d, population=p, year=y, sex=sex, age=age))
                totals.append(t)
        assert np.isclose(s.total_median[str(p)], _quantile(totals, 0.5), rtol=1e-12)
        for sex in ("female", "male"):
            for age in ("yearling", "adult"):
                draws = [
                    float(n.sel(chain=c, draw=d, population=p, year=y, sex=sex, age=age))
                    for c in n["chain"].values
                    for d in n["draw"].values
                ]
                row = rows.loc[(str(p), sex, age)]
                for col, q in (("q05", 0.05), ("q50", 0.5), ("q95", 0.95)):
                    assert np.isclose(row[col], _quantile(draws, q), rtol=1e-12)
    # the fan rows: one per population and year, the median of the census total
    bands = s.abundance_bands
    assert set(bands["series"]) == {"posterior"}
    assert len(bands) == n.sizes["population"] * n.sizes["year"]
    latest = bands[bands["year"] == y].set_index("population")["q50"]
    for p, med in s.total_median.items():
        assert np.isclose(latest[p], med)


def test_priors_and_prior_driven_flags_are_the_model_layers():
    fit = make_synthetic_posterior(chains=2, draws=15, seed=7)
    s = summarise_fit(fit)
    assert isinstance(s, FitSummary)
    assert s.priors.equals(priors_table())
    assert s.prior_driven_ratio == PRIOR_DRIVEN_RATIO
    assert s.prior_posterior is not None
    assert len(s.prior_posterior)
    assert dict(s.sex_ratio_prior_driven) == sex_ratio_prior_driven(fit, year=s.latest_year)


def test_a_fit_without_prior_draws_has_no_comparison_and_prior_driven_sex_ratios():
    fit = make_synthetic_posterior(chains=1, draws=10, seed=1)
    bare = xr.DataTree.from_dict({"posterior": fit["posterior"].to_dataset()})
    s = summarise_fit(bare)
    assert s.prior_posterior is None
    assert set(s.sex_ratio_prior_driven.values()) == {True}


def test_quantile_bands_by_hand():
    da = xr.DataArray(
        np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0], [4.0, 40.0], [5.0, 50.0]]),
        dims=("draw", "year"),
        coords={"year": [2024, 2025]},
    )
    frame = quantile_bands(da, series="x").set_index("year")
    assert frame.loc[2024, "q50"] == 3.0
    assert frame.loc[2025, "q25"] == 20.0
    assert np.isclose(frame.loc[2024, "q05"], 1.2)
    assert list(frame["series"]) == ["x", "x"]
