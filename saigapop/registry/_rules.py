"""The registry rules: each check marks the rows it finds at fault, vectorised over the rows.

Private to :mod:`saigapop.registry`: :func:`saigapop.registry.validate_registry` runs the
checks in order on a :class:`~saigapop.registry._parsing.ParsedRegistry`; each records its
faults in a :class:`Findings` (the fault codes are :data:`~saigapop.registry.FAULTS`), which
builds the findings table and the per-row reasons once at the end.

Each rule is a :class:`~saigapop.locale.messages.Message` (a translatable template and the
row's values): the findings table keeps its English ``rule`` and ``message`` strings and adds
the ``finding`` message, which the report renders in its language. Values quoted from the
file (marks, dates, masses, column names) stay as written; sexes, ages, custody stages and
population names are terms of the catalogue.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from saigapop.constants import KAZAKH_POPULATIONS, POPULATION, TOTAL, YEAR, YEAR_RANGE
from saigapop.io.plausibility import Plausibility, latest_census_year
from saigapop.io.populations import (
    PopulationResolver,
    UnknownPopulationError,
    canonical_population,
)
from saigapop.io.problems import Problem
from saigapop.locale import N_
from saigapop.locale.messages import Message, Term
from saigapop.registry._parsing import Lazy, ParsedRegistry, iso_dates
from saigapop.registry.result import FINDING_COLUMNS
from saigapop.registry.schema import FAULTS, STAGES

__all__ = [
    "Findings",
    "check_as_of",
    "check_biology",
    "check_custody",
    "check_marks",
    "check_population_years",
    "check_populations",
    "check_values",
    "registry_as_of",
    "row_reasons",
]

#: Custody stages as words of a finding (the catalogue gives them as nouns: "storage").
_STAGE_WORDS = (
    N_("harvested"),
    N_("stored"),
    N_("processed"),
    N_("exported"),
)
_MISSING = Message(N_("missing value"))
_BLANK = Term(N_("(blank)"))


def _stage(stage: str) -> Term:
    return Term(stage)


def _each(template: str, **columns: Iterable[object]) -> list[Message]:
    """One message per hit row: ``columns`` are equal-length value sequences."""
    names = list(columns)
    return [
        Message(template, dict(zip(names, row, strict=True)))
        for row in zip(*columns.values(), strict=True)
    ]


def check_values(out: Findings, reg: ParsedRegistry, read_problems: list[Problem]) -> None:
    text = reg.text
    for col in ("mark", "population", "region", "harvested_place"):
        out.add("invalid_value", text[col] == "", col, text[col], _MISSING)
    national = reg.population.str.lower() == TOTAL
    out.add(
        "invalid_value",
        national,
        POPULATION,
        text["population"],
        Message(N_("a horn comes from one population")),
    )
    for col, parsed, expected in (
        ("sex", reg.sex, Message(N_("expected male or female"))),
        ("age", reg.age, Message(N_("expected calf, yearling or adult"))),
    ):
        blank = text[col] == ""
        out.add("invalid_value", blank, col, text[col], _MISSING)
        out.add("invalid_value", ~blank & parsed.isna(), col, text[col], expected)
    mass_blank = reg.mass_text == ""
    out.add("invalid_value", mass_blank, "mass_g", reg.mass_text, _MISSING)
    unreadable = reg.mass.isna() & ~mass_blank
    out.add(
        "invalid_value",
        unreadable,
        "mass_g",
        reg.mass_text,
        Message(N_("expected a number of grams")),
    )
    for stage in STAGES:
        written = reg.date_text[stage]
        unreadable = (written != "") & reg.dates[stage].isna()
        out.add(
            "invalid_value",
            unreadable,
            f"{stage}_date",
            written,
            Message(
                N_("expected an ISO date YYYY-MM-DD (a full date, year {first}-{last})"),
                {"first": str(YEAR_RANGE[0]), "last": str(YEAR_RANGE[1])},
            ),
        )
    out.add(
        "invalid_value",
        ~reg.present["harvested"],
        "harvested_date",
        reg.date_text["harvested"],
        _MISSING,
    )
    for stage in STAGES[1:]:
        place, permit = text[f"{stage}_place"], text[f"{stage}_permit"]
        out.add(
            "invalid_value",
            ~reg.present[stage] & ((place != "") | (permit != "")),
            f"{stage}_date",
            reg.date_text[stage],
            Message(
                N_("the {stage} event has a place or permit but no date"), {"stage": _stage(stage)}
            ),
        )
        out.add(
            "invalid_value",
            reg.present[stage] & (place == ""),
            f"{stage}_place",
            place,
            Message(N_("the {stage} event has no place"), {"stage": _stage(stage)}),
        )
    for problem in read_problems:  # e.g. a CSV line with too many fields
        value = pd.Series(problem.value or "", index=reg.rows.index)
        out.add("invalid_value", reg.rows == problem.row, problem.column, value, problem.rule)


def check_populations(
    out: Findings,
    reg: ParsedRegistry,
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


def registry_as_of(
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


def check_as_of(out: Findings, reg: ParsedRegistry, as_of: int | None) -> np.ndarray:
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
            lambda hit, stage=stage: _each(
                N_(
                    "the {stage} date {date} is after the as-of year {year} (Plausibility.as_of; "
                    "by default the latest census year + 1)"
                ),
                stage=[_stage(stage)] * int(hit.sum()),
                date=iso_dates(reg.dates[stage][hit]),
                year=[str(as_of)] * int(hit.sum()),
            ),
        )
    return late_harvest


def check_marks(out: Findings, reg: ParsedRegistry) -> None:
    mark, marks = reg.text["mark"], reg.marks
    out.add(
        "malformed_mark",
        (mark != "") & ~marks["well_formed"],
        "mark",
        mark,
        Message(N_("not a GS1 element string (01)<GTIN-14>(21)<serial>")),
    )
    gtin, check = marks["gtin"], marks["check_digit"]
    out.add(
        "bad_check_digit",
        marks["well_formed"] & ~marks["check_ok"],
        "mark",
        gtin,
        lambda hit: _each(
            N_("GTIN {gtin} ends in {last}, but its GS1 check digit is {check}"),
            gtin=gtin[hit],
            last=gtin[hit].str[-1:],
            check=check[hit].astype(str),
        ),
    )
    key = marks["key"]
    dup = ((key != "") & key.duplicated(keep=False)).to_numpy()
    out.add("duplicate_mark", dup, "mark", mark, _duplicate_rules(key, reg.rows, dup))


def check_biology(out: Findings, reg: ParsedRegistry, lo: float, hi: float) -> None:
    sex = reg.text["sex"]
    out.add(
        "female_horn",
        reg.sex == "female",
        "sex",
        sex,
        lambda hit: _each(
            N_("sex is '{sex}'; female saiga have no horns"), sex=[Term(v) for v in sex[hit]]
        ),
    )
    age = reg.text["age"]
    out.add(
        "calf_horn",
        reg.age == "calf",
        "age",
        age,
        lambda hit: _each(
            N_(
                "age is '{age}'; calves (young of the year) carry only horn buds, which are "
                "not registered"
            ),
            age=[Term(v) for v in age[hit]],
        ),
    )
    out.add(
        "mass_out_of_bounds",
        reg.mass.notna() & ((reg.mass < lo) | (reg.mass > hi)),
        "mass_g",
        reg.shown_mass,
        lambda hit: _each(
            N_("mass {mass} g is outside the plausible {lo}-{hi} g for one horn"),
            mass=reg.shown_mass(hit),
            lo=[f"{lo:g}"] * int(hit.sum()),
            hi=[f"{hi:g}"] * int(hit.sum()),
        ),
    )


def check_custody(out: Findings, reg: ParsedRegistry) -> None:
    d, present = reg.dates, reg.present

    def on(stage: str, hit: np.ndarray) -> pd.Series:
        return iso_dates(d[stage][hit])

    out.add(
        "custody_out_of_order",
        d["stored"] < d["harvested"],
        "stored_date",
        reg.shown_date("stored"),
        lambda hit: _each(
            N_("stored on {date} before harvest on {previous}"),
            date=on("stored", hit),
            previous=on("harvested", hit),
        ),
    )
    has_stored = d["stored"].notna()

    def before_processing(hit: np.ndarray) -> list[Message]:
        previous_date = on("stored", hit).where(has_stored[hit], on("harvested", hit))
        templates = np.where(
            has_stored[hit],
            N_("processed on {date} before storage on {previous}"),
            N_("processed on {date} before harvest on {previous}"),
        )
        return [
            Message(str(t), {"date": a, "previous": b})
            for t, a, b in zip(templates, on("processed", hit), previous_date, strict=True)
        ]

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
            Message(N_("{stage} without a stored event"), {"stage": _stage(stage)}),
        )
    for stage in ("harvested", "stored", "processed"):
        out.add(
            "custody_after_export",
            d[stage] > d["exported"],
            f"{stage}_date",
            reg.shown_date(stage),
            lambda hit, stage=stage: _each(
                N_("{stage} on {date} after export on {export}"),
                stage=[_stage(stage)] * int(hit.sum()),
                date=on(stage, hit),
                export=on("exported", hit),
            ),
        )
    exported = reg.shown_date("exported")
    out.add(
        "export_without_permit",
        present["exported"] & (reg.text["exported_permit"] == ""),
        "exported_permit",
        reg.text["exported_permit"],
        lambda hit: _each(N_("exported on {date} without an export permit"), date=exported(hit)),
    )


def check_population_years(
    out: Findings, reg: ParsedRegistry, summary: pd.DataFrame, skip: np.ndarray
) -> None:
    population, harvested, rows = reg.population, reg.dates["harvested"], reg.rows
    national = population.str.lower() == TOTAL
    placeable = ((population != "") & ~national & harvested.notna()).to_numpy() & ~skip
    keys = pd.MultiIndex.from_arrays(
        [population.where(placeable, ""), reg.model_year.fillna(-1).astype("int64")]
    )
    looked_up = summary.reindex(keys)
    recorded = looked_up["recorded"].fillna(False).astype(bool).to_numpy() & placeable
    year_text = reg.model_year.astype(str)
    out.add(
        "no_recorded_removal",
        placeable & ~recorded,
        "population",
        population,
        lambda hit: _each(
            N_("no final removal recorded for {population} {year}"),
            population=[Term(p) for p in population[hit]],
            year=year_text[hit],
        ),
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

    def rule(hit: np.ndarray) -> list[Message]:
        return _each(
            N_(
                "horn {rank} of {total} registered for {population} {year} (in harvest-date "
                "order) exceeds 2 x {males} males removed"
            ),
            rank=[str(r) for r in rank[hit]],
            total=[str(t) for t in total[hit]],
            population=[Term(p) for p in population[hit]],
            year=year_text[hit],
            males=[f"{m:g}" for m in males[hit]],
        )

    out.add("excess_horns", excess, "population", population, rule)


# --- recording findings -------------------------------------------------------------------


class Findings:
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
        value: pd.Series | Lazy,
        rule: str | Message | pd.Series | Lazy,
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
            rules = list(rule(hit))
        elif isinstance(rule, pd.Series):
            rules = rule[hit].tolist()
        else:
            rules = [rule] * int(hit.sum())
        if fault == "invalid_value" and column is not None:
            rules = [Message(N_("{column}: {rule}"), {"column": column, "rule": r}) for r in rules]
        self.parts.append(
            pd.DataFrame(
                {
                    "row": self.rows[hit].to_numpy(),
                    "mark": self.mark[hit].to_numpy(),
                    "fault": fault,
                    "column": column,
                    "value": np.asarray(values, dtype=object).astype(str),
                    "rule": [str(r) for r in rules],
                    "finding": rules,
                }
            )
        )

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            empty = pd.DataFrame(
                {c: pd.Series(dtype=object if c == "finding" else "str") for c in FINDING_COLUMNS}
            )
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
        findings["finding"] = [
            Message(
                N_("row {row}, mark {mark}: {rule} [{fault}]"),
                {"row": str(r), "mark": m or _BLANK, "rule": rule, "fault": f},
            )
            for r, m, rule, f in zip(
                findings["row"],
                findings["mark"],
                findings["finding"],
                findings["fault"],
                strict=True,
            )
        ]
        findings = findings[list(FINDING_COLUMNS)]
        text = [c for c in FINDING_COLUMNS if c not in ("row", "finding")]
        return findings.astype(dict.fromkeys(text, "str"))


def row_reasons(n: int, masks: dict[str, np.ndarray]) -> np.ndarray:
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
        shown = ", ".join(map(str, others[:5]))
        if len(others) > 5:
            texts.append(
                Message(
                    N_("the same mark is also on row(s) {rows} and {more} more"),
                    {"rows": shown, "more": str(len(others) - 5)},
                )
            )
        else:
            texts.append(Message(N_("the same mark is also on row(s) {rows}"), {"rows": shown}))
    rules[dup] = texts
    return rules
