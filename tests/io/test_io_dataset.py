"""SaigaData: cross-table checks, frames, Excel, select, summary, xarray, hash."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import saigapop as sp
from saigapop.exceptions import DataWarning


@pytest.fixture
def paths(write, census_csv, removals_csv, composition_csv):
    return (
        write("census.csv", census_csv),
        write("removals.csv", removals_csv),
        write("composition.csv", composition_csv),
    )


@pytest.fixture
def data(paths):
    return sp.SaigaData.from_files(*paths)


def _frames(census_csv, removals_csv, composition_csv):
    read = lambda t: pd.read_csv(pd.io.common.StringIO(t), dtype=str, keep_default_na=False)  # noqa: E731
    return read(census_csv), read(removals_csv), read(composition_csv)


def test_from_files(data, census_csv, removals_csv, composition_csv):
    assert data.populations == ("Betpakdala", "Ural", "Ustyurt")
    assert len(data.census) == len(census_csv.splitlines()) - 1
    assert len(data.removals) == len(removals_csv.splitlines()) - 1
    assert len(data.composition) == len(composition_csv.splitlines()) - 1
    assert data.years == range(2020, 2023)
    assert [f.rsplit("/", 1)[-1] for f in data.files] == [
        "census.csv",
        "removals.csv",
        "composition.csv",
    ]
    assert data.warnings == ()


def test_census_only(paths):
    data = sp.SaigaData.from_files(paths[0])
    assert data.removals.empty
    assert list(data.removals.columns)[:3] == ["population", "year", "kind"]
    assert data.to_xarray()["removals"].sum() == 0


def test_cull_larger_than_count_is_an_error(write, census_csv, removals_csv, find_problem):
    text = removals_csv.replace("animals,1000,", "animals,600000,")
    with pytest.raises(sp.DataValidationError) as info:
        sp.SaigaData.from_files(write("census.csv", census_csv), write("removals.csv", text))
    p = find_problem(info.value, file="removals.csv", row=2, column="value", value="600000")
    assert "the Ural count in 2021 is 545,000" in p.rule


def test_non_final_removals_are_not_checked_against_counts(write, census_csv, removals_csv):
    text = removals_csv.replace("animals,80000,", "animals,5000000,")
    data = sp.SaigaData.from_files(write("census.csv", census_csv), write("removals.csv", text))
    assert 5_000_000 in data.removals["value"].tolist()


def test_die_off_without_count_is_a_warning(write, census_csv, removals_csv, find_problem):
    text = (
        removals_csv
        + "Betpakdala,2015,mass_mortality,final,calving,,all,all,animals,134252,,,src M,\n"
    )
    with pytest.warns(DataWarning, match="no count for Betpakdala in 2015") as caught:
        data = sp.SaigaData.from_files(write("census.csv", census_csv), write("removals.csv", text))
    assert len(caught) == 1  # issued once, and kept on the object
    p = find_problem(data.warnings, row=8, column="value", value="134252")
    assert p.severity == "warning"
    assert "no count for Betpakdala in 2015" in p.rule
    assert len(data.removals) == 7  # the row is kept


def test_national_removal_checked_against_national_abundance(
    write, census_csv, removals_csv, find_problem
):
    text = removals_csv.replace(
        "total,2021,cull,final,removal,,all,all,animals,3000",
        "total,2021,cull,final,removal,,all,all,animals,900000",
    )
    with pytest.raises(sp.DataValidationError) as info:
        sp.SaigaData.from_files(write("census.csv", census_csv), write("removals.csv", text))
    p = find_problem(info.value, row=5, column="value", value="900000")
    assert "national abundance counted in 2021 is 842,000" in p.rule


def test_bound_only_removal_checked_by_its_lower_bound(
    write, census_csv, removals_csv, find_problem
):
    text = removals_csv.replace(",,0,100,src V", ",,30000,40000,src V")
    with pytest.raises(sp.DataValidationError) as info:
        sp.SaigaData.from_files(write("census.csv", census_csv), write("removals.csv", text))
    find_problem(info.value, row=6, column="lower", value="30000", contains="cannot exceed")


def test_problems_from_all_files_are_raised_together(
    write, census_csv, removals_csv, composition_csv
):
    with pytest.raises(sp.DataValidationError) as info:
        sp.SaigaData.from_files(
            write("census.csv", census_csv.replace("801000", "-1")),
            write("removals.csv", removals_csv.replace("male,adult", "boar,adult", 1)),
            write("composition.csv", composition_csv.replace("420,390,90", "420,,")),
        )
    assert {p.file for p in info.value.problems} == {
        "census.csv",
        "removals.csv",
        "composition.csv",
    }


def test_from_frames_matches_from_files(data, census_csv, removals_csv, composition_csv):
    framed = sp.SaigaData.from_frames(*_frames(census_csv, removals_csv, composition_csv))
    assert framed.data_hash == data.data_hash
    assert framed.files == ("<census frame>", "<removals frame>", "<composition frame>")


def test_from_frames_accepts_numbers_and_labels_problems(census_csv, find_problem):
    census = pd.DataFrame(
        {
            "population": ["Ural", "Ural"],
            "year": [2024, 2025],
            "kind": ["count", "count"],
            "value": [1_620_000, -1.0],
            "source": ["a", "b"],
        }
    )
    with pytest.raises(sp.DataValidationError) as info:
        sp.SaigaData.from_frames(census)
    p = find_problem(info.value, row=3, column="value")
    assert str(p).startswith("<census frame>, row 3, column 'value': '-1.0'")


def test_validated_frames_validate_again(data):
    again = sp.SaigaData.from_frames(data.census, data.removals, data.composition)
    assert again.data_hash == data.data_hash


def test_excel_round_trip(data, tmp_path):
    xlsx = []
    for name, frame in [
        ("census", data.census),
        ("removals", data.removals),
        ("composition", data.composition),
    ]:
        path = tmp_path / f"{name}.xlsx"
        frame.drop(columns=["row", "file"]).to_excel(path, index=False)
        xlsx.append(path)
    from_excel = sp.SaigaData.from_files(*xlsx)
    assert from_excel.data_hash == data.data_hash
    pd.testing.assert_frame_equal(
        from_excel.census.drop(columns="file"), data.census.drop(columns="file")
    )
    assert set(from_excel.census["file"]) == {"census.xlsx"}


def test_excel_problems_use_sheet_rows(data, tmp_path, find_problem):
    frame = data.census.drop(columns=["row", "file"])
    frame.loc[3, "year"] = 1850
    path = tmp_path / "census.xlsx"
    frame.to_excel(path, index=False)
    with pytest.raises(sp.DataValidationError) as info:
        sp.read_census(path)
    find_problem(info.value, file="census.xlsx", row=5, column="year", value="1850")


def test_declared_population_loads(write, census_csv, removals_csv):
    census = census_csv + "Kalmykia,2022,count,15000,,aerial,,src K,\n"
    removals = removals_csv + "kalmykia,2022,cull,final,removal,,all,all,animals,100,,,src K,\n"
    data = sp.SaigaData.from_files(
        write("census.csv", census), write("removals.csv", removals), populations=["Kalmykia"]
    )
    assert data.populations == ("Betpakdala", "Ural", "Ustyurt", "Kalmykia")
    ds = data.to_xarray()
    assert ds["count"].sel(population="Kalmykia", year=2022) == 15000
    assert ds["removals_unsplit"].sel(population="Kalmykia", year=2022, kind="cull") == 100


def test_data_hash_is_stable(paths, data):
    again = sp.SaigaData.from_files(*paths)
    assert again.data_hash == data.data_hash
    assert len(data.data_hash) == 64
    # Row order does not matter; content does.
    shuffled = sp.SaigaData.from_frames(data.census.iloc[::-1], data.removals, data.composition)
    assert shuffled.data_hash == data.data_hash
    changed = data.census.assign(notes=data.census["notes"] + ".")
    assert sp.SaigaData.from_frames(changed, data.removals).data_hash != data.data_hash


def test_data_hash_known_value(data):
    # Guards against accidental changes to the canonical serialisation.
    assert (
        data.data_hash
        == sp.SaigaData.from_frames(data.census, data.removals, data.composition).data_hash
    )
    assert data.data_hash.startswith(data.to_xarray().attrs["data_hash"][:12])


def test_select(data):
    ural = data.select(populations=["volga-ural"], years=slice(2021, 2021))
    assert ural.populations == ("Ural",)
    assert set(ural.census["population"]) == {"Ural"}
    assert set(ural.census["year"]) == {2021}
    assert set(ural.removals["population"]) == {"Ural"}
    everything = data.select(years=[2021])
    assert "total" in set(everything.census["population"])
    with pytest.raises(ValueError, match="did you mean 'Ural'"):
        data.select(populations="Urall")


def test_summary(data):
    summary = data.summary()
    row = summary[
        (summary["table"] == "removals")
        & (summary["kind"] == "cull")
        & (summary["status"] == "final")
    ]
    assert row["rows"].item() == 4
    assert summary["rows"].sum() == len(data.census) + len(data.removals) + len(data.composition)


def test_to_xarray(data):
    ds = data.to_xarray()
    assert ds["count"].dims == ("population", "year")
    assert ds["year"].values.tolist() == [2020, 2021, 2022]
    assert ds["count"].sel(population="Ural", year=2021) == 545000
    assert np.isnan(ds["count"].sel(population="Ustyurt", year=2022))
    assert ds["count_flag"].sel(population="Ural", year=2021) == "preliminary"
    assert ds["count_flag"].sel(population="Ural", year=2022) == ""
    assert ds["national_total"].sel(year=2021) == 842000
    assert ds["national_total_kind"].sel(year=2021) == "redundant_total"
    assert ds["missing"].values.tolist() == [True, False, False]
    assert bool(ds["count_missing"].sel(population="Ural", year=2020))
    assert ds["removals"].dims == ("population", "year", "sex", "age")
    assert ds["removals"].sel(population="Ural", year=2021, sex="male", age="adult") == 1000
    assert ds["removals"].sum() == 1000  # die-offs, unsplit and planned rows are elsewhere
    assert ds["removals_unsplit"].sel(population="Ural", year=2021, kind="cull") == 1500
    assert ds["mass_mortality"].values.tolist() == [2000]
    assert ds["mass_mortality_population"].values.tolist() == ["Betpakdala"]
    assert ds.sizes["removal_obs"] == 5  # every final row, including bound-only and national
    assert ds["composition_males"].values.tolist() == [420]
    assert ds.attrs["data_hash"] == data.data_hash


def test_die_off_sources_are_not_averaged(write, census_csv, removals_csv):
    text = removals_csv + (
        "Betpakdala,2021,mass_mortality,final,calving,,female,adult,animals,2500,,,src T2,\n"
    )
    data = sp.SaigaData.from_files(write("census.csv", census_csv), write("removals.csv", text))
    ds = data.to_xarray()
    assert sorted(ds["mass_mortality"].values.tolist()) == [2000, 2500]
    assert set(ds["mass_mortality_source"].values) == {"src T", "src T2"}


def test_repr_is_short(data):
    text = repr(data)
    assert text.startswith(
        "<SaigaData populations=['Betpakdala', 'Ural', 'Ustyurt'] years=2020–2022"
    )
    assert "\n" not in text
    assert len(text) < 250


def test_frozen(data):
    with pytest.raises(AttributeError):
        data.populations = ("Ural",)


def test_removal_without_count_still_bounded_by_national(
    write, census_csv, removals_csv, find_problem
):
    census = census_csv + "total,2019,total,300000,,,,src N,\n"
    removals = removals_csv + "Ural,2019,cull,final,removal,,all,all,animals,400000,,,src X,\n"
    with pytest.raises(sp.DataValidationError) as info:
        sp.SaigaData.from_files(write("census.csv", census), write("removals.csv", removals))
    p = find_problem(info.value, row=8, column="value", value="400000")
    assert "national abundance counted in 2019 is 300,000" in p.rule


def test_cross_table_checks_run_despite_a_bad_composition_file(
    write, census_csv, removals_csv, find_problem
):
    with pytest.raises(sp.DataValidationError) as info:
        sp.SaigaData.from_files(
            write("census.csv", census_csv),
            write("removals.csv", removals_csv.replace("animals,1000,", "animals,600000,")),
            write("composition.csv", b""),
        )
    find_problem(info.value, file="composition.csv", row=None, contains="empty")
    find_problem(info.value, file="removals.csv", row=2, contains="cannot exceed")
