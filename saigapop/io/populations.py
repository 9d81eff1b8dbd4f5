"""Resolve population names: canonical Kazakh names, their aliases, and user-declared names."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

import pandas as pd

from saigapop.constants import KAZAKH_POPULATIONS, POPULATION_ALIASES, TOTAL
from saigapop.exceptions import ConfigError

__all__ = ["PopulationResolver", "UnknownPopulationError", "canonical_population", "population_key"]

#: Similarity (difflib ratio) above which an unknown name is reported as a likely misspelling.
SUGGESTION_CUTOFF = 0.75


def population_key(name: str) -> str:
    """Return the key a population name is looked up by: whitespace folded, case folded.

    Examples
    --------
    >>> population_key("  Betpak   Dala ")
    'betpak dala'
    """
    return " ".join(name.split()).casefold()


def canonical_population(names: pd.Series) -> pd.Series:
    """Map population names to canonical spellings, keeping names that are not aliases.

    The aliases are :data:`~saigapop.constants.POPULATION_ALIASES`. Names are matched as
    :func:`population_key` does (case and whitespace folded); names that are not aliases are
    returned stripped but otherwise unchanged. Unlike :class:`PopulationResolver`, unknown
    names are kept, not rejected.

    Examples
    --------
    >>> import pandas as pd
    >>> canonical_population(pd.Series(["betpak-dala", " Ural", "Volga-Ural", "Mongolia"])).tolist()
    ['Betpakdala', 'Ural', 'Ural', 'Mongolia']
    """
    text = names.fillna("").astype(str).str.strip()
    keys = text.str.split().str.join(" ").str.casefold()
    return keys.map(POPULATION_ALIASES).fillna(text).astype(str)


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
            key = population_key(name)
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
        key = population_key(name)
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
