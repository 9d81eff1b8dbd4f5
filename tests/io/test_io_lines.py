"""Every physical line of every input is used, reported or a documented blank line.

Line accounting is checked by counting: header + the lines of every row + blank lines must equal
the file's own line count (``len(text.splitlines())``), for the bundled files and for files with
blank lines, quoted fields spanning lines and unclosed quotes.
"""

from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pytest

import saigapop as sp
from saigapop.datasets import bundled_data_dir
from saigapop.exceptions import DataValidationError, DataWarning
from saigapop.io.parsing import read_raw
from saigapop.io.populations import PopulationResolver
from saigapop.io.readers import read_table
from saigapop.io.schemas import CENSUS
from saigapop.registry import make_synthetic_registry, read_registry, write_registry

DATA = bundled_data_dir()


def _accounted(raw) -> int:
    """Count lines from the parts, independently of ``RawTable.accounted_lines``."""
    header = 1 if raw.header_line is not None else 0
    rows = sum(last - first + 1 for first, last in raw.spans)
    return header + rows + len(raw.blank_lines)


def _lines_in_frame(raw) -> set[int]:
    covered = {raw.header_line, *raw.blank_lines}
    for first, last in raw.spans:
        covered |= set(range(first, last + 1))
    return covered


@pytest.mark.parametrize("name", ["census.csv", "removals.csv", "composition.csv"])
def test_bundled_files_account_for_every_line(name):
    path = DATA / name
    raw = read_raw(path)
    n_lines = len(path.read_text(encoding="utf-8").splitlines())
    assert raw.line_count == n_lines
    assert _accounted(raw) == raw.accounted_lines == n_lines
    assert _lines_in_frame(raw) == set(range(1, n_lines + 1))
    assert raw.frame["row"].tolist() == [first for first, _ in raw.spans]


def test_a_quoted_field_may_span_lines_when_it_closes_into_a_full_row(write, census_csv):
    text = census_csv.replace("src A,\nUral", 'src A,"first line\nsecond line"\nUral', 1)
    path = write("census.csv", text)
    raw = read_raw(path)
    assert raw.spans[0] == (2, 3)
    census = sp.read_census(path)
    assert census["notes"].iloc[0] == "first line\nsecond line"
    assert census["row"].tolist() == [2, 4, 5, 6, 7, 8]
    assert _accounted(raw) == len(text.splitlines()) == 8


def test_unclosed_quote_is_reported_where_it_opens_and_no_row_is_lost():
    # The bundled census with a stray quote in one notes field: all 60 rows must still be read,
    # and the only error points at the line of the quote.
    lines = (DATA / "census.csv").read_text(encoding="utf-8").splitlines()
    target = next(n for n, line in enumerate(lines) if line.endswith('Split not found."')) + 1
    damaged = lines.copy()
    damaged[target - 1] = damaged[target - 1].rsplit(',"', 1)[0] + ',"unclosed note'
    text = "\n".join(damaged) + "\n"
    result = read_table(CENSUS, io.StringIO(text), resolver=PopulationResolver(), label="c.csv")
    assert len(result.frame) == len(lines) - 1 == 60
    assert result.raw.accounted_lines == len(lines)
    errors = [p for p in result.problems if p.is_error]
    assert [(p.row, p.column) for p in errors] == [(target, None)]
    assert "quote" in errors[0].rule
    assert "opens on this line" in errors[0].rule
    assert result.frame.loc[result.frame["row"] == target, "notes"].item() == "unclosed note"


def test_quote_closing_later_into_a_row_of_the_wrong_length_is_reported_where_it_opens(
    write, census_csv
):
    # Line 2 opens a quote; a stray quote on line 4 would close it into a row of 13 fields.
    # The quote is reported on line 2, and lines 3 and 4 are read as their own rows.
    text = census_csv.replace("preliminary,src A,\nUral", 'preliminary,src A,"oops\nUral', 1)
    text = text.replace("12000,2021-04", '12000",2021-04')
    path = write("census.csv", text)
    raw = read_raw(path)
    assert raw.accounted_lines == raw.line_count == len(text.splitlines()) == 7
    assert raw.frame["row"].tolist() == [2, 3, 4, 5, 6, 7]
    with pytest.raises(DataValidationError) as info:
        sp.read_census(path)
    assert [p.row for p in info.value.problems if "quote" in p.rule] == [2]
    assert any(p.row == 4 and p.value == '12000"' for p in info.value.problems)


def test_unclosed_quote_at_the_end_of_the_file(write, census_csv):
    text = census_csv + 'Ural,2023,count,1130000,,aerial,,src D,"never closed\n'
    with pytest.raises(DataValidationError) as info:
        sp.read_census(write("census.csv", text))
    (problem,) = info.value.problems
    assert problem.row == 8
    assert "quote" in problem.rule


def test_blank_lines_are_counted_and_reported(write, census_csv):
    lines = census_csv.splitlines()
    text = "\n\n" + "\n".join([lines[0], lines[1], "", ",,,,,,,,", *lines[2:]]) + "\n"
    path = write("census.csv", text)
    raw = read_raw(path)
    assert raw.header_line == 3
    assert raw.blank_lines == (1, 2, 5, 6)
    assert raw.accounted_lines == raw.line_count == len(text.splitlines()) == 11
    with pytest.warns(DataWarning, match="empty row ignored") as caught:
        census = sp.read_census(path)
    assert sorted(int(str(w.message).split("row ")[1].split(" ")[0]) for w in caught) == [5, 6]
    assert len(census) == 6


def test_windows_line_endings_count_the_same(write, census_csv):
    text = census_csv.replace("\n", "\r\n")
    raw = read_raw(write("census.csv", text))
    assert raw.line_count == raw.accounted_lines == 7
    assert raw.frame["row"].tolist() == [2, 3, 4, 5, 6, 7]


def test_no_line_swallowed_in_a_registry(tmp_path):
    path = tmp_path / "registry.csv"
    write_registry(make_synthetic_registry(12, seed=4).registry, path)
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[2] += ',"stray'  # a quote opening on line 3 that never closes
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    frame = read_registry(path)
    assert frame["row"].tolist() == list(range(2, 14))  # all 12 horns
    (problem,) = [p for p in frame.attrs["read_problems"] if "quote" in p.rule]
    assert problem.row == 3


def _workbook(tmp_path, sheets: dict[str, pd.DataFrame]):
    path = tmp_path / "census.xlsx"
    with pd.ExcelWriter(path) as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)
    return path


def test_a_one_sheet_workbook_is_read_whatever_the_sheet_is_called(tmp_path, census_csv):
    frame = pd.read_csv(io.StringIO(census_csv), dtype=str, keep_default_na=False)
    path = _workbook(tmp_path, {"counts 2021": frame})
    assert len(sp.read_census(path)) == 6


def test_several_sheets_need_a_sheet_name_and_the_error_lists_them(tmp_path, census_csv):
    frame = pd.read_csv(io.StringIO(census_csv), dtype=str, keep_default_na=False)
    path = _workbook(tmp_path, {"old": frame.iloc[:2], "new": frame})
    with pytest.raises(DataValidationError) as info:
        sp.read_census(path)
    (problem,) = info.value.problems
    assert "2 sheets ('old', 'new')" in problem.rule
    assert "sheet=" in problem.rule
    assert len(sp.read_census(path, sheet="new")) == 6
    assert len(sp.read_census(path, sheet="old")) == 2
    with pytest.raises(DataValidationError, match=r"no sheet named 'newer'.*'old', 'new'"):
        sp.read_census(path, sheet="newer")
    data = sp.SaigaData.from_files(path, sheets={"census": "new"})
    assert len(data.census) == 6


def test_excel_rows_account_for_every_sheet_row(tmp_path, census_csv):
    frame = pd.read_csv(io.StringIO(census_csv), dtype=str, keep_default_na=False)
    path = _workbook(tmp_path, {"census": frame})
    workbook = openpyxl.load_workbook(path)
    workbook["census"].insert_rows(4)  # an empty sheet row between data rows
    workbook.save(path)
    raw = read_raw(path)
    assert raw.line_count == 8
    assert raw.blank_lines == (4,)
    assert raw.accounted_lines == 8


def test_a_quote_that_would_close_into_a_full_row_by_swallowing_rows_is_rejected(write, census_csv):
    # The quote opening on line 2 closes at the first quote of line 6, which happens to give a
    # row of exactly 9 fields; lines 3-5 are rows of their own, so they are not swallowed.
    text = census_csv.replace("preliminary,src A,\nUral", 'preliminary,src A,"oops\nUral', 1)
    text = text.replace("src B,survey not flown", 'src B,"survey not flown"')
    path = write("census.csv", text)
    raw = read_raw(path)
    assert raw.frame["row"].tolist() == [2, 3, 4, 5, 6, 7]
    assert raw.accounted_lines == raw.line_count == 7
    assert [p.row for p in raw.problems if "quote" in p.rule] == [2]
