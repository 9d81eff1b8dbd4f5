"""saigapop.management: projections, risk, the three-year export quota, horns, triggers, PBR.

Management code sees only a posterior ``DataTree`` (DESIGN §3 posterior contract), never the
PyMC model. The usual path::

    om = OperatingModel.from_posterior(idata, realised_removals=cull_2025, seed=1)
    result = solve_quota(om, default_criteria())          # QuotaResult (fitted world)
    rec = recommend_quota(idata, data.removals, seed=1)   # what `saigapop report` recommends
    prog = solve_programme(idata, data.removals, plan)    # culls + export vs no offtake
    costs = precaution_costs(idata, data.removals, full=rec)  # what each precaution costs
    exports = allocate_cap(result.level, stock=HornStock())
    trig = compute_triggers(om, result)
    cross = pbr_table(om)

See ``docs/management.md``.
"""

from saigapop.management._contract import POSTERIOR_VARIABLES, validate_posterior
from saigapop.management.criteria import (
    DEFAULT_ABUNDANCE_LIMITS,
    AbundanceRisk,
    ConceptionRisk,
    Criterion,
    GrowthRate,
    SexRatioRisk,
    default_criteria,
)
from saigapop.management.harvest import (
    ConstantHarvest,
    HarvestRule,
    HarvestSchedule,
    ProportionalHarvest,
    ThresholdHarvest,
    realised_removals,
)
from saigapop.management.horns import (
    MASS_RECORDS,
    STORED_HORNS_2025,
    HornConversion,
    HornStock,
    MassRecord,
    allocate_cap,
    check_mass_records,
)
from saigapop.management.mse import (
    Procedure,
    mse_table,
    pbr_procedure,
    procedure_from_quota,
    run_mse,
    summarise_mse,
)
from saigapop.management.operating_model import DEFAULT_WOUNDING, OperatingModel
from saigapop.management.pbr import (
    DEFAULT_RECOVERY_FACTOR,
    ices_percentile_rule,
    lambda_max,
    n_min_lognormal,
    pbr,
    pbr_table,
)
from saigapop.management.precautions import PRECAUTIONS, precaution_costs
from saigapop.management.programme import (
    ProgrammeModels,
    ProgrammeResult,
    programme_models,
    solve_programme,
)
from saigapop.management.quota import DEFAULT_P_STAR, QuotaResult, risk_curve, solve_quota
from saigapop.management.recommend import Recommendation, recommend_quota
from saigapop.management.synthetic import synthetic_posterior
from saigapop.management.trials import (
    DEFAULT_TRIALS,
    Trial,
    run_trials,
    solve_across_trials,
    solve_robust_quota,
)
from saigapop.management.triggers import (
    TriggerSurveys,
    compute_triggers,
    observed_quantities,
    trigger_level,
)

__all__ = [
    "DEFAULT_ABUNDANCE_LIMITS",
    "DEFAULT_P_STAR",
    "DEFAULT_RECOVERY_FACTOR",
    "DEFAULT_TRIALS",
    "DEFAULT_WOUNDING",
    "MASS_RECORDS",
    "POSTERIOR_VARIABLES",
    "PRECAUTIONS",
    "STORED_HORNS_2025",
    "AbundanceRisk",
    "ConceptionRisk",
    "ConstantHarvest",
    "Criterion",
    "GrowthRate",
    "HarvestRule",
    "HarvestSchedule",
    "HornConversion",
    "HornStock",
    "MassRecord",
    "OperatingModel",
    "Procedure",
    "ProgrammeModels",
    "ProgrammeResult",
    "ProportionalHarvest",
    "QuotaResult",
    "Recommendation",
    "SexRatioRisk",
    "ThresholdHarvest",
    "Trial",
    "TriggerSurveys",
    "allocate_cap",
    "check_mass_records",
    "compute_triggers",
    "default_criteria",
    "ices_percentile_rule",
    "lambda_max",
    "mse_table",
    "n_min_lognormal",
    "observed_quantities",
    "pbr",
    "pbr_procedure",
    "pbr_table",
    "precaution_costs",
    "procedure_from_quota",
    "programme_models",
    "realised_removals",
    "recommend_quota",
    "risk_curve",
    "run_mse",
    "run_trials",
    "solve_across_trials",
    "solve_programme",
    "solve_quota",
    "solve_robust_quota",
    "summarise_mse",
    "synthetic_posterior",
    "trigger_level",
    "validate_posterior",
]
