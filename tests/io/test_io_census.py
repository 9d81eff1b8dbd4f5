"""Census table rules: each problem names file, row, column and value."""

from __future__ import annotations

import pandas as pd
import pytest

import saigapop as sp


def _problems(write, text, **kwargs):
    with pytest.raises(sp.DataValidationError) as info:
        sp.read_census(write("census.csv", text), **kwargs)
    return info.value


def test_valid_census_reads_typed_and_complete(write, census_csv):
    census = sp.read_census(write("census.csv", census_csv))
    assert len(census) == len(census_csv.splitlines()) - 1
    assert census["year"].dtype == "int64"
    assert census["value"].dtype == "float64"
    assert census["row"].tolist() == [2, 3, 4, 5, 6, 7]
    assert set(census["file"]) == {"census.csv"}
    assert pd.isna(census.loc[census["kind"] == "missing", "value"].item())


def test_optional_columns_may_be_absent(write):
    text = "population,year,kind,value,source\nUral,2024,count,1620000,src\n"
    census = sp.read_census(write("census.csv", text))
    assert census.loc[0, "notes"] == ""
    assert census.loc[0, "flag"] == ""


def test_missing_required_column_is_file_level(write, census_csv, find_problem):
    text = "\n".join(",".join(line.split(",")[:3]) for line in census_csv.splitlines())
    err = _problems(write, text)
    p = find_problem(err, row=None, contains="missing required column")
    assert p.file == "census.csv"
    assert "'value', 'source'" in str(p)


@pytest.mark.parametrize("bad", ["-5", "lots", "1e"])
def test_negative_or_non_numeric_count(write, census_csv, find_problem, bad):
    err = _problems(write, census_csv.replace("12000", bad))
    p = find_problem(err, row=4, column="value", value=bad)
    expected = "non-negative number" if bad == "-5" else "expected a number"
    assert expected in p.rule


def test_negative_count_message(write, census_csv, find_problem):
    err = _problems(write, census_csv.replace("801000", "-5"))
    p = find_problem(err, value="-5")
    assert str(p) == "census.csv, row 7, column 'value': '-5' — expected a non-negative number"


def test_empty_value_outside_missing_or_bound(write, census_csv, find_problem):
    err = _problems(write, census_csv.replace("Ural,2022,count,801000", "Ural,2022,count,"))
    p = find_problem(err, row=7, column="value", value="")
    assert "only for kind 'missing'" in p.rule


def test_empty_bound_value_is_an_error(write, census_csv, find_problem):
    err = _problems(write, census_csv + "total,2005,upper_bound,,,,,src,\n")
    find_problem(err, row=8, column="value", contains="only for kind 'missing'")


@pytest.mark.parametrize("year", ["2021.5", "twenty", "1850", "2150", ""])
def test_bad_year(write, census_csv, find_problem, year):
    err = _problems(write, census_csv.replace("Ural,2022", f"Ural,{year}"))
    p = find_problem(err, row=7, column="year", value=year)
    assert ("between 1900 and 2100" in p.rule) or (year == "" and "non-empty" in p.rule)


def test_integer_valued_decimal_year_is_accepted(write, census_csv):
    census = sp.read_census(write("census.csv", census_csv.replace("Ural,2022", "Ural,2022.0")))
    assert census["year"].iloc[-1] == 2022


def test_duplicate_key_names_both_rows(write, census_csv, find_problem):
    err = _problems(write, census_csv + "ural,2022,count,800000,,,,src D,\n")
    p = find_problem(err, contains="duplicate key")
    assert p.row == 8
    assert "row 7" in p.rule
    assert p.value == "Ural, 2022, count"


def test_duplicate_after_alias_resolution(write, census_csv, find_problem):
    err = _problems(write, census_csv + "Volga-Ural,2022,count,800000,,,,src D,\n")
    find_problem(err, row=8, contains="duplicate key")


def test_unknown_kind(write, census_csv, find_problem):
    err = _problems(write, census_csv.replace("Ural,2022,count", "Ural,2022,Count"))
    p = find_problem(err, row=7, column="kind", value="Count")
    assert "'count'" in p.rule
    assert "'missing'" in p.rule


def test_unknown_flag(write, census_csv, find_problem):
    err = _problems(
        write, census_csv.replace("aerial,preliminary,src A", "aerial,preliminary;guess,src A", 1)
    )
    p = find_problem(err, row=2, column="flag", value="preliminary;guess")
    assert "'coverage_change'" in p.rule


def test_flags_are_normalised(write, census_csv):
    census = sp.read_census(
        write("census.csv", census_csv.replace("preliminary", " preliminary ; method_change ", 1))
    )
    assert census.loc[0, "flag"] == "preliminary;method_change"


def test_empty_source(write, census_csv, find_problem):
    err = _problems(write, census_csv.replace("src C", ""))
    find_problem(err, row=7, column="source", contains="non-empty")


def test_national_kind_requires_total(write, census_csv, find_problem):
    err = _problems(
        write, census_csv.replace("total,2021,redundant_total", "Ural,2021,redundant_total")
    )
    find_problem(
        err, row=5, column="population", value="Ural", contains="require population 'total'"
    )


def test_count_cannot_be_national(write, census_csv, find_problem):
    err = _problems(write, census_csv + "total,2024,count,2900000,,,,src,\n")
    find_problem(err, row=8, column="kind", value="count", contains="national figure")


def test_inconsistent_redundant_total(write, census_csv, find_problem):
    err = _problems(write, census_csv.replace("842000", "843000"))
    p = find_problem(err, row=5, column="value", value="843000")
    assert "must equal the sum of 2021 counts (842,000 from row(s) 2, 3, 4)" in p.rule


def test_partial_total_below_counts(write, census_csv, find_problem):
    err = _problems(write, census_csv + "total,2022,partial_total,700000,,,,src,\n")
    p = find_problem(err, row=8, column="value", value="700000")
    assert "≥ the sum of 2022 counts" in p.rule


def test_partial_total_above_counts_is_fine(write, census_csv):
    census = sp.read_census(
        write("census.csv", census_csv + "total,2022,partial_total,900000,,,,src,\n")
    )
    assert "partial_total" in set(census["kind"])


def test_total_with_counts_is_reported(write, census_csv, find_problem):
    err = _problems(write, census_csv + "total,2022,total,900000,,,,src,\n")
    find_problem(err, row=8, column="kind", contains="use 'partial_total' or 'redundant_total'")


def test_sum_checks_skip_years_with_bad_rows(write, census_csv, find_problem):
    # The bad count is reported once; no follow-on redundant_total problem.
    err = _problems(write, census_csv.replace("12000", "x"))
    assert len(err.problems) == 1
    find_problem(err, row=4, column="value", value="x")


def test_all_problems_are_reported_together(write, census_csv):
    text = (
        census_csv.replace("12000", "-1").replace("Ural,2022", "Ural,twenty").replace("src C", "")
    )
    err = _problems(write, text)
    assert {(p.row, p.column) for p in err.problems} >= {(4, "value"), (7, "year"), (7, "source")}
    assert str(err).startswith(f"{len(err.problems)} problem(s) in the input data:")


def test_unknown_column_is_kept_with_a_warning(write, census_csv):
    text = census_csv.replace("notes\n", "notes,comment\n", 1)
    text = "\n".join(line + "," if i else line for i, line in enumerate(text.splitlines())) + "\n"
    with pytest.warns(sp.io.DataWarning, match="column 'comment'"):
        census = sp.read_census(write("census.csv", text))
    assert "comment" in census.columns


def test_read_census_from_a_frame(census_csv, find_problem):
    frame = pd.read_csv(pd.io.common.StringIO(census_csv), dtype=str, keep_default_na=False)
    frame.loc[2, "value"] = "-3"
    with pytest.raises(sp.DataValidationError) as info:
        sp.read_census(frame)
    find_problem(info.value, file="<census frame>", row=4, column="value", value="-3")


def test_one_national_figure_per_year(write, census_csv, find_problem):
    err = _problems(write, census_csv + "total,2021,partial_total,842000,,,,src,\n")
    find_problem(err, row=8, column="kind", contains="at most one national figure")
