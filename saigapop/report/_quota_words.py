"""Helpers shared by the quota, fit and risk sections.

The quota inputs, the populations shown, criterion and event words, and the reference trials'
quotas read from the trial results.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pandas as pd
import xarray as xr

from saigapop.management.criteria import CRITERION_WORDS
from saigapop.management.outcomes import QuotaInputs, TrialInputs, as_quota_inputs
from saigapop.report.config import ReportConfig
from saigapop.report.formatting import format_value
from saigapop.report.i18n import _
from saigapop.report.vocabulary import population_name


def _pct(x: float) -> float:
    return 100.0 * float(x)


def _fmt(x: Any, name: str | None = None) -> str:
    return format_value(x, name)


def _quota(inputs: Mapping[str, Any]) -> QuotaInputs:
    return as_quota_inputs(inputs["quota"])


def _pops(q: QuotaInputs, config: ReportConfig) -> list[str]:
    pops = [str(p) for p in q.result.level["population"].values]
    if config.populations:
        pops = [p for p in pops if p in config.populations]
    return pops


def _crit_word(name: str) -> str:
    m = re.fullmatch(r"(\w+) \((.+)\)", name)  # "sex_ratio (trial)" from a robust quota
    if m:
        return f"{_crit_word(m[1])} ({m[2]})"
    return _(CRITERION_WORDS.get(name, name.replace("_", " ")))


def _pop(p: str) -> str:
    return population_name(p)


def _event_words(criterion: Any) -> str:
    """Describe the event whose probability is a criterion's absolute risk."""
    name = getattr(criterion, "name", "")
    if name == "abundance":
        return _("P(true abundance below its limit)")
    if name == "sex_ratio":
        return _("P(rut sex ratio below {floor} males per female)").format(
            floor=format_value(criterion.floor)
        )
    if name == "conception":
        return _("P(mate-shortage conception loss above {loss} %)").format(
            loss=format_value(100 * criterion.max_loss)
        )
    return _("P({criterion} fails)").format(criterion=_crit_word(name))


def _trial_frame(trials: Any) -> pd.DataFrame | None:
    obj = trials.trials if isinstance(trials, TrialInputs) else trials
    if isinstance(obj, Mapping) and not isinstance(obj, xr.Dataset):  # a Dataset is a Mapping
        obj = obj.get("trials")
    if obj is None:
        return None
    if isinstance(obj, xr.Dataset):  # run_trials output: read the columns shown here
        return pd.DataFrame(
            [
                {
                    "trial": str(t),
                    "population": str(p),
                    "set": str(obj["kind"].sel(trial=t).values),
                    "quota": float(obj["quota"].sel(trial=t, population=p)),
                }
                for t in obj["trial"].values
                for p in obj["population"].values
            ]
        )
    if isinstance(obj, pd.DataFrame):
        return obj.reset_index() if obj.index.names[0] is not None else obj
    raise TypeError(f"cannot read trials from {type(obj).__name__}")
