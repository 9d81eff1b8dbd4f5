r"""Prior sensitivity: power-scaling diagnostics and alternative-prior refits (tornado chart).

**Power scaling** (Kallioinen et al. 2024, :func:`arviz_stats.psense`): raise the prior (or
the likelihood) to a power :math:`\alpha` near 1 and measure, by Pareto-smoothed importance
sampling without refitting, how much each marginal posterior moves (the derivative of the
cumulative Jensen–Shannon distance at :math:`\alpha = 1`). It needs ``log_prior`` and
``log_likelihood`` groups in the fit. Reading, with the conventional threshold 0.05:

* prior sensitivity ≥ 0.05 and likelihood sensitivity < 0.05 — *the prior decides* (e.g.
  the adult sex ratio without composition data): say so in the report;
* both ≥ 0.05 — *prior-data conflict*: the prior and the data pull apart;
* otherwise the data dominate.

**Alternative priors**: refit under stated alternatives (observation CV, male survival,
mating collapse point, catastrophe rate) and record the effect on a quantity — the quota once
it is computed from a fit — as a tidy table for :func:`plot_tornado`.

References
----------
Kallioinen N., Paananen T., Bürkner P.-C., Vehtari A. (2024) Detecting and diagnosing prior
and likelihood sensitivity with power-scaling. *Statistics and Computing* 34:57.

Examples
--------
>>> t = pd.DataFrame({"parameter": ["obs_cv", "obs_cv", "harem_size", "harem_size"],
...                   "alternative": ["low", "high", "low", "high"],
...                   "population": "Ural", "value": [900.0, 1200.0, 950.0, 1000.0],
...                   "reference": 1000.0})
>>> tornado_table(t)[["parameter", "low", "high", "swing"]].values.tolist()
[['obs_cv', 900.0, 1200.0, 300.0], ['harem_size', 950.0, 1000.0, 50.0]]
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import xarray as xr
from arviz_stats import psense
from matplotlib.figure import Figure

from saigapop.locale import N_
from saigapop.locale.messages import Message
from saigapop.model.priors import DEFAULT_PRIORS, with_prior
from saigapop.validation._common import element_labels, figure
from saigapop.validation.checklist import Check

__all__ = [
    "PSENSE_THRESHOLD",
    "Alternative",
    "SensitivityResult",
    "default_alternatives",
    "plot_sensitivity",
    "plot_tornado",
    "prior_sensitivity",
    "run_alternative_priors",
    "tornado_table",
]

#: Conventional threshold of power-scaling sensitivity (Kallioinen et al. 2024).
PSENSE_THRESHOLD = 0.05


def _diagnosis(prior: float, likelihood: float, threshold: float) -> str:
    if prior >= threshold and likelihood >= threshold:
        return "prior-data conflict"
    if prior >= threshold:
        return "prior decides (weak likelihood)"
    return "data dominate"


@dataclass(frozen=True)
class SensitivityResult:
    """Power-scaling sensitivity per parameter element.

    Attributes
    ----------
    table
        Columns ``parameter``, ``element``, ``prior``, ``likelihood``, ``diagnosis``, sorted
        by prior sensitivity (largest first).
    threshold
        The threshold used for the diagnosis (0.05).
    """

    table: pd.DataFrame
    threshold: float = PSENSE_THRESHOLD

    def most_sensitive(self, n: int = 5) -> pd.DataFrame:
        """Return the ``n`` parameter elements with the largest prior sensitivity."""
        return self.table.head(n).reset_index(drop=True)

    def prior_driven(self) -> list[str]:
        """Parameters where the prior decides (prior ≥ threshold, likelihood < threshold)."""
        t = self.table
        return sorted(set(t.loc[t["diagnosis"] == "prior decides (weak likelihood)", "parameter"]))

    def check(self) -> Check:
        """Report (not gate) prior sensitivity: prior-driven parameters and possible conflicts.

        The check always passes: a prior-driven parameter is to be *labelled* in the report
        (DESIGN §1), not refused, and the likelihood sensitivity of parameters outside the
        likelihood is Monte Carlo noise of the same size as the threshold (on the bundled data,
        ``dzhut_rate`` — prior only — showed 0.087 at 2,000 draws), so "conflict" diagnoses are
        leads to inspect, not failures.
        """
        t = self.table
        conflict = sorted(set(t.loc[t["diagnosis"] == "prior-data conflict", "parameter"]))
        top = tuple(
            Message(
                "{parameter} ({psense:.2f})",
                {
                    "parameter": f"{r.parameter}{'[' + r.element + ']' if r.element else ''}",
                    "psense": float(r.prior),
                },
            )
            for r in self.most_sensitive(3).itertuples()
        )
        text = Message(
            N_(
                "most prior-sensitive: {top}; prior decides for {driven} parameter(s); possible "
                "prior-data conflict for {conflict}"
            ),
            {"top": top, "driven": len(self.prior_driven()), "conflict": len(conflict)},
        )
        value = float(t["prior"].max()) if len(t) else float("nan")
        return Check(
            N_("Prior sensitivity"),
            True,
            value,
            Message(N_("reported (psense {threshold})"), {"threshold": self.threshold}),
            text,
            gating=False,
        )


def prior_sensitivity(
    fit: xr.DataTree,
    *,
    var_names: Sequence[str] | None = None,
    threshold: float = PSENSE_THRESHOLD,
    alphas: tuple[float, float] = (0.99, 1.01),
) -> SensitivityResult:
    """Power-scaling prior and likelihood sensitivity of every posterior parameter.

    Parameters
    ----------
    fit
        DataTree with ``posterior``, ``log_prior`` and ``log_likelihood`` groups (see
        :func:`saigapop.validation.fitters.add_log_densities`).
    var_names
        Posterior variables (default: those with a term in ``log_prior``, i.e. the model's
        free parameters, else all). Derived quantities move with their parameters.
    threshold
        Diagnosis threshold (default 0.05).
    alphas
        Power-scaling pair passed to :func:`arviz_stats.psense`.

    Returns
    -------
    SensitivityResult

    Notes
    -----
    The sensitivities are Monte Carlo estimates: with a few hundred draws, parameters that do
    not enter the likelihood at all can show likelihood sensitivities near 0.1. Use the full
    default sampler settings (4 × 1000 draws) before reading a diagnosis.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from scipy import stats
    >>> rng = np.random.default_rng(0)
    >>> y = rng.normal(1.0, 1.0, 10)                          # strong N(0, 0.1) prior on mu
    >>> prec = 1 / 0.1**2 + 10
    >>> mu = rng.normal(y.sum() / prec, prec**-0.5, (4, 1000))
    >>> fit = xr.DataTree.from_dict({
    ...     "posterior": xr.Dataset({"mu": (("chain", "draw"), mu)}),
    ...     "log_prior": xr.Dataset({"mu": (("chain", "draw"), stats.norm.logpdf(mu, 0, 0.1))}),
    ...     "log_likelihood": xr.Dataset(
    ...         {"y": (("chain", "draw", "obs"), stats.norm.logpdf(y, mu[..., None], 1.0))})})
    >>> prior_sensitivity(fit).table.loc[0, "diagnosis"]
    'prior-data conflict'
    """
    if var_names is None and "log_prior" in fit.children:
        post = fit["posterior"].to_dataset()
        names = [v for v in fit["log_prior"].data_vars if v in post.data_vars] or None
    else:
        names = list(var_names) if var_names is not None else None
    with warnings.catch_warnings():  # constant variables give 0/0
        warnings.simplefilter("ignore", RuntimeWarning)
        prior = psense(fit, var_names=names, group="prior", alphas=alphas)
        lik = psense(fit, var_names=names, group="likelihood", alphas=alphas)
    rows = []
    for name, da in prior.data_vars.items():
        lv = lik[name].broadcast_like(da)
        for i, label in enumerate(element_labels(da)):
            p, q = float(da.values.ravel()[i]), float(lv.values.ravel()[i])
            if not (np.isfinite(p) and np.isfinite(q)):
                continue
            rows.append(
                {
                    "parameter": name,
                    "element": label,
                    "prior": p,
                    "likelihood": q,
                    "diagnosis": _diagnosis(p, q, threshold),
                }
            )
    table = pd.DataFrame(rows, columns=["parameter", "element", "prior", "likelihood", "diagnosis"])
    table = table.sort_values("prior", ascending=False, kind="stable").reset_index(drop=True)
    return SensitivityResult(table, threshold)


class Alternative(NamedTuple):
    """An alternative prior set for a refit."""

    parameter: str
    """What is varied (a row of the tornado chart), e.g. ``"obs_cv"``."""
    label: str
    """Which alternative, e.g. ``"low"`` / ``"high"``."""
    priors: Mapping[str, Any]
    """Priors to pass to the fitter (a partial mapping is completed from the defaults)."""


def default_alternatives() -> list[Alternative]:
    """Low/high alternatives for the issue's four priors, from the model's defaults.

    Observation CV centred at 0.1 and 0.35 (default 0.2); adult-male survival centred at
    0.45 and 0.75 (default 0.6); the mating function's collapse point (male share of breeders
    at half conception) centred at 0.5 % and 2 % (default 0.8 %; the harem size of the former
    exponential default no longer moves the quota); pasteurellosis rate with mean 2 % and
    10 % (default 5 %).

    Returns
    -------
    list of Alternative
    """

    def logit(p: float) -> float:
        return float(np.log(p / (1 - p)))

    spec = {
        "obs_cv": (
            "params",
            {"low": {"mu": np.log(0.1), "sigma": 0.3}, "high": {"mu": np.log(0.35), "sigma": 0.3}},
        ),
        "survival_adult_male": (
            "params",
            {"low": {"mu": logit(0.45), "sigma": 0.5}, "high": {"mu": logit(0.75), "sigma": 0.5}},
        ),
        "mating_half_share": (
            "params",
            {
                "low": {"mu": logit(0.005), "sigma": 0.3},
                "high": {"mu": logit(0.02), "sigma": 0.3},
            },
        ),
        "pasteurellosis_rate": (
            "params",
            {"low": {"alpha": 1.0, "beta": 49.0}, "high": {"alpha": 1.0, "beta": 9.0}},
        ),
    }
    out = []
    for name, (_field, variants) in spec.items():
        for label, params in variants.items():
            priors = with_prior(
                DEFAULT_PRIORS, name, params={k: float(v) for k, v in params.items()}
            )
            out.append(Alternative(name, label, {name: priors[name]}))
    return out


def _as_series(value: Any) -> pd.Series:
    if isinstance(value, pd.Series):
        return value.astype(float)
    if isinstance(value, xr.DataArray):
        return value.to_series().astype(float) if value.ndim else pd.Series({"": float(value)})
    if isinstance(value, Mapping):
        return pd.Series({str(k): float(v) for k, v in value.items()})
    return pd.Series({"": float(value)})


def run_alternative_priors(
    data: Any,
    fitter: Callable[[Any, Mapping[str, Any] | None], xr.DataTree],
    quantity: Callable[[xr.DataTree], Any],
    *,
    alternatives: Sequence[Alternative] | None = None,
    map_fn: Callable[[Callable[[Any], Any], Iterable[Any]], Iterable[Any]] = map,
) -> pd.DataFrame:
    """Refit under each alternative prior and record ``quantity`` (e.g. the quota).

    Parameters
    ----------
    data
        Data passed to the fitter.
    fitter
        ``fitter(data, priors) -> DataTree``; ``priors=None`` is the reference fit.
    quantity
        From a fit to a number, or to a Series/DataArray/mapping over populations.
    alternatives
        Default :func:`default_alternatives`.
    map_fn
        ``map``-like callable over the reference and the alternatives.

    Returns
    -------
    pandas.DataFrame
        Tidy: ``parameter``, ``alternative``, ``population``, ``value``, ``reference``;
        with a ``quantity`` that keeps a convergence ``log``
        (:class:`~saigapop.validation.QuotaFunction`), also
        ``converged``, ``divergences`` and ``reference_converged``,
        ``reference_divergences`` of each refit.

    Examples
    --------
    >>> alts = [Alternative("obs_cv", "low", {"k": 0.5}), Alternative("obs_cv", "high", {"k": 2})]
    >>> fit = lambda data, priors: (priors or {"k": 1.0})["k"]
    >>> t = run_alternative_priors(None, fit, lambda f: {"Ural": 100 * f}, alternatives=alts)
    >>> t["value"].tolist(), t["reference"].tolist()
    ([50.0, 200.0], [100.0, 100.0])
    """
    alts = list(default_alternatives() if alternatives is None else alternatives)
    jobs: list[Alternative | None] = [None, *alts]

    def one(alt: Alternative | None) -> tuple[pd.Series, dict[str, Any]]:
        s = _as_series(quantity(fitter(data, None if alt is None else alt.priors)))
        log = getattr(quantity, "log", None)  # e.g. QuotaFunction's convergence verdict
        keep = ("converged", "divergences")
        return s, {k: log[-1][k] for k in keep if k in log[-1]} if log else {}

    (ref, ref_log), *values = list(map_fn(one, jobs))
    columns = ["parameter", "alternative", "population", "value", "reference"]
    rows = []
    for alt, (s, log) in zip(alts, values, strict=True):
        for pop, v in s.items():
            rows.append(
                {
                    "parameter": alt.parameter,
                    "alternative": alt.label,
                    "population": str(pop),
                    "value": float(v),
                    "reference": float(ref.get(pop, np.nan)),
                    **log,
                    **{f"reference_{k}": v for k, v in ref_log.items()},
                }
            )
    extra = [c for c in (rows[0] if rows else {}) if c not in columns]
    return pd.DataFrame(rows, columns=columns + extra)


def tornado_table(table: pd.DataFrame) -> pd.DataFrame:
    """Per parameter (and population): reference, lowest and highest value, swing.

    Parameters
    ----------
    table
        Tidy table as returned by :func:`run_alternative_priors`.

    Returns
    -------
    pandas.DataFrame
        Columns ``population``, ``parameter``, ``reference``, ``low``, ``high``, ``swing``,
        sorted by swing within population (largest first) — the tornado order.
    """
    g = table.groupby(["population", "parameter"], sort=False)
    out = g.agg(reference=("reference", "first"), low=("value", "min"), high=("value", "max"))
    out["low"] = np.minimum(out["low"], out["reference"])
    out["high"] = np.maximum(out["high"], out["reference"])
    out["swing"] = out["high"] - out["low"]
    out = out.reset_index().sort_values(
        ["population", "swing"], ascending=[True, False], kind="stable"
    )
    return out.reset_index(drop=True)


def plot_tornado(
    *, table: pd.DataFrame, population: str | None = None, label: str = "quota"
) -> Figure:
    """Tornado chart: bars from the lowest to the highest value per varied prior.

    Parameters
    ----------
    table
        Tidy table (:func:`run_alternative_priors`) or its :func:`tornado_table`.
    population
        Population to show (default the first).
    label
        Axis label of the quantity.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> t = pd.DataFrame({"parameter": ["obs_cv", "obs_cv"], "alternative": ["low", "high"],
    ...                   "population": "Ural", "value": [900.0, 1200.0], "reference": 1000.0})
    >>> fig = plot_tornado(table=t)
    >>> fig.axes[0].get_title()
    'Ural'
    """
    t = table if "swing" in table else tornado_table(table)
    pop = population or str(t["population"].iloc[0])
    t = t[t["population"] == pop].iloc[::-1]
    fig, axes = figure(1, 1, width=5.5, height=0.45 * len(t) + 1.2)
    ax = axes[0, 0]
    y = np.arange(len(t))
    ref = float(t["reference"].iloc[0]) if len(t) else 0.0
    ax.barh(y, t["high"] - ref, left=ref, color="#0072B2", label="above reference")
    ax.barh(y, t["low"] - ref, left=ref, color="#E69F00", label="below reference")
    ax.axvline(ref, color="k", lw=0.8)
    ax.set_yticks(y, t["parameter"])
    ax.set_xlabel(label)
    ax.set_title(pop)
    return fig


def plot_sensitivity(*, result: SensitivityResult, n: int = 15) -> Figure:
    """Prior against likelihood sensitivity of the ``n`` most prior-sensitive parameters.

    Examples
    --------
    >>> t = pd.DataFrame({"parameter": ["a", "b"], "element": ["", ""], "prior": [0.2, 0.01],
    ...                   "likelihood": [0.01, 0.1], "diagnosis": ["", ""]})
    >>> fig = plot_sensitivity(result=SensitivityResult(t))
    >>> fig.axes[0].get_xlabel()
    'power-scaling sensitivity'
    """
    t = result.most_sensitive(n).iloc[::-1]
    labels = [
        p + (f" [{e}]" if e else "") for p, e in zip(t["parameter"], t["element"], strict=True)
    ]
    fig, axes = figure(1, 1, width=6.0, height=0.28 * len(t) + 1.2)
    ax = axes[0, 0]
    y = np.arange(len(t))
    ax.plot(t["prior"], y, "o", color="#D55E00", label="prior")
    ax.plot(t["likelihood"], y, "s", color="#0072B2", label="likelihood")
    ax.axvline(result.threshold, color="0.4", lw=0.8, ls="--")
    ax.set_yticks(y, labels)
    ax.set_xlabel("power-scaling sensitivity")
    ax.legend(fontsize=7)
    return fig
