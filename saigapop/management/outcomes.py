"""The management results a report presents, as frozen data.

:class:`QuotaInputs` (the quota with its allocation, triggers, PBR, projected fans and
reference-case statistics) and :class:`TrialInputs` (robustness trials and the MSE) are
computed by :mod:`saigapop.management.analysis` and handed to :mod:`saigapop.report`, which
only lays them out. This module imports no sampler, so the report can import it cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import xarray as xr

from saigapop.locale.messages import Message
from saigapop.model.diagnostics import QUANTILES, quantile_bands

__all__ = ["QUANTILES", "QuotaInputs", "TrialInputs", "as_quota_inputs", "quantile_bands"]


@dataclass(frozen=True)
class QuotaInputs:
    """The quota solution and everything the report derives from it.

    Attributes
    ----------
    result
        The :class:`~saigapop.management.QuotaResult`.
    allocation
        :func:`~saigapop.management.allocate_cap` output (``year, population, source``).
    triggers
        :func:`~saigapop.management.compute_triggers` output (``year, population``).
    pbr
        :func:`~saigapop.management.pbr_table` output with the projected human offtake.
    bands
        Fan-chart quantiles: ``quantity`` (``total``, ``sex_ratio``), ``population``,
        ``series`` (``no export``, ``at the quota``), ``year``, ``q05`` … ``q95``.
    reference
        Per population: abundance, growth, sex-ratio and offtake statistics (one row per
        population, plain numbers).
    start_year
        The latest census year ``Y``.
    quota_years
        Years of the export harvest.
    stock_horns, stock_origin
        Horns in storage and the population they came from (0 and ``""`` without stock).
    curve
        A fine risk curve from zero to twice each population's quota (the solver's own grid
        is coarse), as :func:`~saigapop.management.risk_curve` returns it.
    programme
        The whole programme's answer (:class:`~saigapop.management.ProgrammeResult`: culls
        and export against no offtake, the largest constant adult-male removal), or ``None``.
    precautions
        What each precaution costs in the quota, one at a time and cumulatively
        (:func:`~saigapop.management.precaution_costs`), or ``None``.
    """

    result: Any
    allocation: xr.Dataset | None = None
    triggers: xr.Dataset | None = None
    pbr: xr.Dataset | None = None
    bands: pd.DataFrame | None = None
    reference: pd.DataFrame | None = None
    start_year: int | None = None
    quota_years: tuple[int, ...] = ()
    stock_horns: int = 0
    stock_origin: str = ""
    curve: xr.Dataset | None = None
    programme: Any = None
    precautions: xr.Dataset | None = None


@dataclass(frozen=True)
class TrialInputs:
    """Robustness trials and the management strategy evaluation.

    Attributes
    ----------
    trials
        :func:`~saigapop.management.run_trials` output or its ``trial_table``.
    mse
        :func:`~saigapop.management.mse.summarise_mse` output or its ``mse_table``.
    notes
        Sentences the report adds (e.g. the number of MSE replicates), as
        :class:`~saigapop.locale.messages.Message` objects rendered in the report's language.
    conditioning
        How trials that change the observation model were conditioned on the data:
        ``"reweighted"`` (importance weights, the default of
        :func:`~saigapop.management.run_trials`) or ``"refit"``.
    """

    trials: Any = None
    mse: Any = None
    notes: tuple[str | Message, ...] = field(default_factory=tuple)
    conditioning: str = "reweighted"


def as_quota_inputs(quota: Any) -> QuotaInputs:
    """Wrap a bare :class:`~saigapop.management.QuotaResult` (nothing derived)."""
    return quota if isinstance(quota, QuotaInputs) else QuotaInputs(result=quota)
