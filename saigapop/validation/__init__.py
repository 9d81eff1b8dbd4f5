"""Model validation: simulation, recovery, SBC, retrospectives, hindcasts, LOO, prior sensitivity.

Every result is an xarray/pandas object with a plot function (keyword-only, returns a
matplotlib Figure, computes nothing) and a ``.check()`` giving one line of the report's
acceptance checklist (:class:`Check`; :func:`checklist_table`). Runners take their simulator
and fitter as callables (:mod:`saigapop.validation.fitters` wraps :func:`saigapop.model.fit`)
and a ``map_fn`` so the refits can run on a Dask cluster. See ``docs/validation.md``.

Examples
--------
>>> import saigapop.validation as sv
>>> sim = sv.simulate(sv.TrueParameters(populations=("Ural",)), seed=1)
>>> sim.data.populations
('Ural',)
>>> sv.mase([110.0], [105.0], [100.0], scale="natural")
0.5
"""

from saigapop.validation.checklist import (
    CHECKLIST_COLUMNS,
    KHAT_THRESHOLD,
    MASE_THRESHOLD,
    RHO_THRESHOLD,
    SBC_ALPHA,
    Check,
    binomial_band,
    checklist_table,
)
from saigapop.validation.evidence import Evidence, read_evidence, record_check
from saigapop.validation.fitters import (
    CachedFitter,
    QuotaFunction,
    add_log_densities,
    model_fitter,
    posterior_draws,
    prior_fitter,
    sbc_fitter,
)
from saigapop.validation.hindcast import (
    HindcastResult,
    RunsTest,
    hindcast_data,
    mase,
    plot_hindcast,
    predict_counts,
    residual_runs,
    run_hindcast,
    runs_test,
)
from saigapop.validation.loo import (
    INFLUENCE_CASES,
    LOOResult,
    count_log_predictive,
    drop_census_rows,
    pareto_khat,
    plot_khat,
    run_exact_loo,
    run_influence,
    without_counts,
    without_planning_estimates,
    without_preliminary,
)
from saigapop.validation.recovery import RecoveryResult, plot_recovery, recovery, run_recovery
from saigapop.validation.retrospective import (
    RetrospectiveResult,
    decision_retrospective,
    last_census_year,
    mohns_rho,
    plot_retrospective,
    run_retrospective,
    terminal_quantities,
)
from saigapop.validation.sbc import (
    SBCResult,
    plot_rank_histograms,
    rank_statistics,
    run_sbc,
    uniformity_test,
)
from saigapop.validation.sensitivity import (
    Alternative,
    SensitivityResult,
    default_alternatives,
    plot_sensitivity,
    plot_tornado,
    prior_sensitivity,
    run_alternative_priors,
    tornado_table,
)
from saigapop.validation.simulate import (
    ObservationDesign,
    Simulation,
    TrueParameters,
    parameters_from_priors,
    simulate,
)

__all__ = [
    "CHECKLIST_COLUMNS",
    "INFLUENCE_CASES",
    "KHAT_THRESHOLD",
    "MASE_THRESHOLD",
    "RHO_THRESHOLD",
    "SBC_ALPHA",
    "Alternative",
    "CachedFitter",
    "Check",
    "Evidence",
    "HindcastResult",
    "LOOResult",
    "ObservationDesign",
    "QuotaFunction",
    "RecoveryResult",
    "RetrospectiveResult",
    "RunsTest",
    "SBCResult",
    "SensitivityResult",
    "Simulation",
    "TrueParameters",
    "add_log_densities",
    "binomial_band",
    "checklist_table",
    "count_log_predictive",
    "decision_retrospective",
    "default_alternatives",
    "drop_census_rows",
    "hindcast_data",
    "last_census_year",
    "mase",
    "model_fitter",
    "mohns_rho",
    "parameters_from_priors",
    "pareto_khat",
    "plot_hindcast",
    "plot_khat",
    "plot_rank_histograms",
    "plot_recovery",
    "plot_retrospective",
    "plot_sensitivity",
    "plot_tornado",
    "posterior_draws",
    "predict_counts",
    "prior_fitter",
    "prior_sensitivity",
    "rank_statistics",
    "read_evidence",
    "record_check",
    "recovery",
    "residual_runs",
    "run_alternative_priors",
    "run_exact_loo",
    "run_hindcast",
    "run_influence",
    "run_recovery",
    "run_retrospective",
    "run_sbc",
    "runs_test",
    "sbc_fitter",
    "simulate",
    "terminal_quantities",
    "tornado_table",
    "uniformity_test",
    "without_counts",
    "without_planning_estimates",
    "without_preliminary",
]
