"""A realistic synthetic horn registry with planted faults and their ground truth.

No real registry is public. The generator reproduces the structure the news sources describe
(research/saiga_biology.md §12): horns cut from culled males in the July-November removal
season, marked with GS1 Data Matrix codes, taken to Okhotzooprom's warehouse in Almaty,
processed, and exported under CITES permits from 2026 (CITES CoP20 allowed exports of up to
10,000 kg a year). Regions and districts follow each population's range. GTINs use GS1
Kazakhstan's prefix 487 with a fictitious company number; permits are fictitious.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pandas as pd

from saigapop.constants import CITES_CAP_KG
from saigapop.registry.gs1 import gtin_check_digit
from saigapop.registry.schema import FAULTS, REGISTRY_COLUMNS

__all__ = ["DEMO_FAULTS", "SyntheticRegistry", "make_synthetic_registry"]

#: A fault mix for examples: a handful of every fault type.
DEMO_FAULTS: Mapping[str, int] = MappingProxyType(
    {
        "invalid_value": 6,
        "malformed_mark": 5,
        "bad_check_digit": 8,
        "duplicate_mark": 4,
        "female_horn": 5,
        "mass_out_of_bounds": 8,
        "custody_out_of_order": 6,
        "custody_after_export": 5,
        "export_without_permit": 5,
        "no_recorded_removal": 12,
        "excess_horns": 10,
    }
)

# Regions (oblasts) of each population's range, their share of the harvest, their districts,
# and a short code used in permit numbers.
_RANGES: dict[str, tuple[tuple[str, float, tuple[str, ...], str], ...]] = {
    "Ural": (
        ("West Kazakhstan", 0.85, ("Zhanibek", "Bokeyorda", "Kaztalov", "Akzhaik", "Syrym"), "ZKO"),
        ("Atyrau", 0.15, ("Kurmangazy", "Isatay", "Makhambet"), "ATY"),
    ),
    "Betpakdala": (
        ("Kostanay", 0.45, ("Amangeldi", "Zhangeldi", "Arkalyk"), "KOS"),
        ("Ulytau", 0.30, ("Ulytau", "Zhanaarka"), "ULY"),
        ("Karaganda", 0.15, ("Shet", "Aktogay"), "KAR"),
        ("Aktobe", 0.10, ("Irgiz", "Shalkar"), "AKT"),
    ),
    "Ustyurt": (
        ("Mangystau", 0.80, ("Beineu", "Mangystau"), "MAN"),
        ("Aktobe", 0.20, ("Shalkar",), "AKT"),
    ),
}
_HARVEST_SHARE = {"Ural": 0.62, "Betpakdala": 0.38}
_GTIN_ITEM = {"Ural": "01", "Betpakdala": "02", "Ustyurt": "03"}
_SERIAL_PREFIX = {"Ural": "UR", "Betpakdala": "BP", "Ustyurt": "US"}
_GS1_PREFIX = "4870012345"  # GS1 Kazakhstan (487) + a fictitious company number
_WAREHOUSE = "Okhotzooprom warehouse, Almaty"
_PROCESSOR = "Okhotzooprom horn processing unit, Almaty"
_BORDER = ("Khorgos border crossing (to China)", "Almaty International Airport")
_FIRST_EXPORT = np.datetime64("2026-02-01")  # after CITES CoP20 (Nov-Dec 2025)
_NO_REMOVAL_POPULATION = "Ustyurt"  # no Ustyurt cull is reported in any source found


@dataclass(frozen=True)
class SyntheticRegistry:
    """A synthetic registry, the removals that go with it, and the faults planted in it.

    Attributes
    ----------
    registry
        The registry, one row per horn, columns :data:`~saigapop.registry.REGISTRY_COLUMNS`
        (dates as ``datetime64``, ``mass_g`` float, text as strings; empty text = missing).
    removals
        Removals in the bundled layout (``population, year, kind, status, timing, period, sex,
        age, unit, value, lower, upper, source, notes``) for the registry's population-years.
    truth
        One row per planted (row, fault): ``row`` (line in a CSV of the registry: first data
        row = 2), ``mark`` and ``fault``. ``duplicate_mark`` lists both rows of each pair.
    quota_kg
        A national export quota per calendar year (the CITES cap) for reconciliation examples.
    seed
        The seed used.
    faults
        The fault counts requested.
    """

    registry: pd.DataFrame
    removals: pd.DataFrame
    truth: pd.DataFrame
    quota_kg: Mapping[int, float]
    seed: int
    faults: Mapping[str, int]


def make_synthetic_registry(
    n: int = 10_000,
    *,
    faults: Mapping[str, int] | None = None,
    seed: int = 0,
    years: tuple[int, ...] = (2025, 2026),
    as_of: str | None = None,
) -> SyntheticRegistry:
    """Generate a registry of ``n`` horns with a controlled number of each fault.

    Parameters
    ----------
    n
        Number of rows (horns) in the registry.
    faults
        Number of rows to plant with each fault (keys of :data:`~saigapop.registry.FAULTS`);
        ``None`` or ``{}`` gives a clean registry. Each planted row carries exactly one fault,
        except ``duplicate_mark``: ``k`` copies an existing mark onto ``k`` rows, so ``2k``
        rows carry it. ``no_recorded_removal`` rows come from Ustyurt in the first year, which
        gets no final removal; ``excess_horns`` rows are the last-harvested horns of the
        largest population-year, whose males removed are cut to match.
    seed
        Seed for :func:`numpy.random.default_rng`; the same seed gives the same registry.
    years
        Removal seasons (model years) to harvest in, July-November of each.
    as_of
        Date of the registry extract: no event is later. Default: 30 June after the last
        season; it must not fall before the end of the last season's storage (31 December).

    Returns
    -------
    SyntheticRegistry
        The registry, its removals, the ground truth, and an export quota.

    Raises
    ------
    ValueError
        For an unknown fault, a negative count, or more fault rows than ``n`` allows.

    Examples
    --------
    >>> synth = make_synthetic_registry(1_000, faults={"bad_check_digit": 3}, seed=7)
    >>> len(synth.registry), synth.truth["fault"].value_counts().to_dict()
    (1000, {'bad_check_digit': 3})
    >>> again = make_synthetic_registry(1_000, faults={"bad_check_digit": 3}, seed=7)
    >>> synth.registry.equals(again.registry)
    True
    """
    faults = dict(faults or {})
    unknown = sorted(set(faults) - set(FAULTS))
    if unknown:
        raise ValueError(f"unknown fault(s) {unknown}; choose from {list(FAULTS)}")
    if any(int(k) < 0 for k in faults.values()):
        raise ValueError("fault counts must be non-negative")
    k = {code: int(faults.get(code, 0)) for code in FAULTS}
    in_place = sum(k.values()) + k["duplicate_mark"] - k["no_recorded_removal"] - k["excess_horns"]
    n_clean = n - k["no_recorded_removal"]
    if n_clean - k["excess_horns"] < in_place or n_clean < 0 or not years:
        raise ValueError(f"{n} rows cannot hold the requested faults {faults}")
    rng = np.random.default_rng(seed)
    end = np.datetime64(as_of or f"{max(years) + 1}-06-30", "D")
    if end < np.datetime64(f"{max(years)}-12-31"):
        raise ValueError(f"as_of={as_of} falls inside the {max(years)} season; use a later date")

    # -- cells (population x year) and their sizes ------------------------------------------
    cells = [(p, y) for y in years for p in _HARVEST_SHARE]
    weights = np.array([_HARVEST_SHARE[p] * 0.7 ** years.index(y) for p, y in cells])
    sizes = rng.multinomial(n_clean, weights / weights.sum())
    excess_cell = int(np.argmax(sizes))
    if k["excess_horns"] and (sizes[excess_cell] - k["excess_horns"]) % 2:
        if len(cells) == 1 or sizes[excess_cell] <= k["excess_horns"]:
            raise ValueError("cannot plant excess_horns with this n and years")
        other = int(np.argsort(sizes)[-2])
        sizes[excess_cell] -= 1
        sizes[other] += 1
    if k["excess_horns"] > sizes[excess_cell]:
        raise ValueError("too many excess_horns for the largest population-year")
    cell_pop = [p for (p, _), s in zip(cells, sizes, strict=True) for _ in range(s)]
    cell_year = [y for (_, y), s in zip(cells, sizes, strict=True) for _ in range(s)]
    cell_pop += [_NO_REMOVAL_POPULATION] * k["no_recorded_removal"]
    cell_year += [years[0]] * k["no_recorded_removal"]
    frame = _horns(np.array(cell_pop, dtype=object), np.array(cell_year), end, rng)
    frame["_cell"] = frame["population"] + "|" + frame["_year"].astype(str)

    # Registry order: registration follows harvest date.
    frame = frame.sort_values("harvested_date", kind="stable").reset_index(drop=True)
    rows = np.arange(2, len(frame) + 2)

    # -- faults that are properties of whole population-years --------------------------------
    fault_of = np.full(len(frame), "", dtype=object)
    used = np.zeros(len(frame), dtype=bool)
    no_removal = (frame["population"] == _NO_REMOVAL_POPULATION).to_numpy()
    fault_of[no_removal] = "no_recorded_removal"
    used |= no_removal
    big_pop, big_year = cells[excess_cell]
    in_big = (frame["_cell"] == f"{big_pop}|{big_year}").to_numpy()
    if k["excess_horns"]:
        last = np.flatnonzero(in_big)[-k["excess_horns"] :]
        fault_of[last] = "excess_horns"
        used[last] = True
    removals = _removals(frame, cells, sizes, excess_cell, k, rng)

    # -- row faults, planted in place on distinct clean rows ---------------------------------
    def take(count: int, eligible: np.ndarray | None = None) -> np.ndarray:
        pool = np.flatnonzero(~used & (True if eligible is None else eligible))
        if count > len(pool):
            raise ValueError(f"{n} rows cannot hold the requested faults {faults}")
        chosen = np.sort(rng.choice(pool, size=count, replace=False))
        used[chosen] = True
        return chosen

    exported = frame["exported_date"].notna().to_numpy()
    processed = frame["processed_date"].notna().to_numpy()
    day = np.timedelta64(1, "D")

    idx = take(k["custody_after_export"], exported)
    frame.loc[idx, "processed_date"] = (
        frame.loc[idx, "exported_date"] + rng.integers(1, 21, len(idx)) * day
    )
    fault_of[idx] = "custody_after_export"

    idx = take(k["export_without_permit"], exported)
    frame.loc[idx, "exported_permit"] = ""
    fault_of[idx] = "export_without_permit"

    idx = take(k["custody_out_of_order"], processed)
    variant = np.arange(len(idx)) % 3
    a, b, c = idx[variant == 0], idx[variant == 1], idx[variant == 2]
    frame.loc[a, "stored_date"] = frame.loc[a, "harvested_date"] - rng.integers(1, 11, len(a)) * day
    frame.loc[b, "processed_date"] = frame.loc[b, "stored_date"] - rng.integers(1, 11, len(b)) * day
    frame.loc[c, "stored_date"] = pd.NaT
    frame.loc[c, ["stored_place", "stored_permit"]] = ""
    fault_of[idx] = "custody_out_of_order"

    idx = take(2 * k["duplicate_mark"])
    copies, originals = idx[: k["duplicate_mark"]], idx[k["duplicate_mark"] :]
    rng.shuffle(originals)
    frame.loc[copies, "mark"] = frame.loc[originals, "mark"].to_numpy()
    fault_of[idx] = "duplicate_mark"

    idx = take(k["bad_check_digit"])
    marks = frame.loc[idx, "mark"]
    wrong = (marks.str[17].astype(int) + rng.integers(1, 10, len(idx))) % 10
    frame.loc[idx, "mark"] = marks.str[:17] + wrong.astype(str) + marks.str[18:]
    fault_of[idx] = "bad_check_digit"

    idx = take(k["malformed_mark"])
    marks = frame.loc[idx, "mark"]
    variant = np.arange(len(idx)) % 3
    broken = np.where(
        variant == 0,
        marks.str[:17] + marks.str[18:],  # a 13-digit GTIN
        np.where(
            variant == 1,
            marks.str.replace("(21)", "21", regex=False),
            marks.str[:-4] + " " + marks.str[-4:],
        ),
    )
    frame.loc[idx, "mark"] = broken
    fault_of[idx] = "malformed_mark"

    idx = take(k["female_horn"])
    frame.loc[idx, "sex"] = "female"
    fault_of[idx] = "female_horn"

    idx = take(k["mass_out_of_bounds"])
    mass = frame.loc[idx, "mass_g"].to_numpy()
    variant = np.arange(len(idx)) % 4
    frame.loc[idx, "mass_g"] = np.select(
        [variant == 0, variant == 1, variant == 2], [mass / 1000, 2 * mass, 10 * mass], 40.0
    ).round(3)
    fault_of[idx] = "mass_out_of_bounds"

    idx = take(k["invalid_value"])
    variant = np.arange(len(idx)) % 3
    frame.loc[idx[variant == 0], "region"] = ""
    frame.loc[idx[variant == 1], "age"] = "unknown"
    frame.loc[idx[variant == 2], "mass_g"] = np.nan
    fault_of[idx] = "invalid_value"

    if k["calf_horn"]:  # drawn last and only when asked for, so other fault mixes keep their draws
        idx = take(k["calf_horn"])
        frame.loc[idx, "age"] = "calf"
        fault_of[idx] = "calf_horn"

    registry = frame[list(REGISTRY_COLUMNS)].copy()
    planted = fault_of != ""
    truth = pd.DataFrame(
        {
            "row": rows[planted],
            "mark": registry["mark"].to_numpy()[planted],
            "fault": fault_of[planted],
        }
    ).reset_index(drop=True)
    export_years = range(int(str(_FIRST_EXPORT)[:4]), int(str(end)[:4]) + 1)
    return SyntheticRegistry(
        registry=registry,
        removals=removals,
        truth=truth,
        quota_kg=MappingProxyType(dict.fromkeys(export_years, CITES_CAP_KG)),
        seed=seed,
        faults=MappingProxyType({c: v for c, v in k.items() if v}),
    )


def _horns(
    pop: np.ndarray, year: np.ndarray, end: np.datetime64, rng: np.random.Generator
) -> pd.DataFrame:
    """Clean horns for the given population and year of each row."""
    m = len(pop)
    day = np.timedelta64(1, "D")
    region = np.empty(m, dtype=object)
    district = np.empty(m, dtype=object)
    code = np.empty(m, dtype=object)
    for name, ranges in _RANGES.items():
        here = np.flatnonzero(pop == name)
        share = np.array([r[1] for r in ranges])
        pick = rng.choice(len(ranges), size=len(here), p=share / share.sum())
        for j, (reg, _, districts, short) in enumerate(ranges):
            sel = here[pick == j]
            region[sel] = reg
            code[sel] = short
            district[sel] = np.asarray(districts, dtype=object)[
                rng.integers(0, len(districts), len(sel))
            ]
    season_start = np.array([np.datetime64(f"{y}-07-01") for y in year], dtype="datetime64[D]")
    harvested = season_start + rng.integers(0, 153, m) * day  # 1 July - 30 November
    stored = harvested + rng.integers(2, 22, m) * day
    processed = stored + rng.integers(90, 421, m) * day
    is_processed = (rng.random(m) < 0.6) & (processed <= end)
    exported = processed + rng.integers(7, 61, m) * day
    early = exported < _FIRST_EXPORT
    exported[early] = _FIRST_EXPORT + rng.integers(0, 60, int(early.sum())) * day
    is_exported = is_processed & (rng.random(m) < 0.75) & (exported <= end)

    years = pd.Series(year)
    yy = (years % 100).astype(str).str.zfill(2)
    frame = pd.DataFrame({"population": pop.astype(str), "_year": year})
    serial_no = frame.groupby(["population", "_year"]).cumcount().to_numpy()
    serial_no = (serial_no * 7919 + rng.integers(0, 7919)) % 10_000_000  # scrambled, unique < 10^7
    gtins = {p: _gtin(item) for p, item in _GTIN_ITEM.items()}
    frame["mark"] = (
        "(01)"
        + frame["population"].map(gtins)
        + "(21)"
        + frame["population"].map(_SERIAL_PREFIX)
        + yy
        + pd.Series(serial_no).astype(str).str.zfill(7)
    )
    frame["region"] = region.astype(str)
    frame["sex"] = "male"
    frame["age"] = "adult"
    frame["mass_g"] = np.clip(rng.normal(182.5, 9.0, m), 155.0, 215.0).round(1)
    frame["harvested_date"] = pd.to_datetime(harvested)
    frame["harvested_place"] = (
        pd.Series(district).astype(str) + " district, " + frame["region"] + " region"
    )
    frame["harvested_permit"] = (
        "RP-"
        + years.astype(str)
        + "-"
        + pd.Series(code).astype(str)
        + "-"
        + pd.Series(rng.integers(1, 19, m)).astype(str).str.zfill(2)
    )
    frame["stored_date"] = pd.to_datetime(stored)
    frame["stored_place"] = _WAREHOUSE
    week = pd.Series(stored.astype("datetime64[W]").astype(np.int64))
    act = frame["region"].str.cat(week.astype(str), sep="|")
    frame["stored_permit"] = (
        "AA-"
        + pd.Series(stored.astype("datetime64[Y]").astype(int) + 1970).astype(str)
        + "-"
        + pd.Series(pd.factorize(act)[0] + 1).astype(str).str.zfill(5)
    )
    frame["processed_date"] = pd.to_datetime(
        np.where(is_processed, processed, np.datetime64("NaT", "D"))
    )
    frame["processed_place"] = np.where(is_processed, _PROCESSOR, "")
    month = processed.astype("datetime64[M]")
    frame["processed_permit"] = np.where(
        is_processed,
        "PP-" + pd.Series(month.astype(str)).str.replace("-", "", regex=False),
        "",
    )
    place = np.asarray(_BORDER, dtype=object)[(rng.random(m) < 0.4).astype(int)]
    frame["exported_date"] = pd.to_datetime(
        np.where(is_exported, exported, np.datetime64("NaT", "D"))
    )
    frame["exported_place"] = np.where(is_exported, place, "")
    consignment = pd.Series(exported.astype(str)).str.cat(pd.Series(place).astype(str), sep="|")
    permit = (
        "KZ/CITES/"
        + pd.Series(exported.astype("datetime64[Y]").astype(int) + 1970).astype(str)
        + "/E"
        + pd.Series(pd.factorize(consignment)[0] + 1).astype(str).str.zfill(5)
    )
    frame["exported_permit"] = np.where(is_exported, permit, "")
    for col in ("processed_place", "processed_permit", "exported_place", "exported_permit"):
        frame[col] = frame[col].astype(str)
    return frame


def _removals(
    frame: pd.DataFrame,
    cells: list[tuple[str, int]],
    sizes: np.ndarray,
    excess_cell: int,
    k: Mapping[str, int],
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Make final removals that explain the clean horns (and fall short in the excess cell)."""
    records = []
    for j, ((pop, year), horns) in enumerate(zip(cells, sizes, strict=True)):
        if horns == 0:
            continue
        if j == excess_cell and k["excess_horns"]:
            males = (int(horns) - k["excess_horns"]) // 2
        else:  # not every culled male's horns reach the registry (broken, lost, unmarked)
            males = int(np.ceil(horns / (2 * rng.uniform(0.88, 0.97))))
        females = round(males * rng.uniform(0.7, 1.0))
        calves = round((males + females) * rng.uniform(0.08, 0.15))
        period = f"{year}-07-01/{year}-11-30"
        for sex, age, value in (
            ("male", "adult", males),
            ("female", "adult", females),
            ("all", "calf", calves),
        ):
            records.append(
                (pop, year, "cull", "final", "removal", period, sex, age, "animals", value)
            )
        if j == 0:
            # The ministry reports the horns obtained (as for the 2025 Ural cull), and an
            # interim count in the season that is never added to the final figure.
            records.append(
                (pop, year, "cull", "final", "removal", period, "male", "all", "horns", horns)
            )
            records.append(
                (
                    pop,
                    year,
                    "cull",
                    "interim",
                    "removal",
                    period,
                    "male",
                    "adult",
                    "animals",
                    males // 3,
                )
            )
    if k["no_recorded_removal"]:  # a planned cull that never became a final removal
        year = int(frame.loc[frame["population"] == _NO_REMOVAL_POPULATION, "_year"].iloc[0])
        period = f"{year}-07-01/{year}-11-30"
        records.append(
            (
                _NO_REMOVAL_POPULATION,
                year,
                "cull",
                "planned",
                "removal",
                period,
                "all",
                "adult",
                "animals",
                5000,
            )
        )
    out = pd.DataFrame(
        records,
        columns=[
            "population",
            "year",
            "kind",
            "status",
            "timing",
            "period",
            "sex",
            "age",
            "unit",
            "value",
        ],
    )
    out["value"] = out["value"].astype(float)
    out["lower"] = np.nan
    out["upper"] = np.nan
    out["source"] = "synthetic"
    out["notes"] = "synthetic removals generated with the horn registry"
    return out


def _gtin(item: str) -> str:
    body = "0" + _GS1_PREFIX + item
    return body + str(gtin_check_digit(body))
