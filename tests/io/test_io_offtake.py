"""The offtake plan table (issue 15): reading, validation errors, and the OfftakePlan arrays."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import saigapop as sp
from saigapop.cli import app
from saigapop.io import OfftakePlan, read_offtake
from saigapop.management.harvest import HarvestSchedule
from saigapop.persist import from_node, to_node

HEADER = "population,year,scenario,basis,timing,sex,age,value,share,source,notes\n"

# A total of 1000 with a 40 % males / 40 % females / 20 % calves structure, written as shares of
# single classes (rows 2-8), a Betpakdala announced plan given class by class (rows 9-10), and a
# zero-cull scenario (rows 11-12). Lines: header = 1.
PLAN_CSV = HEADER + (
    "Ural,2023,level,realised_level,removal,all,all,1000,,src L,\n"
    "Ural,2023,level,realised_level,removal,female,calf,,0.1,src L,\n"
    "Ural,2023,level,realised_level,removal,male,calf,,0.1,src L,\n"
    "Ural,2023,level,realised_level,removal,female,yearling,,0.08,src L,\n"
    "Ural,2023,level,realised_level,removal,female,adult,,0.32,src L,\n"
    "Ural,2023,level,realised_level,removal,male,yearling,,0.08,src L,\n"
    "Ural,2023,level,realised_level,removal,male,adult,,0.32,src L,\n"
    "Betpakdala,2024,level,announced_plan,removal,male,adult,500,,src P,\n"
    "Betpakdala,2024,level,announced_plan,removal,female,adult,300,,src P,\n"
    "Ural,2023,zero,realised_level,removal,all,all,0,,src Z,\n"
    "Betpakdala,2024,zero,realised_level,removal,all,all,0,,src Z,\n"
)
POPS = ["Betpakdala", "Ural", "Ustyurt"]
YEARS = [2022, 2023, 2024]


def _errors(write, text, **kw):
    with pytest.raises(sp.DataValidationError) as info:
        read_offtake(write("offtake.csv", text), **kw)
    return info.value


@pytest.fixture
def plan(write) -> OfftakePlan:
    return read_offtake(write("offtake.csv", PLAN_CSV), latest_census_year=2022)


# --- reading ----------------------------------------------------------------------------------


def test_valid_plan_is_read_with_every_row(plan):
    frame = plan.to_frame()
    assert len(frame) == len(PLAN_CSV.splitlines()) - 1
    assert frame["row"].tolist() == list(range(2, 13))
    assert frame[["value", "share"]].dtypes.eq("float64").all()
    assert plan.scenarios == ("level", "zero")
    assert plan.years == (2023, 2024)


def test_aliases_resolve_through_the_one_lookup(write):
    plan = read_offtake(write("o.csv", PLAN_CSV.replace("Betpakdala,", "Betpak-Dala,")))
    assert set(plan.populations) == {"Ural", "Betpakdala"}


def test_share_column_may_be_absent(write):
    text = "population,year,scenario,basis,timing,sex,age,value,source\n"
    text += "Ural,2026,s,announced_plan,removal,male,adult,100,src\n"
    plan = read_offtake(write("o.csv", text))
    assert plan.announced(["Ural"], [2026])[0, 0, 1, 2] == 100.0


# --- errors: one test per class, each naming file, row, column and value ------------------------


def test_negative_value(write, find_problem):
    err = _errors(write, PLAN_CSV.replace("male,adult,500", "male,adult,-500"))
    p = find_problem(err, file="offtake.csv", row=9, column="value", value="-500")
    assert "non-negative" in p.rule


def test_share_above_one(write, find_problem):
    err = _errors(write, PLAN_CSV.replace("female,calf,,0.1", "female,calf,,1.5"))
    find_problem(err, row=3, column="share", value="1.5", contains="between 0 and 1")


def test_composition_parts_exceed_the_total(write, find_problem):
    text = HEADER + (
        "Ural,2026,s,announced_plan,removal,all,all,1000,,src,\n"
        "Ural,2026,s,announced_plan,removal,male,adult,700,,src,\n"
        "Ural,2026,s,announced_plan,removal,female,adult,600,,src,\n"
    )
    err = _errors(write, text)
    p = find_problem(err, row=2, column="value", value="1000")
    assert str(p) == (
        "offtake.csv, row 2, column 'value': '1000' — the composition exceeds the total: its "
        "parts in animals (rows 3, 4) add up to 1,300, more than this total of 1,000"
    )


def test_shares_must_sum_to_one(write, find_problem):
    err = _errors(write, PLAN_CSV.replace(",removal,male,adult,,0.32", ",removal,male,adult,,0.42"))
    p = find_problem(err, row=2, column="value", value="1000")
    assert "sum to 1.1" in p.rule
    assert "rows 3, 4, 5, 6, 7, 8" in p.rule


def test_shares_slightly_off_by_rounding_are_accepted(write, plan):
    text = PLAN_CSV.replace(",removal,male,adult,,0.32", ",removal,male,adult,,0.321")
    again = read_offtake(write("o.csv", text))
    # the total is kept exactly: shares are renormalised over the total
    assert again.select("level").realised(POPS, YEARS).sum() == pytest.approx(1000.0)


def test_total_without_composition_is_an_error(write, find_problem):
    text = HEADER + "Ural,2026,s,announced_plan,removal,male,all,800,,src,\n"
    err = _errors(write, text)
    find_problem(err, row=2, column="value", value="800", contains="has no composition")


def test_zero_total_needs_no_composition(write):
    text = HEADER + "Ural,2026,s,announced_plan,removal,all,all,0,,src,\n"
    assert read_offtake(write("o.csv", text)).announced(["Ural"], [2026]).sum() == 0.0


def test_parts_that_fall_short_of_the_total(write, find_problem):
    text = HEADER + (
        "Ural,2026,s,announced_plan,removal,male,all,800,,src,\n"
        "Ural,2026,s,announced_plan,removal,male,adult,500,,src,\n"
    )
    err = _errors(write, text)
    find_problem(err, row=2, column="value", contains="does not account for the total")


def test_share_without_a_total(write, find_problem):
    text = HEADER + "Ural,2026,s,announced_plan,removal,male,adult,,0.5,src,\n"
    err = _errors(write, text)
    find_problem(err, row=2, column="share", value="0.5", contains="has no total")


def test_value_and_share_together(write, find_problem):
    err = _errors(write, PLAN_CSV.replace("female,calf,,0.1", "female,calf,100,0.1"))
    find_problem(err, row=3, column="value", value="100", contains="exactly one of the two")


def test_overlapping_totals(write, find_problem):
    text = HEADER + (
        "Ural,2026,s,announced_plan,removal,all,all,0,,src,\n"
        "Ural,2026,s,announced_plan,removal,male,all,0,,src,\n"
    )
    err = _errors(write, text)
    find_problem(err, row=3, column="sex", value="male", contains="overlaps the total on row 2")


def test_part_with_another_basis_than_its_total(write, find_problem):
    text = PLAN_CSV.replace(
        "Ural,2023,level,realised_level,removal,male,adult",
        "Ural,2023,level,announced_plan,removal,male,adult",
    )
    err = _errors(write, text)
    find_problem(err, row=8, column="basis", value="announced_plan", contains="same basis")


@pytest.mark.parametrize(
    ("column", "old", "new", "row"),
    [
        ("sex", "removal,male,adult,500", "removal,males,adult,500", 9),
        ("age", "removal,male,adult,500", "removal,male,old,500", 9),
        ("basis", "Betpakdala,2024,level,announced_plan", "Betpakdala,2024,level,announced", 9),
        ("timing", "announced_plan,removal,male", "announced_plan,autumn,male", 9),
    ],
)
def test_unknown_words(write, find_problem, column, old, new, row):
    err = _errors(write, PLAN_CSV.replace(old, new, 1))
    p = find_problem(err, row=row, column=column)
    assert p.rule.startswith("expected one of")
    assert p.value in new.split(",")


def test_unknown_population(write, find_problem):
    err = _errors(write, PLAN_CSV.replace("Betpakdala,2024,level", "Mars,2024,level"))
    p = find_problem(err, row=9, column="population", value="Mars")
    assert "unknown population 'Mars'" in p.rule


def test_national_total_is_refused(write, find_problem):
    err = _errors(write, PLAN_CSV.replace("Betpakdala,2024,zero", "total,2024,zero"))
    find_problem(err, row=12, column="population", value="total", contains="per population")


def test_duplicate_key_names_both_rows(write, find_problem):
    text = PLAN_CSV + "Betpakdala,2024,level,announced_plan,winter,male,adult,50,,src Q,\n"
    err = _errors(write, text)
    p = find_problem(err, contains="duplicate key")
    assert (p.row, p.value) == (13, "level, Betpakdala, 2024, male, adult")
    assert "row 9" in p.rule


def test_plan_years_at_or_before_the_latest_census_year(write, find_problem):
    err = _errors(write, PLAN_CSV, latest_census_year=2023)
    p = find_problem(err, row=2, column="year", value="2023")
    assert "after the latest census year of the data it is used with (2023" in p.rule
    assert "belongs in the removals table" in p.rule
    assert len([q for q in err.problems if q.column == "year"]) == 8  # the 2023 rows only


def test_every_error_class_at_once(write):
    """Errors are all reported together, before anything else runs."""
    text = PLAN_CSV.replace("male,adult,500", "male,adult,-500").replace(
        "Ural,2023,zero", "Mars,2023,zero"
    )
    err = _errors(write, text)
    assert {(p.row, p.column) for p in err.problems} >= {(9, "value"), (11, "population")}


# --- with the other tables --------------------------------------------------------------------


def test_saiga_data_checks_plan_years_against_its_census(write, census_csv, find_problem):
    # the fixture census's latest survey year is 2022
    ok = PLAN_CSV
    data = sp.SaigaData.from_files(write("census.csv", census_csv), offtake=write("o.csv", ok))
    assert data.offtake.scenarios == ("level", "zero")
    late = PLAN_CSV.replace("Ural,2023,zero", "Ural,2022,zero")
    with pytest.raises(sp.DataValidationError) as info:
        sp.SaigaData.from_files(write("census.csv", census_csv), offtake=write("o.csv", late))
    p = find_problem(info.value, file="o.csv", row=11, column="year", value="2022")
    assert "(2022, from census.csv)" in p.rule


def test_plan_is_not_fitted_data(write, census_csv):
    data = sp.SaigaData.from_files(
        write("census.csv", census_csv), offtake=write("o.csv", PLAN_CSV)
    )
    assert data.years == range(2020, 2023)  # the plan's years are not data years
    assert data.populations == ("Betpakdala", "Ural", "Ustyurt")


def test_plan_enters_the_data_hash(write, census_csv):
    census = write("census.csv", census_csv)
    without = sp.SaigaData.from_files(census)
    with_plan = sp.SaigaData.from_files(census, offtake=write("o.csv", PLAN_CSV))
    other = sp.SaigaData.from_files(
        census, offtake=write("p.csv", PLAN_CSV.replace("male,adult,500", "male,adult,501"))
    )
    assert len({without.data_hash, with_plan.data_hash, other.data_hash}) == 3
    # what a fit depends on is unchanged by the plan
    assert with_plan.tables_hash == other.tables_hash == without.data_hash == without.tables_hash
    # row order and line numbers do not matter
    lines = PLAN_CSV.splitlines(keepends=True)
    shuffled = sp.SaigaData.from_files(
        census, offtake=write("q.csv", lines[0] + "".join(reversed(lines[1:])))
    )
    assert shuffled.data_hash == with_plan.data_hash


def test_select_keeps_the_selected_populations_plan(write, census_csv):
    data = sp.SaigaData.from_files(
        write("census.csv", census_csv), offtake=write("o.csv", PLAN_CSV)
    )
    ural = data.select(populations="Ural", years=slice(2021, 2021))
    assert set(ural.offtake.populations) == {"Ural"}
    assert ural.offtake.years == (2023,)


def test_from_frames_takes_a_plan(census_csv):
    import io

    census = pd.read_csv(io.StringIO(census_csv), dtype=str, keep_default_na=False)
    plan = pd.read_csv(io.StringIO(PLAN_CSV), dtype=str, keep_default_na=False)
    data = sp.SaigaData.from_frames(census, offtake=plan)
    assert len(data.offtake) == 11


# --- the object ---------------------------------------------------------------------------------


def test_realised_level_is_split_by_the_stated_composition(plan):
    got = plan.select("level").realised(POPS, YEARS)
    assert got.dims == ("year", "population", "sex", "age")
    ural = got.sel(year=2023, population="Ural")
    # 1000 x (female, male) x (calf 0.1, yearling 0.08, adult 0.32), by hand
    np.testing.assert_allclose(ural.values, [[100.0, 80.0, 320.0], [100.0, 80.0, 320.0]])
    assert float(got.sum()) == pytest.approx(1000.0)  # announced rows are not in it


def test_announced_plan_by_class(plan):
    got = plan.select("level").announced(POPS, YEARS)
    want = np.zeros((3, 3, 2, 3))
    want[2, 0, 1, 2] = 500.0  # 2024, Betpakdala, male, adult
    want[2, 0, 0, 2] = 300.0  # female adult
    np.testing.assert_array_equal(got, want)
    assert got.flags["C_CONTIGUOUS"]
    assert got.dtype == np.float64


def test_numbers_matches_harvest_schedule_contract(plan):
    """``numbers`` gives what HarvestSchedule.numbers gives for the same announced cells."""
    level = plan.select("level")
    schedule = HarvestSchedule.from_records(
        [
            ("Betpakdala", 2024, "male", "adult", 500.0),
            ("Betpakdala", 2024, "female", "adult", 300.0),
        ]
    )
    pops, years = ["Ural", "Betpakdala"], [2024, 2023, 2030]  # any order, extra coords
    expected = schedule.numbers(pops, years)
    got = level.numbers(pops, years)
    assert got.shape == expected.shape == (3, 2, 2, 3)
    np.testing.assert_array_equal(got, expected)


def test_several_scenarios_must_be_selected_first(plan):
    with pytest.raises(ValueError, match="several scenarios"):
        plan.announced(POPS, YEARS)
    with pytest.raises(ValueError, match="no scenario named and no default"):
        plan.select()
    with pytest.raises(ValueError, match="'nope'"):
        plan.select("nope")


def test_zero_culls_keeps_everything_but_the_values(plan):
    zero = plan.zero_culls()
    assert zero.scenarios == plan.scenarios
    assert float(zero.to_frame()["value"].max()) == 0.0
    assert zero.select("level").realised(POPS, YEARS).sum() == 0.0
    assert zero.select("level").announced(POPS, YEARS).sum() == 0.0
    pd.testing.assert_series_equal(zero.to_frame()["share"], plan.to_frame()["share"])


def test_plan_is_immutable(plan):
    with pytest.raises(AttributeError):
        plan.frame = None  # type: ignore[misc]


# --- the bundled plan --------------------------------------------------------------------------


def test_bundled_plan_is_the_2025_realised_level():
    data = sp.load_kazakhstan()
    plan = data.offtake
    assert plan.scenarios == ("default", "zero_culls")
    assert plan.default_scenario == "default"
    assert plan.years == (2026, 2027, 2028)
    assert set(plan.to_frame()["basis"]) == {"realised_level"}
    assert (plan.to_frame()["source"] != "").all()
    years = [2025, 2026, 2027, 2028]
    level = plan.select().realised(list(data.populations), years)
    # 2025 finals (removals.csv): Ural 108,500; Betpakdala upper bound 196,000 - 108,500
    totals = level.sum(("sex", "age"))
    np.testing.assert_array_equal(totals.sel(year=2025).values, [0.0, 0.0, 0.0])
    for year in (2026, 2027, 2028):
        np.testing.assert_allclose(totals.sel(year=year).values, [87_500.0, 108_500.0, 0.0])
    # the November 2025 WKO composition: 42,000 males, 39,000 females, 9,000 calves of 90,000
    ural = level.sel(year=2026, population="Ural")
    males = ural.sel(sex="male", age=["yearling", "adult"]).sum()
    assert float(males) == pytest.approx(108_500 * 42 / 90, rel=1e-3)
    assert float(ural.sel(age="calf").sum()) == pytest.approx(108_500 * 0.1, rel=1e-9)
    assert float(ural.sel(sex="male", age="adult")) == pytest.approx(40_503.05)
    assert plan.select().announced(list(data.populations), years).sum() == 0.0
    assert plan.select("zero_culls").realised(list(data.populations), years).sum() == 0.0


def test_bundled_plan_follows_the_bundled_removals():
    """The default scenario's level is derived from removals.csv, so they cannot drift."""
    data = sp.load_kazakhstan()
    r = data.removals
    finals = r[
        (r.year == 2025) & (r.kind == "cull") & (r.status == "final") & (r.unit == "animals")
    ]
    by_pop = finals.set_index("population")
    plan = data.offtake.select()
    level = plan.realised(["Betpakdala", "Ural"], [2026]).sum(("sex", "age")).sel(year=2026)
    assert float(level.sel(population="Ural")) == pytest.approx(by_pop.loc["Ural", "value"])
    upper = by_pop.loc["Betpakdala", "upper"]
    assert float(level.sel(population="Betpakdala")) == pytest.approx(upper)


def test_cli_validates_an_offtake_file(write, census_csv):
    runner = CliRunner()
    folder = sp.bundled_data_dir()
    files = [str(folder / f) for f in ("census.csv", "removals.csv", "offtake_plan.csv")]
    result = runner.invoke(app, ["validate", *files])
    assert result.exit_code == 0, result.output
    assert "offtake_plan.csv (offtake): 54 rows, no errors" in result.output
    bad = write("my_plan.csv", PLAN_CSV.replace("male,adult,500", "male,adult,-500"))
    result = runner.invoke(app, ["validate", str(bad)])
    assert result.exit_code == 1
    assert "-500" in result.output
    late = write("plan.csv", PLAN_CSV)  # kind guessed from its columns
    census = write("census.csv", census_csv.replace("Ural,2022,count", "Ural,2023,count"))
    # the latest census year is now 2023, and the plan has 2023 rows
    result = runner.invoke(app, ["validate", str(census), str(late)])
    assert result.exit_code == 1
    assert "after the latest census year" in result.output


def test_saved_data_keep_their_plan_and_hash():
    """An Assessment saves its data with persist: the plan and the hash survive the trip."""
    data = sp.load_kazakhstan()
    again = from_node(to_node(data))
    assert isinstance(again.offtake, OfftakePlan)
    assert again.offtake.scenarios == data.offtake.scenarios
    assert again.data_hash == data.data_hash
