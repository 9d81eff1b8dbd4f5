"""Reference and robustness trials of a quota (DESIGN §5), in the style of the IWC RMP: the runner.

The trial grid is data (:mod:`saigapop.management.trial_grid`: :class:`Trial`,
:data:`DEFAULT_TRIALS`, :func:`build_trial_model`); reweighted trials are conditioned on the
counts by PSIS (:mod:`saigapop.management.reweighting`); the robust quota solver lives in
:mod:`saigapop.management.robust`. Those names are re-exported here for older imports.

:func:`run_trials` applies one quota (by default the one :func:`solve_quota` recommends on
the reference operating model) in every trial, evaluates every criterion against that
trial's own paired no-export baseline (common random numbers within a trial, weighted
where the trial is reweighted), plus :class:`CollapseRisk`, and returns an
``xarray.Dataset`` (:func:`trial_table` gives the pandas view). **Pass rules**, fixed
before any quota is computed: a reference trial (plausibility high or medium) passes when
every criterion passes at its own limit and the quota causes no collapse
(:class:`CollapseRisk`: P(export-caused collapse) ≤ 5 %); a robustness trial (plausibility
low) is judged by the same performance statistics — the added abundance risk, the sex-ratio
risk and the conception risk — against limits
:data:`~saigapop.management.trial_grid.ROBUSTNESS_LIMIT_FACTOR` (2) times looser (1 → 2
percentage points, 5 % → 10 %; the reason is given there), plus the same collapse limit.
Failures are shown, never dropped. Trials run through :func:`saigapop.runner.run_grid`
(serially by default; pass ``runner={"serial": False}`` for a Dask cluster).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import xarray as xr
from numpy.typing import NDArray

from saigapop.exceptions import ConfigError
from saigapop.management.criteria import Criterion, default_criteria
from saigapop.management.harvest import ConstantHarvest, HarvestRule
from saigapop.management.quota import QuotaResult
from saigapop.management.reweighting import (
    KHAT_MAX,
    Reweight,
    observed_counts,
    psis,
    synthetic_counts,
    trial_weights,
    weighted_quantile,
    weighted_stats,
)
from saigapop.management.robust import solve_across_trials, solve_robust_quota
from saigapop.management.trial_grid import (
    DEFAULT_TRIALS,
    ROBUSTNESS_LIMIT_FACTOR,
    Trial,
    TrialSet,
    build_trial_model,
    loosen,
)
from saigapop.model.schema import read_posterior as validate_posterior
from saigapop.runner import run_grid

__all__ = [
    "DEFAULT_TRIALS",
    "KHAT_MAX",
    "ROBUSTNESS_LIMIT_FACTOR",
    "Z_UPPER",
    "CollapseRisk",
    "Reweight",
    "Trial",
    "TrialSet",
    "build_trial_model",
    "observed_counts",
    "psis",
    "run_trials",
    "solve_across_trials",
    "solve_robust_quota",
    "synthetic_counts",
    "trial_table",
    "trial_weights",
]

Array = NDArray[np.float64]
#: one-sided z of the upper Monte Carlo bound (upper end of a 90 % interval, DESIGN §3)
Z_UPPER: float = 1.6448536269514722


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
    if trial.kind == "robustness":  # the robustness pass rule: looser limits, same statistics
        criteria = [loosen(c, ROBUSTNESS_LIMIT_FACTOR) for c in criteria]
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
            m, s = weighted_stats(series, w, chain)
            stats[key].append(m)
            stats[err].append(s)
        stats["baseline_risk"].append(weighted_stats(b, w, chain)[0])
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
    out["sex_ratio"] = ("population", weighted_quantile(r_e, w, 0.5))
    out["sex_ratio_no_export"] = ("population", weighted_quantile(r_b, w, 0.5))
    taken = proj["export"].isel(candidate=0).sel(year=qy).mean("year")
    out["yield"] = ("population", (taken.transpose("population", "draw").values * w).sum(-1))
    out["quota"] = ("population", lv)
    last = proj["total"]["year"].values[-1]
    n_end = proj["total"].isel(candidate=0).sel(year=last).transpose("population", "draw").values
    nb_end = base["total"].sel(year=last).transpose("population", "draw").values
    out["abundance_end"] = ("population", weighted_quantile(n_end, w, 0.5))
    out["abundance_end_no_export"] = ("population", weighted_quantile(nb_end, w, 0.5))
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
    across: xr.Dataset | None = None,
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
    across
        The per-trial solutions of :func:`solve_across_trials` (e.g.
        ``Recommendation.across``): each trial's own quota and the equal-weight quota are
        copied into the output (``trial_quota``, NaN for a trial not solved, e.g. a reweighted
        one; ``equal_weight_quota``; ``robust_quota``).
    **om_options
        Options shared by every trial (e.g. ``realised_removals``, ``planned_culls``,
        ``n_draws``).

    Returns
    -------
    xarray.Dataset
        Over ``(trial, criterion, population)``: ``risk``, ``baseline_risk``,
        ``added_risk``, ``decision_risk`` (+ ``_mcse``), ``decision_upper`` (risk + 1.645
        MC error), ``passes``; ``limit (trial, criterion)`` (the trial's pass limits: looser
        in the robustness set); over ``(trial, population)``: ``sex_ratio`` (median breeding
        males per female at the last quota-year rut) and ``sex_ratio_no_export``,
        ``yield`` (export taken per quota year), ``quota``, ``abundance_end(_no_export)``,
        ``trial_passes`` (every criterion within the trial's limits); per trial ``kind``,
        ``plausibility``, ``evidence``, ``description``, ``why``, ``conditioning``,
        ``pareto_k``, ``ess``, ``weights_reliable``; with ``across``, ``trial_quota (trial,
        population)``, ``equal_weight_quota`` and ``robust_quota (population)``. Attribute
        ``failed_trials`` lists every trial that fails somewhere.

    Examples
    --------
    >>> from saigapop.testing import synthetic_posterior
    >>> post = synthetic_posterior(chains=1, draws=40)
    >>> out = run_trials(post, [1000.0, 1000.0, 50.0], trials=DEFAULT_TRIALS[:2],
    ...                  counts=synthetic_counts(post), progress=False)
    >>> dict(out["passes"].sizes)
    {'trial': 2, 'criterion': 4, 'population': 3}
    """
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
    out["plausibility"] = ("trial", [t.plausibility or "not rated" for t in kept])
    out["evidence"] = ("trial", [t.evidence for t in kept])
    out["description"] = ("trial", [t.differs for t in kept])
    out["why"] = ("trial", [t.why for t in kept])
    out["conditioning"] = ("trial", [t.conditioning for t in kept])
    out["weights_reliable"] = out["pareto_k"] <= KHAT_MAX
    out["trial_passes"] = out["passes"].all("criterion")
    if across is not None:
        own = across["level"].reindex(trial=out["trial"].values, population=out["population"])
        out["trial_quota"] = own.astype(float)
        out["equal_weight_quota"] = across["equal_weight_quota"].reindex(
            population=out["population"]
        )
        out["robust_quota"] = across["quota"].reindex(population=out["population"])
    out.attrs["robustness_limit_factor"] = ROBUSTNESS_LIMIT_FACTOR
    out.attrs["levels"] = levels
    out.attrs["seed"] = seed
    out.attrs["failed_trials"] = [
        str(t) for t in out["trial"].values if not bool(out["trial_passes"].sel(trial=t).all())
    ]
    return out


def trial_table(trials: xr.Dataset) -> pd.DataFrame:
    """Return the trial results as one row per trial × population (notes, reports).

    Columns: set, plausibility, conditioning (short), Pareto k̂, ESS, the quota applied, the
    trial's own quota (where solved), yield, P(N < limit) at the quota and at zero export,
    added risk ± MC error, sex ratio with and without export, then per criterion its decision
    risk, the trial's limit for it and whether it passes, the criteria that fail (if any) and
    pass/fail.

    Examples
    --------
    >>> from saigapop.testing import synthetic_posterior
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
                "plausibility": str(tr["plausibility"].values) if "plausibility" in tr else "",
                "conditioning": str(tr["conditioning"].values).split(":")[0],
                "pareto_k": k if np.isfinite(k) else np.nan,
                "ess": float(tr["ess"]),
                "quota": float(x["quota"]),
                "own_quota": float(x["trial_quota"]) if "trial_quota" in x else np.nan,
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
            crit = [str(c) for c in x["criterion"].values]
            limit = tr["limit"]
            row.update(
                {
                    "sex_ratio": float(x["sex_ratio"]),
                    "sex_ratio_zero": float(x["sex_ratio_no_export"]),
                    **{
                        f"{c} risk": float(x["decision_risk"].sel(criterion=c))
                        for c in crit
                        if c != "abundance"
                    },
                    **{f"{c} limit": float(limit.sel(criterion=c)) for c in crit},
                    **{f"{c} passes": bool(x["passes"].sel(criterion=c)) for c in crit},
                    "weights_ok": bool(tr["weights_reliable"]),
                    "fails": ", ".join(failing),
                    "passes": bool(x["trial_passes"]),
                }
            )
            rows.append(row)
    return pd.DataFrame(rows).set_index(["trial", "population"])
