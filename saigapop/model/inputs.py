"""Turn validated data tables into the arrays the model needs (pure pandas/numpy).

:func:`prepare_inputs` reads a :class:`saigapop.io.SaigaData`-like object (anything with
``census``, ``removals``, ``composition`` frames, ``populations`` and ``data_hash``) and a
:class:`~saigapop.model.config.ModelConfig`, and returns a frozen :class:`ModelInputs`. Every
data-handling decision of the model is made here, once, and listed in ``ModelInputs.notes``:

* census ``count`` rows -> one observation of ``q_{p,t} N_{p,t}``; rows flagged
  ``equals_planning_estimate`` only with ``config.planning_estimates == "count"`` (by
  default they are left out and noted; a ``partial_total`` residual is computed from the
  counts used);
* ``total`` rows -> the sum over all modelled populations; ``partial_total`` rows -> the
  *residual* (total minus that year's counts) observes the sum over the populations not counted
  that year, so no animal is observed twice; ``redundant_total`` and ``missing`` rows never
  enter; ``estimate`` rows only with ``config.use_estimates``;
* ``upper_bound``/``lower_bound`` rows -> censored observations of the total (or population);
* ``final`` removals with ``unit = animals`` of kind cull/harvest/capture, and small
  ``mass_mortality`` rows (< ``catastrophe_min_toll``), are subtracted in their step, split
  over the eligible sex × age classes by abundance (culls weighted by a selectivity);
  ``interim``/``planned``/``limit`` rows never; ``seizure`` rows never (recorded seizures are a
  minimum of poaching, not an estimate of it; the ``poaching_rate`` parameter carries
  poaching); national (``total``) removal rows never (they include the population rows;
  unknown splits are bounded rows);
* ``final`` ``poaching`` rows in animals (an estimate of total poaching in a population-year)
  are removals like a harvest row, split by abundance over their sex × age classes, and in
  that population-year the rate-based poaching is switched off (``poaching_off``); see
  :func:`poaching_lognormal` for how a stated range becomes a latent removal;
* a removal row with empty value and ``lower``/``upper`` bounds becomes a bounded unknown
  ``lower + (upper - lower) u`` with ``u`` a parameter;
* ``mass_mortality`` rows with value >= ``catastrophe_min_toll`` define a catastrophe: a
  hidden mortality fraction in that population-year, observed through every toll row (a
  point value is a lognormal observation, a value that equals ``lower`` is a lower bound);
* ``cull_composition`` rows: per (population, year) the row with the most animals (interim
  snapshots are cumulative, so only the latest is used);
* ``planned`` vs ``final`` pairs (same population, year and kind) -> log achieved/planned.

Over ~600 lines because every data-handling decision of the model is made here once (the list
above), each next to the note it leaves in ``ModelInputs.notes``; splitting it would split
that one record of what was used and what was skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any, Protocol

import numpy as np
import pandas as pd

from saigapop.constants import TOTAL
from saigapop.exceptions import ConfigError
from saigapop.model.config import ModelConfig

__all__ = [
    "PLANNING_FLAG",
    "POACHING_RANGE_COVERAGE",
    "DataLike",
    "ModelInputs",
    "is_planning_estimate",
    "poaching_lognormal",
    "prepare_inputs",
]

#: Census flag of a figure identical to a ministry planning estimate (issue 17): such rows
#: enter only with ``ModelConfig.planning_estimates == "count"``.
PLANNING_FLAG = "equals_planning_estimate"
_REMOVAL_KINDS = ("cull", "harvest", "capture")
_SEX_MASK = {"female": (1.0, 0.0), "male": (0.0, 1.0), "all": (1.0, 1.0)}
_AGE_MASK = {
    "calf": (1.0, 0.0, 0.0),
    "yearling": (0.0, 1.0, 0.0),
    "adult": (0.0, 0.0, 1.0),
    "yearling_adult": (0.0, 1.0, 1.0),
    "all": (1.0, 1.0, 1.0),
}
TIMINGS = ("calving", "removal", "winter")
#: Probability the prior of a recorded poaching estimate puts inside the row's stated
#: ``lower``–``upper`` range (see :func:`poaching_lognormal`).
POACHING_RANGE_COVERAGE = 0.90
#: Assumed initial growth rate used only to backcast a population's first count to the start
#: year for the *centre* of the wide initial-abundance prior.
BACKCAST_GROWTH = 1.2


class DataLike(Protocol):
    """What the model needs from a data object (``saigapop.io.SaigaData`` satisfies it)."""

    census: pd.DataFrame
    removals: pd.DataFrame
    composition: pd.DataFrame
    populations: tuple[str, ...]

    @property
    def data_hash(self) -> str:
        """Hash identifying the data."""
        ...


@dataclass(frozen=True)
class ModelInputs:
    """Arrays and index tables for :func:`saigapop.model.build.build_model`.

    Indices ``p`` are positions in ``populations``, ``t`` positions in ``years``. Masks over
    sex × age are ``(2, 3)``: (female, male) × (calf, yearling, adult).
    """

    populations: tuple[str, ...]
    years: np.ndarray
    counts: pd.DataFrame  # p, t, value, kind ("count" or "estimate"), year, population
    sums: pd.DataFrame  # t, value, mask (tuple of P floats), kind, label
    bounds: pd.DataFrame  # t, value, mask, side ("upper" / "lower"), label
    removals: (
        pd.DataFrame
    )  # t, timing, p, value, mask (2x3 tuple), selective, unknown, latent (indices or -1), label
    unknown_removals: pd.DataFrame  # lower, upper, label
    dieoffs: pd.DataFrame  # p, t, label
    tolls: pd.DataFrame  # dieoff (index), value, side ("point"/"lower"), label
    compositions: pd.DataFrame  # p, t, males, females, calves (NaN = not reported), label
    sex_ratios: pd.DataFrame  # p, t, timing, males, females, label
    calves_per_female: pd.DataFrame  # p, t, calves, females, label
    implementation: pd.DataFrame  # log_ratio, label
    catastrophe_record: tuple[int, int]  # (events, population-years)
    breaks: tuple[tuple[int, int], ...]  # (p, t) catchability breaks inside the window
    break_labels: tuple[str, ...]
    init_scale: np.ndarray  # (P,) centre of the initial-abundance prior
    density_scale: np.ndarray  # (P,) K: largest count (or share of the largest total)
    data_hash: str
    notes: tuple[str, ...] = field(default=())
    #: Recorded poaching estimates with a stated range: latent removals
    #: ``LogNormal(mu, sigma)`` (columns mu, sigma, lower, upper, label); ``removals.latent``
    #: indexes them.
    poaching_estimates: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["mu", "sigma", "lower", "upper", "label"])
    )
    #: ``(p, t)`` population-years with a recorded poaching estimate: the rate-based poaching
    #: (``poaching_rate_male``) does not act there, the estimate replaces it.
    poaching_off: tuple[tuple[int, int], ...] = field(default=())

    @property
    def n_pop(self) -> int:
        """Number of populations."""
        return len(self.populations)

    @property
    def n_year(self) -> int:
        """Number of census years (states)."""
        return len(self.years)

    def summary(self) -> dict[str, Any]:
        """Row counts of every likelihood stream (for logs and reports)."""
        return {
            "counts": int((self.counts["kind"] == "count").sum()),
            "estimates": int((self.counts["kind"] == "estimate").sum()),
            "sums": len(self.sums),
            "bounds": len(self.bounds),
            "removals": len(self.removals),
            "unknown_removals": len(self.unknown_removals),
            "poaching_estimates": len(self.poaching_estimates),
            "dieoffs": len(self.dieoffs),
            "tolls": len(self.tolls),
            "compositions": len(self.compositions),
            "sex_ratios": len(self.sex_ratios),
            "calves_per_female": len(self.calves_per_female),
            "implementation": len(self.implementation),
        }


def is_planning_estimate(row: pd.Series) -> bool:
    """Whether a census row carries the flag :data:`PLANNING_FLAG`.

    Examples
    --------
    >>> is_planning_estimate(pd.Series({"flag": "approximate;equals_planning_estimate"}))
    True
    >>> is_planning_estimate(pd.Series({"flag": float("nan")}))
    False
    """
    flag = row.get("flag", "")
    if not isinstance(flag, str):
        return False
    return PLANNING_FLAG in (f.strip() for f in flag.split(";"))


def _label(row: pd.Series, *cols: str) -> str:
    return " ".join(str(row[c]) for c in cols)


def poaching_lognormal(
    lower: float, upper: float, coverage: float = POACHING_RANGE_COVERAGE
) -> tuple[float, float]:
    r"""``(mu, sigma)`` of the lognormal prior of a poaching estimate stated as a range.

    The removed number is :math:`\mathrm{LogNormal}(\mu, \sigma)` with ``lower`` and
    ``upper`` as its central ``coverage`` (90 %) interval:
    :math:`\mu = (\log L + \log U)/2`,
    :math:`\sigma = (\log U - \log L) / (2 z_{(1 + c)/2})`.

    Why lognormal and why 90 %: a poaching estimate is a positive number built by
    multiplying uncertain factors (seizures × a detection ratio, carcass counts × an area
    ratio), so its error is multiplicative and its range is asymmetric around the figure;
    a published "between L and U" is a plausible range, not a hard limit, so the prior keeps
    10 % of its mass outside it (a uniform on the range would make values just outside it
    impossible and every value inside it equally likely). The median is the geometric
    midpoint :math:`\sqrt{LU}`; a point figure published with the range does not move it.
    No source gives a calibrated coverage for published poaching ranges; 90 % is a stated
    assumption.

    Parameters
    ----------
    lower, upper
        The stated range, ``0 < lower < upper``.
    coverage
        Prior probability inside ``[lower, upper]``.

    Returns
    -------
    tuple of float
        ``(mu, sigma)`` on the log scale.

    Raises
    ------
    ValueError
        If the range is not ``0 < lower < upper`` or ``coverage`` is not in (0, 1).

    Examples
    --------
    >>> mu, sigma = poaching_lognormal(300.0, 1200.0)
    >>> round(float(np.exp(mu)), 6), round(sigma, 4)
    (600.0, 0.4214)
    """
    if not (0.0 < lower < upper) or not np.isfinite(upper):
        raise ValueError(f"a poaching range needs 0 < lower < upper, got {lower} and {upper}")
    if not 0.0 < coverage < 1.0:
        raise ValueError(f"coverage must be in (0, 1), got {coverage}")
    z = NormalDist().inv_cdf(0.5 + coverage / 2.0)
    lo, hi = np.log(lower), np.log(upper)
    return float((lo + hi) / 2.0), float((hi - lo) / (2.0 * z))


def prepare_inputs(data: DataLike, config: ModelConfig) -> ModelInputs:
    """Translate validated data and a config into :class:`ModelInputs`.

    Parameters
    ----------
    data
        A :class:`saigapop.io.SaigaData` (or any object with the same frames and attributes).
    config
        Model configuration.

    Returns
    -------
    ModelInputs

    Raises
    ------
    ConfigError
        If the year window holds no census observation, or a population has no data at all.
    """
    pops = tuple(data.populations)
    if not pops:
        raise ConfigError("the data hold no population")
    pidx = {p: i for i, p in enumerate(pops)}
    census = data.census.copy()
    notes: list[str] = []
    lik_kinds = {"count", "total", "partial_total", "upper_bound", "lower_bound"}
    if config.use_estimates:
        lik_kinds.add("estimate")
    end = config.end_year
    if end is None:
        usable = census[census["kind"].isin(lik_kinds) & census["value"].notna()]
        usable = usable[usable["year"] >= config.start_year]
        if usable.empty:
            raise ConfigError(f"no census observation from {config.start_year} on")
        end = int(usable["year"].max())
    if end <= config.start_year:
        raise ConfigError(f"end year {end} must be after start_year {config.start_year}")
    years = np.arange(config.start_year, end + 1)
    tidx = {int(y): i for i, y in enumerate(years)}
    in_win = census["year"].between(config.start_year, end)
    all_pops_modelled = True  # SaigaData.select drops national rows unless all are kept

    # ---- counts (and estimates) ------------------------------------------------------------
    rows = []
    left_out: list[tuple[int, float]] = []  # (p, value) of planning-estimate rows left out
    if config.uses("counts"):
        kinds = ["count", "estimate"] if config.use_estimates else ["count"]
        sel = census[in_win & census["kind"].isin(kinds) & census["population"].isin(pops)]
        for _, r in sel.iterrows():
            if config.planning_estimates == "left_out" and is_planning_estimate(r):
                notes.append(
                    f"{_label(r, 'population', 'year', 'kind')} {r['value']:.0f}: not used, "
                    f"equals a planning estimate (flag {PLANNING_FLAG}; "
                    "planning_estimates='left_out')"
                )
                left_out.append((pidx[r["population"]], float(r["value"])))
                continue
            rows.append(
                {
                    "p": pidx[r["population"]],
                    "t": tidx[int(r["year"])],
                    "value": float(r["value"]),
                    "kind": r["kind"],
                    "year": int(r["year"]),
                    "population": r["population"],
                }
            )
    counts = pd.DataFrame(rows, columns=["p", "t", "value", "kind", "year", "population"])
    counted = {(r.p, r.t) for r in counts.itertuples() if r.kind == "count"}

    # ---- national totals / partial totals / bounds ----------------------------------------
    sums, bounds = [], []
    nat = census[in_win & (census["population"] == TOTAL)]
    for _, r in nat.iterrows():
        t = tidx[int(r["year"])]
        kind = r["kind"]
        label = _label(r, "population", "year", "kind")
        if kind == "total" and config.uses("totals"):
            sums.append(
                {
                    "t": t,
                    "value": float(r["value"]),
                    "mask": (1.0,) * len(pops),
                    "kind": kind,
                    "label": label,
                }
            )
        elif kind == "partial_total" and config.uses("totals"):
            here = [p for p in range(len(pops)) if (p, t) in counted]
            resid = float(r["value"]) - float(
                counts[(counts["t"] == t) & (counts["kind"] == "count")]["value"].sum()
            )
            mask = tuple(0.0 if p in here else 1.0 for p in range(len(pops)))
            if resid > 0 and sum(mask) > 0:
                sums.append(
                    {
                        "t": t,
                        "value": resid,
                        "mask": mask,
                        "kind": kind,
                        "label": label + f" (residual {resid:.0f})",
                    }
                )
                notes.append(
                    f"{label}: residual {resid:.0f} after this year's counts observes the "
                    "populations not counted that year"
                )
            else:
                notes.append(f"{label}: no positive residual after counts; not used")
        elif kind in ("upper_bound", "lower_bound") and config.uses("bounds"):
            bounds.append(
                {
                    "t": t,
                    "value": float(r["value"]),
                    "mask": (1.0,) * len(pops),
                    "side": kind.split("_")[0],
                    "label": label,
                }
            )
        elif kind == "estimate" and config.use_estimates and config.uses("totals"):
            sums.append(
                {
                    "t": t,
                    "value": float(r["value"]),
                    "mask": (1.0,) * len(pops),
                    "kind": "estimate",
                    "label": label,
                }
            )
    pb = census[
        in_win
        & census["kind"].isin(["upper_bound", "lower_bound"])
        & census["population"].isin(pops)
    ]
    if config.uses("bounds"):
        for _, r in pb.iterrows():
            mask = tuple(1.0 if q == r["population"] else 0.0 for q in pops)
            bounds.append(
                {
                    "t": tidx[int(r["year"])],
                    "value": float(r["value"]),
                    "mask": mask,
                    "side": r["kind"].split("_")[0],
                    "label": _label(r, "population", "year", "kind"),
                }
            )
    sums_df = pd.DataFrame(sums, columns=["t", "value", "mask", "kind", "label"])
    bounds_df = pd.DataFrame(bounds, columns=["t", "value", "mask", "side", "label"])
    if not all_pops_modelled:  # pragma: no cover - kept for clarity
        sums_df = sums_df.iloc[0:0]

    # ---- removals and die-offs ------------------------------------------------------------
    rem = data.removals.copy()
    rem_in = rem[rem["year"].between(config.start_year, end)]
    removal_rows, unknown_rows, dieoffs, tolls = [], [], [], []
    poaching_rows: list[dict[str, Any]] = []
    poaching_off: set[tuple[int, int]] = set()
    skipped: dict[str, int] = {}
    used: dict[str, int] = {}

    def skip(reason: str) -> None:
        skipped[reason] = skipped.get(reason, 0) + 1

    def use(reason: str) -> None:
        used[reason] = used.get(reason, 0) + 1

    big = rem_in[
        (rem_in["kind"] == "mass_mortality")
        & (rem_in["status"] == "final")
        & (rem_in["unit"] == "animals")
        & (rem_in["population"].isin(pops))
        & (rem_in[["value", "lower"]].max(axis=1) >= config.catastrophe_min_toll)
    ]
    die_key: dict[tuple[int, int], int] = {}
    for _, r in big.sort_values(["year", "population"]).iterrows():
        key = (pidx[r["population"]], tidx[int(r["year"])])
        if key not in die_key:
            die_key[key] = len(dieoffs)
            dieoffs.append(
                {"p": key[0], "t": key[1], "label": f"{r['population']} {int(r['year'])}"}
            )
        value = r["value"] if pd.notna(r["value"]) else r["lower"]
        side = "lower" if pd.notna(r["lower"]) and float(r["lower"]) == float(value) else "point"
        tolls.append(
            {
                "dieoff": die_key[key],
                "value": float(value),
                "side": side,
                "label": _label(r, "population", "year", "source")[:120],
            }
        )
    big_index = set(big.index)
    for i, r in rem_in.iterrows():
        if i in big_index:
            continue
        if r["status"] != "final":
            skip(f"status {r['status']} (never a removal)")
            continue
        if r["unit"] != "animals":
            skip("unit horns (same animals as an animals row, or seizures)")
            continue
        if r["population"] == TOTAL or r["population"] not in pops:
            skip("national or unmodelled population (split unknown; bounded rows carry it)")
            continue
        if r["kind"] == "seizure":
            skip(
                "seizure: a recorded minimum of poaching, not an estimate of it; "
                "poaching is carried by poaching_rate"
            )
            continue
        if r["kind"] not in (*_REMOVAL_KINDS, "mass_mortality", "poaching"):
            skip(f"kind {r['kind']}")
            continue
        timing = (
            r["timing"]
            if isinstance(r["timing"], str) and r["timing"] in TIMINGS
            else config.removal_timing
        )
        mask = tuple(tuple(s * a for a in _AGE_MASK[r["age"]]) for s in _SEX_MASK[r["sex"]])
        if timing == "calving":  # before the removal season only calves of the year exist
            pass
        t = tidx[int(r["year"])]
        unknown = latent = -1
        value = r["value"]
        row_label = _label(r, "population", "year", "kind", "sex", "age")
        lo_ = float(r["lower"]) if pd.notna(r["lower"]) else np.nan
        hi_ = float(r["upper"]) if pd.notna(r["upper"]) else np.nan
        if r["kind"] == "poaching" and lo_ > 0 and hi_ > lo_:
            mu, sigma = poaching_lognormal(lo_, hi_)
            latent = len(poaching_rows)
            poaching_rows.append(
                {"mu": mu, "sigma": sigma, "lower": lo_, "upper": hi_, "label": row_label}
            )
            value = 0.0
            use(
                "poaching estimate with a range: a latent lognormal removal, the range its "
                f"{POACHING_RANGE_COVERAGE:.0%} interval"
            )
        elif pd.isna(value):
            lo = float(r["lower"]) if pd.notna(r["lower"]) else 0.0
            hi = float(r["upper"]) if pd.notna(r["upper"]) else np.nan
            if not np.isfinite(hi):
                skip("no value and no upper bound")
                continue
            if int(r["year"]) >= end:
                notes.append(
                    f"bounded removal {r['population']} {int(r['year'])} ({lo:.0f}-{hi:.0f}) is "
                    "after the last census; left to the projection"
                )
                continue
            unknown = len(unknown_rows)
            unknown_rows.append(
                {
                    "lower": lo,
                    "upper": hi,
                    "label": f"{r['population']} {int(r['year'])} {r['kind']}",
                }
            )
            value = 0.0
            use(f"{r['kind']}, bounded unknown: lower + (upper - lower) u, u uniform")
        else:
            use(f"{r['kind']}, as recorded")
        if r["kind"] == "poaching":
            poaching_off.add((pidx[r["population"]], t))
        removal_rows.append(
            {
                "t": t,
                "timing": timing,
                "p": pidx[r["population"]],
                "value": float(value),
                "mask": mask,
                "selective": r["kind"] in _REMOVAL_KINDS,
                "unknown": unknown,
                "latent": latent,
                "label": row_label,
            }
        )
    for reason, n in sorted(used.items()):
        notes.append(f"removal rows subtracted ({reason}): {n}")
    for reason, n in sorted(skipped.items()):
        notes.append(f"removal rows not subtracted ({reason}): {n}")
    for p, t in sorted(poaching_off, key=lambda k: (k[1], k[0])):
        notes.append(
            f"{pops[p]} {int(years[t])}: recorded poaching estimate replaces the rate-based "
            "poaching (poaching_rate_male) in that population-year"
        )
    n_events = len(dieoffs)
    record = (n_events, len(pops) * len(years)) if config.uses("catastrophe_record") else (0, 0)
    if not config.uses("dieoff_tolls"):
        tolls = []

    # ---- composition ------------------------------------------------------------------------
    comp = data.composition
    comp = comp[comp["year"].between(config.start_year, end) & comp["population"].isin(pops)]
    comps, sexr, cpf = [], [], []
    cull = comp[comp["kind"] == "cull_composition"]
    if config.uses("cull_composition") and not cull.empty:
        tot = cull[["males", "females", "calves"]].sum(axis=1, skipna=True)
        cull = cull.assign(_tot=tot).sort_values("_tot")
        for (pop, yr), g in cull.groupby(["population", "year"]):
            r = g.iloc[-1]
            comps.append(
                {
                    "p": pidx[pop],
                    "t": tidx[int(yr)],
                    "males": r["males"],
                    "females": r["females"],
                    "calves": r["calves"],
                    "label": f"{pop} {int(yr)} cull composition ({r['status']})",
                }
            )
            if len(g) > 1:
                notes.append(
                    f"{pop} {int(yr)}: {len(g)} cull-composition rows are cumulative snapshots; "
                    "only the largest is used"
                )
    if config.uses("sex_ratio"):
        for _, r in comp[comp["kind"] == "adult_sex_ratio"].iterrows():
            if pd.notna(r["males"]) and pd.notna(r["females"]):
                sexr.append(
                    {
                        "p": pidx[r["population"]],
                        "t": tidx[int(r["year"])],
                        "timing": r["timing"],
                        "males": float(r["males"]),
                        "females": float(r["females"]),
                        "label": _label(r, "population", "year", "kind"),
                    }
                )
    if config.uses("calves_per_female"):
        for _, r in comp[comp["kind"] == "calves_per_female"].iterrows():
            if pd.notna(r["calves"]) and pd.notna(r["females"]) and r["females"] > 0:
                cpf.append(
                    {
                        "p": pidx[r["population"]],
                        "t": tidx[int(r["year"])],
                        "calves": float(r["calves"]),
                        "females": float(r["females"]),
                        "label": _label(r, "population", "year", "kind"),
                    }
                )

    # ---- implementation (planned vs final) ---------------------------------------------------
    impl = []
    if config.uses("implementation"):
        key = ["population", "year", "kind"]
        an = rem[(rem["unit"] == "animals") & (rem["sex"] == "all") & (rem["age"] == "all")]
        fin = an[an["status"] == "final"].dropna(subset=["value"])
        plan = an[an["status"] == "planned"].dropna(subset=["value"])
        merged = plan.merge(fin, on=key, suffixes=("_plan", "_final"))
        for _, r in merged.iterrows():
            if r["value_plan"] > 0 and r["value_final"] > 0:
                impl.append(
                    {
                        "log_ratio": float(np.log(r["value_final"] / r["value_plan"])),
                        "label": f"{r['population']} {int(r['year'])} {r['kind']}",
                    }
                )

    # ---- catchability breaks --------------------------------------------------------------
    breaks, break_labels = [], []
    for pop, yr in config.catchability_breaks:
        if pop in pidx and yr in tidx:
            breaks.append((pidx[pop], tidx[yr]))
            break_labels.append(f"{pop} {yr}")
        else:
            notes.append(f"catchability break {pop} {yr} is outside the data/window; ignored")

    # ---- scales -----------------------------------------------------------------------------
    start_total = sums_df[(sums_df["t"] == 0) & (sums_df["kind"] == "total")]
    back = np.empty(len(pops))
    for p in range(len(pops)):
        c = counts[(counts["p"] == p) & (counts["kind"] == "count")].sort_values("t")
        if c.empty:
            back[p] = np.nan
        else:
            back[p] = c["value"].iloc[0] / BACKCAST_GROWTH ** c["t"].iloc[0]
    if np.all(np.isnan(back)):
        if start_total.empty and sums_df.empty:
            raise ConfigError("no count and no total for any population in the window")
        back[:] = 1.0
    back = np.where(np.isnan(back), np.nanmedian(back), back)
    if not start_total.empty:
        back = back / back.sum() * float(start_total["value"].iloc[0])
        notes.append(
            "initial-abundance prior centre: first counts backcast at 1.2/yr, "
            "rescaled to the start-year national total"
        )
    dens = np.empty(len(pops))
    for p in range(len(pops)):
        # rows left out as planning estimates still set the scale, so both treatments
        # (config.planning_estimates) share the prior and differ only by their likelihood
        vals = [*counts.loc[counts["p"] == p, "value"], *(v for q, v in left_out if q == p)]
        dens[p] = max(vals) if vals else np.nan
    if np.any(np.isnan(dens)):
        fill = (sums_df["value"].max() / len(pops)) if not sums_df.empty else np.nanmax(dens)
        dens = np.where(np.isnan(dens), fill, dens)

    for name, values, target in (
        ("initial-abundance prior centre", config.initial_abundance_scale, back),
        ("density scale K", config.density_scale, dens),
    ):
        fixed = {pop: v for pop, v in values if pop in pidx}
        for pop, v in fixed.items():
            target[pidx[pop]] = v
        if fixed:
            notes.append(f"{name} fixed by the config for {sorted(fixed)} (not from the data)")
        for pop, _ in values:
            if pop not in pidx:
                notes.append(f"{name} given for {pop}, which is not in the data; ignored")

    return ModelInputs(
        populations=pops,
        years=years,
        counts=counts,
        sums=sums_df,
        bounds=bounds_df,
        removals=pd.DataFrame(
            removal_rows,
            columns=[
                "t",
                "timing",
                "p",
                "value",
                "mask",
                "selective",
                "unknown",
                "latent",
                "label",
            ],
        ),
        unknown_removals=pd.DataFrame(unknown_rows, columns=["lower", "upper", "label"]),
        dieoffs=pd.DataFrame(dieoffs, columns=["p", "t", "label"]),
        tolls=pd.DataFrame(tolls, columns=["dieoff", "value", "side", "label"]),
        compositions=pd.DataFrame(comps, columns=["p", "t", "males", "females", "calves", "label"]),
        sex_ratios=pd.DataFrame(sexr, columns=["p", "t", "timing", "males", "females", "label"]),
        calves_per_female=pd.DataFrame(cpf, columns=["p", "t", "calves", "females", "label"]),
        implementation=pd.DataFrame(impl, columns=["log_ratio", "label"]),
        catastrophe_record=record,
        breaks=tuple(breaks),
        break_labels=tuple(break_labels),
        init_scale=back.astype(float),
        density_scale=dens.astype(float),
        # what the fit depends on: the fitted tables, not the offtake plan (projections only)
        data_hash=str(getattr(data, "tables_hash", data.data_hash)),
        notes=tuple(notes),
        poaching_estimates=pd.DataFrame(
            poaching_rows, columns=["mu", "sigma", "lower", "upper", "label"]
        ),
        poaching_off=tuple(sorted(poaching_off)),
    )
