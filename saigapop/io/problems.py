"""Problems found in input data: one record per failed rule, reported all together."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from saigapop.exceptions import DataValidationError, DataWarning

__all__ = ["DataWarning", "Problem", "emit_warnings", "raise_if_errors", "split_problems"]

Severity = Literal["error", "warning"]


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
    follow_on
        Whether the problem may only follow from another one reported with it (for example a
        check across tables whose census row failed); shown as ``follow-on:``.
    index
        For a row of an in-memory frame, its index label (shown after the row number).

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
    follow_on: bool = False
    index: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
            if self.index is not None:
                where += f" (index {self.index})"
        if self.column is not None:
            where += f", column '{self.column}'"
        if self.value is not None:
            where += f": '{self.value}'"
        prefix = "warning: " if self.severity == "warning" else ""
        if self.follow_on:
            prefix += "follow-on: "
        return f"{prefix}{where} — {self.rule}"

    @property
    def is_error(self) -> bool:
        """Whether this problem makes validation fail."""
        return self.severity == "error"


def split_problems(problems: Iterable[Problem]) -> tuple[list[Problem], list[Problem]]:
    """Split problems into (errors, warnings), each in a stable order (file, row, column)."""
    problems = sorted(problems, key=_order)
    return [p for p in problems if p.is_error], [p for p in problems if not p.is_error]


def raise_if_errors(
    problems: Iterable[Problem], *, warn: bool = False, stacklevel: int = 4
) -> list[Problem]:
    """Raise :class:`DataValidationError` listing every error; return the warnings.

    Errors that only follow from others come after them. With ``warn=True`` each warning is
    also issued (once) as a :class:`~saigapop.exceptions.DataWarning`, with ``stacklevel`` as
    for :func:`warnings.warn` called here (the default 4 points at the caller of a public
    reader that calls a helper that calls this).
    """
    errors, warns = split_problems(problems)
    if errors:
        raise DataValidationError(sorted(errors, key=lambda p: p.follow_on))
    if warn:
        emit_warnings(warns, stacklevel=stacklevel)
    return warns


def emit_warnings(problems: Iterable[Problem], *, stacklevel: int = 2) -> None:
    """Issue each problem as a :class:`~saigapop.exceptions.DataWarning`.

    ``stacklevel`` is as for :func:`warnings.warn` called by the caller of this function.

    Examples
    --------
    >>> import warnings
    >>> from saigapop.io import DataWarning, Problem
    >>> from saigapop.io.problems import emit_warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     emit_warnings([Problem("c.csv", 3, None, None, "empty row ignored", "warning")])
    >>> [str(w.message) for w in caught], caught[0].category is DataWarning
    (['warning: c.csv, row 3 — empty row ignored'], True)
    """
    for problem in problems:
        warnings.warn(str(problem), DataWarning, stacklevel=stacklevel + 1)


def _order(problem: Problem) -> tuple[str, int, str]:
    return (problem.file, -1 if problem.row is None else problem.row, problem.column or "")
