"""Everything a report shows about the quota, computed from the operating model and the fit.

:func:`prepare_quota` runs the projections a report needs from an
:class:`~saigapop.management.OperatingModel` and its
:class:`~saigapop.management.QuotaResult` (allocation of the CITES cap, triggers, PBR, the
projected fans, the reference-case statistics) and returns a frozen
:class:`~saigapop.management.outcomes.QuotaInputs`; :func:`prepare_trials` runs the
robustness trials and the closed-loop MSE into a
:class:`~saigapop.management.outcomes.TrialInputs`. The report
(:mod:`saigapop.report`) only reads these objects: it runs no projection.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from saigapop.constants import CITES_CAP_KG
from saigapop.locale import N_
from saigapop.locale.messages import Message
from saigapop.management.harvest import ConstantHarvest
from saigapop.management.horns import allocate_cap
from saigapop.management.mse import pbr_procedure, procedure_from_quota, run_mse, summarise_mse
from saigapop.management.operating_model import OperatingModel
from saigapop.management.outcomes import QuotaInputs, TrialInputs, quantile_bands
from saigapop.management.pbr import pbr_table
from saigapop.management.quota import risk_curve
from saigapop.management.trials import run_trials
from saigapop.management.triggers import compute_triggers
from saigapop.model.diagnostics import sex_ratio_prior_driven

__all__ = ["prepare_quota", "prepare_trials"]


def prepare_quota(
    om: Any,
    result: Any,
    *,
    stock: Any = None,
    fit: Any = None,
    triggers: bool = True,
    cap_kg: float | None = None,
    n_curve: int = 13,
) -> QuotaInputs:
    """Project what the report needs at the quota and at zero export (same draws, CRN).

    Parameters
    ----------
    om
        The :class:`~saigapop.management.OperatingModel` the quota was solved on.
    result
        The :class:`~saigapop.management.QuotaResult`.
    stock
        Horns in storage (:class:`~saigapop.management.HornStock`), or ``None``.
    fit
        The fit, to flag a prior-driven sex ratio
        (:func:`saigapop.model.diagnostics.sex_ratio_prior_driven`).
    triggers
        Compute the suspension triggers (one more full projection).
    cap_kg
        National cap (default the CITES cap).
    n_curve
        Points of the fine risk curve (zero to twice the quota).

    Returns
    -------
    QuotaInputs

    Examples
    --------
    >>> from saigapop.management import OperatingModel, solve_quota
    >>> from saigapop.testing import synthetic_posterior
    >>> om = OperatingModel.from_posterior(synthetic_posterior(chains=1, draws=40), seed=1)
    >>> qi = prepare_quota(om, solve_quota(om, progress=False))
    >>> sorted(qi.bands["series"].unique())
    ['at the quota', 'no export']
    """
    pops = list(om.populations)
    levels = result.level.sel(population=pops).values.astype(float)
    at = om.project(ConstantHarvest(), levels[None, :], record="full").isel(candidate=0)
    base = om.baseline(record="full")
    qy = list(om.quota_years)
    y0 = int(om.start_year)

    def sex_ratio(ds: xr.Dataset) -> xr.DataArray:
        a = ds["abundance"].sel(age="adult")
        return a.sel(sex="male") / a.sel(sex="female")

    bands = []
    for series, ds in (("no export", base), ("at the quota", at)):
        for quantity, da in (("total", ds["total"]), ("sex_ratio", sex_ratio(ds))):
            b = quantile_bands(
                da.drop_vars("chain", errors="ignore"), series=series, quantity=quantity
            )
            bands.append(b)
    bands_df = pd.concat(bands, ignore_index=True)

    # reference-case statistics per population
    n0 = np.asarray(om.n0)  # (draw, pop, sex, census age)
    total0 = n0.sum(axis=(-2, -1))
    am0, af0 = n0[..., 1, 1], n0[..., 0, 1]
    ratio0 = am0 / af0
    last_q = max(qy) if qy else y0 + 1
    years_total = base["total"]["year"].values
    y_end = last_q + 1 if (last_q + 1) in years_total else last_q
    k = max(y_end - y0, 1)
    growth = (base["total"].sel(year=y_end) / base["total"].sel(year=y0)) ** (1.0 / k)
    removed = at["removed"].sel(year=qy).sum(("source", "sex", "age_class")).mean("year")
    removed_m = at["male_mortality"].sel(year=qy).mean("year")
    share = (at["export"].sel(year=qy) / at["adult_males"].sel(year=qy)).max("year")
    rows = []
    for j, p in enumerate(pops):
        rows.append(
            {
                "population": p,
                "abundance_q05": float(np.quantile(total0[:, j], 0.05)),
                "abundance_q50": float(np.quantile(total0[:, j], 0.5)),
                "abundance_q95": float(np.quantile(total0[:, j], 0.95)),
                "adult_males_q50": float(np.median(am0[:, j])),
                "growth_q05": float(growth.sel(population=p).quantile(0.05)),
                "growth_q50": float(growth.sel(population=p).median()),
                "growth_q95": float(growth.sel(population=p).quantile(0.95)),
                "sex_ratio_q05": float(np.quantile(ratio0[:, j], 0.05)),
                "sex_ratio_q50": float(np.median(ratio0[:, j])),
                "sex_ratio_q95": float(np.quantile(ratio0[:, j], 0.95)),
                "human_offtake": float(removed.sel(population=p).median()),
                "male_offtake": float(removed_m.sel(population=p).median()),
                "share_adult_males_exported": float(share.sel(population=p).median()),
            }
        )
    reference = pd.DataFrame(rows)
    flags = sex_ratio_prior_driven(fit) if fit is not None else dict.fromkeys(pops, True)
    reference["sex_ratio_prior_driven"] = [bool(flags.get(p, True)) for p in pops]

    human = xr.DataArray(
        reference["human_offtake"].to_numpy(), dims="population", coords={"population": pops}
    )
    male = xr.DataArray(
        reference["male_offtake"].to_numpy(), dims="population", coords={"population": pops}
    )
    pbr = pbr_table(om, human_caused=human, male_human_caused=male)
    # horned males the cull plan takes in the quota years (both arms: their horns add no
    # mortality), the posterior median per year — exportable from the next calendar year
    culled = base["removed"].sel(source="cull", sex="male", age_class=["yearling", "adult"])
    culled = culled.sum("age_class").sel(year=qy)
    culled = culled.median([d for d in culled.dims if d not in ("year", "population")])
    alloc = allocate_cap(
        result,
        stock=stock,
        culls=culled if float(culled.sum()) > 0 else None,
        cap_kg=CITES_CAP_KG if cap_kg is None else cap_kg,
    )
    trig = compute_triggers(om, result) if triggers else None
    top = np.maximum(2.0 * levels, 10.0)
    grid = np.linspace(0.0, 1.0, n_curve)[:, None] * top[None, :]
    curve = risk_curve(om, grid, result.criteria, p_star=result.p_star, progress=False)
    curve = curve.drop_vars(["fail", "male_mortality", "export_taken"], errors="ignore")
    return QuotaInputs(
        result=result,
        allocation=alloc,
        triggers=trig,
        pbr=pbr,
        bands=bands_df,
        reference=reference,
        start_year=y0,
        quota_years=tuple(int(y) for y in qy),
        stock_horns=int(stock.pieces) if stock is not None else 0,
        stock_origin=str(stock.origin) if stock is not None else "",
        curve=curve,
    )


def prepare_trials(
    posterior: Any,
    result: Any,
    *,
    limits: Mapping[str, float],
    seed: int,
    n_replicates: int = 1000,
    om_options: Mapping[str, Any] | None = None,
    counts: xr.DataArray | None = None,
    pbr_om: Any = None,
    on_step: Any = None,
    trials: Any = None,
    across: xr.Dataset | None = None,
) -> TrialInputs:
    """Run the robustness trials of the recommended quota and the closed-loop MSE.

    Parameters
    ----------
    posterior
        The fit.
    result
        The :class:`~saigapop.management.QuotaResult` (its criteria judge the trials).
    limits
        Abundance limits per population (MSE).
    seed
        Seed of the trials' operating models and of the MSE.
    n_replicates
        MSE replicates (posterior draws × futures).
    om_options
        :meth:`~saigapop.management.OperatingModel.from_posterior` options shared by the
        trials and the MSE (``realised_removals``, ``n_draws``).
    counts
        Census counts ``(population, year)`` for the reweighted trials (for the data:
        ``data.to_xarray()["count"]``; default those stored with the fit).
    pbr_om
        Operating model for the PBR comparator procedure (default: built here).
    on_step
        Called with a short description as each part starts.
    trials
        The trials (default :data:`~saigapop.management.trial_grid.DEFAULT_TRIALS`).
    across
        The per-trial solutions (``Recommendation.across``): each trial's own quota and the
        equal-weight quota go into the trial results.

    Returns
    -------
    TrialInputs
        Trials (:func:`~saigapop.management.run_trials`: reweighted trials are conditioned
        by importance reweighting, never refitted) and the MSE summary of the procedure
        behind the quota, the PBR rule and zero export.
    """
    opts = dict(om_options or {})
    if on_step is not None:
        on_step(Message(N_("Robustness trials")).render())
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        extra = {} if trials is None else {"trials": trials}
        trials = run_trials(
            posterior,
            result,
            seed=seed,
            counts=counts,
            progress=False,
            across=across,
            **extra,
            **opts,
        )
    if on_step is not None:
        on_step(
            Message(
                N_("Management strategy evaluation ({n} replicates)"), {"n": int(n_replicates)}
            ).render()
        )
    mse_opts = {k: v for k, v in opts.items() if k != "n_draws"}
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        om = pbr_om or OperatingModel.from_posterior(posterior, seed=seed, **opts)
        procs = [procedure_from_quota(result, posterior), pbr_procedure(om)]
        pops = [str(p) for p in om.populations]
        mse = run_mse(
            posterior,
            procs,
            n_replicates=n_replicates,
            limits={p: float(limits[p]) for p in pops},
            seed=seed,
            **mse_opts,
        )
        summary = summarise_mse(mse)
    notes = (
        Message(
            N_(
                "The MSE ran {n} replicates (posterior draws × stochastic futures) in blocks "
                "of {b}."
            ),
            {"n": int(mse.sizes["replicate"]), "b": int(mse.attrs.get("block_size", 0))},
        ),
    )
    return TrialInputs(trials=trials, mse=summary, notes=notes, conditioning="reweighted")
