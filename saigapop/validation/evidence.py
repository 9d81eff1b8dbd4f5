"""Validation evidence on file: slow-tier checks carried into the report with their provenance.

SBC, recovery, retrospectives, hindcasts and exact LOO refit the model many times — too slow
for every report run. Their :class:`~saigapop.validation.checklist.Check` lines are written
once to a JSON file with where they came from (saigapop version, data hash, date, command);
``saigapop report --validation-evidence FILE`` shows them in the acceptance checklist, as
reported rather than gating, and says plainly when they were computed on other data.

Examples
--------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "checks.json"
>>> _ = record_check(path, Check("SBC uniformity", True, 0.063, "p > 0.01", "smallest p 0.063"),
...              data_hash="abc", source="pytest -m slow -k sbc")
>>> ev = read_evidence(path, data_hash="abc")
>>> ev.checks[0].name, ev.checks[0].gating, bool(ev.records["same_data"].all())
('SBC uniformity', False, True)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pandas as pd

from saigapop.locale.messages import Message
from saigapop.validation.checklist import Check

__all__ = ["Evidence", "read_evidence", "record_check"]

_FIELDS = ("name", "passed", "value", "threshold", "text")
#: Fields that may hold a :class:`~saigapop.locale.messages.Message`: written as its
#: template, values and English text (:meth:`~saigapop.locale.messages.Message.to_dict`),
#: read back as a message; a plain string (an older file) is read as it is.
_TEXT_FIELDS = ("threshold", "text")


def _dump(value: object) -> object:
    return value.to_dict() if isinstance(value, Message) else str(value)


def _load(value: object) -> str | Message:
    if isinstance(value, dict) and "template" in value:
        return Message.from_dict(value)
    return str(value)


@dataclass(frozen=True)
class Evidence:
    """Checks read from an evidence file.

    Attributes
    ----------
    checks
        The checks, with ``gating=False`` (computed outside the report run).
    records
        One row per check: ``name``, ``created`` (ISO date), ``version`` (saigapop),
        ``data_hash``, ``source`` (command and settings) and ``same_data`` (whether
        ``data_hash`` equals the hash the evidence was read against; ``None`` if none given).
    path
        The file read.
    """

    checks: tuple[Check, ...]
    records: pd.DataFrame
    path: Path


def _version() -> str:
    try:
        return version("saigapop")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"


def record_check(
    path: str | os.PathLike[str],
    check: Check,
    *,
    data_hash: str,
    source: str,
    created: dt.date | None = None,
) -> Path:
    """Add ``check`` to the evidence file ``path``, replacing an earlier check of that name.

    Parameters
    ----------
    path
        JSON file (created if missing). It is rewritten whole through a temporary file, so
        an interrupted write leaves the previous version.
    check
        The check to keep.
    data_hash
        :attr:`saigapop.io.SaigaData.data_hash` of the data it was computed on (for
        simulation-only checks such as SBC, the hash of the data whose model was checked).
    source
        How to reproduce it: the command and the sampler settings.
    created
        Date (default today).

    Returns
    -------
    pathlib.Path
    """
    path = Path(path)
    records = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
    record = {f: getattr(check, f) for f in _FIELDS} | {
        "name": str(check.name),
        **{f: _dump(getattr(check, f)) for f in _TEXT_FIELDS},
        "passed": bool(check.passed),
        "value": float(check.value),
        "created": (created or dt.date.today()).isoformat(),
        "version": _version(),
        "data_hash": data_hash,
        "source": source,
    }
    records = [r for r in records if r.get("name") != record["name"]] + [record]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(json.dumps(records, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def read_evidence(path: str | os.PathLike[str], *, data_hash: str | None = None) -> Evidence:
    """Read an evidence file written by :func:`record_check`.

    Parameters
    ----------
    path
        The JSON file.
    data_hash
        Hash of the data the report is about; each record's ``same_data`` says whether its
        check was computed on those data.

    Returns
    -------
    Evidence

    Raises
    ------
    ValueError
        If the file is not a list of check records (naming the file and the first bad
        record).
    """
    path = Path(path)
    records = json.loads(path.read_text(encoding="utf-8"))
    needed = {*_FIELDS, "created", "version", "data_hash", "source"}
    if not isinstance(records, list):
        raise ValueError(f"{path}: expected a list of check records, got {type(records).__name__}")
    for i, r in enumerate(records):
        missing = needed - set(r) if isinstance(r, dict) else needed
        if missing:
            raise ValueError(
                f"{path}: record {i} lacks {sorted(missing)}; expected {sorted(needed)}"
            )
    checks = tuple(
        dataclasses.replace(
            Check(**{f: _load(r[f]) if f in _TEXT_FIELDS else r[f] for f in _FIELDS}),
            gating=False,
        )
        for r in records
    )
    table = pd.DataFrame(
        [{k: r[k] for k in ("name", "created", "version", "data_hash", "source")} for r in records],
        columns=["name", "created", "version", "data_hash", "source"],
    )
    table["same_data"] = [None if data_hash is None else h == data_hash for h in table["data_hash"]]
    return Evidence(checks, table, path)
