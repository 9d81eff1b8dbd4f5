"""Validate a horn registry, vectorised: every row accepted or rejected with its reasons.

Every finding names the row (its line in the file; the first data row is 2) and the mark. No
row is ever dropped: ``n_accepted + n_rejected == n_input`` always holds.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from saigapop.constants import KAZAKH_POPULATIONS, POPULATION, TOTAL, YEAR, YEAR_RANGE
from saigapop.exceptions import DataValidationError
from saigapop.io.plausibility import Plausibility, latest_census_year
from saigapop.io.populations import PopulationResolver, UnknownPopulationError
from saigapop.io.problems import Problem
from saigapop.registry.files import read_registry
from saigapop.registry.gs1 import parse_marks
from saigapop.registry.removals import canonical_population, males_removed
from saigapop.registry.schema import (
    AGE_ALIASES,
    DATE_COLUMNS,
    DATE_PATTERN,
    FAULTS,
    HORN_MASS_G_PLAUSIBLE,
    MODEL_YEAR_START_MONTH,
    REGISTRY_COLUMNS,
    REQUIRED_COLUMNS,
    SEX_ALIASES,
    STAGES,
)

__all__ = ["RegistryValidation", "validate_registry"]

_Lazy = Callable[[np.ndarray], "pd.Series | np.ndarray | list[str]"]

FINDING_COLUMNS: tuple[str, ...] = ("row", "mark", "fault", "column", "value", "rule", "message")
_TEXT_COLUMNS = tuple(c for c in REGISTRY_COLUMNS if c not in (*DATE_COLUMNS, "mass_g"))


@dataclass(frozen=True)
class RegistryValidation:
    """The outcome of :func:`validate_registry`.

    Attributes
    ----------
    table
        One row per input row, in input order: the registry columns parsed (dates as
        ``datetime64``, ``mass_g`` as float, text stripped, population/sex/age canonical), then
        ``row`` (line in the file), ``gtin``, ``serial``, ``year`` (model year of the harvest),
        ``status`` (``"accepted"`` or ``"rejected"``) and ``reasons`` (fault codes joined by
        ``";"``, empty when accepted). Extra input columns follow unchanged.
    findings
        One row per finding: ``row``, ``mark`` (as written), ``fault`` (a key of
        :data:`~saigapop.registry.FAULTS`), ``column``, ``value``, ``rule`` and ``message``
        (a sentence naming the row and the mark). Sorted by row.
    removals
        The males-removed summary used for the population-year checks
        (:func:`~saigapop.registry.males_removed`), or ``None`` if no removals were given.
    file
        Label of the input used in messages.
    mass_bounds
        The plausible per-horn mass envelope used, grams.
    as_of
        The as-of year the custody dates were checked against (``None``: not checked).
    """

    table: pd.DataFrame
    findings: pd.DataFrame
    removals: pd.DataFrame | None
    file: str
    mass_bounds: tuple[float, float] = field(default=HORN_MASS_G_PLAUSIBLE)
    as_of: int | None = None

    @property
    def n_input(self) -> int:
        """Number of input rows."""
        return len(self.table)

    @property
    def n_accepted(self) -> int:
        """Number of rows accepted."""
        return int((self.table["status"] == "accepted").sum())

    @property
    def n_rejected(self) -> int:
        """Number of rows rejected (each with at least one reason)."""
        return int((self.table["status"] == "rejected").sum())

    @property
    def accepted(self) -> pd.DataFrame:
        """The accepted rows of :attr:`table`."""
        return self.table.loc[self.table["status"] == "accepted"]

    @property
    def rejected(self) -> pd.DataFrame:
        """The rejected rows of :attr:`table`."""
        return self.table.loc[self.table["status"] == "rejected"]

    def fault_counts(self) -> pd.Series:
        """Rows with each fault (a row may have several), for every fault type.

        Returns
        -------
        pandas.Series
            Indexed by fault code in :data:`~saigapop.registry.FAULTS` order, named ``rows``.
        """
        counts = self.findings.drop_duplicates(["row", "fault"])["fault"].value_counts()
        return counts.reindex(list(FAULTS), fill_value=0).astype("int64").rename("rows")

    def accounting(self) -> pd.DataFrame:
        """Input rows split into accepted and rejected, with rejections by reason.

        Returns
        -------
        pandas.DataFrame
            Index ``input``, ``accepted``, ``rejected``, then one line per fault (rows with
            that fault; a row may count under several faults), column ``rows``.
        """
        head = pd.Series(
            {"input": self.n_input, "accepted": self.n_accepted, "rejected": self.n_rejected},
            dtype="int64",
        )
        counts = self.fault_counts()
        counts.index = [f"rejected: {code}" for code in counts.index]
        return pd.concat([head, counts]).rename("rows").to_frame()

    def problems(self) -> list[Problem]:
        """Every finding as a :class:`saigapop.io.Problem` (all errors), in row order."""
        return [
            Problem(
                self.file,
                int(r.row),
                r.column if isinstance(r.column, str) else None,
                r.value,
                f"mark {r.mark}: {r.rule} [{r.fault}]",
            )
            for r in self.findings.itertuples(index=False)
        ]

    def raise_if_rejected(self) -> None:
        """Raise :class:`~saigapop.exceptions.DataValidationError` if any row was rejected."""
        if len(self.findings):
            raise DataValidationError(self.problems())


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

    reg = _parse(frame)
    out = _Findings(len(frame), reg.rows, reg.text["mark"])
    _check_values(out, reg, registry.attrs.get("read_problems", []))
    unknown = _check_populations(out, reg, populations, removals)
    as_of = _registry_as_of(plausibility, census, removals)
    late = _check_as_of(out, reg, as_of)
    _check_marks(out, reg)
    _check_biology(out, reg, lo, hi)
    _check_custody(out, reg)
    summary = None if removals is None else males_removed(removals)
    if summary is not None:
        # A horn whose population or harvest date is wrong is reported as that, not as a
        # population-year without removals.
        _check_population_years(out, reg, summary, unknown | late)

    findings = out.frame()
    reasons = _reasons(len(frame), out.masks)
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


# --- parsing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Parsed:
    """The registry's columns parsed once, shared by the checks (all aligned on one index)."""

    rows: pd.Series  # line numbers
    text: dict[str, pd.Series]  # text columns, stripped ("" = empty)
    dates: dict[str, pd.Series]  # stage -> datetime64 (NaT = empty or unreadable)
    date_text: dict[str, pd.Series]  # stage -> the date as written ("" for typed input)
    present: dict[str, pd.Series]  # stage -> the cell holds a date (readable or not)
    mass: pd.Series  # grams, NaN = empty or unreadable
    mass_text: pd.Series  # as written
    marks: pd.DataFrame  # parse_marks()
    population: pd.Series  # canonical spelling
    sex: pd.Series  # canonical or NaN
    age: pd.Series  # canonical or NaN
    model_year: pd.Series  # Int64, <NA> without a readable harvest date

    def shown_date(self, stage: str) -> _Lazy:
        """Show a stage's date as ISO where readable, else as written (hit rows only)."""
        return lambda hit: _iso(self.dates[stage][hit]).where(
            self.dates[stage][hit].notna(), self.date_text[stage][hit]
        )

    def shown_mass(self, hit: np.ndarray) -> pd.Series:
        """Show masses as numbers where readable (an Excel 1903.0 reads "1903"), else as written."""
        return self.mass[hit].astype(str).where(self.mass[hit].notna(), self.mass_text[hit])


def _parse(frame: pd.DataFrame) -> _Parsed:
    empty = pd.Series("", index=frame.index, dtype="str")
    text = {c: _text(frame[c]) if c in frame else empty for c in _TEXT_COLUMNS}
    dates, date_text = {}, {}
    for stage in STAGES:
        col = f"{stage}_date"
        dates[stage], date_text[stage] = _dates(frame.get(col, empty))
    present = {s: (date_text[s] != "") | dates[s].notna() for s in STAGES}
    mass_text = _text(frame["mass_g"])
    mass = (
        pd.to_numeric(frame["mass_g"], errors="coerce").astype(float)
        if _is_numeric(frame["mass_g"])
        else pd.to_numeric(mass_text.where(mass_text != ""), errors="coerce").astype(float)
    )
    h = dates["harvested"]
    model_year = h.dt.year - (h.dt.month < MODEL_YEAR_START_MONTH).astype("int64")
    return _Parsed(
        rows=_row_numbers(frame),
        text=text,
        dates=dates,
        date_text=date_text,
        present=present,
        mass=mass,
        mass_text=mass_text,
        marks=parse_marks(text["mark"]),
        population=canonical_population(text["population"]),
        sex=text["sex"].str.lower().map(SEX_ALIASES),
        age=text["age"].str.lower().map(AGE_ALIASES),
        model_year=model_year.astype("Int64"),
    )


# --- checks -------------------------------------------------------------------------------


def _check_values(out: _Findings, reg: _Parsed, read_problems: list[Problem]) -> None:
    text = reg.text
    for col in ("mark", "population", "region", "harvested_place"):
        out.add("invalid_value", text[col] == "", col, text[col], "missing value")
    national = reg.population.str.lower() == TOTAL
    out.add(
        "invalid_value",
        national,
        POPULATION,
        text["population"],
        "a horn comes from one population",
    )
    for col, parsed, expected in (
        ("sex", reg.sex, "male or female"),
        ("age", reg.age, "calf, yearling or adult"),
    ):
        blank = text[col] == ""
        out.add("invalid_value", blank, col, text[col], "missing value")
        out.add("invalid_value", ~blank & parsed.isna(), col, text[col], f"expected {expected}")
    mass_blank = reg.mass_text == ""
    out.add("invalid_value", mass_blank, "mass_g", reg.mass_text, "missing value")
    unreadable = reg.mass.isna() & ~mass_blank
    out.add("invalid_value", unreadable, "mass_g", reg.mass_text, "expected a number of grams")
    for stage in STAGES:
        written = reg.date_text[stage]
        unreadable = (written != "") & reg.dates[stage].isna()
        out.add(
            "invalid_value",
            unreadable,
            f"{stage}_date",
            written,
            f"expected an ISO date YYYY-MM-DD (a full date, year {YEAR_RANGE[0]}-{YEAR_RANGE[1]})",
        )
    out.add(
        "invalid_value",
        ~reg.present["harvested"],
        "harvested_date",
        reg.date_text["harvested"],
        "missing value",
    )
    for stage in STAGES[1:]:
        place, permit = text[f"{stage}_place"], text[f"{stage}_permit"]
        out.add(
            "invalid_value",
            ~reg.present[stage] & ((place != "") | (permit != "")),
            f"{stage}_date",
            reg.date_text[stage],
            f"the {stage} event has a place or permit but no date",
        )
        out.add(
            "invalid_value",
            reg.present[stage] & (place == ""),
            f"{stage}_place",
            place,
            f"the {stage} event has no place",
        )
    for problem in read_problems:  # e.g. a CSV line with too many fields
        value = pd.Series(problem.value or "", index=reg.rows.index)
        out.add("invalid_value", reg.rows == problem.row, problem.column, value, problem.rule)


def _check_populations(
    out: _Findings,
    reg: _Parsed,
    populations: Iterable[str] | None,
    removals: pd.DataFrame | None,
) -> np.ndarray:
    """Report unknown population names with the nearest known one; return their row mask."""
    declared = [str(p) for p in populations or ()]
    if removals is not None and POPULATION in removals.columns:
        named = canonical_population(removals[POPULATION]).unique()
        declared += [n for n in named if n and n.lower() != TOTAL and n not in KAZAKH_POPULATIONS]
    resolver = PopulationResolver(declared)
    written = reg.text["population"]
    messages: dict[str, str] = {}
    for name in written.unique():
        if not name or name.lower() == TOTAL:
            continue
        try:
            resolver.resolve(name)
        except UnknownPopulationError as err:
            messages[name] = str(err)
    unknown = written.isin(list(messages)).to_numpy()
    out.add(
        "invalid_value",
        unknown,
        POPULATION,
        written,
        lambda hit: written[hit].map(messages),
    )
    return unknown


def _registry_as_of(
    plausibility: Plausibility | None, census: pd.DataFrame | None, removals: pd.DataFrame | None
) -> int | None:
    if plausibility is not None and plausibility.as_of is not None:
        return plausibility.as_of
    if census is not None:
        latest = latest_census_year(census)
        if latest is not None:
            return latest + 1
    if removals is not None and {"status", YEAR} <= set(removals.columns):
        status = removals["status"].astype(str).str.strip().str.lower()
        years = pd.to_numeric(removals.loc[status == "final", YEAR], errors="coerce").dropna()
        if len(years):
            return int(years.max()) + 1
    return None


def _check_as_of(out: _Findings, reg: _Parsed, as_of: int | None) -> np.ndarray:
    """Report custody dates after 31 December of the as-of year; return rows with a late harvest."""
    late_harvest = np.zeros(len(reg.rows), dtype=bool)
    if as_of is None:
        return late_harvest
    end = pd.Timestamp(year=as_of + 1, month=1, day=1)
    for stage in STAGES:
        late = (reg.dates[stage] >= end).to_numpy()
        if stage == "harvested":
            late_harvest = late
        out.add(
            "invalid_value",
            late,
            f"{stage}_date",
            reg.shown_date(stage),
            lambda hit, stage=stage: (
                "the "
                + stage
                + " date "
                + _iso(reg.dates[stage][hit])
                + f" is after the as-of year {as_of} (Plausibility.as_of; by default the "
                "latest census year + 1)"
            ),
        )
    return late_harvest


def _check_marks(out: _Findings, reg: _Parsed) -> None:
    mark, marks = reg.text["mark"], reg.marks
    out.add(
        "malformed_mark",
        (mark != "") & ~marks["well_formed"],
        "mark",
        mark,
        "not a GS1 element string (01)<GTIN-14>(21)<serial>",
    )
    gtin, check = marks["gtin"], marks["check_digit"]
    out.add(
        "bad_check_digit",
        marks["well_formed"] & ~marks["check_ok"],
        "mark",
        gtin,
        lambda hit: (
            "GTIN "
            + gtin[hit]
            + " ends in "
            + gtin[hit].str[-1:]
            + ", but its GS1 check digit is "
            + check[hit].astype(str)
        ),
    )
    key = marks["key"]
    dup = ((key != "") & key.duplicated(keep=False)).to_numpy()
    out.add("duplicate_mark", dup, "mark", mark, _duplicate_rules(key, reg.rows, dup))


def _check_biology(out: _Findings, reg: _Parsed, lo: float, hi: float) -> None:
    sex = reg.text["sex"]
    out.add(
        "female_horn",
        reg.sex == "female",
        "sex",
        sex,
        lambda hit: "sex is '" + sex[hit] + "'; female saiga have no horns",
    )
    age = reg.text["age"]
    out.add(
        "calf_horn",
        reg.age == "calf",
        "age",
        age,
        lambda hit: (
            "age is '" + age[hit] + "'; calves (young of the year) carry only horn buds, "
            "which are not registered"
        ),
    )
    out.add(
        "mass_out_of_bounds",
        reg.mass.notna() & ((reg.mass < lo) | (reg.mass > hi)),
        "mass_g",
        reg.shown_mass,
        lambda hit: (
            "mass "
            + reg.shown_mass(hit)
            + f" g is outside the plausible {lo:g}-{hi:g} g for one horn"
        ),
    )


def _check_custody(out: _Findings, reg: _Parsed) -> None:
    d, present = reg.dates, reg.present

    def on(stage: str, hit: np.ndarray) -> pd.Series:
        return _iso(d[stage][hit])

    out.add(
        "custody_out_of_order",
        d["stored"] < d["harvested"],
        "stored_date",
        reg.shown_date("stored"),
        lambda hit: "stored on " + on("stored", hit) + " before harvest on " + on("harvested", hit),
    )
    has_stored = d["stored"].notna()

    def before_processing(hit: np.ndarray) -> pd.Series:
        previous = pd.Series(
            np.where(has_stored[hit], "storage on ", "harvest on "), index=d["stored"].index[hit]
        )
        previous_date = on("stored", hit).where(has_stored[hit], on("harvested", hit))
        return "processed on " + on("processed", hit) + " before " + previous + previous_date

    out.add(
        "custody_out_of_order",
        d["processed"] < d["stored"].where(has_stored, d["harvested"]),
        "processed_date",
        reg.shown_date("processed"),
        before_processing,
    )
    for stage in ("processed", "exported"):
        out.add(
            "custody_out_of_order",
            present[stage] & ~present["stored"],
            f"{stage}_date",
            reg.shown_date(stage),
            f"{stage} without a stored event",
        )
    for stage in ("harvested", "stored", "processed"):
        out.add(
            "custody_after_export",
            d[stage] > d["exported"],
            f"{stage}_date",
            reg.shown_date(stage),
            lambda hit, stage=stage: (
                f"{stage} on " + on(stage, hit) + " after export on " + on("exported", hit)
            ),
        )
    exported = reg.shown_date("exported")
    out.add(
        "export_without_permit",
        present["exported"] & (reg.text["exported_permit"] == ""),
        "exported_permit",
        reg.text["exported_permit"],
        lambda hit: "exported on " + exported(hit) + " without an export permit",
    )


# --- helpers ------------------------------------------------------------------------------


class _Findings:
    """Collects findings as vectorised masks; builds the findings frame once at the end."""

    def __init__(self, n: int, rows: pd.Series, mark: pd.Series) -> None:
        self.n = n
        self.rows = rows
        self.mark = mark
        self.parts: list[pd.DataFrame] = []
        self.masks: dict[str, np.ndarray] = {}

    def add(
        self,
        fault: str,
        mask: pd.Series | np.ndarray,
        column: str | None,
        value: pd.Series | _Lazy,
        rule: str | pd.Series | _Lazy,
    ) -> None:
        """Record ``fault`` on the rows in ``mask``.

        ``value`` and ``rule`` may be callables taking the boolean hit mask and returning the
        values for those rows only, so that messages are built only where something is found.
        """
        hit = np.asarray(mask, dtype=bool)
        if not hit.any():
            return
        self.masks[fault] = self.masks.get(fault, np.zeros(self.n, dtype=bool)) | hit
        values = value(hit) if callable(value) else value[hit]
        if callable(rule):
            rules = np.asarray(rule(hit), dtype=object)
        elif isinstance(rule, pd.Series):
            rules = rule[hit].to_numpy(dtype=object)
        else:
            rules = np.full(int(hit.sum()), rule, dtype=object)
        if fault == "invalid_value" and column is not None:
            rules = np.asarray([f"{column}: {r}" for r in rules], dtype=object)
        self.parts.append(
            pd.DataFrame(
                {
                    "row": self.rows[hit].to_numpy(),
                    "mark": self.mark[hit].to_numpy(),
                    "fault": fault,
                    "column": column,
                    "value": np.asarray(values, dtype=object).astype(str),
                    "rule": rules,
                }
            )
        )

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            empty = pd.DataFrame({c: pd.Series(dtype="str") for c in FINDING_COLUMNS})
            return empty.astype({"row": "int64"})
        findings = pd.concat(self.parts, ignore_index=True)
        order = pd.Categorical(findings["fault"], categories=list(FAULTS), ordered=True)
        findings = findings.assign(_order=order).sort_values(["row", "_order"], kind="stable")
        findings = findings.drop(columns="_order").reset_index(drop=True)
        shown = findings["mark"].where(findings["mark"] != "", "(blank)")
        findings["message"] = (
            "row "
            + findings["row"].astype(str)
            + ", mark "
            + shown
            + ": "
            + findings["rule"]
            + " ["
            + findings["fault"]
            + "]"
        )
        findings = findings[list(FINDING_COLUMNS)]
        text = [c for c in FINDING_COLUMNS if c != "row"]
        return findings.astype(dict.fromkeys(text, "str"))


def _check_population_years(
    out: _Findings, reg: _Parsed, summary: pd.DataFrame, skip: np.ndarray
) -> None:
    population, harvested, rows = reg.population, reg.dates["harvested"], reg.rows
    national = population.str.lower() == TOTAL
    placeable = ((population != "") & ~national & harvested.notna()).to_numpy() & ~skip
    keys = pd.MultiIndex.from_arrays(
        [population.where(placeable, ""), reg.model_year.fillna(-1).astype("int64")]
    )
    looked_up = summary.reindex(keys)
    recorded = looked_up["recorded"].fillna(False).astype(bool).to_numpy() & placeable
    label = population + " " + reg.model_year.astype(str)
    out.add(
        "no_recorded_removal",
        placeable & ~recorded,
        "population",
        population,
        lambda hit: "no final removal recorded for " + label[hit],
    )
    # Rank each population-year's horns by harvest date (ties by row): the excess over
    # 2 x the most males removed is taken to be the last-harvested horns.
    capacity = 2.0 * looked_up["males_removed_max"].to_numpy()
    order = pd.DataFrame(
        {
            "p": population.to_numpy(),
            "y": keys.get_level_values(1),
            "h": harvested.to_numpy(),
            "r": rows.to_numpy(),
        }
    )[recorded]
    order = order.sort_values(["p", "y", "h", "r"], kind="stable")
    grouped = order.groupby(["p", "y"], sort=False)
    rank = np.zeros(len(population), dtype=np.int64)
    total = np.zeros(len(population), dtype=np.int64)
    positions = order.index.to_numpy()
    rank[positions] = grouped.cumcount().to_numpy() + 1
    total[positions] = grouped["r"].transform("size").to_numpy()
    excess = recorded & (rank > capacity)
    males = looked_up["males_removed_max"].to_numpy()

    def rule(hit: np.ndarray) -> list[str]:
        return [
            f"horn {r} of {t} registered for {name} (in harvest-date order) exceeds "
            f"2 x {m:g} males removed"
            for r, t, name, m in zip(rank[hit], total[hit], label[hit], males[hit], strict=True)
        ]

    out.add("excess_horns", excess, "population", population, rule)


def _reasons(n: int, masks: dict[str, np.ndarray]) -> np.ndarray:
    """Fault codes of each row joined by ";" in catalogue order ("" for accepted rows)."""
    reasons = np.full(n, "", dtype=object)
    rejected = np.zeros(n, dtype=bool)
    for mask in masks.values():
        rejected |= mask
    where = np.flatnonzero(rejected)
    codes: list[list[str]] = [[] for _ in where]
    for code in FAULTS:
        if code in masks:
            for i in np.flatnonzero(masks[code][where]):
                codes[i].append(code)
    reasons[where] = [";".join(c) for c in codes]
    return reasons


def _duplicate_rules(key: pd.Series, rows: pd.Series, dup: np.ndarray) -> pd.Series:
    rules = pd.Series("", index=key.index, dtype=object)
    if not dup.any():
        return rules
    groups: dict[str, list[int]] = {}
    for k, r in zip(key[dup].tolist(), rows[dup].tolist(), strict=True):
        groups.setdefault(k, []).append(r)
    texts = []
    for k, r in zip(key[dup].tolist(), rows[dup].tolist(), strict=True):
        others = [o for o in groups[k] if o != r]
        shown = ", ".join(map(str, others[:5])) + (
            f" and {len(others) - 5} more" if len(others) > 5 else ""
        )
        texts.append(f"the same mark is also on row(s) {shown}")
    rules[dup] = texts
    return rules


def _row_numbers(frame: pd.DataFrame) -> pd.Series:
    if "row" in frame.columns:
        rows = pd.to_numeric(frame["row"], errors="coerce")
        if rows.notna().all():
            return rows.astype("int64")
    return pd.Series(np.arange(2, len(frame) + 2, dtype=np.int64), index=frame.index)


def _is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _text(series: pd.Series) -> pd.Series:
    if pd.api.types.is_string_dtype(series) and not pd.api.types.is_object_dtype(series):
        return series.fillna("").str.strip()
    return series.astype(object).where(series.notna(), "").astype(str).str.strip()


def _dates(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse one date column: (datetime64 series, the text as written).

    The text is ``""`` for empty cells and for typed (datetime) input, where there is nothing
    else to show; a cell holds a date when its text is not empty or it parsed.
    """
    if pd.api.types.is_datetime64_any_dtype(series):
        parsed = series.astype("datetime64[us]")
        return parsed, pd.Series("", index=series.index, dtype="str")
    raw = _text(series)
    full = raw.str.fullmatch(DATE_PATTERN)
    parsed = pd.to_datetime(raw.where(full), format="ISO8601", errors="coerce")
    parsed = parsed.astype("datetime64[us]")
    in_range = (parsed.dt.year >= YEAR_RANGE[0]) & (parsed.dt.year <= YEAR_RANGE[1])
    return parsed.where(in_range), raw


def _iso(dates: pd.Series) -> pd.Series:
    return dates.dt.strftime("%Y-%m-%d").fillna("").astype(str)
