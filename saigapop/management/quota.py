"""The three-year export quota: risk curves and the solver (DESIGN §5).

:func:`risk_curve` projects a grid of candidate export levels with common random numbers
and evaluates every criterion against the paired no-export baseline. :func:`solve_quota`
finds, per population, the largest constant annual export (by default adult males) over
the quota years that meets every criterion *and* the P* buffer, by a coarse grid followed
by bracketing refinement, and returns a frozen :class:`QuotaResult`.

**Total male mortality.** Every candidate is projected together with the cull males
(after implementation error), poaching (raised by the trade effect in the quota years of an
exporting candidate) and the wounding loss, so the criteria judge total male mortality, not
the export alone; the result reports that total beside the export.

**The paired comparator** is the operating model's one no-export arm
(:meth:`OperatingModel.baseline`, :mod:`saigapop.management.arms`): the same cull plan and
baseline poaching, no dedicated harvest, no trade-linked poaching. A positive candidate
level is an exporting arm, so trade-linked poaching counts in the added risk.

**P* buffer.** Each posterior draw has its own *sustainable* export: the largest candidate
below which that draw shows no export-caused failure on any criterion. The quota is taken
no higher than the ``p_star`` quantile of that posterior distribution — equivalently, the
probability that the quota exceeds the draw's sustainable level is at most ``p_star``
(default :data:`DEFAULT_P_STAR` = 0.10; ``docs/management.md`` argues it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr
from numpy.typing import NDArray

from saigapop.constants import AGE_CLASSES, SEXES
from saigapop.exceptions import ConfigError
from saigapop.locale import N_, NP_
from saigapop.locale.messages import Message, Term
from saigapop.management.criteria import (
    Criterion,
    _np,
    criterion_term,
    default_criteria,
    summarise,
)
from saigapop.management.harvest import ConstantHarvest, HarvestRule
from saigapop.management.operating_model import OperatingModel

__all__ = ["DEFAULT_P_STAR", "QuotaResult", "bracket_search", "risk_curve", "solve_quota"]

#: How the solver's reasons name the unit of an export level.
_UNIT_WORDS = {"animals": N_("animals a year"), "rate": N_("as an annual rate")}
#: Default P* buffer: the quota may exceed a posterior draw's own sustainable export with
#: probability at most 10 %.
DEFAULT_P_STAR: float = 0.10
#: Name of the P* pseudo-criterion in risk curves.
PSTAR = "p_star"
#: Draw × population × candidate cells projected per chunk of a risk curve.
_CHUNK_CELLS = 60_000


def _evaluate_chunk(
    criteria: Sequence[Criterion],
    proj: xr.Dataset,
    base: xr.Dataset,
    quota_years,
    mc_errors: bool,
) -> tuple[dict[str, NDArray], NDArray, xr.Variable, xr.Variable, NDArray | None, xr.Dataset]:
    """Risks, MC errors and per-draw failures of one chunk (P* last), its mortality, coords.

    Runs on a projection worker thread (:meth:`OperatingModel.map_projections`), so the
    MC errors are computed while other chunks project (one batched call per chunk).
    """
    inds = [c.indicators(proj, base) for c in criteria]
    fail_any = np.logical_or.reduce([i[2] for i in inds])
    inds.append((fail_any, np.zeros(fail_any.shape[1:], dtype=bool), fail_any))
    bases = [c.basis for c in criteria] + ["paired"]
    stats = summarise(
        [(*ind, b) for ind, b in zip(inds, bases, strict=True)],
        proj["chain"].values,
        mc_errors=mc_errors,
    )
    fail = np.stack([ind[2] for ind in inds])
    qy = slice(min(quota_years), max(quota_years))
    per_draw = ("candidate", "draw", "population", "year")
    mortality, taken = (  # mean per quota year (numpy: xarray's .mean held the GIL)
        xr.Variable(per_draw[:-1], _np(proj[v], per_draw, qy).mean(-1), attrs=proj[v].attrs)
        for v in ("male_mortality", "export")
    )
    exports = proj["exports"].values if "exports" in proj.coords else None
    return stats, fail, mortality, taken, exports, proj.coords.to_dataset()


def risk_curve(
    om: OperatingModel,
    levels: Sequence[float] | NDArray[np.float64],
    criteria: Sequence[Criterion] | None = None,
    *,
    export: HarvestRule | None = None,
    p_star: float = DEFAULT_P_STAR,
    baseline: xr.Dataset | None = None,
    chunk_size: int | None = None,
    progress: bool | None = None,
    exports: bool | Sequence[bool] | NDArray[np.bool_] | None = None,
    mc_errors: bool = True,
) -> xr.Dataset:
    """Every criterion's raw risk over a grid of candidate export levels (CRN, no smoothing).

    Parameters
    ----------
    om
        The operating model.
    levels
        Candidate levels, ``(candidate,)`` for all populations or ``(candidate, population)``.
    criteria
        Default :func:`~saigapop.management.criteria.default_criteria`.
    export
        The export rule whose ``level`` is varied (default: adult males, constant number).
    p_star
        P* buffer (see module docstring), evaluated as the pseudo-criterion ``"p_star"``.
    baseline
        The paired no-export projection (computed if not given).
    chunk_size
        Candidates per chunk.
    progress
        Show a tqdm bar (default: when there are more than 4 chunks).
    exports
        The per-candidate switch of the arms (:func:`~saigapop.management.arms.exporting`;
        default: a positive level exports), e.g. ``True`` with level 0 for an export drawn
        from stock and culls with no dedicated harvest.
    mc_errors
        ``False`` leaves the Monte Carlo errors NaN, where only risks and passes are read
        (the solver's bracketing rounds).

    Returns
    -------
    xarray.Dataset
        Dims ``(criterion, candidate, population)`` with ``risk``, ``baseline_risk``,
        ``added_risk``, ``decision_risk``, their MC errors, ``passes``, ``limit``; per draw
        ``fail (criterion, candidate, draw, population)``, ``male_mortality`` and
        ``export_taken`` (mean per quota year); coordinate ``level (candidate, population)``.

    Notes
    -----
    Candidates are projected chunk by chunk on worker threads
    (:meth:`OperatingModel.map_projections`); each chunk's risks and Monte Carlo errors are
    summarised there in one batched call (:func:`~saigapop.management.criteria.summarise`:
    every criterion × candidate × population series of the chunk, each distinct series
    once), so the MC errors are computed while other chunks project.

    Examples
    --------
    >>> from saigapop.testing import synthetic_posterior
    >>> om = OperatingModel.from_posterior(synthetic_posterior(chains=1, draws=20))
    >>> curve = risk_curve(om, [0.0, 5e4], progress=False)
    >>> dict(curve["risk"].sizes)
    {'criterion': 4, 'candidate': 2, 'population': 3}
    """
    criteria = tuple(default_criteria() if criteria is None else criteria)
    if not criteria:
        raise ConfigError("give at least one criterion")
    export = ConstantHarvest() if export is None else export
    if baseline is None:
        baseline = om.baseline()
    lv = om._levels(export, levels)
    if chunk_size is None:
        chunk_size = max(1, _CHUNK_CELLS // (om.n_draws * len(om.populations)))
    n_chunks = -(-lv.shape[0] // chunk_size)
    show = n_chunks > 4 if progress is None else progress
    parts = om.map_projections(
        lambda proj: _evaluate_chunk(criteria, proj, baseline, om.quota_years, mc_errors),
        export,
        lv,
        record="summary",
        chunk_size=chunk_size,
        exports=exports,
        progress=show,
        desc="risk curve",
    )
    stats = {key: np.concatenate([p[0][key] for p in parts], axis=1) for key in parts[0][0]}
    fail = np.concatenate([p[1] for p in parts], axis=1)
    mortality = [p[2] for p in parts]
    taken = [p[3] for p in parts]
    exports_parts = [p[4] for p in parts if p[4] is not None]
    first = parts[0][5]
    names = [c.name for c in criteria] + [PSTAR]
    limits = np.array([c.limit for c in criteria] + [p_star])
    dims = ("criterion", "candidate", "population")
    per_draw = ("candidate", "draw", "population")
    coords: dict[str, object] = {
        "candidate": np.arange(lv.shape[0]),
        "draw": first["draw"].values,
        "chain": ("draw", first["chain"].values),
        "population": first["population"].values,
        "level": xr.Variable(("candidate", "population"), lv, attrs=dict(first["level"].attrs)),
    }
    if exports_parts:
        coords["exports"] = (("candidate", "population"), np.concatenate(exports_parts))
    data: dict[str, object] = {name: (dims, value) for name, value in stats.items()}
    data["passes"] = (dims, stats["decision_risk"] <= limits[:, None, None])
    data["fail"] = (("criterion", *per_draw), fail)
    data["limit"] = ("criterion", limits)
    data["basis"] = ("criterion", [c.basis for c in criteria] + ["paired"])
    data["description"] = (
        "criterion",
        [c.describe() for c in criteria] + [f"P(quota > draw's sustainable export) ≤ {p_star:g}"],
    )
    for name, per_chunk in (("male_mortality", mortality), ("export_taken", taken)):
        values = np.concatenate([v.values for v in per_chunk])
        data[name] = xr.Variable(per_draw, values, attrs=dict(per_chunk[0].attrs))
    out = xr.Dataset(data, coords=coords)
    out = out.assign_coords(criterion=names)
    out.attrs.update(
        unit=export.unit,
        export=export.describe(),
        p_star=p_star,
        quota_years=list(om.quota_years),
        n_draws=om.n_draws,
    )
    return out


@dataclass(frozen=True, eq=False)
class QuotaResult:
    """The quota per population, why, and the risks behind it (frozen).

    Attributes
    ----------
    quota
        Planned export by ``(population, year, sex, age)`` over the quota years.
    level
        The solved level per population (animals a year for the default export).
    unit
        Unit of ``level``.
    binding
        Per population, the criterion that binds (fails just above the quota), or ``""``.
    reason
        Per population, a sentence as a :class:`~saigapop.locale.messages.Message` (``str``
        gives the English): why this quota, and for a zero quota why nothing positive is
        safe.
    risk_curve
        The whole risk curve on the solver's grid (``criterion, candidate, population``).
    at_quota
        Every criterion's risks at the quota (``criterion, population``), with MC errors.
    male_mortality
        Total male mortality at the quota (export + wounding + cull males + poaching, mean
        per quota year) and the posterior distribution of the sustainable export
        (``statistic, population``).
    p_star
        The P* buffer used.
    criteria
        The criteria.
    settings
        Operating-model settings, seed and solver tolerances.
    """

    quota: xr.DataArray
    level: xr.DataArray
    unit: str
    binding: xr.DataArray
    reason: xr.DataArray
    risk_curve: xr.Dataset
    at_quota: xr.Dataset
    male_mortality: xr.Dataset
    p_star: float
    criteria: tuple[Criterion, ...]
    settings: dict = field(default_factory=dict)

    def table(self) -> pd.DataFrame:
        """One row per population: quota, binding criterion, absolute and added risks."""
        rows = []
        for pop in self.level["population"].values:
            row = {
                "population": str(pop),
                f"quota ({self.unit}/year)": float(self.level.sel(population=pop)),
                "binding": str(self.binding.sel(population=pop).values),
            }
            for crit in self.at_quota["criterion"].values:
                sel = self.at_quota.sel(criterion=crit, population=pop)
                row[f"{crit}: risk"] = float(sel["risk"])
                row[f"{crit}: baseline"] = float(sel["baseline_risk"])
                row[f"{crit}: decision"] = float(sel["decision_risk"])
                row[f"{crit}: mcse"] = float(sel["decision_mcse"])
            row["reason"] = str(self.reason.sel(population=pop).item())
            rows.append(row)
        return pd.DataFrame(rows).set_index("population")

    def __repr__(self) -> str:
        lines = [f"QuotaResult (P* = {self.p_star:g}, unit = {self.unit})"]
        if self.settings.get("converged") is False:
            lines.append(f"  WARNING: {self.settings.get('note')}")
        for pop in self.level["population"].values:
            lv = float(self.level.sel(population=pop))
            b = str(self.binding.sel(population=pop).values) or "—"
            lines.append(f"  {pop}: {lv:,.6g} {self.unit}/year; binding: {b}")
        return "\n".join(lines)


def _first_fail(passes: NDArray[np.bool_]) -> NDArray[np.int64]:
    """Index of the first failing candidate per column (n if none); ``passes`` (C, P)."""
    bad = ~passes
    first = np.argmax(bad, axis=0)
    return np.where(bad.any(axis=0), first, passes.shape[0])


def _quota_table(
    om: OperatingModel, export: HarvestRule, level: NDArray, proj: xr.Dataset
) -> xr.DataArray:
    years = list(om.quota_years if export.years is None else export.years)
    pops = list(om.populations)
    da = xr.DataArray(
        np.zeros((len(pops), len(years), 2, 3)),
        dims=("population", "year", "sex", "age"),
        coords={"population": pops, "year": years, "sex": list(SEXES), "age": list(AGE_CLASSES)},
        name="quota",
    )
    if isinstance(export, ConstantHarvest):
        targets = export.targets
        for s, a in targets:
            da[:, :, s, a] = level[:, None] / len(targets)
    else:
        taken = proj["removed"].sel(source="export", year=years).mean("draw").isel(candidate=0)
        da.values[:] = taken.transpose("population", "year", "sex", "age_class").values
    return da


def bracket_search(
    passes: Callable[[NDArray[np.float64], bool], NDArray[np.bool_]],
    hi: NDArray[np.float64],
    *,
    cap: float,
    is_rate: bool,
    n_grid: int,
    n_refine: int,
    max_rounds: int,
    rtol: float,
    max_expand: int,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Find, per population, the bracket around the first failing export level.

    The search of :func:`solve_quota` (and of the pooled
    :func:`~saigapop.management.robust.equal_weight_quota`), written once: a coarse grid of
    ``n_grid`` levels from 0 to ``hi``, widened (× 2, at most to ``cap``) while everything
    passes, then rounds of ``n_refine`` interior points until the bracket is narrower than
    ``rtol`` × its lower end (or one animal; 1e-9 for a rate). ``passes(levels, coarse)``
    returns ``(candidate, population)`` booleans; ``coarse`` is ``False`` in the refinement
    rounds (where only the pass/fail pattern is read). The first failure decides: a curve
    that is not monotone is kept as computed.

    Returns
    -------
    (lo, hi)
        Per population the largest passing level found and the smallest failing one (NaN
        where every level up to the cap passes); ``lo`` is 0 where level 0 already fails.

    Examples
    --------
    >>> def passes(levels, coarse):
    ...     return levels <= np.array([37.0, 5.0])
    >>> lo, hi = bracket_search(passes, np.array([100.0, 100.0]), cap=np.inf, is_rate=False,
    ...                         n_grid=17, n_refine=7, max_rounds=20, rtol=0.002, max_expand=3)
    >>> bool(np.all((lo <= [37.0, 5.0]) & (hi > [37.0, 5.0]) & (hi - lo <= 1.0)))  # one animal
    True
    """
    P = hi.shape[0]
    cols = np.arange(P)
    for _ in range(max_expand + 1):
        grid = np.linspace(0.0, 1.0, n_grid)[:, None] * hi[None, :]
        first = _first_fail(passes(grid, True))
        widen = (first == n_grid) & (hi < cap)
        if not widen.any():
            break
        hi = np.where(widen, np.minimum(hi * 2.0, cap), hi)
    lo_v = np.where(first > 0, grid[np.maximum(first - 1, 0), cols], 0.0)
    hi_v = np.where(first < n_grid, grid[np.minimum(first, n_grid - 1), cols], np.nan)
    fails_at_zero = first == 0
    for _ in range(max_rounds):
        active = ~np.isnan(hi_v) & ~fails_at_zero
        width = np.where(active, hi_v - lo_v, 0.0)
        tol = np.maximum(rtol * lo_v, 1e-9 if is_rate else 1.0)
        if not np.any(active & (width > tol)):
            break
        frac = np.arange(1, n_refine + 1) / (n_refine + 1)
        pts = lo_v[None, :] + frac[:, None] * width[None, :]
        ff = _first_fail(passes(pts, False))
        new_lo = np.where(ff > 0, pts[np.maximum(ff - 1, 0), cols], lo_v)
        new_hi = np.where(ff < n_refine, pts[np.minimum(ff, n_refine - 1), cols], hi_v)
        lo_v = np.where(active, new_lo, lo_v)
        hi_v = np.where(active, new_hi, hi_v)
    return lo_v, hi_v


def solve_quota(
    om: OperatingModel,
    criteria: Sequence[Criterion] | None = None,
    *,
    export: HarvestRule | None = None,
    p_star: float = DEFAULT_P_STAR,
    upper: float | Sequence[float] | None = None,
    n_grid: int = 17,
    n_refine: int = 7,
    rtol: float = 0.002,
    max_rounds: int = 8,
    max_expand: int = 4,
    progress: bool | None = None,
    baseline: xr.Dataset | None = None,
) -> QuotaResult:
    """Largest constant annual export per population meeting every criterion and P*.

    Parameters
    ----------
    om
        Operating model (posterior draws, culls, random numbers).
    criteria
        Default :func:`~saigapop.management.criteria.default_criteria`.
    export
        The export rule whose level is solved for (default
        :class:`~saigapop.management.harvest.ConstantHarvest`: adult males, animals/year).
    p_star
        P* buffer (default :data:`DEFAULT_P_STAR`); ``1`` switches it off.
    upper
        Upper end of the first grid, per population or one value. Default: half the
        posterior median of adult males at ``Y`` (animals) or 1 (rates); the grid is
        widened up to ``max_expand`` times when everything passes.
    n_grid
        Points of the first grid (including 0).
    n_refine
        Interior points per refinement round.
    rtol
        Stop refining when the bracket is narrower than ``rtol`` × the lower end (or one
        animal).
    max_rounds
        Maximum refinement rounds.
    max_expand
        Maximum doublings of the grid's upper end.
    progress
        tqdm bars.
    baseline
        The paired comparator projection (dims ``draw, population, year``, same draws and
        random numbers as ``om``). Default :meth:`OperatingModel.baseline`, the no-export
        arm; :func:`~saigapop.management.programme.solve_programme` passes the no-offtake
        arm of the whole programme.

    Returns
    -------
    QuotaResult
        A zero quota with its reason when nothing positive is safe; this function does
        not raise for an infeasible quota.

    Examples
    --------
    >>> from saigapop.testing import synthetic_posterior
    >>> om = OperatingModel.from_posterior(synthetic_posterior(chains=1, draws=40), seed=2)
    >>> result = solve_quota(om, progress=False)
    >>> sorted(result.table().columns)[:2]
    ['abundance: baseline', 'abundance: decision']
    """
    criteria = tuple(default_criteria() if criteria is None else criteria)
    export = ConstantHarvest() if export is None else export
    pops = list(om.populations)
    P = len(pops)
    if not 0 < p_star <= 1:
        raise ConfigError(f"p_star must lie in (0, 1], got {p_star}")
    if upper is None:
        animals = export.unit == "animals"
        hi = 0.5 * np.median(om.n0[..., 1, 1], axis=0) if animals else np.ones(P)
    else:
        hi = np.broadcast_to(np.asarray(upper, dtype=np.float64), (P,)).copy()
    hi = np.maximum(hi, 1e-9)
    is_rate = export.unit != "animals"
    cap = 1.0 if is_rate else np.inf
    baseline = om.baseline() if baseline is None else baseline

    seen_levels: list[NDArray] = []  # every evaluated level and its per-draw failures
    seen_fail: list[NDArray] = []

    def curve(levels: NDArray, mc_errors: bool = True) -> xr.Dataset:
        out = risk_curve(
            om,
            levels,
            criteria,
            export=export,
            p_star=p_star,
            baseline=baseline,
            progress=progress,
            mc_errors=mc_errors,
        )
        seen_levels.append(np.asarray(levels, dtype=float).reshape(-1, P))
        seen_fail.append(
            out["fail"].sel(criterion=PSTAR).transpose("candidate", "draw", "population").values
        )
        return out

    coarse_curves: list[xr.Dataset] = []  # the last coarse grid is the result's risk curve

    def passes(levels: NDArray, coarse: bool) -> NDArray[np.bool_]:
        # only passes and fails are read in the refinement rounds: no MC errors there
        out = curve(levels, mc_errors=coarse)
        if coarse:
            coarse_curves.append(out)
        return out["passes"].all("criterion").transpose("candidate", "population").values

    lo_v, hi_v = bracket_search(
        passes,
        hi,
        cap=cap,
        is_rate=is_rate,
        n_grid=n_grid,
        n_refine=n_refine,
        max_rounds=max_rounds,
        rtol=rtol,
        max_expand=max_expand,
    )
    level = lo_v if is_rate else np.floor(lo_v + 1e-9)
    # 3. report: risks at the quota and just above it (binding)
    # (one curve of two candidates: each candidate's risks are its own, as in two curves)
    above_levels = np.where(np.isnan(hi_v), level, hi_v)
    both = curve(np.stack([level, above_levels]))
    at = both.isel(candidate=0)
    above = both.isel(candidate=1)
    # level 0 itself fails (the same projection as the grid's first point: common random numbers)
    fails_at_zero = (level == 0) & ~at["passes"].all("criterion").transpose("population").values
    binding: list[str] = []
    reasons: list[Message] = []
    unit = Term(_UNIT_WORDS.get(export.unit, export.unit))
    for j in range(P):
        failing = [
            str(c)
            for c in above["criterion"].values
            if not bool(above["passes"].sel(criterion=c).isel(population=j))
        ]
        if fails_at_zero[j]:
            failing0 = [
                str(c)
                for c in at["criterion"].values
                if not bool(at["passes"].sel(criterion=c).isel(population=j))
            ]
            binding.append(failing0[0] if failing0 else "")
            reasons.append(
                Message.counted(
                    NP_(
                        "zero quota: {criteria} fails even without export (absolute "
                        "criterion or P* already exceeded)",
                        "zero quota: {criteria} fail even without export (absolute "
                        "criterion or P* already exceeded)",
                    ),
                    "n",
                    {"criteria": tuple(map(criterion_term, failing0)), "n": len(failing0)},
                )
            )
            continue
        if np.isnan(hi_v[j]):
            binding.append("")
            reasons.append(
                Message(
                    N_(
                        "no criterion binds up to {level:,.6g} {unit} (search bound); the quota "
                        "is the search bound — widen it or cap by horns"
                    ),
                    {"level": float(hi[j]), "unit": unit},
                )
            )
            continue
        name = failing[0] if failing else ""
        binding.append(name)
        sel = above.sel(criterion=name).isel(population=j) if name else None
        if level[j] <= 0:
            reasons.append(
                Message(
                    N_(
                        "zero quota: nothing positive is safe — the criterion '{criterion}' has "
                        "decision risk {risk:.3g} > limit {limit:.3g} already at {level:,.4g} "
                        "{unit}"
                    ),
                    {
                        "criterion": criterion_term(name),
                        "risk": float(sel["decision_risk"]),
                        "limit": float(sel["limit"]),
                        "level": float(hi_v[j]),
                        "unit": unit,
                    },
                )
                if sel is not None
                else Message(N_("zero quota: nothing positive is safe — no positive level passes"))
            )
        else:
            reasons.append(
                Message(
                    N_(
                        "largest level meeting every criterion; just above it ({level:,.6g}) "
                        "the criterion '{criterion}' has decision risk {risk:.3g} ± {mcse:.2g} "
                        "> limit {limit:.3g}"
                    ),
                    {
                        "level": float(hi_v[j]),
                        "criterion": criterion_term(name),
                        "risk": float(sel["decision_risk"]),
                        "mcse": float(sel["decision_mcse"]),
                        "limit": float(sel["limit"]),
                    },
                )
            )
    at_ok = at["passes"].all("criterion").values
    for j in range(P):
        if level[j] > 0 and not at_ok[j]:  # only possible where a curve is not monotone
            reasons[j] = Message(
                N_("{reason} (WARNING: a criterion fails at the quota itself: non-monotone curve)"),
                {"reason": reasons[j]},
            )
    # total male mortality and the posterior distribution of the sustainable export
    # per draw: the largest evaluated level below that draw's first failure (all levels the
    # solver evaluated, sorted per population; the search bound where a draw never fails)
    all_lv = np.concatenate(seen_levels)  # (n, P)
    all_f = np.concatenate(seen_fail)  # (n, D, P)
    sustain = np.empty((om.n_draws, P))
    for j in range(P):
        order = np.argsort(all_lv[:, j], kind="stable")
        lv_j, f_j = all_lv[order, j], all_f[order, :, j]  # (n,), (n, D)
        first = np.argmax(f_j, axis=0)
        never = ~f_j.any(axis=0)
        sustain[:, j] = np.where(
            never, lv_j[-1], np.where(first == 0, 0.0, lv_j[np.maximum(first - 1, 0)])
        )
    qs = [0.05, p_star, 0.5, 0.95]
    qlabels = ["q05", "p_star", "median", "q95"]
    mm = at["male_mortality"].transpose("draw", "population").values
    mm_ds = xr.Dataset(
        {
            "total_male_mortality": (("statistic", "population"), np.quantile(mm, qs, axis=0)),
            "sustainable_export": (("statistic", "population"), np.quantile(sustain, qs, axis=0)),
            "export_taken": (
                ("statistic", "population"),
                np.quantile(at["export_taken"].transpose("draw", "population").values, qs, axis=0),
            ),
        },
        coords={"statistic": qlabels, "population": pops},
    )
    mm_ds.attrs["note"] = (
        "per quota year; total male mortality = export + wounding + cull males + poaching; "
        "sustainable_export per draw is read off every level the solver evaluated"
    )
    full = (
        om.project(export, level[None, :], record="full")
        if not isinstance(export, ConstantHarvest)
        else None
    )
    quota = _quota_table(om, export, level, full)
    level_da = xr.DataArray(level, dims="population", coords={"population": pops}, name="level")
    level_da.attrs["unit"] = export.unit
    return QuotaResult(
        quota=quota,
        level=level_da,
        unit=export.unit,
        binding=xr.DataArray(
            np.array(binding, dtype=object), dims="population", coords={"population": pops}
        ),
        reason=xr.DataArray(
            np.array(reasons, dtype=object), dims="population", coords={"population": pops}
        ),
        risk_curve=coarse_curves[-1].drop_vars(["fail", "male_mortality", "export_taken"]),
        at_quota=at.drop_vars(["fail", "male_mortality", "export_taken"]),
        male_mortality=mm_ds,
        p_star=p_star,
        criteria=criteria,
        settings={**om.settings, "horizon": om.horizon, "n_grid": n_grid, "rtol": rtol},
    )
