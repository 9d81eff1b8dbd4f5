"""Demographic core: the saiga annual cycle, mating function and matrix analysis.

A numpy core vectorised over any leading axes (draws, populations, candidate quotas), with
a thin xarray shell (:mod:`saigapop.demography.wrappers`). Array conventions:

* census state ``(..., sex=2, age=2)`` — sex (female, male) ×
  :data:`saigapop.constants.CENSUS_AGE_CLASSES` (yearling, adult);
* within-year arrays ``(..., sex=2, age=3)`` — sex × :data:`saigapop.constants.AGE_CLASSES`
  (calf, yearling, adult).

See ``docs/annual_cycle.md`` for the equations as implemented.
"""

from saigapop.demography.cycle import (
    Calving,
    Projection,
    Removal,
    Rut,
    Winter,
    YearResult,
    apply_removals,
    calving,
    mass_mortality_fractions,
    project,
    rut,
    step,
    winter,
)
from saigapop.demography.density import density_factor
from saigapop.demography.mating import conception_probability
from saigapop.demography.matrix import (
    damping_ratio,
    elasticity,
    female_matrix,
    generation_time,
    lambda_,
    net_reproductive_rate,
    reproductive_value,
    sensitivity,
    split_first_row,
    stable_stage,
    two_sex_linearised_matrix,
)
from saigapop.demography.vital_rates import DensityForm, MatingForm, VitalRates
from saigapop.demography.wrappers import (
    lambda_dataarray,
    project_dataset,
    stable_stage_dataarray,
)

__all__ = [
    "Calving",
    "DensityForm",
    "MatingForm",
    "Projection",
    "Removal",
    "Rut",
    "VitalRates",
    "Winter",
    "YearResult",
    "apply_removals",
    "calving",
    "conception_probability",
    "damping_ratio",
    "density_factor",
    "elasticity",
    "female_matrix",
    "generation_time",
    "lambda_",
    "lambda_dataarray",
    "mass_mortality_fractions",
    "net_reproductive_rate",
    "project",
    "project_dataset",
    "reproductive_value",
    "rut",
    "sensitivity",
    "split_first_row",
    "stable_stage",
    "stable_stage_dataarray",
    "step",
    "two_sex_linearised_matrix",
    "winter",
]
