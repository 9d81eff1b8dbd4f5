"""The horn-registry section of the justification report (monitoring and traceability)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pandas as pd

from saigapop.constants import CITES_CAP_KG, POPULATION, YEAR
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
        Paragraphs, each a plain-text string.
    """

    title: str
    tables: Mapping[str, pd.DataFrame]
    numbers: Mapping[str, float | int]
    prose: tuple[str, ...]


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
        parts = []
        for year, line in exports.iterrows():
            total, quota, limit = (
                float(line[c]) for c in ("exported_kg_total", "quota_kg", "limit_kg")
            )
            quota_text = "" if np.isnan(quota) else f", quota {quota:,.0f} kg"
            verdict = "ABOVE" if total > limit else "within"
            parts.append(
                f"{year}: {total:,.1f} kg exported "
                f"({line['from_stock_kg']:,.1f} kg from stock, "
                f"{line['from_new_harvest_kg']:,.1f} kg from that year's harvest)"
                f"{quota_text}; {verdict} the limit of {limit:,.0f} kg"
            )
        prose.append(
            f"Exports per calendar year against the quota and the CITES cap of {cap_kg:,.0f} kg: "
            + "; ".join(parts)
            + ". Exports from stock come from animals already removed and add no "
            "mortality; rejected rows that record an export are counted in the totals."
        )
    prose.append(
        f"Stock available for export: {numbers['stock_horns']:,} accepted horns in storage "
        f"({numbers['stock_kg']:,.1f} kg)."
    )
    tables = {
        "accounting": rec.accounting,
        "faults": faults,
        "population_year": py,
        "exports": exports,
        "stock": rec.stock,
        "findings_sample": validation.findings.head(max_findings)[
            ["row", "mark", "fault", "message"]
        ],
    }
    return RegistrySection(
        title="Monitoring and traceability: the horn registry",
        tables=MappingProxyType(tables),
        numbers=MappingProxyType(numbers),
        prose=tuple(prose),
    )


def _removals_prose(validation: RegistryValidation, py: pd.DataFrame) -> str:
    if validation.removals is None:
        return "No removals were given, so the horns were not checked against removals."
    table = validation.table
    unexplained = table.loc[table["reasons"].str.contains("no_recorded_removal", regex=False)]
    checks = [
        f"{_horns(len(group))} registered for {pop} {year}, where no final removal is recorded"
        for (pop, year), group in unexplained.groupby([POPULATION, YEAR])
    ]
    over = py.loc[py["horns_registered"] > py["horn_capacity"]]
    checks += [
        f"{pop} {year} has {_horns(int(line['horns_registered']))} registered against at most "
        f"{line['horn_capacity']:,.0f} from the {line['males_removed_max']:,.0f} males removed "
        "(the last-harvested horns are rejected as the excess)"
        for (pop, year), line in over.iterrows()
    ]
    if not checks:
        return (
            "Horns were checked against the removals of their population-year: every "
            "population-year's horns are covered by recorded removals."
        )
    return (
        "Horns were checked against the removals of their population-year: "
        + "; ".join(checks)
        + "."
    )


def _horns(n: int) -> str:
    return f"{n:,} horn" + ("" if n == 1 else "s")


def _accounting_prose(validation: RegistryValidation, faults: pd.DataFrame) -> str:
    text = (
        f"The horn registry lists {validation.n_input:,} horns: "
        f"{validation.n_accepted:,} accepted and {validation.n_rejected:,} rejected"
    )
    found = faults.loc[faults["rows"] > 0]
    if len(found):
        reasons = ", ".join(f"{row.description} ({row.rows:,})" for row in found.itertuples())
        text += f". Rows rejected, by reason (a row may have several): {reasons}."
    else:
        text += "; no row has any fault."
    return text
