"""Property-based test of the readers: damage known rows, record which, check the report.

The generator starts from known-good tables (the bundled ones, or the conftest strings),
damages chosen rows of chosen tables (unclosed quote, wrong field count, non-numeric value,
unknown population, unknown kind, and a blank or repeated header name) and records each
damaged ``(file, line)``. Then:

- undamaged tables load every row (no error, row counts unchanged);
- a damaged set raises :class:`~saigapop.exceptions.DataValidationError` naming each damaged
  row with an error of its own, and every other error is marked follow-on: never a raw
  exception, never a silent loss.

Bounded examples run in the fast tier; many run in the slow tier.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import saigapop as sp
from saigapop.datasets import BUNDLED_FILES, bundled_data_dir
from saigapop.exceptions import DataValidationError, DataWarning

TABLES = ("census", "removals", "composition")

_spec = importlib.util.spec_from_file_location(
    "_conftest_tables", Path(__file__).parents[1] / "conftest.py"
)
_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_conftest)
NUMBER_COLUMN = {"census": "value", "removals": "value", "composition": "males"}
ROW_DAMAGE = (
    "unclosed_quote",
    "short_row",
    "extra_field",
    "non_numeric",
    "bad_population",
    "bad_kind",
)
HEADER_DAMAGE = ("blank_name", "repeated_name")
#: The column a row damage writes into (a header damage must spare it to keep it visible).
DAMAGED_COLUMN = {"bad_population": "population", "bad_kind": "kind"}


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


SOURCES = {
    "conftest": {
        "census": _rows(_conftest.CENSUS_CSV),
        "removals": _rows(_conftest.REMOVALS_CSV),
        "composition": _rows(_conftest.COMPOSITION_CSV),
    },
    "bundled": {
        name: _rows((bundled_data_dir() / BUNDLED_FILES[name]).read_text(encoding="utf-8"))
        for name in TABLES
    },
}


def _line(cells: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(cells)
    return out.getvalue().rstrip("\n")


class Damaged:
    """A set of tables as text, with the damage done to them (a plain class: short repr)."""

    def __init__(self, texts: dict[str, str], rows: dict[str, int]) -> None:
        self.texts = texts
        self.rows = rows  # data rows per table, before damage
        self.damaged: set[tuple[str, int]] = set()  # (table, line) of damaged rows
        self.masked: set[str] = set()  # tables whose header was damaged
        self.kinds: list[tuple[str, int, str]] = []

    def __repr__(self) -> str:
        return f"Damaged(rows={self.rows}, kinds={self.kinds})"


def _damage_row(cells: list[str], header: list[str], table: str, kind: str) -> str:
    cells = list(cells)
    if kind == "unclosed_quote":
        return _line(cells[:-1]) + ',"' + cells[-1].replace('"', "") + " unclosed"
    if kind == "short_row":
        return _line(cells[:-1])
    if kind == "extra_field":
        return _line([*cells, "surplus"])
    column = {
        "non_numeric": NUMBER_COLUMN[table],
        "bad_population": "population",
        "bad_kind": "kind",
    }[kind]
    cells[header.index(column)] = {
        "non_numeric": "lots",
        "bad_population": "Atlantis",
        "bad_kind": "guesswork",
    }[kind]
    return _line(cells)


@st.composite
def damaged_tables(draw) -> Damaged:
    source = SOURCES[draw(st.sampled_from(sorted(SOURCES)))]
    texts: dict[str, str] = {}
    result = Damaged(texts, {t: len(source[t]) - 1 for t in TABLES})
    for table in TABLES:
        header, *body = source[table]
        lines = [_line(header), *(_line(cells) for cells in body)]
        targets = draw(
            st.lists(st.integers(0, len(body) - 1), unique=True, max_size=min(3, len(body)))
        )
        damaged_columns: set[str] = set()
        for index in targets:
            kind = draw(st.sampled_from(ROW_DAMAGE))
            lines[index + 1] = _damage_row(body[index], header, table, kind)
            result.damaged.add((table, index + 2))
            result.kinds.append((table, index + 2, kind))
            if kind == "non_numeric":
                damaged_columns.add(NUMBER_COLUMN[table])
            elif kind in DAMAGED_COLUMN:
                damaged_columns.add(DAMAGED_COLUMN[kind])
        if draw(st.integers(0, 5)) == 0:  # a header damage now and then
            # Damage a column no damaged row relies on, so each row damage is still visible.
            how = draw(st.sampled_from(HEADER_DAMAGE))
            # A blank *last* name is no column at all (its values are reported per row as
            # beyond the header; see test_io_inputs), so it is not a header damage here.
            free = [c for c in header[:-1] if c not in damaged_columns and c != "year"]
            column = draw(st.sampled_from(free))
            names = list(header)
            names[names.index(column)] = "" if how == "blank_name" else "year"
            lines[0] = _line(names)
            result.masked.add(table)
            result.kinds.append((table, 1, how))
        texts[table] = "\n".join(lines) + "\n"
    return result


def _load(case: Damaged, binary: bool):
    def stream(text: str):
        return io.BytesIO(text.encode("utf-8")) if binary else io.StringIO(text)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return sp.SaigaData.from_files(**{t: stream(case.texts[t]) for t in TABLES})


def _check(case: Damaged, binary: bool) -> None:
    label = {t: f"<{t} file object>" for t in TABLES}
    table_of = {v: k for k, v in label.items()}
    if not case.damaged and not case.masked:
        data = _load(case, binary)
        for table in TABLES:
            assert len(getattr(data, table)) == case.rows[table], table
        return
    with pytest.raises(DataValidationError) as info:
        _load(case, binary)
    problems = info.value.problems
    own = {(table_of[p.file], p.row) for p in problems if not p.follow_on}
    for place in case.damaged:
        assert place in own, f"damaged row {place} not named ({case.kinds})"
    for table in case.masked:
        assert (table, 1) in own, f"damaged header of {table} not named"
    allowed = case.damaged | {(t, 1) for t in case.masked}
    stray = [
        str(p) for p in problems if not p.follow_on and (table_of[p.file], p.row) not in allowed
    ]
    assert not stray, f"errors on undamaged rows not marked follow-on: {stray} ({case.kinds})"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=damaged_tables(), binary=st.booleans())
def test_damaged_rows_are_named_and_nothing_is_lost(case, binary):
    _check(case, binary)


@pytest.mark.slow
@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=damaged_tables(), binary=st.booleans())
def test_damaged_rows_are_named_and_nothing_is_lost_many(case, binary):
    _check(case, binary)


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_undamaged_sources_load_every_row(source):
    texts = {t: "\n".join(_line(c) for c in SOURCES[source][t]) + "\n" for t in TABLES}
    case = Damaged(texts, {t: len(SOURCES[source][t]) - 1 for t in TABLES})
    _check(case, binary=False)
