"""Validate a horn registry, vectorised: every row accepted or rejected with its reasons.

Every finding names the row (its line in the file; the first data row is 2) and the mark. No
row is ever dropped: ``n_accepted + n_rejected == n_input`` always holds.

This module is the driver: it reads and parses the registry (:mod:`._parsing`), runs the rules
(:mod:`._rules`) and assembles the :class:`~saigapop.registry.result.RegistryValidation`
(re-exported here).
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import numpy as np
import pandas as pd

from saigapop.constants import POPULATION, YEAR
from saigapop.exceptions import DataValidationError
from saigapop.io.plausibility import Plausibility
from saigapop.io.problems import Problem
from saigapop.registry._parsing import parse_columns
from saigapop.registry._rules import (
    Findings,
    check_as_of,
    check_biology,
    check_custody,
    check_marks,
    check_population_years,
    check_populations,
    check_values,
    registry_as_of,
    row_reasons,
)
from saigapop.registry.files import read_registry
from saigapop.registry.removals import males_removed
from saigapop.registry.result import FINDING_COLUMNS, RegistryValidation
from saigapop.registry.schema import HORN_MASS_G_PLAUSIBLE, REQUIRED_COLUMNS, STAGES

__all__ = ["FINDING_COLUMNS", "RegistryValidation", "validate_registry"]


def validate_registry(
    registry: pd.DataFrame | str | os.PathLike[str],
    removals: pd.DataFrame | None,
    *,
    mass_bounds: tuple[float, float] = HORN_MASS_G_PLAUSIBLE,
    file: str | None = None,
    populations: Iterable[str] | None = None,
    plausibility: Plausibility | None = None,
    census: pd.DataFrame | None = None,
) -> RegistryValidation:
    """Check every horn in a registry and accept or reject each row with its reasons.

    Parameters
    ----------
    registry
        A registry frame (typed, or all strings as read from a file) or the path of a CSV or
        Excel file. Required columns: see :data:`~saigapop.registry.REQUIRED_COLUMNS`;
        absent optional columns are treated as empty.
    removals
        The removals table (bundled column layout; only ``final`` rows in ``animals`` count).
        ``None`` skips the two population-year checks (``no_recorded_removal``,
        ``excess_horns``).
    mass_bounds
        Plausible (low, high) mass of one horn in grams; the default and its reasoning are in
        :data:`~saigapop.registry.HORN_MASS_G_PLAUSIBLE`.
    file
        Label used in messages (default: the file name, or ``<registry frame>``).
    populations
        Populations to accept besides Betpakdala, Ural and Ustyurt (and those named in
        ``removals``). Any other name is an ``invalid_value`` with the nearest known name
        suggested, never a ``no_recorded_removal``.
    plausibility
        Its ``as_of`` year bounds every custody date (to 31 December of that year). When it is
        ``None`` (the default), the as-of year is the latest year of a survey row of
        ``census`` + 1; without a census, the latest year of a final row of ``removals`` + 1;
        with neither, dates are not checked against an as-of year. Never the clock.
    census
        The census table (typed or as read), used only for the default as-of year.

    Returns
    -------
    RegistryValidation
        The parsed table with a status and reasons per row, and the findings.

    Raises
    ------
    DataValidationError
        If a required column is missing or a file cannot be read (no row can be judged).

    Examples
    --------
    >>> from saigapop.registry import make_synthetic_registry, validate_registry
    >>> synth = make_synthetic_registry(2_000, faults={"female_horn": 1}, seed=3)
    >>> result = validate_registry(synth.registry, synth.removals)
    >>> result.n_accepted + result.n_rejected == result.n_input == 2_000
    True
    >>> print(result.findings["message"].iloc[0])  # doctest: +ELLIPSIS
    row ..., mark (01)...(21)...: sex is 'female'; female saiga have no horns [female_horn]
    """
    if isinstance(registry, str | os.PathLike):
        registry = read_registry(registry)
    label = file or registry.attrs.get("file") or "<registry frame>"
    frame = registry.rename(columns=lambda c: str(c).strip().lower()).reset_index(drop=True)
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise DataValidationError(
            [Problem(label, None, c, None, "required registry column is missing") for c in missing]
        )
    lo, hi = mass_bounds
    if not lo < hi:
        raise ValueError(f"mass_bounds must be (low, high) with low < high, got {mass_bounds}")

    reg = parse_columns(frame)
    out = Findings(len(frame), reg.rows, reg.text["mark"])
    check_values(out, reg, registry.attrs.get("read_problems", []))
    unknown = check_populations(out, reg, populations, removals)
    as_of = registry_as_of(plausibility, census, removals)
    late = check_as_of(out, reg, as_of)
    check_marks(out, reg)
    check_biology(out, reg, lo, hi)
    check_custody(out, reg)
    summary = None if removals is None else males_removed(removals)
    if summary is not None:
        # A horn whose population or harvest date is wrong is reported as that, not as a
        # population-year without removals.
        check_population_years(out, reg, summary, unknown | late)

    findings = out.frame()
    reasons = row_reasons(len(frame), out.masks)
    text, dates = reg.text, reg.dates
    table = pd.DataFrame(
        {
            "mark": text["mark"],
            POPULATION: reg.population,
            "region": text["region"],
            "sex": reg.sex.fillna(text["sex"]),
            "age": reg.age.fillna(text["age"]),
            "mass_g": reg.mass,
            **{
                f"{stage}_{part}": (dates[stage] if part == "date" else text[f"{stage}_{part}"])
                for stage in STAGES
                for part in ("date", "place", "permit")
            },
            "row": reg.rows,
            "gtin": reg.marks["gtin"],
            "serial": reg.marks["serial"],
            YEAR: reg.model_year,
            "status": np.where(reasons == "", "accepted", "rejected"),
            "reasons": pd.Series(reasons, index=frame.index, dtype="str"),
        },
        index=frame.index,
    )
    extra = [c for c in frame.columns if c not in table.columns and c != "file"]
    table = pd.concat([table, frame[extra]], axis=1).reset_index(drop=True)
    return RegistryValidation(table, findings, summary, label, (float(lo), float(hi)), as_of)
