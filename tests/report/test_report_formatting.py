import math

import numpy as np
import pandas as pd
import pytest

from saigapop.report.formatting import format_value, is_plain_name


@pytest.mark.parametrize(
    ("value", "name", "expected"),
    [
        (196000, None, "196,000"),
        (196000.0, None, "196,000"),
        (np.int64(3978000), None, "3,978,000"),
        (1.7241, None, "1.72"),
        (24.5, None, "24.5"),
        (0.012345, None, "0.0123"),
        (-1234.5, None, "-1,234"),
        (2025, "census.Ural.latest_count_year", "2025"),
        (2025, "Year", "2025"),
        (12, "Row", "12"),
        (10000.0, "cites.annual_cap_kg", "10,000"),
        (float("nan"), None, "n/a"),
        (None, None, "n/a"),
        (pd.NA, None, "n/a"),
        (True, None, "yes"),
        ("Ural", None, "Ural"),
        (math.inf, None, "infinite"),
    ],
)
def test_format_value(value, name, expected):
    assert format_value(value, name) == expected


def test_plain_names_look_at_the_last_word_only():
    assert is_plain_name("census.Ural.max_annual_growth_from_year")
    assert is_plain_name("Census year")
    assert not is_plain_name("cites.annual_cap_kg")
    assert not is_plain_name("Count (animals)")
    assert not is_plain_name(None)


def test_no_exponent_and_ascii_minus():
    assert "e" not in format_value(1.23e-7)
    assert format_value(-0.5) == "-0.500"
