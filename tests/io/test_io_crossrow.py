"""Rules across rows (issue 18 item 2): contradictions between rows are errors on the right row."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import saigapop as sp
from saigapop.io.consistency import check_removal_rows, check_tables

HEADER = (
    "population,year,kind,status,timing,period,sex,age,unit,value,lower,upper,source,notes,event"
)
CENSUS = """\
population,year,kind,value,source
Betpakdala,2025,count,1600000,src A
Ural,2025,count,2300000,src A
Ustyurt,2025,count,78000,src A
"""


def removals(*rows: str) -> str:
    """The table; the optional ``event`` column only when some row has an event id."""
    if any(row.rsplit(",", 1)[1] for row in rows):
        return "\n".join([HEADER, *rows]) + "\n"
    return "\n".join([HEADER.rsplit(",", 1)[0], *(r.rsplit(",", 1)[0] for r in rows)]) + "\n"


def read(write, *rows: str) -> pd.DataFrame:
    return sp.read_removals(write("removals.csv", removals(*rows)))


def errors(write, *rows: str) -> sp.DataValidationError:
    with pytest.raises(sp.DataValidationError) as info:
        read(write, *rows)
    return info.value


URAL_A = "Ural,2025,cull,final,removal,,all,all,animals,108500,,,inform.kz,,"
URAL_B = "Ural,2025,cull,final,removal,,all,all,animals,108500,,,mgorod.kz,,"


# --- one final figure per cull --------------------------------------------------------------


def test_ural_2025_from_two_sources_is_not_summed_to_217000(write, find_problem):
    err = errors(write, URAL_A, URAL_B)
    p = find_problem(err, file="removals.csv", row=3, column="source", value="mgorod.kz")
    assert "row 2 (inform.kz) has one" in p.rule
    assert len(err.problems) == 1


def test_rows_sharing_an_event_are_alternative_reports(write):
    frame = read(write, URAL_A + "wko-2025", URAL_B + "wko-2025")
    assert frame["event"].tolist() == ["wko-2025", "wko-2025"]
    assert frame["value"].sum() == 217000  # both kept as observations; the rule allows them


def test_alternative_reports_are_counted_once_downstream(write):
    """The model's removals and the registry's summary take one of two reports of an event."""
    from saigapop.registry.removals import males_removed

    both = (URAL_A + "wko-2025", URAL_B.replace("108500", "108000") + "wko-2025")
    rem = write("removals.csv", removals(*both))
    cen = write("census.csv", CENSUS)
    data = sp.SaigaData.from_files(cen, rem)
    unsplit = data.to_xarray()["removals_unsplit"].sel(population="Ural", year=2025, kind="cull")
    assert float(unsplit) == 108500  # the first report, not 216,500
    assert males_removed(data.removals).loc[("Ural", 2025), "removed"] == 108500
    separate = sp.SaigaData.from_files(cen, write("r2.csv", removals(URAL_A)))
    assert float(separate.to_xarray()["removals_unsplit"].sum()) == float(
        data.to_xarray()["removals_unsplit"].sum()
    )


def test_a_recognised_column_is_not_reported_as_unknown(write):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        frame = read(write, URAL_A + "wko-2025")
    assert "event" in frame.columns


def test_saiga_data_applies_the_rules_across_tables(write, find_problem):
    """``SaigaData`` runs :func:`check_tables`, with the caller's plausibility settings."""
    from saigapop.io.plausibility import Plausibility

    cen = write("census.csv", CENSUS)
    rem = write("removals.csv", removals(URAL_A))
    comp = write(
        "composition.csv",
        "population,year,kind,timing,status,males,females,calves,source\n"
        "Ural,2025,cull_composition,removal,interim,72000,39000,9000,mgorod.kz\n",
    )
    with pytest.raises(sp.DataValidationError) as info:
        sp.SaigaData.from_files(cen, rem, comp)
    find_problem(info.value, file="composition.csv", row=2, contains="cannot exceed the cull")
    with pytest.raises(sp.DataValidationError) as info:
        sp.SaigaData.from_files(cen, rem, plausibility=Plausibility(as_of=2024))
    find_problem(info.value, file="census.csv", row=2, column="year", value="2025")
    find_problem(info.value, file="removals.csv", row=2, column="year", value="2025")


def test_different_events_with_one_key_are_an_error(write, find_problem):
    err = errors(write, URAL_A + "e1", URAL_B + "e2")
    find_problem(err, row=3, column="event", value="e2", contains="second final cull")


@pytest.mark.parametrize(
    ("change", "ok"),
    [
        ("harvest", False),  # harvests follow the same rule
        ("mass_mortality", True),  # die-off tolls stay alternative observations of one event
        ("seizure", True),
    ],
)
def test_which_kinds_allow_one_final_only(write, change, ok):
    rows = [r.replace(",cull,", f",{change},") for r in (URAL_A, URAL_B)]
    if ok:
        assert len(read(write, *rows)) == 2
    else:
        assert "second final harvest" in str(errors(write, *rows))


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (",final,", ",interim,"),
        (",removal,", ",winter,"),
        (",all,all,", ",male,all,"),
        ("Ural,2025", "Ural,2024"),
    ],
)
def test_a_different_key_is_a_different_figure(write, old, new):
    assert len(read(write, URAL_A, URAL_B.replace(old, new))) == 2


def test_an_event_column_is_optional(write):
    assert "event" not in read(write, URAL_A).columns  # not added: tables keep their hash
    assert read(write, URAL_A + "e1")["event"].tolist() == ["e1"]


# --- parts and totals -------------------------------------------------------------------------


def test_a_part_above_its_all_animals_total(write, find_problem):
    part = "Ural,2025,cull,final,removal,,male,adult,animals,120000,,,inform.kz,,"
    assert len(read(write, URAL_A, part.replace("120000", "60000"))) == 2
    err = errors(write, URAL_A, part)
    p = find_problem(err, row=3, column="value", value="120000")
    assert "row 2 gives 108,500" in p.rule


def test_a_part_from_another_source_is_another_removal(write):
    # Without a shared event id, rows from different sources describe different removals.
    part = "Ural,2025,cull,final,removal,,male,adult,animals,120000,,,other,,"
    assert len(read(write, URAL_A, part)) == 2
    with pytest.raises(sp.DataValidationError, match="cannot exceed its all-animals total"):
        read(write, URAL_A + "wko", part + "wko")


def test_a_part_given_as_a_bound_is_compared_by_its_least(write, find_problem):
    part = "Ural,2025,cull,final,removal,,male,adult,animals,,110000,,inform.kz,,"
    err = errors(write, URAL_A, part)
    find_problem(err, row=3, column="lower", value="110000", contains="all-animals total")
    assert len(read(write, URAL_A, part.replace(",110000,", ",0,"))) == 2


def test_national_total_below_the_sum_of_its_parts(write, find_problem):
    national = "total,2025,cull,final,removal,,all,all,animals,196000,,,astanatimes,,"
    betpak = "Betpakdala,2025,cull,final,removal,,all,all,animals,,0,87500,astanatimes,,"
    assert len(read(write, national, URAL_A, betpak)) == 3  # the bundled 2025 rows
    other = "Betpakdala,2025,cull,final,removal,,all,all,animals,100000,,,src X,,"
    err = errors(write, national, URAL_A, other)
    p = find_problem(err, row=2, column="value", value="196000")
    assert "208,500 from row(s) 3, 4" in p.rule


def test_interim_above_final(write, find_problem):
    interim = "Ural,2025,cull,interim,removal,,all,yearling_adult,animals,29000,,,mgorod.kz,,"
    assert len(read(write, URAL_A, interim)) == 2
    err = errors(write, URAL_A, interim.replace("29000", "120000"))
    p = find_problem(err, row=3, column="value", value="120000")
    assert "row 2 gives 108,500" in p.rule


def test_interim_is_compared_only_with_a_final_that_covers_it(write):
    final_males = "Ural,2025,cull,final,removal,,male,all,animals,50000,,,src M,,"
    interim_females = "Ural,2025,cull,interim,removal,,female,all,animals,80000,,,src F,,"
    assert len(read(write, final_males, interim_females)) == 2


# --- composition against the cull and the count -------------------------------------------------


def _tables(write, removal_rows, composition_row):
    census = sp.read_census(write("census.csv", CENSUS))
    rem = read(write, *removal_rows)
    comp_text = (
        "population,year,kind,timing,status,males,females,calves,source\n" + composition_row + "\n"
    )
    comp = sp.read_composition(write("composition.csv", comp_text))
    return census, rem, comp


def test_cull_composition_above_the_cull(write, find_problem):
    good = "Ural,2025,cull_composition,removal,interim,42000,39000,9000,mgorod.kz"
    assert check_tables(*_tables(write, [URAL_A], good)) == []
    bad = good.replace("42000", "72000")
    problems = check_tables(*_tables(write, [URAL_A], bad))
    p = find_problem(problems, file="composition.csv", row=2, column="males", value="72000")
    assert "= 120,000, but the final Ural 2025 cull is 108,500 (row(s) 2)" in p.rule
    with pytest.raises(sp.DataValidationError, match="cannot exceed the cull"):
        sp.io.problems.raise_if_errors(problems)


def test_population_composition_above_the_count(write, find_problem):
    good = "Ustyurt,2025,adult_sex_ratio,rut,final,300,1200,,src R"
    assert check_tables(*_tables(write, [URAL_A], good)) == []
    bad = good.replace("1200", "80000")
    problems = check_tables(*_tables(write, [URAL_A], bad))
    p = find_problem(problems, row=2, column="males", value="300")
    assert "(80,300) cannot exceed the Ustyurt 2025 count (78,000)" in p.rule


# --- reference: a plain loop agrees with the grouped rules -------------------------------------


def _loop_single_finals(frame: pd.DataFrame) -> set[int]:
    flagged = set()
    rows = list(frame.itertuples())
    for i, a in enumerate(rows):
        for b in rows[:i]:
            same_key = all(
                getattr(a, c) == getattr(b, c)
                for c in ("population", "year", "kind", "timing", "sex", "age", "unit")
            )
            if not (same_key and a.status == b.status == "final" and a.kind in ("cull", "harvest")):
                continue
            first = next(
                r
                for r in rows
                if all(
                    getattr(r, c) == getattr(a, c)
                    for c in (
                        "population",
                        "year",
                        "kind",
                        "status",
                        "timing",
                        "sex",
                        "age",
                        "unit",
                    )
                )
            )
            if not (first.event and first.event == a.event) and a.row != first.row:
                flagged.add(a.row)
    return flagged


def test_single_final_rule_agrees_with_a_plain_loop():
    rng = np.random.default_rng(18)
    n = 300
    frame = pd.DataFrame(
        {
            "population": rng.choice(["Ural", "Betpakdala"], n),
            "year": rng.choice([2024.0, 2025.0], n),
            "kind": rng.choice(["cull", "harvest", "mass_mortality"], n),
            "status": rng.choice(["final", "interim"], n),
            "timing": rng.choice(["removal", "winter"], n),
            "sex": rng.choice(["all", "male"], n),
            "age": "all",
            "unit": "animals",
            "value": rng.integers(1, 1000, n).astype(float),
            "lower": np.nan,
            "upper": np.nan,
            "source": [f"s{i}" for i in range(n)],
            "event": rng.choice(["", "e1", "e2"], n),
            "row": np.arange(2, n + 2),
            "file": "removals.csv",
        }
    )
    found = {p.row for p in check_removal_rows(frame, set()) if "second final" in p.rule}
    assert found == _loop_single_finals(frame)
    assert len(found) > 20  # the generator makes enough collisions to test something
