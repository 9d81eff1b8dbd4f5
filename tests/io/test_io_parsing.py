"""Reading files: encodings, delimiters, line numbers, numbers, empty files."""

from __future__ import annotations

import pytest

import saigapop as sp
from saigapop.io.parsing import NumberFormatError, parse_number


@pytest.mark.parametrize(
    "text",
    [
        "1 150 000",
        "1\u00a0150\u00a0000",
        "1\u202f150\u202f000",
        "1,150,000",
        "1150000",
        "1150000.0",
    ],
)
def test_thousands_separators_parse(text):
    assert parse_number(text) == 1_150_000


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1,5", "decimal comma"),
        ("12,34,5", "decimal comma"),
        ("1 150,5", "decimal comma"),
        ("1.150.000", "'.' used as a thousands separator"),
        ("twenty", "expected a number"),
        ("1 15 000", "expected a number"),
        ("", "empty"),
    ],
)
def test_ambiguous_or_bad_numbers_are_rejected(text, reason):
    with pytest.raises(NumberFormatError, match=reason):
        parse_number(text)


def test_thousands_separators_in_a_file(write, census_csv):
    text = census_csv.replace("285000", '"285 000"').replace("545000", '"545,000"')
    text = text.replace("842000", "842\u00a0000")
    census = sp.read_census(write("census.csv", text))
    assert census.loc[census["kind"] == "redundant_total", "value"].item() == 842_000
    assert census["value"].iloc[:2].tolist() == [285_000, 545_000]


def test_ambiguous_number_in_a_file_names_place_and_reason(write, census_csv, find_problem):
    path = write("census.csv", census_csv.replace("12000", '"12,5"'))
    with pytest.raises(sp.DataValidationError) as info:
        sp.read_census(path)
    p = find_problem(info.value, row=4, column="value", value="12,5")
    assert "decimal comma" in p.rule
    assert str(p).startswith("census.csv, row 4, column 'value': '12,5' — ambiguous number")


def test_utf8_bom_file_reads(write, census_csv):
    census = sp.read_census(write("census.csv", census_csv, encoding="utf-8-sig"))
    assert census.columns[0] == "population"
    assert len(census) == 6


def test_cp1251_cyrillic_file_reads(write, census_csv):
    text = census_csv.replace("Betpakdala,2021", "Бетпакдала,2021").replace(
        "survey not flown", "учёт не проводился"
    )
    path = write("census.csv", text, encoding="cp1251")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")  # really not UTF-8
    census = sp.read_census(path)
    assert census["population"].iloc[0] == "Betpakdala"
    assert census.loc[census["kind"] == "missing", "notes"].item() == "учёт не проводился"


def test_utf8_cyrillic_file_reads(write, census_csv):
    census = sp.read_census(write("census.csv", census_csv.replace("Ural,2022", "Урал,2022")))
    assert census["population"].iloc[-1] == "Ural"


def test_semicolon_delimited_file_reads(write, census_csv):
    text = census_csv.replace(",", ";").replace("preliminary", "preliminary")
    census = sp.read_census(write("census.csv", text))
    assert len(census) == 6


def test_empty_file_is_a_file_level_problem(write, find_problem):
    with pytest.raises(sp.DataValidationError) as info:
        sp.read_census(write("census.csv", b""))
    p = find_problem(info.value, file="census.csv", row=None, contains="empty (0 bytes)")
    assert str(p) == "census.csv — file is empty (0 bytes); expected a header line"


def test_header_only_file_is_a_file_level_problem(write, census_csv, find_problem):
    header = census_csv.splitlines()[0] + "\n"
    with pytest.raises(sp.DataValidationError) as info:
        sp.read_census(write("census.csv", header))
    find_problem(info.value, file="census.csv", row=None, contains="header but no data rows")


def test_missing_file_is_reported(tmp_path, find_problem):
    with pytest.raises(sp.DataValidationError) as info:
        sp.read_census(tmp_path / "nope.csv")
    find_problem(info.value, row=None, contains="file not found")


def test_row_numbers_follow_physical_lines(write, census_csv, find_problem):
    # A quoted note spanning two lines shifts later rows by one line.
    text = census_csv.replace("src A,\nUral", 'src A,"two\nlines"\nUral', 1)
    text = text.replace("Ural,2022,count,801000", "Ural,2022,count,-5")
    with pytest.raises(sp.DataValidationError) as info:
        sp.read_census(write("census.csv", text))
    p = find_problem(info.value, column="value", value="-5")
    assert p.row == 8  # header 1, rows 2-3 (two lines), then 4, 5, 6, 7, 8


def test_short_row_is_reported(write, census_csv, find_problem):
    text = census_csv + "Ural,2023\n"
    with pytest.raises(sp.DataValidationError) as info:
        sp.read_census(write("census.csv", text))
    find_problem(info.value, row=8, column=None, contains="expected 9 fields, found 2")


def test_blank_line_is_a_warning_not_a_silent_drop(write, census_csv):
    path = write("census.csv", census_csv + ",,,,,,,,\n")
    with pytest.warns(sp.io.DataWarning, match="row 8 — empty row ignored"):
        census = sp.read_census(path)
    assert len(census) == 6


def test_old_excel_format_is_a_clear_problem(write, find_problem):
    with pytest.raises(sp.DataValidationError) as info:
        sp.read_census(write("census.xls", b"\xd0\xcf\x11\xe0"))
    find_problem(info.value, row=None, contains="save it as .xlsx or .csv")


def test_reserved_and_duplicate_column_names(write, census_csv, find_problem):
    text = census_csv.replace("notes\n", "row\n", 1)
    with pytest.raises(sp.DataValidationError) as info:
        sp.read_census(write("census.csv", text))
    find_problem(info.value, row=1, column="row", contains="reserved")
    text = census_csv.replace("notes\n", "source\n", 1)
    with pytest.raises(sp.DataValidationError) as info:
        sp.read_census(write("census.csv", text))
    find_problem(info.value, row=1, column="source", contains="more than once")
