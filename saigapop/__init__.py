"""saigapop: Bayesian two-sex population models and CITES quotas for saiga antelope.

The workflow, from data to the justification report, is one object::

    import saigapop as sp
    a = sp.Assessment(sp.load_kazakhstan(), sp.AssessmentConfig(seed=1))
    a.report("reports/", formats=["html", "pdf"])

See :class:`saigapop.Assessment` for every step (``fit``, ``recommend``, ``trials``,
``mse``, ``sensitivity``, ``report``, ``save``/``load``).

:class:`Assessment` and :class:`AssessmentConfig` are imported on first use, so that
``import saigapop`` (and the report, which presents results without a sampler) does not
load PyMC.
"""

from typing import TYPE_CHECKING, Any

from saigapop._version import __version__
from saigapop.datasets import bundled_data_dir, load_kazakhstan
from saigapop.exceptions import DataValidationError
from saigapop.io import SaigaData, read_census, read_composition, read_removals

if TYPE_CHECKING:
    from saigapop.assessment import Assessment, AssessmentConfig

__all__ = [
    "Assessment",
    "AssessmentConfig",
    "DataValidationError",
    "SaigaData",
    "__version__",
    "bundled_data_dir",
    "load_kazakhstan",
    "read_census",
    "read_composition",
    "read_removals",
]

_LAZY = {"Assessment", "AssessmentConfig"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from saigapop import assessment  # lazy: the assessment loads PyMC (see above)

        return getattr(assessment, name)
    raise AttributeError(f"module 'saigapop' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
