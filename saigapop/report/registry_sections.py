"""The horn-registry section: marked horns reconciled with removals, quotas and the CITES cap.

Registered in :data:`saigapop.report.sections.BUILDERS` under ``"registry"``. The computation
is :func:`saigapop.registry.report.registry_section` (which :func:`saigapop.report.build_payload`
calls once, at the door, when it is handed a validation); this module lays its tables out with
titled columns and units and registers its numbers in the
:class:`~saigapop.report.contracts.ValueBook`. The prose comes from the registry module as
:class:`~saigapop.locale.messages.Message` objects, rendered here in the report language.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from saigapop.locale.messages import Message, render
from saigapop.registry.report import RegistrySection
from saigapop.report.config import ReportConfig
from saigapop.report.contracts import Section, Table, ValueBook
from saigapop.report.i18n import _

__all__ = ["registry_quota_kg", "registry_report_section"]


def _columns() -> dict[str, str]:
    return {
        "population": _("Population"),
        "year": _("Year"),
        "calendar_year": _("Calendar year"),
        "item": _("Item"),
        "rows": _("Rows"),
        "fault": _("Fault"),
        "description": _("Description"),
        "removed": _("Removed (animals)"),
        "males_removed": _("Males removed (animals)"),
        "males_removed_max": _("Males removed, upper bound (animals)"),
        "horn_capacity": _("Horn capacity (horns)"),
        "horns_reported": _("Horns reported (horns)"),
        "horns_registered": _("Registered (horns)"),
        "horns_accepted": _("Accepted (horns)"),
        "horns_rejected": _("Rejected (horns)"),
        "stored": _("Stored (horns)"),
        "processed": _("Processed (horns)"),
        "exported": _("Exported (horns)"),
        "in_stock": _("In stock (horns)"),
        "in_stock_kg": _("In stock (kg)"),
        "exported_kg": _("Exported (kg)"),
        "horns_exported": _("Exported (horns)"),
        "exported_kg_accepted": _("Exported, accepted rows (kg)"),
        "from_stock_kg": _("From stock (kg)"),
        "from_new_harvest_kg": _("From the year's harvest (kg)"),
        "exported_kg_rejected": _("Exported, rejected rows (kg)"),
        "exported_kg_total": _("Exported in total (kg)"),
        "quota_kg": _("Quota (kg)"),
        "cap_kg": _("CITES cap (kg)"),
        "limit_kg": _("Limit (kg)"),
        "headroom_kg": _("Headroom (kg)"),
        "within_quota": _("Within the quota"),
        "within_cap": _("Within the cap"),
        "horns": _("Horns (horns)"),
        "kg": _("Mass (kg)"),
        "row": _("File row"),
        "mark": _("Mark (GS1)"),
        "message": _("Finding"),
    }


#: Columns laid out in the documents (the bundle keeps every column).
_SHOWN = {
    "population_year": (
        "population",
        "year",
        "males_removed",
        "horn_capacity",
        "horns_registered",
        "horns_accepted",
        "horns_rejected",
        "in_stock_kg",
        "exported_kg",
    ),
    "exports": (
        "calendar_year",
        "horns_exported",
        "from_stock_kg",
        "from_new_harvest_kg",
        "exported_kg_total",
        "quota_kg",
        "cap_kg",
        "within_quota",
        "within_cap",
    ),
    "findings_sample": ("row", "mark", "message"),
}


def _titles() -> dict[str, tuple[str, str]]:
    return {
        "accounting": (
            _("Registry accounting"),
            _("Rows read, accepted and rejected, by reason (a row may have several)."),
        ),
        "faults": (_("Faults found"), _("One row per kind of fault, with the rows that have it.")),
        "population_year": (
            _("Horns by population and year"),
            _(
                "Registered horns against the horns the recorded final removals can supply "
                "(two per male removed)."
            ),
        ),
        "exports": (
            _("Exports by calendar year"),
            _("Exported horn mass against the quota and the CITES cap."),
        ),
        "stock": (_("Horns in storage"), _("Accepted horns not yet exported, by population.")),
        "findings_sample": (
            _("Findings (first rows)"),
            _("The first findings, by file row; every finding is in the bundle's CSV."),
        ),
    }


def registry_quota_kg(quota: Any) -> dict[int, float] | None:
    """Return the export mass of the quota per year (kg).

    Read from a :class:`~saigapop.management.outcomes.QuotaInputs`.

    ``None`` when no allocation of the CITES cap was computed.
    """
    alloc = getattr(quota, "allocation", None)
    if alloc is None or "kg" not in alloc:
        return None
    kg = alloc["kg"].sum([d for d in alloc["kg"].dims if d != "year"])
    return {int(y): float(v) for y, v in zip(kg["year"].values, kg.values, strict=True)}


def _table(name: str, frame: pd.DataFrame) -> Table:
    labels = _columns()
    if name == "accounting":
        frame = frame.rename_axis("item")
    out = frame.reset_index() if frame.index.names[0] is not None else frame.reset_index(drop=True)
    for col in out.columns:  # True/False/missing columns (no quota that year) as words
        values = out[col].dropna()
        flags = pd.api.types.is_bool_dtype(out[col].dtype) or (
            out[col].dtype == object
            and len(values)
            and values.map(lambda v: isinstance(v, bool | np.bool_)).all()
        )
        if flags:
            out[col] = [_("n/a") if pd.isna(v) else (_("yes") if v else _("no")) for v in out[col]]
    for col in out.columns:  # sentences (the findings) in the report language
        if out[col].dtype == object and out[col].map(lambda v: isinstance(v, Message)).any():
            out[col] = [render(v) for v in out[col]]
    for col in ("year", "calendar_year"):  # identifiers: titled in the report language
        if col in out:  # below, where format_value no longer knows them as years
            out[col] = out[col].astype(str)
    shown = _SHOWN.get(name)
    out = out.rename(columns=lambda c: labels.get(str(c), str(c).replace("_", " ").capitalize()))
    display = tuple(labels.get(c, c) for c in shown if labels.get(c, c) in out) if shown else None
    title, caption = _titles().get(name, (name.replace("_", " ").capitalize(), ""))
    return Table(f"registry_{name}", title, out, caption=caption, display_columns=display)


def registry_report_section(
    inputs: Mapping[str, Any], vb: ValueBook, config: ReportConfig
) -> Section:
    """Build the horn-registry section.

    ``inputs["registry"]`` is a :class:`saigapop.registry.report.RegistrySection` (the
    reconciliation with removals, the quota's export mass per year and the CITES cap).

    Examples
    --------
    >>> from saigapop.registry import make_synthetic_registry, registry_section, validate_registry
    >>> synth = make_synthetic_registry(300, seed=2)
    >>> checked = registry_section(validate_registry(synth.registry, synth.removals))
    >>> vb = ValueBook()
    >>> s = registry_report_section({"registry": checked}, vb, ReportConfig())
    >>> vb.values["registry.horns_input"], s.tables[0].name
    (300, 'registry_accounting')
    """
    reg = inputs["registry"]
    if not isinstance(reg, RegistrySection):
        raise TypeError(
            "the horn registry section lays out a RegistrySection (saigapop.registry."
            "registry_section; build_payload makes one from a validate_registry result), "
            f"got {type(reg).__name__}"
        )
    for name, value in reg.numbers.items():
        if isinstance(value, float) and not np.isfinite(value):
            continue
        vb.add(f"registry.{name}", value, _("horn registry: {name}").format(name=name))
    tables = tuple(_table(name, frame) for name, frame in reg.tables.items())
    return Section(
        "registry",
        _("Monitoring and traceability: the horn registry"),
        tuple(render(p) for p in reg.prose),
        tables=tables,
    )
