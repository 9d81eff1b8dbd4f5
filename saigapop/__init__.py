"""saigapop: Bayesian two-sex population models and CITES quotas for saiga antelope."""

from saigapop._version import __version__
from saigapop.datasets import bundled_data_dir, load_kazakhstan
from saigapop.exceptions import DataValidationError
from saigapop.io import SaigaData, read_census, read_composition, read_removals

__all__ = [
    "DataValidationError",
    "SaigaData",
    "__version__",
    "bundled_data_dir",
    "load_kazakhstan",
    "read_census",
    "read_composition",
    "read_removals",
]
