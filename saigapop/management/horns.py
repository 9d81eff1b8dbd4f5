"""Animals ↔ horns ↔ kg, horns in storage, and the national CITES cap by source.

Males carry horns, two each (DESIGN §3); the export quota is in adult males. Horn mass is
uncertain (~165–200 g per horn, ~330–400 g per pair; no measured mean by age class was found),
so each conversion takes the side that is precautionary *for its purpose* (DESIGN §3):

* **kg → animals at the light end** (165 g): exporting *K* kg is charged as the most animals
  it could represent (:meth:`HornConversion.kg_to_animals`); the MSE's open-trade comparator
  uses this;
* **animals → kg as a range** (:meth:`HornConversion.kg_range`), **checked against the cap at
  the heavy end** (200 g): :func:`allocate_cap` lets through only as many horns as fit under
  the cap if every one is heavy, so the cap holds whatever the true mass.

**Yearling males carry horns too**, smaller ones; no measured mass by age class exists (see
``research/saiga_biology.md`` §5: NOT FOUND). The export quota is for adult males, so its
conversion uses the adult range; horns in storage from culls may include yearling horns,
which weigh less than an adult's — the heavy end (200 g) still bounds every horn, so the cap
check holds, while the stock's light end may be lower than shown (stated in the tables).

**Every mass record in ``data/``** is in :data:`MASS_RECORDS` and checked by
:func:`check_mass_records`: the seizure of "1,127 horns ≈ 400 kg" (Karaganda, Aug 2025) gives
~355 g per counted item — outside 165–200 g per horn but 177 g per horn if the items are
pairs (a male's set), the usual meaning of "horns" counted in seizure reports of whole sets;
WCS's "10,000 kg ≈ at least 25,000 males" gives ≤ 400 g per male (≤ 200 g per horn, the heavy
end) and Devitt's "1 kg of powdered horn ≈ three saiga" ~333 g per male (~167 g per horn, the
light end). No record contradicts the range under at least one reading.

**Horns in storage.** The 91,298 horns from the 2025 West Kazakhstan (Ural) cull come from
animals already removed: exporting them adds no mortality. The source does not say whether
the figure counts pieces or pairs. It is treated as **pieces** (45,649 males' worth):
(i) that is the smaller stock, so more of the export must come from new harvest and be
judged by the criteria — the precautionary side for the population; (ii) it is the
reading consistent with the cull itself: 108,500 animals, of which 42,000 of the first
~90,000 were males (interim composition, i.e. ≈ 50,600 males of all ages in the final
total) ≈ 101,000 horns, whereas 91,298 *pairs* would need 182,596 horned males — more
animals than were taken.

**Reconciling the horns with the cull split.** The model splits the 2025 male removals into
adults and yearlings by the population's structure (≈ 40,500 adult males); the stock is
≈ 45,600 horned males. The two agree once yearlings are counted: 45,649 lies between the adult
males (≈ 40,500) and all males taken (≈ 50,600), so ≈ 5,100 of the stored horn sets are
yearlings' and ≈ 5,000 males' horns were not stored (damaged, kept locally or too small). For
mortality the **cull numbers win** — they count animals removed, from the oblast's final
total and its composition, while a horn count is not a census of animals; for the cap the
**horn count wins** — it is what is physically in the warehouse and can be exported.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import xarray as xr
from numpy.typing import ArrayLike

from saigapop.constants import CITES_CAP_KG, HORN_MASS_G_RANGE, HORNS_PER_MALE
from saigapop.management.quota import QuotaResult

__all__ = [
    "CULL_HORN_STORAGE",
    "MASS_RECORDS",
    "STORED_HORNS_2025",
    "HornConversion",
    "HornStock",
    "MassRecord",
    "allocate_cap",
    "check_mass_records",
]

#: Horns in storage from the 2025 West Kazakhstan cull (inform.kz): pieces or pairs unclear.
STORED_HORNS_2025: int = 91_298
#: Share of culled males' horns that reach storage: the 2025 West Kazakhstan cull stored
#: 45,649 males' horns (91,298 pieces) of ≈ 50,600 males of all ages taken (module
#: docstring), 0.90; the rest were damaged, kept locally or too small.
CULL_HORN_STORAGE: float = round(45_649 / 50_600, 3)


@dataclass(frozen=True)
class HornConversion:
    """Precautionary conversions between adult males, horns and kilograms.

    Parameters
    ----------
    horn_mass_g
        Plausible range of the mass of one horn, grams (default 165–200).
    quantile
        Where in that range the conversion sits; 0 (default) is the light end, the
        precautionary side (more animals per kg). A uniform distribution over the range
        is assumed.
    horns_per_male
        2.

    Examples
    --------
    >>> conv = HornConversion()
    >>> conv.kg_per_male
    0.33
    >>> round(conv.kg_to_animals(10_000.0))
    30303
    >>> float(conv.animals_to_kg(1000))
    330.0
    """

    horn_mass_g: tuple[float, float] = HORN_MASS_G_RANGE
    quantile: float = 0.0
    horns_per_male: int = HORNS_PER_MALE

    def __post_init__(self) -> None:
        lo, hi = self.horn_mass_g
        if not 0 < lo <= hi:
            raise ValueError(f"horn_mass_g must be 0 < low <= high, got {self.horn_mass_g}")
        if not 0 <= self.quantile <= 1:
            raise ValueError(f"quantile must lie in [0, 1], got {self.quantile}")

    @property
    def mass_per_horn_g(self) -> float:
        """Horn mass used (grams)."""
        lo, hi = self.horn_mass_g
        return lo + self.quantile * (hi - lo)

    @property
    def kg_per_male(self) -> float:
        """Kilograms of horn per adult male."""
        return round(self.horns_per_male * self.mass_per_horn_g / 1000.0, 12)

    def animals_to_horns(self, animals: ArrayLike) -> np.ndarray | float:
        """Horns from adult males (two each)."""
        return np.asarray(animals, dtype=float) * self.horns_per_male

    def horns_to_animals(self, horns: ArrayLike) -> np.ndarray | float:
        """Adult males needed for this many horns (whole animals, rounded up)."""
        return np.ceil(np.asarray(horns, dtype=float) / self.horns_per_male)

    def horns_to_kg(self, horns: ArrayLike) -> np.ndarray | float:
        """Kilograms of this many horns (light end: fewest kg per horn)."""
        return np.asarray(horns, dtype=float) * self.mass_per_horn_g / 1000.0

    def kg_to_horns(self, kg: ArrayLike) -> np.ndarray | float:
        """Horns in this many kg (light end: most horns per kg)."""
        return np.asarray(kg, dtype=float) * 1000.0 / self.mass_per_horn_g

    def animals_to_kg(self, animals: ArrayLike) -> np.ndarray | float:
        """Kilograms supplied by this many adult males (fewest kg per animal)."""
        return np.round(np.asarray(animals, dtype=float) * self.kg_per_male, 9)

    def kg_to_animals(self, kg: ArrayLike) -> np.ndarray | float:
        """Adult males represented by this many kg (most animals per kg)."""
        return np.asarray(kg, dtype=float) / self.kg_per_male

    @property
    def heavy_kg_per_male(self) -> float:
        """Kilograms of horn per adult male at the heavy end of the range (the cap check)."""
        return round(self.horns_per_male * self.horn_mass_g[1] / 1000.0, 12)

    def kg_range(self, animals: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """Kilograms this many adult males supply: (light end, heavy end).

        The heavy end is what :func:`allocate_cap` checks against the cap (DESIGN §3).

        Examples
        --------
        >>> low, high = HornConversion().kg_range(1000)
        >>> float(low), float(high)
        (330.0, 400.0)
        """
        a = np.asarray(animals, dtype=float)
        lo, hi = self.horn_mass_g
        return (
            np.round(a * self.horns_per_male * lo / 1000.0, 9),
            np.round(a * self.horns_per_male * hi / 1000.0, 9),
        )


@dataclass(frozen=True)
class HornStock:
    """Horns already in storage — from animals already removed.

    Parameters
    ----------
    horns
        Number as recorded (default :data:`STORED_HORNS_2025`).
    unit
        ``"pieces"``, ``"pairs"`` or ``"unclear"`` (treated as pieces — see module
        docstring).
    origin
        Population the stock came from (for tables only; it adds no mortality).
    harvest_year
        Model year of the removals the horns come from (the 2025 cull).

    Examples
    --------
    >>> stock = HornStock()
    >>> stock.pieces, stock.male_equivalents
    (91298, 45649)
    >>> round(stock.kg(HornConversion()), 2)
    15064.17
    """

    horns: int = STORED_HORNS_2025
    unit: Literal["pieces", "pairs", "unclear"] = "unclear"
    origin: str = "Ural"
    harvest_year: int = 2025

    @property
    def pieces(self) -> int:
        """Single horns (pairs × 2; ``unclear`` counted as pieces)."""
        return int(self.horns * 2 if self.unit == "pairs" else self.horns)

    @property
    def male_equivalents(self) -> int:
        """Adult males the stock came from (whole pairs)."""
        return self.pieces // HORNS_PER_MALE

    def kg(self, conversion: HornConversion) -> float:
        """Kilograms in storage at the conversion's (light) horn mass."""
        return float(conversion.horns_to_kg(self.pieces))

    def kg_range(self, conversion: HornConversion) -> tuple[float, float]:
        """Kilograms in storage: (light end, heavy end) of the per-horn mass range.

        Yearling horns among the stock weigh less than an adult's light end, so the true mass
        may lie below the light end; the heavy end bounds every horn.
        """
        lo, hi = conversion.horn_mass_g
        return self.pieces * lo / 1000.0, self.pieces * hi / 1000.0


@dataclass(frozen=True)
class MassRecord:
    """A published mass of saiga horn, with what was counted.

    Attributes
    ----------
    name
        Short label.
    items
        Number of things counted (``None`` when the record is per animal).
    kg
        Their total mass.
    males
        Males the record says the mass represents (``None`` when it counts items).
    readings
        How ``items`` may be read: ``"pieces"`` (single horns) and/or ``"pairs"``.
    source
        Where it was published (URL).
    """

    name: str
    kg: float
    source: str
    items: float | None = None
    males: float | None = None
    readings: tuple[str, ...] = ("pieces", "pairs")


#: Every horn-mass record in ``data/`` and the research notes (``research/saiga_biology.md`` §5).
MASS_RECORDS: tuple[MassRecord, ...] = (
    MassRecord(
        "Seizure, Karaganda oblast, Aug 2025: 1,127 horns ≈ 400 kg",
        kg=400.0,
        items=1127.0,
        source="https://www.zakon.kz/proisshestviia/6503261-tysyachi-rogov-saygi-izyali-u-"
        "brakonerov-v-dvukh-oblastyakh-kazakhstana.html",
    ),
    MassRecord(
        "WCS: 10,000 kg ≈ at least 25,000 males (an upper bound on mass per male)",
        kg=10_000.0,
        males=25_000.0,
        readings=(),
        source="https://programs.wcs.org/newsroom/News-Releases/articleType/ArticleView/"
        "articleId/25672/CITES-CoP20-Decision-Allows-International-Trade-in-Saiga-Horn-"
        "Strongly-Opposed-by-WCS.aspx",
    ),
    MassRecord(
        "Devitt 2017: 1 kg of powdered horn ≈ three saiga",
        kg=1.0,
        males=3.0,
        readings=(),
        source="https://pastenow.net/page/saiga-antelope",
    ),
)


def check_mass_records(
    conversion: HornConversion | None = None,
    records: Sequence[MassRecord] = MASS_RECORDS,
) -> pd.DataFrame:
    """Grams per horn implied by each mass record, under each reading, against the range.

    Parameters
    ----------
    conversion
        Supplies the per-horn range (default :class:`HornConversion`).
    records
        Default :data:`MASS_RECORDS`.

    Returns
    -------
    pandas.DataFrame
        One row per record and reading: ``record``, ``reading`` (``pieces``, ``pairs`` or
        ``per male``), ``g_per_horn``, ``within_range`` and ``source``.

    Examples
    --------
    >>> tab = check_mass_records()
    >>> tab.loc[tab["record"].str.startswith("Seizure"), ["reading", "within_range"]]
      reading  within_range
    0  pieces         False
    1   pairs          True
    """
    conv = HornConversion() if conversion is None else conversion
    lo, hi = conv.horn_mass_g
    rows = []
    for r in records:
        if r.items is not None:
            readings = [
                (k, r.kg * 1000.0 / (r.items * (conv.horns_per_male if k == "pairs" else 1)))
                for k in r.readings
            ]
        else:
            readings = [("per male", r.kg * 1000.0 / (r.males * conv.horns_per_male))]
        for reading, g in readings:
            rows.append(
                {
                    "record": r.name,
                    "reading": reading,
                    "g_per_horn": round(g, 1),
                    "within_range": bool(lo - 0.5 <= g <= hi + 0.5),
                    "source": r.source,
                }
            )
    return pd.DataFrame(rows)


def allocate_cap(
    quota: xr.DataArray | Mapping[str, float] | QuotaResult,
    *,
    years: Sequence[int] | None = None,
    cap_kg: float = CITES_CAP_KG,
    stock: HornStock | None = None,
    culls: xr.DataArray | None = None,
    cull_storage: float = CULL_HORN_STORAGE,
    conversion: HornConversion | None = None,
    stock_policy: Literal["first", "none"] = "first",
) -> xr.Dataset:
    """Allocate the national CITES cap (kg per calendar year) across populations, by source.

    Per calendar year, horns are exported from three sources in this order: horns in
    ``stock`` (``stock_policy="first"``) until the stock runs out; then horns from the
    **planned culls** of earlier years (``culls``: males culled in both arms, so their horns
    add no mortality), oldest harvest year first, shared across populations in proportion
    to what each has in store; then **new harvest** (dedicated to export, adding mortality),
    shared across populations in proportion to what their own quotas can supply and
    **never above any population's own quota**. Every horn is charged against the cap at
    the **heavy end** of the per-horn mass range (DESIGN §3), so the cap holds whatever the
    horns truly weigh; ``kg_low`` gives the light end of the same export, so each export is
    a range ``kg_low … kg``.

    The cap is national, so stock from *any* population counts against it. When the stock's
    ``origin`` is not among the quota's populations (a report on some populations only),
    the origin is added as a row of its own with ``assessed = False``, no quota
    (``quota_animals`` NaN) and no new harvest: every kilogram charged to the cap is in the
    table, and ``kg`` summed over populations and sources plus ``unused_cap_kg`` is the cap.

    Parameters
    ----------
    quota
        Adult males per year by ``population`` (and optionally ``year``), or a
        :class:`~saigapop.management.QuotaResult` (its adult-male quota by year).
    years
        Calendar years (default: the quota's ``year`` coordinate, else 2026–2028).
    cap_kg
        The national cap per calendar year (default 10,000 kg).
    stock
        Horns in storage (default none).
    culls
        Horned males (yearlings and adults) culled by ``year`` (the harvest year) and
        ``population`` under the cull plan; their horns are exportable from the next
        calendar year (a cull runs July–November). Default none.
    cull_storage
        Share of the culled males' horns that reach storage (default
        :data:`CULL_HORN_STORAGE`, from the 2025 cull).
    conversion
        Animals ↔ kg (default :class:`HornConversion`).
    stock_policy
        ``"first"`` (use stock before new harvest) or ``"none"``.

    Returns
    -------
    xarray.Dataset
        Over ``(year, population, source)`` with ``source`` in (``stock``, ``cull``,
        ``new_harvest``): ``kg`` (heavy end, charged against the cap), ``kg_low`` (light
        end), ``horns``, ``animals`` (new harvest: adult males to be taken, adding
        mortality; stock and cull: male-equivalents already removed, adding none), plus
        ``quota_animals``, ``quota_kg`` / ``quota_kg_low`` (the quota's mass at the heavy /
        light end; NaN for a population not assessed), ``assessed`` (by population),
        ``stock_kg`` and ``unused_cap_kg`` (by year), ``harvest_year`` (by year × source:
        the model year whose removals the exported horns come from — for culls the oldest
        harvest year drawn on; −1 where the source exports nothing), ``cull_horns`` (by
        year × population × ``cull_year``: cull horns exported, by harvest year); attrs
        ``stock_origin`` and ``stock_origin_assessed``.

    Examples
    --------
    >>> out = allocate_cap({"Ural": 20_000.0, "Ustyurt": 100.0}, stock=HornStock(horns=3000))
    >>> float(out["kg"].sel(year=2026).sum()), float(out["kg_low"].sel(year=2026).sum())
    (8640.0, 7128.0)
    >>> out["animals"].sel(year=2026, source="new_harvest").values.tolist()
    [20000.0, 100.0]
    >>> culled = xr.DataArray([[30_000.0]], dims=("year", "population"),
    ...                       coords={"year": [2026], "population": ["Ural"]})
    >>> out = allocate_cap({"Ural": 5_000.0}, culls=culled)
    >>> out["horns"].sel(population="Ural", source="cull").values.tolist()  # 2027 from 2026
    [0.0, 50000.0, 4120.0]
    """
    conv = HornConversion() if conversion is None else conversion
    if isinstance(quota, QuotaResult):
        if quota.unit != "animals":
            raise ValueError(f"the quota must be in animals to convert to horns, got {quota.unit}")
        quota = quota.quota.sel(sex="male", age="adult", drop=True)
    if isinstance(quota, Mapping):
        quota = xr.DataArray(
            np.array(list(quota.values()), dtype=float),
            dims="population",
            coords={"population": list(quota)},
        )
    if years is None:
        years = (
            [int(y) for y in quota["year"].values] if "year" in quota.dims else [2026, 2027, 2028]
        )
    years = [int(y) for y in years]
    if "year" not in quota.dims:
        quota = quota.expand_dims(year=years)
    quota = quota.sel(year=years).transpose("year", "population")
    pops = [str(p) for p in quota["population"].values]
    q = np.maximum(quota.values.astype(float), 0.0)
    assessed = [True] * len(pops)
    if stock is not None and stock_policy == "first" and stock.origin not in pops:
        # the cap is national: stock from a population not assessed here still uses it,
        # so it gets its own row (no quota, no new harvest) instead of vanishing
        pops.append(str(stock.origin))
        assessed.append(False)
        q = np.concatenate([q, np.zeros((q.shape[0], 1))], axis=1)
    if not 0.0 <= cull_storage <= 1.0:
        raise ValueError(f"cull_storage must lie in [0, 1], got {cull_storage}")
    # cull horns in store by harvest year (FIFO), whole horns
    if culls is None:
        cull_years: list[int] = []
        in_store = np.zeros((0, len(pops)))
    else:
        if set(culls.dims) != {"year", "population"}:
            raise ValueError(f"culls must be over (year, population), got {culls.dims}")
        cull_years = [int(y) for y in culls["year"].values if int(y) < max(years)]
        c = culls.sel(year=cull_years).reindex(population=pops, fill_value=0.0)
        males = np.maximum(c.transpose("year", "population").values.astype(float), 0.0)
        in_store = np.floor(males * conv.horns_per_male * cull_storage + 1e-9)
    heavy_g = conv.horn_mass_g[1]
    per_male = conv.heavy_kg_per_male  # the cap is checked at the heavy end (DESIGN §3)
    q_kg = q * per_male
    n_y, n_p = q.shape
    kg = np.zeros((n_y, n_p, 3))
    horns = np.zeros((n_y, n_p, 3))
    by_cull_year = np.zeros((n_y, n_p, len(cull_years)))
    pieces_left = stock.pieces if (stock is not None and stock_policy == "first") else 0
    origin = pops.index(stock.origin) if pieces_left > 0 else None
    unused = np.zeros(n_y)
    stock_kg_by_year = np.zeros(n_y)
    oldest_cull = np.full(n_y, -1)

    def fits(room_kg: float) -> int:  # horns that fit under room_kg if every one is heavy
        return int(np.floor(room_kg * 1000.0 / heavy_g + 1e-9))

    for i, year in enumerate(years):
        # 1. stock first
        from_stock = min(pieces_left, fits(cap_kg))
        pieces_left -= from_stock
        stock_kg_by_year[i] = from_stock * heavy_g / 1000.0
        if origin is not None:
            horns[i, origin, 0] = from_stock
        room = cap_kg - stock_kg_by_year[i]
        # 2. cull horns of earlier harvest years, oldest first, shared by what is in store
        ready = [k for k, h in enumerate(cull_years) if h < year]
        avail = in_store[ready].sum(axis=0) if ready else np.zeros(n_p)
        n_fit = fits(room)
        take = avail if avail.sum() <= n_fit else np.floor(avail * n_fit / avail.sum())
        for j in range(n_p):
            need = take[j]
            for k in ready:  # FIFO by harvest year
                used = min(need, in_store[k, j])
                in_store[k, j] -= used
                by_cull_year[i, j, k] = used
                need -= used
        horns[i, :, 1] = take
        if take.sum() > 0:
            oldest_cull[i] = min(cull_years[k] for k in ready if by_cull_year[i, :, k].sum() > 0)
        room -= take.sum() * heavy_g / 1000.0
        # 3. new harvest within each population's own quota
        supply = q_kg[i].sum()
        share = q_kg[i] if supply <= room else q_kg[i] * (max(room, 0.0) / supply)
        males = np.floor(np.minimum(share / per_male + 1e-9, q[i]))  # whole animals
        horns[i, :, 2] = males * conv.horns_per_male
        kg[i] = horns[i] * heavy_g / 1000.0
        unused[i] = cap_kg - kg[i].sum()
    animals = horns / conv.horns_per_male
    kg_low = horns * conv.horn_mass_g[0] / 1000.0
    coords = {
        "year": years,
        "population": pops,
        "source": ["stock", "cull", "new_harvest"],
        "cull_year": cull_years,
    }
    harvest_year = np.array(
        [
            [
                stock.harvest_year if stock is not None and stock_kg_by_year[i] > 0 else -1,
                oldest_cull[i],
                y if horns[i, :, 2].sum() > 0 else -1,
            ]
            for i, y in enumerate(years)
        ]
    )
    ds = xr.Dataset(
        {
            "kg": (("year", "population", "source"), kg),
            "kg_low": (("year", "population", "source"), kg_low),
            "animals": (("year", "population", "source"), animals),
            "horns": (("year", "population", "source"), horns),
            "quota_animals": (("year", "population"), np.where(assessed, q, np.nan)),
            "quota_kg": (("year", "population"), np.where(assessed, q_kg, np.nan)),
            "quota_kg_low": (
                ("year", "population"),
                np.where(assessed, conv.kg_range(q)[0], np.nan),
            ),
            "assessed": (("population",), np.array(assessed)),
            "unused_cap_kg": (("year",), unused),
            "stock_kg": (("year",), stock_kg_by_year),
            "harvest_year": (("year", "source"), harvest_year),
            "cull_horns": (("year", "population", "cull_year"), by_cull_year),
        },
        coords=coords,
    )
    if stock is not None:
        ds.attrs["stock_origin"] = str(stock.origin)
        ds.attrs["stock_origin_assessed"] = bool(
            stock.origin in pops and assessed[pops.index(stock.origin)]
        )
    ds.attrs.update(
        cap_kg=cap_kg,
        kg_per_male=per_male,
        kg_per_male_low=conv.kg_range(1.0)[0].item(),
        mass_per_horn_g=heavy_g,
        mass_per_horn_g_range=list(conv.horn_mass_g),
        cull_storage=cull_storage,
        note=(
            "stock and cull animals are male-equivalents already removed (no added "
            "mortality); new_harvest animals are adult males to be taken (added mortality)"
        ),
    )
    return ds
