"""Risk criteria judged against the paired no-export baseline (DESIGN §5).

Each criterion is a frozen object whose :meth:`Criterion.evaluate` takes a projection
(dims ``candidate, draw, population, year``) and the paired baseline (same draws, same
culls, same random numbers, no export; dims ``draw, population, year``) and returns an
``xarray.Dataset`` over ``(candidate, population)``:

``risk``, ``baseline_risk``, ``added_risk``
    Absolute probabilities with and without the export and their difference — always
    reported, so neither a catastrophe nor a reduction cull can hide the export's effect.
``decision_risk``
    The probability compared with the criterion's limit (the added risk for
    :class:`AbundanceRisk`; the probability of an export-caused failure for the paired
    criteria; the absolute risk for :class:`GrowthRate`).
``risk_mcse``, ``added_risk_mcse``, ``decision_mcse``
    Monte Carlo standard errors from the effective sample size over chains.
``passes``
    ``decision_risk <= limit``.
``fail``
    Per draw, ``(candidate, draw, population)``: does the export cause a failure in this
    draw? Used by the quota solver's P* buffer and by the triggers.

Defaults and why (``docs/management.md`` argues them at length):

* :class:`AbundanceRisk`: the export may add at most **1 percentage point** to the
  probability that true abundance falls below a fixed limit in any census of the quota
  years and the ten years after.
* :class:`SexRatioRisk`: the adult sex ratio at every rut stays at or above **90 %** of the
  no-export ratio, and — where the ratio is prior-driven — the export does not take below
  an absolute floor of **0.2 breeding males per breeding female** a draw whose no-export
  ratio stays above it (added risk against the paired baseline); allowed probability of
  failure 5 %.
* :class:`ConceptionRisk`: the export reduces conception (mate shortage) by at most
  **2 %** at every rut, with at least **95 %** probability.
* :class:`GrowthRate`: λ ≥ 1 — for deterministic checks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from saigapop.exceptions import ConfigError
from saigapop.locale import N_
from saigapop.locale.messages import Term
from saigapop.management._mc import mcse_mean

__all__ = [
    "CRITERION_WORDS",
    "DEFAULT_ABUNDANCE_LIMITS",
    "AbundanceRisk",
    "ConceptionRisk",
    "Criterion",
    "GrowthRate",
    "SexRatioRisk",
    "criterion_term",
    "default_criteria",
    "summarise",
]

#: Default fixed abundance limits (true spring abundance, all ages ≥ ~11 months): each
#: population's 2019 spring count, the first count by population after the 2015
#: pasteurellosis die-off at which the recovery was established (111,500 Betpakdala,
#: 217,000 Ural, 5,900 Ustyurt; en.inform.kz, June 2019). Fixed numbers, not fractions of
#: the latest count: falling back to that level would undo six years of recovery.
DEFAULT_ABUNDANCE_LIMITS: Mapping[str, float] = {
    "Betpakdala": 111_500.0,
    "Ural": 217_000.0,
    "Ustyurt": 5_900.0,
}
#: Plain words for the criteria of :func:`default_criteria`, by criterion name.
CRITERION_WORDS: Mapping[str, str] = {
    "abundance": N_("abundance below its limit"),
    "sex_ratio": N_("adult sex ratio"),
    "conception": N_("conception loss from mate shortage"),
    "growth": N_("growth rate"),
    "growth_rate": N_("growth rate"),
    "p_star": N_("P* buffer"),
    "collapse": N_("collapse"),
}


def criterion_term(name: str) -> Term:
    """Return a criterion's name as a translatable :class:`~saigapop.locale.messages.Term`.

    A criterion of :data:`CRITERION_WORDS` is named in words; another (a user's own) by its
    name with underscores as spaces.

    Examples
    --------
    >>> str(criterion_term("sex_ratio")), str(criterion_term("my_rule"))
    ('adult sex ratio', 'my rule')
    """
    return Term(CRITERION_WORDS.get(name, name.replace("_", " ")))


DEFAULT_ABUNDANCE_JUSTIFICATION = (
    "2019 spring counts (ACBK + Okhotzooprom), the first by-population counts after the "
    "2015 die-off once recovery was under way; see docs/management.md"
)


def _years(ds: xr.Dataset, years: tuple[int, int] | None, start: int) -> slice:
    """Census years assessed, as a label slice (a view, not a copy)."""
    lo, hi = years if years is not None else (start, int(ds["year"].values[-1]))
    return slice(lo, hi)


def _rut_years(ds: xr.Dataset, years: tuple[int, int] | None, start: int) -> slice:
    """Model (rut) years: every year but the last census year, which has no flows."""
    span = _years(ds, years, start)
    return slice(span.start, min(span.stop, int(ds["year"].values[-1]) - 1))


def _np(da: xr.DataArray, dims: Sequence[str], years: slice | None = None) -> NDArray:
    """Return ``da.sel(year=years).transpose(*dims).values``, a numpy view.

    Without xarray's per-call overhead: criteria run once per projected chunk, on worker
    threads (a sorted year coordinate, as projections have; otherwise xarray itself).
    """
    if years is not None:
        y = da["year"].values
        if y.size > 1 and not bool(np.all(y[1:] > y[:-1])):  # not sorted: xarray's rules
            return da.sel(year=years).transpose(*dims).values
        lo = 0 if years.start is None else int(np.searchsorted(y, years.start, "left"))
        hi = y.size if years.stop is None else int(np.searchsorted(y, years.stop, "right"))
        da_dims = list(da.dims)
        arr = da.values[(slice(None),) * da_dims.index("year") + (slice(lo, hi),)]
    else:
        da_dims, arr = list(da.dims), da.values
    return np.transpose(arr, [da_dims.index(d) for d in dims])


def summarise(
    indicators: Sequence[tuple[NDArray, NDArray, NDArray, str]],
    chain: NDArray[np.int64],
    *,
    mc_errors: bool = True,
) -> dict[str, NDArray[np.float64]]:
    """Risks and Monte Carlo errors of several criteria at once (one batched MC error call).

    Parameters
    ----------
    indicators
        Per criterion ``(exp (c, D, P), base (D, P) or (c, D, P), fail (c, D, P), basis)``
        as returned by :meth:`Criterion.indicators`, with the criterion's ``basis``.
    chain
        Chain index of each draw.
    mc_errors
        ``False``: skip the Monte Carlo errors (NaN) where only the risks are wanted.

    Returns
    -------
    dict
        ``risk``, ``baseline_risk``, ``added_risk``, ``decision_risk``, ``risk_mcse``,
        ``added_risk_mcse``, ``decision_mcse``; each ``(criterion, candidate, population)``.

    Notes
    -----
    A risk is the mean of a 0/1 indicator (a paired difference: of -1/0/1), so it is the
    count over the number of draws — exactly the floating-point mean. The MC errors of
    every criterion's export, paired-difference and decision series go to
    :func:`~saigapop.management._mc.mcse_mean` in one call (as small integers), which
    computes each distinct series once.

    Examples
    --------
    >>> exp = np.array([[[True], [False], [True], [False]]])  # 1 candidate, 4 draws, 1 pop
    >>> base = np.array([[False], [False], [True], [False]])
    >>> out = summarise([(exp, base, exp & ~base, "added")], np.zeros(4, int))
    >>> float(out["risk"][0, 0, 0]), float(out["added_risk"][0, 0, 0])
    (0.5, 0.25)
    """
    first = np.asarray(indicators[0][0])
    c, n_draw, n_pop = first.shape
    # per criterion: export, paired difference, decision series as int8, (c, P, draw) rows
    stacked = np.empty((len(indicators), 3, c, n_pop, n_draw), dtype=np.int8)
    for k, (exp_k, base_k, fail_k, basis) in enumerate(indicators):
        exp_k = np.asarray(exp_k, dtype=bool)
        base_k = np.broadcast_to(np.asarray(base_k, dtype=bool), exp_k.shape)
        e8, d8, dec8 = stacked[k]
        np.copyto(e8, np.moveaxis(exp_k, 1, -1))
        np.subtract(e8, np.moveaxis(base_k, 1, -1), out=d8, dtype=np.int8)
        if basis == "added":
            np.copyto(dec8, d8)
        elif basis == "absolute":
            np.copyto(dec8, e8)
        else:
            np.copyto(dec8, np.moveaxis(np.asarray(fail_k, dtype=bool), 1, -1))
    n = stacked.shape[-1]
    counts = stacked.sum(axis=-1, dtype=np.int64)  # exact: the float mean is count / n
    risk = counts[:, 0] / n
    added = counts[:, 1] / n
    out = {
        "risk": risk,
        "baseline_risk": (counts[:, 0] - counts[:, 1]) / n,
        "added_risk": added,
        "decision_risk": counts[:, 2] / n,
    }
    # (k, 3, c, P): one batched call over every criterion x series x candidate x population
    mc = mcse_mean(stacked, chain) if mc_errors else np.full(stacked.shape[:-1], np.nan)
    out.update(risk_mcse=mc[:, 0], added_risk_mcse=mc[:, 1], decision_mcse=mc[:, 2])
    return out


@dataclass(frozen=True)
class Criterion:
    """Base class: a named risk criterion with a probability limit.

    Subclasses implement :meth:`indicators` (numpy, per draw); :meth:`evaluate` turns them
    into risks with Monte Carlo errors.
    """

    name: ClassVar[str] = "criterion"
    #: what ``decision_risk`` is: "added" (export minus baseline), "paired" (probability of
    #: an export-caused failure) or "absolute"
    basis: ClassVar[str] = "paired"

    @property
    def limit(self) -> float:
        """The largest allowed ``decision_risk``."""
        raise NotImplementedError

    def describe(self) -> str:
        """One line for tables and reports."""
        raise NotImplementedError

    def indicators(
        self, projection: xr.Dataset, baseline: xr.Dataset
    ) -> tuple[NDArray[np.bool_], NDArray[np.bool_], NDArray[np.bool_]]:
        """Per-draw indicators ``(event with export, event at baseline, export-caused fail)``.

        Shapes ``(candidate, draw, population)``, ``(draw, population)`` and
        ``(candidate, draw, population)``.
        """
        raise NotImplementedError

    def evaluate(self, projection: xr.Dataset, baseline: xr.Dataset) -> xr.Dataset:
        """Risks of the projection against the paired baseline.

        Parameters
        ----------
        projection
            From :meth:`OperatingModel.project` / ``iter_projections`` (dims
            ``candidate, draw, population, year``).
        baseline
            The paired no-export projection (dims ``draw, population, year``).

        Returns
        -------
        xarray.Dataset
            Over ``(candidate, population)`` — see the module docstring.
        """
        if "candidate" not in projection.dims:
            projection = projection.expand_dims("candidate")
        exp, base, fail = self.indicators(projection, baseline)
        chain = (
            projection["chain"].values
            if "chain" in projection.coords
            else np.zeros(exp.shape[1], int)
        )
        stats = summarise([(exp, base, fail, self.basis)], chain)
        dims = ("candidate", "population")
        coords = {
            k: v for k, v in projection.coords.items() if set(v.dims) <= {"candidate", "population"}
        }
        ds = xr.Dataset(
            {name: (dims, value[0]) for name, value in stats.items()},
            coords=coords,
        )
        ds["passes"] = ds["decision_risk"] <= self.limit
        ds["fail"] = (("candidate", "draw", "population"), fail)
        ds.attrs.update(
            name=self.name, limit=self.limit, basis=self.basis, description=self.describe()
        )
        return ds


@dataclass(frozen=True)
class AbundanceRisk(Criterion):
    """The export adds at most ``max_added_risk`` to P(true abundance < limit).

    The event is "true census abundance below the population's fixed limit in any census
    of the assessment years" (default: every census after ``Y``, i.e. the quota years and
    the ten or more years after).

    Parameters
    ----------
    limits
        Fixed limit per population (mapping) or one number for all.
    max_added_risk
        Allowed added probability (default 0.01: one percentage point).
    years
        ``(first, last)`` census years assessed; default all after the start year.
    justification
        Why these limits (printed in reports).

    Examples
    --------
    >>> crit = AbundanceRisk(limits={"Ural": 217_000.0})
    >>> crit.limit, crit.for_population("Ural")
    (0.01, 217000.0)
    """

    limits: Mapping[str, float] | float = field(
        default_factory=lambda: dict(DEFAULT_ABUNDANCE_LIMITS)
    )
    max_added_risk: float = 0.01
    years: tuple[int, int] | None = None
    justification: str = DEFAULT_ABUNDANCE_JUSTIFICATION
    name: ClassVar[str] = "abundance"
    basis: ClassVar[str] = "added"

    def __post_init__(self) -> None:
        if not 0 <= self.max_added_risk <= 1:
            raise ConfigError(f"max_added_risk must lie in [0, 1], got {self.max_added_risk}")

    @property
    def limit(self) -> float:
        """Allowed added risk."""
        return self.max_added_risk

    def for_population(self, population: str) -> float:
        """Return the fixed abundance limit of one population."""
        if isinstance(self.limits, Mapping):
            if population not in self.limits:
                raise ConfigError(
                    f"no abundance limit for population {population!r}; give one in "
                    f"AbundanceRisk(limits=...) with its justification"
                )
            return float(self.limits[population])
        return float(self.limits)

    def describe(self) -> str:
        """One line."""
        return (
            f"export adds ≤ {100 * self.max_added_risk:g} pp to P(true abundance < fixed limit "
            f"in any census)"
        )

    def indicators(self, projection, baseline):
        """Below the limit in any assessed census, with and without export."""
        pops = [str(p) for p in projection["population"].values]
        lim = np.array([self.for_population(p) for p in pops])
        start = int(projection.attrs.get("start_year", projection["year"].values[0])) + 1
        yrs = _years(projection, self.years, start)
        tot = _np(projection["total"], ("year", "candidate", "draw", "population"), yrs)
        btot = _np(baseline["total"], ("year", "draw", "population"), yrs)
        exp = (tot < lim).any(axis=0)
        base = (btot < lim).any(axis=0)
        return exp, base, exp & ~base[None]


@dataclass(frozen=True)
class SexRatioRisk(Criterion):
    """Adult sex ratio at every rut ≥ ``min_relative`` × the no-export ratio (+ a floor).

    The ratio is breeding males per breeding female at the rut (the mating function's
    argument). A draw *fails* if, at any rut of the assessment years, the export ratio is
    below ``min_relative`` times the paired baseline ratio, or — where the sex ratio is
    prior-driven — the export takes it below ``floor`` at some rut while the paired
    no-export ratio stays above the floor at every rut (the floor as *added* risk: its
    share of failures is ``P(below | export) − P(below | no export)``). The absolute
    probabilities of going below the floor with and without export are ``risk`` and
    ``baseline_risk``.

    Parameters
    ----------
    min_relative
        Default 0.9 (90 % of the no-export ratio).
    floor
        Absolute floor (breeding males per breeding female), default 0.2.
    prior_driven
        Whether the sex ratio is prior-driven (True by default: aerial counts do not see
        it), per population (mapping) or for all.
    max_risk
        Allowed probability of failure (default 0.05).
    years
        ``(first, last)`` rut (model) years; default from the first quota year.

    Examples
    --------
    >>> crit = SexRatioRisk()
    >>> crit.min_relative, crit.floor, crit.limit
    (0.9, 0.2, 0.05)
    """

    min_relative: float = 0.9
    floor: float = 0.2
    prior_driven: bool | Mapping[str, bool] = True
    max_risk: float = 0.05
    years: tuple[int, int] | None = None
    name: ClassVar[str] = "sex_ratio"

    @property
    def limit(self) -> float:
        """Allowed probability of failure."""
        return self.max_risk

    def describe(self) -> str:
        """One line."""
        return (
            f"adult sex ratio ≥ {100 * self.min_relative:g} % of no-export at every rut "
            f"(floor {self.floor:g} males/female where prior-driven), "
            f"P(fail) ≤ {100 * self.max_risk:g} %"
        )

    def indicators(self, projection, baseline):
        """Relative drop or floor crossing at any rut."""
        pops = [str(p) for p in projection["population"].values]
        if isinstance(self.prior_driven, Mapping):
            pd_ = np.array([bool(self.prior_driven.get(p, True)) for p in pops])
        else:
            pd_ = np.full(len(pops), bool(self.prior_driven))
        q = projection.attrs.get("quota_years") or [int(projection["year"].values[1])]
        yrs = _rut_years(projection, self.years, int(min(q)))
        r = _np(projection["ratio"], ("year", "candidate", "draw", "population"), yrs)
        rb = _np(baseline["ratio"], ("year", "draw", "population"), yrs)[:, None]
        rel = (r < self.min_relative * rb).any(axis=0)
        exp = (r < self.floor).any(axis=0)  # below the floor at some rut, with export
        base = (rb[:, 0] < self.floor).any(axis=0)  # ... and without (same draw, CRN)
        # the floor as *added* risk against the paired baseline: a draw fails it when the
        # export takes it below the floor and the no-export world never goes there, so
        # P(floor failure) = P(below with export) − P(below without) exactly (male-only
        # harvest only lowers the ratio). Draws whose no-export ratio already dips below the
        # floor — a cull, a dzhut, or a prior that puts the ratio near it — are judged by
        # the relative test, not charged to the export.
        floor_fail = exp & ~base[None] & pd_
        return exp, base, rel | floor_fail


@dataclass(frozen=True)
class ConceptionRisk(Criterion):
    """Conception loss caused by the export ≤ ``max_loss`` at every rut, w.p. ≥ ``probability``.

    The export-caused loss at a rut is ``1 − P_export / P_baseline`` (conception with the
    export over conception in the paired baseline), so a loss the baseline already has —
    from culls or a die-off — is not charged to the export. The absolute mate-shortage
    loss ``1 − P`` is reported as ``risk``/``baseline_risk`` (P(loss > max_loss) at any rut).

    Examples
    --------
    >>> ConceptionRisk().limit
    0.05
    """

    max_loss: float = 0.02
    probability: float = 0.95
    years: tuple[int, int] | None = None
    name: ClassVar[str] = "conception"

    @property
    def limit(self) -> float:
        """Allowed probability that the loss exceeds ``max_loss``."""
        return round(1.0 - self.probability, 12)

    def describe(self) -> str:
        """One line."""
        return (
            f"export-caused conception loss ≤ {100 * self.max_loss:g} % at every rut "
            f"with ≥ {100 * self.probability:g} % probability"
        )

    def indicators(self, projection, baseline):
        """Loss above ``max_loss`` at any rut."""
        q = projection.attrs.get("quota_years") or [int(projection["year"].values[1])]
        yrs = _rut_years(projection, self.years, int(min(q)))
        c = _np(projection["conception"], ("year", "candidate", "draw", "population"), yrs)
        cb = _np(baseline["conception"], ("year", "draw", "population"), yrs)[:, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            loss = 1.0 - c / cb
        if not (cb > 0).all():  # no baseline conception: no loss charged to the export
            loss = np.where(cb > 0, loss, 0.0)
        fail = (loss > self.max_loss).any(axis=0)
        exp = ((1.0 - c) > self.max_loss).any(axis=0)
        base = ((1.0 - cb[:, 0]) > self.max_loss).any(axis=0)
        return exp, base, fail


@dataclass(frozen=True)
class GrowthRate(Criterion):
    """Growth rate λ over the last ``last_years`` censuses ≥ ``min_lambda`` (absolute).

    ``λ̂ = (N_T / N_{T-k})^{1/k}`` on true census totals. Meant for deterministic checks
    (one draw, no noise) where the decision is simply λ̂ ≥ ``min_lambda``.

    Examples
    --------
    >>> GrowthRate().limit
    0.5
    """

    min_lambda: float = 1.0
    last_years: int = 5
    max_risk: float = 0.5
    name: ClassVar[str] = "growth_rate"
    basis: ClassVar[str] = "absolute"

    @property
    def limit(self) -> float:
        """Allowed probability that λ̂ < ``min_lambda``."""
        return self.max_risk

    def describe(self) -> str:
        """One line."""
        return f"λ over the last {self.last_years} years ≥ {self.min_lambda:g}"

    def growth(self, total: NDArray) -> NDArray:
        """λ̂ from totals with the year on the last axis."""
        k = self.last_years
        with np.errstate(divide="ignore", invalid="ignore"):
            return (total[..., -1] / total[..., -1 - k]) ** (1.0 / k)

    def indicators(self, projection, baseline):
        """λ̂ below the minimum."""
        tot = _np(projection["total"], ("candidate", "draw", "population", "year"))
        btot = _np(baseline["total"], ("draw", "population", "year"))
        exp = ~(self.growth(tot) >= self.min_lambda)
        base = ~(self.growth(btot) >= self.min_lambda)
        return exp, base, exp


def default_criteria(
    limits: Mapping[str, float] | None = None,
    *,
    prior_driven: bool | Mapping[str, bool] = True,
) -> tuple[Criterion, ...]:
    """Return the three default criteria of DESIGN §5 (abundance, sex ratio, conception).

    Parameters
    ----------
    limits
        Fixed abundance limits per population (default :data:`DEFAULT_ABUNDANCE_LIMITS`).
    prior_driven
        Whether the adult sex ratio is prior-driven (switches on the absolute floor).

    Returns
    -------
    tuple of Criterion

    Examples
    --------
    >>> [c.name for c in default_criteria()]
    ['abundance', 'sex_ratio', 'conception']
    """
    abundance = AbundanceRisk() if limits is None else AbundanceRisk(limits=dict(limits))
    return (abundance, SexRatioRisk(prior_driven=prior_driven), ConceptionRisk())
