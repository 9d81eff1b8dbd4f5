"""The bundled Kazakhstan data (``data/`` in the repository; ``saigapop/_data`` in a wheel)."""

from __future__ import annotations

import importlib.resources
from collections.abc import Iterable
from pathlib import Path

from saigapop.exceptions import SaigapopError
from saigapop.io.dataset import SaigaData

__all__ = ["BUNDLED_FILES", "bundled_data_dir", "load_kazakhstan"]

#: The bundled tables, by role.
BUNDLED_FILES: dict[str, str] = {
    "census": "census.csv",
    "removals": "removals.csv",
    "composition": "composition.csv",
}


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
    """Load and validate the bundled census, removals and composition data for Kazakhstan.

    Parameters
    ----------
    populations
        Extra populations to accept (only useful with data added to the bundled files).

    Returns
    -------
    SaigaData
        Betpakdala, Ural and Ustyurt; every row with its source and line number.

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
    """
    folder = bundled_data_dir()
    paths = {role: folder / name for role, name in BUNDLED_FILES.items()}
    missing = [str(p) for p in paths.values() if not p.is_file()]
    if missing:
        raise SaigapopError(f"bundled data file(s) missing: {', '.join(missing)}")
    return SaigaData.from_files(
        paths["census"], paths["removals"], paths["composition"], populations=populations
    )
