"""Section builder for the whole programme: culls and export against no offtake.

Lays out :class:`~saigapop.management.ProgrammeResult` (solved by
:func:`saigapop.management.solve_programme` and handed over in
:attr:`~saigapop.management.outcomes.QuotaInputs.programme`); it computes nothing. Registered
via :data:`saigapop.report.model_sections.MODEL_BUILDERS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from saigapop.locale.messages import render
from saigapop.report._quota_words import _crit_word, _pop, _pops, _quota
from saigapop.report.config import ReportConfig
from saigapop.report.contracts import Section, Table, ValueBook
from saigapop.report.i18n import _

__all__ = ["programme_section", "programme_summary"]


def programme_summary(quota: Any, vb: ValueBook, config: ReportConfig) -> list[str]:
    """Return the summary's sentences on the whole programme (none when it was not solved)."""
    q = _quota({"quota": quota})
    prog = q.programme
    if prog is None:
        return []
    national = prog.national()
    limit = vb.add(
        "programme.national.limit",
        round(national["limit"]),
        _("National limit on adult-male removals a year, whole programme"),
    )
    plannable = vb.add(
        "programme.national.plannable",
        round(national["plannable"]),
        _("National plannable adult-male removals a year (culls and export together)"),
    )
    return [
        _(
            "The whole programme (culls and export against no offtake): the largest constant "
            "removal of adult males a year that meets the same criteria is {limit} nationally, "
            "of which {plannable} may be planned as culls and exports together; the rest is "
            "expected poaching and wounding loss. By population it is in the section on the "
            "whole programme."
        ).format(limit=limit, plannable=plannable)
    ]


def programme_section(inputs: Mapping[str, Any], vb: ValueBook, config: ReportConfig) -> Section:
    """Build the whole-programme section: the adult-male limit per population and nationally."""
    q = _quota(inputs)
    prog = q.programme
    title = _("The whole programme: culls and export against no offtake")
    if prog is None:
        return Section(
            "programme",
            title,
            (_("Not computed: the quota was supplied without the whole-programme solution."),),
            computed=False,
        )
    pops = _pops(q, config)
    rows = []
    paragraphs = [
        _(
            "The export question asks what the export adds with the same culls in both arms. "
            "This section asks what the whole programme does: the plan's culls and the export "
            "together against no offtake at all (no culls, no export; baseline poaching kept; "
            "the removals already realised stay), judged by the same criteria. It gives the "
            "largest constant annual removal of adult males in the quota years, with the plan's "
            "female, calf and yearling removals kept, and its plannable part: the limit minus "
            "expected adult-male poaching and the wounding loss."
        ),
        render(prog.comparator),
    ]
    for p in pops:
        lim = vb.add(
            f"programme.{p}.limit",
            round(float(prog.limit.sel(population=p))),
            _("{pop}: limit on adult-male removals a year, whole programme").format(pop=_pop(p)),
        )
        plan = vb.add(
            f"programme.{p}.plannable",
            round(float(prog.plannable.sel(population=p))),
            _("{pop}: plannable adult-male removals a year").format(pop=_pop(p)),
        )
        other = float(prog.other_removals.sel(population=p).sum())
        rows.append(
            {
                "Population": _pop(p),
                "Limit (adult males a year)": round(float(prog.limit.sel(population=p))),
                "Plannable (adult males a year)": round(float(prog.plannable.sel(population=p))),
                "Expected poaching (adult males a year)": round(
                    float(prog.poaching.sel(population=p))
                ),
                "Wounding loss (adult males a year)": round(float(prog.wounding.sel(population=p))),
                "Other planned removals (animals a year)": round(other),
                "Binding criterion": _crit_word(str(prog.binding.sel(population=p).values)),
            }
        )
        paragraphs.append(
            _("{pop}: limit {limit}, plannable {plannable}. {reason}").format(
                pop=_pop(p),
                limit=lim,
                plannable=plan,
                reason=render(prog.reason.sel(population=p).item()),
            )
        )
    national = prog.national()
    rows.append(
        {
            "Population": _("National"),
            "Limit (adult males a year)": round(national["limit"]),
            "Plannable (adult males a year)": round(national["plannable"]),
            "Expected poaching (adult males a year)": round(national["poaching"]),
            "Wounding loss (adult males a year)": round(national["wounding"]),
            "Other planned removals (animals a year)": round(float(prog.other_removals.sum())),
            "Binding criterion": "",
        }
    )
    table = Table(
        "programme_limits",
        _("Largest constant adult-male removal a year, whole programme"),
        pd.DataFrame(rows),
        caption=_(
            "Limit = plannable + wounding loss + expected poaching (each rounded to whole "
            "animals). Other planned removals: the "
            "plan's female, calf and yearling removals a year, kept in the candidate arm. The "
            "national row sums the populations; each meets the criteria on its own."
        ),
    )
    return Section("programme", title, tuple(paragraphs), tables=(table,))
