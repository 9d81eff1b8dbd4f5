"""Export the chain of custody of accepted horns for a partner database (CSV and JSON).

Only accepted rows are exported: a partner database should receive verified records, and a
rejected row is fixed at the source and validated again. The JSON document follows
:data:`CUSTODY_JSON_SCHEMA` (JSON Schema draft 2020-12); the CSV is the same content with one
row per custody event (:data:`CUSTODY_CSV_COLUMNS`).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from saigapop.constants import AGE_CLASSES
from saigapop.registry.schema import STAGES
from saigapop.registry.validate import RegistryValidation

__all__ = [
    "CUSTODY_CSV_COLUMNS",
    "CUSTODY_JSON_SCHEMA",
    "custody_events",
    "custody_json",
    "schema_errors",
    "write_custody",
]

SCHEMA_NAME = "saigapop.horn_custody"
SCHEMA_VERSION = "1.0"

#: Columns of the custody CSV, one row per (horn, event), events in custody order.
CUSTODY_CSV_COLUMNS: tuple[str, ...] = (
    "mark",
    "gtin",
    "serial",
    "population",
    "region",
    "sex",
    "age",
    "mass_g",
    "sequence",
    "event",
    "date",
    "place",
    "permit",
)

_EVENT = {
    "type": "object",
    "required": ["sequence", "event", "date", "place", "permit"],
    "additionalProperties": False,
    "properties": {
        "sequence": {"type": "integer", "minimum": 1, "maximum": len(STAGES)},
        "event": {"enum": list(STAGES)},
        "date": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$", "format": "date"},
        "place": {"type": "string", "minLength": 1},
        "permit": {"type": ["string", "null"], "minLength": 1},
    },
}
_HORN = {
    "type": "object",
    "required": [
        "mark",
        "gtin",
        "serial",
        "population",
        "region",
        "sex",
        "age",
        "mass_g",
        "events",
    ],
    "additionalProperties": False,
    "properties": {
        "mark": {"type": "string", "pattern": r"^\(01\)\d{14}\(21\)[^()]{1,20}"},
        "gtin": {"type": "string", "pattern": r"^\d{14}$"},
        "serial": {"type": "string", "minLength": 1, "maxLength": 20},
        "population": {"type": "string", "minLength": 1},
        "region": {"type": "string", "minLength": 1},
        "sex": {"const": "male"},
        "age": {"enum": list(AGE_CLASSES)},
        "mass_g": {"type": "number", "exclusiveMinimum": 0},
        "events": {
            "type": "array",
            "minItems": 1,
            "maxItems": len(STAGES),
            "items": {"$ref": "#/$defs/event"},
        },
    },
}
#: JSON Schema (draft 2020-12) of the custody document written by :func:`write_custody`.
CUSTODY_JSON_SCHEMA: Mapping[str, Any] = MappingProxyType(
    {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:saigapop:horn-custody:1.0",
        "title": "Saiga horn chain of custody",
        "description": "Accepted horns from a saigapop horn registry, each with its custody events "
        "(harvested, stored, processed, exported) in order.",
        "type": "object",
        "required": ["schema", "schema_version", "horns"],
        "additionalProperties": False,
        "properties": {
            "schema": {"const": SCHEMA_NAME},
            "schema_version": {"const": SCHEMA_VERSION},
            "horns": {"type": "array", "items": {"$ref": "#/$defs/horn"}},
        },
        "$defs": {"horn": _HORN, "event": _EVENT},
    }
)


def custody_events(validation: RegistryValidation) -> pd.DataFrame:
    """Return the chain of custody of accepted horns, one row per (horn, event).

    Parameters
    ----------
    validation
        Result of :func:`~saigapop.registry.validate_registry`.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`CUSTODY_CSV_COLUMNS`; ``date`` as ``YYYY-MM-DD`` text, ``permit`` empty
        where none is recorded. Horns in registry order, events in custody order.

    Examples
    --------
    >>> from saigapop.registry import make_synthetic_registry, validate_registry
    >>> synth = make_synthetic_registry(20, seed=5)
    >>> events = custody_events(validate_registry(synth.registry, synth.removals))
    >>> events.groupby("mark")["event"].first().unique().tolist()
    ['harvested']
    """
    horns = validation.accepted.reset_index(drop=True)
    parts = []
    for sequence, stage in enumerate(STAGES, start=1):
        has = horns[f"{stage}_date"].notna()
        part = horns.loc[
            has, ["mark", "gtin", "serial", "population", "region", "sex", "age", "mass_g"]
        ]
        part = part.assign(
            sequence=sequence,
            event=stage,
            date=horns.loc[has, f"{stage}_date"].dt.strftime("%Y-%m-%d"),
            place=horns.loc[has, f"{stage}_place"],
            permit=horns.loc[has, f"{stage}_permit"],
            _horn=horns.index[has],
        )
        parts.append(part)
    events = pd.concat(parts).sort_values(["_horn", "sequence"], kind="stable")
    return events[list(CUSTODY_CSV_COLUMNS)].reset_index(drop=True)


def custody_json(validation: RegistryValidation) -> dict[str, Any]:
    """Return the chain of custody of accepted horns as a JSON-ready document.

    Parameters
    ----------
    validation
        Result of :func:`~saigapop.registry.validate_registry`.

    Returns
    -------
    dict
        ``{"schema": "saigapop.horn_custody", "schema_version": "1.0", "horns": [...]}``,
        valid against :data:`CUSTODY_JSON_SCHEMA`; empty permits become ``null``.

    Examples
    --------
    >>> from saigapop.registry import make_synthetic_registry, validate_registry
    >>> synth = make_synthetic_registry(5, seed=5)
    >>> doc = custody_json(validate_registry(synth.registry, synth.removals))
    >>> schema_errors(doc), doc["horns"][0]["events"][0]["event"]
    ([], 'harvested')
    """
    events = custody_events(validation)
    horn_cols = ["mark", "gtin", "serial", "population", "region", "sex", "age", "mass_g"]
    starts = np.flatnonzero(events["sequence"].to_numpy() == 1)
    ends = np.append(starts[1:], len(events))
    heads = events.iloc[starts][horn_cols].to_dict("records")
    event_records = (
        events[["sequence", "event", "date", "place", "permit"]]
        .assign(permit=events["permit"].astype(object).where(events["permit"] != "", None))
        .to_dict("records")
    )
    horns = []
    for head, start, end in zip(heads, starts, ends, strict=True):
        head["mass_g"] = float(head["mass_g"])
        events_here = event_records[start:end]
        for record in events_here:
            record["sequence"] = int(record["sequence"])
        head["events"] = events_here
        horns.append(head)
    return {"schema": SCHEMA_NAME, "schema_version": SCHEMA_VERSION, "horns": horns}


def write_custody(validation: RegistryValidation, path: str | os.PathLike[str]) -> None:
    """Write the chain of custody to a ``.json`` or ``.csv`` file, by suffix.

    JSON is :func:`custody_json`, CSV is :func:`custody_events`.

    Examples
    --------
    >>> import json, pathlib, tempfile
    >>> from saigapop.registry import make_synthetic_registry, validate_registry
    >>> synth = make_synthetic_registry(10, seed=5)
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "custody.json"
    >>> write_custody(validate_registry(synth.registry, synth.removals), path)
    >>> len(json.loads(path.read_text(encoding="utf-8"))["horns"])
    10

    Both are UTF-8; the JSON is indented and keeps non-ASCII place names as written.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        path.write_text(
            json.dumps(custody_json(validation), ensure_ascii=False, indent=1), encoding="utf-8"
        )
    elif suffix == ".csv":
        custody_events(validation).to_csv(path, index=False, encoding="utf-8")
    else:
        raise ValueError(f"write_custody writes .json or .csv files, not {path.name!r}")


def schema_errors(instance: Any, schema: Mapping[str, Any] = CUSTODY_JSON_SCHEMA) -> list[str]:
    """Check a document against a JSON Schema; return the errors (empty when valid).

    A small validator for the keywords :data:`CUSTODY_JSON_SCHEMA` uses: ``type``, ``const``,
    ``enum``, ``required``, ``properties``, ``additionalProperties`` (``false``), ``items``,
    ``minItems``, ``maxItems``, ``minLength``, ``maxLength``, ``pattern``, ``minimum``,
    ``maximum``, ``exclusiveMinimum`` and local ``$ref`` (``#/$defs/...``); ``format`` is an
    annotation only, as in draft 2020-12. Other keywords raise ``NotImplementedError``.

    Examples
    --------
    >>> doc = {"schema": "saigapop.horn_custody", "schema_version": "1.0", "horns": [{}]}
    >>> schema_errors(doc)[0]
    "$.horns[0]: missing required property 'mark'"
    """
    errors: list[str] = []
    _check(instance, schema, schema, "$", errors)
    return errors


_KNOWN = {
    "$schema", "$id", "$defs", "$ref", "title", "description", "format", "type", "const", "enum",
    "required", "properties", "additionalProperties", "items", "minItems", "maxItems",
    "minLength", "maxLength", "pattern", "minimum", "maximum", "exclusiveMinimum",
}  # fmt: skip
_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def _check(
    value: Any, schema: Mapping[str, Any], root: Mapping[str, Any], path: str, errors: list[str]
) -> None:
    unknown = set(schema) - _KNOWN
    if unknown:
        raise NotImplementedError(f"schema keyword(s) {sorted(unknown)} are not supported")
    if "$ref" in schema:
        node: Any = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        _check(value, node, root, path, errors)
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_TYPES[t](value) for t in types):
            errors.append(f"{path}: expected {' or '.join(types)}, got {type(value).__name__}")
            return
    if "const" in schema and value != schema["const"]:
        errors.append(f"{path}: expected {schema['const']!r}, got {value!r}")
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path}: {value!r} is not one of {schema['enum']}")
    if isinstance(value, dict):
        for name in schema.get("required", ()):
            if name not in value:
                errors.append(f"{path}: missing required property {name!r}")
        props = schema.get("properties", {})
        for name, item in value.items():
            if name in props:
                _check(item, props[name], root, f"{path}.{name}", errors)
            elif schema.get("additionalProperties", True) is False:
                errors.append(f"{path}: unexpected property {name!r}")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            errors.append(f"{path}: fewer than {schema['minItems']} items")
        if len(value) > schema.get("maxItems", len(value)):
            errors.append(f"{path}: more than {schema['maxItems']} items")
        if "items" in schema:
            for i, item in enumerate(value):
                _check(item, schema["items"], root, f"{path}[{i}]", errors)
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            errors.append(f"{path}: shorter than {schema['minLength']} characters")
        if len(value) > schema.get("maxLength", len(value)):
            errors.append(f"{path}: longer than {schema['maxLength']} characters")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append(f"{path}: {value!r} does not match {schema['pattern']!r}")
    if _TYPES["number"](value):
        if "minimum" in schema and value < schema["minimum"]:
            errors.append(f"{path}: {value} is below the minimum {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            errors.append(f"{path}: {value} is above the maximum {schema['maximum']}")
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            errors.append(f"{path}: {value} is not above {schema['exclusiveMinimum']}")
