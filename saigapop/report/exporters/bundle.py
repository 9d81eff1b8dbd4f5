r"""Machine-readable bundle: every table as CSV plus one JSON file, locale-neutral.

CSV files are UTF-8, comma-separated, dot decimal, no thousands separators, ``\\n`` line ends,
empty cells for missing values. ``report.json`` holds the named values, their meanings, the
provenance, the alerts and an index of the tables with each column's dtype, which
:func:`read_bundle` uses to restore the frames exactly.

The CSV files are the same in every report language (English column names and data
vocabulary, English number strings): a Russian report's bundle holds the tables of its
English twin. Only ``report.json``'s reader-facing metadata (``language``, titles, captions,
alerts, value meanings) follow the report language.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from saigapop.report.contracts import ReportPayload

__all__ = ["BUNDLE_FORMAT", "ReportBundle", "read_bundle", "write_bundle"]

#: Version of the bundle layout, stored in report.json.
BUNDLE_FORMAT = 1
_JSON = "report.json"


@dataclass(frozen=True)
class ReportBundle:
    """A bundle read back by :func:`read_bundle`.

    Attributes
    ----------
    report_id : str
    values : dict
        Named values, as numbers (or strings).
    value_meanings : dict
    provenance : dict
    tables : dict of pandas.DataFrame
        Every table by name, with its original dtypes.
    meta : dict
        The whole ``report.json``.
    """

    report_id: str
    values: dict[str, Any]
    value_meanings: dict[str, str]
    provenance: dict[str, Any]
    tables: dict[str, pd.DataFrame]
    meta: dict[str, Any]


def _json_value(v: object) -> object:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def write_bundle(payload: ReportPayload, folder: str | Path) -> Path:
    """Write every table as ``tables/<name>.csv`` and ``report.json`` into ``folder``.

    Parameters
    ----------
    payload
        A payload from :func:`saigapop.report.build_payload`.
    folder
        Created if needed; existing files of the same names are replaced.

    Returns
    -------
    pathlib.Path
        The folder.

    Examples
    --------
    >>> import tempfile, saigapop as sp
    >>> from saigapop.report import build_payload, read_bundle, write_bundle
    >>> payload = build_payload(sp.load_kazakhstan())
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     bundle = read_bundle(write_bundle(payload, tmp))
    >>> bundle.report_id == payload.report_id
    True
    """
    folder = Path(folder)
    (folder / "tables").mkdir(parents=True, exist_ok=True)
    index = []
    for section, table in payload.tables():
        frame = payload.bundle_frame(table.name)
        file = f"tables/{table.name}.csv"
        frame.to_csv(folder / file, index=False, encoding="utf-8", lineterminator="\n")
        index.append(
            {
                "name": table.name,
                "file": file,
                "section": section.key,
                "title": table.title,
                "caption": table.caption,
                "columns": [{"name": str(c), "dtype": str(frame[c].dtype)} for c in frame],
                "rows": len(frame),
            }
        )
    meta = {
        "bundle_format": BUNDLE_FORMAT,
        "report_id": payload.report_id,
        "language": payload.language,
        "title": payload.title,
        "subtitle": payload.subtitle,
        "institution": payload.institution,
        "alerts": list(payload.alerts),
        "quota_recommended": payload.quota_recommended,
        "diagnostics_passed": payload.diagnostics_passed,
        "values": {k: _json_value(v) for k, v in payload.values.items()},
        "value_meanings": dict(payload.value_meanings),
        "provenance": payload.provenance.as_dict(),
        "sections": [
            {"key": s.key, "title": s.title, "level": s.level, "computed": s.computed}
            for s in payload.sections
        ],
        "tables": index,
    }
    (folder / _JSON).write_text(
        json.dumps(meta, indent=2, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8"
    )
    return folder


def _restore(column: pd.Series, dtype: str) -> pd.Series:
    if dtype in ("str", "object", "string"):
        return column.astype(dtype if dtype != "string" else "string")
    if dtype == "bool":
        return column.map({"True": True, "False": False}).astype("bool")
    numeric = pd.to_numeric(column.replace("", None))
    return numeric.astype(dtype)


def read_bundle(path: str | Path) -> ReportBundle:
    """Read a bundle written by :func:`write_bundle` into pandas, dtypes restored.

    Parameters
    ----------
    path
        The bundle folder (or its ``report.json``).

    Returns
    -------
    ReportBundle
    """
    path = Path(path)
    folder = path.parent if path.name == _JSON else path
    meta = json.loads((folder / _JSON).read_text(encoding="utf-8"))
    if meta.get("bundle_format") != BUNDLE_FORMAT:
        raise ValueError(f"unsupported bundle format {meta.get('bundle_format')!r}")
    tables = {}
    for entry in meta["tables"]:
        raw = pd.read_csv(
            folder / entry["file"], dtype=str, keep_default_na=False, encoding="utf-8"
        )
        frame = pd.DataFrame(
            {c["name"]: _restore(raw[c["name"]], c["dtype"]) for c in entry["columns"]}
        )
        tables[entry["name"]] = frame
    return ReportBundle(
        report_id=meta["report_id"],
        values=meta["values"],
        value_meanings=meta["value_meanings"],
        provenance=meta["provenance"],
        tables=tables,
        meta=meta,
    )
