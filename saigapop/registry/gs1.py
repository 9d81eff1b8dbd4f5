"""GS1 element strings on horn marks: GTIN-14 check digits and (01)/(21) parsing.

Each horn carries a GS1 Data Matrix code (mandatory in Kazakhstan from 1 December 2025). The
registry stores the code's human-readable form, ``(01)<GTIN-14>(21)<serial>``, optionally followed
by further application identifiers such as the ``(91)``/``(92)`` verification keys of national
marking systems. The raw scanner form without parentheses, ``01<GTIN-14>21<serial>``, is also
accepted. A horn is identified by its GTIN and serial together.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

__all__ = [
    "format_mark",
    "gtin_check_digit",
    "gtin_check_digits",
    "is_valid_gtin",
    "parse_marks",
    "valid_gtin_mask",
]

#: Characters allowed in a serial here: GS1 character set 82 without the parentheses, which
#: would be ambiguous in the human-readable form. Up to 20 characters (GS1 AI 21).
_SERIAL = r"[A-Za-z0-9!\"%&'*+,\-./:;<=>?_]{1,20}"
_HRI = re.compile(rf"^\(01\)(?P<gtin>\d{{14}})\(21\)(?P<serial>{_SERIAL})(?:\(\d{{2,4}}\)[^()]*)*$")
_RAW = re.compile(rf"^01(?P<gtin>\d{{14}})21(?P<serial>{_SERIAL})(?:\x1d.*)?$")


def gtin_check_digit(body: str) -> int:
    """Return the GS1 mod-10 check digit for the digits of a GTIN without its check digit.

    From the right, digits are weighted 3, 1, 3, 1, ...; the check digit brings the weighted sum
    up to the next multiple of ten.

    Parameters
    ----------
    body
        The 13 leading digits of a GTIN-14 (any length works, e.g. 11 for a GTIN-12).

    Returns
    -------
    int
        The check digit, 0-9.

    Examples
    --------
    >>> gtin_check_digit("0950600013435")
    2
    >>> gtin_check_digit("0001234560001")
    2
    """
    if not body.isdigit():
        raise ValueError(f"a GTIN holds digits only, got {body!r}")
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def is_valid_gtin(gtin: str) -> bool:
    """Whether ``gtin`` is 14 digits whose last digit is the GS1 check digit of the others.

    Examples
    --------
    >>> is_valid_gtin("09506000134352"), is_valid_gtin("09506000134353")
    (True, False)
    """
    return len(gtin) == 14 and gtin.isdigit() and gtin_check_digit(gtin[:13]) == int(gtin[13])


def gtin_check_digits(gtins: pd.Series) -> np.ndarray:
    """Vectorised GS1 check digits of 14-digit strings (computed from their first 13 digits).

    Parameters
    ----------
    gtins
        Strings of exactly 14 ASCII digits.

    Returns
    -------
    numpy.ndarray
        The correct check digit for each string (int64).

    Examples
    --------
    >>> import pandas as pd
    >>> gtin_check_digits(pd.Series(["09506000134352", "00012345600019"]))
    array([2, 2])
    """
    if len(gtins) == 0:
        return np.zeros(0, dtype=np.int64)
    digits = _digit_matrix(gtins)
    weights = np.array([3, 1] * 6 + [3], dtype=np.int64)  # positions 1..13 from the left
    return (10 - (digits[:, :13] @ weights) % 10) % 10


def _digit_matrix(gtins: pd.Series) -> np.ndarray:
    raw = "".join(gtins.astype(str).tolist()).encode("ascii")
    return np.frombuffer(raw, dtype=np.uint8).reshape(len(gtins), 14).astype(np.int64) - 48


def valid_gtin_mask(gtins: pd.Series) -> np.ndarray:
    """Vectorised check digits: for each 14-digit string, whether its check digit is right.

    Parameters
    ----------
    gtins
        Strings of exactly 14 ASCII digits (validate the shape first, e.g. with
        :func:`parse_marks`).

    Returns
    -------
    numpy.ndarray
        Boolean array, one entry per element of ``gtins``.

    Examples
    --------
    >>> import pandas as pd
    >>> valid_gtin_mask(pd.Series(["09506000134352", "00012345600012", "00012345600013"]))
    array([ True,  True, False])
    """
    if len(gtins) == 0:
        return np.zeros(0, dtype=bool)
    return gtin_check_digits(gtins) == _digit_matrix(gtins)[:, 13]


def parse_marks(marks: pd.Series) -> pd.DataFrame:
    """Split GS1 element strings into GTIN and serial, vectorised.

    Parameters
    ----------
    marks
        Mark codes as text, in the human-readable form ``(01)…(21)…`` or the raw form
        ``01…21…``. Surrounding whitespace is ignored.

    Returns
    -------
    pandas.DataFrame
        Same index as ``marks``, columns ``gtin`` and ``serial`` (empty strings where the mark is
        not a well-formed element string), ``well_formed`` (bool), ``check_ok`` (bool; False
        where not well formed), ``check_digit`` (the correct check digit; -1 where not well
        formed) and ``key`` (the canonical ``(01)…(21)…`` form when well formed,
        else the stripped text) used to compare marks.

    Examples
    --------
    >>> import pandas as pd
    >>> parsed = parse_marks(pd.Series(["(01)09506000134352(21)A1", "0109506000134353", "x"]))
    >>> parsed[["gtin", "serial"]].to_dict("list")
    {'gtin': ['09506000134352', '', ''], 'serial': ['A1', '', '']}
    >>> parsed["well_formed"].tolist(), parsed["check_ok"].tolist()
    ([True, False, False], [True, False, False])
    """
    text = marks.fillna("").astype(str).str.strip()
    # The human-readable form has fixed positions: "(01)" + 14 digits + "(21)" + serial, and
    # the serial runs to the next "(" if further AIs follow. (fullmatch and slicing run in
    # Arrow for pandas' Arrow-backed strings, ~10x faster than extracting groups.)
    hri = text.str.fullmatch(_HRI.pattern).fillna(False).to_numpy(dtype=bool)
    gtin = text.str.slice(4, 18).where(hri, "").astype(str)
    serial = text.str.slice(22).str.replace(r"\(.*$", "", regex=True).where(hri, "").astype(str)
    rest = ~hri & (text != "").to_numpy()
    if rest.any():  # the raw scanner form, tried only where the human-readable form failed
        raw = text[rest].str.extract(_RAW)
        gtin[rest] = raw["gtin"].fillna("").astype(str).to_numpy()
        serial[rest] = raw["serial"].fillna("").astype(str).to_numpy()
    well_formed = (gtin != "").to_numpy()
    check_ok = np.zeros(len(text), dtype=bool)
    check_digit = np.full(len(text), -1, dtype=np.int64)
    if well_formed.any():
        formed = gtin[well_formed]
        check_digit[well_formed] = gtin_check_digits(formed)
        check_ok[well_formed] = check_digit[well_formed] == _digit_matrix(formed)[:, 13]
    key = ("(01)" + gtin + "(21)" + serial).where(well_formed, text)
    return pd.DataFrame(
        {
            "gtin": gtin,
            "serial": serial,
            "well_formed": well_formed,
            "check_ok": check_ok,
            "check_digit": check_digit,
            "key": key.astype(str),
        },
        index=marks.index,
    )


def format_mark(gtin: str, serial: str) -> str:
    """Return the human-readable GS1 element string ``(01)<gtin>(21)<serial>``.

    Examples
    --------
    >>> format_mark("09506000134352", "U25000001")
    '(01)09506000134352(21)U25000001'
    """
    return f"(01){gtin}(21){serial}"
