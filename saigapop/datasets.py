"""The bundled Kazakhstan data (``data/`` in the repository; ``saigapop/_data`` in a wheel)."""

from __future__ import annotations

import importlib.resources
import re
import warnings
from collections.abc import Iterable
from pathlib import Path

from saigapop.exceptions import DataWarning, SaigapopError
from saigapop.io.dataset import SaigaData

__all__ = ["BUNDLED_FILES", "BUNDLED_WARNINGS", "bundled_data_dir", "load_kazakhstan"]

#: The bundled tables, by role.
BUNDLED_FILES: dict[str, str] = {
    "census": "census.csv",
    "removals": "removals.csv",
    "composition": "composition.csv",
    "offtake": "offtake_plan.csv",
}

#: The warnings the bundled data are known to give (die-offs in years without a count), exactly
#: as :class:`~saigapop.exceptions.DataWarning` messages. :func:`load_kazakhstan` silences these
#: and nothing else; a test pins the list, so a new warning on the bundled data is noticed.
BUNDLED_WARNINGS: tuple[str, ...] = tuple(
    f"warning: removals.csv, row {row}, column 'value': '{value}' — cannot check this final "
    f"mass_mortality against abundance: no count for {population} in {year}"
    for row, value, population, year in [
        (19, "100000", "Betpakdala", 1981),
        (20, "434000", "Betpakdala", 1988),
        (21, "12000", "Ural", 2010),
        (24, "134252", "Betpakdala", 2015),
        (25, "200000", "Betpakdala", 2015),
    ]
)


def bundled_data_dir() -> Path:
    """Return the folder holding the bundled data files.

    An installed wheel ships ``data/`` as ``saigapop/_data``; an editable install reads the
    repository's ``data/`` folder directly (there is one copy of the data).

    Raises
    ------
    saigapop.exceptions.SaigapopError
        If neither folder exists.

    Examples
    --------
    >>> import saigapop as sp
    >>> (sp.bundled_data_dir() / "census.csv").is_file()
    True
    """
    packaged = importlib.resources.files("saigapop") / "_data"
    if packaged.is_dir():
        return Path(str(packaged))
    repository = Path(__file__).resolve().parents[1] / "data"
    if repository.is_dir():
        return repository
    raise SaigapopError(
        f"bundled data not found: looked in {packaged} (installed package) and {repository} "
        "(source checkout); reinstall saigapop"
    )


def load_kazakhstan(*, populations: Iterable[str] | None = None) -> SaigaData:
    """Load and validate the bundled census, removals, composition and offtake plan (Kazakhstan).

    Parameters
    ----------
    populations
        Extra populations to accept (only useful with data added to the bundled files).

    Returns
    -------
    SaigaData
        Betpakdala, Ural and Ustyurt; every row with its source and line number. The offtake
        plan for 2026–2028 (``data/offtake_plan.csv``) is :attr:`~saigapop.SaigaData.offtake`:
        scenarios ``default`` (the 2025 realised cull level, no plan being published) and
        ``zero_culls``. The known warnings (:data:`BUNDLED_WARNINGS`) are on
        :attr:`~saigapop.SaigaData.warnings` but not issued as Python warnings; any other
        warning is.

    Raises
    ------
    saigapop.exceptions.SaigapopError
        If a bundled file is missing.
    saigapop.exceptions.DataValidationError
        If the bundled data fail validation (they should not: this is tested).

    Examples
    --------
    >>> import saigapop as sp
    >>> data = sp.load_kazakhstan()
    >>> data.populations
    ('Betpakdala', 'Ural', 'Ustyurt')
    >>> int(data.to_xarray()["count"].sel(population="Ustyurt", year=2025))
    78000
    >>> data.offtake.scenarios, data.offtake.years
    (('default', 'zero_culls'), (2026, 2027, 2028))
    """
    folder = bundled_data_dir()
    paths = {role: folder / name for role, name in BUNDLED_FILES.items()}
    missing = [str(p) for p in paths.values() if not p.is_file()]
    if missing:
        raise SaigapopError(f"bundled data file(s) missing: {', '.join(missing)}")
    with warnings.catch_warnings():
        for message in BUNDLED_WARNINGS:
            warnings.filterwarnings(
                "ignore", message=re.escape(message) + "$", category=DataWarning
            )
        return SaigaData.from_files(
            paths["census"],
            paths["removals"],
            paths["composition"],
            offtake=paths["offtake"],
            populations=populations,
        )
