"""The outcome of a registry validation: every row's status and reasons, and the findings.

:func:`saigapop.registry.validate_registry` builds a :class:`RegistryValidation`; this module
holds the result and the tables read from it (counts per fault, the accounting of input rows,
the findings as :class:`saigapop.io.Problem`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from saigapop.exceptions import DataValidationError
from saigapop.io.problems import Problem
from saigapop.registry.schema import FAULTS, HORN_MASS_G_PLAUSIBLE

__all__ = ["FINDING_COLUMNS", "RegistryValidation"]

#: Columns of :attr:`RegistryValidation.findings`, in order.
FINDING_COLUMNS: tuple[str, ...] = (
    "row",
    "mark",
    "fault",
    "column",
    "value",
    "rule",
    "message",
    "finding",
)


@dataclass(frozen=True)
class RegistryValidation:
    """The outcome of :func:`validate_registry`.

    Attributes
    ----------
    table
        One row per input row, in input order: the registry columns parsed (dates as
        ``datetime64``, ``mass_g`` as float, text stripped, population/sex/age canonical), then
        ``row`` (line in the file), ``gtin``, ``serial``, ``year`` (model year of the harvest),
        ``status`` (``"accepted"`` or ``"rejected"``) and ``reasons`` (fault codes joined by
        ``";"``, empty when accepted). Extra input columns follow unchanged.
    findings
        One row per finding: ``row``, ``mark`` (as written), ``fault`` (a key of
        :data:`~saigapop.registry.FAULTS`), ``column``, ``value``, ``rule`` and ``message``
        (a sentence naming the row and the mark, in English), and ``finding`` (the same
        sentence as a :class:`~saigapop.locale.messages.Message`, rendered by the report in
        its language). Sorted by row.
    removals
        The males-removed summary used for the population-year checks
        (:func:`~saigapop.registry.males_removed`), or ``None`` if no removals were given.
    file
        Label of the input used in messages.
    mass_bounds
        The plausible per-horn mass envelope used, grams.
    as_of
        The as-of year the custody dates were checked against (``None``: not checked).
    """

    table: pd.DataFrame
    findings: pd.DataFrame
    removals: pd.DataFrame | None
    file: str
    mass_bounds: tuple[float, float] = field(default=HORN_MASS_G_PLAUSIBLE)
    as_of: int | None = None

    @property
    def n_input(self) -> int:
        """Number of input rows."""
        return len(self.table)

    @property
    def n_accepted(self) -> int:
        """Number of rows accepted."""
        return int((self.table["status"] == "accepted").sum())

    @property
    def n_rejected(self) -> int:
        """Number of rows rejected (each with at least one reason)."""
        return int((self.table["status"] == "rejected").sum())

    @property
    def accepted(self) -> pd.DataFrame:
        """The accepted rows of :attr:`table`."""
        return self.table.loc[self.table["status"] == "accepted"]

    @property
    def rejected(self) -> pd.DataFrame:
        """The rejected rows of :attr:`table`."""
        return self.table.loc[self.table["status"] == "rejected"]

    def fault_counts(self) -> pd.Series:
        """Rows with each fault (a row may have several), for every fault type.

        Returns
        -------
        pandas.Series
            Indexed by fault code in :data:`~saigapop.registry.FAULTS` order, named ``rows``.
        """
        counts = self.findings.drop_duplicates(["row", "fault"])["fault"].value_counts()
        return counts.reindex(list(FAULTS), fill_value=0).astype("int64").rename("rows")

    def accounting(self) -> pd.DataFrame:
        """Input rows split into accepted and rejected, with rejections by reason.

        Returns
        -------
        pandas.DataFrame
            Index ``input``, ``accepted``, ``rejected``, then one line per fault (rows with
            that fault; a row may count under several faults), column ``rows``.
        """
        head = pd.Series(
            {"input": self.n_input, "accepted": self.n_accepted, "rejected": self.n_rejected},
            dtype="int64",
        )
        counts = self.fault_counts()
        counts.index = [f"rejected: {code}" for code in counts.index]
        return pd.concat([head, counts]).rename("rows").to_frame()

    def problems(self) -> list[Problem]:
        """Every finding as a :class:`saigapop.io.Problem` (all errors), in row order."""
        return [
            Problem(
                self.file,
                int(r.row),
                r.column if isinstance(r.column, str) else None,
                r.value,
                f"mark {r.mark}: {r.rule} [{r.fault}]",
            )
            for r in self.findings.itertuples(index=False)
        ]

    def raise_if_rejected(self) -> None:
        """Raise :class:`~saigapop.exceptions.DataValidationError` if any row was rejected."""
        if len(self.findings):
            raise DataValidationError(self.problems())
