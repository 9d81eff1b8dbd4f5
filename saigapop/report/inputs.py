"""What the model-dependent report sections read: prepared once, before the payload.

:func:`prepare_quota` runs the projections a report needs from an
:class:`~saigapop.management.OperatingModel` and its
:class:`~saigapop.management.QuotaResult` (allocation of the CITES cap, triggers, PBR, the
projected fans, the reference-case statistics) and returns a frozen :class:`QuotaInputs`.
:class:`ValidationInputs` and :class:`TrialInputs` carry the validation checks, the
alternative-prior quotas and the robustness trials. The section builders
(:mod:`saigapop.report.model_sections`) only read these objects.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

__all__ = [
    "QUANTILES",
    "QuotaInputs",
    "TrialInputs",
    "ValidationInputs",
    "as_quota_inputs",
    "ppc_coverage_check",
    "prepare_quota",
    "prepare_trials",
    "prepare_validation",
    "quantile_bands",
]

#: Quantiles of every fan chart (5, 25, 50, 75, 95 %).
QUANTILES: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95)
_QCOLS = ("q05", "q25", "q50", "q75", "q95")


@dataclass(frozen=True)
class QuotaInputs:
    """The quota solution and everything the report derives from it.

    Attributes
    ----------
    result
        The :class:`~saigapop.management.QuotaResult`.
    allocation
        :func:`~saigapop.management.allocate_cap` output (``year, population, source``).
    triggers
        :func:`~saigapop.management.compute_triggers` output (``year, population``).
    pbr
        :func:`~saigapop.management.pbr_table` output with the projected human offtake.
    bands
        Fan-chart quantiles: ``quantity`` (``total``, ``sex_ratio``), ``population``,
        ``series`` (``no export``, ``at the quota``), ``year``, ``q05`` … ``q95``.
    reference
        Per population: abundance, growth, sex-ratio and offtake statistics (one row per
        population, plain numbers).
    start_year
        The latest census year ``Y``.
    quota_years
        Years of the export harvest.
    stock_horns, stock_origin
        Horns in storage and the population they came from (0 and ``""`` without stock).
    curve
        A fine risk curve from zero to twice each population's quota (the solver's own grid
        is coarse), as :func:`~saigapop.management.risk_curve` returns it.
    """

    result: Any
    allocation: xr.Dataset | None = None
    triggers: xr.Dataset | None = None
    pbr: xr.Dataset | None = None
    bands: pd.DataFrame | None = None
    reference: pd.DataFrame | None = None
    start_year: int | None = None
    quota_years: tuple[int, ...] = ()
    stock_horns: int = 0
    stock_origin: str = ""
    curve: xr.Dataset | None = None


@dataclass(frozen=True)
class ValidationInputs:
    """Validation results for the report.

    Attributes
    ----------
    checks
        Acceptance checks (:class:`saigapop.validation.Check` objects or a
        :func:`~saigapop.validation.checklist_table` DataFrame).
    alternatives
        Quota under alternative priors: a tidy table (``parameter``, ``alternative``,
        ``population``, ``value``, ``reference``) from
        :func:`~saigapop.validation.run_alternative_priors`, or its
        :func:`~saigapop.validation.tornado_table`. Optional columns ``khat``, ``ess``,
        ``reliable`` and ``prior`` (from
        :func:`~saigapop.report.reweighting.reweighted_alternative_quotas`) are shown.
    method
        How the alternatives were conditioned on the data (``"reweighted"`` or ``"refit"``).
    power_scaling
        :class:`~saigapop.validation.SensitivityResult` ``table`` (power-scaling prior and
        likelihood sensitivity per parameter), or ``None``.
    evidence
        Slow-tier checks read from file (:class:`~saigapop.validation.Evidence`), shown in
        the checklist without gating the quota, with their provenance; or ``None``.
    """

    checks: Any = None
    alternatives: pd.DataFrame | None = None
    method: str = ""
    power_scaling: pd.DataFrame | None = None
    evidence: Any = None

    def checklist(self) -> pd.DataFrame | None:
        """Return the checks as a table (:data:`saigapop.validation.CHECKLIST_COLUMNS`)."""
        from saigapop.validation.checklist import checklist_table

        extra = checklist_table(self.evidence.checks) if self.evidence is not None else None
        if self.checks is None:
            own = None
        elif isinstance(self.checks, pd.DataFrame):
            own = self.checks
        else:
            own = checklist_table(self.checks)
        parts = [t for t in (own, extra) if t is not None and not t.empty]
        return pd.concat(parts, ignore_index=True) if parts else own


@dataclass(frozen=True)
class TrialInputs:
    """Robustness trials and the management strategy evaluation.

    Attributes
    ----------
    trials
        :func:`~saigapop.management.run_trials` output or its ``trial_table``.
    mse
        :func:`~saigapop.management.mse.summarise_mse` output or its ``mse_table``.
    notes
        Sentences the report adds (e.g. the number of MSE replicates).
    conditioning
        How trials that change the observation model were conditioned on the data:
        ``"reweighted"`` (importance weights, the default of
        :func:`~saigapop.management.run_trials`) or ``"refit"``.
    """

    trials: Any = None
    mse: Any = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    conditioning: str = "reweighted"


def quantile_bands(da: xr.DataArray, *, dim: str = "draw", **labels: str) -> pd.DataFrame:
    """Quantiles of ``da`` over ``dim`` as fan-chart rows (one per remaining coordinate).

    Parameters
    ----------
    da
        Draws, e.g. ``(draw, population, year)``.
    dim
        Dimension (or dimensions stacked beforehand) summarised.
    **labels
        Constant columns added to every row (``series="no export"``).

    Returns
    -------
    pandas.DataFrame
        The remaining coordinates as columns plus ``q05``, ``q25``, ``q50``, ``q75``,
        ``q95``.

    Examples
    --------
    >>> da = xr.DataArray(np.arange(10.0)[:, None], dims=("draw", "year"),
    ...                   coords={"year": [2025]})
    >>> quantile_bands(da, series="s")[["year", "q50", "series"]].values.tolist()
    [[2025, 4.5, 's']]
    """
    q = da.quantile(list(QUANTILES), dim=dim, skipna=True)
    frame = q.to_series().unstack("quantile")
    frame.columns = list(_QCOLS)
    frame = frame.reset_index()
    for k, v in labels.items():
        frame[k] = v
    return frame


def as_quota_inputs(quota: Any) -> QuotaInputs:
    """Wrap a bare :class:`~saigapop.management.QuotaResult` (nothing derived)."""
    return quota if isinstance(quota, QuotaInputs) else QuotaInputs(result=quota)


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
    >>> from saigapop.management import OperatingModel, solve_quota, synthetic_posterior
    >>> om = OperatingModel.from_posterior(synthetic_posterior(chains=1, draws=40), seed=1)
    >>> qi = prepare_quota(om, solve_quota(om, progress=False))
    >>> sorted(qi.bands["series"].unique())
    ['at the quota', 'no export']
    """
    from saigapop.constants import CITES_CAP_KG
    from saigapop.management import ConstantHarvest, allocate_cap, compute_triggers, pbr_table
    from saigapop.model.diagnostics import sex_ratio_prior_driven

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
    alloc = allocate_cap(result, stock=stock, cap_kg=CITES_CAP_KG if cap_kg is None else cap_kg)
    trig = compute_triggers(om, result) if triggers else None
    from saigapop.management import risk_curve

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


def checks_frame(checks: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Rows ``Check, Value, Threshold, Passed, Detail`` as a DataFrame."""
    return pd.DataFrame(list(checks), columns=["Check", "Value", "Threshold", "Passed", "Detail"])


def ppc_coverage_check(fit: Any, *, var_name: str = "count", prob: float = 0.9) -> Any:
    """Posterior predictive coverage of the census counts as an acceptance check.

    The check passes when the share of counts inside their central ``prob`` posterior
    predictive interval is at least the lower end of the 99 % binomial band around ``prob``
    (:func:`saigapop.validation.binomial_band`); in-sample coverage above nominal is not a
    failure (posterior predictive intervals include the fitted observation).

    Parameters
    ----------
    fit
        Fit with ``posterior_predictive`` and ``observed_data`` groups.
    var_name, prob
        Observed variable and interval mass.

    Returns
    -------
    saigapop.validation.Check
    """
    from saigapop.model.diagnostics import ppc_coverage
    from saigapop.report.i18n import _
    from saigapop.validation import Check, binomial_band

    table = ppc_coverage(fit, var_name=var_name, prob=prob)
    n = len(table)
    cov = float(table.attrs["coverage"]) if n else float("nan")
    lo = binomial_band(n, prob)[0] if n else 1.0
    outside = table.loc[~table["inside"], "observation"].astype(str).tolist()
    text = _("{inside} of {n} counts inside their {pct} % predictive interval").format(
        inside=int(table["inside"].sum()) if n else 0, n=n, pct=round(100 * prob)
    )
    if outside:
        text += "; " + _("outside: {names}").format(names=", ".join(outside[:6]))
    return Check(
        _("Posterior predictive coverage of the counts"),
        bool(n and cov >= lo),
        cov,
        f">= {lo:.2f}",
        text,
    )


def prepare_validation(
    fit: Any,
    data: Any,
    *,
    alternatives: pd.DataFrame | None = None,
    method: str = "reweighted",
    on_step: Any = None,
) -> ValidationInputs:
    """Run the validation checks cheap enough for every report, from one fit.

    Runs the posterior predictive coverage of the counts (:func:`ppc_coverage_check`), the
    PSIS-LOO Pareto k̂ of every observation (:func:`saigapop.validation.pareto_khat`) and
    power-scaling prior sensitivity (:func:`saigapop.validation.prior_sensitivity`, reported,
    not gating). The last two need ``log_likelihood`` and ``log_prior`` groups, added by
    :func:`saigapop.validation.add_log_densities` when absent. Refit-based checks (SBC,
    recovery, retrospectives, hindcasts) are too slow for a report run and are not included.

    Parameters
    ----------
    fit
        The fit ``DataTree``.
    data
        The data it was fitted to (to rebuild the model's log densities).
    alternatives
        Quotas under alternative priors (see :class:`ValidationInputs`).
    method
        How ``alternatives`` were conditioned (``"reweighted"`` or ``"refit"``).
    on_step
        Called with a short description as each check starts.

    Returns
    -------
    ValidationInputs
    """
    import warnings

    from saigapop.report.i18n import _
    from saigapop.validation import add_log_densities, pareto_khat, prior_sensitivity

    def step(text: str) -> None:
        if on_step is not None:
            on_step(text)

    checks = []
    if "posterior_predictive" in fit.children and "observed_data" in fit.children:
        step(_("Posterior predictive coverage"))
        checks.append(ppc_coverage_check(fit))
    full = fit
    if not {"log_likelihood", "log_prior"} <= set(fit.children):
        step(_("Log densities for PSIS-LOO and power scaling"))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            full = add_log_densities(fit, data)
    step(_("PSIS-LOO Pareto k"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c = pareto_khat(full).check()
    # k̂ judges the PSIS approximation, not the model (the check is not gating): with one
    # count per population-year and its own year effect, k̂ is high by construction (exact
    # refits in docs/validation.md)
    checks.append(replace(c, name=_("PSIS-LOO Pareto k̂ of every observation")))
    step(_("Power-scaling prior sensitivity"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sens = prior_sensitivity(full)
    c = sens.check()
    checks.append(replace(c, name=_("Power-scaling prior sensitivity")))
    return ValidationInputs(
        checks=checks, alternatives=alternatives, method=method, power_scaling=sens.table
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

    Returns
    -------
    TrialInputs
        Trials (:func:`~saigapop.management.run_trials`: reweighted trials are conditioned
        by importance reweighting, never refitted) and the MSE summary of the procedure
        behind the quota, the PBR rule and zero export.
    """
    import warnings

    from saigapop.management import OperatingModel, run_trials
    from saigapop.management.mse import (
        pbr_procedure,
        procedure_from_quota,
        run_mse,
        summarise_mse,
    )
    from saigapop.report.i18n import _

    opts = dict(om_options or {})
    if on_step is not None:
        on_step(_("Robustness trials"))
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        trials = run_trials(posterior, result, seed=seed, counts=counts, progress=False, **opts)
    if on_step is not None:
        on_step(_("Management strategy evaluation ({n} replicates)").format(n=n_replicates))
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
        _(
            "The MSE ran {n} replicates (posterior draws × stochastic futures) in blocks of {b}."
        ).format(n=int(mse.sizes["replicate"]), b=int(mse.attrs.get("block_size", 0))),
    )
    return TrialInputs(trials=trials, mse=summary, notes=notes, conditioning="reweighted")
