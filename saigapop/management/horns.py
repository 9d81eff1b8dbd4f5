"""Animals ↔ horns ↔ kg, horns in storage, and the national CITES cap by source.

Only adult males carry horns, two each (DESIGN §3). Horn mass is uncertain (~165–200 g per
horn, ~330–400 g per pair; no measured mean by age class was found), so every conversion
is **precautionary: the direction that implies more animals per kg**, i.e. the light end
of the range. Exporting *K* kg is then charged as the most animals it could represent, and
a quota of *Q* animals supplies the fewest kg.

**Horns in storage.** The 91,298 horns from the 2025 West Kazakhstan (Ural) cull come from
animals already removed: exporting them adds no mortality. The source does not say whether
the figure counts pieces or pairs. It is treated as **pieces** (45,649 males' worth):
(i) that is the smaller stock, so more of the export must come from new harvest and be
judged by the criteria — the precautionary side for the population; (ii) it is the
reading consistent with the cull itself: ~108,500 animals of which ~47 % males (interim
composition) ≈ 51,000 males ≈ 102,000 horns, whereas 91,298 *pairs* would need more males
than were taken.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import xarray as xr
from numpy.typing import ArrayLike

from saigapop.constants import CITES_CAP_KG, HORN_MASS_G_RANGE, HORNS_PER_MALE
from saigapop.management.quota import QuotaResult

__all__ = ["STORED_HORNS_2025", "HornConversion", "HornStock", "allocate_cap"]

#: Horns in storage from the 2025 West Kazakhstan cull (inform.kz): pieces or pairs unclear.
STORED_HORNS_2025: int = 91_298


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


def allocate_cap(
    quota: xr.DataArray | Mapping[str, float] | QuotaResult,
    *,
    years: Sequence[int] | None = None,
    cap_kg: float = CITES_CAP_KG,
    stock: HornStock | None = None,
    conversion: HornConversion | None = None,
    stock_policy: Literal["first", "none"] = "first",
) -> xr.Dataset:
    """Allocate the national CITES cap (kg per calendar year) across populations, by source.

    Per year, horns from ``stock`` are exported first (``stock_policy="first"``) until the
    stock runs out; the rest of the cap is shared across populations in proportion to what
    their own quotas can supply and **never above any population's own quota**.

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
    conversion
        Animals ↔ kg (default :class:`HornConversion`).
    stock_policy
        ``"first"`` (use stock before new harvest) or ``"none"``.

    Returns
    -------
    xarray.Dataset
        Over ``(year, population, source)`` with ``source`` in (``stock``,
        ``new_harvest``): ``kg``, ``horns``, ``animals`` (new harvest: adult males to be
        taken, adding mortality; stock: male-equivalents already removed, adding none),
        plus ``quota_animals``, ``quota_kg`` (NaN for a population not assessed),
        ``assessed`` (by population) and ``unused_cap_kg``; attrs ``stock_origin`` and
        ``stock_origin_assessed``.

    Examples
    --------
    >>> out = allocate_cap({"Ural": 20_000.0, "Ustyurt": 100.0}, stock=HornStock(horns=3000))
    >>> float(out["kg"].sel(year=2026).sum())
    7128.0
    >>> out["animals"].sel(year=2026, source="new_harvest").values.tolist()
    [20000.0, 100.0]
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
    if "year" not in quota.dims:
        quota = quota.expand_dims(year=list(years))
    quota = quota.sel(year=list(years)).transpose("year", "population")
    pops = [str(p) for p in quota["population"].values]
    q = np.maximum(quota.values.astype(float), 0.0)
    assessed = [True] * len(pops)
    if stock is not None and stock_policy == "first" and stock.origin not in pops:
        # the cap is national: stock from a population not assessed here still uses it,
        # so it gets its own row (no quota, no new harvest) instead of vanishing
        pops.append(str(stock.origin))
        assessed.append(False)
        q = np.concatenate([q, np.zeros((q.shape[0], 1))], axis=1)
    q_kg = conv.animals_to_kg(q)
    n_y, n_p = q.shape
    kg = np.zeros((n_y, n_p, 2))
    animals = np.zeros((n_y, n_p, 2))
    stock_left = stock.kg(conv) if (stock is not None and stock_policy == "first") else 0.0
    origin = pops.index(stock.origin) if stock_left > 0 else None
    unused = np.zeros(n_y)
    stock_kg_by_year = np.zeros(n_y)
    for i in range(n_y):
        from_stock = min(stock_left, cap_kg)
        stock_left -= from_stock
        stock_kg_by_year[i] = from_stock
        if origin is not None:
            kg[i, origin, 0] = from_stock
            animals[i, origin, 0] = np.floor(conv.kg_to_animals(from_stock) + 1e-9)
        room = cap_kg - from_stock
        supply = q_kg[i].sum()
        share = q_kg[i] if supply <= room else q_kg[i] * (room / supply)
        males = np.floor(np.minimum(conv.kg_to_animals(share) + 1e-9, q[i]))  # whole animals
        animals[i, :, 1] = males
        kg[i, :, 1] = conv.animals_to_kg(males)
        unused[i] = cap_kg - from_stock - kg[i, :, 1].sum()
    coords = {"year": list(years), "population": pops, "source": ["stock", "new_harvest"]}
    ds = xr.Dataset(
        {
            "kg": (("year", "population", "source"), kg),
            "animals": (("year", "population", "source"), animals),
            "horns": (("year", "population", "source"), animals * conv.horns_per_male),
            "quota_animals": (("year", "population"), np.where(assessed, q, np.nan)),
            "quota_kg": (("year", "population"), np.where(assessed, q_kg, np.nan)),
            "assessed": (("population",), np.array(assessed)),
            "unused_cap_kg": (("year",), unused),
            "stock_kg": (("year",), stock_kg_by_year),
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
        kg_per_male=conv.kg_per_male,
        mass_per_horn_g=conv.mass_per_horn_g,
        note=(
            "stock animals are male-equivalents already removed (no added mortality); "
            "new_harvest animals are adult males to be taken (added mortality)"
        ),
    )
    return ds
