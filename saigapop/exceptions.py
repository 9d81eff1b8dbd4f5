"""Exception and warning hierarchy.

Every error saigapop raises on purpose derives from :class:`SaigapopError`, every warning it
issues on purpose from :class:`SaigapopWarning`.
"""

from __future__ import annotations


class SaigapopError(Exception):
    """Base class for saigapop errors."""


class DataValidationError(SaigapopError, ValueError):
    """Input data failed validation.

    Parameters
    ----------
    problems
        Every problem found, each a :class:`saigapop.io.Problem` naming file, row,
        column, value and the rule that failed. All are reported at once.
    """

    def __init__(self, problems: list) -> None:
        self.problems = list(problems)
        lines = [f"{len(self.problems)} problem(s) in the input data:"]
        lines += [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))


class ConfigError(SaigapopError, ValueError):
    """A configuration value is invalid."""


class SaigapopWarning(UserWarning):
    """Base class for warnings saigapop issues on purpose."""


class DataWarning(SaigapopWarning):
    """A data problem that does not stop validation (e.g. a die-off with no count that year).

    Each such problem is kept on :attr:`saigapop.SaigaData.warnings` and also issued once as
    this warning, so that notebooks and scripts show it.
    """
