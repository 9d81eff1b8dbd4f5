"""One test per fault type on a small hand-written registry, plus the accounting rules."""

import numpy as np
import pandas as pd
import pytest

from saigapop.exceptions import DataValidationError
from saigapop.io.plausibility import Plausibility
from saigapop.io.problems import Problem
from saigapop.registry import FAULTS, REQUIRED_COLUMNS, validate_registry
from saigapop.registry._reference import validate_rowwise

GTIN = "09506000134352"  # a published valid GTIN-14


def mark(serial: str) -> str:
    return f"(01){GTIN}(21){serial}"


def base_registry() -> pd.DataFrame:
    """Five clean horns, all cells as text (as read from a CSV)."""
    rows = [
        # mark, population, region, harvested, stored, processed, exported, export permit
        (
            "H1",
            "Ural",
            "West Kazakhstan",
            "2025-08-10",
            "2025-08-20",
            "2026-03-01",
            "2026-04-15",
            "KZ/E/1",
        ),
        ("H2", "Ural", "West Kazakhstan", "2025-09-05", "2025-09-12", "", "", ""),
        ("H3", "Betpakdala", "Kostanay", "2025-10-01", "2025-10-09", "2026-02-01", "", ""),
        ("H4", "Betpakdala", "Ulytau", "2026-07-15", "2026-07-20", "", "", ""),
        ("H5", "Ural", "Atyrau", "2025-11-20", "2025-11-28", "2026-05-02", "2026-06-01", "KZ/E/2"),
    ]
    records = []
    for serial, pop, region, h, s, p, e, permit in rows:
        records.append(
            {
                "mark": mark(serial),
                "population": pop,
                "region": region,
                "sex": "male",
                "age": "adult",
                "mass_g": "181.5",
                "harvested_date": h,
                "harvested_place": f"a district, {region} region",
                "harvested_permit": "RP-1",
                "stored_date": s,
                "stored_place": "Okhotzooprom warehouse, Almaty" if s else "",
                "stored_permit": "AA-1" if s else "",
                "processed_date": p,
                "processed_place": "Almaty" if p else "",
                "processed_permit": "PP-1" if p else "",
                "exported_date": e,
                "exported_place": "Khorgos" if e else "",
                "exported_permit": permit,
            }
        )
    return pd.DataFrame(records)


def base_removals() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "population": ["Ural", "Ural", "Betpakdala", "Betpakdala", "Ustyurt"],
            "year": [2025, 2025, 2025, 2026, 2025],
            "kind": ["cull"] * 5,
            "status": ["final", "final", "final", "final", "planned"],
            "sex": ["male", "female", "all", "male", "all"],
            "age": ["adult", "adult", "all", "adult", "all"],
            "unit": ["animals"] * 5,
            "value": [10.0, 30.0, 4.0, 1.0, 500.0],
            "lower": np.nan,
            "upper": np.nan,
        }
    )


def only_finding(result, fault):
    hits = result.findings.loc[result.findings["fault"] == fault]
    assert len(hits) >= 1, result.findings
    assert set(result.findings["fault"]) == {fault}, result.findings
    return hits


def assert_names(message: str, row: int, the_mark: str) -> None:
    assert message.startswith(f"row {row}, mark {the_mark}: "), message
    assert message.endswith("]")


def test_clean_registry_has_no_findings():
    result = validate_registry(base_registry(), base_removals())
    assert result.findings.empty
    assert result.n_accepted == result.n_input == 5
    assert (result.table["reasons"] == "").all()
    assert result.table["row"].tolist() == [2, 3, 4, 5, 6]
    assert result.table["year"].tolist() == [2025, 2025, 2025, 2026, 2025]


# Each case: how to break the clean registry, the fault expected, the row (line) it lands on.
def _invalid(reg):
    reg.loc[1, "region"] = ""


def _malformed(reg):
    reg.loc[2, "mark"] = f"(01){GTIN[:13]}(21)H3"


def _check_digit(reg):
    reg.loc[0, "mark"] = f"(01){GTIN[:13]}7(21)H1"


def _female(reg):
    reg.loc[3, "sex"] = "female"


def _calf(reg):
    reg.loc[2, "age"] = "young-of-year"


def _mass(reg):
    reg.loc[4, "mass_g"] = "363.0"  # a pair weighed as one horn


def _order(reg):
    reg.loc[1, "stored_date"] = "2025-09-01"  # before the harvest on 2025-09-05


def _after_export(reg):
    reg.loc[0, "processed_date"] = "2026-04-20"  # export was 2026-04-15


def _permit(reg):
    reg.loc[4, "exported_permit"] = ""


def _no_removal(reg):
    reg.loc[3, "population"] = "Ustyurt"  # only a planned Ustyurt cull is recorded
    reg.loc[3, "harvested_date"] = "2025-08-01"
    reg.loc[3, "stored_date"] = "2025-08-05"


FAULT_CASES = {
    "invalid_value": (_invalid, 3, "H2", "region: missing value"),
    "malformed_mark": (_malformed, 4, None, "not a GS1 element string"),
    "bad_check_digit": (_check_digit, 2, None, "but its GS1 check digit is 2"),
    "female_horn": (_female, 5, "H4", "female saiga have no horns"),
    "calf_horn": (_calf, 4, "H3", "age is 'young-of-year'; calves (young of the year) carry only"),
    "mass_out_of_bounds": (_mass, 6, "H5", "mass 363.0 g is outside the plausible 80-300 g"),
    "custody_out_of_order": (_order, 3, "H2", "stored on 2025-09-01 before harvest on 2025-09-05"),
    "custody_after_export": (
        _after_export,
        2,
        "H1",
        "processed on 2026-04-20 after export on 2026-04-15",
    ),
    "export_without_permit": (_permit, 6, "H5", "exported on 2026-06-01 without an export permit"),
    "no_recorded_removal": (_no_removal, 5, "H4", "no final removal recorded for Ustyurt 2025"),
}


@pytest.mark.parametrize("fault", list(FAULT_CASES))
def test_each_fault_names_row_and_mark(fault):
    breaker, row, serial, text = FAULT_CASES[fault]
    registry = base_registry()
    breaker(registry)
    result = validate_registry(registry, base_removals())
    hits = only_finding(result, fault)
    assert hits["row"].tolist() == [row]
    the_mark = registry.loc[row - 2, "mark"]
    assert serial is None or the_mark == mark(serial)
    message = hits["message"].item()
    assert_names(message, row, the_mark)
    assert text in message
    assert message.endswith(f"[{fault}]")
    assert result.table.loc[row - 2, "status"] == "rejected"
    assert result.table.loc[row - 2, "reasons"] == fault
    assert result.n_accepted == 4
    assert result.n_rejected == 1


def test_duplicate_mark_flags_every_copy():
    registry = base_registry()
    registry.loc[3, "mark"] = registry.loc[0, "mark"]
    result = validate_registry(registry, base_removals())
    hits = only_finding(result, "duplicate_mark")
    assert hits["row"].tolist() == [2, 5]
    assert_names(hits["message"].iloc[0], 2, mark("H1"))
    assert "also on row(s) 5" in hits["message"].iloc[0]
    assert "also on row(s) 2" in hits["message"].iloc[1]


def test_duplicate_mark_across_written_forms():
    registry = base_registry()
    registry.loc[3, "mark"] = f"01{GTIN}21H1"  # raw scanner form of row 2's mark
    result = validate_registry(registry, base_removals())
    assert only_finding(result, "duplicate_mark")["row"].tolist() == [2, 5]


def test_excess_horns_are_the_last_harvested():
    registry = base_registry()
    removals = base_removals()
    removals.loc[0, "value"] = 1.0  # Ural 2025: 1 male removed -> at most 2 horns; 3 registered
    result = validate_registry(registry, removals)
    hits = only_finding(result, "excess_horns")
    # Ural 2025 horns in harvest order: rows 2 (Aug 10), 3 (Sep 5), 6 (Nov 20).
    assert hits["row"].tolist() == [6]
    message = hits["message"].item()
    assert_names(message, 6, mark("H5"))
    assert "horn 3 of 3 registered for Ural 2025" in message
    assert "exceeds 2 x 1 males removed" in message


def test_sex_unknown_removals_count_towards_the_most_males():
    # Betpakdala 2025 has one row of 4 animals of unknown sex: up to 8 horns allowed.
    removals = base_removals()
    removals.loc[2, "value"] = 0.5  # (a fraction keeps the arithmetic visible: 1 horn allowed)
    registry = base_registry()
    registry.loc[3, "harvested_date"] = "2025-10-20"
    registry.loc[3, "stored_date"] = "2025-10-25"
    result = validate_registry(registry, removals)
    assert only_finding(result, "excess_horns")["row"].tolist() == [5]


def test_interim_and_calf_rows_do_not_explain_horns():
    removals = base_removals()
    extra = pd.DataFrame(
        {
            "population": ["Betpakdala", "Betpakdala"],
            "year": [2026, 2026],
            "kind": ["cull", "cull"],
            "status": ["interim", "final"],
            "sex": ["male", "male"],
            "age": ["adult", "calf"],
            "unit": ["animals", "animals"],
            "value": [100.0, 100.0],
        }
    )
    removals = pd.concat([removals, extra], ignore_index=True)
    removals.loc[3, "value"] = 0.0  # the final adult-male row now removes nobody
    registry = base_registry()
    result = validate_registry(registry, removals)
    # Betpakdala 2026 is recorded (calves were removed) but explains no horns.
    assert only_finding(result, "excess_horns")["row"].tolist() == [5]


def test_harvest_before_may_belongs_to_previous_model_year():
    registry = base_registry()
    registry.loc[1, ["harvested_date", "stored_date"]] = ["2026-02-05", "2026-02-10"]
    result = validate_registry(registry, base_removals())
    assert result.findings.empty
    assert result.table.loc[1, "year"] == 2025


def test_row_with_several_faults_lists_every_reason():
    registry = base_registry()
    registry.loc[0, ["sex", "mass_g", "exported_permit"]] = ["female", "0.18", ""]
    result = validate_registry(registry, base_removals())
    assert result.table.loc[0, "reasons"] == "female_horn;mass_out_of_bounds;export_without_permit"
    assert result.n_rejected == 1
    assert result.fault_counts()[["female_horn", "mass_out_of_bounds"]].tolist() == [1, 1]


@pytest.mark.parametrize(
    ("column", "value", "text"),
    [
        ("mass_g", "1,5", "mass_g: expected a number of grams"),
        ("mass_g", "", "mass_g: missing value"),
        ("harvested_date", "05.08.2025", "harvested_date: expected an ISO date"),
        ("harvested_date", "", "harvested_date: missing value"),
        ("sex", "unknown", "sex: expected male or female"),
        ("age", "old", "age: expected calf, yearling or adult"),
        ("population", "total", "population: a horn comes from one population"),
        ("stored_place", "", "stored_place: the stored event has no place"),
    ],
)
def test_invalid_values(column, value, text):
    registry = base_registry()
    registry.loc[1, column] = value
    result = validate_registry(registry, base_removals())
    hits = result.findings.loc[result.findings["fault"] == "invalid_value"]
    assert hits["row"].tolist() == [3]
    assert text in hits["message"].item()
    assert result.n_accepted + result.n_rejected == 5


def test_event_with_place_but_no_date():
    registry = base_registry()
    registry.loc[1, "exported_place"] = "Khorgos"
    result = validate_registry(registry, base_removals())
    message = only_finding(result, "invalid_value")["message"].item()
    assert "the exported event has a place or permit but no date" in message


@pytest.mark.parametrize(
    ("changes", "text"),
    [
        ({"processed_date": "2025-08-15"}, "processed on 2025-08-15 before storage on 2025-08-20"),
        (
            {"stored_date": "", "stored_place": "", "stored_permit": ""},
            "processed without a stored event",
        ),
    ],
)
def test_custody_order_variants(changes, text):
    registry = base_registry()
    for column, value in changes.items():
        registry.loc[0, column] = value
    result = validate_registry(registry, base_removals())
    messages = " ".join(only_finding(result, "custody_out_of_order")["message"])
    assert text in messages


def test_population_aliases_and_case():
    registry = base_registry()
    registry.loc[2, "population"] = "betpak-dala"
    registry.loc[0, "sex"] = "M"
    registry.loc[1, "age"] = "Adult"
    result = validate_registry(registry, base_removals())
    assert result.findings.empty
    assert result.table.loc[2, "population"] == "Betpakdala"
    assert result.table.loc[0, "sex"] == "male"


def test_typed_and_text_input_agree():
    registry = base_registry()
    registry.loc[0, "sex"] = "female"
    typed = registry.copy()
    typed["mass_g"] = typed["mass_g"].astype(float)
    for column in ("harvested_date", "stored_date", "processed_date", "exported_date"):
        typed[column] = pd.to_datetime(typed[column].replace("", None))
    text_result = validate_registry(registry, base_removals())
    typed_result = validate_registry(typed, base_removals())
    pd.testing.assert_frame_equal(text_result.findings, typed_result.findings)
    pd.testing.assert_frame_equal(text_result.table, typed_result.table)


def test_without_removals_skips_population_year_checks():
    registry = base_registry()
    registry.loc[3, "population"] = "Ustyurt"
    result = validate_registry(registry, None)
    assert result.findings.empty
    assert result.removals is None


def test_missing_required_column_raises():
    with pytest.raises(DataValidationError, match="required registry column is missing"):
        validate_registry(base_registry().drop(columns="sex"), base_removals())
    assert "sex" in REQUIRED_COLUMNS


def test_optional_columns_may_be_absent():
    registry = base_registry().drop(columns=["processed_permit", "harvested_permit"])
    assert validate_registry(registry, base_removals()).findings.empty


def test_extra_columns_and_custom_index_are_kept():
    registry = base_registry().assign(notes="x")
    registry.index = [10, 11, 12, 13, 14]
    result = validate_registry(registry, base_removals())
    assert result.table["notes"].tolist() == ["x"] * 5
    assert result.table["row"].tolist() == [2, 3, 4, 5, 6]


def test_mass_bounds_are_configurable():
    registry = base_registry()
    result = validate_registry(registry, base_removals(), mass_bounds=(185.0, 200.0))
    assert result.fault_counts()["mass_out_of_bounds"] == 5
    with pytest.raises(ValueError, match="low < high"):
        validate_registry(registry, base_removals(), mass_bounds=(200.0, 100.0))


def test_problems_and_raise():
    registry = base_registry()
    registry.loc[0, "sex"] = "female"
    result = validate_registry(registry, base_removals(), file="registry.csv")
    (problem,) = result.problems()
    assert isinstance(problem, Problem)
    assert (problem.file, problem.row, problem.column, problem.value) == (
        "registry.csv",
        2,
        "sex",
        "female",
    )
    assert mark("H1") in str(problem)
    with pytest.raises(DataValidationError, match="row 2"):
        result.raise_if_rejected()
    validate_registry(base_registry(), base_removals()).raise_if_rejected()


def test_accounting_adds_up():
    registry = base_registry()
    registry.loc[0, ["sex", "mass_g"]] = ["female", "0.18"]
    registry.loc[1, "region"] = ""
    acc = validate_registry(registry, base_removals()).accounting()["rows"]
    assert acc["input"] == 5
    assert acc["accepted"] == 3
    assert acc["rejected"] == 2
    assert acc["accepted"] + acc["rejected"] == acc["input"]
    assert len(acc) == 3 + len(FAULTS)


def test_empty_registry():
    result = validate_registry(base_registry().iloc[:0], base_removals())
    assert result.n_input == result.n_accepted == result.n_rejected == 0
    assert result.findings.empty


def test_reference_agrees_on_hand_cases():
    for fault, (breaker, *_rest) in FAULT_CASES.items():
        registry = base_registry()
        breaker(registry)
        found = validate_registry(registry, base_removals()).findings
        assert set(zip(found["row"], found["fault"], strict=True)) == validate_rowwise(
            registry, base_removals()
        ), fault


def test_raw_horn_may_be_exported_without_processing():
    registry = base_registry()
    registry.loc[4, ["processed_date", "processed_place", "processed_permit"]] = ["", "", ""]
    assert validate_registry(registry, base_removals()).findings.empty


# --- issue 18: plausibility, and problems reported as what they are ----------------------------


def _findings(registry, **kwargs):
    result = validate_registry(registry, base_removals(), file="registry.csv", **kwargs)
    return result, set(zip(result.findings["row"], result.findings["fault"], strict=True))


def test_misspelt_population_is_named_with_a_suggestion_not_a_missing_removal():
    registry = base_registry()
    registry.loc[1, "population"] = "Urall"
    result, found = _findings(registry)
    assert found == {(3, "invalid_value")}
    (problem,) = result.problems()
    assert (problem.file, problem.row, problem.column, problem.value) == (
        "registry.csv",
        3,
        "population",
        "Urall",
    )
    assert "did you mean 'Ural'?" in problem.rule
    assert found == validate_rowwise(registry, base_removals())
    with pytest.raises(DataValidationError, match="row 3, column 'population': 'Urall'"):
        result.raise_if_rejected()


def test_declared_and_removal_populations_are_known():
    registry = base_registry()
    registry.loc[1, "population"] = "Kalmykia"
    _, found = _findings(registry)
    assert found == {(3, "invalid_value")}
    _, found = _findings(registry, populations=["Kalmykia"])
    assert found == {(3, "no_recorded_removal")}  # known, but no removal recorded there


@pytest.mark.parametrize("written", ["2025", "2025-09", "0025-09-01", "05.08.2025", "2025-13-01"])
def test_malformed_harvest_date_is_reported_as_a_date(written):
    registry = base_registry()
    registry.loc[1, "harvested_date"] = written
    result, found = _findings(registry)
    assert (3, "no_recorded_removal") not in found
    assert (3, "invalid_value") in found
    problem = next(p for p in result.problems() if p.column == "harvested_date")
    assert (problem.row, problem.value) == (3, written)
    assert "expected an ISO date YYYY-MM-DD (a full date" in problem.rule
    assert found == validate_rowwise(registry, base_removals())


@pytest.mark.parametrize("written", ["2025-09-05", "2025/09/05", "20250905", "2025-9-5"])
def test_full_dates_in_other_spellings_are_read(written):
    registry = base_registry()
    registry.loc[1, "harvested_date"] = written
    result, found = _findings(registry)
    assert found == set()
    assert result.table.loc[1, "harvested_date"] == pd.Timestamp("2025-09-05")


def test_dates_after_the_as_of_year_are_errors():
    # Default without a census: the latest final removal year (2026) + 1.
    registry = base_registry()
    registry.loc[1, "harvested_date"] = "2052-09-05"
    registry.loc[0, "exported_date"] = "2028-01-10"
    result, found = _findings(registry)
    assert result.as_of == 2027
    # Reported as late dates (and the harvest after storage), never as "no_recorded_removal".
    assert found == {(2, "invalid_value"), (3, "invalid_value"), (3, "custody_out_of_order")}
    by_row = {p.row: p for p in result.problems() if "as-of" in p.rule}
    assert (by_row[3].column, by_row[3].value) == ("harvested_date", "2052-09-05")
    assert "after the as-of year 2027" in by_row[3].rule
    assert (by_row[2].column, by_row[2].value) == ("exported_date", "2028-01-10")
    assert found == validate_rowwise(registry, base_removals())


def test_as_of_from_census_or_settings_never_the_clock():
    registry = base_registry()  # latest date: 2026-07-20
    census = pd.DataFrame({"year": [2024, 2025, 2030], "kind": ["count", "count", "estimate"]})
    result, found = _findings(registry, census=census)
    assert result.as_of == 2026
    assert found == set()
    result, found = _findings(registry, census=census.assign(year=[2023, 2024, 2030]))
    assert result.as_of == 2025
    assert {r for r, _ in found} == {2, 4, 5, 6}  # rows with a 2026 date
    result, found = _findings(registry, plausibility=Plausibility(as_of=2026), census=census)
    assert (result.as_of, found) == (2026, set())
    assert validate_registry(registry, None).as_of is None
