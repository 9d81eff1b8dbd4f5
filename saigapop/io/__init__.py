"""Readers and validators for saiga census, removals, composition and offtake-plan data.

The readers return validated, typed frames or raise
:class:`~saigapop.exceptions.DataValidationError` listing every problem at once;
:class:`SaigaData` validates the tables together and arranges them for modelling;
:class:`OfftakePlan` holds the culls still to come (:func:`read_offtake`).
"""

from saigapop.exceptions import DataValidationError, DataWarning, SaigapopWarning
from saigapop.io.dataset import SaigaData
from saigapop.io.offtake import OfftakePlan, read_offtake
from saigapop.io.populations import PopulationResolver, UnknownPopulationError
from saigapop.io.problems import Problem
from saigapop.io.readers import read_census, read_composition, read_removals

__all__ = [
    "DataValidationError",
    "DataWarning",
    "OfftakePlan",
    "PopulationResolver",
    "Problem",
    "SaigaData",
    "SaigapopWarning",
    "UnknownPopulationError",
    "read_census",
    "read_composition",
    "read_offtake",
    "read_removals",
]
