"""Section builder for what each precaution costs in the quota.

Lays out the :func:`saigapop.management.precaution_costs` Dataset (handed over in
:attr:`~saigapop.management.outcomes.QuotaInputs.precautions`): the quota with each precaution
removed one at a time, and cumulatively in a stated order; it computes nothing. Registered
via :data:`saigapop.report.model_sections.MODEL_BUILDERS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from saigapop.locale import N_
from saigapop.report._quota_words import _pop, _pops, _quota
from saigapop.report.config import ReportConfig
from saigapop.report.contracts import Section, Table, ValueBook
from saigapop.report.i18n import _

__all__ = ["precautions_section", "precautions_summary"]

#: What removing each precaution means, for the tables and sentences.
_LABELS = {
    "trials": N_("all the reference trials at once (the fitted world alone)"),
    "p_star": N_("the P* buffer"),
    "sex_ratio_floor": N_("the absolute sex-ratio floor"),
    "wounding": N_("the wounding loss"),
    "trade_poaching": N_("trade-linked poaching"),
}


def _label(name: str) -> str:
    if name.startswith("trial:"):
        return _("the reference trial '{trial}'").format(trial=name.removeprefix("trial:"))
    return _(_LABELS.get(name, name))


def precautions_summary(quota: Any, vb: ValueBook, config: ReportConfig) -> list[str]:
    """Return the summary's sentence on the precautions (none when not computed)."""
    q = _quota({"quota": quota})
    ds: xr.Dataset | None = q.precautions
    if ds is None:
        return []
    parts = []
    for p in _pops(q, config):
        cost = ds["cost"].sel(population=p)
        top = str(cost["precaution"].values[int(np.argmax(cost.values))])
        none = vb.add(
            f"precautions.{p}.none",
            round(float(ds["cumulative"].sel(population=p).isel(step=-1))),
            _("{pop}: quota without any of the precautions").format(pop=_pop(p)),
        )
        gain = vb.add(
            f"precautions.{p}.largest_cost",
            round(float(cost.max())),
            _("{pop}: quota gained by removing the costliest precaution alone").format(pop=_pop(p)),
        )
        parts.append(
            _(
                "{pop}: {none} without any of them; the largest single gain, +{gain}, comes "
                "from removing {what}"
            ).format(pop=_pop(p), none=none, what=_label(top), gain=gain)
        )
    return [
        _(
            "What the precautions cost, in {unit} a year (section on the precautions): {parts}."
        ).format(unit=_unit(ds), parts="; ".join(parts))
    ]


def _unit(ds: xr.Dataset) -> str:
    return _("adult males") if ds.attrs.get("unit", "animals") == "animals" else _("rate")


def precautions_section(inputs: Mapping[str, Any], vb: ValueBook, config: ReportConfig) -> Section:
    """Build the precautions section: the quota without each, alone and cumulatively."""
    q = _quota(inputs)
    ds: xr.Dataset | None = q.precautions
    title = _("What each precaution costs in the quota")
    if ds is None:
        return Section(
            "precautions",
            title,
            (_("Not computed: the quota was supplied without the precautions' costs."),),
            computed=False,
        )
    pops = _pops(q, config)
    order = [str(s) for s in ds["step"].values]
    paragraphs = [
        _(
            "The recommended quota rests on precautions beyond the fitted world's risk "
            "criteria: the reference trials, the P* buffer ({p_star}), the absolute sex-ratio "
            "floor where the sex ratio is prior-driven, the wounding loss and trade-linked "
            "poaching. Each is removed from the full procedure and the quota solved again with "
            "the same fit, seed, draws, limits and cull plan: one at a time (the others kept) "
            "and cumulatively in the order {order}. The cost is the quota gained; a negative "
            "cost is shown as computed. A reference trial left out gives the smallest quota of "
            "the other trials and the fitted world."
        ).format(p_star=ds.attrs.get("p_star", 0.1), order=", ".join(_label(s) for s in order))
    ]
    alone, cumulative = [], []
    for name in [str(n) for n in ds["precaution"].values]:
        row: dict[str, Any] = {"Removed": _label(name)}
        for p in pops:
            value = round(float(ds["without"].sel(precaution=name, population=p)))
            row[_pop(p)] = value
            row[_("{pop}, cost").format(pop=_pop(p))] = round(
                float(ds["cost"].sel(precaution=name, population=p))
            )
        alone.append(row)
    full = {"Removed": _("nothing (the recommended quota)")}
    full.update({_pop(p): round(float(ds["full"].sel(population=p))) for p in pops})
    for name in order:
        row = {"Removed": _label(name)}
        for p in pops:
            value = round(float(ds["cumulative"].sel(step=name, population=p)))
            vb.add(
                f"precautions.{p}.cumulative.{name}",
                value,
                _("{pop}: quota with {what} and every earlier precaution removed").format(
                    pop=_pop(p), what=_label(name)
                ),
            )
            row[_pop(p)] = value
            row[_("{pop}, step gain").format(pop=_pop(p))] = round(
                float(ds["step_cost"].sel(step=name, population=p))
            )
        cumulative.append(row)
    tables = (
        Table(
            "precautions_alone",
            _("Quota with one precaution removed"),
            pd.DataFrame([full, *alone]),
            caption=_("Adult males a year; cost = quota without it − recommended quota."),
        ),
        Table(
            "precautions_cumulative",
            _("Quota with the precautions removed cumulatively"),
            pd.DataFrame([full, *cumulative]),
            caption=_(
                "Adult males a year; each row keeps the earlier rows' removals; step gain = "
                "this row − the row above."
            ),
        ),
    )
    return Section("precautions", title, tuple(paragraphs), tables=tables)
