"""CSV and Excel round trips, and reading problems turned into findings."""

import pandas as pd
import pytest

from saigapop.exceptions import DataValidationError
from saigapop.registry import (
    DEMO_FAULTS,
    REGISTRY_COLUMNS,
    make_synthetic_registry,
    read_registry,
    validate_registry,
    write_registry,
)


@pytest.fixture(scope="module")
def synth():
    return make_synthetic_registry(400, faults=DEMO_FAULTS, seed=21)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_round_trip(tmp_path, synth, suffix):
    path = tmp_path / f"registry{suffix}"
    write_registry(synth.registry, path)
    raw = read_registry(path)
    assert list(raw.columns) == [*REGISTRY_COLUMNS, "row"]
    assert raw.attrs["file"] == path.name
    direct = validate_registry(synth.registry, synth.removals)
    from_file = validate_registry(path, synth.removals)
    pd.testing.assert_frame_equal(direct.findings, from_file.findings)
    pd.testing.assert_frame_equal(direct.table, from_file.table)
    assert from_file.file == path.name
    # Writing the validated table again gives the same file content back.
    again = tmp_path / f"again{suffix}"
    write_registry(from_file.table[list(REGISTRY_COLUMNS)], again)
    pd.testing.assert_frame_equal(read_registry(again), raw)


def test_csv_keeps_leading_zeros_and_empty_cells(tmp_path, synth):
    path = tmp_path / "registry.csv"
    write_registry(synth.registry, path)
    first = path.read_text(encoding="utf-8").splitlines()[1]
    assert first.startswith("(01)0487")
    assert ",," in first  # an unprocessed horn has empty processing cells


def test_cp1251_semicolon_csv_is_read(tmp_path, synth):
    frame = synth.registry.head(3).copy()
    frame["harvested_place"] = "Жанибекский район"
    path = tmp_path / "registry.csv"
    write_registry(frame, tmp_path / "utf8.csv")
    text = (tmp_path / "utf8.csv").read_text(encoding="utf-8").replace(",", ";")
    path.write_bytes(text.encode("cp1251"))
    result = validate_registry(path, synth.removals)
    assert result.table["harvested_place"].tolist() == ["Жанибекский район"] * 3


def test_line_with_extra_fields_is_rejected_not_dropped(tmp_path):
    synth = make_synthetic_registry(3, seed=3)
    path = tmp_path / "registry.csv"
    write_registry(synth.registry, path)
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[2] += ",surplus"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = validate_registry(path, synth.removals)
    assert result.n_input == 3
    assert result.n_rejected == 1
    hit = result.findings.loc[result.findings["fault"] == "invalid_value"]
    assert hit["row"].tolist() == [3]
    assert "values beyond the header" in hit["message"].item()


def test_unreadable_file_raises(tmp_path):
    with pytest.raises(DataValidationError, match="file not found"):
        read_registry(tmp_path / "missing.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(DataValidationError):
        read_registry(empty)


def test_read_problem_without_column_converts_to_problem(tmp_path):
    synth = make_synthetic_registry(2, seed=3)
    path = tmp_path / "registry.csv"
    write_registry(synth.registry, path)
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[1] += ",surplus"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (problem,) = validate_registry(path, synth.removals).problems()
    assert problem.row == 2
    assert problem.column is None
    assert problem.file == "registry.csv"
