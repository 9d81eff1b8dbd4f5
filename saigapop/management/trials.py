"""Reference and robustness trials of a quota (DESIGN §5), in the style of the IWC RMP.

The operating-model grid is **data**: :data:`DEFAULT_TRIALS` is a tuple of frozen
:class:`Trial` objects, each with its name, its set (``reference`` or ``robustness``), what
differs from the fitted operating model, why, and how it is **conditioned on the data**:

* ``as fitted`` — the posterior as it is (the base trial);
* ``reweighted`` — the posterior draws are importance-weighted by the likelihood ratio of
  the census counts under the alternative assumption and under the fitted one, using each
  draw's true abundance (``log w_i = Σ log L_alt(c | N_i) − Σ log L_fit(c | N_i, CV_i,
  q_i)``), smoothed by Pareto-smoothed importance sampling (PSIS). The Pareto k̂ and the
  effective sample size of the weights are reported; k̂ > 0.7 means the reweighted
  posterior is unreliable and a refit is needed (the trial is then flagged, not dropped);
* ``projection only`` — a stress applied to the projection whose data-conditioning would
  need a refit with the changed model (stated per trial in ``conditioning``).

:func:`run_trials` applies one quota (by default the one :func:`solve_quota` recommends on
the reference operating model) in every trial, evaluates every criterion against that
trial's own paired no-export baseline (common random numbers within a trial, weighted
where the trial is reweighted), plus :class:`CollapseRisk`, and returns an
``xarray.Dataset`` (:func:`trial_table` gives the pandas view). **Pass rule**: a reference
trial passes when every criterion passes; a robustness trial passes when the quota causes no
collapse (:class:`CollapseRisk`: P(export-caused collapse) ≤ 5 %). Failures are shown, never
dropped. Trials run through :func:`saigapop.runner.run_grid` (serially by default; pass
``runner={"serial": False}`` for a Dask cluster).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
import xarray as xr
from numpy.typing import NDArray

from saigapop.exceptions import ConfigError
from saigapop.management._contract import validate_posterior
from saigapop.management._mc import mcse_mean
from saigapop.management.criteria import Criterion, default_criteria
from saigapop.management.harvest import ConstantHarvest, HarvestRule
from saigapop.management.operating_model import OperatingModel
from saigapop.management.quota import DEFAULT_P_STAR, QuotaResult

__all__ = [
    "DEFAULT_TRIALS",
    "CollapseRisk",
    "Reweight",
    "Trial",
    "build_trial_model",
    "observed_counts",
    "psis",
    "run_trials",
    "solve_across_trials",
    "synthetic_counts",
    "trial_table",
    "trial_weights",
]

Array = NDArray[np.float64]
#: one-sided z of the upper Monte Carlo bound (upper end of a 90 % interval, DESIGN §3)
Z_UPPER: float = 1.6448536269514722
#: Pareto k̂ above which importance weights are unreliable (Vehtari et al. 2024)
KHAT_MAX: float = 0.7


# ---------------------------------------------------------------------- conditioning
@dataclass(frozen=True)
class Reweight:
    """An alternative observation model used to reweight posterior draws.

    Parameters
    ----------
    obs_cv
        Observation CV under the alternative (``None``: each draw's fitted CV).
    catchability
        Catchability under the alternative (``None``: each draw's fitted catchability).
    years
        Census years whose likelihood terms change (``None``: all years with counts).
    note
        One line for tables.

    Examples
    --------
    >>> Reweight(obs_cv=0.1).obs_cv
    0.1
    """

    obs_cv: float | None = None
    catchability: float | None = None
    years: tuple[int, ...] | None = None
    note: str = ""


def _count_loglik(log_mu: Array, log_c: Array, sigma2: Array) -> Array:
    """Lognormal log density of counts (constant −log c dropped: it cancels in ratios)."""
    return -0.5 * np.log(2 * np.pi * sigma2) - (log_c - log_mu) ** 2 / (2 * sigma2)


def _gpdfit(x: Array) -> tuple[float, float]:
    """Generalised Pareto fit of sorted exceedances (Zhang & Stephens 2009, as in loo/ArviZ)."""
    n = len(x)
    prior_bs, prior_k = 3.0, 10.0
    m_est = 30 + int(n**0.5)
    b = 1.0 - np.sqrt(m_est / (np.arange(1, m_est + 1, dtype=float) - 0.5))
    b /= prior_bs * x[int(n / 4 + 0.5) - 1]
    b += 1.0 / x[-1]
    k = np.log1p(-b[:, None] * x).mean(axis=1)
    len_scale = n * (np.log(-(b / k)) - k - 1.0)
    weights = 1.0 / np.exp(len_scale - len_scale[:, None]).sum(axis=1)
    keep = weights >= 10 * np.finfo(float).eps
    weights, b = weights[keep], b[keep]
    weights /= weights.sum()
    b_post = float(np.sum(b * weights))
    k_post = float(np.log1p(-b_post * x).mean())
    sigma = -k_post / b_post
    k_post = (n * k_post + prior_k * 0.5) / (n + prior_k)
    return k_post, sigma


def _gpinv(p: Array, k: float, sigma: float) -> Array:
    if abs(k) < 1e-12:
        return -sigma * np.log1p(-p)
    return sigma * np.expm1(-k * np.log1p(-p)) / k


def psis(log_weights: Array) -> tuple[Array, float, float]:
    """Pareto-smoothed importance sampling (Vehtari et al. 2024).

    Parameters
    ----------
    log_weights
        Raw log importance ratios, ``(draw,)``.

    Returns
    -------
    weights, khat, ess
        Normalised smoothed weights, the Pareto shape estimate of the upper tail and the
        effective sample size ``1 / Σ w²``. Constant log weights give uniform weights,
        ``khat = -inf`` and ``ess = n``.

    Examples
    --------
    >>> w, k, ess = psis(np.zeros(100))
    >>> round(float(w.sum()), 12), ess
    (1.0, 100.0)
    >>> rng = np.random.default_rng(0)
    >>> psis(rng.standard_t(1.5, size=4000))[1] > 0.5  # very heavy tail: unreliable
    True
    """
    lw = np.asarray(log_weights, dtype=np.float64).copy()
    n = lw.size
    if n == 0 or np.ptp(lw) == 0:
        return np.full(n, 1.0 / max(n, 1)), -np.inf, float(n)
    lw -= lw.max()
    tail = int(np.ceil(min(0.2 * n, 3 * np.sqrt(n))))
    khat = -np.inf
    if tail >= 5:
        order = np.argsort(lw)
        cutoff = lw[order[-tail - 1]]
        idx = order[-tail:]
        exceed = np.exp(lw[idx]) - np.exp(cutoff)
        if np.all(exceed > 0) and np.ptp(exceed) > 0:
            khat, sigma = _gpdfit(exceed)
            if np.isfinite(khat):
                p = (np.arange(tail) + 0.5) / tail
                smoothed = np.log(_gpinv(p, khat, sigma) + np.exp(cutoff))
                lw[idx] = np.minimum(smoothed, 0.0)
    w = np.exp(lw - lw.max())
    w /= w.sum()
    return w, float(khat), float(1.0 / np.sum(w**2))


def synthetic_counts(
    posterior: xr.DataTree | xr.Dataset, *, seed: int = 0, cv: float | None = None
) -> xr.DataArray:
    """Census counts consistent with a (synthetic) posterior, for tests and docs.

    ``count = median catchability × median true total × exp(σ z)``, σ² = ln(1 + CV²), with
    CV the posterior median ``obs_cv`` unless given. For a fitted posterior use the real
    counts instead (``load_kazakhstan().to_xarray()["count"]``).

    Returns
    -------
    xarray.DataArray
        ``count (population, year)`` over the years of ``N``.

    Examples
    --------
    >>> from saigapop.management.synthetic import synthetic_posterior
    >>> c = synthetic_counts(synthetic_posterior({"A": 1e5}, chains=1, draws=20))
    >>> c.dims, c.sizes["year"]
    (('population', 'year'), 3)
    """
    ds = validate_posterior(posterior)
    total = ds["N"].sum(("sex", "age")).median(("chain", "draw"))
    q = ds["catchability"].median(("chain", "draw"))
    cv_ = float(ds["obs_cv"].median()) if cv is None else float(cv)
    rng = np.random.default_rng(seed)
    sigma = np.sqrt(np.log1p(cv_**2))
    noise = np.exp(sigma * rng.standard_normal(total.shape))
    out = (q * total * noise).transpose("population", "year")
    out.name = "count"
    return out


def observed_counts(posterior: xr.DataTree | xr.Dataset) -> xr.DataArray | None:
    """Return the census counts stored with a fitted posterior, if any.

    Looks for ``count`` (or ``census_count``) with dims ``(population, year)`` in the
    DataTree's ``observed_data`` group, or — as :mod:`saigapop.model` stores them — a flat
    ``count`` labelled ``"<population> <year> count"``, which is put back on
    ``(population, year)`` (NaN where there was no count); ``None`` when there is none.

    Examples
    --------
    >>> from saigapop.management.synthetic import synthetic_posterior
    >>> observed_counts(synthetic_posterior({"A": 1e5}, chains=1, draws=2)) is None
    True
    """
    if not isinstance(posterior, xr.DataTree) or "observed_data" not in posterior.children:
        return None
    obs = posterior["observed_data"].to_dataset()
    for name in ("count", "census_count"):
        if name in obs and {"population", "year"} <= set(obs[name].dims):
            return obs[name].transpose("population", "year")
    if "count" in obs and obs["count"].ndim == 1:
        # the PyMC model stores counts flat, labelled "<population> <year> <kind>"
        dim = obs["count"].dims[0]
        cells: dict[tuple[str, int], float] = {}
        for label, value in zip(obs[dim].values, obs["count"].values, strict=True):
            parts = str(label).rsplit(" ", 2)
            if len(parts) != 3 or parts[2] != "count" or not parts[1].isdigit():
                raise ConfigError(
                    f"observed count label {label!r} is not '<population> <year> count'"
                )
            cells[(parts[0], int(parts[1]))] = float(value)
        pops = list(dict.fromkeys(p for p, _ in cells))
        years = sorted({y for _, y in cells})
        out = np.full((len(pops), len(years)), np.nan)
        for (p, y), value in cells.items():
            out[pops.index(p), years.index(y)] = value
        return xr.DataArray(
            out, dims=("population", "year"), coords={"population": pops, "year": years}
        )
    return None


def trial_weights(
    posterior: xr.DataTree | xr.Dataset,
    counts: xr.DataArray,
    reweight: Reweight,
    *,
    n_draws: int | None = None,
    populations: Sequence[str] | None = None,
) -> tuple[Array, float, float]:
    """PSIS weights of the posterior draws under an alternative observation model.

    The log ratio per draw is ``Σ_{population, year} [log L_alt − log L_fit]`` over the
    census counts: ``L_fit`` uses the draw's true total ``N``, catchability and CV, and
    ``L_alt`` the same ``N`` with the alternative catchability/CV (only in ``years``).
    Priors on the remaining parameters are unchanged, and the prior on the replaced
    observation parameters is dropped — an approximation that the Pareto k̂ checks.

    Parameters
    ----------
    posterior
        Fitted posterior (``N``, ``obs_cv``, ``catchability``).
    counts
        Census counts ``(population, year)`` (NaN where missing); years outside ``N`` are
        ignored.
    reweight
        The alternative.
    n_draws
        Thin the draws as :meth:`OperatingModel.from_posterior` does.
    populations
        Use only these populations' counts (default all).

    Returns
    -------
    weights, khat, ess

    Examples
    --------
    >>> from saigapop.management.synthetic import synthetic_posterior
    >>> post = synthetic_posterior({"A": 1e5}, chains=1, draws=200)
    >>> w, k, ess = trial_weights(post, synthetic_counts(post), Reweight(obs_cv=0.3))
    >>> round(float(w.sum()), 6), bool(0 < ess <= 200)
    (1.0, True)
    """
    ds = validate_posterior(posterior)
    if populations is not None:
        ds = ds.sel(population=list(populations))
    stacked = ds.stack(sample=("chain", "draw"))
    if n_draws is not None:
        idx = np.unique(np.linspace(0, stacked.sizes["sample"] - 1, n_draws).round().astype(int))
        stacked = stacked.isel(sample=idx)
    years = [int(y) for y in stacked["N"]["year"].values if int(y) in counts["year"].values]
    pops = [str(p) for p in stacked["population"].values]
    if not years:
        raise ConfigError("the counts share no year with the posterior's N")
    c = counts.reindex(population=pops).sel(year=years).transpose("population", "year").values
    total = stacked["N"].sum(("sex", "age")).sel(year=years)
    n = total.transpose("sample", "population", "year").values  # (S, P, Y)
    q_fit = stacked["catchability"].transpose("sample", "population").values[..., None]
    cv_fit = stacked["obs_cv"].values.reshape(-1, 1, 1)
    q_alt = q_fit if reweight.catchability is None else np.full_like(q_fit, reweight.catchability)
    cv_alt = cv_fit if reweight.obs_cv is None else np.full_like(cv_fit, reweight.obs_cv)
    change = np.ones(len(years), bool)
    if reweight.years is not None:
        change = np.isin(years, reweight.years)
    seen = np.isfinite(c) & (c > 0) & change[None, :]
    log_c = np.log(np.where(seen, c, 1.0))[None]
    ll_fit = _count_loglik(np.log(q_fit * n), log_c, np.log1p(cv_fit**2))
    ll_alt = _count_loglik(np.log(q_alt * n), log_c, np.log1p(cv_alt**2))
    log_w = np.where(seen[None], ll_alt - ll_fit, 0.0).sum(axis=(1, 2))
    return psis(log_w)


# ---------------------------------------------------------------------- collapse
@dataclass(frozen=True)
class CollapseRisk(Criterion):
    """Export-caused collapse: abundance < ``fraction`` × no-export, or conception failure.

    A draw *collapses because of the export* if, at any census after the start year, true
    abundance with export is below ``fraction`` (10 %) of the paired no-export abundance,
    or at any rut from the first quota year conception with export is below
    ``conception_fraction`` (50 %) of the no-export conception (mating collapse, as in
    Kalmykia 2001–2002). The absolute ``risk``/``baseline_risk`` are P(abundance < 10 % of
    the start-year abundance or conception < 50 %) with and without export. Limit 5 %.

    Examples
    --------
    >>> CollapseRisk().limit
    0.05
    """

    fraction: float = 0.1
    conception_fraction: float = 0.5
    max_risk: float = 0.05
    name: ClassVar[str] = "collapse"

    @property
    def limit(self) -> float:
        """Allowed probability of an export-caused collapse."""
        return self.max_risk

    def describe(self) -> str:
        """One line."""
        return (
            f"no collapse: P(abundance < {100 * self.fraction:g} % of no-export, or conception "
            f"< {100 * self.conception_fraction:g} % of no-export) ≤ {100 * self.max_risk:g} %"
        )

    def indicators(self, projection, baseline):
        """Relative abundance or conception collapse at any census / rut."""
        y0 = int(projection.attrs.get("start_year", projection["year"].values[0]))
        yrs = projection["year"].values[projection["year"].values > y0]
        dims = ("year", "candidate", "draw", "population")
        tot = projection["total"].sel(year=yrs).transpose(*dims).values
        btot = baseline["total"].sel(year=yrs).transpose("year", "draw", "population").values
        start = baseline["total"].sel(year=y0).transpose("draw", "population").values
        q = projection.attrs.get("quota_years") or [y0 + 1]
        ruts = [y for y in projection["year"].values if min(q) <= y < projection["year"][-1]]
        c = projection["conception"].sel(year=ruts).transpose(*dims).values
        cb = baseline["conception"].sel(year=ruts).transpose("year", "draw", "population").values
        with np.errstate(invalid="ignore", divide="ignore"):
            rel = (tot < self.fraction * btot[:, None]).any(axis=0)
            conc = (c < self.conception_fraction * cb[:, None]).any(axis=0)
        exp = (tot < self.fraction * start[None, None]).any(axis=0) | (c < 0.5).any(axis=0)
        base = (btot < self.fraction * start[None]).any(axis=0) | (cb < 0.5).any(axis=0)
        return exp, base, rel | conc


# ---------------------------------------------------------------------- trials
TrialSet = Literal["reference", "robustness"]


@dataclass(frozen=True)
class Trial:
    """One operating model of the trial grid (declared as data).

    Parameters
    ----------
    name
        Short identifier (coordinate of the ``trial`` dim).
    kind
        The set: ``"reference"`` (must pass every criterion) or ``"robustness"`` (must not
        collapse a population).
    differs
        What differs from the fitted operating model (one line).
    why
        Why this alternative is plausible (one line, with its source).
    options
        Keyword overrides of :meth:`OperatingModel.from_posterior`.
    conditioning
        How the trial is conditioned on the data: ``"as fitted"``, ``"reweighted: …"`` or
        ``"projection only: …"`` (saying what refit it would need).
    reweight
        The alternative observation model whose likelihood ratio weights the draws.
    stress
        Post-construction changes applied by :func:`build_trial_model`:
        ``poaching_after_trade`` (multiplier from the first quota year on),
        ``export_multiplier`` (implementation overshoot), ``mass_mortality`` (fraction
        killed in winter of the first quota year, every population), ``emigration``
        (annual fraction leaving, all classes), ``density_at_current`` (True: density
        dependence that holds the population at replacement at its current abundance).

    Examples
    --------
    >>> t = Trial("double_catastrophes", "robustness", "catastrophe rate × 2", "test",
    ...           {"catastrophe_rate_multiplier": 2.0})
    >>> t.kind, t.description
    ('robustness', 'catastrophe rate × 2')
    """

    name: str
    kind: TrialSet = "robustness"
    differs: str = ""
    why: str = ""
    options: Mapping[str, Any] = field(default_factory=dict)
    conditioning: str = "projection only"
    reweight: Reweight | None = None
    stress: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in ("reference", "robustness"):
            raise ConfigError(f"trial kind must be 'reference' or 'robustness', got {self.kind!r}")

    @property
    def description(self) -> str:
        """What differs (kept for older callers)."""
        return self.differs


_REFIT = "a refit with this observation model is needed if k̂ > 0.7"

#: The trial grid (reference set, then robustness set). See ``docs/management.md``.
DEFAULT_TRIALS: tuple[Trial, ...] = (
    Trial(
        "base",
        "reference",
        "the operating model as fitted",
        "the reference case",
        conditioning="as fitted",
    ),
    Trial(
        "obs_cv_0.1",
        "reference",
        "census observation CV 0.1",
        "helicopter transect counts carry no published error; 0.1 is the precise end",
        conditioning=f"reweighted: count likelihood ratio, CV 0.1 vs fitted ({_REFIT})",
        reweight=Reweight(obs_cv=0.1, note="CV 0.1"),
    ),
    Trial(
        "obs_cv_0.3",
        "reference",
        "census observation CV 0.3",
        "method and coverage changed (2010 revision, eastern Betpakdala first flown 2024)",
        conditioning=f"reweighted: count likelihood ratio, CV 0.3 vs fitted ({_REFIT})",
        reweight=Reweight(obs_cv=0.3, note="CV 0.3"),
    ),
    Trial(
        "catchability_0.8",
        "reference",
        "catchability 0.8 (counts see 80 % of animals)",
        "aerial counts of ungulates usually undercount",
        options={"catchability_override": 0.8},
        conditioning=f"reweighted: count likelihood ratio, q = 0.8 vs fitted ({_REFIT})",
        reweight=Reweight(catchability=0.8, note="q 0.8"),
    ),
    Trial(
        "catchability_1.0",
        "reference",
        "catchability 1.0 (counts are absolute)",
        "what the published totals implicitly assume",
        options={"catchability_override": 1.0},
        conditioning=f"reweighted: count likelihood ratio, q = 1.0 vs fitted ({_REFIT})",
        reweight=Reweight(catchability=1.0, note="q 1.0"),
    ),
    Trial(
        "catchability_1.2",
        "reference",
        "catchability 1.2 (double counting, +40 % planning figures)",
        "2025 Ural/Betpakdala figures match a ministry +40 % planning estimate",
        options={"catchability_override": 1.2},
        conditioning=f"reweighted: count likelihood ratio, q = 1.2 vs fitted ({_REFIT})",
        reweight=Reweight(catchability=1.2, note="q 1.2"),
    ),
    Trial(
        "no_density_dependence",
        "reference",
        "no density dependence",
        "populations far below historical numbers (~1 million in the 1970s-80s per population)",
        options={"density_form": "none"},
        conditioning="projection only: the counts barely inform density dependence "
        "(refit to confirm)",
    ),
    Trial(
        "density_at_current",
        "reference",
        "density dependence holding births at replacement at the current abundance",
        "crop-damage culls are justified by the range being full; the most pessimistic DD",
        options={"density_form": "beverton_holt"},
        conditioning="projection only: a refit with carrying capacity at the 2025 level is needed",
        stress={"density_at_current": True},
    ),
    Trial(
        "hill_mating",
        "reference",
        "Hill mating function, conception 1/2 at 1 % males",
        "Kalmykia: conception failed with ~1 % adult males (Milner-Gulland et al. 2003)",
        options={"mating_form": "hill", "mating_half_share": 0.01, "mating_steepness": 3.0},
        conditioning="projection only: the counts do not inform the mating function (prior-driven)",
    ),
    Trial(
        "hill_mating_pessimistic",
        "reference",
        "Hill mating function, conception 1/2 at 3 % males",
        "a mating system three times more sensitive than Kalmykia's",
        options={"mating_form": "hill", "mating_half_share": 0.03, "mating_steepness": 3.0},
        conditioning="projection only: the counts do not inform the mating function (prior-driven)",
    ),
    Trial(
        "double_catastrophes",
        "robustness",
        "catastrophe rate × 2",
        "die-offs 1981, 1988, 2010-11, 2015 suggest the record may understate the rate",
        options={"catastrophe_rate_multiplier": 2.0},
        conditioning="projection only: a refit with a doubled-rate prior is needed",
    ),
    Trial(
        "ppr_event",
        "robustness",
        "a PPR-type event kills 80 % of every population in the first quota year",
        "peste des petits ruminants killed ~80 % of Mongolian saiga in 2016-17",
        conditioning="projection only: a future event, nothing to condition",
        stress={"mass_mortality": 0.8},
    ),
    Trial(
        "triple_poaching",
        "robustness",
        "poaching × 3 once trade opens",
        "legal trade can launder poached horn (WCS on CoP20)",
        conditioning="projection only: a future change, nothing to condition",
        stress={"poaching_after_trade": 3.0},
    ),
    Trial(
        "implementation_overshoot",
        "robustness",
        "the export taken is 25 % above the quota",
        "enforcement of hunting quotas in the field is imperfect",
        conditioning="projection only: a future change, nothing to condition",
        stress={"export_multiplier": 1.25},
    ),
    Trial(
        "low_male_survival",
        "robustness",
        "adult-male survival × 0.8",
        "post-rut exhaustion and male-biased dzhut deaths; the counts do not see sex ratio",
        options={"survival_multiplier": {("male", "adult"): 0.8}},
        conditioning="projection only: male survival is prior-driven; a refit would also lower "
        "adult males at 2025",
    ),
    Trial(
        "census_2025_estimate",
        "robustness",
        "the 2025 figures treated as estimates (CV 0.5), not counts",
        "2025 Ural/Betpakdala figures equal a ministry +40 % planning estimate",
        conditioning=f"reweighted: 2025 count terms at CV 0.5 vs fitted ({_REFIT})",
        reweight=Reweight(obs_cv=0.5, years=(2025,), note="2025 at CV 0.5"),
    ),
    Trial(
        "emigration",
        "robustness",
        "5 % of every class emigrates each year (net)",
        "Ural saiga move into Russia, Ustyurt into Uzbekistan",
        conditioning="projection only: a refit with an emigration term is needed (the counts "
        "would attribute less growth to births)",
        stress={"emigration": 0.05},
    ),
)


def _replacement_density(om: OperatingModel) -> Array:
    """Per draw and population, the fecundity factor D* that gives λ = 1 (female matrix)."""
    from saigapop.demography.matrix import female_matrix, lambda_
    from saigapop.demography.vital_rates import VitalRates

    surv = np.clip(om.mean_survival, 0.0, 1.0)
    bpf = om.births_per_female[:, 0, :]
    fec = np.clip(bpf / 2.0, 0.0, 1.0)
    tw = np.clip(bpf / np.maximum(fec, 1e-12) - 1.0, 0.0, 1.0)
    rates = VitalRates(survival=surv, fecundity=fec[:, None, :], twinning=tw[:, None, :])
    conc = om.conception0

    def lam(d: Array) -> Array:
        return lambda_(female_matrix(rates, conception=conc, density_factor=d))

    lo, hi = np.zeros_like(conc), np.ones_like(conc)
    if np.all(lam(hi) <= 1.0):
        return hi
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        up = lam(mid) > 1.0
        hi = np.where(up, mid, hi)
        lo = np.where(up, lo, mid)
    return np.where(lam(np.ones_like(conc)) <= 1.0, 1.0, 0.5 * (lo + hi))


def build_trial_model(
    posterior: xr.DataTree | xr.Dataset, trial: Trial, *, seed: int = 0, **om_options: Any
) -> OperatingModel:
    """Build a trial's operating model: ``from_posterior`` options, then its stresses.

    Parameters
    ----------
    posterior
        Fitted posterior.
    trial
        The trial.
    seed
        Seed of the operating model's random numbers.
    **om_options
        Shared :meth:`OperatingModel.from_posterior` options (realised removals, culls, …).

    Returns
    -------
    OperatingModel

    Examples
    --------
    >>> from saigapop.management.synthetic import synthetic_posterior
    >>> post = synthetic_posterior(chains=1, draws=10)
    >>> ppr = [t for t in DEFAULT_TRIALS if t.name == "ppr_event"][0]
    >>> om = build_trial_model(post, ppr)
    >>> float(om.survival[0, 2, 1].max()) < 0.3  # adult females, first quota year
    True
    """
    opts = {**om_options, **trial.options}
    q_override = opts.pop("catchability_override", None)
    om = OperatingModel.from_posterior(posterior, seed=seed, **opts)
    changes: dict[str, Any] = {}
    if q_override is not None:
        changes["catchability"] = np.full_like(om.catchability, float(q_override))
    stress = dict(trial.stress)
    first = om.quota_years[0] if om.quota_years else om.start_year + 1
    t_first = first - om.start_year
    if "poaching_after_trade" in stress:
        p = om.poaching.copy()  # (sex, year, draw, pop)
        p[:, t_first:] = np.clip(p[:, t_first:] * float(stress["poaching_after_trade"]), 0, 1)
        changes["poaching"] = p
    if "mass_mortality" in stress:
        s = om.survival.copy()  # (sex, age, year, draw, pop)
        s[:, :, t_first] *= 1.0 - float(stress["mass_mortality"])
        changes["survival"] = s
    if "emigration" in stress:
        s = changes.get("survival", om.survival).copy()
        s *= 1.0 - float(stress["emigration"])
        changes["survival"] = s
    if stress.get("density_at_current"):
        d_star = _replacement_density(om)  # (draw, pop)
        b = np.maximum(om.density_strength, 1e-9)  # (draw, 1)
        n_now = om.n0.sum(axis=(-2, -1))
        with np.errstate(divide="ignore", invalid="ignore"):
            k = np.where(d_star < 1.0, b * n_now * d_star / (1.0 - d_star), 1e300)
        changes.update(density_form="beverton_holt", carrying_capacity=k, density_strength=b)
    if changes:
        for name, value in changes.items():
            if isinstance(value, np.ndarray):
                value = np.ascontiguousarray(value)
                value.setflags(write=False)
                changes[name] = value
        om = om.replace(
            **changes, settings={**om.settings, "trial": trial.name, "stress": dict(stress)}
        )
    return om


def _weighted_stats(x: Array, w: Array, chain: NDArray[np.int64]) -> tuple[Array, Array]:
    """Weighted mean over draws (last axis) and its Monte Carlo error.

    Self-normalised IS error ``sqrt(Σ w² (x − m)²)``, inflated by the chains'
    autocorrelation (ratio of the autocorrelation-aware to the iid error of the unweighted
    series). With uniform weights this is :func:`~saigapop.management._mc.mcse_mean`.
    """
    x = np.asarray(x, dtype=np.float64)
    m = (x * w).sum(-1)
    n = x.shape[-1]
    ac = mcse_mean(x, chain)
    if np.allclose(w, 1.0 / n):
        return x.mean(-1), ac
    sd = x.std(-1, ddof=1) if n > 1 else np.zeros(x.shape[:-1])
    with np.errstate(invalid="ignore", divide="ignore"):
        infl = np.where(sd > 0, ac / (sd / np.sqrt(n)), 1.0)
    is_err = np.sqrt((w**2 * (x - m[..., None]) ** 2).sum(-1))
    return m, is_err * np.maximum(infl, 1.0)


def _weighted_quantile(x: Array, w: Array, q: float) -> Array:
    """Weighted quantile over the last axis."""
    order = np.argsort(x, axis=-1)
    xs = np.take_along_axis(x, order, -1)
    ws = np.broadcast_to(w, x.shape)
    ws = np.take_along_axis(ws, order, -1)
    cw = np.cumsum(ws, -1)
    idx = (cw < q * cw[..., -1:]).sum(-1)
    return np.take_along_axis(xs, idx[..., None], -1)[..., 0]


def _n_samples(posterior: xr.DataTree | xr.Dataset) -> int:
    ds = validate_posterior(posterior)
    return int(ds.sizes["chain"] * ds.sizes["draw"])


def _evaluate_trial(
    posterior: xr.DataTree | xr.Dataset,
    trial: Trial,
    levels: Sequence[float],
    criteria: Sequence[Criterion],
    export: HarvestRule,
    counts: xr.DataArray | None,
    om_options: Mapping[str, Any],
    seed: int,
    refit: xr.DataTree | xr.Dataset | None = None,
) -> xr.Dataset:
    """One trial: project the quota and its paired baseline, weight, summarise."""
    if refit is not None:
        posterior = refit
    om = build_trial_model(posterior, trial, seed=seed, **om_options)
    lv = np.asarray(levels, dtype=float) * float(trial.stress.get("export_multiplier", 1.0))
    proj = om.project(export, lv[None, :], record="summary")
    base = om.baseline()
    D = om.n_draws
    khat, ess = -np.inf, float(D)
    w = np.full(D, 1.0 / D)
    if trial.reweight is not None:
        if counts is None:
            raise ConfigError(
                f"trial {trial.name!r} is reweighted on census counts: pass counts=... "
                "(load_kazakhstan().to_xarray()['count'] for the bundled data)"
            )
        w, khat, ess = trial_weights(
            posterior,
            counts,
            trial.reweight,
            n_draws=om_options.get("n_draws"),
            populations=om.populations,
        )
    chain = om.chain
    crits = [*criteria, CollapseRisk()]
    names = [c.name for c in crits]
    stats: dict[str, list[Array]] = {
        k: []
        for k in (
            "risk",
            "baseline_risk",
            "added_risk",
            "decision_risk",
            "risk_mcse",
            "added_risk_mcse",
            "decision_mcse",
        )
    }
    limits = []
    for c in crits:
        e, b, f = c.indicators(proj, base)
        e = np.moveaxis(e[0].astype(float), 0, -1)  # (P, D)
        b = np.moveaxis(b.astype(float), 0, -1)
        f = np.moveaxis(f[0].astype(float), 0, -1)
        d = e - b
        dec = d if c.basis == "added" else e if c.basis == "absolute" else f
        for key, err, series in (
            ("risk", "risk_mcse", e),
            ("added_risk", "added_risk_mcse", d),
            ("decision_risk", "decision_mcse", dec),
        ):
            m, s = _weighted_stats(series, w, chain)
            stats[key].append(m)
            stats[err].append(s)
        stats["baseline_risk"].append(_weighted_stats(b, w, chain)[0])
        limits.append(c.limit)
    dims = ("criterion", "population")
    out = xr.Dataset(
        {k: (dims, np.stack(v)) for k, v in stats.items()},
        coords={"criterion": names, "population": list(om.populations)},
    )
    out["limit"] = ("criterion", np.array(limits))
    out["decision_upper"] = out["decision_risk"] + Z_UPPER * out["decision_mcse"]
    out["passes"] = out["decision_risk"] <= out["limit"]
    # sex ratio at the last quota-year rut, yield, abundance at the end
    qy = list(om.quota_years) or [om.start_year + 1]
    r_e = proj["ratio"].isel(candidate=0).sel(year=max(qy)).transpose("population", "draw").values
    r_b = base["ratio"].sel(year=max(qy)).transpose("population", "draw").values
    out["sex_ratio"] = ("population", _weighted_quantile(r_e, w, 0.5))
    out["sex_ratio_no_export"] = ("population", _weighted_quantile(r_b, w, 0.5))
    taken = proj["export"].isel(candidate=0).sel(year=qy).mean("year")
    out["yield"] = ("population", (taken.transpose("population", "draw").values * w).sum(-1))
    out["quota"] = ("population", lv)
    last = proj["total"]["year"].values[-1]
    n_end = proj["total"].isel(candidate=0).sel(year=last).transpose("population", "draw").values
    nb_end = base["total"].sel(year=last).transpose("population", "draw").values
    out["abundance_end"] = ("population", _weighted_quantile(n_end, w, 0.5))
    out["abundance_end_no_export"] = ("population", _weighted_quantile(nb_end, w, 0.5))
    out["pareto_k"] = khat
    out["ess"] = ess
    out["n_draws"] = D
    return out


def run_trials(
    posterior: xr.DataTree | xr.Dataset,
    quota: QuotaResult | Sequence[float],
    criteria: Sequence[Criterion] | None = None,
    *,
    trials: Sequence[Trial] = DEFAULT_TRIALS,
    counts: xr.DataArray | None = None,
    export: HarvestRule | None = None,
    seed: int = 0,
    progress: bool | None = None,
    runner: Mapping[str, Any] | None = None,
    refits: Mapping[str, xr.DataTree | xr.Dataset] | None = None,
    **om_options: Any,
) -> xr.Dataset:
    """Evaluate one quota in every trial (reference and robustness sets).

    Parameters
    ----------
    posterior
        The fitted posterior.
    quota
        A :class:`~saigapop.management.QuotaResult` (the recommendation of
        :func:`~saigapop.management.solve_quota` on the reference operating model) or a
        level per population.
    criteria
        Default: the result's criteria, else :func:`default_criteria`.
        :class:`CollapseRisk` is always added.
    trials
        Default :data:`DEFAULT_TRIALS`.
    counts
        Census counts ``(population, year)`` for reweighted trials; default
        :func:`observed_counts` of the posterior. Reweighted trials without counts raise.
    export
        The export rule (default adult males, constant number).
    seed
        Seed of every trial's operating model (the same in every trial: CRN across trials
        where the trial does not change the random numbers' use).
    progress
        Progress bar over trials.
    runner
        Options of :func:`saigapop.runner.run_grid` (default ``{"serial": True}``; e.g.
        ``{"serial": False, "n_workers": 2}`` or ``{"client": client}``).
    refits
        Trial name → a posterior refitted under that trial's assumption (e.g. by
        ``scripts/refit_trials.py``). Such a trial is conditioned by the refit instead of
        reweighting (its ``conditioning`` says so; uniform weights, Pareto k̂ NaN); the
        quota applied is still the one given.
    **om_options
        Options shared by every trial (e.g. ``realised_removals``, ``planned_culls``,
        ``n_draws``).

    Returns
    -------
    xarray.Dataset
        Over ``(trial, criterion, population)``: ``risk``, ``baseline_risk``,
        ``added_risk``, ``decision_risk`` (+ ``_mcse``), ``decision_upper`` (risk + 1.645
        MC error), ``passes``; over ``(trial, population)``: ``sex_ratio`` (median breeding
        males per female at the last quota-year rut) and ``sex_ratio_no_export``,
        ``yield`` (export taken per quota year), ``quota``, ``abundance_end(_no_export)``,
        ``trial_passes``; per trial ``kind``, ``description``, ``why``, ``conditioning``,
        ``pareto_k``, ``ess``, ``weights_reliable``. Attribute ``failed_trials`` lists
        every trial that fails somewhere.

    Examples
    --------
    >>> from saigapop.management.synthetic import synthetic_posterior
    >>> post = synthetic_posterior(chains=1, draws=40)
    >>> out = run_trials(post, [1000.0, 1000.0, 50.0], trials=DEFAULT_TRIALS[:2],
    ...                  counts=synthetic_counts(post), progress=False)
    >>> dict(out["passes"].sizes)
    {'trial': 2, 'criterion': 4, 'population': 3}
    """
    from saigapop.runner import run_grid

    export = ConstantHarvest() if export is None else export
    if isinstance(quota, QuotaResult):
        criteria = quota.criteria if criteria is None else criteria
        pops = [str(p) for p in validate_posterior(posterior)["population"].values]
        if "populations" in om_options:
            pops = list(om_options["populations"])
        levels = [float(quota.level.sel(population=p)) for p in pops]
    else:
        levels = [float(v) for v in np.atleast_1d(np.asarray(quota, dtype=float))]
    criteria = tuple(default_criteria() if criteria is None else criteria)
    if counts is None:
        counts = observed_counts(posterior)
    names = [t.name for t in trials]
    if len(set(names)) != len(names):
        raise ConfigError("trial names must be unique")
    refits = dict(refits or {})
    unknown = sorted(set(refits) - set(names))
    if unknown:
        raise ConfigError(f"refits given for unknown trials {unknown}; trials: {names}")
    trials = [
        dataclasses.replace(
            t,
            reweight=None,
            conditioning=f"refit: the model refitted under '{t.differs}' "
            f"({_n_samples(refits[t.name])} draws)",
        )
        if t.name in refits
        else t
        for t in trials
    ]
    opts = {"serial": True, **dict(runner or {})}
    show = progress if progress is not None else len(trials) > 4
    out = run_grid(
        _evaluate_trial,
        {t.name: {"trial": t, "refit": refits.get(t.name)} for t in trials},
        shared={
            "posterior": posterior,
            "levels": levels,
            "criteria": criteria,
            "export": export,
            "counts": counts,
            "om_options": dict(om_options),
            "seed": seed,
        },
        seed=None,
        progress=show,
        desc="trials",
        dim="trial",
        on_error=opts.pop("on_error", "raise"),
        **opts,
    )
    out = out.reindex(trial=[n for n in names if n in out["trial"].values])
    kept = [t for t in trials if t.name in out["trial"].values]
    out["kind"] = ("trial", [t.kind for t in kept])
    out["description"] = ("trial", [t.differs for t in kept])
    out["why"] = ("trial", [t.why for t in kept])
    out["conditioning"] = ("trial", [t.conditioning for t in kept])
    out["weights_reliable"] = out["pareto_k"] <= KHAT_MAX
    robust = out["passes"].sel(criterion="collapse")
    out["trial_passes"] = xr.where(
        out["kind"] == "reference", out["passes"].all("criterion"), robust
    )
    out.attrs["levels"] = levels
    out.attrs["seed"] = seed
    out.attrs["failed_trials"] = [
        str(t) for t in out["trial"].values if not bool(out["trial_passes"].sel(trial=t).all())
    ]
    return out


def trial_table(trials: xr.Dataset) -> pd.DataFrame:
    """Return the trial results as one row per trial × population (notes, reports).

    Columns: set, conditioning (short), Pareto k̂, ESS, quota, yield, P(N < limit) at the
    quota and at zero export, added risk ± MC error, sex ratio with and without export,
    collapse risk, the criterion that fails (if any) and pass/fail.

    Examples
    --------
    >>> from saigapop.management.synthetic import synthetic_posterior
    >>> post = synthetic_posterior(chains=1, draws=40)
    >>> out = run_trials(post, [1000.0, 1000.0, 50.0], trials=DEFAULT_TRIALS[:1], progress=False)
    >>> trial_table(out).index.names
    FrozenList(['trial', 'population'])
    """
    rows = []
    for t in trials["trial"].values:
        tr = trials.sel(trial=t)
        for p in tr["population"].values:
            x = tr.sel(population=p)
            ab = x.sel(criterion="abundance") if "abundance" in x["criterion"] else None
            failing = [
                str(c) for c in x["criterion"].values if not bool(x["passes"].sel(criterion=c))
            ]
            k = float(tr["pareto_k"])
            row = {
                "trial": str(t),
                "population": str(p),
                "set": str(tr["kind"].values),
                "conditioning": str(tr["conditioning"].values).split(":")[0],
                "pareto_k": k if np.isfinite(k) else np.nan,
                "ess": float(tr["ess"]),
                "quota": float(x["quota"]),
                "yield": float(x["yield"]),
            }
            if ab is not None:
                row.update(
                    {
                        "P(N<limit) quota": float(ab["risk"]),
                        "P(N<limit) zero": float(ab["baseline_risk"]),
                        "added": float(ab["added_risk"]),
                        "added_mcse": float(ab["added_risk_mcse"]),
                    }
                )
            row.update(
                {
                    "sex_ratio": float(x["sex_ratio"]),
                    "sex_ratio_zero": float(x["sex_ratio_no_export"]),
                    **{
                        f"{c} risk": float(x["decision_risk"].sel(criterion=c))
                        for c in x["criterion"].values
                        if c not in ("abundance",)
                    },
                    "weights_ok": bool(tr["weights_reliable"]),
                    "fails": ", ".join(failing),
                    "passes": bool(x["trial_passes"]),
                }
            )
            rows.append(row)
    return pd.DataFrame(rows).set_index(["trial", "population"])


def solve_across_trials(
    posterior: xr.DataTree | xr.Dataset,
    criteria: Sequence[Criterion] | None = None,
    *,
    trials: Sequence[Trial] | None = None,
    seed: int = 0,
    progress: bool | None = None,
    **options: Any,
) -> xr.Dataset:
    """Solve the quota in every reference trial and keep the smallest per population.

    DESIGN §5: the quota must pass in every reference operating model. Each reference trial
    that changes the projection is solved with :func:`~saigapop.management.solve_quota`;
    the quota is the minimum over trials, and the trial that sets it is named. Reweighted
    trials are not solved here (the solver takes unweighted draws): check them with
    :func:`run_trials`.

    Parameters
    ----------
    posterior
        The fitted posterior.
    criteria
        Default :func:`default_criteria`.
    trials
        Default: the ``reference`` trials of :data:`DEFAULT_TRIALS` without reweighting.
    seed
        Seed of every operating model.
    progress
        tqdm bar over trials.
    **options
        Shared :meth:`OperatingModel.from_posterior` options, and ``p_star`` / ``export``
        for the solver.

    Returns
    -------
    xarray.Dataset
        ``level (trial, population)``, ``binding (trial, population)``, ``quota
        (population)`` (the minimum) and ``binding_trial (population)``.

    Examples
    --------
    >>> from saigapop.management.synthetic import synthetic_posterior
    >>> post = synthetic_posterior(chains=1, draws=40)
    >>> out = solve_across_trials(post, trials=DEFAULT_TRIALS[:1], progress=False)
    >>> bool((out["quota"] <= out["level"]).all())
    True
    """
    from tqdm.auto import tqdm

    from saigapop.management.quota import solve_quota

    if trials is None:
        trials = [t for t in DEFAULT_TRIALS if t.kind == "reference" and t.reweight is None]
    solver = {k: options.pop(k) for k in ("p_star", "export") if k in options}
    levels, binding = [], []
    for trial in tqdm(trials, disable=not (progress if progress is not None else len(trials) > 4)):
        om = build_trial_model(posterior, trial, seed=seed, **options)
        result = solve_quota(om, criteria, progress=False, **solver)
        levels.append(result.level)
        binding.append(result.binding)
    names = xr.DataArray([t.name for t in trials], dims="trial")
    level = xr.concat(levels, dim=names)
    out = xr.Dataset({"level": level, "binding": xr.concat(binding, dim=names)})
    out["quota"] = level.min("trial")
    out["binding_trial"] = level.idxmin("trial")
    return out


def solve_robust_quota(
    om: OperatingModel,
    posterior: xr.DataTree | xr.Dataset,
    criteria: Sequence[Criterion] | None = None,
    *,
    seed: int = 0,
    p_star: float = DEFAULT_P_STAR,
    progress: bool | None = None,
    **options: Any,
) -> tuple[QuotaResult, xr.Dataset]:
    """Solve the quota that passes in every reference trial, with its risks on ``om``.

    DESIGN §5 and the IWC practice: a quota is recommended only if it passes in every
    reference operating model. The quota is solved on ``om`` (the fitted world) and in every
    reference trial that changes the projection (:func:`solve_across_trials`); per population
    the smaller is kept. Where a trial sets it, the result is re-solved on ``om`` up to that
    level (so its risk curve and risks are those of the fitted world at the recommended
    quota) and ``binding``/``reason`` name the trial and its binding criterion. Reweighted
    trials are not solved (the solver takes unweighted draws): :func:`run_trials` checks them.

    Parameters
    ----------
    om
        Operating model of the fitted world.
    posterior
        The fit ``om`` was built from (each trial builds its own operating model from it).
    criteria
        Default :func:`default_criteria`.
    seed, p_star, progress
        As in :func:`solve_across_trials` and :func:`~saigapop.management.solve_quota`.
    **options
        :meth:`OperatingModel.from_posterior` options shared by the trials (e.g.
        ``realised_removals``, ``n_draws``), as used to build ``om``.

    Returns
    -------
    (QuotaResult, xarray.Dataset)
        The recommended quota and the per-trial solutions (:func:`solve_across_trials`).

    Examples
    --------
    >>> from saigapop.management.synthetic import synthetic_posterior
    >>> post = synthetic_posterior(chains=1, draws=40)
    >>> om = OperatingModel.from_posterior(post, seed=1)
    >>> result, across = solve_robust_quota(om, post, seed=1, progress=False)
    >>> bool((result.level <= across["level"] + 1e-9).all())
    True
    """
    from saigapop.management.quota import solve_quota

    base = solve_quota(om, criteria, p_star=p_star, progress=False)
    across = solve_across_trials(
        posterior, base.criteria, seed=seed, progress=progress, p_star=p_star, **options
    )
    robust = across["quota"].reindex(population=base.level["population"]).values
    lower = robust < base.level.values
    if not lower.any():
        return base, across
    upper = np.where(lower, robust, base.level.values)
    result = solve_quota(om, base.criteria, p_star=p_star, upper=upper, max_expand=0)
    binding, reason = base.binding.astype(object), base.reason.astype(object)
    for j, pop in enumerate(base.level["population"].values):
        if not lower[j]:
            continue
        trial = str(across["binding_trial"].sel(population=pop).values)
        crit = str(across["binding"].sel(trial=trial, population=pop).values)
        binding[j] = f"{crit} ({trial})"
        reason[j] = (
            f"set by the reference trial {trial!r}, where {crit} binds at "
            f"{robust[j]:,.0f} a year; in the fitted world alone the quota would be "
            f"{float(base.level[j]):,.0f}"
        )
    return dataclasses.replace(result, binding=binding, reason=reason), across
