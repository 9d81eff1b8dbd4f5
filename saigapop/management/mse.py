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
   poaching raised by the trade effect while trade is open), rut and winter.

Replicates are posterior draws × stochastic futures (one future per draw per block; blocks
with different seeds add futures), run as blocks through :func:`saigapop.runner.run_grid`.
Each block also projects the **zero-export** comparator (the same draws and random
numbers, no trade and so no trade effect on poaching) and any other procedures — by
default a **PBR rule** (export = PBR of estimated adult males, Wade 1998, F_r = 0.5) — with
common random numbers.

Performance statistics per procedure and population (:func:`summarise_mse`): P(true
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
from typing import Any, Literal

import numpy as np
import pandas as pd
import xarray as xr
from numpy.typing import NDArray

from saigapop.exceptions import ConfigError
from saigapop.management.criteria import (
    DEFAULT_ABUNDANCE_LIMITS,
    ConceptionRisk,
    Criterion,
    SexRatioRisk,
)
from saigapop.management.estimators import Estimator, KalmanTrend
from saigapop.management.harvest import HarvestRule
from saigapop.management.horns import HornConversion
from saigapop.management.operating_model import OperatingModel
from saigapop.management.pbr import lambda_max
from saigapop.management.quota import QuotaResult
from saigapop.management.trials import Z_UPPER, CollapseRisk
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

#: National CITES cap in adult males a year: 10,000 kg at the precautionary 0.33 kg/male.
NATIONAL_CAP_ANIMALS: float = 10_000.0 / HornConversion().kg_per_male

#: Criteria judged in the MSE besides the abundance risk (export-caused, paired).
DEFAULT_MSE_CRITERIA: tuple[Criterion, ...] = (SexRatioRisk(), ConceptionRisk(), CollapseRisk())


@dataclass(frozen=True)
class Procedure:
    """A management procedure: census → estimator → quota rule → implementation.

    Parameters
    ----------
    name
        Label (coordinate of the ``procedure`` dim).
    rule
        ``"fraction"`` (quota = ``harvest_fraction`` × estimated adult males at the lower
        ``percentile``), ``"fixed"`` (``fixed_quota`` every year, whatever the data say) or
        ``"zero"``.
    harvest_fraction
        Fraction of estimated adult males, one value or per population.
    fixed_quota
        Per population (mapping) or one value, for ``rule="fixed"``.
    initial_quota
        The first cap (quota years ``Y+1 … Y+interval``), per population: the recommended
        quota already decided. ``None``: from the rule.
    estimator
        The estimator (default :class:`~saigapop.management.estimators.KalmanTrend`).
    male_share
        Assumed adult-male share of the census total (the counts do not see it).
    z
        Lower percentile of the estimate as a normal quantile: 0.842 → the 20th percentile,
        NOAA's N_min.
    interval
        Years a cap stands before it is reassessed (3: the CITES decision).
    annual_check
        Each year the quota may be lowered within the cap (and set to zero below the limit).
    lag
        Years between the census and the removal season it informs (1).
    p_missed
        Probability that a census is not flown (the year-``Y`` census exists).
    limits
        Estimated-abundance level below which the quota is zero (default: the abundance
        limits of :data:`~saigapop.management.criteria.DEFAULT_ABUNDANCE_LIMITS`).
    national_cap
        Sum over populations per year (animals); ``None``: no cap.
    implementation_cv
        Lognormal CV of the export actually taken around its target.
    overshoot
        Systematic excess of the export over the quota (0.25: 25 % more).
    observation_cv, catchability
        Override the operating model's per-draw census CV and catchability (``0.0`` and
        ``1.0`` give exact counts).

    Examples
    --------
    >>> Procedure(harvest_fraction=0.02).interval
    3
    """

    name: str = "procedure"
    rule: Literal["fraction", "fixed", "zero"] = "fraction"
    harvest_fraction: float | Mapping[str, float] = 0.0
    fixed_quota: float | Mapping[str, float] = 0.0
    initial_quota: Mapping[str, float] | None = None
    estimator: Estimator = field(default_factory=KalmanTrend)
    male_share: float = 0.15
    z: float = 0.842
    interval: int = 3
    annual_check: bool = True
    lag: int = 1
    p_missed: float = 0.1
    limits: Mapping[str, float] | None = None
    national_cap: float | None = NATIONAL_CAP_ANIMALS
    implementation_cv: float = 0.1
    overshoot: float = 0.0
    observation_cv: float | None = None
    catchability: float | None = None

    def __post_init__(self) -> None:
        if self.rule not in ("fraction", "fixed", "zero"):
            raise ConfigError(f"rule must be 'fraction', 'fixed' or 'zero', got {self.rule!r}")
        if self.interval < 1 or self.lag < 0:
            raise ConfigError("interval must be ≥ 1 and lag ≥ 0")
        if not 0 <= self.p_missed < 1:
            raise ConfigError(f"p_missed must lie in [0, 1), got {self.p_missed}")
        if not 0 < self.male_share < 1:
            raise ConfigError(f"male_share must lie in (0, 1), got {self.male_share}")

    def per_population(self, value: float | Mapping[str, float], pops: Sequence[str]) -> Array:
        """Resolve a scalar-or-mapping setting to an array over ``pops``."""
        if isinstance(value, Mapping):
            missing = [p for p in pops if p not in value]
            if missing:
                raise ConfigError(f"{self.name}: no value for population(s) {missing}")
            return np.array([float(value[p]) for p in pops])
        return np.full(len(pops), float(value))


def procedure_from_quota(
    quota: QuotaResult | Mapping[str, float],
    posterior: xr.DataTree | xr.Dataset,
    *,
    name: str = "procedure",
    **options: Any,
) -> Procedure:
    """Build the procedure behind a recommended quota: first cap = quota, then its rate.

    The harvest fraction is the quota over the adult males the procedure would estimate
    from the latest census: ``male_share`` × the lower ``z`` percentile of the posterior
    median count (catchability × true total), i.e. the rate at which the recommended quota
    would be set again from an unchanged census.

    Parameters
    ----------
    quota
        A :class:`~saigapop.management.QuotaResult` or levels per population.
    posterior
        The posterior the quota was solved on.
    name
        Procedure label.
    **options
        Other :class:`Procedure` fields.

    Returns
    -------
    Procedure

    Examples
    --------
    >>> from saigapop.testing import synthetic_posterior
    >>> post = synthetic_posterior({"A": 1e5}, chains=1, draws=20)
    >>> proc = procedure_from_quota({"A": 500.0}, post)
    >>> 0 < proc.harvest_fraction["A"] < 0.1, proc.initial_quota
    (True, {'A': 500.0})
    """
    ds = validate_posterior(posterior)
    y = int(ds["N"]["year"].values.max())
    total = ds["N"].sel(year=y).sum(("sex", "age"))
    count = (ds["catchability"] * total).median(("chain", "draw"))
    levels = (
        {str(p): float(quota.level.sel(population=p)) for p in quota.level["population"].values}
        if isinstance(quota, QuotaResult)
        else {str(k): float(v) for k, v in quota.items()}
    )
    proto = Procedure(name=name, **options)
    est = proto.estimator
    sd = float(np.sqrt(est.obs_var)) if isinstance(est, KalmanTrend) else 0.0
    fraction = {}
    for p, lv in levels.items():
        males = proto.male_share * float(count.sel(population=p)) * np.exp(-proto.z * sd)
        fraction[p] = float(lv / males) if males > 0 else 0.0
    return dataclasses.replace(proto, harvest_fraction=fraction, initial_quota=levels)


def pbr_procedure(
    om: OperatingModel, *, recovery_factor: float = 0.5, name: str = "pbr", **options: Any
) -> Procedure:
    """Build the PBR comparator: export = N_min(adult males) × ½ R_max × F_r.

    R_max is the posterior median of λ_max − 1 per population
    (:func:`saigapop.management.lambda_max`); N_min is the procedure's lower 20th
    percentile of estimated adult males, so the rule is a fraction rule with
    ``harvest_fraction = ½ R_max F_r``.

    Examples
    --------
    >>> from saigapop.testing import synthetic_posterior
    >>> om = OperatingModel.from_posterior(synthetic_posterior({"A": 1e5}, chains=1, draws=20))
    >>> 0 < pbr_procedure(om).harvest_fraction["A"] < 0.5
    True
    """
    r = np.median(lambda_max(om).values - 1.0, axis=0)
    frac = {
        p: float(0.5 * max(r_p, 0.0) * recovery_factor)
        for p, r_p in zip(om.populations, r, strict=True)
    }
    return Procedure(name=name, rule="fraction", harvest_fraction=frac, **options)


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
    proj = om.project(rule, None, record="summary")
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
    om0 = OperatingModel.from_posterior(sub, seed=om_seed, quota_years=0, **opts)
    base = om0.baseline()
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


def _mc(x: Array) -> tuple[Array, Array]:
    n = x.shape[-1]
    m = x.mean(-1)
    se = x.std(-1, ddof=1) / np.sqrt(n) if n > 1 else np.zeros_like(m)
    return m, se


def summarise_mse(
    mse: xr.Dataset,
    *,
    max_added_risk: float = 0.01,
    criteria: Sequence[Criterion] = DEFAULT_MSE_CRITERIA,
) -> xr.Dataset:
    """Compute performance statistics with Monte Carlo errors per procedure and population.

    Parameters
    ----------
    mse
        From :func:`run_mse`.
    max_added_risk
        Limit of the added abundance risk (1 pp, as the quota criterion).
    criteria
        The criteria whose ``{name}_fail`` indicators are in ``mse`` (for their limits).

    Returns
    -------
    xarray.Dataset
        Over ``(procedure, population)``: for each risk ``r`` in ``p_below_limit``,
        ``added_risk`` and ``{criterion}_risk``: ``r``, ``r_mcse``, ``r_upper`` (mean +
        1.645 MC error); ``passes`` (every limited risk's upper bound ≤ its limit) and
        ``n_needed`` (replicates for the binding upper bound to reach its limit at the
        current estimate; NaN where the point estimate exceeds the limit); ``sex_ratio``
        (median at the last rut) and ``sex_ratio_min`` (median of the lowest),
        ``mean_yield`` (± MC error), ``aav``, ``zero_quota_share``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> dims = ("procedure", "replicate", "population")
    >>> fake = xr.Dataset({
    ...     "below_limit": (dims, rng.random((1, 400, 1)) < 0.1),
    ...     "below_limit_zero": (dims, np.zeros((1, 400, 1), bool)),
    ... })
    >>> out = summarise_mse(fake, criteria=())
    >>> bool(abs(out["p_below_limit_mcse"].item() - np.sqrt(0.1 * 0.9 / 400)) < 0.003)
    True
    """
    dims = ("procedure", "population", "replicate")
    out = xr.Dataset(coords={k: mse.coords[k] for k in ("procedure", "population")})
    n = mse.sizes["replicate"]

    def put(name: str, x: Array, limit: float | None = None) -> None:
        m, se = _mc(x.astype(np.float64))
        out[name] = (dims[:2], m)
        out[f"{name}_mcse"] = (dims[:2], se)
        out[f"{name}_upper"] = (dims[:2], m + Z_UPPER * se)
        if limit is not None:
            out[f"{name}_limit"] = limit

    below = mse["below_limit"].transpose(*dims).values
    below0 = mse["below_limit_zero"].transpose(*dims).values
    put("p_below_limit", below)
    put("p_below_limit_zero", below0)
    put("added_risk", below.astype(float) - below0, max_added_risk)
    limited = ["added_risk"]
    for c in criteria:
        key = f"{c.name}_fail"
        if key in mse:
            put(f"{c.name}_risk", mse[key].transpose(*dims).values, c.limit)
            limited.append(f"{c.name}_risk")
    ok = np.ones(out["added_risk"].shape, bool)
    need = np.zeros(out["added_risk"].shape)
    for name in limited:
        lim = float(out[f"{name}_limit"])
        ok &= out[f"{name}_upper"].values <= lim
        m, se = out[name].values, out[f"{name}_mcse"].values
        with np.errstate(invalid="ignore", divide="ignore"):
            nn = np.where(
                m < lim,
                np.where(se > 0, n * (Z_UPPER * se / np.maximum(lim - m, 1e-12)) ** 2, 1.0),
                np.nan,
            )
        need = np.maximum(need, nn) if name != limited[0] else nn  # NaN: some risk fails
    out["passes"] = (dims[:2], ok)
    out["n_needed"] = (dims[:2], np.ceil(need))
    if "sex_ratio_last" in mse:
        out["sex_ratio"] = mse["sex_ratio_last"].median("replicate")
        out["sex_ratio_min"] = mse["sex_ratio_min"].median("replicate")
    if "yield" in mse:
        put("mean_yield", mse["yield"].transpose(*dims).values)
        out["aav"] = mse["aav"].mean("replicate")
        out["zero_quota_share"] = mse["zero_quota_share"].mean("replicate")
    out.attrs["n_replicates"] = n
    return out


def mse_table(summary: xr.Dataset) -> pd.DataFrame:
    """Return the MSE summary as one row per procedure × population.

    Examples
    --------
    >>> from saigapop.testing import synthetic_posterior
    >>> post = synthetic_posterior({"A": 1e5}, chains=1, draws=20)
    >>> s = summarise_mse(run_mse(post, Procedure(harvest_fraction=0.02), n_replicates=20,
    ...                           block_size=20, limits={"A": 2e4}))
    >>> mse_table(s).index.names
    FrozenList(['procedure', 'population'])
    """
    rows = []
    for proc in summary["procedure"].values:
        for pop in summary["population"].values:
            x = summary.sel(procedure=proc, population=pop)
            row: dict[str, Any] = {"procedure": str(proc), "population": str(pop)}
            for name in ("p_below_limit", "added_risk"):
                row[name] = float(x[name])
                row[f"{name}_mcse"] = float(x[f"{name}_mcse"])
            row["added_upper"] = float(x["added_risk_upper"])
            for name in [v for v in x.data_vars if v.endswith("_risk") and v != "added_risk"]:
                row[name] = float(x[name])
                row[f"{name}_upper"] = float(x[f"{name}_upper"])
            for name in ("sex_ratio", "mean_yield", "mean_yield_mcse", "aav", "zero_quota_share"):
                if name in x:
                    row[name] = float(x[name])
            row["passes"] = bool(x["passes"])
            row["n_needed"] = float(x["n_needed"])
            rows.append(row)
    return pd.DataFrame(rows).set_index(["procedure", "population"])


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
