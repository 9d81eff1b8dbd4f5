"""Readers and validators for saiga census, removals and composition data.

The readers return validated, typed frames or raise
:class:`~saigapop.exceptions.DataValidationError` listing every problem at once;
:class:`SaigaData` validates the three tables together and arranges them for modelling.
"""

from saigapop.exceptions import DataValidationError, DataWarning, SaigapopWarning
from saigapop.io.dataset import SaigaData
from saigapop.io.populations import PopulationResolver, UnknownPopulationError
from saigapop.io.problems import Problem
from saigapop.io.readers import read_census, read_composition, read_removals

__all__ = [
    "DataValidationError",
    "DataWarning",
    "PopulationResolver",
    "Problem",
    "SaigaData",
    "SaigapopWarning",
    "UnknownPopulationError",
    "read_census",
    "read_composition",
    "read_removals",
]
