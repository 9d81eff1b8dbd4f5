"""The whole programme: culls + export versus no offtake (DESIGN §5, issue 15 item 3).

The export question (:mod:`saigapop.management.arms`) sets an exporting arm against a
no-export arm with the *same* culls in both. The programme question sets everything the
programme removes against **no offtake** — no culls, no export, no dedicated harvest;
baseline (non-trade) poaching kept; the removals already realised in the latest census year
``Y`` applied, because they happened — and asks for the **largest constant annual removal of
adult males** in the quota years ``Y+1…Y+3``, per population, given the plan's female, calf
and yearling removals (those stay as planned; only the adult-male component is solved for).

**One solver.** The candidate arm is an operating model built from the same posterior draws,
seed and random numbers as the export question's, with the offtake plan's adult-male cells
set to zero after ``Y`` (the plan's other removals kept; announced plans still get the
implementation fraction and selectivity), and the adult males carried by a
:class:`~saigapop.management.ConstantHarvest` of level ``T`` on (male, adult). The
comparator is :meth:`OperatingModel.baseline` of a second operating model with no plan at
all (same seed and draws, so common random numbers). :func:`~saigapop.management.solve_quota`
solves ``T`` against that comparator (its ``baseline=`` argument) with the same criteria and
P* buffer as the export question.

**Limit and plannable part.** ``T`` — the adult males *taken* (shot and retrieved, by cull
or for export) each quota year — is what a ministry can plan culls and exports against: the
**plannable part**. The projection adds to it the wounding loss ``w·T`` (``w`` the operating
model's wounding, default :data:`~saigapop.management.DEFAULT_WOUNDING`) and poaching; so
the **limit** on total adult-male removal is::

    limit = T + w·T + E[poaching]
    E[poaching] = mean_{d,t}(r_{d,t} · τ_{d,t}) · mean_{d,t} M_{d,t}

with ``r`` the posterior adult-male poaching rate of draw ``d`` in quota year ``t``, ``τ`` the
trade multiplier of an exporting arm (1 where trade is shut, or with
``trade_poaching=False``), and ``M`` the projected adult males at the census opening quota
year ``t`` at the solved level. Hence ``plannable = limit − E[poaching] − w·T`` exactly.

**Trade-linked poaching** applies to a positive candidate as in an exporting arm (the adult
males removed are horned; their horns can be sold): ``export_effects`` switches it
(:data:`~saigapop.management.arms.NO_EXPORT_EFFECTS` for none). With a zero plan the
programme's comparator *is* the export question's no-export arm, so the plannable part equals
the export quota solved with the same criteria, seed and draws (tested).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from saigapop.constants import AGE_CLASSES, SEXES
from saigapop.locale import N_, NP_
from saigapop.locale.messages import Message
from saigapop.management.arms import CullPlan, ExportEffects
from saigapop.management.convergence import ConvergenceWarning
from saigapop.management.criteria import (
    DEFAULT_ABUNDANCE_LIMITS,
    Criterion,
    criterion_term,
    default_criteria,
)
from saigapop.management.harvest import ConstantHarvest, HarvestSchedule
from saigapop.management.operating_model import OperatingModel
from saigapop.management.quota import DEFAULT_P_STAR, QuotaResult, solve_quota
from saigapop.management.recommend import DEFAULT_OM_DRAWS, operating_model_options
from saigapop.model.diagnostics import sex_ratio_prior_driven

__all__ = ["ProgrammeModels", "ProgrammeResult", "programme_models", "solve_programme"]

_MALE, _ADULT = SEXES.index("male"), AGE_CLASSES.index("adult")


@dataclass(frozen=True, eq=False)
class ProgrammeModels:
    """The two operating models of the programme question (same draws, seed, random numbers).

    Attributes
    ----------
    candidate
        The plan without its adult males after ``Y`` (its other removals kept); the adult
        males are the solved :class:`~saigapop.management.ConstantHarvest`.
    no_offtake
        No plan: only the removals realised in ``Y``; its :meth:`~OperatingModel.baseline`
        is the comparator.
    latest_year
        ``Y``.
    """

    candidate: OperatingModel
    no_offtake: OperatingModel
    latest_year: int


def _without_adult_males(options: dict[str, Any], latest_year: int) -> dict[str, Any]:
    """Zero the (male, adult) cells of the plan after ``latest_year`` in operating-model options."""
    out = dict(options)
    planned = out.get("planned_culls")
    if planned is not None:
        da = planned.removals.copy()
        da.loc[{"sex": "male", "age": "adult"}] = 0.0
        out["planned_culls"] = HarvestSchedule(da, label=f"{planned.label}; adult males solved for")
    realised = out["realised_removals"].copy()
    if "year" in realised.dims:
        later = realised["year"] > latest_year
        cells = (realised["sex"] == "male") & (realised["age"] == "adult") & later
        realised = realised.where(~cells, 0.0)
    out["realised_removals"] = realised
    return out


def programme_models(
    posterior: xr.DataTree,
    removals: pd.DataFrame,
    plan: CullPlan | None = None,
    *,
    seed: int = 0,
    om_draws: int | None = DEFAULT_OM_DRAWS,
    export_effects: ExportEffects | None = None,
    **om_kwargs: Any,
) -> ProgrammeModels:
    """Build the candidate and no-offtake operating models of the programme question.

    Parameters
    ----------
    posterior
        A fit (``DataTree`` with ``posterior``).
    removals
        The validated removals table; the final removals of ``Y`` are applied in both.
    plan
        The offtake plan of the export question (one scenario), or ``None``.
    seed, om_draws
        As in :func:`~saigapop.management.recommend_quota` (same seed and draws → the same
        random numbers as the export question's operating model).
    export_effects
        What a positive candidate changes (default: trade-linked poaching at the posterior
        multiplier in the quota years).
    **om_kwargs
        Further :meth:`OperatingModel.from_posterior` options (both models).

    Returns
    -------
    ProgrammeModels

    Examples
    --------
    >>> from saigapop.testing import synthetic_posterior
    >>> no_removals = pd.DataFrame(columns=["population", "year", "kind", "status", "timing",
    ...     "sex", "age", "unit", "value", "lower", "upper"])
    >>> models = programme_models(synthetic_posterior(chains=1, draws=10), no_removals)
    >>> float(models.no_offtake.culls.sum()), models.latest_year
    (0.0, 2025)
    """
    post = posterior["posterior"]
    latest = int(posterior.attrs.get("latest_census_year", int(post["year"].max())))
    with_plan = operating_model_options(posterior, removals, offtake=plan, om_draws=om_draws)
    none = operating_model_options(posterior, removals, offtake=None, om_draws=om_draws)
    candidate = OperatingModel.from_posterior(
        posterior,
        seed=seed,
        export_effects=export_effects,
        **_without_adult_males(with_plan, latest),
        **om_kwargs,
    )
    with warnings.catch_warnings():  # the candidate has warned about convergence already
        warnings.simplefilter("ignore", ConvergenceWarning)
        no_offtake = OperatingModel.from_posterior(posterior, seed=seed, **none, **om_kwargs)
    return ProgrammeModels(candidate, no_offtake, latest)


@dataclass(frozen=True, eq=False)
class ProgrammeResult:
    """The whole programme's adult-male limit per population, and its plannable part (frozen).

    All numbers are adult males a year, constant over the quota years.

    Attributes
    ----------
    limit
        Largest total adult-male removal per population: ``plannable + wounding +
        poaching`` (module docstring).
    plannable
        Adult males that may be taken (culls and exports together): the solved level.
    poaching
        Expected adult-male poaching a year at the limit:
        ``mean(rate × trade multiplier) × mean(adult males)`` over draws and quota years.
    wounding
        Wounding loss: ``wounding rate × plannable``.
    binding
        The criterion that binds (fails just above the plannable part), or ``""``.
    reason
        Why, per population (:class:`~saigapop.locale.messages.Message`).
    at_limit
        Every criterion's risks at the limit against no offtake (``criterion, population``),
        with Monte Carlo errors.
    other_removals
        The plan's removals kept as given (all but adult males), achieved, mean per quota
        year and draw, ``(population, sex, age)``.
    simulated
        Adult-male removals by source at the limit as projected (mean per quota year and
        draw): a cross-check of the formula.
    solution
        The solver's full result (risk curve, P* distribution).
    comparator
        What the comparator is, in words.
    settings
        Seed, draws, wounding, trade-linked poaching, the formula.
    """

    limit: xr.DataArray
    plannable: xr.DataArray
    poaching: xr.DataArray
    wounding: xr.DataArray
    binding: xr.DataArray
    reason: xr.DataArray
    at_limit: xr.Dataset
    other_removals: xr.DataArray
    simulated: xr.Dataset
    solution: QuotaResult
    comparator: Message
    settings: dict = field(default_factory=dict)

    def national(self) -> dict[str, float]:
        """Return the sums over populations of the limit, plannable part, poaching and wounding.

        A sum of per-population limits: each population meets the criteria on its own.
        """
        return {
            name: float(getattr(self, name).sum())
            for name in ("limit", "plannable", "poaching", "wounding")
        }

    def table(self) -> pd.DataFrame:
        """One row per population and a ``national`` row (sums; no binding criterion)."""
        rows = []
        for pop in self.limit["population"].values:
            rows.append(
                {
                    "population": str(pop),
                    "limit": float(self.limit.sel(population=pop)),
                    "plannable": float(self.plannable.sel(population=pop)),
                    "poaching": float(self.poaching.sel(population=pop)),
                    "wounding": float(self.wounding.sel(population=pop)),
                    "binding": str(self.binding.sel(population=pop).values),
                }
            )
        rows.append({"population": "national", **self.national(), "binding": ""})
        return pd.DataFrame(rows).set_index("population")

    def __repr__(self) -> str:
        lines = ["ProgrammeResult (adult males a year; limit = plannable + wounding + poaching)"]
        for pop, row in self.table().iterrows():
            lines.append(
                f"  {pop}: limit {row['limit']:,.0f}, plannable {row['plannable']:,.0f}"
                + (f"; binding: {row['binding']}" if row["binding"] else "")
            )
        return "\n".join(lines)


def solve_programme(
    posterior: xr.DataTree,
    removals: pd.DataFrame,
    plan: CullPlan | None = None,
    criteria: Sequence[Criterion] | None = None,
    *,
    limits: Mapping[str, float] | None = None,
    seed: int = 0,
    om_draws: int | None = DEFAULT_OM_DRAWS,
    export_effects: ExportEffects | None = None,
    p_star: float = DEFAULT_P_STAR,
    progress: bool = False,
    **om_kwargs: Any,
) -> ProgrammeResult:
    """Largest constant annual adult-male removal of the whole programme, per population.

    Parameters
    ----------
    posterior
        A fit (``DataTree`` with ``posterior`` and, to decide the sex-ratio flags, ``prior``).
    removals
        The validated removals table (the final removals of ``Y`` stay in both arms).
    plan
        The offtake plan (one scenario); its removals other than adult males stay as given.
    criteria
        Default: :func:`~saigapop.management.default_criteria` with the prior-driven
        sex-ratio flags of the fit — the export question's criteria.
    limits
        Abundance limits over :data:`~saigapop.management.DEFAULT_ABUNDANCE_LIMITS`
        (ignored when ``criteria`` are given).
    seed, om_draws
        As in :func:`~saigapop.management.recommend_quota`.
    export_effects
        Trade-linked poaching (and any cull shift) of a positive candidate; default as in
        the export question. :data:`~saigapop.management.arms.NO_EXPORT_EFFECTS`: none.
    p_star
        P* buffer (default :data:`~saigapop.management.DEFAULT_P_STAR`).
    progress
        Solver progress bars.
    **om_kwargs
        Further :meth:`OperatingModel.from_posterior` options (e.g. ``wounding``).

    Returns
    -------
    ProgrammeResult

    Examples
    --------
    >>> from saigapop.management import HarvestSchedule
    >>> from saigapop.testing import synthetic_posterior
    >>> no_removals = pd.DataFrame(columns=["population", "year", "kind", "status", "timing",
    ...     "sex", "age", "unit", "value", "lower", "upper"])
    >>> plan = HarvestSchedule.from_records(
    ...     [("Ural", y, "female", "adult", 20_000.0) for y in (2026, 2027, 2028)])
    >>> res = solve_programme(synthetic_posterior(chains=1, draws=40), no_removals, plan,
    ...                       seed=1, om_draws=None)
    >>> row = res.table().loc["Ural"]
    >>> bool(abs(row["limit"] - row["plannable"] - row["poaching"] - row["wounding"]) < 1e-6)
    True
    """
    models = programme_models(
        posterior,
        removals,
        plan,
        seed=seed,
        om_draws=om_draws,
        export_effects=export_effects,
        **om_kwargs,
    )
    om = models.candidate
    if criteria is None:
        flags = sex_ratio_prior_driven(posterior)
        criteria = default_criteria(
            {**DEFAULT_ABUNDANCE_LIMITS, **(limits or {})}, prior_driven=flags
        )
    comparator = models.no_offtake.baseline()
    solution = solve_quota(om, criteria, p_star=p_star, progress=progress, baseline=comparator)
    pops = list(om.populations)
    plannable = solution.level.values.astype(np.float64)
    # the projection at the limit (same random numbers): adult males and removals by source
    proj = om.project(ConstantHarvest(), plannable[None, :], record="full").isel(candidate=0)
    qy = list(om.quota_years)
    males = proj["adult_males"].sel(year=qy).mean(("draw", "year")).values  # (P,)
    t_idx = [int(np.searchsorted(om.model_years, y)) for y in qy]
    rate = om.poaching[_MALE][t_idx]  # (t, D, P)
    trade = np.where(plannable[None, None, :] > 0, om.trade[t_idx][:, :, None], 1.0)
    mean_rate = np.clip(rate * trade, 0.0, 1.0).mean(axis=(0, 1))  # (P,)
    poaching = mean_rate * males
    wounding = om.wounding * plannable

    def per_pop(values: np.ndarray, name: str) -> xr.DataArray:
        return xr.DataArray(values, dims="population", coords={"population": pops}, name=name)

    removed = proj["removed"].sel(year=qy, sex="male", age_class="adult").mean(("draw", "year"))
    simulated = removed.to_dataset("source").transpose("population")
    simulated.attrs["note"] = "adult males removed by source at the limit, mean per quota year"
    other = om.culls[:, :, t_idx].mean(axis=(2, 3))  # (sex, age, P)
    other_da = xr.DataArray(
        np.moveaxis(other, -1, 0),
        dims=("population", "sex", "age"),
        coords={"population": pops, "sex": list(SEXES), "age": list(AGE_CLASSES)},
        name="other_removals",
    )
    ok_at_zero = solution.risk_curve["passes"].all("criterion").isel(candidate=0).values
    reasons = list(solution.reason.values)
    for j, ok in enumerate(ok_at_zero):
        if not ok:
            crits = [
                str(c)
                for c in solution.risk_curve["criterion"].values
                if not bool(
                    solution.risk_curve["passes"].sel(criterion=c).isel(candidate=0, population=j)
                )
            ]
            reasons[j] = Message.counted(
                NP_(
                    "no adult-male removal is safe: the plan's other removals alone fail "
                    "{criteria} against no offtake",
                    "no adult-male removal is safe: the plan's other removals alone fail "
                    "{criteria} against no offtake",
                ),
                "n",
                {"criteria": tuple(map(criterion_term, crits)), "n": len(crits)},
            )
    effects = om.settings.get("export_effects", {})
    return ProgrammeResult(
        limit=per_pop(plannable + wounding + poaching, "limit"),
        plannable=per_pop(plannable, "plannable"),
        poaching=per_pop(poaching, "poaching"),
        wounding=per_pop(wounding, "wounding"),
        binding=solution.binding,
        reason=xr.DataArray(
            np.array(reasons, dtype=object), dims="population", coords={"population": pops}
        ),
        at_limit=solution.at_quota,
        other_removals=other_da,
        simulated=simulated,
        solution=solution,
        comparator=Message(
            N_(
                "no offtake: the same posterior draws and random numbers, no culls, no export, "
                "no dedicated harvest; baseline (non-trade) poaching kept; the removals "
                "realised in {year} applied"
            ),
            {"year": models.latest_year},
        ),
        settings={
            "seed": seed,
            "n_draws": om.n_draws,
            "wounding": om.wounding,
            "trade_poaching": bool(effects.get("trade_poaching", True)),
            "latest_year": models.latest_year,
            "quota_years": qy,
            "formula": (
                "limit = plannable + wounding × plannable + mean(poaching rate × trade "
                "multiplier) × mean(adult males at the quota years' censuses)"
            ),
        },
    )
