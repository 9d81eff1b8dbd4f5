"""Resolve population names: canonical Kazakh names, their aliases, and user-declared names."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from saigapop.constants import KAZAKH_POPULATIONS, POPULATION_ALIASES, TOTAL
from saigapop.exceptions import ConfigError

__all__ = ["PopulationResolver", "UnknownPopulationError"]

#: Similarity (difflib ratio) above which an unknown name is reported as a likely misspelling.
SUGGESTION_CUTOFF = 0.75


class UnknownPopulationError(ValueError):
    """A population name is neither known nor declared; the message says what to do."""


class PopulationResolver:
    """Map population names as written in data to canonical names.

    Matching is case-insensitive and ignores surrounding whitespace. Known names are the Kazakh
    populations (:data:`saigapop.constants.KAZAKH_POPULATIONS`) with their aliases
    (:data:`saigapop.constants.POPULATION_ALIASES`), the reserved national name ``total``,
    and any names declared with ``populations=``.

    Parameters
    ----------
    populations
        Extra populations to accept (e.g. ``["Kalmykia"]``). A declared name that is an alias of
        a Kazakh population resolves to that population.

    Examples
    --------
    >>> from saigapop.io.populations import PopulationResolver
    >>> r = PopulationResolver(["Kalmykia"])
    >>> r.resolve("betpak-dala"), r.resolve("Бетпакдала"), r.resolve("KALMYKIA"), r.resolve("Total")
    ('Betpakdala', 'Betpakdala', 'Kalmykia', 'total')
    >>> r.resolve("Betpakdla")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    saigapop.io.populations.UnknownPopulationError: ... did you mean 'Betpakdala'? ...
    """

    def __init__(self, populations: Iterable[str] | None = None) -> None:
        if isinstance(populations, str):
            populations = [populations]
        self._lookup: dict[str, str] = dict(POPULATION_ALIASES)
        self._lookup[TOTAL] = TOTAL
        declared: list[str] = []
        for name in populations or ():
            if not isinstance(name, str) or not name.strip():
                raise ConfigError(f"populations= must be non-empty strings, got {name!r}")
            key = name.strip().casefold()
            if key == TOTAL:
                raise ConfigError(
                    f"'{TOTAL}' is reserved for national rows; it is not a population"
                )
            if key in self._lookup:
                canonical = self._lookup[key]
                if canonical not in KAZAKH_POPULATIONS and canonical not in declared:
                    declared.append(canonical)
                continue
            self._lookup[key] = name.strip()
            declared.append(name.strip())
        self.declared: tuple[str, ...] = tuple(n for n in declared if n not in KAZAKH_POPULATIONS)

    @property
    def known(self) -> tuple[str, ...]:
        """All accepted canonical population names: Kazakh order first, then declared ones."""
        return (*KAZAKH_POPULATIONS, *self.declared)

    def resolve(self, name: str) -> str:
        """Return the canonical name for ``name`` (``'total'`` for national rows).

        Raises
        ------
        UnknownPopulationError
            If the name is neither known nor declared; suggests the closest known name.
        """
        key = " ".join(name.split()).casefold()
        if key in self._lookup:
            return self._lookup[key]
        close = difflib.get_close_matches(key, list(self._lookup), n=1, cutoff=SUGGESTION_CUTOFF)
        if close:
            raise UnknownPopulationError(
                f"unknown population '{name}' — did you mean '{self._lookup[close[0]]}'? "
                "Declare new populations with populations=[...]"
            )
        known = ", ".join(self.known)
        raise UnknownPopulationError(
            f"unknown population '{name}' — known populations are {known} and '{TOTAL}' for "
            f"national rows; declare a new population with populations=['{name}']"
        )
