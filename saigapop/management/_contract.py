"""The posterior variables management reads: re-exported from :mod:`saigapop.model.schema`.

The DESIGN §3 posterior contract exists once, in :data:`saigapop.model.schema.POSTERIOR_SCHEMA`.
These names stay for older imports: :func:`validate_posterior` is
:func:`saigapop.model.schema.read_posterior` (translate the model's parameter names, then
check), and :data:`POSTERIOR_VARIABLES` is the schema's dims per variable.

Examples
--------
>>> from saigapop.management._contract import POSTERIOR_VARIABLES
>>> POSTERIOR_VARIABLES["N"]
('population', 'year', 'sex', 'age')
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from saigapop.model.schema import (
    CATASTROPHES,
    CENSUS_AGE_VARIABLES,
    MODEL_SURVIVAL_CLASSES,
    POSTERIOR_SCHEMA,
    VARIABLE_ALIASES,
    contract_dims,
    posterior_dataset,
)
from saigapop.model.schema import read_posterior as validate_posterior

__all__ = [
    "ALIASES",
    "CATASTROPHES",
    "CENSUS_AGE_VARIABLES",
    "MODEL_SURVIVAL_CLASSES",
    "OPTIONAL_VARIABLES",
    "POSTERIOR_VARIABLES",
    "posterior_dataset",
    "validate_posterior",
]

#: name -> required dims besides ``(chain, draw)``; a leading ``?`` marks an optional dim.
POSTERIOR_VARIABLES: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(contract_dims())
#: Variables that may be absent (a documented default is used instead).
OPTIONAL_VARIABLES: Final[frozenset[str]] = frozenset(
    name for name, spec in POSTERIOR_SCHEMA.variables.items() if spec.optional
)
#: Older name of :data:`saigapop.model.schema.VARIABLE_ALIASES`.
ALIASES: Final = VARIABLE_ALIASES
