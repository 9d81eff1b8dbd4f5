"""What the readers accept (paths, open files, frames), and errors that point at the right place.

Header problems never crash, whatever else is passed; a wrong argument type is a TypeError
naming the argument; errors caused by an earlier one are marked follow-on.
"""

from __future__ import annotations

import io
import itertools

import pandas as pd
import pytest

import saigapop as sp
from saigapop.exceptions import DataValidationError

BROKEN_HEADERS = {
    "blank": lambda h: h.replace("kind,", ",", 1),
    "repeated": lambda h: h.replace("kind,", "value,", 1),
    "reserved": lambda h: h.replace("source", "row", 1),
}


def _frame(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


def _xlsx_bytes(text: str) -> bytes:
    buffer = io.BytesIO()
    _frame(text).to_excel(buffer, index=False)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda t, p: io.StringIO(t), id="text-stream"),
        pytest.param(lambda t, p: io.BytesIO(t.encode("utf-8")), id="bytes-stream"),
        pytest.param(lambda t, p: io.BytesIO(t.encode("cp1251")), id="cp1251-bytes"),
        pytest.param(lambda t, p: io.BytesIO(_xlsx_bytes(t)), id="excel-bytes"),
        pytest.param(lambda t, p: _frame(t), id="frame"),
        pytest.param(lambda t, p: p, id="path"),
        pytest.param(lambda t, p: str(p), id="str-path"),
    ],
)
def test_every_kind_of_source_gives_the_same_data(make, write, census_csv, removals_csv):
    reference = sp.SaigaData.from_files(
        write("census.csv", census_csv), write("removals.csv", removals_csv)
    )
    census = make(census_csv, write("c.csv", census_csv))
    removals = make(removals_csv, write("r.csv", removals_csv))
    data = sp.SaigaData.from_files(census=census, removals=removals)
    assert data.data_hash == reference.data_hash
    assert len(data.census) == 6


def test_open_files_in_text_and_binary_mode(write, census_csv):
    path = write("census.csv", census_csv)
    with open(path, encoding="utf-8") as text, open(path, "rb") as binary:
        a, b = sp.read_census(text), sp.read_census(binary)
    pd.testing.assert_frame_equal(a, b)
    assert set(a["file"]) == {"census.csv"}  # an open file is named after its file


def test_errors_in_a_file_object_name_the_argument(census_csv):
    stream = io.StringIO(census_csv.replace("545000", "lots"))
    with pytest.raises(DataValidationError) as info:
        sp.SaigaData.from_files(census=stream)
    (problem,) = info.value.problems
    assert (problem.file, problem.row, problem.column) == ("<census file object>", 3, "value")


def test_errors_in_a_frame_name_the_argument_and_the_index_label(census_csv, removals_csv):
    removals = _frame(removals_csv)
    removals.index = [f"r{i}" for i in range(len(removals))]
    removals.loc["r2", "status"] = "done"
    with pytest.raises(DataValidationError) as info:
        sp.SaigaData.from_files(census=_frame(census_csv), removals=removals)
    (problem,) = info.value.problems
    assert (problem.file, problem.row, problem.index) == ("<removals frame>", 4, "'r2'")
    assert str(problem).startswith("<removals frame>, row 4 (index 'r2'), column 'status'")


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        ({"census": None}, "census"),
        ({"census": 3}, "census"),
        ({"census": ["census.csv"]}, "census"),
        ({"census": "OK", "removals": {"a": 1}}, "removals"),
        ({"census": "OK", "composition": 2.5}, "composition"),
    ],
)
def test_wrong_argument_types_are_type_errors_naming_the_argument(
    arguments, named, write, census_csv
):
    if arguments["census"] == "OK":
        arguments["census"] = write("census.csv", census_csv)
    with pytest.raises(TypeError, match=rf"^{named}: .*(path|required)") as info:
        sp.SaigaData.from_files(**arguments)
    assert "DataFrame" in str(info.value)


def test_read_census_of_none_is_a_type_error():
    with pytest.raises(TypeError, match="census: expected a path"):
        sp.read_census(None)


def test_removals_without_sex_is_a_validation_error_naming_the_column(census_csv, removals_csv):
    removals = _frame(removals_csv).drop(columns="sex")
    for call in (
        lambda: sp.SaigaData.from_frames(_frame(census_csv), removals),
        lambda: sp.SaigaData.from_files(census=_frame(census_csv), removals=removals),
        lambda: sp.read_removals(removals),
    ):
        with pytest.raises(DataValidationError, match=r"missing required column.*'sex'"):
            call()


@pytest.mark.parametrize(
    ("census_header", "removals_header"),
    [(c, None) for c in BROKEN_HEADERS]
    + [(None, r) for r in BROKEN_HEADERS]
    + list(itertools.product(BROKEN_HEADERS, BROKEN_HEADERS)),
)
def test_header_problems_never_crash_whatever_else_is_passed(
    census_header, removals_header, write, census_csv, removals_csv, composition_csv
):
    def damage(text, how):
        if how is None:
            return text
        header, rest = text.split("\n", 1)
        return BROKEN_HEADERS[how](header) + "\n" + rest

    census = write("census.csv", damage(census_csv, census_header))
    removals = write("removals.csv", damage(removals_csv, removals_header))
    composition = write("composition.csv", composition_csv)
    with pytest.raises(DataValidationError) as info:
        sp.SaigaData.from_files(census, removals, composition)
    problems = info.value.problems
    for file, how in (("census.csv", census_header), ("removals.csv", removals_header)):
        if how is None:
            continue
        header_problems = [p for p in problems if p.file == file and p.row == 1]
        assert header_problems, f"no header problem reported for {file}"
        assert not any(p.follow_on for p in header_problems)
        skipped = [p for p in problems if p.file == file and "not checked against" in p.rule]
        assert len(skipped) == 1
        assert skipped[0].follow_on
    # Real errors come first, follow-on ones after them.
    flags = [p.follow_on for p in problems]
    assert flags == sorted(flags)


def test_header_problem_still_checks_every_row(write, census_csv):
    text = census_csv.replace("kind,value", "kind,kind", 1).replace("Ural,2022", "Urall,2022")
    with pytest.raises(DataValidationError) as info:
        sp.read_census(write("census.csv", text))
    rows = {(p.row, p.column) for p in info.value.problems}
    assert (1, "kind") in rows  # the repeated name
    assert (7, "population") in rows  # a row problem elsewhere is still found
    missing = [p for p in info.value.problems if "missing required column" in p.rule]
    assert len(missing) == 1
    assert missing[0].follow_on
    assert "'value'" in missing[0].rule


def test_cross_table_error_after_a_census_error_is_marked_follow_on(write):
    census = (
        "population,year,kind,value,source\n"
        "Betpakdala,2021,count,285000,a\n"
        "Ural,2021,count,545 thousand,a\n"
        "Ustyurt,2021,count,12000,a\n"
    )
    removals = (
        "population,year,kind,status,timing,sex,age,unit,value,source\n"
        "total,2021,cull,final,removal,all,all,animals,300000,b\n"
    )
    with pytest.raises(DataValidationError) as info:
        sp.SaigaData.from_files(write("census.csv", census), write("removals.csv", removals))
    first, second = info.value.problems
    assert (first.file, first.row, first.follow_on) == ("census.csv", 3, False)
    assert (second.file, second.row, second.follow_on) == ("removals.csv", 2, True)
    assert str(second).startswith("follow-on: removals.csv, row 2")


def test_the_same_cross_table_error_without_a_census_error_is_not_follow_on(write):
    census = "population,year,kind,value,source\nBetpakdala,2021,count,285000,a\n"
    removals = (
        "population,year,kind,status,timing,sex,age,unit,value,source\n"
        "total,2021,cull,final,removal,all,all,animals,300000,b\n"
    )
    with pytest.raises(DataValidationError) as info:
        sp.SaigaData.from_files(write("census.csv", census), write("removals.csv", removals))
    (problem,) = info.value.problems
    assert not problem.follow_on
    assert "cannot exceed" in problem.rule


def test_a_blank_last_column_name_is_no_column_and_its_values_are_reported_per_row(
    write, census_csv
):
    # Spreadsheet exports often end the header with empty names; a blank *last* name is not a
    # column, so values under it are reported on their rows as beyond the header.
    text = census_csv.replace(",notes\n", ",\n", 1).replace("survey not flown", "kept note")
    with pytest.raises(DataValidationError) as info:
        sp.read_census(write("census.csv", text))
    (problem,) = info.value.problems
    assert (problem.row, problem.value) == (6, "kept note")
    assert "beyond the header" in problem.rule
