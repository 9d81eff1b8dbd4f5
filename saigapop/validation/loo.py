r"""PSIS-LOO Pareto :math:`\hat k` for every count, and influence refits on filtered data.

:func:`pareto_khat` runs :func:`arviz_stats.loo` (pointwise) on each variable of a fit's
``log_likelihood`` group. :math:`\hat k` is the estimated shape of the Pareto tail of the
importance ratios :math:`1 / p(y_i \mid \theta)`: above 0.7 the leave-one-out posterior is
too different from the full one for importance sampling (Vehtari et al. 2024), which marks
the observation as *highly influential* — with one count per population-year that is
usually a count the dynamics cannot reach (a jump in detection or coverage). For those, and
for the figures the issue singles out, the influence refits answer "what changes without
it?":

* without the 2025 counts that equal a ministry planning estimate
  (:func:`without_planning_estimates`);
* without the 2021 preliminary figures (:func:`without_preliminary`);
* without Ustyurt 2022 (:func:`without_counts`).

Where :math:`\hat k` is too high for PSIS, :func:`run_exact_loo` refits without the count and
scores it exactly (:func:`count_log_predictive`). Leave-future-out is covered by
:mod:`saigapop.validation.hindcast` (one-step-ahead refits).

References
----------
Vehtari A., Simpson D., Gelman A., Yao Y., Gabry J. (2024) Pareto smoothed importance
sampling. *JMLR* 25(72):1–58.

Examples
--------
>>> import saigapop as sp
>>> data = sp.load_kazakhstan()
>>> d = without_counts(data, population="Ustyurt", year=2022)
>>> len(data.census) - len(d.census)
1
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from arviz_stats import loo
from matplotlib.figure import Figure
from scipy import special, stats

from saigapop.constants import FLAG_SEPARATOR
from saigapop.io import SaigaData
from saigapop.locale import N_
from saigapop.locale.messages import Message
from saigapop.validation._common import element_labels, figure, group, run_fits
from saigapop.validation.checklist import KHAT_THRESHOLD, Check
from saigapop.validation.retrospective import last_census_year, terminal_quantities

__all__ = [
    "INFLUENCE_CASES",
    "LOOResult",
    "count_log_predictive",
    "drop_census_rows",
    "pareto_khat",
    "plot_khat",
    "run_exact_loo",
    "run_influence",
    "without_counts",
    "without_planning_estimates",
    "without_preliminary",
]


def _flags(frame: pd.DataFrame) -> pd.Series:
    flag = frame["flag"] if "flag" in frame else pd.Series("", index=frame.index)
    return (
        flag.fillna("")
        .astype(str)
        .map(lambda s: {w.strip() for w in s.split(FLAG_SEPARATOR) if w.strip()})
    )


def drop_census_rows(
    data: SaigaData,
    *,
    populations: str | Sequence[str] | None = None,
    years: int | Sequence[int] | None = None,
    kinds: str | Sequence[str] | None = None,
    flags: str | Sequence[str] | None = None,
) -> SaigaData:
    """Return ``data`` without the census rows matching *every* criterion given.

    Parameters
    ----------
    data
        Validated data.
    populations, years, kinds
        Match rows with these values (``None``: any).
    flags
        Match rows carrying any of these flags (``None``: any).

    Returns
    -------
    SaigaData
        The other tables unchanged; warnings about dropped rows dropped.

    Examples
    --------
    >>> import saigapop as sp
    >>> d = drop_census_rows(sp.load_kazakhstan(), years=2021, flags="preliminary")
    >>> int((d.census["year"] == 2021).sum())
    0
    """

    def as_set(v: Any) -> set | None:
        if v is None:
            return None
        return {v} if isinstance(v, str | int | np.integer) else set(v)

    census = data.census
    mask = pd.Series(True, index=census.index)
    for column, wanted in (
        ("population", as_set(populations)),
        ("year", as_set(years)),
        ("kind", as_set(kinds)),
    ):
        if wanted is not None:
            mask &= census[column].isin(wanted)
    wanted_flags = as_set(flags)
    if wanted_flags is not None:
        mask &= _flags(census).map(lambda f: bool(f & wanted_flags))
    dropped = census[mask]
    gone = set(zip(dropped["file"], dropped["row"], strict=True))
    warns = tuple(w for w in data.warnings if (w.file, w.row) not in gone)
    return dataclasses.replace(data, census=census[~mask].reset_index(drop=True), warnings=warns)


def without_planning_estimates(data: SaigaData) -> SaigaData:
    """Drop census rows flagged ``equals_planning_estimate`` (2025 Ural, Betpakdala, total).

    Examples
    --------
    >>> import saigapop as sp
    >>> d = without_planning_estimates(sp.load_kazakhstan())
    >>> sorted(d.census.query("year == 2025")["population"])
    ['Ustyurt']
    """
    return drop_census_rows(data, flags="equals_planning_estimate")


def without_preliminary(data: SaigaData, years: int | Sequence[int] = 2021) -> SaigaData:
    """Drop census rows flagged ``preliminary`` in ``years`` (default the 2021 figures)."""
    return drop_census_rows(data, years=years, flags="preliminary")


def without_counts(data: SaigaData, *, population: str, year: int) -> SaigaData:
    """Drop one population's census rows of one year (e.g. Ustyurt 2022)."""
    return drop_census_rows(data, populations=population, years=year)


#: The influence refits of the issue: name → data filter.
INFLUENCE_CASES: Mapping[str, Callable[[SaigaData], SaigaData]] = {
    "without 2025 planning-estimate counts": without_planning_estimates,
    "without 2021 preliminary figures": without_preliminary,
    "without Ustyurt 2022": lambda d: without_counts(d, population="Ustyurt", year=2022),
    "without Ustyurt 2012": lambda d: without_counts(d, population="Ustyurt", year=2012),
}


@dataclass(frozen=True)
class LOOResult:
    """Pointwise PSIS-LOO diagnostics.

    Attributes
    ----------
    table
        One row per observation: ``variable``, ``observation`` (label), ``khat``,
        ``elpd_loo`` (pointwise), ``observed`` (NaN when not in ``observed_data``).
    elpd
        Total elpd_loo and its SE per log-likelihood variable (columns ``variable``,
        ``elpd_loo``, ``se``, ``p_loo``).
    good_k
        The sample-size dependent k̂ threshold of ArviZ, ``min(1 - 1 / log10(S), 0.7)`` for
        ``S`` draws (0.7 from 2,200 draws on).
    """

    table: pd.DataFrame
    elpd: pd.DataFrame
    good_k: float = KHAT_THRESHOLD

    def worst(self, n: int = 5) -> pd.DataFrame:
        """Return the ``n`` observations with the largest k̂."""
        return self.table.sort_values("khat", ascending=False).head(n).reset_index(drop=True)

    def check(self, threshold: float | None = None) -> Check:
        """Every k̂ below ``threshold`` (default :attr:`good_k`, at most 0.7); not gating.

        k̂ judges whether PSIS can approximate leaving an observation out, not the model, so
        the check is reported with ``gating=False``; where it fails, :func:`run_exact_loo`
        refits without the observation.
        """
        threshold = min(KHAT_THRESHOLD, self.good_k) if threshold is None else threshold
        if self.table.empty:
            return Check(
                N_("Pareto k"),
                False,
                float("nan"),
                Message("< {threshold}", {"threshold": threshold}),
                Message(N_("no observations")),
                gating=False,
            )
        w = self.worst(1).iloc[0]
        n_bad = int((self.table["khat"] >= threshold).sum())
        text = Message(
            N_(
                "worst k-hat {khat:.2f} ({variable}: {observation}); {bad} of {n} observations "
                "at or above {threshold:.2f}"
            ),
            {
                "khat": float(w["khat"]),
                "variable": str(w["variable"]),
                "observation": str(w["observation"]),
                "bad": n_bad,
                "n": len(self.table),
                "threshold": threshold,
            },
        )
        return Check(
            N_("Pareto k"),
            n_bad == 0,
            float(w["khat"]),
            Message("< {threshold:.2f}", {"threshold": threshold}),
            text,
            gating=False,
        )


def pareto_khat(fit: xr.DataTree, *, var_names: Sequence[str] | None = None) -> LOOResult:
    """PSIS-LOO Pareto k̂ for every observation of every log-likelihood variable.

    Parameters
    ----------
    fit
        DataTree with ``posterior`` and ``log_likelihood`` groups (``observed_data`` is used
        for the observed values when present).
    var_names
        Log-likelihood variables (default all, e.g. ``count``, ``national``, ``toll``).

    Returns
    -------
    LOOResult

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from scipy import stats
    >>> rng = np.random.default_rng(1)
    >>> y = np.r_[rng.normal(0, 1, 19), 12.0]        # one outlier
    >>> mu = rng.normal(y.mean(), 20 ** -0.5, (2, 500))
    >>> ll = stats.norm.logpdf(y, mu[..., None], 1.0)
    >>> fit = xr.DataTree.from_dict({
    ...     "posterior": xr.Dataset({"mu": (("chain", "draw"), mu)}),
    ...     "log_likelihood": xr.Dataset({"y": (("chain", "draw", "obs"), ll)})})
    >>> res = pareto_khat(fit)
    >>> res.worst(1)["observation"].iloc[0]
    '19'
    """
    ll = group(fit, "log_likelihood")
    obs = group(fit, "observed_data") if "observed_data" in fit.children else xr.Dataset()
    rows, totals = [], []
    good_k = KHAT_THRESHOLD
    for name in var_names or list(ll.data_vars):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            res = loo(fit, pointwise=True, var_name=name)
        k = res.pareto_k
        good_k = min(good_k, float(res.good_k))
        elpd_i = res.elpd_i
        labels = element_labels(k)
        if k.ndim == 1:  # one observation dimension: its coordinate value is the label
            labels = [label.split("=", 1)[1] for label in labels]
        observed = (
            obs[name].broadcast_like(k).values.ravel() if name in obs else np.full(k.size, np.nan)
        )
        for i, label in enumerate(labels):
            rows.append(
                {
                    "variable": name,
                    "observation": label,
                    "khat": float(k.values.ravel()[i]),
                    "elpd_loo": float(elpd_i.values.ravel()[i]),
                    "observed": float(observed[i]),
                }
            )
        totals.append(
            {
                "variable": name,
                "elpd_loo": float(res.elpd),
                "se": float(res.se),
                "p_loo": float(res.p),
            }
        )
    return LOOResult(pd.DataFrame(rows), pd.DataFrame(totals), good_k)


def run_influence(
    data: SaigaData,
    fitter: Callable[[SaigaData, int], xr.DataTree],
    *,
    cases: Mapping[str, Callable[[SaigaData], SaigaData]] = INFLUENCE_CASES,
    extract: Callable[[xr.DataTree], xr.Dataset] = terminal_quantities,
    year: int | None = None,
    map_fn: Callable[[Callable[[str], Any], Iterable[str]], Iterable[Any]] = map,
) -> pd.DataFrame:
    """Refit without influential data and compare quantities at ``year`` with the reference fit.

    Parameters
    ----------
    data
        The full data.
    fitter
        ``fitter(data, end_year) -> DataTree``; every case is fitted to the same
        ``end_year`` (= ``year``), so a dropped final count leaves a forecast state.
    cases
        Name → data filter (default :data:`INFLUENCE_CASES`).
    extract
        Point estimates of a fit on ``(population, year)`` (default: abundance and adult
        sex ratio, :func:`~saigapop.validation.retrospective.terminal_quantities`).
    year
        Year compared (default the last census year of ``data``).
    map_fn
        ``map``-like callable over the reference and the cases.

    Returns
    -------
    pandas.DataFrame
        Columns ``case``, ``quantity``, ``population``, ``reference``, ``value``,
        ``relative_change``.
    """
    end = last_census_year(data) if year is None else int(year)
    names = ["reference", *cases]

    def one(name: str) -> xr.Dataset:
        d = data if name == "reference" else cases[name](data)
        return extract(fitter(d, end)).sel(year=end)

    results = dict(zip(names, map_fn(one, names), strict=True))
    ref = results["reference"]
    rows = []
    for name in cases:
        for q in ref.data_vars:
            for pop in ref["population"].values:
                r = float(ref[q].sel(population=pop))
                v = float(results[name][q].sel(population=pop))
                rows.append(
                    {
                        "case": name,
                        "quantity": q,
                        "population": str(pop),
                        "reference": r,
                        "value": v,
                        "relative_change": (v - r) / r if r else np.nan,
                    }
                )
    return pd.DataFrame(rows)


def count_log_predictive(
    fit: xr.DataTree | xr.Dataset, *, population: str, year: int, value: float
) -> float:
    r"""Log predictive density of one count: :math:`\log \frac1S \sum_s p(y \mid \theta_s)`.

    The model's count likelihood: ``y ~ LogNormal(log(q · N), obs_cv)`` with ``q`` the
    catchability of that population-year and ``N`` the census total (every sex and age).
    From a fit that left the count out this is the exact leave-one-out predictive density
    that PSIS-LOO approximates.

    Parameters
    ----------
    fit
        DataTree (``posterior`` group) or posterior Dataset with ``N``,
        ``catchability_year`` and ``obs_cv``.
    population, year, value
        The count.

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from scipy import stats
    >>> n = xr.DataArray(np.full((1, 2, 1, 1, 2, 1), 500.0), dims=("chain", "draw",
    ...     "population", "year", "sex", "age"), coords={"population": ["A"], "year": [2020]})
    >>> post = xr.Dataset({"N": n, "obs_cv": (("chain", "draw"), [[0.2, 0.2]]),
    ...     "catchability_year": n.isel(sex=0, age=0, drop=True) * 0 + 1.0})
    >>> lp = count_log_predictive(post, population="A", year=2020, value=900.0)
    >>> bool(np.isclose(lp, stats.lognorm.logpdf(900.0, 0.2, scale=1000.0)))
    True
    """
    post = group(fit, "posterior")
    at = {"population": population, "year": int(year)}
    total = post["N"].sel(at).sum([d for d in ("sex", "age") if d in post["N"].dims])
    mu = np.log(post["catchability_year"].sel(at) * total)
    sigma = post["obs_cv"]
    mu, sigma = xr.broadcast(mu, sigma)
    lp = stats.norm.logpdf(np.log(value), mu.values, sigma.values) - np.log(value)
    return float(special.logsumexp(lp) - np.log(lp.size))


def _exact_loo_task(
    population: str,
    year: int,
    value: float,
    *,
    data: SaigaData,
    fitter: Callable[[SaigaData, int], xr.DataTree],
    end_year: int,
) -> dict[str, Any]:
    refit = fitter(without_counts(data, population=population, year=int(year)), end_year)
    lp = count_log_predictive(refit, population=population, year=int(year), value=value)
    return {"population": population, "year": int(year), "observed": value, "elpd_exact": lp}


def _count_value(data: SaigaData, population: str, year: int) -> float:
    rows = data.census
    sel = rows[
        (rows["population"] == population) & (rows["year"] == int(year)) & (rows["kind"] == "count")
    ]
    if len(sel) != 1:
        raise ValueError(f"expected one count for {population} {year}, found {len(sel)}")
    return float(sel["value"].iloc[0])


def run_exact_loo(
    data: SaigaData,
    fitter: Callable[[SaigaData, int], xr.DataTree],
    counts: Sequence[tuple[str, int]],
    *,
    reference: LOOResult | None = None,
    year: int | None = None,
    grid: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Exact leave-one-out for counts whose Pareto k̂ is too high: refit without each one.

    Parameters
    ----------
    data
        The full data.
    fitter
        ``fitter(data, end_year) -> DataTree``; every refit keeps ``end_year`` (= ``year``).
    counts
        ``(population, year)`` of the counts to leave out (e.g. the worst k̂ of
        :func:`pareto_khat`).
    reference
        The PSIS-LOO result of the full fit, to put its k̂ and elpd beside the exact value.
    year
        Last model year (default the last census year of ``data``).
    grid
        Keyword arguments of :func:`saigapop.runner.run_grid` (default serial).

    Returns
    -------
    pandas.DataFrame
        ``population``, ``year``, ``observed``, ``elpd_exact`` and, with ``reference``,
        ``khat``, ``elpd_psis`` and ``psis_error`` (PSIS minus exact).
    """
    end = last_census_year(data) if year is None else int(year)
    out = run_fits(
        _exact_loo_task,
        [{"population": p, "year": int(y), "value": _count_value(data, p, y)} for p, y in counts],
        shared={"data": data, "fitter": fitter, "end_year": end},
        grid=grid,
        desc="exact LOO",
    )
    table = pd.DataFrame(out)
    if reference is not None:
        ref = reference.table[reference.table["variable"] == "count"]
        ref = ref.assign(label=ref["observation"].astype(str))
        khat, elpd = [], []
        for r in table.itertuples():
            hit = ref[ref["label"].str.startswith(f"{r.population} {r.year}")]
            khat.append(float(hit["khat"].iloc[0]) if len(hit) == 1 else np.nan)
            elpd.append(float(hit["elpd_loo"].iloc[0]) if len(hit) == 1 else np.nan)
        table["khat"] = khat
        table["elpd_psis"] = elpd
        table["psis_error"] = table["elpd_psis"] - table["elpd_exact"]
    return table


def plot_khat(*, result: LOOResult, threshold: float = KHAT_THRESHOLD, n_labels: int = 6) -> Figure:
    """Pareto k̂ of every observation, with the threshold line; the ``n_labels`` worst labelled.

    Examples
    --------
    >>> t = pd.DataFrame({"variable": ["count"] * 2, "observation": ["a", "b"],
    ...                   "khat": [0.2, 0.9], "elpd_loo": [-1.0, -5.0], "observed": [1.0, 2.0]})
    >>> fig = plot_khat(result=LOOResult(t, pd.DataFrame()))
    >>> fig.axes[0].get_ylabel()
    'Pareto k-hat'
    """
    t = result.table.reset_index(drop=True)
    fig, axes = figure(1, 1, width=6.3, height=2.8)
    ax = axes[0, 0]
    for name, g in t.groupby("variable", sort=False):
        ax.plot(g.index, g["khat"], "o", ms=4, label=name)
    ax.axhline(threshold, color="#D55E00", lw=0.8, ls="--")
    worst = t[t["khat"] >= threshold].sort_values("khat", ascending=False).head(n_labels)
    for i, row in worst.iterrows():
        ax.annotate(
            row["observation"],
            (i, row["khat"]),
            fontsize=6,
            xytext=(3, 3),
            textcoords="offset points",
        )
    ax.set_xlabel("observation")
    ax.set_ylabel("Pareto k-hat")
    ax.legend(fontsize=7)
    return fig
