r"""Closed-loop management strategy evaluation (MSE) of the annual quota procedure.

The trials (:mod:`saigapop.management.trials`) judge *one* quota. The MSE judges the
*procedure* that sets quotas year after year, with the information it will really have
(DESIGN §5; Punt et al. 2016 best practice). Every model year ``t`` after the latest census
``Y``, inside the operating model's own annual cycle (:class:`OperatingModel`, so the
dynamics, catastrophes, culls and poaching are exactly those of the quota solver):

1. **Census** of year ``t`` with error: ``count = q · N_t · exp(σ z)``, σ² = ln(1 + CV²),
   with the draw's catchability ``q`` and CV; with probability ``p_missed`` the survey is
   not flown (as in 2020) and the count is missing.
2. **Estimator** (:mod:`saigapop.management.estimators`), different from the operating
   model: by default a local-linear-trend Kalman filter on log counts, assuming
   catchability 1. **One-year data lag**: the quota for year ``t``'s removal season rests
   on counts up to ``t − lag``.
3. **Quota rule within the three-year cap**: every ``interval`` (3) years a cap is set,
   once, from the estimate — the lower ``percentile`` of estimated abundance × the assumed
   adult-male share × the harvest fraction (or, for the first cap, the recommended quota
   itself); in between, the annual assessment may lower the quota (never raise it) to the
   rule's value from the latest estimate, and sets it to zero when the estimated lower
   abundance falls below the population's limit. The national CITES cap (10,000 kg ≈
   30,303 adult males a year) scales all populations down proportionally when exceeded.
4. **Implementation error**: the export taken is ``quota × (1 + overshoot) × exp(σ_I u −
   σ_I²/2)``, capped by the operating model at what exists, plus the wounding loss.
5. **Population**: the operating model's calving, removals (export + wounding + culls +
   poaching raised by the trade effect while trade is open), rut and winter. A procedure
   is an exporting arm (trade open from ``Y+1`` on: the procedure renews the cap every
   three years); a ``"zero"`` procedure is the no-export arm.

Replicates are posterior draws × stochastic futures (one future per draw per block; blocks
with different seeds add futures), run as blocks through :func:`saigapop.runner.run_grid`.
Each block also projects the **zero-export** comparator — the operating model's one no-export
arm (:meth:`OperatingModel.baseline`, :mod:`saigapop.management.arms`: the same draws, random
numbers, cull plan and baseline poaching; no export, no trade-linked poaching) — and any
other procedures — by
default a **PBR rule** (export = PBR of estimated adult males, Wade 1998, F_r = 0.5) — with
common random numbers.

Performance statistics per procedure and population (:func:`summarise_mse`, in
:mod:`saigapop.management.mse_summary`, re-exported here): P(true
abundance < limit in any census), added to zero export; P(export-caused sex-ratio,
conception or collapse failure) as in :mod:`~saigapop.management.criteria`; the median
adult sex ratio at the last rut; mean annual yield; the average annual variability of the
export (AAV = Σ|C_t − C_{t−1}| / Σ C_t); the share of years with a zero quota. Each risk has
a Monte Carlo error (replicates are treated as independent), the upper bound of its 90 %
interval, a pass flag (upper bound ≤ limit) and ``n_needed``, the replicates needed for the
upper bound to fall below the limit at the current estimate.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from saigapop.exceptions import ConfigError
from saigapop.management.criteria import (
    DEFAULT_ABUNDANCE_LIMITS,
    Criterion,
)
from saigapop.management.harvest import HarvestRule
from saigapop.management.mse_summary import DEFAULT_MSE_CRITERIA, mse_table, summarise_mse
from saigapop.management.operating_model import OperatingModel
from saigapop.management.procedures import (
    Procedure,
    pbr_procedure,
    procedure_from_quota,
)
from saigapop.model.schema import read_posterior as validate_posterior
from saigapop.runner import run_grid

__all__ = [
    "DEFAULT_MSE_CRITERIA",
    "Procedure",
    "closed_loop",
    "mse_table",
    "pbr_procedure",
    "procedure_from_quota",
    "run_mse",
    "summarise_mse",
    "tune_procedure",
]

Array = NDArray[np.float64]


# ---------------------------------------------------------------------- the loop
@dataclass(frozen=True, eq=False)
class _ClosedLoop(HarvestRule):
    """The procedure run *inside* the operating model's removal season (stateful, private).

    The operating model calls :meth:`request` once per model year, in order, with the true
    census total of that year; the rule observes it, updates its estimator with the
    lagged counts, decides the quota and returns the export taken. Its random numbers are
    drawn up front (shapes independent of the harvest: common random numbers).
    """

    procedure: Procedure = field(default_factory=Procedure)
    om: Any = None
    seed: int = 0
    log: dict = field(default_factory=dict)

    def reset(self) -> None:
        om, proc = self.om, self.procedure
        T, D, P = om.horizon, om.n_draws, len(om.populations)
        rng = np.random.default_rng(self.seed)
        missed = rng.random((T, D, P)) < proc.p_missed
        missed[0] = False  # the year-Y census exists
        impl = rng.standard_normal((T, D, P))
        cv = om.obs_cv if proc.observation_cv is None else np.full((D, 1), proc.observation_cv)
        q = om.catchability if proc.catchability is None else np.full((D, P), proc.catchability)
        pops = list(om.populations)
        limits = dict(DEFAULT_ABUNDANCE_LIMITS) if proc.limits is None else dict(proc.limits)
        self.log.clear()
        self.log.update(
            t=0,
            missed=missed,
            impl=impl,
            sigma_obs=np.sqrt(np.log1p(cv**2)),
            q=q,
            counts=[],
            fed=0,
            state=None,
            cap=None,
            quota=np.zeros((T, D, P)),
            taken=np.zeros((T, D, P)),
            est_low=np.full((T, D, P), np.nan),
            fraction=proc.per_population(proc.harvest_fraction, pops),
            fixed=proc.per_population(proc.fixed_quota, pops),
            limit=np.array([float(limits.get(p, 0.0)) for p in pops]),
            initial=(
                None
                if proc.initial_quota is None
                else proc.per_population(proc.initial_quota, pops)
            ),
        )

    def _rule(self, low: Array) -> Array:
        proc, lg = self.procedure, self.log
        if proc.rule == "zero":
            return np.zeros_like(low)
        if proc.rule == "fixed":
            return np.broadcast_to(lg["fixed"], low.shape).copy()
        return lg["fraction"] * proc.male_share * low

    def request(self, level, classes, census_total, population_index):
        """Observe, estimate (lagged), decide, implement; see the module docstring."""
        lg, proc, om = self.log, self.procedure, self.om
        t = lg["t"]
        lg["t"] = t + 1
        total = census_total[0]  # (D, P): one candidate
        count = lg["q"] * total * np.exp(lg["sigma_obs"] * om.obs_noise[t])
        count = np.where(lg["missed"][t], np.nan, count)
        lg["counts"].append(count)
        # feed the estimator with the counts the lag allows (up to t - lag)
        while lg["fed"] <= t - proc.lag:
            c = lg["counts"][lg["fed"]]
            lg["state"] = (
                proc.estimator.init(c)
                if lg["state"] is None
                else proc.estimator.step(lg["state"], c)
            )
            lg["fed"] += 1
        if t == 0 or lg["state"] is None:  # year Y: the decision is being made, no export
            return {(1, 2): np.zeros_like(census_total)}
        mean, sd = proc.estimator.estimate(lg["state"])
        low = np.exp(mean - proc.z * sd)
        low = np.where(np.isfinite(low), low, 0.0)
        lg["est_low"][t] = low
        rule = self._rule(low)
        if (t - 1) % proc.interval == 0:  # set the cap once for `interval` years
            first = t == 1 and lg["initial"] is not None
            lg["cap"] = np.broadcast_to(lg["initial"], rule.shape).copy() if first else rule
            quota = lg["cap"]
        else:
            quota = np.minimum(lg["cap"], rule) if proc.annual_check else lg["cap"]
        if proc.annual_check and proc.rule != "fixed":
            quota = np.where(low < lg["limit"], 0.0, quota)
        if proc.national_cap is not None:
            tot = quota.sum(axis=-1, keepdims=True)
            with np.errstate(invalid="ignore", divide="ignore"):
                quota = quota * np.where(tot > proc.national_cap, proc.national_cap / tot, 1.0)
        quota = np.maximum(quota, 0.0)
        lg["quota"][t] = quota
        s = proc.implementation_cv
        sig = np.sqrt(np.log1p(s**2))
        taken = quota * (1.0 + proc.overshoot) * np.exp(sig * lg["impl"][t] - 0.5 * sig**2)
        lg["taken"][t] = taken
        return {(1, 2): taken[None]}


def closed_loop(
    om: OperatingModel, procedure: Procedure, *, seed: int = 0
) -> tuple[xr.Dataset, dict[str, Array]]:
    """Run one procedure through the operating model (all draws at once).

    Parameters
    ----------
    om
        Operating model whose quota years are every year the procedure may export
        (``quota_years = horizon − 1``, so poaching carries the trade effect throughout).
    procedure
        The procedure.
    seed
        Seed of the procedure's own random numbers (missed surveys, implementation error).

    Returns
    -------
    projection, log
        The projection (``record="summary"``, one candidate) and the procedure's log:
        ``quota``, ``taken``, ``est_low`` ``(year, draw, population)`` and the counts.

    Examples
    --------
    >>> from saigapop.testing import synthetic_posterior
    >>> om = OperatingModel.from_posterior(synthetic_posterior({"A": 1e5}, chains=1, draws=5),
    ...                                    quota_years=12)
    >>> proj, log = closed_loop(om, Procedure(harvest_fraction=0.05, limits={"A": 0.0}))
    >>> log["quota"].shape, bool((log["quota"][1:] > 0).all())
    ((13, 5, 1), True)
    """
    years = tuple(int(y) for y in om.model_years)
    rule = _ClosedLoop(procedure=procedure, om=om, seed=seed, years=years)
    rule.reset()
    proj = om.project(rule, None, record="summary", exports=procedure.rule != "zero")
    log = dict(rule.log)
    log["counts"] = np.stack(log["counts"]) if log["counts"] else np.zeros((0,))
    return proj, log


def _subset_posterior(
    posterior: xr.DataTree | xr.Dataset, draws: Sequence[int] | None
) -> xr.Dataset:
    """Restrict the posterior to flat sample indices (one chain, relabelled draws)."""
    ds = validate_posterior(posterior)
    if draws is None:
        return ds
    attrs = dict(ds.attrs)
    st = ds.stack(sample=("chain", "draw")).isel(sample=list(draws))
    st = st.drop_vars(["sample", "chain", "draw"]).rename(sample="draw")
    out = st.expand_dims(chain=[0]).assign_coords(draw=np.arange(len(draws)))
    out.attrs = attrs
    return out


def _block(
    posterior: xr.DataTree | xr.Dataset,
    procedures: Sequence[Procedure],
    criteria: Sequence[Criterion],
    limits: Mapping[str, float],
    om_options: Mapping[str, Any],
    draws: Sequence[int] | None,
    seed: int,
) -> xr.Dataset:
    """One replicate block: every procedure and zero export, CRN, per-replicate indicators."""
    sub = _subset_posterior(posterior, draws)
    horizon = int(om_options.get("horizon", 13))
    opts = {k: v for k, v in om_options.items() if k not in ("quota_years",)}
    om_seed = int(np.random.SeedSequence(seed).generate_state(1, dtype=np.uint32)[0])
    om = OperatingModel.from_posterior(sub, seed=om_seed, quota_years=horizon - 1, **opts)
    base = om.baseline()  # the one no-export arm (arms.py), as in the solver and trials
    base.attrs["quota_years"] = list(om.quota_years)
    pops = list(om.populations)
    lim = np.array([float(limits[p]) for p in pops])
    years = om.census_years
    after = years > om.start_year
    rows = []
    names = []
    for proc in procedures:
        proj, log = closed_loop(om, proc, seed=seed)
        proj.attrs["quota_years"] = list(om.quota_years)
        rows.append(_indicators(proj, base, log, criteria, lim, after))
        names.append(proc.name)
    zero = base.expand_dims(candidate=[0])
    zero.attrs = {**base.attrs, "start_year": om.start_year}
    T, D, P = om.horizon, om.n_draws, len(pops)
    zlog = {"quota": np.zeros((T, D, P)), "taken": np.zeros((T, D, P))}
    rows.append(_indicators(zero, base, zlog, criteria, lim, after))
    names.append("zero_export")
    out = xr.concat(rows, dim=xr.DataArray(names, dims="procedure"))
    out = out.assign_coords(population=pops, year=years)
    out = out.rename(draw="replicate")
    return out


def _indicators(
    proj: xr.Dataset,
    base: xr.Dataset,
    log: Mapping[str, Array],
    criteria: Sequence[Criterion],
    lim: Array,
    after: NDArray[np.bool_],
) -> xr.Dataset:
    """Per-replicate indicators ``(draw, population)`` and trajectories of one procedure."""
    tot = proj["total"].isel(candidate=0).transpose("draw", "population", "year").values
    btot = base["total"].transpose("draw", "population", "year").values
    below = (tot[..., after] < lim[None, :, None]).any(-1)
    below0 = (btot[..., after] < lim[None, :, None]).any(-1)
    data: dict[str, tuple] = {
        "below_limit": (("draw", "population"), below),
        "below_limit_zero": (("draw", "population"), below0),
    }
    for c in criteria:
        _, _, fail = c.indicators(proj, base)
        data[f"{c.name}_fail"] = (("draw", "population"), fail[0])
    ratio = proj["ratio"].isel(candidate=0).transpose("draw", "population", "year").values
    data["sex_ratio_last"] = (("draw", "population"), ratio[..., -2])
    data["sex_ratio_min"] = (("draw", "population"), np.nanmin(ratio[..., 1:-1], axis=-1))
    ex = proj["export"].isel(candidate=0).transpose("draw", "population", "year").values
    ex = ex[..., 1:-1]  # export years Y+1 … Y+T-1
    data["yield"] = (("draw", "population"), ex.mean(-1))
    s = ex.sum(-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        aav = np.where(s > 0, np.abs(np.diff(ex, axis=-1)).sum(-1) / s, 0.0)
    data["aav"] = (("draw", "population"), aav)
    quota = np.moveaxis(log["quota"], 0, -1)[..., 1:]  # (D, P, T-1)
    data["zero_quota_share"] = (("draw", "population"), (quota <= 0).mean(-1))
    data["total"] = (("draw", "population", "year"), tot)
    data["export"] = (("draw", "population", "year"), np.pad(ex, ((0, 0), (0, 0), (1, 1))))
    data["quota"] = (
        ("draw", "population", "year"),
        np.pad(np.moveaxis(log["quota"], 0, -1), ((0, 0), (0, 0), (0, 1))),
    )
    return xr.Dataset(data)


def run_mse(
    posterior: xr.DataTree | xr.Dataset,
    procedures: Procedure | Sequence[Procedure],
    *,
    n_replicates: int = 1000,
    block_size: int = 250,
    criteria: Sequence[Criterion] = DEFAULT_MSE_CRITERIA,
    limits: Mapping[str, float] | None = None,
    seed: int = 0,
    progress: bool = False,
    runner: Mapping[str, Any] | None = None,
    max_replicates: int | None = None,
    **om_options: Any,
) -> xr.Dataset:
    """Closed-loop MSE: replicate blocks through the runner, gathered per replicate.

    Parameters
    ----------
    posterior
        The fitted posterior.
    procedures
        One or more procedures (with distinct names); zero export is always added.
    n_replicates
        Replicates (posterior draws × stochastic futures); rounded up to whole blocks.
    block_size
        Replicates per block (one runner task). Block ``b`` uses the flat posterior draws
        ``(b × block_size + i) mod S`` and its own seed, so draws repeat only with new
        futures.
    criteria
        Export-caused failure criteria judged besides the abundance risk.
    limits
        Abundance limits per population (default
        :data:`~saigapop.management.criteria.DEFAULT_ABUNDANCE_LIMITS`).
    seed
        Master seed (block seeds are spawned from it: serial == parallel).
    progress
        Progress bar over blocks.
    runner
        :func:`saigapop.runner.run_grid` options (default ``{"serial": True}``).
    max_replicates
        If given, add replicates (up to this many, in whole blocks) until every risk whose
        point estimate is within its limit has its upper Monte Carlo bound within it too
        (``n_needed`` of :func:`summarise_mse`, excluding zero export); risks already above
        their limit cannot be rescued by more replicates and do not drive it.
    **om_options
        :meth:`OperatingModel.from_posterior` options (``horizon`` ≥ 13 by default 13,
        ``realised_removals``, ``planned_culls``, trial switches …).

    Returns
    -------
    xarray.Dataset
        Per-replicate indicators over ``(procedure, replicate, population)`` and
        trajectories over ``year``; summarise with :func:`summarise_mse`.

    Examples
    --------
    >>> from saigapop.testing import synthetic_posterior
    >>> post = synthetic_posterior({"A": 1e5}, chains=1, draws=20)
    >>> out = run_mse(post, Procedure(harvest_fraction=0.02), n_replicates=40,
    ...               block_size=20, limits={"A": 2e4})
    >>> dict(out["yield"].sizes)
    {'procedure': 2, 'replicate': 40, 'population': 1}
    """
    procs = [procedures] if isinstance(procedures, Procedure) else list(procedures)
    names = [p.name for p in procs]
    if len(set(names)) != len(names) or "zero_export" in names:
        raise ConfigError("procedure names must be unique and not 'zero_export'")
    ds = validate_posterior(posterior)
    n_samples = ds.sizes["chain"] * ds.sizes["draw"]
    limits = dict(DEFAULT_ABUNDANCE_LIMITS if limits is None else limits)
    runner_opts = {"serial": True, **dict(runner or {})}
    on_error = runner_opts.pop("on_error", "raise")

    def once(n_rep: int) -> xr.Dataset:
        n_blocks = max(1, -(-n_rep // block_size))
        # block b always gets the same draws and the same spawned seed, so a larger run
        # repeats the blocks of a smaller one exactly
        tasks = {
            f"block{b}": {"draws": [(b * block_size + i) % n_samples for i in range(block_size)]}
            for b in range(n_blocks)
        }
        out = run_grid(
            _block,
            tasks,
            shared={
                "posterior": posterior,
                "procedures": procs,
                "criteria": tuple(criteria),
                "limits": limits,
                "om_options": dict(om_options),
            },
            seed=seed,
            progress=progress,
            desc="MSE blocks",
            dim="block",
            on_error=on_error,
            **runner_opts,
        )
        failures = out.attrs.get("failures", "[]")
        out = out.stack(rep=("block", "replicate")).reset_index("rep", drop=True)
        out = out.rename(rep="replicate").transpose("procedure", "replicate", ...)
        out = out.assign_coords(replicate=np.arange(out.sizes["replicate"]))
        out.attrs.update(
            seed=seed,
            n_blocks=n_blocks,
            block_size=block_size,
            failures=failures,
            limits=str(limits),
            procedures=str(
                [dataclasses.asdict(p) | {"estimator": repr(p.estimator)} for p in procs]
            ),
        )
        return out

    out = once(n_replicates)
    rounds = 0
    while max_replicates is not None and rounds < 4:
        summary = summarise_mse(out, criteria=criteria)
        need = summary["n_needed"].drop_sel(procedure="zero_export").values
        need = need[np.isfinite(need)]
        n_now = out.sizes["replicate"]
        target = min(int(need.max()) if need.size else n_now, int(max_replicates))
        if target <= n_now:
            break
        out = once(target)
        rounds += 1
    out.attrs["max_replicates"] = -1 if max_replicates is None else int(max_replicates)
    return out


def tune_procedure(
    posterior: xr.DataTree | xr.Dataset,
    procedure: Procedure,
    *,
    multipliers: Sequence[float] | NDArray[np.float64] = (0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0),
    max_added_risk: float = 0.01,
    **mse_options: Any,
) -> tuple[Procedure | None, xr.Dataset]:
    """Scale a procedure's harvest fraction (and first cap) down until the MSE passes.

    Every multiplier is run in one MSE (common random numbers across them); the tuned
    procedure is the largest multiplier whose every risk's upper Monte Carlo bound is
    within its limit in every population — the IWC practice of tuning a procedure by
    closed-loop simulation.

    Parameters
    ----------
    posterior
        The fitted posterior.
    procedure
        A ``"fraction"`` procedure (e.g. from :func:`procedure_from_quota`).
    multipliers
        Candidate multipliers of ``harvest_fraction`` and ``initial_quota``.
    max_added_risk
        Limit of the added abundance risk.
    **mse_options
        :func:`run_mse` options.

    Returns
    -------
    procedure, summary
        The tuned procedure (``None`` if even the smallest multiplier fails) and the
        summary over ``procedure`` = ``"×m"`` labels.

    Examples
    --------
    >>> from saigapop.testing import synthetic_posterior
    >>> post = synthetic_posterior({"A": 1e5}, chains=1, draws=20)
    >>> best, s = tune_procedure(post, Procedure(harvest_fraction=0.01), multipliers=[0.0, 1.0],
    ...                          n_replicates=20, block_size=20, limits={"A": 2e4})
    >>> s.sizes["procedure"]
    3
    """

    def scaled(m: float) -> Procedure:
        frac = procedure.harvest_fraction
        frac = {k: v * m for k, v in frac.items()} if isinstance(frac, Mapping) else frac * m
        init = procedure.initial_quota
        init = None if init is None else {k: v * m for k, v in init.items()}
        return dataclasses.replace(
            procedure, name=f"x{m:g}", harvest_fraction=frac, initial_quota=init
        )

    procs = [scaled(float(m)) for m in multipliers]
    summary = summarise_mse(run_mse(posterior, procs, **mse_options), max_added_risk=max_added_risk)
    ok = [
        p
        for p, m in zip(procs, multipliers, strict=True)
        if m >= 0 and bool(summary["passes"].sel(procedure=p.name).all())
    ]
    best = max(ok, key=lambda p: procs.index(p)) if ok else None
    if best is not None:
        best = dataclasses.replace(best, name=procedure.name)
    summary.attrs["multipliers"] = [float(m) for m in multipliers]
    return best, summary
