"""Problems found in input data: one record per failed rule, reported all together."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from saigapop.exceptions import DataValidationError

__all__ = ["DataWarning", "Problem", "raise_if_errors", "split_problems"]

Severity = Literal["error", "warning"]


class DataWarning(UserWarning):
    """A data problem that does not stop validation (e.g. a die-off with no count that year)."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem in one place of one input file.

    Parameters
    ----------
    file
        Label of the file (its name, or ``<census frame>`` for an in-memory frame).
    row
        1-based line number in the file: the header is line 1, so the first data row is 2.
        ``None`` for a file-level problem.
    column
        Column concerned, or ``None``.
    value
        The offending value exactly as read (a string), or ``None``.
    rule
        What was expected, in words.
    severity
        ``"error"`` (validation fails) or ``"warning"`` (kept and reported).

    Examples
    --------
    >>> from saigapop.io import Problem
    >>> print(Problem("census.csv", 14, "value", "-5", "expected a non-negative number"))
    census.csv, row 14, column 'value': '-5' — expected a non-negative number
    """

    file: str
    row: int | None
    column: str | None
    value: str | None
    rule: str
    severity: Severity = "error"

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column '{self.column}'"
        if self.value is not None:
            where += f": '{self.value}'"
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{prefix}{where} — {self.rule}"

    @property
    def is_error(self) -> bool:
        """Whether this problem makes validation fail."""
        return self.severity == "error"


def split_problems(problems: Iterable[Problem]) -> tuple[list[Problem], list[Problem]]:
    """Split problems into (errors, warnings), each in a stable order (file, row, column)."""
    problems = sorted(problems, key=_order)
    return [p for p in problems if p.is_error], [p for p in problems if not p.is_error]


def raise_if_errors(problems: Iterable[Problem], *, warn: bool = False) -> list[Problem]:
    """Raise :class:`DataValidationError` listing every error; return the warnings.

    With ``warn=True`` each warning is also issued as a :class:`DataWarning`.
    """
    errors, warns = split_problems(problems)
    if errors:
        raise DataValidationError(errors)
    if warn:
        for problem in warns:
            warnings.warn(str(problem), DataWarning, stacklevel=4)
    return warns


def _order(problem: Problem) -> tuple[str, int, str]:
    return (problem.file, -1 if problem.row is None else problem.row, problem.column or "")
