r"""The operating model: vectorised forward simulation from posterior draws.

One :class:`OperatingModel` holds, as numpy arrays, everything a projection needs for every
posterior draw and population — the census state at the latest census year ``Y``, vital
rates, density dependence, the mating function, and *all random numbers* (process noise,
catastrophe occurrence and intensity, observation error) drawn once at construction with
shapes that do not depend on the harvest. Projecting any number of candidate harvests
therefore uses common random numbers (CRN): the paired no-export baseline and every
candidate see the same draws, the same winters and the same die-offs.

The annual cycle is :func:`saigapop.demography.kernel.step` (DESIGN §2) — calving →
removals → rut → winter — the one kernel also used by :func:`saigapop.demography.project`
and the PyMC model, run here on separate class arrays of shape
``(candidate, draw, population)``; ``tests/management/test_management_operating_model.py``
checks the projection against :func:`saigapop.demography.project` year by year.

Model year *t* (census *t* → census *t + 1*):

1. **Calving** (May): births ``B = P_{t-1} D(N_t) Σ_a N_{f,a} φ_a (1 + τ_a)`` with ``P`` the
   previous rut's conception and ``D`` the density factor on fecundity; half are female.
   A **pasteurellosis** event (probability ``catastrophe_rate[pasteurellosis]`` per
   population-year, rate pooled across populations) kills ``1 − (1 − severity)^u`` of each
   sex × age class, ``u ~ U(0.5, 1.5)`` the event's intensity (``u = 1``: the posterior
   severity; never all of a class while the severity is below 1) — mostly females and calves.
2. **Removals** (Jul–Nov): the export harvest (a :class:`~saigapop.management.HarvestRule`
   in the quota years, plus a wounding loss: animals shot and not retrieved), the planned
   reduction culls after implementation error (achieved fraction of plan, selectivity that
   tilts the take towards males), realised removals already known (the year-``Y`` cull,
   applied exactly) and poaching (a rate on adults by sex; in an *exporting* candidate
   raised by the trade effect in the years trade is open). Poaching is taken first, as a
   rate (as in the PyMC model, whose posterior rate it is); the numeric requests are then
   summed per class and capped at what the poachers left, each source scaled alike where a
   class runs out.
3. **Rut** (December): breeding males ``M`` = adult males (+ a weight × yearling males),
   breeding females ``F`` = female calves + yearlings + adults; conception ``P = g(M/F)``,
   the fitted mating function (:mod:`saigapop.demography.mating`; default the normalised
   Hill form, 1 at the sex ratio of Kühl et al.'s fecundity; the exponential
   ``1 − exp(−h M/F)`` in its robustness trial).
4. **Winter**: survival by sex × age times a population-year process-noise factor
   ``exp(ε)`` (the model's form; ``logit`` optional); a **dzhut** event multiplies
   survival by ``(1 − severity)^u`` — mostly calves and post-rut adult males.

**The two arms** (:mod:`saigapop.management.arms`): every candidate carries the same cull
plan and baseline poaching; a per-candidate switch (:func:`~saigapop.management.arms.exporting`:
a positive level, or given) decides whether it also carries the export's effects — the
dedicated harvest, trade-linked poaching and any export-driven change of cull selectivity or
implementation. :meth:`OperatingModel.baseline` projects with the switch off: the one
no-export arm of the quota solver, the trials and the MSE.

Risks are always on *true* abundance; the observation model (catchability, lognormal CV) is
used only to translate trigger levels into expected counts.

Over ~600 lines because :meth:`OperatingModel.from_posterior` turns every posterior variable
and trial switch into the model's arrays and random numbers in one place; the cycle itself is
the kernel's.
"""

from __future__ import annotations

import dataclasses
import threading
import warnings
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal, TypeVar

import numpy as np
import xarray as xr
from numpy.typing import NDArray
from scipy.special import expit, logit
from tqdm.auto import tqdm

from saigapop.constants import (
    AGE_CLASSES,
    CENSUS_AGE_CLASSES,
    DEFAULT_MATING_FORM,
    DEFAULT_MATING_HALF_SHARE,
    DEFAULT_MATING_REFERENCE_RATIO,
    DEFAULT_MATING_STEEPNESS,
    SEXES,
)
from saigapop.demography import kernel
from saigapop.demography._xp import NUMPY_OPS
from saigapop.demography.density import DENSITY_FORMS
from saigapop.demography.mating import MATING_FORMS
from saigapop.exceptions import ConfigError
from saigapop.management._contract import validate_posterior
from saigapop.management._mc import WORKERS
from saigapop.management.arms import (
    CullPlan,
    ExportEffects,
    achieved_culls,
    exporting,
    shift_culls,
)
from saigapop.management.convergence import (  # re-exported from here
    ConvergenceWarning,
    convergence_check,
)
from saigapop.management.harvest import (
    HarvestRule,
    HarvestSchedule,
    ThresholdHarvest,
)

__all__ = ["ConvergenceWarning", "OperatingModel", "Record", "convergence_check"]


Array = NDArray[np.float64]
Record = Literal["summary", "full"]

#: Sources of removals in a full projection.
SOURCES: tuple[str, ...] = ("export", "wounding", "cull", "poaching")
#: Default wounding loss: animals killed but not retrieved per animal exported. An
#: assumption (no saiga figure found); struck-and-lost rates in ungulate culls are commonly
#: put at 5–15 %, and the upper half is taken here to be precautionary.
DEFAULT_WOUNDING: float = 0.10
#: Default number of projection years after the latest census (quota years Y+1…Y+3 plus
#: ten further years, DESIGN §5).
DEFAULT_HORIZON: int = 13
#: Default number of quota years.
QUOTA_YEARS: int = 3
#: Threads of :meth:`OperatingModel.map_projections` (risk curves, the quota solver):
#: :data:`saigapop.management._mc.WORKERS`, the cores this process may use, at most 4. No
#: result depends on it.
PROJECTION_WORKERS: int = WORKERS

T_ = TypeVar("T_")


def _log(x: Array) -> Array:
    """:data:`~saigapop.demography._xp.NUMPY_OPS` ``log`` in one pass where ``x ≥ 0``.

    ``np.log`` gives the same ``log(x)`` for ``x > 0`` and ``-inf`` for ``0``; only a
    negative or NaN entry (never a rut ratio) needs the reference's ``-inf`` fill.
    """
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.log(x)
    return out if (x >= 0).all() else NUMPY_OPS.log(x)


def _ratio(m: Array, f: Array) -> Array:
    """:data:`~saigapop.demography._xp.NUMPY_OPS` ``ratio`` in one pass where every ``f > 0``."""
    m = np.asarray(m, dtype=np.float64)
    f = np.asarray(f, dtype=np.float64)
    if not (f > 0).all():  # no females somewhere: the reference's inf / 0 convention
        return NUMPY_OPS.ratio(m, f)
    return m / f


#: The kernel's numpy operations with one-pass ``log`` and ``ratio`` for the common case
#: (same numbers as :data:`~saigapop.demography._xp.NUMPY_OPS`; tested element by element).
_OPS = dataclasses.replace(NUMPY_OPS, log=_log, ratio=_ratio)
#: Per operating model, the no-export arm's leading years shared by every candidate
#: (:meth:`OperatingModel._shared_prefix`); dropped with the model.
_PREFIX_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_PREFIX_LOCK = threading.Lock()


@dataclass(frozen=True, eq=False, kw_only=True)
class OperatingModel:
    """Posterior draws, vital rates and common random numbers for projections.

    Build it with :meth:`from_posterior`; project with :meth:`project` (full state as an
    ``xarray.Dataset``) or :meth:`iter_projections` (chunks over candidates, as the quota
    solver does). Every array is read-only.

    Attributes
    ----------
    populations
        Population names (order of the ``population`` axis).
    start_year
        Latest census year ``Y``; the projection starts from its census.
    horizon
        Number of model years projected (census ``Y+1 … Y+horizon``).
    quota_years
        Model years whose removal season carries the export harvest (``Y+1 … Y+3``).
    trade_years
        Model years in which poaching is raised by the trade effect in an exporting arm.
    """

    populations: tuple[str, ...]
    start_year: int
    horizon: int
    quota_years: tuple[int, ...]
    trade_years: tuple[int, ...]
    chain: NDArray[np.int64]
    n0: Array  # (draw, pop, sex, census age)
    conception0: Array  # (draw, pop)
    births_per_female: Array  # (draw, 1, census age) -> fec * (1 + twin)
    birth_sex_ratio: float
    harem_size: Array  # (draw, 1)
    mating_form: str
    mating_half_share: Array  # (draw, 1)
    mating_steepness: Array  # (draw, 1)
    mating_reference_ratio: Array  # (draw, 1)
    yearling_male_weight: Array  # (draw, 1)
    density_form: str
    carrying_capacity: Array  # (draw, pop)
    density_strength: Array  # (draw, 1)
    mean_survival: Array  # (draw, pop, sex, age) posterior survival, no noise
    survival: Array  # (sex, age, year, draw, pop) realised (noise, dzhut)
    calving_survival: Array  # (sex, age, year, draw, pop) 1 - pasteurellosis kill
    events: Array  # (catastrophe, year, draw, pop) bool
    calving_kill_fraction: Array  # (year, draw, pop) share of the post-birth population killed
    poaching: Array  # (sex, year, draw, pop) baseline (non-trade) adult poaching rate
    trade: Array  # (year, draw) poaching multiplier of an exporting arm (1: trade shut)
    culls: Array  # (sex, age, year, draw, pop) achieved cull numbers (incl. realised)
    culls_export: Array | None  # as culls, in an exporting arm; None: the same as culls
    planned_culls: Array  # (year, pop, sex, age) numbers planned
    wounding: float
    obs_cv: Array  # (draw, 1)
    catchability: Array  # (draw, pop)
    obs_noise: Array  # (year incl. start, draw, pop) standard normal
    settings: Mapping[str, object]

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_posterior(
        cls,
        posterior: xr.DataTree | xr.Dataset,
        *,
        horizon: int = DEFAULT_HORIZON,
        n_draws: int | None = None,
        seed: int = 0,
        start_year: int | None = None,
        quota_years: int | Sequence[int] = QUOTA_YEARS,
        realised_removals: xr.DataArray | None = None,
        planned_culls: CullPlan | None = None,
        wounding: float = DEFAULT_WOUNDING,
        density_form: str | None = None,
        mating_form: str | None = None,
        mating_half_share: float | None = None,
        mating_steepness: float | None = None,
        mating_reference_ratio: float | None = None,
        yearling_male_weight: float | None = None,
        process_noise: bool = True,
        catastrophes: bool = True,
        catastrophe_rate_multiplier: float = 1.0,
        poaching: bool = True,
        poaching_multiplier: float = 1.0,
        trade_effect: bool = True,
        export_effects: ExportEffects | None = None,
        poaching_off: Sequence[tuple[str, int]] = (),
        implementation_error: bool = True,
        implementation_multiplier: float = 1.0,
        populations: Sequence[str] | None = None,
        process_noise_scale: str | None = None,
        survival_multiplier: Mapping[tuple[str, str], float] | None = None,
    ) -> OperatingModel:
        """Build the operating model from a posterior meeting the management contract.

        Parameters
        ----------
        posterior
            Fitted ``DataTree`` (or its ``posterior`` Dataset); see
            :data:`saigapop.management._contract.POSTERIOR_VARIABLES`.
        horizon
            Model years to project after the latest census (default 13: three quota years
            plus ten further years).
        n_draws
            Use this many posterior draws, evenly spaced over chain × draw (default all).
        seed
            Seed of all random numbers (same seed → identical projections).
        start_year
            Latest census year ``Y`` (default: the last year of ``N``).
        quota_years
            Number of quota years after ``Y`` (default 3) or the explicit model years.
        realised_removals
            Removals already realised after the census of ``Y`` (the 2025 cull), dims
            ``(population, sex, age)`` (applied exactly in model year ``Y``) or with a
            ``year`` dim. Never subject to implementation error.
        planned_culls
            Planned reduction culls (numbers) by population × year × sex × age — a
            :class:`HarvestSchedule` or any plan with ``numbers(populations, years)`` —
            applied after implementation error, on top of the export harvest, in both arms.
        poaching_off
            ``(population, year)`` pairs whose poaching is a recorded estimate, included in
            ``realised_removals``: the rate-based poaching is off there (as in the fit,
            :mod:`saigapop.model.inputs`), so poaching is not counted twice.
        wounding
            Animals killed and not retrieved per exported animal (default
            :data:`DEFAULT_WOUNDING`).
        density_form
            Overrides ``posterior.attrs["density_form"]`` (``"none"``, ``"beverton_holt"``,
            ``"ricker"``, ``"theta_logistic"``).
        mating_form
            Overrides the fitted form ``posterior.attrs["mating_form"]`` (set by
            :func:`saigapop.model.schema.read_posterior`: ``"normalised_hill"`` when the fit
            carries the mating parameters, ``"exponential"`` with ``harem_size`` for a fit
            made before them); see :func:`saigapop.demography.conception_probability`.
        mating_half_share, mating_steepness, mating_reference_ratio, yearling_male_weight
            Override the fitted draws with one value (``None``: the posterior's
            ``mating_*`` draws, or for a fit without them the defaults of
            :mod:`saigapop.constants` and yearling weight 0, as such fits were made).
        process_noise, catastrophes, poaching, trade_effect, implementation_error
            Switch a stochastic or human component off (deterministic checks, trials);
            ``trade_effect=False`` is ``export_effects.trade_poaching=False``.
        export_effects
            What exporting changes (:class:`~saigapop.management.arms.ExportEffects`;
            default: trade-linked poaching at the posterior ``poaching_trade_effect`` in the
            quota years, no shift of cull selectivity or implementation).
        catastrophe_rate_multiplier, poaching_multiplier, implementation_multiplier
            Scale the posterior catastrophe rate, poaching rate or achieved fraction of
            planned culls (robustness trials).
        populations
            Subset (and order) of populations.
        process_noise_scale
            ``"log"`` (default, the model's form: survival × exp(ε), ε ~ N(0, σ) per
            population-year, which may exceed 1 — movement and detection drift) or
            ``"logit"`` (bounded: logit S + ε). Default from the posterior attrs.
        survival_multiplier
            ``{(sex, age): factor}`` applied to posterior survival (robustness trials, e.g.
            low adult-male survival).

        Returns
        -------
        OperatingModel

        Examples
        --------
        >>> from saigapop.testing import synthetic_posterior
        >>> om = OperatingModel.from_posterior(synthetic_posterior(chains=1, draws=8), seed=1)
        >>> om.n_draws, om.populations, om.quota_years
        (8, ('Betpakdala', 'Ural', 'Ustyurt'), (2026, 2027, 2028))
        """
        ds = validate_posterior(posterior)
        convergence = convergence_check(ds)
        if not convergence["converged"]:
            warnings.warn(str(convergence["note"]), ConvergenceWarning, stacklevel=2)
        if populations is not None:
            ds = ds.sel(population=list(populations))
        pops = tuple(str(p) for p in ds["population"].values)
        stacked = ds.stack(sample=("chain", "draw"))
        n_total = stacked.sizes["sample"]
        if n_draws is not None:
            if n_draws < 1 or n_draws > n_total:
                raise ConfigError(f"n_draws must lie in [1, {n_total}], got {n_draws}")
            idx = np.unique(np.linspace(0, n_total - 1, n_draws).round().astype(int))
            stacked = stacked.isel(sample=idx)
        chain = np.asarray(stacked["chain"].values, dtype=np.int64)
        years_n = ds["N"]["year"].values
        y0 = int(years_n.max()) if start_year is None else int(start_year)
        if y0 not in years_n:
            raise ConfigError(
                f"start_year {y0} is not a year of N ({years_n.min()}–{years_n.max()})"
            )
        if horizon < 1:
            raise ConfigError(f"horizon must be ≥ 1, got {horizon}")
        years = np.arange(y0, y0 + horizon)  # model years
        if isinstance(quota_years, int):
            q_years = tuple(range(y0 + 1, y0 + 1 + quota_years))
        else:
            q_years = tuple(int(y) for y in quota_years)
        q_years = tuple(y for y in q_years if y in set(years.tolist()))  # within the horizon

        def arr(name: str, *dims: str) -> Array:
            da = stacked[name]
            if "age" in dims and "age" in da.dims:
                ages = CENSUS_AGE_CLASSES if name in ("N", "fecundity", "twinning") else AGE_CLASSES
                da = da.sel(age=list(ages))
            for d in dims:
                if d not in da.dims:
                    da = da.expand_dims({d: ds.sizes.get(d, 1)})
            out = np.ascontiguousarray(da.transpose("sample", *dims).values, dtype=np.float64)
            return out[:, None] if not dims else out  # scalars as (draw, 1)

        D, P, T = len(chain), len(pops), horizon
        n0 = arr("N", "population", "year", "sex", "age")[:, :, list(years_n).index(y0)]
        n0 = n0.reshape(D, P, 2, 2)
        conc_da = stacked["conception_probability"]
        if "year" in conc_da.dims:  # the rut of model year Y-1 feeds calving in year Y
            before = conc_da["year"].values[conc_da["year"].values < y0]
            if before.size == 0:
                raise ConfigError(f"conception_probability has no rut before {y0}")
            conc_da = conc_da.sel(year=before.max())
        conception0 = np.ascontiguousarray(conc_da.transpose("sample", "population").values)
        bpf = arr("fecundity", "age") * (1.0 + arr("twinning", "age"))
        surv_mean = arr("survival", "population", "sex", "age")  # (D, P, 2, 3)
        for (sex, age), factor in (survival_multiplier or {}).items():
            surv_mean[..., SEXES.index(sex), AGE_CLASSES.index(age)] *= float(factor)
        sigma = (
            arr("process_noise_sd", "population")
            if "population" in stacked["process_noise_sd"].dims
            else arr("process_noise_sd")
        )
        sigma = np.broadcast_to(sigma, (D, P))
        rng = np.random.default_rng(seed)
        # ---- common random numbers: shapes never depend on the harvest ----
        z_env = rng.standard_normal((T, D, P))
        u_cat = rng.random((2, T, D, P))
        u_int = rng.random((2, T, D, P))
        obs_noise = rng.standard_normal((T + 1, D, P))

        z = z_env if process_noise else np.zeros_like(z_env)
        scale = process_noise_scale or str(ds.attrs.get("process_noise_scale", "log"))
        if scale == "log":  # the model's form: net survival × exp(ε) (saigapop.model.build)
            survival = surv_mean[None] * np.exp(sigma[None] * z)[..., None, None]
        elif scale == "logit":  # bounded alternative: logit(S) + ε
            lsurv = logit(np.clip(surv_mean, 1e-9, 1 - 1e-9))
            survival = expit(lsurv[None] + (sigma[None] * z)[..., None, None])
        else:
            raise ConfigError(f"process_noise_scale must be 'log' or 'logit', got {scale!r}")
        rate = arr("catastrophe_rate", "catastrophe")  # (D, 2)
        severity = arr("catastrophe_severity", "catastrophe", "sex", "age")  # (D, 2, 2, 3)
        rate = np.clip(rate * catastrophe_rate_multiplier, 0.0, 1.0)
        events = u_cat < rate.T[:, None, :, None]  # (2, T, D, P)
        if not catastrophes:
            events = np.zeros_like(events)
        intensity = 0.5 + u_int  # uniform(0.5, 1.5), mean 1
        # intensity acts on the log of the surviving share, (1 − s)^u: u = 1 is the
        # posterior severity, larger u kills more, and the kill stays below 1 whenever the
        # severity does (the former s × u clipped at 1 wiped out whole classes — every
        # female once s·u ≥ 1, e.g. s = 0.7, u = 1.45 — so the rut ratio became M / 0)
        surviving = np.clip(1.0 - severity, 0.0, 1.0).transpose(1, 0, 2, 3)[:, None, :, None]
        with np.errstate(divide="ignore"):
            kill = -np.expm1(intensity[..., None, None] * np.log(surviving))  # (cat,T,D,P,2,3)
        kill = np.where(events[..., None, None], kill, 0.0)
        calving_survival = 1.0 - kill[0]
        survival = survival * (1.0 - kill[1])
        # share of the post-birth population killed at calving (for the die-off trigger):
        # approximated at the initial structure with births from the initial state.
        # poaching: the baseline rate in every arm; an exporting arm multiplies it by
        # `trade` (1 where trade is shut) at projection time (arms.ExportEffects.poaching)
        effects = export_effects or ExportEffects()
        if not trade_effect:
            effects = dataclasses.replace(effects, trade_poaching=False)
        poach = arr("poaching_rate", "population", "sex") * poaching_multiplier  # (D, P, 2)
        poach_t = np.broadcast_to(poach[None], (T, D, P, 2))
        if not poaching:
            poach_t = np.zeros_like(poach_t)
        poach_t = np.clip(poach_t, 0.0, 1.0)  # (T, D, P, 2)
        if poaching_off:  # a recorded estimate (in realised_removals) replaces the rate
            poach_t = poach_t.copy()
            for pop, year in poaching_off:
                if pop in pops and int(year) in years:
                    poach_t[years.tolist().index(int(year)), :, pops.index(pop)] = 0.0
        trade = effects.multiplier(arr("poaching_trade_effect")[:, 0], years.tolist(), q_years)
        open_ = effects.trade_open(years.tolist(), q_years)

        planned = (
            planned_culls.numbers(pops, years.tolist())
            if planned_culls is not None
            else np.zeros((T, P, 2, 3))
        )
        frac = arr("implementation_fraction")[:, 0] * implementation_multiplier
        select = arr("implementation_selectivity", "sex", "age")  # (D, 2, 3)
        if not implementation_error:
            frac = np.ones(D)
            select = np.ones((D, 2, 3))
        # achieved = plan_total * frac * (plan share * selectivity, renormalised)
        achieved = achieved_culls(planned, frac, select)  # (T, D, P, 2, 3)
        realised = np.zeros((T, P, 2, 3))
        if realised_removals is not None:
            rr = realised_removals
            if "year" not in rr.dims:
                rr = rr.expand_dims(year=[y0])
            realised = HarvestSchedule(rr.transpose("population", "year", "sex", "age")).numbers(
                pops, years.tolist()
            )
        culls = achieved + realised[:, None]  # (T, D, P, 2, 3)
        culls_export = None
        if effects.changes_culls and np.any(culls > 0):
            # an exporting arm while trade is open: every cull (planned or realised-level)
            # shifted toward males and scaled by the implementation factor
            culls_export = shift_culls(
                culls.transpose(3, 4, 0, 1, 2),
                open_,
                effects.cull_male_selectivity,
                effects.cull_implementation,
            ).transpose(2, 3, 4, 0, 1)
        density_form = density_form or str(ds.attrs.get("density_form", "none"))
        if density_form not in DENSITY_FORMS:
            raise ConfigError(f"density_form must be one of {DENSITY_FORMS}, got {density_form!r}")
        mating_form = mating_form or str(ds.attrs.get("mating_form", DEFAULT_MATING_FORM))
        if mating_form not in MATING_FORMS:
            raise ConfigError(f"mating_form must be one of {MATING_FORMS}, got {mating_form!r}")

        def mating_arr(name: str, value: float | None, default: float) -> Array:
            if value is not None:
                return np.full((D, 1), float(value))
            return arr(name) if name in stacked else np.full((D, 1), default)

        mating_arrays = {
            "mating_half_share": mating_arr(
                "mating_half_share", mating_half_share, DEFAULT_MATING_HALF_SHARE
            ),
            "mating_steepness": mating_arr(
                "mating_steepness", mating_steepness, DEFAULT_MATING_STEEPNESS
            ),
            "mating_reference_ratio": mating_arr(
                "mating_reference_ratio", mating_reference_ratio, DEFAULT_MATING_REFERENCE_RATIO
            ),
            "yearling_male_weight": mating_arr("mating_yearling_weight", yearling_male_weight, 0.0),
        }
        if density_form != "none" and "carrying_capacity" in stacked:
            k = arr("carrying_capacity", "population")
            b = arr("density_strength")
        else:
            density_form = "none"
            k = np.full((D, P), np.inf)
            b = np.zeros((D, 1))
        f_kill = kill[0]  # (T, D, P, 2, 3)
        w0 = np.concatenate([n0.sum(-1, keepdims=True) * 0.5, n0], axis=-1)  # crude structure
        cal_frac = (f_kill * w0[None]).sum((-2, -1)) / w0.sum((-2, -1))[None]

        def ro(a: np.ndarray) -> np.ndarray:
            a = np.ascontiguousarray(a)
            a.setflags(write=False)
            return a

        return cls(
            populations=pops,
            start_year=y0,
            horizon=horizon,
            quota_years=q_years,
            trade_years=tuple(int(y) for y in years[open_]) if effects.trade_poaching else (),
            chain=ro(chain),
            n0=ro(n0),
            conception0=ro(conception0),
            births_per_female=ro(bpf[:, None, :]),
            birth_sex_ratio=0.5,
            harem_size=ro(arr("harem_size")),
            mating_form=mating_form,
            **{k: ro(v) for k, v in mating_arrays.items()},
            density_form=density_form,
            carrying_capacity=ro(k),
            density_strength=ro(b),
            mean_survival=ro(surv_mean),
            survival=ro(survival.transpose(3, 4, 0, 1, 2)),
            calving_survival=ro(calving_survival.transpose(3, 4, 0, 1, 2)),
            events=ro(events),
            calving_kill_fraction=ro(cal_frac),
            poaching=ro(poach_t.transpose(3, 0, 1, 2)),
            trade=ro(trade),
            culls=ro(culls.transpose(3, 4, 0, 1, 2)),
            culls_export=(
                None if culls_export is None else ro(culls_export.transpose(3, 4, 0, 1, 2))
            ),
            planned_culls=ro(planned),
            wounding=float(wounding),
            obs_cv=ro(arr("obs_cv")),
            catchability=ro(arr("catchability", "population")),
            obs_noise=ro(obs_noise),
            settings={
                "seed": seed,
                "n_draws": D,
                "wounding": wounding,
                "density_form": density_form,
                "mating_form": mating_form,
                "process_noise": process_noise,
                "process_noise_scale": scale,
                "catastrophes": catastrophes,
                "catastrophe_rate_multiplier": catastrophe_rate_multiplier,
                "poaching": poaching,
                "poaching_multiplier": poaching_multiplier,
                "trade_effect": trade_effect,
                "poaching_off": [[str(p), int(y)] for p, y in poaching_off],
                "export_effects": dataclasses.asdict(effects),
                "implementation_error": implementation_error,
                "implementation_multiplier": implementation_multiplier,
                "survival_multiplier": dict(survival_multiplier or {}),
                **convergence,
            },
        )

    def __repr__(self) -> str:
        flags = ", ".join(
            f"{k}={v}"
            for k, v in self.settings.items()
            if k
            in ("seed", "density_form", "process_noise", "catastrophes", "poaching", "converged")
        )
        return (
            f"OperatingModel({self.n_draws} draws × {len(self.populations)} populations "
            f"{self.populations} × {self.horizon} years from census {self.start_year}; "
            f"quota years {self.quota_years}; {flags})"
        )

    def replace(self, **changes: object) -> OperatingModel:
        """Return a copy with some fields changed (e.g. ``quota_years``)."""
        return dataclasses.replace(self, **changes)

    # ------------------------------------------------------------------ properties
    @property
    def n_draws(self) -> int:
        """Number of posterior draws used."""
        return int(self.chain.shape[0])

    @property
    def census_years(self) -> NDArray[np.int64]:
        """Census years ``Y … Y + horizon``."""
        return np.arange(self.start_year, self.start_year + self.horizon + 1)

    @property
    def model_years(self) -> NDArray[np.int64]:
        """Model years ``Y … Y + horizon − 1`` (removals and ruts)."""
        return np.arange(self.start_year, self.start_year + self.horizon)

    def adult_males(self) -> xr.DataArray:
        """Adult males at the latest census, ``(draw, population)``."""
        return xr.DataArray(
            self.n0[..., 1, 1],
            dims=("draw", "population"),
            coords={"population": list(self.populations)},
        )

    # ------------------------------------------------------------------ kernel
    def _levels(
        self, export: HarvestRule | HarvestSchedule | None, levels: ArrayLike2D | None
    ) -> Array:
        P = len(self.populations)
        if levels is None:
            lv = np.array([[getattr(export, "level", 0.0)] * P])
        else:
            lv = np.asarray(levels, dtype=np.float64)
            if lv.ndim == 1:
                lv = np.repeat(lv[:, None], P, axis=1)
            if lv.ndim != 2 or lv.shape[1] != P:
                raise ConfigError(
                    f"levels must have shape (candidate,) or (candidate, {P}), got {lv.shape}"
                )
        if np.any(~np.isfinite(lv) | (lv < 0)):
            raise ConfigError("candidate levels must be finite and non-negative")
        return lv

    def _arm_free_years(
        self,
        rule: HarvestRule | None,
        quota: set[int],
        sched: Array | None,
        trade_t: NDArray[np.bool_],
        culls_x: Array | None,
    ) -> int:
        """Leading model years in which every candidate is the no-export arm."""
        years = self.model_years.tolist()
        differs = np.asarray(trade_t, dtype=bool).copy()
        if rule is not None:
            differs |= np.isin(years, sorted(quota))
        if sched is not None:
            differs |= sched.reshape(len(years), -1).any(axis=-1)
        if culls_x is not None:  # bytewise: a signed zero would count as a difference
            a = self.culls.reshape(2 * 3, len(years), -1).transpose(1, 0, 2)
            b = culls_x.reshape(2 * 3, len(years), -1).transpose(1, 0, 2)
            differs |= np.array([a[t].tobytes() != b[t].tobytes() for t in range(len(years))])
        return int(np.argmax(differs)) if differs.any() else len(years)

    def _shared_prefix(self, t0: int) -> dict[str, object]:
        """Return the no-export arm's first ``t0`` years (one candidate), cached per model."""
        with _PREFIX_LOCK:
            cache = _PREFIX_CACHE.setdefault(self, {})
            if t0 not in cache:
                P = len(self.populations)
                cache[t0] = self._run_chunk(
                    None, np.zeros((1, P)), "summary", np.zeros((1, P), dtype=bool), stop=t0
                )
            return cache[t0]

    def _run_chunk(
        self,
        export: HarvestRule | HarvestSchedule | None,
        level: Array,
        record: Record,
        exports: NDArray[np.bool_] | None = None,
        *,
        stop: int | None = None,
    ) -> dict[str, Array]:
        """Simulate one chunk of candidates.

        ``exports`` ``(c, pop)`` is the per-candidate switch of the two arms
        (:func:`~saigapop.management.arms.exporting`; default: a positive level). A candidate
        that does not export is the no-export arm: no dedicated harvest, baseline poaching,
        the no-export culls.

        The leading model years in which no arm differs from the no-export arm (before the
        first quota, trade or export-shifted cull year: the year of the latest census with
        the realised cull, by default) are the same for every candidate: a summary run
        takes them from one no-export projection (:meth:`_shared_prefix`, computed once per
        operating model) instead of projecting each candidate through them — the same
        operations on the same numbers, so the same results.

        Returns arrays with the year axis first, ``(year, c, draw, pop, ...)``, so that each
        year's write is contiguous; :meth:`_to_dataset` moves it into place. ``stop``
        (internal) ends after that many years and adds the state then (``"_state"``).
        """
        C = level.shape[0]
        D, P, T = self.n_draws, len(self.populations), self.horizon
        shape = (C, D, P)
        years = self.model_years
        if exports is None:
            exports = exporting(export, level, self.populations, years.tolist())
        ex = exports[:, None, :]  # (c, 1, P)
        lv = np.where(ex, level[:, None, :], 0.0)  # (c, 1, P): no dedicated harvest if not
        any_ex = bool(exports.any())
        # the arrays that differ between the arms, per year (None: same in both)
        trade_t = (self.trade != 1.0).any(axis=1) if any_ex else np.zeros(T, dtype=bool)
        culls_x = self.culls_export if any_ex else None
        pidx = np.arange(P)[None, None, :]
        full = record == "full"
        out: dict[str, Array] = {
            "total": np.empty((T + 1, *shape)),
            "adult_males": np.empty((T + 1, *shape)),
            # flows of model years Y … Y+T-1; the extra last row (census year Y+T) is NaN
            "ratio": np.empty((T + 1, *shape)),
            "conception": np.empty((T + 1, *shape)),
            "male_mortality": np.empty((T + 1, *shape)),
            "export": np.zeros((T + 1, *shape)),
        }
        if full:
            out["abundance"] = np.empty((T + 1, 2, 2, *shape))
            out["removed"] = np.zeros((T + 1, len(SOURCES), 2, 3, *shape))
            for name in ("births", "calving_deaths", "breeding_males", "breeding_females"):
                out[name] = np.empty((T + 1, *shape))
            out["export_shortfall"] = np.zeros((T + 1, *shape))
        n0 = self.n0
        fy = np.broadcast_to(n0[..., 0, 0], shape).copy()
        fa = np.broadcast_to(n0[..., 0, 1], shape).copy()
        my = np.broadcast_to(n0[..., 1, 0], shape).copy()
        ma = np.broadcast_to(n0[..., 1, 1], shape).copy()
        conc: Array = self.conception0
        bpf = (self.births_per_female[..., 0], self.births_per_female[..., 1])
        sched = (
            export.numbers(self.populations, years.tolist())
            if isinstance(export, HarvestSchedule)
            else None
        )
        rule = export if isinstance(export, HarvestRule) else None
        if isinstance(rule, ThresholdHarvest):
            rule = rule.for_populations(self.populations)
        quota = set(self.quota_years) if rule is None or rule.years is None else set(rule.years)
        w = self.wounding
        has_cull = self.culls.reshape(2, 3, T, -1).any(axis=-1)  # (2, 3, T)
        if culls_x is not None:
            has_cull = has_cull | culls_x.reshape(2, 3, T, -1).any(axis=-1)
        has_poach = self.poaching.reshape(2, T, -1).any(axis=-1)  # (2, T)
        mating = kernel.Mating(
            form=self.mating_form,
            harem_size=self.harem_size,
            half_share=self.mating_half_share,
            steepness=self.mating_steepness,
            reference_ratio=self.mating_reference_ratio,
            yearling_male_weight=self.yearling_male_weight,
        )
        density = kernel.Density(
            form=self.density_form,
            carrying_capacity=self.carrying_capacity,
            strength=self.density_strength,
        )
        t0 = 0
        if not full and stop is None:
            t0 = self._arm_free_years(rule, quota, sched, trade_t, culls_x)
        if t0 > 0:  # years every candidate shares with the no-export arm
            pre = self._shared_prefix(t0)
            for name, rows in pre.items():
                if name != "_state":
                    out[name][:t0] = rows
            fy, fa, my, ma, conc = (np.broadcast_to(a, shape).copy() for a in pre["_state"])
        for t in range(t0, T if stop is None else stop):
            total = fy + fa + my + ma
            out["total"][t] = total
            out["adult_males"][t] = ma
            if full:
                ab = out["abundance"]
                ab[t, 0, 0], ab[t, 0, 1], ab[t, 1, 0], ab[t, 1, 1] = fy, fa, my, ma
            # the removal season's numeric requests, by source; the export rule sees the
            # population after calving and poaching (poaching is taken first)
            parts: dict[str, dict[tuple[int, int], Array]] = {}

            def export_request(
                x: list[list[Array]],
                t: int = t,
                total: Array = total,
                parts: dict[str, dict[tuple[int, int], Array]] = parts,
            ) -> dict[tuple[int, int], Array]:
                if rule is not None and int(years[t]) in quota:
                    req = rule.request(lv, x, total, pidx)
                elif sched is not None:
                    req = {
                        (s, a): sched[t, :, s, a] * ex
                        for s in range(2)
                        for a in range(3)
                        if sched[t, :, s, a].any()
                    }
                else:
                    req = {}
                parts["export"] = req
                parts["wounding"] = {k: v * w for k, v in req.items()} if w != 0 else {}
                return req

            parts["cull"] = {
                (s, a): self.culls[s, a, t]
                if culls_x is None
                else np.where(ex, culls_x[s, a, t], self.culls[s, a, t])
                for s in range(2)
                for a in range(3)
                if has_cull[s, a, t]
            }
            poach = {
                (s, 2): self.poaching[s, t]
                if not trade_t[t]
                else ExportEffects.poaching(self.poaching[s, t], self.trade[t][:, None], ex)
                for s in range(2)
                if has_poach[s, t]
            }
            step = kernel.step(
                [[fy, fa], [my, ma]],
                conc,
                births_per_female=bpf,
                survival=self.survival[:, :, t],
                mating=mating,
                density_factor=density.factor(total, _OPS),  # the kernel's, from this total
                birth_sex_ratio=self.birth_sex_ratio,
                calving_survival=self.calving_survival[:, :, t],
                poaching=poach,
                removals=[export_request, lambda x, parts=parts: parts["wounding"], parts["cull"]],
                ops=_OPS,
            )
            # attribute what was taken to its sources (each scaled alike where a class ran out)
            male_mort: Array | float = 0.0
            for (s, _a), p in step.poached.items():
                if s == 1:
                    male_mort = male_mort + p
            for (s, a), asked in step.asked.items():
                taken = step.taken[(s, a)]
                if s == 1:
                    male_mort = male_mort + taken
                e = parts["export"].get((s, a))
                if e is None and not full:
                    continue
                if not full and not np.any(taken < asked):
                    out["export"][t] += e  # nothing ran out: the export is taken in full
                    continue
                with np.errstate(invalid="ignore", divide="ignore"):
                    scale = np.where(taken < asked, taken / asked, 1.0)
                if e is not None:
                    out["export"][t] += e * scale
                    if full:
                        out["export_shortfall"][t] += e * (1.0 - scale)
                if full:
                    for k, source in enumerate(SOURCES[:3]):
                        q = parts[source].get((s, a))
                        if q is not None:
                            out["removed"][t, k, s, a] = q * scale
            out["male_mortality"][t] = male_mort
            if full:
                for (s, a), p in step.poached.items():
                    out["removed"][t, SOURCES.index("poaching"), s, a] = p
                out["births"][t] = step.births
                out["calving_deaths"][t] = sum(
                    step.at_calving[s][a] - step.after_calving[s][a]
                    for s in range(2)
                    for a in range(3)
                )
                out["breeding_males"][t] = step.breeding_males
                out["breeding_females"][t] = step.breeding_females
            conc = step.conception
            out["ratio"][t] = step.ratio
            out["conception"][t] = conc
            (fy, fa), (my, ma) = step.census
        if stop is not None:  # the first `stop` years and the state after them
            prefix = {name: a[:stop] for name, a in out.items()}
            prefix["_state"] = (fy, fa, my, ma, np.broadcast_to(conc, shape))
            return prefix
        out["total"][T] = fy + fa + my + ma
        out["adult_males"][T] = ma
        for name, a in out.items():
            if name not in ("total", "adult_males", "abundance"):
                a[T] = np.nan
        if full:
            ab = out["abundance"]
            ab[T, 0, 0], ab[T, 0, 1], ab[T, 1, 0], ab[T, 1, 1] = fy, fa, my, ma
        # move the year axis (and sex/age/source axes) behind (c, draw, pop)
        moved: dict[str, Array] = {}
        for name, a in out.items():
            if name == "abundance":
                moved[name] = np.moveaxis(a, (0, 1, 2), (3, 4, 5))
            elif name == "removed":
                moved[name] = np.moveaxis(a, (0, 1, 2, 3), (3, 4, 5, 6))
            else:
                moved[name] = np.moveaxis(a, 0, 3)
        return moved

    # ------------------------------------------------------------------ xarray shell
    def _to_dataset(
        self,
        arrays: dict[str, Array],
        levels: Array,
        offset: int,
        unit: str,
        exports: NDArray[np.bool_] | None = None,
    ) -> xr.Dataset:
        C = levels.shape[0]
        cand = np.arange(offset, offset + C)
        census = self.census_years
        base = ("candidate", "draw", "population")
        coords = {
            "candidate": cand,
            "draw": np.arange(self.n_draws),
            "chain": ("draw", self.chain),
            "population": list(self.populations),
            "level": (("candidate", "population"), levels),
        }
        if exports is not None:
            coords["exports"] = (("candidate", "population"), exports)
        data: dict[str, tuple] = {
            "total": ((*base, "year"), arrays["total"]),
            "adult_males": ((*base, "year"), arrays["adult_males"]),
        }
        flow_vars = ["ratio", "conception", "male_mortality", "export"]
        if "abundance" in arrays:
            data["abundance"] = ((*base, "year", "sex", "age"), arrays["abundance"])
            flow_vars += [
                "births",
                "calving_deaths",
                "breeding_males",
                "breeding_females",
                "export_shortfall",
            ]
        for v in flow_vars:
            data[v] = ((*base, "year"), arrays[v])
        extra = {}
        if "removed" in arrays:
            data["removed"] = ((*base, "year", "source", "sex", "age_class"), arrays["removed"])
            extra = {"source": list(SOURCES), "age_class": list(AGE_CLASSES)}
        ds = xr.Dataset(
            data,
            coords={
                **coords,
                **extra,
                "year": census,
                "sex": list(SEXES),
                "age": list(CENSUS_AGE_CLASSES),
            },
        )
        ds["level"].attrs["unit"] = unit
        ds.attrs.update(
            start_year=self.start_year,
            quota_years=list(self.quota_years),
            description="true abundance at census (year) and flows of model year (year)",
        )
        ds["total"].attrs["long_name"] = "true census abundance (all sexes and census ages)"
        ds["ratio"].attrs["long_name"] = "breeding males per breeding female at the rut"
        ds["male_mortality"].attrs["long_name"] = (
            "human-caused male deaths (export, wounding, cull, poaching)"
        )
        return ds

    def iter_projections(
        self,
        export: HarvestRule | HarvestSchedule | None = None,
        levels: ArrayLike2D | None = None,
        *,
        record: Record = "summary",
        chunk_size: int | None = None,
        exports: bool | Sequence[bool] | NDArray[np.bool_] | None = None,
    ) -> Iterator[xr.Dataset]:
        """Project candidate harvests chunk by chunk (constant memory per chunk).

        Parameters
        ----------
        export
            The export harvest: a rule (its ``level`` replaced by ``levels``), a fixed
            schedule, or ``None`` (no export).
        levels
            Candidate levels, ``(candidate,)`` (same for all populations) or
            ``(candidate, population)``. Default: the rule's own level.
        record
            ``"summary"`` (totals, adult males, rut ratio, conception, male mortality,
            export) or ``"full"`` (also abundance by sex × age, removals by source, births,
            calving deaths, breeding numbers, export shortfall).
        chunk_size
            Candidates per chunk (default: about 250,000 draw-population-candidate cells).
        exports
            The per-candidate switch of the two arms (:func:`~saigapop.management.arms.exporting`):
            one value, ``(candidate,)`` or ``(candidate, population)``. Default: a candidate
            exports where its level (or the schedule) is positive. A candidate that does not
            export is the no-export arm whatever its level.

        Yields
        ------
        xarray.Dataset
            One chunk of candidates, dims ``(candidate, draw, population, year[, sex, age])``.
        """
        chunk, starts = self._chunker(export, levels, record, chunk_size, exports)
        for start in starts:
            yield chunk(start)

    def _chunker(
        self,
        export: HarvestRule | HarvestSchedule | None,
        levels: ArrayLike2D | None,
        record: Record,
        chunk_size: int | None,
        exports: bool | Sequence[bool] | NDArray[np.bool_] | None,
    ) -> tuple[Callable[[int], xr.Dataset], range]:
        """Return the chunk projector of :meth:`iter_projections` and the chunks' starts."""
        lv = self._levels(export, levels)
        unit = getattr(export, "unit", "animals")
        ex = exporting(export, lv, self.populations, self.model_years.tolist(), exports)
        if chunk_size is None:
            chunk_size = max(1, 250_000 // (self.n_draws * len(self.populations)))
        size = chunk_size

        def chunk(start: int) -> xr.Dataset:
            part = lv[start : start + size]
            part_ex = ex[start : start + size]
            arrays = self._run_chunk(export, part, record, part_ex)
            return self._to_dataset(arrays, part, start, unit, part_ex)

        return chunk, range(0, lv.shape[0], chunk_size)

    def map_projections(
        self,
        fn: Callable[[xr.Dataset], T_],
        export: HarvestRule | HarvestSchedule | None = None,
        levels: ArrayLike2D | None = None,
        *,
        record: Record = "summary",
        chunk_size: int | None = None,
        exports: bool | Sequence[bool] | NDArray[np.bool_] | None = None,
        workers: int | None = None,
        progress: bool = False,
        desc: str = "projection",
    ) -> list[T_]:
        """Apply ``fn`` to every chunk of :meth:`iter_projections`, chunks on worker threads.

        The chunks and ``fn`` (which must not share mutable state between chunks) run on a
        pool of ``workers`` threads — numpy releases the GIL in its array loops, so a
        projection uses every core — and the results come back in chunk order. Each chunk is
        computed exactly as :meth:`iter_projections` computes it, so the results do not
        depend on ``workers``.

        Parameters
        ----------
        fn
            Called with each chunk's Dataset; its results are returned in order.
        export, levels, record, chunk_size, exports
            As in :meth:`iter_projections`.
        workers
            Threads (default :data:`PROJECTION_WORKERS`; 1: in this thread).
        progress, desc
            A tqdm bar over chunks.

        Returns
        -------
        list
            ``fn``'s result per chunk.

        Examples
        --------
        >>> from saigapop.management import ConstantHarvest
        >>> from saigapop.testing import synthetic_posterior
        >>> om = OperatingModel.from_posterior(synthetic_posterior(chains=1, draws=4))
        >>> sizes = om.map_projections(lambda ds: ds.sizes["candidate"], ConstantHarvest(),
        ...                            [0.0, 1.0, 2.0], chunk_size=2, workers=2)
        >>> sizes
        [2, 1]
        """
        chunk, starts = self._chunker(export, levels, record, chunk_size, exports)

        def one(start: int) -> T_:
            return fn(chunk(start))

        n = PROJECTION_WORKERS if workers is None else int(workers)
        bar = tqdm(total=len(starts), disable=not progress, desc=desc, leave=False)
        try:
            if n <= 1 or len(starts) == 1:
                out = []
                for start in starts:
                    out.append(one(start))
                    bar.update()
                return out
            with ThreadPoolExecutor(max_workers=min(n, len(starts))) as pool:
                out = []
                for result in pool.map(one, starts):
                    out.append(result)
                    bar.update()
                return out
        finally:
            bar.close()

    def project(
        self,
        export: HarvestRule | HarvestSchedule | None = None,
        levels: ArrayLike2D | None = None,
        *,
        record: Record = "full",
        chunk_size: int | None = None,
        exports: bool | Sequence[bool] | NDArray[np.bool_] | None = None,
    ) -> xr.Dataset:
        """Project the export harvest (at one or more candidate levels) with CRN.

        Parameters
        ----------
        export, levels, record, chunk_size, exports
            As in :meth:`iter_projections`.

        Returns
        -------
        xarray.Dataset
            Dims ``(candidate, draw, population, year, sex, age)``: ``abundance`` and
            ``total`` are true census numbers (census ``year``); ``ratio``,
            ``conception``, ``male_mortality``, ``export``, ``removed`` (by ``source``,
            ``sex``, ``age_class``) … are flows of model ``year`` (NaN in the last year).

        Examples
        --------
        >>> from saigapop.management import ConstantHarvest
        >>> from saigapop.testing import synthetic_posterior
        >>> om = OperatingModel.from_posterior(synthetic_posterior(chains=1, draws=4))
        >>> proj = om.project(ConstantHarvest(), levels=[0.0, 1000.0])
        >>> dict(proj["abundance"].sizes)
        {'candidate': 2, 'draw': 4, 'population': 3, 'year': 14, 'sex': 2, 'age': 2}
        """
        parts = list(
            self.iter_projections(
                export, levels, record=record, chunk_size=chunk_size, exports=exports
            )
        )
        return parts[0] if len(parts) == 1 else xr.concat(parts, dim="candidate")

    def baseline(self, *, record: Record = "summary") -> xr.Dataset:
        """Project the no-export arm: the one paired comparator of solver, trials and MSE.

        Same draws, cull plan, baseline poaching and random numbers as every candidate; no
        dedicated harvest, trade multiplier 1, no export-driven change of cull selectivity
        or implementation (:mod:`saigapop.management.arms`).

        Examples
        --------
        >>> from saigapop.testing import synthetic_posterior
        >>> om = OperatingModel.from_posterior(synthetic_posterior(chains=1, draws=4))
        >>> base = om.baseline()
        >>> float(base["export"].sum()), bool(base["exports"].any())
        (0.0, False)
        """
        return self.project(None, record=record, exports=False).isel(candidate=0, drop=True)


ArrayLike2D = Sequence[float] | Sequence[Sequence[float]] | NDArray[np.float64]
