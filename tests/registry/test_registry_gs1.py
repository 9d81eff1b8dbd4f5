import numpy as np
import pandas as pd
import pytest

from saigapop.registry import format_mark, gtin_check_digit, is_valid_gtin, parse_marks
from saigapop.registry.gs1 import gtin_check_digits, valid_gtin_mask

# Published example GTINs (GS1 documentation and check-digit calculator examples).
VALID = ["09506000134352", "00012345600012", "04006381333931", "00614141123452"]


@pytest.mark.parametrize("gtin", VALID)
def test_known_valid_gtins(gtin):
    assert is_valid_gtin(gtin)
    assert gtin_check_digit(gtin[:13]) == int(gtin[13])


@pytest.mark.parametrize("gtin", VALID)
def test_every_wrong_check_digit_is_invalid(gtin):
    for digit in "0123456789":
        if digit != gtin[13]:
            assert not is_valid_gtin(gtin[:13] + digit)


@pytest.mark.parametrize("gtin", ["0950600013435", "095060001343520", "09506000I34352", ""])
def test_wrong_shape_is_invalid(gtin):
    assert not is_valid_gtin(gtin)


def test_transposed_digits_are_caught():
    # Swapping two adjacent digits of different weight and value changes the check digit.
    assert not is_valid_gtin("90506000134352")


def test_check_digit_rejects_non_digits():
    with pytest.raises(ValueError, match="digits only"):
        gtin_check_digit("12a")


def test_vectorised_check_digits_match_scalar():
    rng = np.random.default_rng(0)
    bodies = ["".join(map(str, rng.integers(0, 10, 13))) for _ in range(500)]
    gtins = pd.Series([b + str(rng.integers(0, 10)) for b in bodies])
    expected = np.array([gtin_check_digit(b) for b in bodies])
    assert (gtin_check_digits(gtins) == expected).all()
    assert (valid_gtin_mask(gtins) == np.array([is_valid_gtin(g) for g in gtins])).all()


def test_parse_marks_forms():
    marks = pd.Series(
        [
            "(01)09506000134352(21)UR2500001",  # human-readable
            "010950600013435221UR2500001",  # raw scanner form
            "(01)09506000134352(21)UR2500001(91)EE07(92)abc=",  # extra AIs after the serial
            " (01)09506000134352(21)UR2500002 ",  # whitespace
            "(01)0950600013435(21)UR2500003",  # 13-digit GTIN
            "(01)09506000134352",  # no serial
            "(01)09506000134352(21)UR 25",  # space in serial
            "(01)09506000134353(21)UR2500004",  # wrong check digit
            "",
            None,
        ]
    )
    parsed = parse_marks(marks)
    assert parsed["well_formed"].tolist() == [True] * 4 + [False] * 3 + [True, False, False]
    assert parsed["check_ok"].tolist() == [True] * 4 + [False] * 6
    # The same horn written three ways has one key.
    assert parsed["key"].iloc[0] == parsed["key"].iloc[1] == parsed["key"].iloc[2]
    assert parsed["key"].iloc[0] == format_mark("09506000134352", "UR2500001")
    assert parsed.loc[7, "check_digit"] == 2
    assert parsed.loc[4, "check_digit"] == -1


def test_parse_marks_empty():
    parsed = parse_marks(pd.Series([], dtype=object))
    assert len(parsed) == 0
    assert list(parsed.columns) == [
        "gtin",
        "serial",
        "well_formed",
        "check_ok",
        "check_digit",
        "key",
    ]
