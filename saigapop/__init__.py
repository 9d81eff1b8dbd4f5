"""saigapop: Bayesian two-sex population models and CITES quotas for saiga antelope."""

from saigapop._version import __version__

__all__ = ["__version__"]
