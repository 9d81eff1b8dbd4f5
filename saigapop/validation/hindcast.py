r"""One-step-ahead hindcasts: MASE against the last count, interval coverage, runs tests.

For a target year :math:`Y` the model is fitted to the data up to :math:`Y - 1` with its
last model year :math:`Y` (the state of year *Y* is then a forecast through the annual
cycle), and the count of each population in *Y* is predicted as
:math:`q_{p,Y} N_{p,Y} e^{\sigma z}` (:func:`predict_counts`, the model's observation
equation). Three things are reported:

* **MASE** (Hyndman & Koehler 2006) against the naive random walk: the mean absolute error
  of the predictive median divided by that of the last observed count. By default errors
  are on the log scale (relative errors, scale-free across populations that differ 30-fold;
  the counts' error is lognormal). ``MASE < 1``: the model forecasts better than "same as
  last count".
* whether the **90 % predictive interval** covered the count;
* a **Wald–Wolfowitz runs test** on the signs of residuals (too few runs: residuals
  persist, the dynamics miss a trend; too many: they alternate, e.g. over-fitted noise).

The 2025 Ural and Betpakdala counts equal a ministry +40 % planning estimate (flag
``equals_planning_estimate``); every summary is given with and without them.

References
----------
Hyndman R.J., Koehler A.B. (2006) Another look at measures of forecast accuracy. *Int. J.
Forecasting* 22:679–688. Wald A., Wolfowitz J. (1940) On a test whether two samples are from
the same population. *Ann. Math. Stat.* 11:147–162.

Examples
--------
>>> round(mase([110.0, 200.0], [105.0, 190.0], [100.0, 150.0], scale="natural"), 4)
0.25
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from math import comb
from typing import Any, Literal, NamedTuple

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.figure import Figure
from scipy import stats

from saigapop.constants import CI_PROB
from saigapop.io import SaigaData
from saigapop.locale import N_
from saigapop.locale.messages import Message
from saigapop.validation._common import figure, group, stack_samples
from saigapop.validation.checklist import MASE_THRESHOLD, Check
from saigapop.validation.loo import count_log_predictive

__all__ = [
    "PLANNING_FLAG",
    "HindcastResult",
    "RunsTest",
    "hindcast_data",
    "mase",
    "plot_hindcast",
    "predict_counts",
    "residual_runs",
    "run_hindcast",
    "runs_test",
]

#: Census flag of counts that equal a ministry planning estimate (2025 Ural, Betpakdala).
PLANNING_FLAG = "equals_planning_estimate"
Scale = Literal["log", "natural"]


def mase(
    observed: Sequence[float],
    predicted: Sequence[float],
    naive: Sequence[float],
    *,
    scale: Scale = "log",
) -> float:
    """Mean absolute scaled error of ``predicted`` against the ``naive`` forecasts.

    Parameters
    ----------
    observed, predicted, naive
        Observed values, model point forecasts and naive forecasts (the last observed value).
    scale
        ``"log"`` (default): errors of log values; ``"natural"``: errors of the values.

    Returns
    -------
    float
        ``mean|obs − pred| / mean|obs − naive|``; ``inf`` if the naive forecasts are exact.

    Examples
    --------
    >>> mase([100.0], [100.0], [50.0])
    0.0
    >>> round(mase([200.0, 50.0], [100.0, 100.0], [400.0, 25.0]), 6)
    1.0
    """
    o, p, n = (np.asarray(v, dtype=float) for v in (observed, predicted, naive))
    if not (o.shape == p.shape == n.shape) or o.size == 0:
        raise ValueError("observed, predicted and naive must be non-empty and of equal length")
    if scale == "log":
        o, p, n = np.log(o), np.log(p), np.log(n)
    elif scale != "natural":
        raise ValueError(f"scale must be 'log' or 'natural', got {scale!r}")
    denom = np.mean(np.abs(o - n))
    num = np.mean(np.abs(o - p))
    return float(num / denom) if denom > 0 else float("inf") if num > 0 else float("nan")


class RunsTest(NamedTuple):
    """Result of :func:`runs_test`."""

    n_positive: int
    n_negative: int
    runs: int
    expected: float
    z: float
    p_normal: float
    """Two-sided p-value of the normal approximation."""
    p_exact: float
    """Two-sided exact p-value (twice the smaller tail of the conditional runs distribution)."""


def _runs_pmf(n1: int, n2: int) -> dict[int, float]:
    total = comb(n1 + n2, n1)
    pmf: dict[int, float] = {}
    for r in range(2, n1 + n2 + 1):
        k, odd = divmod(r, 2)
        if not odd:
            ways = 2 * comb(n1 - 1, k - 1) * comb(n2 - 1, k - 1)
        else:
            ways = comb(n1 - 1, k) * comb(n2 - 1, k - 1) + comb(n1 - 1, k - 1) * comb(n2 - 1, k)
        if ways:
            pmf[r] = ways / total
    return pmf


def runs_test(values: Sequence[float]) -> RunsTest:
    """Wald–Wolfowitz runs test on the signs of ``values`` (zeros and NaNs are dropped).

    Parameters
    ----------
    values
        Residuals in time order.

    Returns
    -------
    RunsTest
        Counts, runs, expected runs, z, and two-sided normal and exact p-values (NaN when
        one sign is absent).

    Examples
    --------
    >>> r = runs_test([1, 2, -1, -3, 4, 1, -2, -1])
    >>> r.runs, r.expected, round(r.p_exact, 4), round(r.p_normal, 4)
    (4, 5.0, 0.7429, 0.445)
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v) & (v != 0)]
    s = v > 0
    n1, n2 = int(s.sum()), int((~s).sum())
    runs = int(1 + np.count_nonzero(s[1:] != s[:-1])) if v.size else 0
    if n1 == 0 or n2 == 0:
        return RunsTest(n1, n2, runs, float("nan"), float("nan"), float("nan"), float("nan"))
    n = n1 + n2
    mean = 2.0 * n1 * n2 / n + 1.0
    var = 2.0 * n1 * n2 * (2.0 * n1 * n2 - n) / (n**2 * (n - 1))
    z = (runs - mean) / np.sqrt(var) if var > 0 else 0.0
    p_norm = float(2 * stats.norm.sf(abs(z)))
    pmf = _runs_pmf(n1, n2)
    lower = sum(p for r, p in pmf.items() if r <= runs)
    upper = sum(p for r, p in pmf.items() if r >= runs)
    return RunsTest(
        n1, n2, runs, float(mean), float(z), p_norm, float(min(1.0, 2 * min(lower, upper)))
    )


def hindcast_data(data: SaigaData, year: int) -> SaigaData:
    """Return the data available before the census of ``year`` (rows of earlier years).

    Examples
    --------
    >>> import saigapop as sp
    >>> int(hindcast_data(sp.load_kazakhstan(), 2024).census["year"].max())
    2023
    """
    return data.select(years=slice(None, int(year) - 1))


def predict_counts(
    fit: xr.DataTree | xr.Dataset,
    year: int,
    *,
    rng: np.random.Generator | int | None = None,
) -> xr.DataArray:
    r"""Posterior predictive draws of each population's count in ``year``.

    :math:`C = q_{p,Y} N_{p,Y} e^{\sigma z}` with ``N`` summed over sex and age,
    ``catchability_year`` and ``obs_cv`` from the posterior (the model's count likelihood).

    Returns
    -------
    xarray.DataArray
        On ``(sample, population)``.
    """
    post = group(fit, "posterior")
    n = post["N"].sel(year=year).sum(["sex", "age"], skipna=True)
    q = (
        post["catchability_year"].sel(year=year)
        if "catchability_year" in post
        else post["catchability"]
    )
    median = stack_samples(n * q)
    cv = stack_samples(post["obs_cv"])
    z = np.random.default_rng(rng).standard_normal(median.shape)
    out = median * np.exp(cv * xr.DataArray(z, dims=median.dims))
    return out.transpose("sample", ...)


def _counts(data: SaigaData) -> pd.DataFrame:
    c = data.census
    c = c[(c["kind"] == "count") & c["value"].notna()].copy()
    c["flag"] = c["flag"].fillna("").astype(str) if "flag" in c else ""
    return c[["population", "year", "value", "flag"]]


@dataclass(frozen=True)
class HindcastResult:
    """One-step-ahead predictions of counts.

    Attributes
    ----------
    table
        One row per target count: ``year``, ``population``, ``observed``, ``predicted``
        (predictive median), ``lower``, ``upper`` (90 %), ``naive`` (last earlier count),
        ``covered``, ``equals_planning_estimate``, ``log_residual`` (log observed − log
        predicted), ``elpd_lfo`` (exact leave-future-out log predictive density of the
        count under the model's count likelihood, from the fit that had not seen it).
    """

    table: pd.DataFrame
    prob: float = CI_PROB

    @classmethod
    def from_predictions(
        cls,
        data: SaigaData,
        predictions: Mapping[int, xr.DataArray],
        *,
        elpd: Mapping[tuple[int, str], float] | None = None,
        prob: float = CI_PROB,
    ) -> HindcastResult:
        """Build the table from predictive draws ``{year: DataArray(sample, population)}``.

        ``elpd`` gives the exact leave-future-out log predictive density of each count,
        ``{(year, population): value}`` (column ``elpd_lfo``; NaN where not given).

        Examples
        --------
        >>> import saigapop as sp
        >>> data = sp.load_kazakhstan()
        >>> draws = xr.DataArray(np.full((10, 1), 1.5e6), dims=("sample", "population"),
        ...                      coords={"population": ["Ural"]})
        >>> t = HindcastResult.from_predictions(data, {2024: draws}).table
        >>> t[["population", "observed", "naive", "predicted"]].values.tolist()
        [['Ural', 1620000.0, 1130000.0, 1500000.0]]
        """
        counts = _counts(data)
        tail = (1.0 - prob) / 2.0
        rows = []
        for year, draws in sorted(predictions.items()):
            for pop in draws["population"].values:
                obs = counts[(counts["population"] == pop) & (counts["year"] == year)]
                before = counts[(counts["population"] == pop) & (counts["year"] < year)]
                if obs.empty or before.empty:
                    continue
                d = draws.sel(population=pop).values
                lo, med, hi = np.quantile(d, [tail, 0.5, 1.0 - tail])
                value = float(obs["value"].iloc[0])
                rows.append(
                    {
                        "year": int(year),
                        "population": str(pop),
                        "observed": value,
                        "predicted": float(med),
                        "lower": float(lo),
                        "upper": float(hi),
                        "naive": float(before.sort_values("year")["value"].iloc[-1]),
                        "covered": bool(lo <= value <= hi),
                        "equals_planning_estimate": PLANNING_FLAG in obs["flag"].iloc[0],
                        "log_residual": float(np.log(value) - np.log(med)),
                        "elpd_lfo": float((elpd or {}).get((int(year), str(pop)), np.nan)),
                    }
                )
        return cls(pd.DataFrame(rows), prob)

    def _rows(self, exclude_planning_estimates: bool) -> pd.DataFrame:
        t = self.table
        return t[~t["equals_planning_estimate"]] if exclude_planning_estimates else t

    def mase(self, *, exclude_planning_estimates: bool = False, scale: Scale = "log") -> float:
        """MASE of the predictive medians against the last count."""
        t = self._rows(exclude_planning_estimates)
        if t.empty:
            return float("nan")
        return mase(t["observed"], t["predicted"], t["naive"], scale=scale)

    def runs(self, *, exclude_planning_estimates: bool = False) -> RunsTest:
        """Test the runs of log-residual signs, ordered by population then year."""
        t = self._rows(exclude_planning_estimates).sort_values(["population", "year"])
        return runs_test(t["log_residual"].to_numpy())

    def summary(self, *, scale: Scale = "log") -> pd.DataFrame:
        """MASE, coverage, runs test and summed LFO elpd, with and without planning estimates."""
        rows = []
        for excl in (False, True):
            t = self._rows(excl)
            r = self.runs(exclude_planning_estimates=excl)
            rows.append(
                {
                    "counts": "without planning estimates" if excl else "all",
                    "n": len(t),
                    "mase": self.mase(exclude_planning_estimates=excl, scale=scale),
                    "coverage": float(t["covered"].mean()) if len(t) else float("nan"),
                    "runs": r.runs,
                    "runs_p_exact": r.p_exact,
                    "elpd_lfo": float(t["elpd_lfo"].sum(min_count=1))
                    if "elpd_lfo" in t
                    else float("nan"),
                }
            )
        return pd.DataFrame(rows)

    def check(
        self, threshold: float = MASE_THRESHOLD, *, exclude_planning_estimates: bool = False
    ) -> Check:
        """Hindcast MASE below ``threshold`` (default 1)."""
        m = self.mase(exclude_planning_estimates=exclude_planning_estimates)
        t = self._rows(exclude_planning_estimates)
        template = (
            N_(
                "one-step-ahead MASE {mase:.2f} over {n} counts (without planning-estimate "
                "counts); {inside} of {n} inside their {prob:.0%} intervals"
            )
            if exclude_planning_estimates
            else N_(
                "one-step-ahead MASE {mase:.2f} over {n} counts; {inside} of {n} inside their "
                "{prob:.0%} intervals"
            )
        )
        values = {"mase": m, "n": len(t), "inside": int(t["covered"].sum()), "prob": self.prob}
        return Check(
            N_("Hindcast MASE"),
            bool(m < threshold),
            m,
            Message("< {threshold:g}", {"threshold": threshold}),
            Message(template, values),
        )


def run_hindcast(
    data: SaigaData,
    fitter: Callable[[SaigaData, int], xr.DataTree],
    *,
    years: Sequence[int] = (2024, 2025),
    predictor: Callable[..., xr.DataArray] = predict_counts,
    seed: int = 0,
    map_fn: Callable[[Callable[[int], Any], Iterable[int]], Iterable[Any]] = map,
) -> HindcastResult:
    """Fit to the data before each target year and predict that year's counts.

    Parameters
    ----------
    data
        The full data.
    fitter
        ``fitter(data, end_year) -> DataTree``; called with :func:`hindcast_data` and the
        target year as ``end_year``, so the model's last state is the forecast year.
    years
        Target years (default 2024 and 2025).
    predictor
        ``predictor(fit, year, rng=...) -> DataArray(sample, population)`` (default
        :func:`predict_counts`).
    seed
        Seed of the predictive noise.
    map_fn
        ``map``-like callable over the target years.

    Returns
    -------
    HindcastResult
    """
    counts = _counts(data)

    def one(year: int) -> tuple[int, xr.DataArray, dict[tuple[int, str], float]]:
        fit = fitter(hindcast_data(data, year), int(year))
        draws = predictor(fit, int(year), rng=np.random.default_rng([seed, int(year)]))
        elpd = {}
        post = group(fit, "posterior") if isinstance(fit, xr.DataTree | xr.Dataset) else None
        if post is not None and {"N", "catchability_year", "obs_cv"} <= set(post.data_vars):
            now = counts[counts["year"] == int(year)]
            for pop, value in zip(now["population"], now["value"], strict=True):
                if pop in post["population"].values:
                    elpd[(int(year), str(pop))] = count_log_predictive(
                        post, population=str(pop), year=int(year), value=float(value)
                    )
        return int(year), draws, elpd

    parts = list(map_fn(one, list(years)))
    elpd = {k: v for _, _, e in parts for k, v in e.items()}
    return HindcastResult.from_predictions(data, {y: d for y, d, _ in parts}, elpd=elpd)


def residual_runs(fit: xr.DataTree, data: SaigaData) -> pd.DataFrame:
    """Test runs per population in in-sample count residuals (log count − log median q·N).

    Returns
    -------
    pandas.DataFrame
        Columns ``population``, ``n``, ``runs``, ``expected``, ``p_exact``, ``p_normal``.
    """
    post = group(fit, "posterior")
    fitted = stack_samples(post["N"].sum(["sex", "age"], skipna=True) * post["catchability_year"])
    fitted = fitted.median("sample")
    counts = _counts(data)
    rows = []
    for pop in fitted["population"].values:
        c = counts[(counts["population"] == pop) & counts["year"].isin(fitted["year"].values)]
        c = c.sort_values("year")
        res = np.log(c["value"].to_numpy()) - np.log(
            fitted.sel(population=pop, year=c["year"].to_numpy()).values
        )
        r = runs_test(res)
        rows.append(
            {
                "population": str(pop),
                "n": len(res),
                "runs": r.runs,
                "expected": r.expected,
                "p_exact": r.p_exact,
                "p_normal": r.p_normal,
            }
        )
    return pd.DataFrame(rows)


def plot_hindcast(*, result: HindcastResult) -> Figure:
    """Observed counts, 90 % predictive intervals and the naive forecast, one panel per population.

    Counts equal to a planning estimate are drawn as open circles.

    Examples
    --------
    >>> t = pd.DataFrame({"year": [2024], "population": ["Ural"], "observed": [1.6e6],
    ...                   "predicted": [1.5e6], "lower": [1.1e6], "upper": [2.0e6],
    ...                   "naive": [1.1e6], "covered": [True],
    ...                   "equals_planning_estimate": [False], "log_residual": [0.06]})
    >>> fig = plot_hindcast(result=HindcastResult(t))
    >>> fig.axes[0].get_title()
    'Ural'
    """
    t = result.table
    pops = list(dict.fromkeys(t["population"]))
    fig, axes = figure(1, max(1, len(pops)), width=2.8 * max(1, len(pops)), height=2.6)
    for ax, pop in zip(axes.ravel(), pops, strict=False):
        g = t[t["population"] == pop]
        x = g["year"].to_numpy()
        ax.errorbar(
            x,
            g["predicted"],
            yerr=[g["predicted"] - g["lower"], g["upper"] - g["predicted"]],
            fmt="s",
            color="#0072B2",
            ms=4,
            capsize=3,
            label=f"{result.prob:.0%} prediction",
        )
        ax.plot(x, g["naive"], "x", color="0.4", label="last count (naive)")
        flagged = g["equals_planning_estimate"].to_numpy()
        ax.plot(
            x[~flagged], g["observed"].to_numpy()[~flagged], "o", color="#D55E00", label="count"
        )
        ax.plot(
            x[flagged],
            g["observed"].to_numpy()[flagged],
            "o",
            mfc="none",
            color="#D55E00",
            label="count = planning estimate",
        )
        ax.set_title(pop)
        ax.set_xticks(x)
    axes[0, 0].legend(fontsize=7)
    return fig
