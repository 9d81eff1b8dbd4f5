"""The bundled Kazakhstan data pass the library's own validator unchanged."""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import pytest

import saigapop as sp
from saigapop.datasets import BUNDLED_FILES, BUNDLED_WARNINGS, bundled_data_dir

DATA = bundled_data_dir()
pytestmark = pytest.mark.skipif(
    not (DATA / "census.csv").is_file(),
    reason="data/census.csv is not written yet (bundled data pending)",
)

SPRING_COUNTS = {
    "Betpakdala": {
        2016: 36_200,
        2019: 111_500,
        2021: 285_000,
        2022: 489_000,
        2023: 745_300,
        2024: 1_150_000,
        2025: 1_600_000,
    },
    "Ural": {
        2016: 70_200,
        2019: 217_000,
        2021: 545_000,
        2022: 801_000,
        2023: 1_130_000,
        2024: 1_620_000,
        2025: 2_300_000,
    },
    "Ustyurt": {
        2016: 1_900,
        2017: 2_700,
        2019: 5_900,
        2021: 12_000,
        2022: 28_000,
        2023: 39_700,
        2024: 63_600,
        2025: 78_000,
    },
}


@pytest.fixture(scope="module")
def data():
    return sp.load_kazakhstan()


def test_bundled_data_validate_unchanged(data):
    assert data.populations == ("Betpakdala", "Ural", "Ustyurt")
    assert all(w.severity == "warning" for w in data.warnings)


@pytest.mark.parametrize(
    ("population", "year", "value"),
    [(p, y, v) for p, years in SPRING_COUNTS.items() for y, v in years.items()],
)
def test_spring_counts_2016_2025(data, population, year, value):
    rows = data.census[(data.census["population"] == population) & (data.census["year"] == year)]
    count = rows[rows["kind"] == "count"]
    assert count["value"].tolist() == [value]


def test_counts_in_xarray(data):
    ds = data.to_xarray()
    for population, years in SPRING_COUNTS.items():
        for year, value in years.items():
            assert ds["count"].sel(population=population, year=year).item() == value


def test_every_row_has_a_source(data):
    for table in (data.census, data.removals, data.composition, data.offtake.to_frame()):
        assert (table["source"].str.strip() != "").all()


@pytest.mark.parametrize("table", list(BUNDLED_FILES))
def test_row_count_in_equals_row_count_out(data, table):
    with (DATA / BUNDLED_FILES[table]).open(newline="", encoding="utf-8") as f:
        rows_in = sum(1 for _ in csv.DictReader(f))
    assert len(getattr(data, table)) == rows_in


def test_die_offs_without_counts_are_warnings_not_errors(data):
    assert any("mass_mortality" in w.rule for w in data.warnings)


#: Rows of the bundled tables (issue 18: the bundled data still load unchanged).
BUNDLED_ROWS = {"census": 60, "removals": 36, "composition": 2, "offtake": 54}


@pytest.mark.parametrize("table", list(BUNDLED_FILES))
def test_bundled_row_counts(data, table):
    assert len(getattr(data, table)) == BUNDLED_ROWS[table]


def test_bundled_warnings_are_pinned_and_only_they_are_silenced():
    # The ONE test pinning the bundled data's expected warnings: exactly BUNDLED_WARNINGS are on
    # data.warnings, none is issued as a Python warning, and nothing else would be silenced.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = sp.load_kazakhstan()
    assert [str(w) for w in data.warnings] == list(BUNDLED_WARNINGS)
    assert caught == []


def test_data_hash_stable_across_loads(data):
    assert sp.load_kazakhstan().data_hash == data.data_hash


def test_declared_population_with_bundled_data():
    data = sp.load_kazakhstan(populations=["Kalmykia"])
    assert data.populations[-1] == "Kalmykia"
    assert data.to_xarray()["count"].sel(population="Kalmykia").isnull().all()


def test_missing_bundled_file_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(sp.datasets, "bundled_data_dir", lambda: tmp_path)
    with pytest.raises(sp.exceptions.SaigapopError, match="bundled data file"):
        sp.load_kazakhstan()


def test_installed_wheel_layout_is_preferred(monkeypatch, tmp_path):
    # An installed wheel has the data as saigapop/_data (pyproject force-include).
    (tmp_path / "_data").mkdir()
    monkeypatch.setattr(sp.datasets.importlib.resources, "files", lambda _: tmp_path)
    assert bundled_data_dir() == tmp_path / "_data"


def test_source_checkout_layout_is_the_fallback(monkeypatch, tmp_path):
    checkout = Path(sp.datasets.__file__).resolve().parents[1] / "data"
    if not checkout.is_dir():
        pytest.skip("not running from a source checkout")
    monkeypatch.setattr(sp.datasets.importlib.resources, "files", lambda _: tmp_path)
    assert bundled_data_dir() == checkout
