"""Plausibility rules (issue 18 item 2): each rule passes a good table and names the bad cell."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

import saigapop as sp
from saigapop.exceptions import ConfigError
from saigapop.io.consistency import check_tables
from saigapop.io.plausibility import DEFAULT_MAX_ANIMALS, Plausibility, latest_census_year
from saigapop.io.populations import PopulationResolver
from saigapop.io.problems import raise_if_errors
from saigapop.io.readers import read_table
from saigapop.io.schemas import CENSUS, COMPOSITION, REMOVALS, check_strings


def _errors(call, *args, **kwargs):
    with pytest.raises(sp.DataValidationError) as info:
        call(*args, **kwargs)
    return info.value


def validate(write, census, removals=None, composition=None, plausibility=None):
    """Read each table without raising, then apply every cross-table rule and raise.

    This is what ``SaigaData.from_files`` does once it passes ``plausibility`` on.
    """
    resolver = PopulationResolver()
    texts = {CENSUS: census, REMOVALS: removals, COMPOSITION: composition}
    results = {
        spec.name: read_table(spec, write(f"{spec.name}.csv", text), resolver=resolver)
        for spec, text in texts.items()
        if text is not None
    }
    problems = [p for r in results.values() for p in r.problems]
    bad = set().union(*(r.bad_rows for r in results.values()))
    frames = {name: r.frame for name, r in results.items()}
    problems += check_tables(
        frames["census"],
        frames.get("removals"),
        frames.get("composition"),
        plausibility=plausibility,
        bad_rows=bad,
    )
    raise_if_errors(problems)


# --- the settings object --------------------------------------------------------------------


def test_defaults_are_documented_values():
    p = Plausibility()
    assert p.as_of is None
    assert p.max_for("census") == p.max_for("removals") == DEFAULT_MAX_ANIMALS == 4e7
    assert p.max_for("removals", "horns") == 2 * DEFAULT_MAX_ANIMALS
    assert p.whole_animals is True


def test_default_bound_is_ten_times_the_largest_bundled_count():
    census = sp.load_kazakhstan().census
    counts = census[~census["kind"].isin(["estimate", "missing"])]["value"]
    assert counts.max() == 3_978_000
    assert 10 * counts.max() <= DEFAULT_MAX_ANIMALS < 11 * counts.max()
    assert census["value"].max() < DEFAULT_MAX_ANIMALS  # the 5,000,000 projection passes


@pytest.mark.parametrize(
    "kwargs",
    [
        {"as_of": 2025.5},
        {"as_of": True},
        {"as_of": 1800},
        {"as_of": "2025"},
        {"max_census": 0},
        {"max_removals": float("inf")},
        {"max_composition": -5},
        {"max_census": "1e6"},
        {"whole_animals": 1},
        {"proportion_tolerance": 0.7},
    ],
)
def test_invalid_settings_are_config_errors(kwargs):
    name = next(iter(kwargs))
    with pytest.raises(ConfigError, match=f"Plausibility.{name}"):
        Plausibility(**kwargs)


def test_settings_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Plausibility().as_of = 2030  # type: ignore[misc]


def test_as_of_defaults_to_latest_census_year_plus_one_never_the_clock():
    census = pd.DataFrame(
        {"year": [1990, 1997, 2001, 2020], "kind": ["count", "upper_bound", "estimate", "missing"]}
    )
    assert latest_census_year(census) == 1997
    assert Plausibility().resolved(census).as_of == 1998
    assert Plausibility(as_of=2010).resolved(census).as_of == 2010
    assert Plausibility().resolved(census.iloc[2:]).as_of is None
    assert Plausibility().resolved(sp.load_kazakhstan().census).as_of == 2026


# --- per-value rules --------------------------------------------------------------------------


def test_bundled_data_pass_every_rule():
    data = sp.load_kazakhstan()
    assert (len(data.census), len(data.removals), len(data.composition)) == (60, 36, 2)
    problems = check_tables(data.census, data.removals, data.composition)
    assert [p for p in problems if p.is_error] == []


def test_thousands_dot_is_not_read_as_fractional_animals(write, census_csv, find_problem):
    text = census_csv.replace("Ustyurt,2021,count,12000", "Ustyurt,2021,count,2.700")
    text = text.replace("842000", "832700")  # keep the redundant total consistent with 2,700
    err = _errors(sp.read_census, write("census.csv", text))
    p = find_problem(err, file="census.csv", row=4, column="value", value="2.700")
    assert "whole number of animals" in p.rule
    assert "write 2700" in p.rule


@pytest.mark.parametrize(
    ("reader", "name", "old", "new", "row", "column"),
    [
        (sp.read_removals, "removals.csv", "animals,2000,", "animals,2000.5,", 4, "value"),
        (sp.read_removals, "removals.csv", ",,0,100,", ",,0,99.9,", 6, "upper"),
        (sp.read_composition, "composition.csv", "420,390,90", "420,390,90.25", 2, "calves"),
    ],
)
def test_fractional_animals_in_every_table(
    write, removals_csv, composition_csv, find_problem, reader, name, old, new, row, column
):
    text = {"removals.csv": removals_csv, "composition.csv": composition_csv}[name]
    err = _errors(reader, write(name, text.replace(old, new, 1)))
    value = next(v for v in new.split(",") if "." in v)
    find_problem(err, file=name, row=row, column=column, value=value, contains="whole number")


def test_whole_animals_can_be_switched_off():
    frame = pd.DataFrame({"value": ["2.5"]}, index=[2])
    assert check_strings(CENSUS, frame, "c.csv")[0].rule.startswith("expected a whole number")
    assert (
        check_strings(CENSUS, frame, "c.csv", plausibility=Plausibility(whole_animals=False)) == []
    )


def test_a_count_of_1e13_is_rejected(write, census_csv, find_problem):
    text = census_csv.replace("Ural,2022,count,801000", "Ural,2022,count,1e13")
    err = _errors(sp.read_census, write("census.csv", text))
    p = find_problem(err, row=7, column="value", value="1e13")
    assert "at most 40,000,000 animals" in p.rule
    assert "Plausibility.max_census" in p.rule


def test_magnitude_bound_is_per_table_and_configurable(removals_csv):
    frame = pd.DataFrame({"value": ["50000000"], "unit": ["horns"]}, index=[2])
    assert check_strings(REMOVALS, frame, "r.csv") == []  # 5e7 horns <= 2 x 4e7
    frame["unit"] = "animals"
    (p,) = check_strings(REMOVALS, frame, "r.csv")
    assert (p.row, p.column, p.value) == (2, "value", "50000000")
    small = Plausibility(max_composition=1000)
    comp = pd.DataFrame({"males": ["999"], "females": ["1001"]}, index=[5])
    (p,) = check_strings(COMPOSITION, comp, "c.csv", plausibility=small)
    assert (p.row, p.column, p.value) == (5, "females", "1001")


def test_missing_row_carries_no_value(write, census_csv, find_problem):
    text = census_csv.replace("total,2020,missing,,", "total,2020,missing,5000,")
    err = _errors(sp.read_census, write("census.csv", text))
    p = find_problem(err, row=6, column="value", value="5000")
    assert "carries no value" in p.rule


def test_composition_as_proportions_is_an_error(write, composition_csv, find_problem):
    text = composition_csv.replace("420,390,90", "0.45,0.45,0.1")
    err = _errors(sp.read_composition, write("composition.csv", text))
    p = find_problem(err, row=2, column="males", value="0.45")
    assert "look like proportions" in p.rule
    assert "numbers of animals" in p.rule
    assert len(err.problems) == 1  # not also three "whole number" errors


def test_small_whole_composition_counts_are_not_proportions(write, composition_csv):
    text = composition_csv.replace("420,390,90", "0,1,0")
    assert len(sp.read_composition(write("composition.csv", text))) == 1


# --- the as-of year ---------------------------------------------------------------------------


def test_a_final_removal_after_the_as_of_year_is_an_error(
    write, census_csv, removals_csv, find_problem
):
    # The census's latest survey year is 2022, so the as-of year is 2023.
    text = removals_csv + "Ural,2031,cull,final,removal,,all,all,animals,10,,,src F,\n"
    err = _errors(
        sp.SaigaData.from_files, write("census.csv", census_csv), write("removals.csv", text)
    )
    p = find_problem(err, file="removals.csv", row=8, column="year", value="2031")
    assert "after the as-of year 2023" in p.rule


def test_planned_limit_and_estimate_rows_may_be_later(write, census_csv, removals_csv):
    census = census_csv + "total,2031,estimate,5000000,,,,src E,\n"
    removals = removals_csv + (
        "Ural,2031,cull,planned,removal,,all,all,animals,10,,,src F,\n"
        "Ural,2031,cull,limit,removal,,all,all,animals,10,,,src F,\n"
    )
    data = sp.SaigaData.from_files(write("census.csv", census), write("removals.csv", removals))
    assert data.years.stop == 2032
    validate(write, census, removals)


def test_explicit_as_of_checks_census_and_composition(
    write, census_csv, removals_csv, composition_csv, find_problem
):
    composition = composition_csv.replace("Ural,2021,", "Ural,2022,")
    validate(write, census_csv, removals_csv, composition)  # default as-of 2023: fine
    err = _errors(
        validate,
        write,
        census_csv,
        removals_csv,
        composition,
        plausibility=Plausibility(as_of=2021),
    )
    find_problem(err, file="census.csv", row=7, column="year", value="2022")
    find_problem(err, file="composition.csv", row=2, column="year", value="2022")
    late = [p for p in err.problems if p.column == "year"]
    assert {(p.file, p.row) for p in late} == {("census.csv", 7), ("composition.csv", 2)}


def test_composition_after_the_default_as_of_year(write, census_csv, composition_csv, find_problem):
    composition = composition_csv.replace("Ural,2021,", "Ural,2030,")
    err = _errors(validate, write, census_csv, None, composition)
    find_problem(err, file="composition.csv", row=2, column="year", value="2030")


# --- census bounds and missing years -----------------------------------------------------------


def test_lower_bound_above_upper_bound(write, census_csv, find_problem):
    good = (
        census_csv
        + "total,2019,lower_bound,30000,,,,src L,\ntotal,2019,upper_bound,40000,,,,src L,\n"
    )
    sp.read_census(write("census.csv", good))
    bad = good.replace("upper_bound,40000", "upper_bound,20000")
    err = _errors(sp.read_census, write("census.csv", bad))
    p = find_problem(err, row=9, column="value", value="20000")
    assert "below its lower bound 30,000 on row 8" in p.rule


def test_count_outside_its_bound(write, census_csv, find_problem):
    text = census_csv + "Ural,2022,upper_bound,700000,,,,src L,\n"
    err = _errors(sp.read_census, write("census.csv", text))
    p = find_problem(err, row=7, column="value", value="801000")
    assert "above the upper bound 700,000 on row 8" in p.rule


def test_count_in_a_year_marked_missing(write, census_csv, find_problem):
    text = census_csv + "Ural,2020,count,600000,,aerial,,src X,\n"
    err = _errors(sp.read_census, write("census.csv", text))
    p = find_problem(err, row=8, column="kind", value="count")
    assert "2020 is marked missing" in p.rule
    assert "row 6" in p.rule


def test_population_missing_allows_other_populations(write, census_csv):
    text = census_csv + "Ustyurt,2022,missing,,,,,src X,\n"
    assert len(sp.read_census(write("census.csv", text))) == 7
    bad = text + "Ustyurt,2022,count,30000,,,,src Y,\n"
    with pytest.raises(sp.DataValidationError, match="2022 is marked missing"):
        sp.read_census(write("census.csv", bad))
