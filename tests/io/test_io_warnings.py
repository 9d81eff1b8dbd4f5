"""Data warnings are kept on the data object and also issued once as Python warnings."""

from __future__ import annotations

import warnings

import pytest

import saigapop as sp
import saigapop.io as sio
from saigapop.datasets import BUNDLED_WARNINGS
from saigapop.exceptions import DataWarning, SaigapopWarning

DIE_OFF = "Betpakdala,2015,mass_mortality,final,calving,,all,all,animals,134252,,,src M,\n"


def test_warning_classes():
    assert issubclass(DataWarning, SaigapopWarning)
    assert issubclass(SaigapopWarning, UserWarning)
    assert sio.DataWarning is DataWarning
    assert sio.SaigapopWarning is SaigapopWarning


def test_every_data_warning_is_issued_once_where_the_user_called(write, census_csv, removals_csv):
    # An unknown column, an empty row and a die-off in a year without a count.
    lines = census_csv.splitlines()
    census = "\n".join([lines[0] + ",comment", *[line + ",x" for line in lines[1:]], ""]) + "\n"
    removals = removals_csv + DIE_OFF
    with pytest.warns(DataWarning) as caught:
        data = sp.SaigaData.from_files(write("census.csv", census), write("removals.csv", removals))
    messages = [str(w.message) for w in caught]
    assert messages == [str(p) for p in data.warnings]
    assert len(messages) == 3
    assert any("unknown column" in m for m in messages)
    assert any("row 8 — empty row ignored" in m for m in messages)
    assert any("no count for Betpakdala in 2015" in m for m in messages)
    assert {w.filename for w in caught} == {__file__}  # stacklevel: the caller's line
    # Using the data does not issue them again.
    with warnings.catch_warnings(record=True) as again:
        warnings.simplefilter("always")
        data.select(populations="Ural")
        data.to_xarray()
        data.summary()
    assert again == []


def test_the_readers_issue_their_warnings(write, census_csv):
    with pytest.warns(DataWarning, match="row 8 — empty row ignored") as caught:
        census = sp.read_census(write("census.csv", census_csv + ",,,,,,,,\n"))
    assert len(caught) == 1
    assert caught[0].filename == __file__
    assert len(census) == 6


def test_no_warning_without_a_problem(write, census_csv, removals_csv):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = sp.SaigaData.from_files(
            write("census.csv", census_csv), write("removals.csv", removals_csv)
        )
    assert caught == []
    assert data.warnings == ()


def test_saigapop_warnings_are_errors_in_this_suite(write, census_csv):
    # pyproject's filterwarnings turns an unexpected DataWarning into a test failure.
    with pytest.raises(DataWarning, match="empty row ignored"):
        sp.read_census(write("census.csv", census_csv + ",,,,,,,,\n"))


def test_load_kazakhstan_silences_only_the_known_bundled_warnings(monkeypatch):
    # Forget one known warning: it is then issued, and only it.
    monkeypatch.setattr(sp.datasets, "BUNDLED_WARNINGS", BUNDLED_WARNINGS[1:])
    with pytest.warns(DataWarning) as caught:
        sp.load_kazakhstan()
    assert [str(w.message) for w in caught] == [BUNDLED_WARNINGS[0]]
