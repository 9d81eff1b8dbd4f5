"""Shared test configuration: a headless matplotlib backend and small data fixtures."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

try:
    import matplotlib

    matplotlib.use("Agg")
except ImportError:  # pragma: no cover - matplotlib is a dependency
    pass

CENSUS_CSV = """\
population,year,kind,value,survey_period,method,flag,source,notes
Betpakdala,2021,count,285000,2021-04/2021-05,aerial,preliminary,src A,
Ural,2021,count,545000,2021-04/2021-05,aerial,preliminary,src A,
Ustyurt,2021,count,12000,2021-04/2021-05,aerial,,src A,
total,2021,redundant_total,842000,,aerial,,src A,
total,2020,missing,,,,,src B,survey not flown
Ural,2022,count,801000,,aerial,,src C,
"""

REMOVALS_CSV = """\
population,year,kind,status,timing,period,sex,age,unit,value,lower,upper,source,notes
Ural,2021,cull,final,removal,,male,adult,animals,1000,,,src R,
Ural,2021,cull,final,removal,,all,all,animals,1500,,,src S,
Betpakdala,2021,mass_mortality,final,calving,,female,adult,animals,2000,,,src T,
total,2021,cull,final,removal,,all,all,animals,3000,,,src U,
Ustyurt,2021,cull,final,removal,,all,all,animals,,0,100,src V,
Ural,2022,cull,planned,removal,,all,all,animals,80000,,,src P,
"""

COMPOSITION_CSV = """\
population,year,kind,timing,status,males,females,calves,age_definition,source,notes
Ural,2021,cull_composition,removal,interim,420,390,90,,src W,
"""


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """Write text (or bytes) to ``tmp_path / name`` and return the path."""

    def _write(name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
        return path

    return _write


@pytest.fixture
def census_csv() -> str:
    """A small valid census table (2020 missing, 2021 counted with a redundant total)."""
    return CENSUS_CSV


@pytest.fixture
def removals_csv() -> str:
    """A small valid removals table consistent with ``census_csv``."""
    return REMOVALS_CSV


@pytest.fixture
def composition_csv() -> str:
    """A small valid composition table."""
    return COMPOSITION_CSV


@pytest.fixture
def find_problem() -> Callable[..., object]:
    """Return the single problem matching the criteria (``file``, ``row``, ``column``,
    ``value``, ``contains`` = substring of its message); fail if none or several match."""

    def _find(problems, *, contains: str = "", **criteria: object) -> object:
        problems = list(getattr(problems, "problems", problems))
        hits = [
            p
            for p in problems
            if contains in str(p) and all(getattr(p, k) == v for k, v in criteria.items())
        ]
        listing = "\n".join(str(p) for p in problems)
        assert len(hits) == 1, f"{len(hits)} problems match {criteria} {contains!r} in:\n{listing}"
        return hits[0]

    return _find
