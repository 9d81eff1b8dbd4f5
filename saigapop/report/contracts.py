"""Report contracts: every table, figure, number and sentence, computed once and frozen.

Exporters only lay the payload out; they never compute. Two exports of one payload therefore
carry the same numbers, and a test can compare each export against ``payload.values``.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

import pandas as pd

from saigapop.report.formatting import format_value

__all__ = [
    "Figure",
    "Provenance",
    "ReportPayload",
    "Section",
    "Table",
    "ValueBook",
    "content_hash",
]

Scalar = float | int | str


@dataclass(frozen=True, slots=True)
class Table:
    """One table of a report section.

    Parameters
    ----------
    name
        Unique key, also the CSV file name in the bundle (``census.csv``).
    title
        Caption title shown above the table.
    frame
        The data. Column titles carry their units (``"Count (animals)"``). A read-only view is
        exposed through :attr:`frame`; the payload keeps its own copy.
    caption
        One or two sentences under the title: what a row is and where it comes from.
    display_columns
        Columns laid out in HTML/PDF/DOCX, in order; ``None`` shows all. The bundle always
        keeps every column (for example long notes are kept in the CSV only).
    link_columns
        Columns holding URLs, rendered as hyperlinks that wrap.

    Examples
    --------
    >>> import pandas as pd
    >>> t = Table("demo", "Demo", pd.DataFrame({"Year": [2025], "Count (animals)": [10]}))
    >>> t.frame.shape, t.shown_columns
    ((1, 2), ('Year', 'Count (animals)'))
    """

    name: str
    title: str
    _frame: pd.DataFrame = field(repr=False)
    caption: str = ""
    display_columns: tuple[str, ...] | None = None
    link_columns: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.name or not self.name.replace("_", "").replace("-", "").isalnum():
            raise ValueError(f"table name must be a slug (letters, digits, _ or -): {self.name!r}")
        frame = self._frame.reset_index(drop=True).copy(deep=True)
        for col in frame.columns:  # text cells: "" for empty, so CSV round trips exactly
            if frame[col].dtype == object or pd.api.types.is_string_dtype(frame[col]):
                frame[col] = frame[col].fillna("").astype(str)
        if frame.columns.duplicated().any():
            raise ValueError(f"table {self.name!r} has duplicated columns")
        for col in (*(self.display_columns or ()), *self.link_columns):
            if col not in frame.columns:
                raise ValueError(f"table {self.name!r} has no column {col!r}")
        object.__setattr__(self, "_frame", frame)

    @property
    def frame(self) -> pd.DataFrame:
        """A copy of the table (pandas copy-on-write makes this cheap)."""
        return self._frame.copy()

    @property
    def shown_columns(self) -> tuple[str, ...]:
        """Columns laid out by the document exporters."""
        return self.display_columns or tuple(str(c) for c in self._frame.columns)

    def formatted_rows(self) -> list[list[str]]:
        """Shown cells as strings, each formatted by :func:`format_value`."""
        cols = self.shown_columns
        sub = self._frame.loc[:, list(cols)]
        return [
            [format_value(v, c) for c, v in zip(cols, row, strict=True)]
            for row in sub.itertuples(index=False, name=None)
        ]


@dataclass(frozen=True, slots=True)
class Figure:
    """One figure: PNG bytes rendered by a :mod:`saigapop.plotting` function.

    Parameters
    ----------
    name
        Unique key.
    title
        Caption title.
    png
        The image (PNG bytes).
    caption
        What is drawn and how to read the markers.
    alt
        Alternative text for screen readers.
    width_cm
        Printed width in the PDF and DOCX.
    """

    name: str
    title: str
    png: bytes = field(repr=False)
    caption: str = ""
    alt: str = ""
    width_cm: float = 16.0

    def __post_init__(self) -> None:
        if not self.png.startswith(b"\x89PNG"):
            raise ValueError(f"figure {self.name!r} is not PNG data")


@dataclass(frozen=True, slots=True)
class Section:
    """One section of the report.

    Parameters
    ----------
    key
        Stable identifier (``"data_census"``).
    title
        Heading.
    paragraphs
        Prose, each built by a deterministic function from numbers in the payload.
    tables, figures
        Content laid out after the prose (figures first).
    level
        Heading level: 1 for a section, 2 for a subsection.
    computed
        ``False`` when the section's input was not supplied; its prose then says so plainly.
    """

    key: str
    title: str
    paragraphs: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()
    figures: tuple[Figure, ...] = ()
    level: Literal[1, 2] = 1
    computed: bool = True

    def __post_init__(self) -> None:
        for i, text in enumerate(self.paragraphs):
            if not isinstance(text, str):
                raise TypeError(
                    f"section {self.key!r} paragraph {i} is {type(text).__name__}, not str: "
                    "render messages in the report's language before building a section"
                )


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a report came from: enough to reproduce it.

    Parameters
    ----------
    package_version
        saigapop version.
    data_hash
        Hash of the input data (``SaigaData.data_hash``).
    seed
        Random seed of the run, or ``None``.
    sampler
        Sampler settings (empty without a fit).
    created
        Report date, ISO 8601 in UTC.
    dependencies
        Versions of the packages that shaped the numbers and the documents.
    inputs
        Which optional inputs were supplied (``fit``, ``quota``, ...), each ``True``/``False``.
    """

    package_version: str
    data_hash: str
    seed: int | None
    sampler: Mapping[str, Any]
    created: str
    dependencies: Mapping[str, str]
    inputs: Mapping[str, bool]

    def as_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return {
            "package_version": self.package_version,
            "data_hash": self.data_hash,
            "seed": self.seed,
            "sampler": dict(self.sampler),
            "created": self.created,
            "dependencies": dict(self.dependencies),
            "inputs": dict(self.inputs),
        }


class ValueBook:
    """Collects the named numbers of a report while its sections are built.

    Every number printed in prose is registered here first, so it is both in
    ``payload.values`` and traceable to the sentence that uses it.

    Examples
    --------
    >>> vb = ValueBook()
    >>> vb.add("census.Ural.latest_count_animals", 2300000.0, "Ural, latest spring count")
    '2,300,000'
    >>> dict(vb.values)
    {'census.Ural.latest_count_animals': 2300000}
    """

    def __init__(self) -> None:
        self._values: dict[str, Scalar] = {}
        self._meaning: dict[str, str] = {}

    def add(self, name: str, value: Scalar, meaning: str) -> str:
        """Register ``value`` under ``name`` and return it formatted for prose.

        Integral floats are stored as ``int``. Registering one name twice with different
        values is an error (a number must mean one thing).
        """
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        elif hasattr(value, "item"):  # numpy scalar
            value = value.item()
        if name in self._values and self._values[name] != value:
            raise ValueError(f"value {name!r} registered twice: {self._values[name]} != {value}")
        self._values[name] = value
        self._meaning[name] = meaning
        return format_value(value, name)

    @property
    def values(self) -> Mapping[str, Scalar]:
        """Read-only view of the values."""
        return MappingProxyType(self._values)

    @property
    def meanings(self) -> Mapping[str, str]:
        """Read-only view of what each value is."""
        return MappingProxyType(self._meaning)


@dataclass(frozen=True, slots=True)
class ReportPayload:
    """Everything a report shows, computed once by :func:`saigapop.report.build_payload`.

    Parameters
    ----------
    title, subtitle, institution
        Cover text.
    report_id
        ``SGP-<YYYYMMDD>-<first 8 hex of the content hash>``.
    sections
        Ordered sections.
    values
        Named numbers used in the prose (read-only mapping).
    value_meanings
        One line per value saying what it is and where it comes from.
    provenance
        Versions, data hash, seed, sampler settings, date.
    alerts
        Messages shown at the top of every export (for example: no quota is recommended).
    quota_recommended
        Whether the report recommends a quota: only with a quota computed from a fit that
        passed its diagnostics and acceptance checklist.
    diagnostics_passed
        ``None`` without diagnostics, else whether the fit passed them.
    language
        Language of the reader-facing text (``"en"`` or ``"ru"``); the exporters lay the
        payload out in it (column titles, data vocabulary, number symbols, template text).
    bundle_frames
        Locale-neutral tables by name for the bundle (those of the English report); empty
        for an English payload, whose own tables are neutral.
    """

    title: str
    subtitle: str
    institution: str
    report_id: str
    sections: tuple[Section, ...]
    values: Mapping[str, Scalar]
    value_meanings: Mapping[str, str]
    provenance: Provenance
    alerts: tuple[str, ...] = ()
    quota_recommended: bool = False
    diagnostics_passed: bool | None = None
    language: str = "en"
    bundle_frames: Mapping[str, pd.DataFrame] = field(
        default_factory=lambda: MappingProxyType({}), repr=False
    )

    def bundle_frame(self, name: str) -> pd.DataFrame:
        """Return the locale-neutral table ``name`` written to the bundle (a copy)."""
        if name in self.bundle_frames:
            return self.bundle_frames[name].copy()
        return self.table(name)

    def tables(self) -> Iterator[tuple[Section, Table]]:
        """Every table with its section, in report order."""
        for section in self.sections:
            for table in section.tables:
                yield section, table

    def table(self, name: str) -> pd.DataFrame:
        """Return the table called ``name`` (a copy)."""
        for _, table in self.tables():
            if table.name == name:
                return table.frame
        raise KeyError(f"no table {name!r}; tables: {[t.name for _, t in self.tables()]}")

    def section(self, key: str) -> Section:
        """Return the section with ``key``."""
        for section in self.sections:
            if section.key == key:
                return section
        raise KeyError(f"no section {key!r}; sections: {[s.key for s in self.sections]}")

    def to_dataframes(self) -> dict[str, pd.DataFrame]:
        """Every table by name (copies)."""
        return {table.name: table.frame for _, table in self.tables()}


def content_hash(
    sections: tuple[Section, ...],
    values: Mapping[str, Scalar],
    provenance: Provenance,
) -> str:
    """SHA-256 over the report content, excluding the creation time.

    Covers section keys, titles and prose, every table (as CSV), the values and the
    provenance other than ``created``, so one data set, fit and configuration give one
    identifier on any day. The ``provenance`` section is covered through ``provenance``
    itself (its table repeats the date). Figures are left out: their pixels depend on
    installed fonts, and they are drawn from the tables that are hashed.
    """
    digest = hashlib.sha256()
    prov = provenance.as_dict()
    prov.pop("created")
    head = {"values": dict(values), "provenance": prov}
    digest.update(json.dumps(head, sort_keys=True, default=str).encode())
    for section in sections:
        digest.update(json.dumps([section.key, section.title, *section.paragraphs]).encode())
        if section.key == "provenance":
            continue
        for table in section.tables:
            buf = io.StringIO()
            table.frame.to_csv(buf, index=False, lineterminator="\n")
            digest.update(table.name.encode())
            digest.update(buf.getvalue().encode())
    return digest.hexdigest()
