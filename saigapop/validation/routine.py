"""The validation checks cheap enough for every report, run from one fit.

:func:`prepare_validation` runs the posterior predictive coverage of the counts
(:func:`ppc_coverage_check`), the PSIS-LOO Pareto k̂ of every observation and power-scaling
prior sensitivity, and returns a frozen :class:`~saigapop.validation.outcomes.ValidationInputs`
that :mod:`saigapop.report` lays out. Every sentence is a
:class:`~saigapop.locale.messages.Message`, rendered in the report's language.
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from typing import Any

import pandas as pd

from saigapop.locale import N_
from saigapop.locale.messages import Message
from saigapop.model.diagnostics import ppc_coverage
from saigapop.validation.checklist import Check, binomial_band
from saigapop.validation.fitters import add_log_densities
from saigapop.validation.loo import pareto_khat
from saigapop.validation.outcomes import ValidationInputs
from saigapop.validation.sensitivity import prior_sensitivity

__all__ = ["ppc_coverage_check", "prepare_validation"]


def ppc_coverage_check(fit: Any, *, var_name: str = "count", prob: float = 0.9) -> Check:
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
        Its sentence and threshold are :class:`~saigapop.locale.messages.Message` objects.
    """
    table = ppc_coverage(fit, var_name=var_name, prob=prob)
    n = len(table)
    cov = float(table.attrs["coverage"]) if n else float("nan")
    lo = binomial_band(n, prob)[0] if n else 1.0
    outside = table.loc[~table["inside"], "observation"].astype(str).tolist()
    values = {"inside": int(table["inside"].sum()) if n else 0, "n": n, "pct": round(100 * prob)}
    if outside:
        text = Message(
            N_("{inside} of {n} counts inside their {pct} % predictive interval; outside: {names}"),
            {**values, "names": tuple(outside[:6])},
        )
    else:
        text = Message(
            N_("{inside} of {n} counts inside their {pct} % predictive interval"), values
        )
    return Check(
        N_("Posterior predictive coverage of the counts"),
        bool(n and cov >= lo),
        cov,
        Message(">= {low:.2f}", {"low": lo}),
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

    def step(text: str) -> None:
        if on_step is not None:
            on_step(Message(text).render())

    checks = []
    if "posterior_predictive" in fit.children and "observed_data" in fit.children:
        step(N_("Posterior predictive coverage"))
        checks.append(ppc_coverage_check(fit))
    full = fit
    if not {"log_likelihood", "log_prior"} <= set(fit.children):
        step(N_("Log densities for PSIS-LOO and power scaling"))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            full = add_log_densities(fit, data)
    step(N_("PSIS-LOO Pareto k"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c = pareto_khat(full).check()
    # k̂ judges the PSIS approximation, not the model (the check is not gating): with one
    # count per population-year and its own year effect, k̂ is high by construction (exact
    # refits in docs/validation.md)
    checks.append(replace(c, name=N_("PSIS-LOO Pareto k̂ of every observation")))
    step(N_("Power-scaling prior sensitivity"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sens = prior_sensitivity(full)
    c = sens.check()
    checks.append(replace(c, name=N_("Power-scaling prior sensitivity")))
    return ValidationInputs(
        checks=checks, alternatives=alternatives, method=method, power_scaling=sens.table
    )
