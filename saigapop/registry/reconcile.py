"""Reconcile a validated registry with removals, stock and export quotas.

Counts of horns by custody stage are per population x model year of harvest (the ``year``
dimension of DESIGN §3); exports are per *calendar* year (``calendar_year``), because the CITES
cap and the export quota are per calendar year.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from saigapop.constants import CITES_CAP_KG, HORNS_PER_MALE, POPULATION, TOTAL, YEAR
from saigapop.registry.validate import RegistryValidation

__all__ = ["CALENDAR_YEAR", "Reconciliation", "reconcile"]

#: Dimension name of per-calendar-year export tables (not the model year ``year``).
CALENDAR_YEAR = "calendar_year"

_COUNT_COLUMNS = (
    "horns_registered",
    "horns_accepted",
    "horns_rejected",
    "stored",
    "processed",
    "exported",
    "in_stock",
)


@dataclass(frozen=True)
class Reconciliation:
    """Horns reconciled with removals, stock and quotas.

    Attributes
    ----------
    by_population_year
        Index (``population``, ``year``): ``removed``, ``males_removed``,
        ``males_removed_max``, ``horn_capacity`` (2 x ``males_removed_max``),
        ``horns_reported`` (horn counts reported in the removals table, a cross-check),
        ``horns_registered`` (every row harvested in that population-year, accepted or not),
        ``horns_accepted``, ``horns_rejected``, then accepted horns ``stored``, ``processed``,
        ``exported`` (ever reached that stage) and ``in_stock`` (stored, not exported), and the
        masses ``in_stock_kg`` and ``exported_kg``. Population-years with removals but no horns
        are included with zero horns.
    exports_by_year
        Index ``calendar_year``: ``horns_exported`` and ``exported_kg_accepted`` (accepted rows),
        ``from_stock_kg`` (harvested in an earlier model year than the export year, i.e. horns
        that were already in storage) and ``from_new_harvest_kg``, ``exported_kg_rejected``
        (rows rejected by validation that nevertheless record an export),
        ``exported_kg_total``, ``quota_kg`` (NaN if not given), ``cap_kg``, ``limit_kg``
        (the smaller of quota and cap), ``headroom_kg`` (limit minus total), and
        ``within_quota`` / ``within_cap`` judged on the total, rejected rows included.
    stock
        Index ``population``: accepted horns in stock (``horns``) and their mass (``kg``): the
        stock available for export.
    accounting
        Input rows, accepted, rejected, rows per fault, and rows that could not be placed in a
        population-year (no readable population or harvest date).
    """

    by_population_year: pd.DataFrame
    exports_by_year: pd.DataFrame
    stock: pd.DataFrame
    accounting: pd.DataFrame

    @property
    def stock_kg(self) -> float:
        """Total mass of accepted horns in stock, kg."""
        return float(self.stock["kg"].sum())

    def to_dataset(self) -> xr.Dataset:
        """All tables as one :class:`xarray.Dataset` with named dimensions.

        Dimensions are ``population`` and ``year`` (model year of harvest) for the
        population-year variables, ``calendar_year`` for the export variables; stock variables
        are ``stock_horns`` and ``stock_kg`` over ``population``.

        Examples
        --------
        >>> from saigapop.registry import make_synthetic_registry, reconcile, validate_registry
        >>> synth = make_synthetic_registry(500, seed=2)
        >>> ds = reconcile(validate_registry(synth.registry, synth.removals)).to_dataset()
        >>> ds["horns_registered"].dims, ds["exported_kg_total"].dims
        (('population', 'year'), ('calendar_year',))
        """
        py = self.by_population_year.to_xarray()
        exports = self.exports_by_year.copy()
        for col in ("within_quota", "within_cap"):
            exports[col] = exports[col].astype(object).where(exports[col].notna(), np.nan)
        ex = exports.to_xarray()
        stock = self.stock.rename(columns={"horns": "stock_horns", "kg": "stock_kg"}).to_xarray()
        ds = xr.merge([py, ex, stock], join="outer", compat="no_conflicts")
        ds.attrs["description"] = "horn registry reconciled with removals, stock and export quotas"
        return ds


def reconcile(
    validation: RegistryValidation,
    *,
    quota_kg: Mapping[int, float] | pd.Series | None = None,
    cap_kg: float = CITES_CAP_KG,
) -> Reconciliation:
    """Reconcile validated horns with the removals, the stock and the export quota.

    Parameters
    ----------
    validation
        Result of :func:`~saigapop.registry.validate_registry` (its removals summary is used).
    quota_kg
        National export quota in kg per calendar year (a mapping or a Series indexed by
        year). Years without a quota get NaN and ``within_quota`` is missing.
    cap_kg
        The CITES annual export cap, kg per calendar year.

    Returns
    -------
    Reconciliation
        The tables; :meth:`Reconciliation.to_dataset` gives them as xarray.

    Examples
    --------
    >>> from saigapop.registry import make_synthetic_registry, reconcile, validate_registry
    >>> synth = make_synthetic_registry(2_000, seed=4)
    >>> rec = reconcile(validate_registry(synth.registry, synth.removals), quota_kg=synth.quota_kg)
    >>> table = rec.exports_by_year[["exported_kg_total", "limit_kg", "within_cap"]]
    >>> table.round(1)  # doctest: +NORMALIZE_WHITESPACE
                   exported_kg_total  limit_kg  within_cap
    calendar_year
    2026                        98.9   10000.0        True
    2027                        29.3   10000.0        True
    """
    table = validation.table
    accepted = (table["status"] == "accepted").to_numpy()
    placed = (
        (table[POPULATION] != "") & (table[POPULATION].str.lower() != TOTAL) & table[YEAR].notna()
    )
    kg = table["mass_g"].fillna(0.0) / 1000.0
    stages = {s: table[f"{s}_date"].notna() & accepted for s in ("stored", "processed", "exported")}
    counts = pd.DataFrame(
        {
            POPULATION: table[POPULATION],
            YEAR: table[YEAR],
            "horns_registered": 1,
            "horns_accepted": accepted.astype(int),
            "horns_rejected": (~accepted).astype(int),
            **{s: m.astype(int) for s, m in stages.items()},
            "in_stock": (stages["stored"] & ~stages["exported"]).astype(int),
        }
    )
    counts["in_stock_kg"] = kg.where(counts["in_stock"] == 1, 0.0)
    counts["exported_kg"] = kg.where(counts["exported"] == 1, 0.0)
    counts = counts.loc[placed.to_numpy()]
    counts[YEAR] = counts[YEAR].astype("int64")
    by_py = counts.groupby([POPULATION, YEAR]).sum()

    removals = validation.removals
    if removals is None:
        removals = pd.DataFrame(
            columns=["removed", "males_removed", "males_removed_max", "recorded", "horns_reported"],
            index=pd.MultiIndex.from_arrays([[], []], names=[POPULATION, YEAR]),
        )
    index = by_py.index.union(removals.index).set_names([POPULATION, YEAR])
    by_py = by_py.reindex(index, fill_value=0)
    rem = removals.reindex(index)
    out = pd.DataFrame(
        {
            "removed": rem["removed"].astype(float),
            "males_removed": rem["males_removed"].astype(float),
            "males_removed_max": rem["males_removed_max"].astype(float),
            "horn_capacity": HORNS_PER_MALE * rem["males_removed_max"].astype(float),
            "horns_reported": rem["horns_reported"].astype(float),
        },
        index=index,
    )
    out = out.join(by_py[list(_COUNT_COLUMNS)].astype("int64")).join(
        by_py[["in_stock_kg", "exported_kg"]]
    )

    exports = _exports_by_year(table, accepted, kg, quota_kg, cap_kg)
    stock_rows = table.loc[(stages["stored"] & ~stages["exported"]).to_numpy()]
    stock = (
        pd.DataFrame({POPULATION: stock_rows[POPULATION], "horns": 1, "kg": kg[stock_rows.index]})
        .groupby(POPULATION)
        .sum()
    )
    accounting = validation.accounting()
    unplaced = pd.DataFrame(
        {"rows": [int((~placed).sum())]}, index=["not placed in a population-year"]
    )
    accounting = pd.concat([accounting, unplaced])
    return Reconciliation(out, exports, stock, accounting)


def _exports_by_year(
    table: pd.DataFrame,
    accepted: np.ndarray,
    kg: pd.Series,
    quota_kg: Mapping[int, float] | pd.Series | None,
    cap_kg: float,
) -> pd.DataFrame:
    exported = table["exported_date"].notna().to_numpy()
    year = table["exported_date"].dt.year
    from_stock = (table[YEAR].astype("Float64") < year.astype("Float64")).fillna(False).to_numpy()
    rows = pd.DataFrame(
        {
            CALENDAR_YEAR: year,
            "horns_exported": (exported & accepted).astype(int),
            "exported_kg_accepted": kg.where(exported & accepted, 0.0),
            "from_stock_kg": kg.where(exported & accepted & from_stock, 0.0),
            "from_new_harvest_kg": kg.where(exported & accepted & ~from_stock, 0.0),
            "exported_kg_rejected": kg.where(exported & ~accepted, 0.0),
        }
    ).loc[exported]
    rows[CALENDAR_YEAR] = rows[CALENDAR_YEAR].astype("int64")
    out = rows.groupby(CALENDAR_YEAR).sum()
    quota = pd.Series(dict(quota_kg) if isinstance(quota_kg, Mapping) else quota_kg, dtype=float)
    years = out.index.union(pd.Index(quota.index.astype("int64"))).rename(CALENDAR_YEAR)
    out = out.reindex(years, fill_value=0)
    out["horns_exported"] = out["horns_exported"].astype("int64")
    out["exported_kg_total"] = out["exported_kg_accepted"] + out["exported_kg_rejected"]
    out["quota_kg"] = quota.reindex(years).to_numpy(dtype=float)
    out["cap_kg"] = float(cap_kg)
    out["limit_kg"] = out[["quota_kg", "cap_kg"]].min(axis=1)
    out["headroom_kg"] = out["limit_kg"] - out["exported_kg_total"]
    within_quota = pd.array(out["exported_kg_total"] <= out["quota_kg"], dtype="boolean")
    within_quota[out["quota_kg"].isna().to_numpy()] = pd.NA
    out["within_quota"] = within_quota
    out["within_cap"] = out["exported_kg_total"] <= out["cap_kg"]
    return out
