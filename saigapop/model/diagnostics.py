"""Diagnostics that gate everything downstream.

Convergence, predictive coverage, prior-vs-posterior comparison, a growth check against the
biological ceiling and a flag for vital rates at their bounds; :func:`summarise_fit` gathers
what a report shows about a fit (priors, prior against posterior, abundance quantiles) into a
frozen :class:`FitSummary`, so the report lays out numbers it does not compute.

Over ~600 lines because it is one job, what is computed from a fit to judge it (each check
is a short function with its docstring and example); the report's :class:`FitSummary` sits
beside the checks it summarises rather than in the report, which may not compute.

Examples
--------
>>> from saigapop.testing import make_synthetic_posterior
>>> from saigapop.model.diagnostics import check_convergence
>>> res = check_convergence(make_synthetic_posterior(chains=2, draws=30))
>>> isinstance(res.passed, bool) and {"rhat", "ess_bulk", "ess_tail"} <= set(res.table.columns)
True
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from arviz_stats import bfmi, ess, rhat

from saigapop.constants import PARETO_KHAT_MAX
from saigapop.model.priors import priors_table

__all__ = [
    "CONVERGENCE_THRESHOLDS",
    "LAMBDA_MAX",
    "PARETO_KHAT_MAX",
    "PRIOR_DRIVEN_RATIO",
    "QUANTILES",
    "ConvergenceResult",
    "FitSummary",
    "GrowthCheck",
    "check_convergence",
    "growth_check",
    "lambda_vital",
    "ppc_coverage",
    "prior_posterior_comparison",
    "quantile_bands",
    "sex_ratio_prior_driven",
    "summarise_fit",
    "vital_rates_at_bounds",
]

#: Biological growth ceiling: Kühl et al. (2009) fecundity and twinning with perfect survival.
LAMBDA_MAX = 1.66
#: Posterior SD / prior SD above which a parameter is labelled prior-driven.
PRIOR_DRIVEN_RATIO = 0.5
_RATE_VARS = ("survival", "fecundity", "twinning")
#: Quantiles of every fan chart (5, 25, 50, 75, 95 %).
QUANTILES: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95)
_QCOLS = ("q05", "q25", "q50", "q75", "q95")
#: Convergence gate of a fit (issue 3; Vehtari et al. 2021 for R-hat and ESS): R-hat ≤ 1.01,
#: bulk and tail ESS ≥ 400, no divergent transitions, E-BFMI ≥ 0.3. The acceptance
#: checklist (:data:`saigapop.validation.checklist.THRESHOLDS`) reads them from here.
CONVERGENCE_THRESHOLDS: Mapping[str, float] = MappingProxyType(
    {"rhat_max": 1.01, "ess_min": 400.0, "max_divergences": 0, "bfmi_min": 0.3}
)


def _parameters(dt: xr.DataTree, var_names: list[str] | None) -> list[str]:
    post = dt["posterior"]
    if var_names is not None:
        return list(var_names)
    if "parameters" in dt.attrs:
        names = json.loads(dt.attrs["parameters"])
        return [n for n in names if n in post.data_vars]
    return list(post.data_vars)


def _flat(da: xr.DataArray) -> list[tuple[str, xr.DataArray]]:
    extra = [d for d in da.dims if d not in ("chain", "draw")]
    if not extra:
        return [(str(da.name), da)]
    stacked = da.stack(_el=extra)
    out = []
    for i in range(stacked.sizes["_el"]):
        sel = stacked.isel(_el=i)
        idx = stacked["_el"].values[i]
        idx = idx if isinstance(idx, tuple) else (idx,)
        out.append(
            (
                f"{da.name}[{', '.join(str(x) for x in idx)}]",
                sel.drop_vars(["_el", *extra], errors="ignore"),
            )
        )
    return out


@dataclass(frozen=True)
class ConvergenceResult:
    """Result of :func:`check_convergence` (frozen).

    Attributes
    ----------
    passed
        Every criterion met.
    table
        One row per parameter element: ``parameter``, ``rhat``, ``ess_bulk``, ``ess_tail``,
        ``ok``.
    divergences
        Number of divergent transitions (after tuning).
    bfmi
        E-BFMI per chain.
    failures
        Human-readable reasons for failure (empty if passed).
    thresholds
        The thresholds used.
    """

    passed: bool
    table: pd.DataFrame
    divergences: int
    bfmi: tuple[float, ...]
    failures: tuple[str, ...]
    thresholds: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        """One paragraph: verdict and worst values."""
        t = self.table
        head = "PASSED" if self.passed else "FAILED"
        return (
            f"convergence {head}: max R-hat {t['rhat'].max():.4f}, min ESS bulk "
            f"{t['ess_bulk'].min():.0f}, min ESS tail {t['ess_tail'].min():.0f}, "
            f"{self.divergences} divergences, min E-BFMI {min(self.bfmi, default=np.nan):.2f}"
            + ("" if self.passed else "; " + "; ".join(self.failures))
        )


def check_convergence(
    dt: xr.DataTree,
    *,
    var_names: list[str] | None = None,
    rhat_max: float = CONVERGENCE_THRESHOLDS["rhat_max"],
    ess_min: float = CONVERGENCE_THRESHOLDS["ess_min"],
    max_divergences: int = int(CONVERGENCE_THRESHOLDS["max_divergences"]),
    bfmi_min: float = CONVERGENCE_THRESHOLDS["bfmi_min"],
) -> ConvergenceResult:
    """Check R-hat, ESS (bulk and tail) for every parameter element, divergences and E-BFMI.

    Parameters
    ----------
    dt
        A fit (``posterior`` and ``sample_stats`` groups).
    var_names
        Variables to check; default the free parameters listed in ``dt.attrs["parameters"]``.
    rhat_max, ess_min, max_divergences, bfmi_min
        Thresholds; default :data:`CONVERGENCE_THRESHOLDS` (R-hat ≤ 1.01, ESS ≥ 400,
        0 divergences, E-BFMI ≥ 0.3). R-hat, ESS and E-BFMI are ``arviz_stats``'.

    Returns
    -------
    ConvergenceResult
    """
    post = dt["posterior"].to_dataset()
    names = _parameters(dt, var_names)
    sub = post[names]
    r = rhat(sub)
    eb = ess(sub, method="bulk")
    et = ess(sub, method="tail")
    rows = []
    for name in names:
        for (label, rv), (_, bv), (_, tv) in zip(
            _flat(r[name]), _flat(eb[name]), _flat(et[name]), strict=True
        ):
            rows.append(
                {
                    "parameter": label,
                    "rhat": float(rv),
                    "ess_bulk": float(bv),
                    "ess_tail": float(tv),
                }
            )
    table = pd.DataFrame(rows, columns=["parameter", "rhat", "ess_bulk", "ess_tail"])
    table["ok"] = (
        (table["rhat"] <= rhat_max)
        & (table["ess_bulk"] >= ess_min)
        & (table["ess_tail"] >= ess_min)
    )
    stats = dt["sample_stats"].to_dataset() if "sample_stats" in dt.children else xr.Dataset()
    div = int(stats["diverging"].sum()) if "diverging" in stats else 0
    try:
        b = (
            tuple(float(x) for x in np.ravel(bfmi(dt)["energy"].values))
            if "energy" in stats
            else ()
        )
    except Exception:  # pragma: no cover - arviz API drift
        b = ()
    failures = []
    bad = table[~table["ok"]]
    if len(bad):
        failures.append(
            f"{len(bad)} parameter element(s) fail R-hat/ESS "
            f"(e.g. {', '.join(bad['parameter'].head(5))})"
        )
    if div > max_divergences:
        failures.append(f"{div} divergent transitions (max {max_divergences})")
    if b and min(b) < bfmi_min:
        failures.append(f"E-BFMI {min(b):.2f} < {bfmi_min}")
    return ConvergenceResult(
        passed=not failures,
        table=table,
        divergences=div,
        bfmi=b,
        failures=tuple(failures),
        thresholds={
            "rhat_max": rhat_max,
            "ess_min": ess_min,
            "max_divergences": max_divergences,
            "bfmi_min": bfmi_min,
        },
    )


def ppc_coverage(dt: xr.DataTree, var_name: str = "count", prob: float = 0.90) -> pd.DataFrame:
    """Posterior predictive interval per observation and whether it covers the data.

    Parameters
    ----------
    dt
        Fit with ``posterior_predictive`` and ``observed_data``.
    var_name
        Observed variable (``count`` = per-population counts, ``national`` = totals).
    prob
        Central interval mass (default 90 %).

    Returns
    -------
    pandas.DataFrame
        ``observation``, ``observed``, ``lower``, ``median``, ``upper``, ``inside``;
        ``df.attrs["coverage"]`` is the share inside.
    """
    pp = dt["posterior_predictive"][var_name]
    obs = dt["observed_data"][var_name]
    a = (1 - prob) / 2
    q = pp.quantile([a, 0.5, 1 - a], dim=("chain", "draw"))
    dim = next(d for d in obs.dims)
    df = pd.DataFrame(
        {
            "observation": [str(v) for v in obs[dim].values],
            "observed": obs.values,
            "lower": q.isel(quantile=0).values,
            "median": q.isel(quantile=1).values,
            "upper": q.isel(quantile=2).values,
        }
    )
    df["inside"] = (df["observed"] >= df["lower"]) & (df["observed"] <= df["upper"])
    df.attrs["coverage"] = float(df["inside"].mean()) if len(df) else float("nan")
    return df


def prior_posterior_comparison(
    dt: xr.DataTree, *, var_names: list[str] | None = None, ratio: float = PRIOR_DRIVEN_RATIO
) -> pd.DataFrame:
    """Label each parameter element data-informed or prior-driven.

    A parameter is *prior-driven* when its posterior SD exceeds ``ratio`` × its prior SD
    (the data shrank its uncertainty by less than half), or its posterior mean moved by less
    than 0.5 prior SD *and* the SD ratio exceeds ``ratio``. Default ``ratio`` = 0.5.

    Returns
    -------
    pandas.DataFrame
        ``parameter``, ``prior_mean``, ``prior_sd``, ``posterior_mean``, ``posterior_sd``,
        ``sd_ratio``, ``shift`` (abs(mean change) / prior SD), ``label``.
    """
    post = dt["posterior"].to_dataset()
    prior = dt["prior"].to_dataset()
    names = [n for n in _parameters(dt, var_names) if n in prior]
    rows = []
    for name in names:
        for (label, pv), (_, qv) in zip(_flat(post[name]), _flat(prior[name]), strict=True):
            pv_, qv_ = np.asarray(pv).ravel(), np.asarray(qv).ravel()
            psd, qsd = float(np.std(pv_)), float(np.std(qv_))
            r = psd / qsd if qsd > 0 else np.nan
            shift = abs(float(np.mean(pv_)) - float(np.mean(qv_))) / qsd if qsd > 0 else np.nan
            rows.append(
                {
                    "parameter": label,
                    "prior_mean": float(np.mean(qv_)),
                    "prior_sd": qsd,
                    "posterior_mean": float(np.mean(pv_)),
                    "posterior_sd": psd,
                    "sd_ratio": r,
                    "shift": shift,
                    "label": "prior-driven" if (np.isnan(r) or r > ratio) else "data-informed",
                }
            )
    return pd.DataFrame(rows)


def lambda_vital(
    survival: np.ndarray,
    fecundity: np.ndarray,
    twinning: np.ndarray,
    conception: float | np.ndarray = 1.0,
) -> np.ndarray:
    r"""Asymptotic growth of the female cycle (no density dependence, no noise).

    .. math::

        \begin{pmatrix} Y' \\ A' \end{pmatrix} =
        \begin{pmatrix} \tfrac12 s_c P f_y (1+\tau_y) & \tfrac12 s_c P f_a (1+\tau_a) \\
        s_{y} & s_{a} \end{pmatrix} \begin{pmatrix} Y \\ A \end{pmatrix}

    Parameters
    ----------
    survival
        ``(..., 3)`` female survival (calf, yearling, adult).
    fecundity, twinning
        ``(..., 2)`` by female census age (yearling, adult).
    conception
        Conception probability ``P``.

    Returns
    -------
    numpy.ndarray
        Dominant eigenvalue, shape ``(...)``.

    Examples
    --------
    >>> lam = lambda_vital(np.ones(3), np.array([0.774, 0.946]), np.array([0.117, 0.726]))
    >>> round(float(lam), 2)
    1.66
    """
    s = np.asarray(survival, float)
    f = np.asarray(fecundity, float)
    tw = np.asarray(twinning, float)
    a = 0.5 * s[..., 0] * conception * f[..., 0] * (1 + tw[..., 0])
    b = 0.5 * s[..., 0] * conception * f[..., 1] * (1 + tw[..., 1])
    c, d = s[..., 1], s[..., 2]
    tr, det = a + d, a * d - b * c
    return 0.5 * (tr + np.sqrt(tr**2 - 4 * det))


@dataclass(frozen=True)
class GrowthCheck:
    """Prior predictive growth against the biological ceiling (see :func:`growth_check`)."""

    lambda_max: float
    lambda_vital_quantiles: dict[str, float]
    share_vital_above_max: float
    realised_growth_quantiles: dict[str, float]
    share_realised_above_max: float
    observed_max_growth: float | None
    passed: bool
    text: str


def growth_check(
    dt: xr.DataTree, *, group: str = "prior", lambda_max: float = LAMBDA_MAX
) -> GrowthCheck:
    """Compare the growth implied by the vital rates and the realised growth with λ_max.

    The vital-rate growth (female cycle, perfect mating) must stay below λ_max ≈ 1.66 in
    (almost) every draw; the *realised* growth (including population × year effects, i.e.
    net movement and detection drift) may exceed it, which is how the model absorbs observed
    jumps above the ceiling (e.g. Ustyurt 2021→2022, ×2.3) without impossible vital rates.
    ``passed`` is True when < 1 % of vital-rate draws exceed λ_max.
    """
    ds = dt[group].to_dataset()
    surv = ds["survival"].sel(sex="female").transpose(..., "age").values
    fec = ds["fecundity"].sel(age=["yearling", "adult"]).transpose(..., "age").values
    twin = ds["twinning"].sel(age=["yearling", "adult"]).transpose(..., "age").values
    fec = np.broadcast_to(fec[..., None, :], (*surv.shape[:-1], 2))
    twin = np.broadcast_to(twin[..., None, :], (*surv.shape[:-1], 2))
    lam = lambda_vital(surv, fec, twin).ravel()
    g = ds["growth"].values.ravel() if "growth" in ds else np.array([np.nan])
    g = g[np.isfinite(g)]
    qs = (0.05, 0.5, 0.95)
    obs_max = None
    if "observed_data" in dt.children and "count" in dt["observed_data"]:
        obs = dt["observed_data"]["count"].to_series()
        try:
            labels = obs.index.astype(str).str.rsplit(" ", n=2, expand=True)
            frame = pd.DataFrame(
                {
                    "pop": labels.get_level_values(0),
                    "year": labels.get_level_values(1).astype(int),
                    "v": obs.values,
                }
            )
            ratios = []
            for _, grp in frame.sort_values("year").groupby("pop"):
                y, v = grp["year"].to_numpy(), grp["v"].to_numpy()
                ok = np.diff(y) == 1
                ratios += list((v[1:] / v[:-1])[ok])
            obs_max = float(max(ratios)) if ratios else None
        except (ValueError, IndexError):
            obs_max = None
    share_v = float(np.mean(lam > lambda_max))
    share_r = float(np.mean(g > lambda_max)) if g.size else float("nan")
    passed = share_v < 0.01
    text = (
        f"{group} vital-rate growth λ: median {np.median(lam):.3f} "
        f"(90 % {np.quantile(lam, 0.05):.3f}–{np.quantile(lam, 0.95):.3f}); "
        f"{100 * share_v:.1f} % of draws above λ_max = {lambda_max}. "
        f"Realised one-year growth above λ_max in {100 * share_r:.1f} % of population-years"
        + (f"; largest observed one-year count ratio {obs_max:.2f}" if obs_max else "")
        + "."
    )
    return GrowthCheck(
        lambda_max=lambda_max,
        lambda_vital_quantiles={f"q{int(q * 100):02d}": float(np.quantile(lam, q)) for q in qs},
        share_vital_above_max=share_v,
        realised_growth_quantiles={
            f"q{int(q * 100):02d}": float(np.quantile(g, q)) if g.size else float("nan") for q in qs
        },
        share_realised_above_max=share_r,
        observed_max_growth=obs_max,
        passed=passed,
        text=text,
    )


def vital_rates_at_bounds(dt: xr.DataTree, *, tol: float = 0.02, mass: float = 0.1) -> pd.DataFrame:
    """Flag vital-rate elements whose posterior piles up at 0 or 1.

    An element is flagged when more than ``mass`` of its posterior lies within ``tol`` of
    a bound (a sign that the data push a rate against its biological limit, e.g. growth
    above the ceiling being read as survival = 1).

    Returns
    -------
    pandas.DataFrame
        ``parameter``, ``share_near_0``, ``share_near_1``, ``flag``.
    """
    post = dt["posterior"].to_dataset()
    rows = []
    for name in _RATE_VARS:
        if name not in post:
            continue
        for label, da in _flat(post[name]):
            v = np.asarray(da.values).ravel()
            if np.all(np.isnan(v)):
                continue
            lo, hi = float(np.mean(v < tol)), float(np.mean(v > 1 - tol))
            rows.append(
                {
                    "parameter": label,
                    "share_near_0": lo,
                    "share_near_1": hi,
                    "flag": lo > mass or hi > mass,
                }
            )
    return pd.DataFrame(rows, columns=["parameter", "share_near_0", "share_near_1", "flag"])


def sex_ratio_prior_driven(fit: Any, *, year: int | None = None) -> dict[str, bool]:
    """Whether the adult sex ratio at the latest census rests on its prior, per population.

    The adult sex ratio (adult males per adult female) is *prior-driven* when its posterior
    SD exceeds :data:`PRIOR_DRIVEN_RATIO` × its prior SD — the rule
    :func:`prior_posterior_comparison` applies to parameters. Without a ``prior`` group every
    population is taken as prior-driven (the precautionary reading).

    Parameters
    ----------
    fit
        A fit ``DataTree`` with ``posterior`` and, ideally, ``prior`` groups holding ``N``.
    year
        Census year (default the last year of ``N``).

    Returns
    -------
    dict
        Population → ``True`` when prior-driven.
    """
    post = fit["posterior"].to_dataset() if hasattr(fit, "children") else fit["posterior"]
    n = post["N"]
    y = int(n["year"].max()) if year is None else int(year)
    pops = [str(p) for p in n["population"].values]

    def ratio(ds: xr.Dataset) -> xr.DataArray:
        a = ds["N"].sel(year=y, age="adult")
        return (a.sel(sex="male") / a.sel(sex="female")).stack(sample=("chain", "draw"))

    post_r = ratio(post)
    prior_ok = hasattr(fit, "children") and "prior" in fit.children and "N" in fit["prior"]
    if not prior_ok:
        return dict.fromkeys(pops, True)
    prior_r = ratio(fit["prior"].to_dataset())
    out = {}
    for p in pops:
        ps = float(post_r.sel(population=p).std())
        qs = float(prior_r.sel(population=p).std())
        out[p] = bool(not np.isfinite(qs) or qs <= 0 or ps > PRIOR_DRIVEN_RATIO * qs)
    return out


def quantile_bands(da: xr.DataArray, *, dim: str = "draw", **labels: str) -> pd.DataFrame:
    """Quantiles of ``da`` over ``dim`` as fan-chart rows (one per remaining coordinate).

    Parameters
    ----------
    da
        Draws, e.g. ``(draw, population, year)``.
    dim
        Dimension (or dimensions stacked beforehand) summarised.
    **labels
        Constant columns added to every row (``series="no export"``).

    Returns
    -------
    pandas.DataFrame
        The remaining coordinates as columns plus ``q05``, ``q25``, ``q50``, ``q75``,
        ``q95``.

    Examples
    --------
    >>> import numpy as np
    >>> da = xr.DataArray(np.arange(10.0)[:, None], dims=("draw", "year"),
    ...                   coords={"year": [2025]})
    >>> quantile_bands(da, series="s")[["year", "q50", "series"]].values.tolist()
    [[2025, 4.5, 's']]
    """
    q = da.quantile(list(QUANTILES), dim=dim, skipna=True)
    frame = q.to_series().unstack("quantile")
    frame.columns = list(_QCOLS)
    frame = frame.reset_index()
    for k, v in labels.items():
        frame[k] = v
    return frame


@dataclass(frozen=True)
class FitSummary:
    """What a report shows about a fit, computed once from its draws by :func:`summarise_fit`.

    Attributes
    ----------
    priors
        :func:`saigapop.model.priors.priors_table` of the default priors (parameter,
        distribution, q05/q50/q95, rationale, citation).
    prior_posterior
        :func:`prior_posterior_comparison`, or ``None`` when the fit carries no prior draws.
    prior_driven_ratio
        The SD ratio above which a parameter is prior-driven (:data:`PRIOR_DRIVEN_RATIO`).
    latest_year
        The last census year of ``N``.
    abundance_bands
        :func:`quantile_bands` of true census abundance (yearlings and adults, both sexes) by
        population and year, ``series="posterior"``.
    abundance_latest
        One row per population, sex and census age class at ``latest_year``: ``q05``, ``q50``,
        ``q95`` of true abundance over the draws (unrounded).
    total_median
        Population → posterior median of true census abundance at ``latest_year``.
    sex_ratio_prior_driven
        Population → whether the adult sex ratio at ``latest_year`` is prior-driven
        (:func:`sex_ratio_prior_driven`).
    """

    priors: pd.DataFrame
    prior_posterior: pd.DataFrame | None
    latest_year: int
    abundance_bands: pd.DataFrame
    abundance_latest: pd.DataFrame
    total_median: Mapping[str, float]
    sex_ratio_prior_driven: Mapping[str, bool]
    prior_driven_ratio: float = PRIOR_DRIVEN_RATIO


def summarise_fit(fit: Any) -> FitSummary:
    """Summarise a fit for the report: priors, prior against posterior, abundance quantiles.

    Parameters
    ----------
    fit
        A fit ``DataTree`` (or mapping) with a ``posterior`` group holding ``N``; ``prior``
        draws and the ``parameters`` attribute enable the prior-against-posterior table.

    Returns
    -------
    FitSummary

    Examples
    --------
    >>> from saigapop.testing import make_synthetic_posterior
    >>> s = summarise_fit(make_synthetic_posterior(chains=1, draws=20))
    >>> s.latest_year, sorted(s.total_median)
    (2025, ['Betpakdala', 'Ural', 'Ustyurt'])
    >>> list(s.abundance_latest.columns)
    ['population', 'sex', 'age', 'q05', 'q50', 'q95']
    """
    post = fit["posterior"].to_dataset() if hasattr(fit, "children") else fit["posterior"]
    n = post["N"].sel(age=["yearling", "adult"]).stack(sample=("chain", "draw"))
    total = n.sum(("sex", "age")).drop_vars(["chain", "draw", "sample"], errors="ignore")
    y = int(n["year"].max())
    q = n.sel(year=y).quantile([0.05, 0.5, 0.95], dim="sample")
    latest = (
        q.assign_coords(quantile=["q05", "q50", "q95"])
        .to_series()
        .unstack("quantile")
        .reset_index()[["population", "sex", "age", "q05", "q50", "q95"]]
    )
    latest.columns.name = None
    pops = [str(p) for p in n["population"].values]
    comp = None
    if hasattr(fit, "children") and "prior" in fit.children and "parameters" in fit.attrs:
        try:
            comp = prior_posterior_comparison(fit)
        except (KeyError, ValueError):
            comp = None
    return FitSummary(
        priors=priors_table(),
        prior_posterior=comp,
        latest_year=y,
        abundance_bands=quantile_bands(total.rename(sample="draw"), series="posterior"),
        abundance_latest=latest,
        total_median=MappingProxyType(
            {p: float(total.sel(population=p, year=y).median()) for p in pops}
        ),
        sex_ratio_prior_driven=MappingProxyType(sex_ratio_prior_driven(fit, year=y)),
    )
