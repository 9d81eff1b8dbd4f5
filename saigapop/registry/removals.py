"""Males removed per population-year, from a removals table, for reconciling horns.

The removals table is taken as a plain :class:`pandas.DataFrame` with the bundled columns
``population, year, kind, status, timing, period, sex, age, unit, value, lower, upper, source,
notes``. Only rows with ``status == "final"`` and ``unit == "animals"`` are removals (DESIGN §3:
interim, planned and limit figures are never removals).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from saigapop.constants import POPULATION, TOTAL, YEAR
from saigapop.io.consistency import distinct_removals
from saigapop.io.populations import canonical_population  # the one alias lookup (re-exported)

__all__ = ["canonical_population", "males_removed"]

_REQUIRED = ("population", "year", "status", "sex", "unit", "value")
#: Removal kinds whose horn counts (``unit == "horns"``) are horns that enter the registry.
HORN_SOURCE_KINDS: tuple[str, ...] = ("cull", "harvest")


def males_removed(removals: pd.DataFrame) -> pd.DataFrame:
    """Summarise final removals per population and model year for the horn checks.

    Parameters
    ----------
    removals
        Removals table (see the module docstring). ``lower`` and ``upper`` are optional.

    Returns
    -------
    pandas.DataFrame
        Indexed by (``population``, ``year``) for every population-year with a final
        removal row, columns:

        ``removed``
            All animals removed (``value``, else ``lower``, else 0).
        ``males_removed``
            Horn-bearing males: rows with ``sex == "male"`` and an age class other than calf
            (``value``, else ``lower``).
        ``males_removed_max``
            The most horn-bearing males the removals allow: those male rows plus rows whose
            sex is not given, calves excluded (``upper``, else ``value``); infinite when such a
            row has neither. Calves (young of the year, four to six months old in the removal
            season) carry only horn buds, which are not registered.
        ``recorded``
            Whether any final row records a positive number of animals.
        ``horns_reported``
            Horns reported in final rows with ``unit == "horns"`` from culls and harvests (a
            cross-check on the registry, e.g. the ministry's 91,298 horns from the 2025 Ural
            cull); 0 where none.

        Rows for the national total (``population == "total"``) are not used: they cannot be
        attributed to a population (DESIGN §3 records an unknown split as bounds on each
        population's row instead).

    Examples
    --------
    >>> import pandas as pd
    >>> removals = pd.DataFrame(
    ...     {
    ...         "population": ["Ural", "Ural", "Ural"],
    ...         "year": [2025, 2025, 2025],
    ...         "status": ["final", "final", "interim"],
    ...         "sex": ["male", "female", "male"],
    ...         "unit": ["animals"] * 3,
    ...         "value": [500, 400, 900],
    ...     }
    ... )
    >>> summary = males_removed(removals)
    >>> summary.loc[("Ural", 2025), ["removed", "males_removed", "males_removed_max"]].tolist()
    [900.0, 500.0, 500.0]
    """
    missing = [c for c in _REQUIRED if c not in removals.columns]
    if missing:
        raise ValueError(f"the removals table lacks column(s) {missing}")
    rows = removals.copy()
    for col in ("value", "lower", "upper"):
        rows[col] = pd.to_numeric(rows[col], errors="coerce") if col in rows else np.nan
    unit = _lower(rows["unit"])
    kind = _lower(rows["kind"]) if "kind" in rows else pd.Series("", index=rows.index)
    horns_row = (unit == "horns") & kind.isin(HORN_SOURCE_KINDS)
    rows = rows.loc[(_lower(rows["status"]) == "final") & ((unit == "animals") | horns_row)]
    rows = distinct_removals(rows).copy()  # alternative reports of one removal count once
    animals = (_lower(rows["unit"]) == "animals").to_numpy()
    rows[POPULATION] = canonical_population(rows["population"])
    rows[YEAR] = pd.to_numeric(rows["year"], errors="coerce")
    keep = rows[YEAR].notna().to_numpy()
    rows, animals = rows.loc[keep], animals[keep]
    rows[YEAR] = rows[YEAR].astype("int64")
    sex = _lower(rows["sex"])
    age = _lower(rows["age"]) if "age" in rows else pd.Series("", index=rows.index)
    horned = ~age.isin(["calf", "young-of-year", "young of year"]) & animals
    best = rows["value"].fillna(rows["lower"]).fillna(0.0)
    most = rows["upper"].fillna(rows["value"]).fillna(np.inf)
    rows["removed"] = best.where(animals, 0.0)
    rows["males_removed"] = best.where((sex == "male") & horned, 0.0)
    rows["males_removed_max"] = most.where((sex != "female") & horned, 0.0)
    rows["recorded"] = (rows[["value", "lower", "upper"]].fillna(0.0).max(axis=1) > 0) & animals
    rows["horns_reported"] = best.where(~animals, 0.0)
    national = (rows[POPULATION].str.lower() == TOTAL).to_numpy()
    sums = dict.fromkeys(["removed", "males_removed", "males_removed_max", "horns_reported"], "sum")
    out = rows.loc[~national].groupby([POPULATION, YEAR], sort=True).agg(sums | {"recorded": "any"})
    out = out[["removed", "males_removed", "males_removed_max", "recorded", "horns_reported"]]
    out = out.astype({c: float for c in sums})
    return out


def _lower(series: pd.Series) -> pd.Series:
    return series.astype(object).where(series.notna(), "").astype(str).str.strip().str.lower()
