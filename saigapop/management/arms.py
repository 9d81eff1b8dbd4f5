"""The two arms of the export question, defined once (DESIGN §5, issue 15 item 3).

Every comparison the library makes about the export — the quota solver's risk curve, the
trials and the closed-loop MSE — sets an **export arm** against a paired **no-export arm**
on the same posterior draws and the same random numbers. Both arms carry the **same cull
plan** (planned culls after implementation error; culls stated as a realised level,
applied exactly) and the same baseline, non-trade poaching. What exporting changes — and
so what the no-export arm lacks — is, and is only:

(a) the **dedicated export harvest** (the rule or schedule under decision; zero in the
    no-export arm whatever its level);
(b) **trade-linked poaching**: in an exporting arm the posterior poaching rate is
    multiplied by ``poaching_trade_effect`` (or :attr:`ExportEffects.trade_multiplier`) in
    the years trade is open; in the no-export arm the multiplier is 1 in every year;
(c) the **sex selectivity of planned culls** when horns have a market
    (:attr:`ExportEffects.cull_male_selectivity`, default 1: no shift); and
(d) the **implementation of planned culls** (:attr:`ExportEffects.cull_implementation`,
    default 1: unchanged).

**How long trade-linked poaching lasts.** CoP20 opened the export for three years, after
which the quota reverts to zero unless renewed (``saiga_biology.md`` §8), so by default the
trade multiplier applies in the quota years only (``trade_persists=False``). A market, and
laundering channels, may outlive the quota: ``trade_persists=True`` keeps the multiplier
from the first quota year to the end of the horizon — a robustness alternative.

**Evidence for the multiplier.** The prior of ``poaching_trade_effect`` (LogNormal, median
1.5, model/priors.py) rests on the WCS and EIA statements at CoP20 that legal trade can
launder poached horn (``saiga_biology.md`` §8). Those give the *direction* of the effect; no
source in ``/work/shared/research`` quantifies its *size*, so the median 1.5 and its spread
have none and belong in a robustness trial (the ``triple_poaching`` trial of the trial grid
multiplies poaching in both arms; a trade-only trial is ``ExportEffects(trade_multiplier=3)``).

The per-candidate switch. Whether a candidate *exports* is decided per candidate and
population by :func:`exporting` (a positive level or schedule; or given explicitly, e.g. an
arm that exports horns from stock and culls with no dedicated harvest). The operating model
selects each candidate's arrays by that switch (:meth:`ExportEffects.poaching`,
:func:`achieved_culls`), and :meth:`OperatingModel.baseline
<saigapop.management.OperatingModel.baseline>` — the one no-export arm the solver, the
trials and the MSE use — projects every candidate with the switch off.

:func:`offtake_options` is the one place an offtake plan (``SaigaData.offtake``) enters: it
turns the removals realised in the latest census year and an optional plan into the
operating-model options every caller passes on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd
import xarray as xr
from numpy.typing import NDArray

from saigapop.constants import AGE_CLASSES, SEXES
from saigapop.exceptions import ConfigError
from saigapop.management.harvest import HarvestRule, HarvestSchedule, realised_removals

__all__ = [
    "NO_EXPORT_EFFECTS",
    "CullPlan",
    "ExportEffects",
    "achieved_culls",
    "exporting",
    "offtake_options",
    "shift_culls",
]

Array = NDArray[np.float64]


@runtime_checkable
class CullPlan(Protocol):
    """What the operating model needs of a cull plan (``HarvestSchedule``, ``OfftakePlan``).

    ``numbers(populations, years)`` gives the *announced* planned culls as a ``(year,
    population, sex, age)`` array; the operating model applies the implementation fraction
    and selectivity to them. A plan may also offer ``realised(populations, years)``: culls
    stated as a realised level (an ``xarray.DataArray`` ``(year, population, sex, age)``),
    applied exactly, never scaled.
    """

    def numbers(self, populations: Sequence[str], years: Sequence[int]) -> Array:
        """Announced planned culls, ``(year, population, sex, age)``."""
        ...


@dataclass(frozen=True)
class ExportEffects:
    """What exporting changes relative to the no-export arm (see the module docstring).

    Parameters
    ----------
    trade_poaching
        Poaching in an exporting arm is raised by the trade multiplier while trade is open.
    trade_multiplier
        Fixed multiplier for every draw (``None``: the posterior ``poaching_trade_effect``).
        No source quantifies it (module docstring): a robustness setting.
    trade_persists
        ``False`` (default): trade-linked poaching only in the quota years (CoP20: the
        quota reverts to zero after three years); ``True``: from the first quota year to
        the end of the horizon.
    cull_male_selectivity
        Multiplier of the male cull selectivity (odds of a culled animal being male) of every
        cull in an exporting arm while trade is open, planned and realised-level alike (1: no
        shift; :func:`shift_culls`). No prior: the trial ``export_male_selective_culls``
        (× 1.3, the 2025 realised/planned odds ratio) carries it.
    cull_implementation
        Multiplier of the culls achieved in an exporting arm while trade is open (1:
        unchanged). No prior: the trial ``export_raises_implementation`` carries it.

    Examples
    --------
    >>> ExportEffects().changes_culls, ExportEffects(cull_male_selectivity=1.5).changes_culls
    (False, True)
    """

    trade_poaching: bool = True
    trade_multiplier: float | None = None
    trade_persists: bool = False
    cull_male_selectivity: float = 1.0
    cull_implementation: float = 1.0

    def __post_init__(self) -> None:
        for name in ("cull_male_selectivity", "cull_implementation"):
            value = float(getattr(self, name))
            if not np.isfinite(value) or value < 0:
                raise ConfigError(f"{name} must be a finite non-negative number, got {value!r}")
        if self.trade_multiplier is not None and not (
            np.isfinite(self.trade_multiplier) and self.trade_multiplier >= 0
        ):
            raise ConfigError(
                f"trade_multiplier must be a finite non-negative number, got "
                f"{self.trade_multiplier!r}"
            )

    @property
    def changes_culls(self) -> bool:
        """Whether an exporting arm culls differently from the no-export arm."""
        return self.cull_male_selectivity != 1.0 or self.cull_implementation != 1.0

    def trade_open(self, years: Sequence[int], quota_years: Sequence[int]) -> NDArray[np.bool_]:
        """Model years in which trade (and so trade-linked poaching) is open, ``(year,)``."""
        yrs = np.asarray(years)
        if not len(quota_years):
            return np.zeros(yrs.shape, dtype=bool)
        if self.trade_persists:
            return yrs >= min(quota_years)
        return np.isin(yrs, list(quota_years))

    def multiplier(
        self, posterior_effect: Array, years: Sequence[int], quota_years: Sequence[int]
    ) -> Array:
        """Poaching multiplier of an exporting arm, ``(year, draw)`` (1 where trade is shut).

        Examples
        --------
        >>> ExportEffects().multiplier(np.array([1.5, 2.0]), [2025, 2026], [2026]).tolist()
        [[1.0, 1.0], [1.5, 2.0]]
        """
        effect = np.asarray(posterior_effect, dtype=np.float64)
        if self.trade_multiplier is not None:
            effect = np.full_like(effect, float(self.trade_multiplier))
        if not self.trade_poaching:
            effect = np.ones_like(effect)
        open_ = self.trade_open(years, quota_years)
        return np.where(open_[:, None], effect[None, :], 1.0)

    @staticmethod
    def poaching(base: Array, trade: Array, exports: NDArray[np.bool_] | bool) -> Array:
        """Adult poaching rate of each candidate: ``base`` × trade where it exports.

        The no-export arm's rate is ``base`` itself (multiplier 1): the one definition.

        Parameters
        ----------
        base
            Baseline (non-trade) rate, any shape broadcasting against ``exports``.
        trade
            The exporting arm's multiplier, broadcasting against ``base``.
        exports
            The per-candidate switch.

        Examples
        --------
        >>> ExportEffects.poaching(np.array([0.02]), np.array([1.5]), np.array([True, False]))
        array([0.03, 0.02])
        """
        raised = np.clip(base * trade, 0.0, 1.0)
        return np.where(exports, raised, base)


#: No export effect at all: no trade-linked poaching, no selectivity or implementation shift.
NO_EXPORT_EFFECTS = ExportEffects(trade_poaching=False)


def achieved_culls(planned: Array, fraction: Array, selectivity: Array) -> Array:
    """Culls achieved from a plan: total × fraction × (plan share × selectivity, renormalised).

    Parameters
    ----------
    planned
        Planned numbers ``(year, pop, sex, age)``.
    fraction
        Achieved fraction of the plan, ``(draw,)`` or ``(year, draw)``.
    selectivity
        Relative selectivity ``(draw, sex, age)`` or ``(year, draw, sex, age)``.

    Returns
    -------
    numpy.ndarray
        ``(year, draw, pop, sex, age)``.

    Examples
    --------
    >>> plan = np.zeros((1, 1, 2, 3)); plan[0, 0, :, 2] = 50.0  # 50 adult females, 50 males
    >>> sel = np.ones((1, 2, 3)); sel[0, 1] = 3.0  # males three times as likely
    >>> achieved_culls(plan, np.array([0.5]), sel)[0, 0, 0, :, 2].tolist()
    [12.5, 37.5]
    """
    frac = np.asarray(fraction, dtype=np.float64)
    if frac.ndim == 1:
        frac = np.broadcast_to(frac, (planned.shape[0], frac.shape[0]))
    sel = np.asarray(selectivity, dtype=np.float64)
    if sel.ndim == 3:
        sel = np.broadcast_to(sel, (planned.shape[0], *sel.shape))
    weighted = planned[:, None] * sel[:, :, None]  # (T, D, P, 2, 3)
    wsum = weighted.sum(axis=(-2, -1), keepdims=True)
    total_plan = planned.sum(axis=(-2, -1))[:, None, :, None, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(wsum > 0, weighted / wsum, 0.0) * total_plan * frac[:, :, None, None, None]


def shift_culls(
    culls: Array, open_: NDArray[np.bool_], male_selectivity: float, implementation: float
) -> Array:
    """Culls of an exporting arm: male selectivity and implementation shifted in open years.

    Per year, draw and population the cull ``c (sex, age)`` becomes ``c × sel / Σ(c × sel) ×
    Σc × implementation`` with ``sel`` = ``male_selectivity`` for males and 1 for females —
    the same renormalisation :func:`achieved_culls` applies to planned culls, so shifting the
    achieved culls equals shifting the plan. :meth:`OperatingModel.from_posterior` applies it
    to every cull of an exporting arm — planned and realised-level alike (a realised-level
    scenario, e.g. 2025's cull repeated, was observed without export) — in open years.

    Parameters
    ----------
    culls
        ``(sex, age, year, draw, pop)`` cull numbers (sex 0 female, 1 male).
    open_
        ``(year,)`` whether trade is open.
    male_selectivity, implementation
        The two factors of :class:`~saigapop.management.arms.ExportEffects`.

    Returns
    -------
    numpy.ndarray
        Same shape as ``culls``.

    Examples
    --------
    >>> c = np.zeros((2, 1, 2, 1, 1)); c[:, 0, :, 0, 0] = 50.0  # 50 females, 50 males
    >>> out = shift_culls(c, np.array([False, True]), 3.0, 1.0)
    >>> out[:, 0, 0, 0, 0].tolist(), out[:, 0, 1, 0, 0].tolist()
    ([50.0, 50.0], [25.0, 75.0])
    """
    sel = np.ones((2, 1, 1, 1, 1))
    sel[1] = male_selectivity
    weighted = culls * sel
    total = culls.sum(axis=(0, 1), keepdims=True)
    wsum = weighted.sum(axis=(0, 1), keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        shifted = np.where(wsum > 0, weighted / wsum, 0.0) * total * implementation
    return np.where(np.asarray(open_)[None, None, :, None, None], shifted, culls)


def exporting(
    export: HarvestRule | HarvestSchedule | None,
    levels: Array,
    populations: Sequence[str],
    years: Sequence[int],
    exports: bool | Sequence[bool] | NDArray[np.bool_] | None = None,
) -> NDArray[np.bool_]:
    """Return the per-candidate switch: does candidate × population export? ``(C, pop)``.

    Default: no export rule → no; a schedule → where it removes anything from that
    population; a rule → where the candidate's level is positive (level 0 is the no-export
    arm). ``exports`` overrides it — one value, ``(candidate,)`` or ``(candidate, pop)`` —
    e.g. ``True`` for exports from stock and culls with no dedicated harvest.

    Examples
    --------
    >>> from saigapop.management.harvest import ConstantHarvest
    >>> exporting(ConstantHarvest(), np.array([[0.0, 5.0]]), ["A", "B"], [2026]).tolist()
    [[False, True]]
    """
    C, P = levels.shape
    if exports is not None:
        ex = np.asarray(exports, dtype=bool)
        if ex.ndim == 1:
            ex = ex[:, None] if ex.shape[0] == C and C != 1 else ex[None, :]
        try:
            return np.ascontiguousarray(np.broadcast_to(ex, (C, P)))
        except ValueError:
            raise ConfigError(
                f"exports must be one value, (candidate,) or (candidate, {P}); got {ex.shape}"
            ) from None
    if export is None:
        return np.zeros((C, P), dtype=bool)
    if isinstance(export, HarvestSchedule):
        any_pop = export.numbers(populations, years).sum(axis=(0, 2, 3)) > 0  # (P,)
        return np.broadcast_to(any_pop[None, :], (C, P)).copy()
    return levels > 0


def offtake_options(
    removals: pd.DataFrame,
    latest_year: int,
    plan: CullPlan | None = None,
    *,
    populations: Sequence[str] | None = None,
    horizon: int = 13,
) -> dict[str, Any]:
    """Operating-model options for the culls of both arms: THE place an offtake plan enters.

    ``SaigaData.offtake`` (an ``OfftakePlan``, selected to one scenario) plugs in here; every
    path to a quota (:func:`~saigapop.management.recommend_quota`, the Assessment, the CLI)
    calls this function, and the options it returns go unchanged to the operating model,
    the trials and the MSE, so both arms of every comparison carry the same culls.

    Parameters
    ----------
    removals
        The validated removals table; its final removals of ``latest_year`` are applied
        exactly in that model year.
    latest_year
        The fit's latest census year ``Y``.
    plan
        ``None`` (no planned culls) or a plan with ``numbers(populations, years)`` (announced
        culls, implementation error applied downstream) and optionally ``realised(populations,
        years)`` (culls stated as a realised level, applied exactly). Years ≤ ``Y`` of a plan
        are ignored: the removals table says what happened.
    populations
        Populations of the fit (needed to read ``plan``).
    horizon
        Model years projected (``Y … Y + horizon − 1``).

    Returns
    -------
    dict
        ``realised_removals`` (``(population, year, sex, age)``; with the recorded poaching
        of ``Y``, whose populations are then listed in ``poaching_off``) and, with a plan,
        ``planned_culls`` (a :class:`~saigapop.management.HarvestSchedule`).

    Examples
    --------
    >>> table = pd.DataFrame(
    ...     {"population": ["Ural"], "year": [2025], "kind": ["cull"], "status": ["final"],
    ...      "timing": ["removal"], "sex": ["male"], "age": ["adult"], "unit": ["animals"],
    ...      "value": [1000.0], "lower": [None], "upper": [None]}
    ... )
    >>> plan = HarvestSchedule.from_records([("Ural", 2026, "male", "adult", 500.0)])
    >>> opts = offtake_options(table, 2025, plan, populations=["Ural"])
    >>> sorted(opts), float(opts["planned_culls"].removals.sum())
    (['planned_culls', 'realised_removals'], 500.0)
    """
    now = realised_removals(removals, latest_year).expand_dims(year=[int(latest_year)])
    out: dict[str, Any] = {"realised_removals": now}
    # recorded poaching of year Y (an estimate of total poaching; its upper bound where only a
    # range is stated, the precautionary side) is a removal there, replacing the rate
    poached = realised_removals(removals, latest_year, kinds=("poaching",))
    poached_pops = [
        str(p) for p in poached["population"].values if float(poached.sel(population=p).sum()) > 0
    ]
    if poached_pops:
        both = sorted({*map(str, now["population"].values), *poached_pops})
        full = {"population": both, "sex": list(SEXES), "age": list(AGE_CLASSES)}
        now = now.reindex(full, fill_value=0.0) + poached.expand_dims(
            year=[int(latest_year)]
        ).reindex(full, fill_value=0.0)
        out["realised_removals"] = now.rename("realised_removals")
        out["poaching_off"] = [(p, int(latest_year)) for p in poached_pops]
    if plan is None:
        return out
    if populations is None:
        raise ConfigError("offtake_options needs the fit's populations to read a plan")
    pops = [str(p) for p in populations]
    future = list(range(int(latest_year) + 1, int(latest_year) + int(horizon)))
    coords = {"year": future, "population": pops, "sex": list(SEXES), "age": list(AGE_CLASSES)}
    announced = np.asarray(plan.numbers(pops, future), dtype=np.float64)
    out["planned_culls"] = HarvestSchedule(
        xr.DataArray(announced, dims=tuple(coords), coords=coords, name="removals"),
        label="planned culls (announced; implementation error applies)",
    )
    realised_fn = getattr(plan, "realised", None)
    if callable(realised_fn):
        later = (
            xr.DataArray(realised_fn(pops, future))
            .reindex(coords, fill_value=0.0)
            .transpose("year", "population", "sex", "age")
        )
        now = now.reindex(population=pops, sex=list(SEXES), age=list(AGE_CLASSES), fill_value=0.0)
        out["realised_removals"] = xr.concat(
            [now.transpose("year", "population", "sex", "age"), later], dim="year"
        ).rename("realised_removals")
    return out
