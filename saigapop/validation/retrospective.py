r"""Retrospective analysis: peels, Mohn's ρ and the decision retrospective.

Refit with the data up to :math:`Y - k` for peels :math:`k = 1, \dots, K` (default 5) and
compare each peel's estimate at its own terminal year with the full ("reference") fit's
estimate of the same year. Mohn's ρ (Mohn 1999) is the mean relative difference

.. math::

    \rho = \frac{1}{K} \sum_{k=1}^{K}
    \frac{X_{Y-k}^{(k)} - X_{Y-k}^{(0)}}{X_{Y-k}^{(0)}}

computed here for final-year abundance and the adult sex ratio of every population. A
positive ρ means the newest data are read as more animals than later hindsight finds
(over-estimation in the terminal year — the dangerous direction for a quota). ICES practice
flags :math:`|\rho| > 0.3` for short-lived species (Hurtado-Ferro et al. 2015 use ±0.2 for
long-lived and ±0.3 for short-lived).

The *decision* retrospective asks the question officials care about: which quota would have
been issued with data up to 2021, 2022, 2023, 2024 (a quota function of a fit).

References
----------
Mohn R. (1999) The retrospective problem in sequential population analysis. *ICES J. Mar.
Sci.* 56:473–488. Hurtado-Ferro F. et al. (2015) Looking in the rear-view mirror: bias and
retrospective patterns in integrated, age-structured stock assessment models. *ICES J. Mar.
Sci.* 72:99–110.

Examples
--------
>>> import numpy as np, xarray as xr
>>> years = np.arange(2020, 2026)
>>> ref = 100.0 + 10 * np.arange(6)                       # reference fit, 2020..2025
>>> est = np.vstack([ref, ref * 1.1, ref * 1.2])          # peels 1 and 2: +10 %, +20 %
>>> da = xr.DataArray(est, dims=("peel", "year"), coords={"peel": [0, 1, 2], "year": years})
>>> round(float(mohns_rho(da)), 3)
0.15
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.figure import Figure

from saigapop.constants import LIKELIHOOD_CENSUS_KINDS
from saigapop.io import SaigaData
from saigapop.locale import N_
from saigapop.locale.messages import Message, Term
from saigapop.validation._common import figure, group, run_fits, stack_samples
from saigapop.validation.checklist import RHO_THRESHOLD, Check

__all__ = [
    "RetrospectiveResult",
    "decision_retrospective",
    "last_census_year",
    "mohns_rho",
    "plot_retrospective",
    "run_retrospective",
    "terminal_quantities",
]

#: A fitter: ``fitter(data, end_year) -> DataTree`` fits the model with its last model year
#: ``end_year`` (see :func:`saigapop.validation.fitters.model_fitter`).
Fitter = Callable[[SaigaData, int], xr.DataTree]


def last_census_year(data: SaigaData) -> int:
    """Last year with a census observation that enters the likelihood.

    Examples
    --------
    >>> import saigapop as sp
    >>> last_census_year(sp.load_kazakhstan())
    2025
    """
    c = data.census
    c = c[c["kind"].isin(LIKELIHOOD_CENSUS_KINDS) & c["value"].notna()]
    if c.empty:
        raise ValueError("the data hold no census observation")
    return int(c["year"].max())


def mohns_rho(
    estimates: xr.DataArray,
    *,
    peel_dim: str = "peel",
    year_dim: str = "year",
) -> xr.DataArray:
    """Mohn's ρ from estimated trajectories of a reference fit and its peels.

    Parameters
    ----------
    estimates
        Point estimates on ``(peel, year, ...)``. ``peel`` = 0 is the reference (all data);
        peel ``k`` ends at its ``terminal_year`` coordinate (on ``peel``) if present, else at
        the last year minus ``k``.
    peel_dim, year_dim
        Dimension names.

    Returns
    -------
    xarray.DataArray
        ρ over the remaining dims (e.g. ``population``).

    Examples
    --------
    >>> da = xr.DataArray([[1.0, 2.0, 4.0], [1.0, 3.0, np.nan]], dims=("peel", "year"),
    ...                   coords={"peel": [0, 1], "year": [2023, 2024, 2025]})
    >>> float(mohns_rho(da))
    0.5
    """
    peels = [int(p) for p in estimates[peel_dim].values if int(p) != 0]
    if not peels:
        raise ValueError("need the reference (peel 0) and at least one peel")
    years = estimates[year_dim].values
    if "terminal_year" in estimates.coords:
        terminal = {
            int(p): int(y)
            for p, y in zip(
                estimates[peel_dim].values, estimates["terminal_year"].values, strict=True
            )
        }
    else:
        terminal = {p: int(years.max()) - p for p in peels}
    ref = estimates.sel({peel_dim: 0})
    parts = []
    for k in peels:
        y = terminal[k]
        x_k = estimates.sel({peel_dim: k, year_dim: y})
        x_0 = ref.sel({year_dim: y})
        parts.append((x_k - x_0) / x_0)
    drop = [c for c in ("terminal_year", peel_dim, year_dim) if c in parts[0].coords]
    return xr.concat([p.drop_vars(drop) for p in parts], dim=peel_dim).mean(peel_dim)


def terminal_quantities(fit: xr.DataTree | xr.Dataset) -> xr.Dataset:
    """Posterior medians of abundance and adult sex ratio at each census.

    ``abundance`` = census total (yearlings + adults); ``adult_sex_ratio`` = adult males per
    adult female at the census. Both on ``(population, year)``.

    Parameters
    ----------
    fit
        A DataTree with a posterior carrying ``N(chain, draw, population, year, sex, age)``
        (the posterior contract), or that posterior as a Dataset.

    Returns
    -------
    xarray.Dataset
    """
    post = group(fit, "posterior")
    n = post["N"]
    total = n.sum(["sex", "age"], skipna=True)
    asr = n.sel(sex="male", age="adult", drop=True) / n.sel(sex="female", age="adult", drop=True)
    return xr.Dataset(
        {
            "abundance": stack_samples(total).median("sample"),
            "adult_sex_ratio": stack_samples(asr).median("sample"),
        }
    )


@dataclass(frozen=True)
class RetrospectiveResult:
    """Estimates of a reference fit and its peels.

    Attributes
    ----------
    estimates
        Quantities (e.g. ``abundance``, ``adult_sex_ratio``) on ``(peel, population, year)``
        with coordinate ``terminal_year(peel)``; peel 0 is the reference fit.
    """

    estimates: xr.Dataset

    def rho(self) -> pd.DataFrame:
        """Mohn's ρ per quantity and population (columns ``quantity``, ``population``, ``rho``)."""
        rows = []
        for name, da in self.estimates.data_vars.items():
            r = mohns_rho(da)
            if "population" in r.dims:
                for pop in r["population"].values:
                    rows.append(
                        {
                            "quantity": name,
                            "population": str(pop),
                            "rho": float(r.sel(population=pop)),
                        }
                    )
            else:
                rows.append({"quantity": name, "population": "", "rho": float(r)})
        return pd.DataFrame(rows, columns=["quantity", "population", "rho"])

    def check(self, threshold: float = RHO_THRESHOLD) -> Check:
        """Every abs(ρ) at most ``threshold`` (default 0.3)."""
        r = self.rho()
        if r.empty or r["rho"].isna().all():
            return Check(
                N_("Mohn's rho"),
                False,
                float("nan"),
                Message("|rho| <= {threshold}", {"threshold": threshold}),
                Message(N_("no estimates")),
            )
        worst = r.loc[r["rho"].abs().idxmax()]
        passed = bool((r["rho"].abs() <= threshold).all())
        text = Message(
            N_("largest |rho| = {rho:.2f} ({quantity}, {population}) over {peels} peels"),
            {
                "rho": float(abs(worst["rho"])),
                "quantity": str(worst["quantity"]),
                "population": Term(str(worst["population"])),
                "peels": int(self.estimates.sizes["peel"] - 1),
            },
        )
        return Check(
            N_("Mohn's rho"),
            passed,
            float(abs(worst["rho"])),
            Message("|rho| <= {threshold}", {"threshold": threshold}),
            text,
        )


def run_retrospective(
    data: SaigaData,
    fitter: Fitter,
    *,
    peels: int = 5,
    last_year: int | None = None,
    extract: Callable[[xr.DataTree], xr.Dataset] = terminal_quantities,
    map_fn: Callable[[Callable[[int], Any], Iterable[int]], Iterable[Any]] = map,
) -> RetrospectiveResult:
    """Refit with the data up to ``last_year - k`` for ``k = 0..peels``.

    Parameters
    ----------
    data
        The full data.
    fitter
        ``fitter(data, end_year) -> DataTree``.
    peels
        Number of peels (default 5).
    last_year
        Terminal year of the reference fit (default :func:`last_census_year`).
    extract
        Point estimates of a fit on ``(population, year)`` (default
        :func:`terminal_quantities`).
    map_fn
        ``map``-like callable over peel numbers (e.g. a Dask wrapper).

    Returns
    -------
    RetrospectiveResult
    """
    last = last_census_year(data) if last_year is None else int(last_year)

    def one(k: int) -> xr.Dataset:
        end = last - k
        return extract(fitter(data.select(years=slice(None, end)), end))

    parts = list(map_fn(one, range(peels + 1)))
    est = xr.concat(parts, dim="peel", join="outer")
    est = est.assign_coords(
        peel=np.arange(peels + 1), terminal_year=("peel", last - np.arange(peels + 1))
    )
    return RetrospectiveResult(est)


def _as_series(value: Any) -> pd.Series:
    if isinstance(value, pd.Series):
        return value.astype(float)
    if isinstance(value, xr.DataArray):
        return value.to_series().astype(float)
    if isinstance(value, Mapping):
        return pd.Series({str(k): float(v) for k, v in value.items()})
    raise TypeError(f"quota_fn must return a Series, DataArray or mapping, got {type(value)}")


def _decision_task(
    year: int,
    *,
    data: SaigaData,
    fitter: Fitter,
    quota_fn: Callable[[xr.DataTree], Any],
) -> pd.DataFrame:
    """Fit with the data up to ``year`` and return its quota (module level, for Dask)."""
    fit = fitter(data.select(years=slice(None, int(year))), int(year))
    s = _as_series(quota_fn(fit))
    out = pd.DataFrame(
        {"data_year": int(year), "population": s.index.astype(str), "quota": s.to_numpy(float)}
    )
    log = getattr(quota_fn, "log", None)
    if log:  # e.g. QuotaFunction's convergence verdict: travels back from a Dask worker
        out = out.assign(**{k: v for k, v in log[-1].items() if k != "data_year"})
    return out


def decision_retrospective(
    data: SaigaData,
    fitter: Fitter,
    quota_fn: Callable[[xr.DataTree], Any],
    *,
    years: Sequence[int] = (2021, 2022, 2023, 2024),
    map_fn: Callable[[Callable[[int], Any], Iterable[int]], Iterable[Any]] | None = None,
    grid: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Compute the quota that would have been issued with the data up to each of ``years``.

    Parameters
    ----------
    data
        The full data.
    fitter
        ``fitter(data, end_year) -> DataTree``.
    quota_fn
        Quota from a fit: returns a Series, DataArray (over ``population``) or mapping
        population → animals per year (e.g. :class:`~saigapop.validation.QuotaFunction`,
        whose convergence log is added as columns).
    years
        Last data years.
    map_fn
        ``map``-like callable over the years; by default the fits run through
        :func:`saigapop.runner.run_grid` with the options ``grid`` (default serial).
    grid
        Keyword arguments of :func:`saigapop.runner.run_grid` (``n_workers``, ``client``…).

    Returns
    -------
    pandas.DataFrame
        Columns ``data_year``, ``population``, ``quota`` (and the quota function's log).

    Examples
    --------
    >>> import saigapop as sp
    >>> data = sp.load_kazakhstan()
    >>> fake_fit = lambda d, end: end  # stands in for a DataTree
    >>> quota = lambda fit: {"Ural": 1000.0 * (fit - 2020)}
    >>> decision_retrospective(data, fake_fit, quota, years=[2021, 2022])["quota"].tolist()
    [1000.0, 2000.0]
    """
    opts = {"data": data, "fitter": fitter, "quota_fn": quota_fn}
    if map_fn is not None:
        parts = list(map_fn(lambda y: _decision_task(y, **opts), list(years)))
    else:
        parts = run_fits(
            _decision_task,
            [{"year": int(y)} for y in years],
            shared=opts,
            grid=grid,
            desc="decision retrospective",
        )
    return pd.concat(parts, ignore_index=True)


def plot_retrospective(
    *,
    result: RetrospectiveResult,
    quantity: str = "abundance",
    populations: Sequence[str] | None = None,
) -> Figure:
    """Trajectories of the reference fit and each peel, terminal years marked, ρ in titles.

    Parameters
    ----------
    result
        A :class:`RetrospectiveResult`.
    quantity
        Variable of ``result.estimates`` to show.
    populations
        Panels (default all).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> est = xr.Dataset({"abundance": (("peel", "population", "year"),
    ...                                 [[[1.0, 2.0, 3.0]], [[1.0, 2.5, np.nan]]])},
    ...                  coords={"peel": [0, 1], "population": ["Ural"],
    ...                          "year": [2023, 2024, 2025],
    ...                          "terminal_year": ("peel", [2025, 2024])})
    >>> fig = plot_retrospective(result=RetrospectiveResult(est))
    >>> fig.axes[0].get_title()
    'Ural (rho = +0.25)'
    """
    da = result.estimates[quantity]
    rho = mohns_rho(da)
    pops = list(populations or da["population"].values)
    fig, axes = figure(1, len(pops), width=3.0 * len(pops), height=2.6)
    for ax, pop in zip(axes.ravel(), pops, strict=True):
        for k in da["peel"].values:
            end = int(da["terminal_year"].sel(peel=k))
            s = da.sel(peel=k, population=pop).sel(year=slice(None, end))
            style = {"color": "k", "lw": 1.8} if k == 0 else {"lw": 1.0, "alpha": 0.8}
            line = ax.plot(s["year"], s, **style, label="all data" if k == 0 else f"to {end}")[0]
            ax.plot([end], [float(s.sel(year=end))], "o", ms=3, color=line.get_color())
        ax.set_title(f"{pop} (rho = {float(rho.sel(population=pop)):+.2f})")
        ax.set_xlabel("year")
    axes[0, 0].set_ylabel(quantity.replace("_", " "))
    axes[0, -1].legend(fontsize=7)
    return fig
