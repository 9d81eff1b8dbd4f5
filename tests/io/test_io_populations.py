"""Population names: canonical, aliases, declared, misspelt."""

from __future__ import annotations

import pytest

import saigapop as sp
from saigapop.exceptions import ConfigError
from saigapop.io import PopulationResolver, UnknownPopulationError


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("Betpakdala", "Betpakdala"),
        ("BETPAK-DALA", "Betpakdala"),
        (" betpak dala ", "Betpakdala"),
        ("Бетпакдала", "Betpakdala"),
        ("Volga-Ural", "Ural"),
        ("Устюрт", "Ustyurt"),
        ("Total", "total"),
    ],
)
def test_aliases_resolve(name, canonical):
    assert PopulationResolver().resolve(name) == canonical


def test_misspelt_population_suggests(write, census_csv, find_problem):
    with pytest.raises(sp.DataValidationError) as info:
        sp.read_census(write("census.csv", census_csv.replace("Betpakdala", "Betpakdla")))
    p = find_problem(info.value, row=2, column="population", value="Betpakdla")
    assert p.rule == (
        "unknown population 'Betpakdla' — did you mean 'Betpakdala'? "
        "Declare new populations with populations=[...]"
    )


def test_misspelt_declared_population_suggests_it():
    with pytest.raises(UnknownPopulationError, match="did you mean 'Kalmykia'"):
        PopulationResolver(["Kalmykia"]).resolve("Kalmykiya")


def test_unrelated_name_says_how_to_declare(write, census_csv, find_problem):
    with pytest.raises(sp.DataValidationError) as info:
        sp.read_census(write("census.csv", census_csv.replace("Ural,2022", "Kalmykia,2022")))
    p = find_problem(info.value, row=7, column="population", value="Kalmykia")
    assert "populations=['Kalmykia']" in p.rule


def test_declared_population_is_accepted(write, census_csv):
    census = sp.read_census(
        write("census.csv", census_csv.replace("Ural,2022", "kalmykia,2022")),
        populations=["Kalmykia"],
    )
    assert census["population"].iloc[-1] == "Kalmykia"


@pytest.mark.parametrize("bad", ["", "total", None])
def test_bad_declarations(bad):
    with pytest.raises(ConfigError):
        PopulationResolver([bad])


def test_declaring_an_alias_is_harmless():
    assert PopulationResolver(["volga-ural", "Kalmykia"]).known == (
        "Betpakdala",
        "Ural",
        "Ustyurt",
        "Kalmykia",
    )
