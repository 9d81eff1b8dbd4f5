"""Horn registry: validate marked horns and reconcile them with removals, stock and quotas.

Every harvested saiga horn carries a GS1 Data Matrix mark and is registered with its custody
events (harvested -> stored -> processed -> exported). This package

- reads and writes registry files (CSV, Excel): :func:`read_registry`, :func:`write_registry`;
- validates them, row by row but vectorised, accepting or rejecting every row with reasons:
  :func:`validate_registry`;
- reconciles horns with removals, stock, the export quota and the CITES cap: :func:`reconcile`;
- exports the chain of custody for a partner database: :func:`write_custody`;
- builds the report section: :func:`registry_section`;
- generates realistic synthetic registries with planted faults: :func:`make_synthetic_registry`.

See ``docs/registry.md``.

Examples
--------
>>> from saigapop.registry import make_synthetic_registry, validate_registry, reconcile
>>> synth = make_synthetic_registry(1_000, faults={"duplicate_mark": 1}, seed=0)
>>> result = validate_registry(synth.registry, synth.removals)
>>> result.n_input, result.n_accepted, result.n_rejected
(1000, 998, 2)
"""

from saigapop.registry.custody import (
    CUSTODY_CSV_COLUMNS,
    CUSTODY_JSON_SCHEMA,
    custody_events,
    custody_json,
    schema_errors,
    write_custody,
)
from saigapop.registry.files import read_registry, write_registry
from saigapop.registry.gs1 import format_mark, gtin_check_digit, is_valid_gtin, parse_marks
from saigapop.registry.reconcile import CALENDAR_YEAR, Reconciliation, reconcile
from saigapop.registry.removals import males_removed
from saigapop.registry.report import RegistrySection, registry_section
from saigapop.registry.schema import (
    FAULTS,
    HORN_MASS_G_PLAUSIBLE,
    OPTIONAL_COLUMNS,
    REGISTRY_COLUMNS,
    REQUIRED_COLUMNS,
    STAGES,
)
from saigapop.registry.synthetic import DEMO_FAULTS, SyntheticRegistry, make_synthetic_registry
from saigapop.registry.validate import RegistryValidation, validate_registry

__all__ = [
    "CALENDAR_YEAR",
    "CUSTODY_CSV_COLUMNS",
    "CUSTODY_JSON_SCHEMA",
    "DEMO_FAULTS",
    "FAULTS",
    "HORN_MASS_G_PLAUSIBLE",
    "OPTIONAL_COLUMNS",
    "REGISTRY_COLUMNS",
    "REQUIRED_COLUMNS",
    "STAGES",
    "Reconciliation",
    "RegistrySection",
    "RegistryValidation",
    "SyntheticRegistry",
    "custody_events",
    "custody_json",
    "format_mark",
    "gtin_check_digit",
    "is_valid_gtin",
    "make_synthetic_registry",
    "males_removed",
    "parse_marks",
    "read_registry",
    "reconcile",
    "registry_section",
    "schema_errors",
    "validate_registry",
    "write_custody",
    "write_registry",
]
