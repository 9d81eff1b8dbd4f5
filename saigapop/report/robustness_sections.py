"""Robustness trials and the closed-loop management strategy evaluation (MSE) section.

Registered in :data:`saigapop.report.sections.BUILDERS` under ``"robustness"`` (it replaces
the first draft in :mod:`saigapop.report.model_sections`). Inputs:
:class:`~saigapop.management.outcomes.TrialInputs` holding the output of
:func:`saigapop.management.run_trials` (an ``xarray.Dataset``, or its
:func:`~saigapop.management.trials.trial_table`) and of
:func:`saigapop.management.mse.summarise_mse` (or its
:func:`~saigapop.management.mse.mse_table`).

Tables: the trial grid (plausibility weight, set, what differs, how each trial is conditioned
on the data, the Pareto k̂ and effective sample size of its importance weights); per
population, the recommended quota in every trial (risk at the quota and at zero export,
added risk with its Monte Carlo error, the sex-ratio, conception and collapse risks, the
trial's limits, adult sex ratio, yield, pass or fail); each trial's own quota beside the
equal-weight quota of the reference set and the recommended quota (when the trial results
carry them: ``run_trials(..., across=...)``); the MSE risks with Monte Carlo errors and the
MSE performance (the procedure behind the quota, the PBR rule and zero export). Trials whose
weights are unreliable (k̂ > 0.7) are flagged in every table and counted in the prose.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from saigapop.locale.messages import render
from saigapop.management.outcomes import TrialInputs
from saigapop.report.config import ReportConfig
from saigapop.report.contracts import Section, Table, ValueBook
from saigapop.report.i18n import _
from saigapop.report.prose import join_words
from saigapop.report.vocabulary import population_name

__all__ = ["mse_tables", "own_quota_table", "robustness_section", "slug", "trial_tables"]

#: Pareto k̂ above which importance weights are unreliable (Vehtari et al. 2024).
KHAT_MAX = 0.7


def slug(text: str) -> str:
    """Make a table-name fragment from a population name (letters, digits, ``_``).

    Examples
    --------
    >>> slug("Betpakdala"), slug("North Ustyurt (UZ)")
    ('Betpakdala', 'North_Ustyurt_UZ')
    """
    return re.sub(r"[^0-9A-Za-z]+", "_", str(text)).strip("_") or "population"


def _procedure_words(name: str) -> str:
    return {
        "procedure": _("Procedure behind the quota"),
        "pbr": _("PBR rule (F_r = 0.5)"),
        "zero_export": _("Zero export"),
    }.get(str(name), str(name))


def _criterion_words(name: str) -> str:
    return {
        "abundance": _("abundance"),
        "sex_ratio": _("sex ratio"),
        "conception": _("conception"),
        "growth": _("growth"),
        "collapse": _("collapse"),
        "p_star": _("P* buffer"),
    }.get(name, name)


def _set_words(kind: str) -> str:
    return {"reference": _("reference"), "robustness": _("robustness")}.get(kind, kind)


def _plausibility_words(weight: str) -> str:
    return {
        "high": _("high"),
        "medium": _("medium"),
        "low": _("low"),
        "not rated": _("not rated"),
    }.get(weight, weight)


def _conditioning_words(text: str) -> str:
    head = str(text).split(":")[0].strip()
    return {
        "as fitted": _("as fitted"),
        "reweighted": _("reweighted"),
        "projection only": _("projection only"),
    }.get(head, head)


def _pct(x: Any) -> float:
    return float(100.0 * float(x))


def _as_dataset(trials: Any) -> xr.Dataset | pd.DataFrame | None:
    obj = trials.trials if isinstance(trials, TrialInputs) else trials
    if isinstance(obj, Mapping) and not isinstance(obj, xr.Dataset):
        obj = obj.get("trials")
    return obj


def trial_tables(trials: xr.Dataset) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Tabulate the trial grid and, per population, the quota's performance in every trial.

    Parameters
    ----------
    trials
        :func:`saigapop.management.run_trials` output.

    Returns
    -------
    grid, by_population
        ``grid``: one row per trial (set, what differs, conditioning, Pareto k̂, ESS, weights
        reliable). ``by_population``: population → one row per trial with risks in % and
        percentage points, sex ratio, yield and pass/fail.
    """
    names = [str(t) for t in trials["trial"].values]
    k = trials["pareto_k"].values.astype(float)
    weights = (
        [str(v) for v in trials["plausibility"].values]
        if "plausibility" in trials
        else ["not rated"] * len(names)
    )
    grid = pd.DataFrame(
        {
            _("Trial"): names,
            _("Plausibility"): [_plausibility_words(w) for w in weights],
            _("Set"): [_set_words(str(v)) for v in trials["kind"].values],
            _("What differs"): [_(str(v)) for v in trials["description"].values],
            _("Evidence for the weight"): [
                _(str(v)) if str(v) else ""
                for v in (trials["evidence"].values if "evidence" in trials else [""] * len(names))
            ],
            _("Conditioning"): [_conditioning_words(v) for v in trials["conditioning"].values],
            _("Pareto k̂"): np.where(np.isfinite(k), k, np.nan).round(2),
            _("ESS (draws)"): trials["ess"].values.astype(float).round(0),
            _("Weights reliable"): trials["weights_reliable"].values.astype(bool),
        }
    )
    crit = [str(c) for c in trials["criterion"].values]
    out: dict[str, pd.DataFrame] = {}
    for pop in trials["population"].values:
        x = trials.sel(population=pop)
        rows = []
        for t in names:
            xt = x.sel(trial=t)
            failing = [c for c in crit if not bool(xt["passes"].sel(criterion=c))]
            row: dict[str, Any] = {_("Trial"): t}
            row[_("Quota (adult males a year)")] = float(xt["quota"])
            row[_("Yield (adult males a year)")] = round(float(xt["yield"]), 0)
            if "abundance" in crit:
                ab = xt.sel(criterion="abundance")
                row[_("P(N < limit) at the quota (%)")] = _pct(ab["risk"])
                row[_("P(N < limit) at zero export (%)")] = _pct(ab["baseline_risk"])
                row[_("Added risk (pp)")] = _pct(ab["added_risk"])
                row[_("MC error of added risk (pp)")] = _pct(ab["added_risk_mcse"])
            for name, label in (
                ("sex_ratio", _("Sex-ratio failure (%)")),
                ("conception", _("Conception failure (%)")),
                ("collapse", _("Collapse (%)")),
            ):
                if name in crit:
                    row[label] = _pct(xt["decision_risk"].sel(criterion=name))
            row[_("Limits (× reference)")] = (
                1.0
                if str(xt["kind"].values) == "reference"
                else float(trials.attrs.get("robustness_limit_factor", 1.0))
            )
            row[_("Sex ratio at the quota (males per female)")] = float(xt["sex_ratio"])
            row[_("Sex ratio at zero export (males per female)")] = float(xt["sex_ratio_no_export"])
            row[_("Failing criteria")] = ", ".join(_criterion_words(c) for c in failing)
            row[_("Weights reliable")] = bool(xt["weights_reliable"])
            row[_("Passes")] = bool(xt["trial_passes"])
            rows.append(row)
        frame = pd.DataFrame(rows)
        pct_cols = [c for c in frame.columns if c.endswith("(%)") or c.endswith("(pp)")]
        frame[pct_cols] = frame[pct_cols].astype(float).round(3)
        frame[_("Sex ratio at the quota (males per female)")] = frame[
            _("Sex ratio at the quota (males per female)")
        ].round(3)
        frame[_("Sex ratio at zero export (males per female)")] = frame[
            _("Sex ratio at zero export (males per female)")
        ].round(3)
        out[str(pop)] = frame
    return grid, out


def _applied(trials: xr.Dataset) -> list[float]:
    """Return the quota applied in every trial (before a trial's implementation overshoot)."""
    levels = trials.attrs.get("levels")
    if levels is None:
        return [float(v) for v in trials["quota"].isel(trial=0).values]
    return [float(v) for v in levels]


def own_quota_table(trials: xr.Dataset) -> pd.DataFrame | None:
    """Tabulate each trial's own quota, the equal-weight quota and the recommended quota.

    Parameters
    ----------
    trials
        :func:`saigapop.management.run_trials` output run with ``across=`` (it carries
        ``trial_quota``, ``equal_weight_quota`` and ``robust_quota``).

    Returns
    -------
    pandas.DataFrame or None
        One row per trial (NaN where the trial was not solved, e.g. a reweighted one), then
        the equal-weight quota and the recommended quota; one column per population.
        ``None`` when the results carry no per-trial quotas.
    """
    if "trial_quota" not in trials:
        return None
    pops = [str(p) for p in trials["population"].values]
    rows = []
    for t in trials["trial"].values:
        x = trials.sel(trial=t)
        row: dict[str, Any] = {
            _("Trial"): str(t),
            _("Plausibility"): _plausibility_words(str(x["plausibility"].values)),
            _("Set"): _set_words(str(x["kind"].values)),
        }
        for p in pops:
            row[population_name(p)] = float(x["trial_quota"].sel(population=p))
        rows.append(row)
    for label, var in (
        (_("Equal-weight quota (reference trials)"), "equal_weight_quota"),
        (_("Recommended quota"), "quota"),
    ):
        row = {_("Trial"): label, _("Plausibility"): "", _("Set"): ""}
        for j, p in enumerate(pops):
            value = trials[var].sel(population=p) if var != "quota" else _applied(trials)[j]
            row[population_name(p)] = float(value)
        rows.append(row)
    frame = pd.DataFrame(rows)
    cols = [population_name(p) for p in pops]
    frame[cols] = frame[cols].astype(float).round(0)
    return frame


def mse_tables(summary: xr.Dataset) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Tabulate MSE risks (with Monte Carlo errors) and performance per population × rule.

    Parameters
    ----------
    summary
        :func:`saigapop.management.mse.summarise_mse` output.

    Returns
    -------
    risks, performance
        Risks in % (added risk in percentage points, against zero export with common
        random numbers); performance: median adult sex ratio at the last rut, mean annual
        yield with its Monte Carlo error, average annual variability and share of years
        with a zero quota.
    """
    risks, perf = [], []
    for pop in summary["population"].values:
        for proc in summary["procedure"].values:
            x = summary.sel(procedure=proc, population=pop)
            base = {_("Population"): str(pop), _("Procedure"): _procedure_words(str(proc))}
            r = dict(base)
            r[_("P(N < limit in any census) (%)")] = round(_pct(x["p_below_limit"]), 3)
            r[_("MC error (pp)")] = round(_pct(x["p_below_limit_mcse"]), 3)
            r[_("Added risk vs zero export (pp)")] = round(_pct(x["added_risk"]), 3)
            r[_("Upper 90 % bound of added risk (pp)")] = round(_pct(x["added_risk_upper"]), 3)
            for name, label in (
                ("sex_ratio_risk", _("Sex-ratio failure (%)")),
                ("conception_risk", _("Conception failure (%)")),
                ("collapse_risk", _("Collapse (%)")),
            ):
                if name in x:
                    r[label] = round(_pct(x[name]), 3)
            r[_("Meets every criterion")] = bool(x["passes"])
            risks.append(r)
            p = dict(base)
            if "sex_ratio" in x:
                p[_("Median sex ratio at the last rut (males per female)")] = round(
                    float(x["sex_ratio"]), 3
                )
            if "mean_yield" in x:
                p[_("Mean yield (adult males a year)")] = round(float(x["mean_yield"]), 0)
                p[_("MC error of yield (adult males a year)")] = round(
                    float(x["mean_yield_mcse"]), 0
                )
                p[_("Average annual variability (%)")] = round(_pct(x["aav"]), 1)
                p[_("Years with a zero quota (%)")] = round(_pct(x["zero_quota_share"]), 1)
            perf.append(p)
    return pd.DataFrame(risks), pd.DataFrame(perf)


def _tidy_trials(frame: pd.DataFrame) -> pd.DataFrame:
    """Title the columns of a supplied trial table (e.g. ``trial_table``)."""
    frame = frame.reset_index() if frame.index.names[0] is not None else frame
    pct = {
        "P(N<limit) quota": _("P(N < limit) at the quota (%)"),
        "P(N<limit) zero": _("P(N < limit) at zero export (%)"),
    }
    pp = {"added": _("Added risk (pp)"), "added_mcse": _("MC error of added risk (pp)")}
    names = {
        "trial": _("Trial"),
        "population": _("Population"),
        "set": _("Set"),
        "conditioning": _("Conditioning"),
        "pareto_k": _("Pareto k̂"),
        "ess": _("ESS (draws)"),
        "quota": _("Quota (adult males a year)"),
        "yield": _("Yield (adult males a year)"),
        "sex_ratio": _("Sex ratio at the quota (males per female)"),
        "sex_ratio_zero": _("Sex ratio at zero export (males per female)"),
        "weights_ok": _("Weights reliable"),
        "fails": _("Failing criteria"),
        "passes": _("Passes"),
    }
    out = frame.copy()
    for col in [*pct, *pp]:
        if col in out:
            out[col] = 100.0 * out[col].astype(float)
    return out.rename(columns={**names, **pct, **pp})


def _mse_summary(trials: Any) -> xr.Dataset | None:
    obj = trials.mse if isinstance(trials, TrialInputs) else None
    if isinstance(trials, Mapping) and not isinstance(trials, xr.Dataset):
        obj = trials.get("mse")
    if obj is None or isinstance(obj, xr.Dataset):
        return obj
    raise TypeError(
        f"the MSE must be the summarise_mse Dataset for the report, got {type(obj).__name__}"
    )


def robustness_section(inputs: Mapping[str, Any], vb: ValueBook, config: ReportConfig) -> Section:
    """Build the robustness-trials and MSE section.

    Examples
    --------
    >>> from saigapop.management import run_trials
    >>> from saigapop.testing import synthetic_posterior
    >>> from saigapop.management.trials import DEFAULT_TRIALS
    >>> post = synthetic_posterior(chains=1, draws=30)
    >>> out = run_trials(post, [1000.0, 1000.0, 50.0], trials=DEFAULT_TRIALS[:1],
    ...                  progress=False)
    >>> s = robustness_section({"trials": TrialInputs(trials=out)}, ValueBook(), ReportConfig())
    >>> [t.name for t in s.tables]
    ['trial_grid', 'trials_Betpakdala', 'trials_Ural', 'trials_Ustyurt']
    """
    trials = inputs["trials"]
    ds = _as_dataset(trials)
    summary = _mse_summary(trials)
    notes = tuple(trials.notes) if isinstance(trials, TrialInputs) else ()
    conditioning = trials.conditioning if isinstance(trials, TrialInputs) else "reweighted"
    paragraphs: list[str] = []
    tables: list[Table] = []
    if isinstance(ds, pd.DataFrame):
        frame = _tidy_trials(ds)
        passcol = _("Passes")
        if passcol in frame and _("Trial") in frame:
            failed = sorted(set(frame.loc[~frame[passcol].astype(bool), _("Trial")]))
            n = vb.add("trials.count", frame[_("Trial")].nunique(), _("trials"))
            nf = vb.add("trials.failed_count", len(failed), _("trials in which the quota fails"))
            paragraphs.append(
                _("The quota was applied in {n} trials; it fails in {nf}.").format(n=n, nf=nf)
            )
        tables.append(
            Table(
                "trials",
                _("Robustness trials"),
                frame,
                caption=_("One row per trial and population, as supplied."),
            )
        )
    elif ds is not None and ds.sizes.get("trial", 0):
        grid, by_pop = trial_tables(ds)
        n = vb.add("trials.count", len(grid), _("trials (reference and robustness sets)"))
        n_ref = vb.add(
            "trials.reference_count",
            int((ds["kind"] == "reference").sum()),
            _("reference trials"),
        )
        failed = [str(t) for t in ds.attrs.get("failed_trials", [])]
        nf = vb.add("trials.failed_count", len(failed), _("trials in which the quota fails"))
        reweighted = [
            str(t)
            for t, c in zip(ds["trial"].values, ds["conditioning"].values, strict=True)
            if str(c).startswith("reweighted")
        ]
        unreliable = [
            str(t)
            for t, ok in zip(ds["trial"].values, ds["weights_reliable"].values, strict=True)
            if not bool(ok)
        ]
        nu = vb.add(
            "trials.unreliable_weights_count",
            len(unreliable),
            _("reweighted trials whose importance weights are unreliable (k̂ > 0.7)"),
        )
        factor = vb.add(
            "trials.robustness_limit_factor",
            float(ds.attrs.get("robustness_limit_factor", 2.0)),
            _("how many times looser the robustness set's limits are than the reference limits"),
        )
        paragraphs.append(
            _(
                "The recommended quota was applied unchanged in {n} operating models. Each "
                "carries a plausibility weight set from stated evidence before any quota was "
                "computed: the {n_ref} trials of high or medium plausibility form the reference "
                "set, where the quota must pass every criterion; the trials of low plausibility "
                "form the robustness set, judged by the same statistics (the added abundance "
                "risk, the sex-ratio and the conception failure) against limits {factor} times "
                "looser, and by the collapse criterion (P(export-caused collapse) at most 5 %). "
                "Every risk is judged against the same trial's projection with no export "
                "(common random numbers)."
            ).format(n=n, n_ref=n_ref, factor=factor)
        )
        if conditioning == "refit":
            how = _("Trials that change the observation model were refitted to the data.")
        else:
            how = _(
                "No trial was refitted. The {k} trials that change the observation model were "
                "conditioned on the census counts by importance reweighting of the posterior "
                "draws (the likelihood ratio of the counts under the trial's assumption and "
                "under the fitted one, smoothed by PSIS); the others change only the "
                "projection, which the table of trials says for each."
            ).format(k=len(reweighted))
        paragraphs.append(how)
        if unreliable:
            paragraphs.append(
                _(
                    "The importance weights are unreliable (Pareto k̂ above 0.7) in {nu} "
                    "trials: {names}. Their risks and pass or fail rest on a handful of draws "
                    "and must be confirmed by a refit with the trial's observation model; they "
                    "are shown, not dropped."
                ).format(nu=nu, names=join_words(unreliable))
            )
        paragraphs.append(
            _("The quota fails in {nf} trials: {names}.").format(nf=nf, names=join_words(failed))
            if failed
            else _("The quota passes in every trial.")
        )
        tables.append(
            Table(
                "trial_grid",
                _("The trials"),
                grid,
                caption=_(
                    "One row per trial. Pareto k̂ and the effective sample size (ESS) describe "
                    "the importance weights of reweighted trials; k̂ above 0.7 makes the trial "
                    "unreliable."
                ),
            )
        )
        for pop, frame in by_pop.items():
            shown = tuple(c for c in frame.columns if c != _("Quota (adult males a year)"))
            quota = frame[_("Quota (adult males a year)")].iloc[0]
            tables.append(
                Table(
                    f"trials_{slug(pop)}",
                    _("{population}: the quota in every trial").format(
                        population=population_name(str(pop))
                    ),
                    frame,
                    caption=_(
                        "Quota applied: {quota} adult males a year. Risks over the projection "
                        "horizon in % of draws; added risk in percentage points (pp) against "
                        "zero export. Sex ratio: median adult males per adult female at the "
                        "last quota year's rut. A trial passes when every criterion is within "
                        "its limits: the reference limits in the reference set, limits "
                        "{factor} times looser in the robustness set (the collapse limit is "
                        "the same in both)."
                    ).format(quota=f"{quota:,.0f}", factor=factor),
                    display_columns=shown,
                )
            )
        own = own_quota_table(ds)
        if own is not None:
            solved = int(np.isfinite(ds["trial_quota"]).all("population").sum())
            ns = vb.add("trials.solved_count", solved, _("trials solved for their own quota"))
            pooled = ds["kind"].values == "reference"
            pooled &= np.isfinite(ds["trial_quota"]).all("population").values
            nk = vb.add(
                "trials.equal_weight_count",
                int(pooled.sum()),
                _("reference trials pooled in the equal-weight quota"),
            )
            paragraphs.append(
                _(
                    "Each of {ns} trials was also solved for its own quota: the largest quota "
                    "it passes under its own pass rule and P* (reweighted trials are not "
                    "solved, only checked at the recommended quota). The equal-weight quota "
                    "pools the draws of the {nk} solved reference trials with equal weight per "
                    "trial and is the largest quota whose pooled risks meet every criterion and "
                    "P*. The recommended quota is the smallest of the reference trials' own "
                    "quotas, not the equal-weight quota."
                ).format(ns=ns, nk=nk)
            )
            for j, p in enumerate(ds["population"].values):
                key = slug(str(p))
                for t in ds["trial"].values:
                    v = float(ds["trial_quota"].sel(trial=t, population=p))
                    if np.isfinite(v):
                        vb.add(
                            f"trials.own_quota.{slug(str(t))}.{key}",
                            v,
                            _("own quota of a trial (adult males a year)"),
                        )
                ew = vb.add(
                    f"trials.equal_weight_quota.{key}",
                    float(ds["equal_weight_quota"].sel(population=p)),
                    _("equal-weight quota of the reference trials (adult males a year)"),
                )
                rec = vb.add(
                    f"trials.recommended_quota.{key}",
                    float(_applied(ds)[j]),
                    _("recommended quota (adult males a year)"),
                )
                paragraphs.append(
                    _(
                        "{population}: recommended quota {rec}, equal-weight quota {ew} adult "
                        "males a year."
                    ).format(population=population_name(str(p)), rec=rec, ew=ew)
                )
            tables.append(
                Table(
                    "trial_quotas",
                    _("Each trial's own quota"),
                    own,
                    caption=_(
                        "Adult males a year. Own quota: the largest quota the trial passes "
                        "under its own pass rule and P* (robustness trials: limits and P* "
                        "{factor} times looser); empty where the trial was not solved "
                        "(reweighted trials). Equal-weight quota: solved on the pooled draws "
                        "of the solved reference trials, each weighted equally."
                    ).format(factor=factor),
                )
            )
    else:
        paragraphs.append(_("Robustness trials: not computed."))
    if summary is not None and summary.sizes.get("procedure", 0):
        risks, perf = mse_tables(summary)
        n_rep = vb.add(
            "mse.replicates", int(summary.attrs.get("n_replicates", 0)), _("MSE replicates")
        )
        proc_rows = risks[risks[_("Procedure")] == _procedure_words("procedure")]
        passing = proc_rows.loc[proc_rows[_("Meets every criterion")], _("Population")].tolist()
        paragraphs.append(
            _(
                "The closed-loop management strategy evaluation projects the procedure that "
                "sets quotas year after year with the information it will have: a census with "
                "error (and missed surveys), an estimator that differs from the operating "
                "model, a one-year data lag, a cap set every three years that the annual "
                "assessment may only lower, and implementation error. It is compared with a "
                "PBR rule and with zero export on the same {n} replicates (posterior draws × "
                "stochastic futures); each risk is shown with its Monte Carlo (MC) error."
            ).format(n=n_rep)
        )
        paragraphs.append(
            _("The procedure behind the quota meets every criterion in: {pops}.").format(
                pops=join_words([population_name(str(p)) for p in passing])
            )
            if passing
            else _(
                "The procedure behind the quota does not meet every criterion in any "
                "population: see the failure columns of the MSE risk table."
            )
        )
        paragraphs += [render(note) for note in notes]
        tables.append(
            Table(
                "mse_risks",
                _("Management strategy evaluation: risks"),
                risks,
                caption=_(
                    "One row per population and procedure. P(N < limit in any census) in % "
                    "of replicates with its MC error; added risk against zero export in "
                    "percentage points with the upper end of its 90 % interval; failure "
                    "risks caused by export in %."
                ),
            )
        )
        tables.append(
            Table(
                "mse_performance",
                _("Management strategy evaluation: performance"),
                perf,
                caption=_(
                    "Average annual variability: sum of year-to-year changes of the export "
                    "over the total export."
                ),
            )
        )
    else:
        paragraphs.append(_("Management strategy evaluation: not computed."))
    return Section(
        "robustness",
        _("Robustness trials and management strategy evaluation"),
        tuple(paragraphs),
        tables=tuple(tables),
    )
