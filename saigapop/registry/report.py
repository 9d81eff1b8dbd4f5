"""The horn-registry section of the justification report (monitoring and traceability)."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pandas as pd

from saigapop.constants import CITES_CAP_KG, POPULATION, YEAR
from saigapop.locale import N_, NP_
from saigapop.locale.messages import Message, Term
from saigapop.registry.reconcile import Reconciliation, reconcile
from saigapop.registry.schema import FAULTS
from saigapop.registry.validate import RegistryValidation

__all__ = ["RegistrySection", "registry_section"]


@dataclass(frozen=True)
class RegistrySection:
    """A report section: tables, numbers and prose, computed once; rendering is elsewhere.

    Attributes
    ----------
    title
        Section title.
    tables
        Read-only mapping name -> DataFrame: ``accounting``, ``faults``, ``population_year``,
        ``exports``, ``stock``, ``findings_sample``.
    numbers
        Read-only mapping name -> number quoted in the prose (counts as ``int``, kg as
        ``float``).
    prose
        Paragraphs, each a :class:`~saigapop.locale.messages.Message` (``str`` gives the
        English; the report renders it in its language).
    """

    title: str
    tables: Mapping[str, pd.DataFrame]
    numbers: Mapping[str, float | int]
    prose: tuple[Message, ...]


def registry_section(
    validation: RegistryValidation,
    reconciliation: Reconciliation | None = None,
    *,
    quota_kg: Mapping[int, float] | pd.Series | None = None,
    cap_kg: float = CITES_CAP_KG,
    max_findings: int = 20,
) -> RegistrySection:
    """Build the report section on the horn registry.

    Parameters
    ----------
    validation
        Result of :func:`~saigapop.registry.validate_registry`.
    reconciliation
        Result of :func:`~saigapop.registry.reconcile`; computed here (with ``quota_kg`` and
        ``cap_kg``) when not given.
    quota_kg, cap_kg
        Passed to :func:`~saigapop.registry.reconcile` when ``reconciliation`` is ``None``.
    max_findings
        Number of findings quoted in the ``findings_sample`` table.

    Returns
    -------
    RegistrySection
        A frozen object with tables, numbers and prose.

    Examples
    --------
    >>> from saigapop.registry import make_synthetic_registry, validate_registry
    >>> synth = make_synthetic_registry(1_000, faults={"female_horn": 2}, seed=1)
    >>> section = registry_section(validate_registry(synth.registry, synth.removals))
    >>> section.numbers["horns_input"], section.numbers["horns_rejected"]
    (1000, 2)
    >>> print(section.prose[0])  # doctest: +ELLIPSIS
    The horn registry lists 1,000 horns: 998 accepted and 2 rejected...
    """
    rec = reconciliation or reconcile(validation, quota_kg=quota_kg, cap_kg=cap_kg)
    faults = validation.fault_counts().to_frame()
    faults.insert(0, "description", [FAULTS[c] for c in faults.index])
    exports = rec.exports_by_year
    numbers: dict[str, float | int] = {
        "horns_input": validation.n_input,
        "horns_accepted": validation.n_accepted,
        "horns_rejected": validation.n_rejected,
        "stock_horns": int(rec.stock["horns"].sum()),
        "stock_kg": round(rec.stock_kg, 1),
        "cap_kg": float(cap_kg),
    }
    for year, line in exports.iterrows():
        numbers[f"exported_kg_{year}"] = round(float(line["exported_kg_total"]), 1)
        numbers[f"from_stock_kg_{year}"] = round(float(line["from_stock_kg"]), 1)

    prose = [_accounting_prose(validation, faults)]
    py = rec.by_population_year
    prose.append(_removals_prose(validation, py))
    if len(exports):
        prose.append(
            Message(
                N_(
                    "Exports per calendar year against the quota and the CITES cap of "
                    "{cap:,.0f} kg: {parts}. Exports from stock come from animals already "
                    "removed and add no mortality; rejected rows that record an export are "
                    "counted in the totals."
                ),
                {
                    "cap": float(cap_kg),
                    "parts": _semicolons([_export_year(i) for i in exports.iterrows()]),
                },
            )
        )
    prose.append(
        Message(
            N_("Stock available for export: {n:,} accepted horns in storage ({kg:,.1f} kg)."),
            {"n": numbers["stock_horns"], "kg": numbers["stock_kg"]},
        )
    )
    tables = {
        "accounting": rec.accounting,
        "faults": faults,
        "population_year": py,
        "exports": exports,
        "stock": rec.stock,
        # the finding as a message (the report renders it in its language; str is English)
        "findings_sample": validation.findings.head(max_findings)[
            ["row", "mark", "fault", "finding"]
        ].rename(columns={"finding": "message"}),
    }
    return RegistrySection(
        title="Monitoring and traceability: the horn registry",
        tables=MappingProxyType(tables),
        numbers=MappingProxyType(numbers),
        prose=tuple(prose),
    )


def _export_year(item: tuple) -> Message:
    """One calendar year of exports against its quota and limit."""
    year, line = item
    total, quota, limit = (float(line[c]) for c in ("exported_kg_total", "quota_kg", "limit_kg"))
    values = {
        "year": str(year),
        "total": total,
        "stock": float(line["from_stock_kg"]),
        "new": float(line["from_new_harvest_kg"]),
        "quota": quota,
        "limit": limit,
    }
    if np.isnan(quota):
        template = (
            N_(
                "{year}: {total:,.1f} kg exported ({stock:,.1f} kg from stock, {new:,.1f} kg "
                "from that year's harvest); ABOVE the limit of {limit:,.0f} kg"
            )
            if total > limit
            else N_(
                "{year}: {total:,.1f} kg exported ({stock:,.1f} kg from stock, {new:,.1f} kg "
                "from that year's harvest); within the limit of {limit:,.0f} kg"
            )
        )
    else:
        template = (
            N_(
                "{year}: {total:,.1f} kg exported ({stock:,.1f} kg from stock, {new:,.1f} kg "
                "from that year's harvest), quota {quota:,.0f} kg; ABOVE the limit of "
                "{limit:,.0f} kg"
            )
            if total > limit
            else N_(
                "{year}: {total:,.1f} kg exported ({stock:,.1f} kg from stock, {new:,.1f} kg "
                "from that year's harvest), quota {quota:,.0f} kg; within the limit of "
                "{limit:,.0f} kg"
            )
        )
    return Message(template, values)


def _removals_prose(validation: RegistryValidation, py: pd.DataFrame) -> Message:
    if validation.removals is None:
        return Message(
            N_("No removals were given, so the horns were not checked against removals.")
        )
    table = validation.table
    unexplained = table.loc[table["reasons"].str.contains("no_recorded_removal", regex=False)]
    checks = [
        Message.counted(
            NP_(
                "{n:,} horn registered for {population} {year}, where no final removal is recorded",
                "{n:,} horns registered for {population} {year}, where no final removal is "
                "recorded",
            ),
            "n",
            {"n": len(group), "population": Term(str(pop)), "year": str(year)},
        )
        for (pop, year), group in unexplained.groupby([POPULATION, YEAR])
    ]
    over = py.loc[py["horns_registered"] > py["horn_capacity"]]
    checks += [
        Message.counted(
            NP_(
                "{population} {year} has {n:,} horn registered against at most {capacity:,.0f} "
                "from the {males:,.0f} males removed (the last-harvested horns are rejected as "
                "the excess)",
                "{population} {year} has {n:,} horns registered against at most "
                "{capacity:,.0f} from the {males:,.0f} males removed (the last-harvested horns "
                "are rejected as the excess)",
            ),
            "n",
            {
                "population": Term(str(pop)),
                "year": str(year),
                "n": int(line["horns_registered"]),
                "capacity": float(line["horn_capacity"]),
                "males": float(line["males_removed_max"]),
            },
        )
        for (pop, year), line in over.iterrows()
    ]
    if not checks:
        return Message(
            N_(
                "Horns were checked against the removals of their population-year: every "
                "population-year's horns are covered by recorded removals."
            )
        )
    return Message(
        N_("Horns were checked against the removals of their population-year: {checks}."),
        {"checks": _semicolons(checks)},
    )


def _semicolons(clauses: Sequence[Message]) -> Message:
    """Clauses joined with semicolons, as one message (a sequence value joins with commas)."""
    return functools.reduce(lambda a, b: Message("{a}; {b}", {"a": a, "b": b}), clauses)


def _accounting_prose(validation: RegistryValidation, faults: pd.DataFrame) -> Message:
    values: dict[str, object] = {
        "n": validation.n_input,
        "accepted": validation.n_accepted,
        "rejected": validation.n_rejected,
    }
    found = faults.loc[faults["rows"] > 0]
    if not len(found):
        return Message(
            N_(
                "The horn registry lists {n:,} horns: {accepted:,} accepted and {rejected:,} "
                "rejected; no row has any fault."
            ),
            values,
        )
    values["reasons"] = tuple(
        Message("{fault} ({rows:,})", {"fault": Term(row.description), "rows": int(row.rows)})
        for row in found.itertuples()
    )
    return Message(
        N_(
            "The horn registry lists {n:,} horns: {accepted:,} accepted and {rejected:,} "
            "rejected. Rows rejected, by reason (a row may have several): {reasons}."
        ),
        values,
    )
