"""Triggers: the levels that suspend the following autumn's take (DESIGN §5).

Computed from the same projections as the quota and stated on what a manager **observes**
before the autumn take of each quota year *t* (:func:`observed_quantities`, per draw):

* the **census count** of spring *t*: true abundance × the draw's catchability × the draw's
  survey error, ``exp(obs_cv · z)`` with ``z`` standard normal — the count likelihood of the
  fitted model (:mod:`saigapop.model.build`: ``count ~ LogNormal(log(q N), obs_cv)``), the
  draw's own ``q`` (of the latest catchability period) and ``obs_cv``, and ``z`` from the
  operating model's observation stream (:attr:`OperatingModel.obs_noise`, the one the MSE's
  surveys use);
* a **composition survey**'s adult sex ratio (adult males per adult female): ``n`` classified
  adults at the census, males among them binomial with the draw's true adult male share, or
  beta-binomial with a design effect above 1 where animals are classified in groups rather
  than one by one;
* the **May die-off toll**: carcasses counted, each death found with probability
  ``toll_detection`` (default 1: a complete count).

Each draw of the projection at the quota either shows an export-caused failure of some
criterion (the union used by the P* buffer) or not. The trigger level of a quantity is the
least extreme level at which the **local** probability of an export-caused failure,
``P(fail | value = x)`` (isotonic regression of failures on the value), exceeds the allowed
risk ``alpha`` (default: the P* buffer) beyond sampling noise, with at least ``min_draws``
draws at or beyond it (``basis = "conditional"``). Where no such level exists in the
projections — failures are too rare or unrelated to that quantity — the trigger falls back
to the ``alpha`` percentile of the projected quantity, the edge of the range the quota was
judged on (``basis = "percentile"``; for die-offs, the percentile among draws that had one).
Each trigger comes with the projected probability that it is hit (``*_hit``).

Because the observed values carry the survey's own error, the levels include it: a
conditional count trigger sits where a count is, *given its error*, too risky — above the
true-abundance trigger × catchability when ``alpha`` is below the local risk at that level
(a count just above it may still come from a population below it); a percentile trigger
keeps its probability of being hit at ``alpha``, so a noisier survey, with a wider range of
counts, puts it further out. The same levels on true quantities (``census``,
``expected_count``, ``sex_ratio``, ``die_off``) are kept for reference.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import xarray as xr
from numpy.typing import NDArray
from scipy.optimize import isotonic_regression
from scipy.stats import beta

from saigapop.management.criteria import Criterion, default_criteria
from saigapop.management.harvest import ConstantHarvest, HarvestRule
from saigapop.management.operating_model import OperatingModel
from saigapop.management.quota import DEFAULT_P_STAR, QuotaResult

__all__ = [
    "DEFAULT_CONFIDENCE",
    "DEFAULT_SURVEY_ADULTS",
    "DEFAULT_SURVEY_DESIGN_EFFECT",
    "DEFAULT_TOLL_DETECTION",
    "TriggerSurveys",
    "compute_triggers",
    "observed_quantities",
    "trigger_level",
]

#: One-sided confidence that the local risk at a conditional trigger exceeds the allowed
#: risk (Clopper–Pearson lower bound): a trigger is not set by sampling noise.
DEFAULT_CONFIDENCE: float = 0.9

#: Adults classified by the composition survey behind the sex-ratio trigger. No source: no
#: sample size of a Kazakh composition count is published (research/saiga_biology.md finds
#: percentages only, e.g. Kalmykia 2022 to one decimal, i.e. on the order of a thousand
#: animals). A thousand adults is a few days of ground counts of aggregations; it gives the
#: ratio near 0.3 a coefficient of variation of about 7.5 %. A parameter: state the survey's own.
DEFAULT_SURVEY_ADULTS: int = 1000

#: Variance of the surveyed male share relative to binomial sampling of independent adults.
#: No source; 1 (binomial) is the optimistic end: saiga are classified in groups that are
#: partly sex-segregated, which makes the share more variable (beta-binomial with intra-class
#: correlation ``(deff - 1) / (n - 1)``). A parameter.
DEFAULT_SURVEY_DESIGN_EFFECT: float = 1.0

#: Share of May die-off deaths found and counted as carcasses. Default 1: the toll is assumed
#: complete, as the official 2015 toll was read (no source for a detection fraction; the
#: scientific estimate of 2015 was higher than the official toll, so a lower value is the
#: cautious alternative). A parameter.
DEFAULT_TOLL_DETECTION: float = 1.0

#: Spawn key of the random stream of the composition surveys and carcass counts, drawn from
#: the operating model's seed (the census counts use the model's own observation stream).
_SURVEY_STREAM: int = 15


@dataclass(frozen=True, kw_only=True)
class TriggerSurveys:
    """The observations the triggers are read on, as a manager would make them.

    Parameters
    ----------
    adults
        Adults classified by the composition survey (default :data:`DEFAULT_SURVEY_ADULTS`).
    design_effect
        Variance of the surveyed male share relative to binomial sampling (≥ 1; default
        :data:`DEFAULT_SURVEY_DESIGN_EFFECT`).
    toll_detection
        Share of die-off deaths counted as carcasses (in (0, 1]; default
        :data:`DEFAULT_TOLL_DETECTION`).
    seed
        Seed of the survey and carcass-count stream (default: the operating model's seed).
        The census count uses the operating model's own observation noise.

    Examples
    --------
    >>> TriggerSurveys(adults=300).design_effect
    1.0
    >>> TriggerSurveys(toll_detection=0.0)
    Traceback (most recent call last):
    ...
    ValueError: toll_detection must be in (0, 1], got 0.0
    """

    adults: int = DEFAULT_SURVEY_ADULTS
    design_effect: float = DEFAULT_SURVEY_DESIGN_EFFECT
    toll_detection: float = DEFAULT_TOLL_DETECTION
    seed: int | None = None

    def __post_init__(self) -> None:
        if int(self.adults) != self.adults or self.adults < 1:
            raise ValueError(f"adults must be a positive whole number, got {self.adults!r}")
        if not self.design_effect >= 1.0:
            raise ValueError(f"design_effect must be ≥ 1, got {self.design_effect!r}")
        if not 0.0 < self.toll_detection <= 1.0:
            raise ValueError(f"toll_detection must be in (0, 1], got {self.toll_detection!r}")


def trigger_level(
    value: NDArray[np.float64],
    fail: NDArray[np.bool_],
    *,
    direction: str = "below",
    alpha: float = DEFAULT_P_STAR,
    min_draws: int = 20,
    confidence: float = DEFAULT_CONFIDENCE,
) -> tuple[float, str, float, float]:
    """Trigger level of one quantity from per-draw values and failures.

    The local risk ``P(fail | value = x)`` is estimated by isotonic regression of the
    per-draw failures on the value (non-increasing towards benign values: a lower census,
    a lower sex ratio or a larger die-off is never *safer*). The trigger is the least
    extreme level at which this local risk exceeds ``alpha``, provided the draws of that
    step show it beyond sampling noise (the one-sided ``confidence`` Clopper–Pearson lower
    bound of their failure rate exceeds ``alpha``) and at least ``min_draws`` draws lie at
    or beyond it (``basis = "conditional"``). Otherwise the trigger falls back to the
    ``alpha`` percentile of the projected quantity — for die-offs, among draws that had one
    — the edge of the range the quota was judged on (``basis = "percentile"``).

    Why local and not the tail average ``P(fail | value ≤ x)``: the tail average mixes in
    the much worse draws far below ``x``, so it stays above ``alpha`` long after the local
    risk has fallen below it — with failures concentrated in the lowest decile it put
    census triggers above the median projected census, a trigger already breached in most
    worlds the quota was judged safe in.

    Parameters
    ----------
    value
        Per-draw value of the quantity, ``(draw,)``.
    fail
        Per-draw export-caused failure, ``(draw,)``.
    direction
        ``"below"`` (low values are bad: census, sex ratio) or ``"above"`` (die-off).
    alpha
        Allowed local failure probability.
    min_draws
        Minimum draws at or beyond a conditional trigger.
    confidence
        One-sided confidence that the local risk at the trigger exceeds ``alpha``.

    Returns
    -------
    tuple
        ``(level, basis, local failure probability at the level, share of draws at or
        beyond the level)`` — the last is the projected probability that the trigger is hit.

    Examples
    --------
    Failures only below 30 put the trigger at 29, not at 149 where the tail average of
    failures first drops to ``alpha``:

    >>> v = np.arange(1000.0)
    >>> level, basis, risk, hit = trigger_level(v, v < 30, alpha=0.2)
    >>> float(level), basis, float(risk), float(hit)
    (29.0, 'conditional', 1.0, 0.03)
    """
    if direction not in ("below", "above"):
        raise ValueError(f"direction must be 'below' or 'above', got {direction!r}")
    v = np.asarray(value, dtype=float)
    f = np.asarray(fail, dtype=bool)
    finite = np.isfinite(v)  # e.g. a sex ratio where no adult female is left
    v, f = v[finite], f[finite]
    if v.size == 0:
        return np.nan, "undefined", np.nan, np.nan
    # distinct values ordered from the most extreme, with their draws and failures
    key = v if direction == "below" else -v
    uniq, inv = np.unique(key, return_inverse=True)
    n_u = np.bincount(inv).astype(float)
    f_u = np.bincount(inv, weights=f.astype(float))
    iso = isotonic_regression(f_u / n_u, weights=n_u, increasing=False)
    local = iso.x  # local risk at each distinct value, non-increasing
    starts = np.asarray(iso.blocks)[:-1]
    stops = np.asarray(iso.blocks)[1:]
    n_b = np.add.reduceat(n_u, starts)
    f_b = np.add.reduceat(f_u, starts)
    lower = beta.ppf(1.0 - confidence, f_b, n_b - f_b + 1.0)  # Clopper–Pearson, f_b = 0 → nan
    lower = np.where(f_b > 0, lower, 0.0)
    beyond = np.cumsum(n_u)  # draws at or beyond each distinct value
    level_of = -uniq if direction == "above" else uniq
    ok = (local[starts] > alpha) & (lower > alpha) & (beyond[stops - 1] >= min_draws)
    if direction == "above":
        ok &= level_of[stops - 1] > 0  # a die-off trigger needs a die-off
    if ok.any():
        b = int(np.flatnonzero(ok)[-1])
        j = stops[b] - 1  # least extreme value of the step
        return float(level_of[j]), "conditional", float(local[j]), float(beyond[j] / v.size)
    q = alpha if direction == "below" else 1.0 - alpha
    pool = v
    if direction == "above" and np.any(v > 0):
        pool = v[v > 0]  # die-offs: the percentile among draws that had one
    level = float(np.quantile(pool, q))
    hit = v <= level if direction == "below" else v >= level
    j = int(np.searchsorted(uniq, level if direction == "below" else -level, side="right")) - 1
    j = min(max(j, 0), uniq.size - 1)
    return level, "percentile", float(local[j]), float(hit.mean())


def observed_quantities(
    om: OperatingModel, projection: xr.Dataset, surveys: TriggerSurveys | None = None
) -> xr.Dataset:
    """Return what a manager observes before each quota year's autumn take, per draw.

    Parameters
    ----------
    om
        The operating model of ``projection`` (its catchability, observation CV, observation
        noise and seed).
    projection
        One candidate of :meth:`OperatingModel.project` with ``record="full"`` (dims
        ``draw, population, year`` and ``sex, age``).
    surveys
        The surveys (default :class:`TriggerSurveys`).

    Returns
    -------
    xarray.Dataset
        Over ``(year, draw, population)`` for the quota years — observed: ``count`` (census
        count), ``survey_sex_ratio`` (adult males per adult female in the survey; infinite
        where every classified adult is a male), ``die_off_toll`` (carcasses counted); true:
        ``census`` (spring abundance), ``sex_ratio`` (adult), ``die_off`` (share of the
        post-birth population killed in May), ``die_off_deaths``.

    Examples
    --------
    With no survey error the count is catchability × true abundance:

    >>> from saigapop.testing import synthetic_posterior
    >>> om = OperatingModel.from_posterior(synthetic_posterior(chains=1, draws=4), seed=1)
    >>> om0 = om.replace(obs_cv=np.zeros_like(om.obs_cv))
    >>> proj = om0.project(ConstantHarvest(), np.zeros((1, 3)), record="full").isel(candidate=0)
    >>> obs = observed_quantities(om0, proj)
    >>> q = xr.DataArray(om0.catchability, dims=("draw", "population"))
    >>> bool(np.allclose(obs["count"], q.values * obs["census"]))
    True
    """
    surveys = TriggerSurveys() if surveys is None else surveys
    n = int(surveys.adults)
    seed = surveys.seed
    if seed is None:
        seed = int(om.settings.get("seed", 0))  # type: ignore[call-overload]
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(_SURVEY_STREAM,)))
    years = list(om.quota_years)
    pops = list(om.populations)
    q = np.asarray(om.catchability, dtype=float)  # (draw, pop)
    cv = np.asarray(om.obs_cv, dtype=float)  # (draw, 1)
    rho = (surveys.design_effect - 1.0) / (n - 1.0) if n > 1 else 0.0
    names = ("count", "survey_sex_ratio", "die_off_toll", "census", "sex_ratio", "die_off")
    out = {k: np.empty((len(years), om.n_draws, len(pops))) for k in (*names, "die_off_deaths")}
    for i, y in enumerate(years):
        sel = projection.sel(year=y)

        def per_draw(da: xr.DataArray) -> NDArray[np.float64]:
            return np.asarray(da.transpose("draw", "population").values, dtype=float)

        census = per_draw(sel["total"])
        deaths = per_draw(sel["calving_deaths"])
        die = deaths / (per_draw(sel["births"]) + census)
        none = die < 1e-9  # rounding noise where no die-off happened
        deaths = np.where(none, 0.0, deaths)
        ab = sel["abundance"]
        males = per_draw(ab.sel(sex="male", age="adult"))
        females = per_draw(ab.sel(sex="female", age="adult"))
        with np.errstate(divide="ignore", invalid="ignore"):
            out["sex_ratio"][i] = males / females
            share = np.clip(np.nan_to_num(males / (males + females)), 0.0, 1.0)
        out["census"][i] = census
        out["die_off"][i] = np.where(none, 0.0, die)
        out["die_off_deaths"][i] = deaths
        # (a) census count: the fitted count likelihood with the draw's q and CV
        out["count"][i] = q * census * np.exp(cv * om.obs_noise[y - om.start_year])
        # (b) composition survey: males among n classified adults
        if rho > 0.0:
            k = (1.0 - rho) / rho
            share = rng.beta(np.maximum(share * k, 1e-12), np.maximum((1.0 - share) * k, 1e-12))
        seen = rng.binomial(n, share).astype(float)
        with np.errstate(divide="ignore"):
            out["survey_sex_ratio"][i] = seen / (n - seen)
        # (c) die-off toll: carcasses found
        whole = np.rint(deaths).astype(np.int64)
        d = surveys.toll_detection
        found = whole if d >= 1.0 else rng.binomial(whole, d)
        out["die_off_toll"][i] = found.astype(float)
    dims = ("year", "draw", "population")
    ds = xr.Dataset(
        {k: (dims, v) for k, v in out.items()},
        coords={"year": years, "draw": np.arange(om.n_draws), "population": pops},
    )
    ds["count"].attrs["long_name"] = "spring census count (catchability × abundance × error)"
    ds["survey_sex_ratio"].attrs["long_name"] = (
        "adult males per adult female in a composition survey"
    )
    ds["die_off_toll"].attrs["long_name"] = "carcasses counted after the May die-off"
    ds.attrs.update(
        survey_adults=n,
        survey_design_effect=float(surveys.design_effect),
        toll_detection=float(surveys.toll_detection),
        seed=seed,
    )
    return ds


#: Trigger quantities (variables of :func:`observed_quantities`) and their direction.
_TRIGGERS: tuple[tuple[str, str], ...] = (
    ("count", "below"),
    ("survey_sex_ratio", "below"),
    ("die_off_toll", "above"),
    ("census", "below"),
    ("sex_ratio", "below"),
    ("die_off", "above"),
)


def compute_triggers(
    om: OperatingModel,
    quota: QuotaResult | Sequence[float],
    criteria: Sequence[Criterion] | None = None,
    *,
    export: HarvestRule | None = None,
    alpha: float | None = None,
    min_draws: int = 20,
    surveys: TriggerSurveys | None = None,
) -> xr.Dataset:
    """Census-count, composition-survey and die-off-toll triggers per quota year and population.

    Parameters
    ----------
    om
        The operating model used for the quota.
    quota
        A :class:`~saigapop.management.QuotaResult` or levels per population.
    criteria
        The criteria (default: those of the result).
    export
        The export rule (default adult males, constant number).
    alpha
        Allowed conditional failure probability (default: the result's P*).
    min_draws
        See :func:`trigger_level`.
    surveys
        The observations the triggers are read on (default :class:`TriggerSurveys`).

    Returns
    -------
    xarray.Dataset
        Over ``(year, population)``, on what a manager observes: ``count`` (census count
        below which the autumn take is suspended), ``survey_sex_ratio`` (adult males per
        adult female in a composition survey of ``surveys.adults`` adults, below which…),
        ``die_off_toll`` (carcasses counted in May above which…); for reference the same on
        true quantities: ``census`` (true abundance), ``expected_count`` (``census`` × the
        median catchability), ``sex_ratio`` and ``die_off`` (share killed). Each level has
        ``*_basis``, ``*_conditional_risk`` (local risk at the level) and ``*_hit``
        (projected probability that the trigger is hit). Attribute ``observed = 1`` marks a
        Dataset whose triggers are on observations.

    Examples
    --------
    >>> from saigapop.management.criteria import default_criteria
    >>> from saigapop.testing import synthetic_posterior
    >>> om = OperatingModel.from_posterior(synthetic_posterior(chains=1, draws=100))
    >>> trig = compute_triggers(om, [1000.0, 1000.0, 100.0], default_criteria())
    >>> [v for v in ("count", "survey_sex_ratio", "die_off_toll") if v in trig]
    ['count', 'survey_sex_ratio', 'die_off_toll']
    """
    export = ConstantHarvest() if export is None else export
    if isinstance(quota, QuotaResult):
        levels = quota.level.sel(population=list(om.populations)).values
        criteria = quota.criteria if criteria is None else criteria
        alpha = quota.p_star if alpha is None else alpha
    else:
        levels = np.asarray(quota, dtype=float)
    if criteria is None:
        criteria = default_criteria()
    alpha = DEFAULT_P_STAR if alpha is None else alpha
    proj = om.project(export, levels[None, :], record="full").isel(candidate=0)
    base = om.baseline(record="full")
    fail = np.zeros((om.n_draws, len(om.populations)), dtype=bool)
    for c in criteria:
        fail |= c.evaluate(proj.expand_dims("candidate"), base)["fail"].isel(candidate=0).values
    obs = observed_quantities(om, proj, surveys)
    years = list(om.quota_years)
    pops = list(om.populations)
    shape = (len(years), len(pops))
    level = {name: np.full(shape, np.nan) for name, _ in _TRIGGERS}
    basis = {name: np.empty(shape, dtype=object) for name, _ in _TRIGGERS}
    cond = {name: np.full(shape, np.nan) for name, _ in _TRIGGERS}
    hit = {name: np.full(shape, np.nan) for name, _ in _TRIGGERS}
    for i in range(len(years)):
        for j in range(len(pops)):
            for name, d in _TRIGGERS:
                v = obs[name].values[i, :, j]
                lvl, b, c, h = trigger_level(
                    v, fail[:, j], direction=d, alpha=alpha, min_draws=min_draws
                )
                level[name][i, j], basis[name][i, j], cond[name][i, j] = lvl, b, c
                hit[name][i, j] = h
    dims = ("year", "population")
    ds = xr.Dataset(coords={"year": years, "population": pops})
    for name, _ in _TRIGGERS:
        ds[name] = (dims, level[name])
    q_median = np.median(np.asarray(om.catchability, dtype=float), axis=0)
    ds["expected_count"] = (dims, level["census"] * q_median[None, :])
    for name, _ in _TRIGGERS:
        ds[f"{name}_basis"] = (dims, basis[name])
        ds[f"{name}_conditional_risk"] = (dims, cond[name])
        ds[f"{name}_hit"] = (dims, hit[name])
        ds[f"{name}_hit"].attrs["long_name"] = "projected probability that the trigger is hit"
        ds[f"{name}_conditional_risk"].attrs["long_name"] = (
            "local probability of an export-caused failure at the trigger level"
        )
    ds["count"].attrs["long_name"] = "spring census count below which the take is suspended"
    ds["survey_sex_ratio"].attrs["long_name"] = (
        "adult males per adult female in a composition survey below which the take is suspended"
    )
    ds["die_off_toll"].attrs["long_name"] = (
        "carcasses counted after the May die-off above which the take is suspended"
    )
    ds["die_off"].attrs["long_name"] = (
        "share of the population killed at calving (May) that suspends the take (true)"
    )
    ds["census"].attrs["long_name"] = "true spring abundance below which the take is suspended"
    ds["expected_count"].attrs["long_name"] = "the true-abundance trigger × median catchability"
    ds["sex_ratio"].attrs["long_name"] = (
        "true adult males per adult female at the census below which the take is suspended"
    )
    ds.attrs.update(
        alpha=alpha,
        min_draws=min_draws,
        confidence=DEFAULT_CONFIDENCE,
        p_fail=float(fail.mean()),
        observed=1,
        **obs.attrs,
    )
    return ds
