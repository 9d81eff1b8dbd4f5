"""Pandera schemas for the three input tables, and conversion of their failures into Problems.

Validation runs on frames of *strings* (as read), indexed by line number, so every failure can
be reported with the exact value the user wrote. Each table is described by a :class:`TableSpec`;
:func:`string_schema` builds a lazy pandera ``DataFrameSchema`` from it and :func:`check_strings`
runs it and turns ``failure_cases`` into :class:`~saigapop.io.problems.Problem` records.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from saigapop import constants as C
from saigapop.io.consistency import check_offtake_rows, check_removal_rows
from saigapop.io.parsing import NumberFormatError, parse_number
from saigapop.io.plausibility import Plausibility, value_problems
from saigapop.io.problems import Problem

__all__ = [
    "CENSUS",
    "COMPOSITION",
    "OFFTAKE",
    "OFFTAKE_AGES",
    "OFFTAKE_BASES",
    "OFFTAKE_SEXES",
    "REMOVALS",
    "SPECS",
    "RowRule",
    "TableSpec",
    "check_strings",
    "safe_number",
    "string_schema",
]

RULE_YEAR = f"expected an integer year between {C.YEAR_RANGE[0]} and {C.YEAR_RANGE[1]}"
RULE_NUMBER = "expected a number"
RULE_NON_NEGATIVE = "expected a non-negative number"
RULE_NON_EMPTY = "expected a non-empty value"


def safe_number(text: str) -> float:
    """Parse ``text`` as a number, returning NaN when it is empty or not a number."""
    try:
        return parse_number(text)
    except NumberFormatError:
        return math.nan


def _number_rule(text: str) -> str:
    try:
        parse_number(text)
    except NumberFormatError as err:
        return str(err)
    return RULE_NUMBER


@dataclass(frozen=True)
class RowRule:
    """A rule across columns of one row.

    ``test`` receives the string frame and returns True where the row is fine. ``column`` is the
    column the problem is reported against (``None``: the row as a whole).
    """

    rule: str
    column: str | None
    needs: tuple[str, ...]
    test: Callable[[pd.DataFrame], pd.Series]


@dataclass(frozen=True, eq=False)
class TableSpec:
    """Columns and rules of one input table.

    Attributes
    ----------
    name
        Table name (``census``, ``removals``, ``composition``).
    columns
        Standard columns in output order.
    required
        Columns that must be present in the file.
    numeric
        Columns parsed as non-negative numbers (empty allowed unless a row rule says otherwise).
    vocabularies
        Columns whose non-empty values must be one word of a vocabulary.
    non_empty
        Columns that must not be empty.
    key
        Columns that must be unique together.
    row_rules
        Cross-column rules checked row by row.
    recognised
        Optional columns used by the rules when present but, unlike ``columns``, never added
        when absent, so a table without them keeps its columns (and its data hash). Readers
        keep them as text and should not report them as unknown.
    """

    name: str
    columns: tuple[str, ...]
    required: tuple[str, ...]
    numeric: tuple[str, ...]
    vocabularies: dict[str, tuple[str, ...]]
    non_empty: tuple[str, ...]
    key: tuple[str, ...]
    row_rules: tuple[RowRule, ...] = field(default=())
    recognised: tuple[str, ...] = field(default=())

    @property
    def optional(self) -> tuple[str, ...]:
        """Columns that may be absent (read as empty)."""
        return tuple(c for c in self.columns if c not in self.required)


# --- element checks -----------------------------------------------------------------------


def _is_year(text: str) -> bool:
    value = safe_number(text)
    return (
        value == int(value) and C.YEAR_RANGE[0] <= value <= C.YEAR_RANGE[1]
        if value == value
        else False
    )


def _is_number_or_empty(text: str) -> bool:
    return text == "" or not math.isnan(safe_number(text))


def _is_non_negative_or_not_number(text: str) -> bool:
    value = safe_number(text)
    return math.isnan(value) or value >= 0


def _flags_ok(text: str) -> bool:
    return all(
        part.strip() in C.CENSUS_FLAGS for part in text.split(C.FLAG_SEPARATOR) if part.strip()
    )


def _vocabulary_rule(words: tuple[str, ...]) -> str:
    return "expected one of " + ", ".join(f"'{w}'" for w in words)


FLAG_RULE = f"expected '{C.FLAG_SEPARATOR}'-separated words from " + ", ".join(
    f"'{w}'" for w in C.CENSUS_FLAGS
)


def _column_checks(spec: TableSpec, column: str) -> list[pa.Check]:
    checks: list[pa.Check] = []
    if column == "year":
        checks.append(pa.Check(lambda s: s.map(_is_year).astype(bool), error=RULE_YEAR))
    if column in spec.numeric:
        checks.append(
            pa.Check(lambda s: s.map(_is_number_or_empty).astype(bool), error=RULE_NUMBER)
        )
        checks.append(
            pa.Check(
                lambda s: s.map(_is_non_negative_or_not_number).astype(bool),
                error=RULE_NON_NEGATIVE,
            )
        )
    if column in spec.vocabularies:
        words = spec.vocabularies[column]
        checks.append(
            pa.Check(lambda s, w=words: s.isin(w) | (s == ""), error=_vocabulary_rule(words))
        )
    if column == "flag":
        checks.append(pa.Check(lambda s: s.map(_flags_ok).astype(bool), error=FLAG_RULE))
    if column in spec.non_empty:
        checks.append(pa.Check(lambda s: s != "", error=RULE_NON_EMPTY))
    return checks


def string_schema(spec: TableSpec, present: list[str]) -> pa.DataFrameSchema:
    """Build the pandera schema for a string frame holding the columns ``present``.

    Row rules needing an absent column and the uniqueness check (if a key column is absent) are
    left out: the missing column is reported once at file level instead.
    """
    columns = {
        c: pa.Column(None, checks=_column_checks(spec, c), nullable=False, required=False)
        for c in spec.columns
        if c in present
    }
    rules = [r for r in spec.row_rules if all(c in present for c in r.needs)]
    key = list(spec.key) if all(c in present for c in spec.key) else None
    return pa.DataFrameSchema(
        columns,
        checks=[pa.Check(r.test, error=r.rule) for r in rules],
        unique=key,
        report_duplicates="all",
        name=spec.name,
    )


def check_strings(
    spec: TableSpec,
    frame: pd.DataFrame,
    label: str,
    *,
    plausibility: Plausibility | None = None,
) -> list[Problem]:
    """Validate a string frame (index = line numbers) lazily; return every failure as a Problem.

    Besides the schema (types, vocabularies, row rules, unique key) this applies the
    plausibility rules of single values (:func:`~saigapop.io.plausibility.value_problems`:
    whole animals, the table's maximum, proportions in composition) and, for removals, the
    rules across rows (:func:`~saigapop.io.consistency.check_removal_rows`) to the rows that
    passed the others. ``plausibility`` defaults to ``Plausibility()``.
    """
    settings = plausibility if plausibility is not None else Plausibility()
    schema = string_schema(spec, list(frame.columns))
    problems: list[Problem] = []
    try:
        schema.validate(frame, lazy=True)
    except SchemaErrors as err:
        problems = _to_problems(spec, frame, err.failure_cases, label)
    problems += value_problems(spec.name, frame, label, settings)
    if spec.name in ("removals", "offtake") and all(c in frame.columns for c in spec.required):
        bad = {p.row for p in problems if p.is_error and p.row is not None}
        check = check_removal_rows if spec.name == "removals" else check_offtake_rows
        problems += check(_number_view(spec, frame, label), bad)
    return problems


def _number_view(spec: TableSpec, frame: pd.DataFrame, label: str) -> pd.DataFrame:
    """Return the string frame with its numeric columns parsed, plus ``row`` and ``file``."""
    view = frame.copy()
    for column in (*spec.numeric, "year"):
        if column in view.columns:
            view[column] = view[column].map(safe_number).astype(float)
    for column in spec.optional:
        if column not in view.columns:
            view[column] = math.nan if column in spec.numeric else ""
    view["row"] = [int(r) for r in frame.index]
    view["file"] = label
    return view.reset_index(drop=True)


def _to_problems(
    spec: TableSpec, frame: pd.DataFrame, cases: pd.DataFrame, label: str
) -> list[Problem]:
    problems: list[Problem] = []
    row_rules = {r.rule: r for r in spec.row_rules}
    for check, group in cases.groupby("check", sort=False, dropna=False):
        if check == "multiple_fields_uniqueness":
            problems += _duplicate_problems(spec, frame, group["index"].dropna().unique(), label)
        elif check in row_rules:
            rule = row_rules[check]
            for row in pd.unique(group["index"].dropna()):
                value = None if rule.column is None else frame.at[row, rule.column]
                problems.append(Problem(label, int(row), rule.column, value, rule.rule))
        else:
            for case in group.itertuples(index=False):
                if pd.isna(case.index):  # schema-level failure we did not anticipate
                    problems.append(Problem(label, None, case.column, None, str(check)))
                    continue
                value = str(case.failure_case)
                text = _number_rule(value) if check == RULE_NUMBER else str(check)
                problems.append(Problem(label, int(case.index), case.column, value, text))
    return problems


def _duplicate_problems(
    spec: TableSpec, frame: pd.DataFrame, rows: object, label: str
) -> list[Problem]:
    problems: list[Problem] = []
    subset = frame.loc[list(rows), list(spec.key)]  # type: ignore[call-overload]
    names = ", ".join(spec.key)
    for key, group in subset.groupby(list(spec.key), sort=False):
        lines = sorted(int(r) for r in group.index)
        shown = ", ".join(str(k) for k in key)
        for line in lines[1:]:
            others = ", ".join(str(r) for r in lines if r != line)
            problems.append(
                Problem(
                    label,
                    line,
                    None,
                    shown,
                    f"duplicate key ({names}): the same key is on row {others}; "
                    "each key may appear only once",
                )
            )
    return problems


# --- row rules ----------------------------------------------------------------------------


def _nums(frame: pd.DataFrame, column: str) -> pd.Series:
    return frame[column].map(safe_number).astype(float)


_CENSUS_RULES = (
    RowRule(
        "kind 'missing' (survey not flown) carries no value: leave value empty",
        "value",
        ("value", "kind"),
        lambda d: (d["kind"] != "missing") | (d["value"] == ""),
    ),
    RowRule(
        "expected a number: value may be empty only for kind 'missing'",
        "value",
        ("value", "kind"),
        lambda d: (d["value"] != "") | (d["kind"] == "missing") | ~d["kind"].isin(C.CENSUS_KINDS),
    ),
    RowRule(
        "kinds 'total', 'partial_total' and 'redundant_total' require population 'total'",
        "population",
        ("population", "kind"),
        lambda d: ~d["kind"].isin(C.NATIONAL_CENSUS_KINDS) | (d["population"] == C.TOTAL),
    ),
    RowRule(
        "kind 'count' is for one population; a national figure has kind 'total', "
        "'partial_total' or 'redundant_total'",
        "kind",
        ("population", "kind"),
        lambda d: (d["kind"] != "count") | (d["population"] != C.TOTAL),
    ),
)

_REMOVAL_RULES = (
    RowRule(
        "expected a number: value may be empty only when lower or upper is given",
        "value",
        ("value", "lower", "upper"),
        lambda d: (d["value"] != "") | (d["lower"] != "") | (d["upper"] != ""),
    ),
    RowRule(
        "expected lower ≤ value",
        "lower",
        ("value", "lower"),
        lambda d: ~(_nums(d, "lower") > _nums(d, "value")),
    ),
    RowRule(
        "expected value ≤ upper",
        "upper",
        ("value", "upper"),
        lambda d: ~(_nums(d, "value") > _nums(d, "upper")),
    ),
    RowRule(
        "expected lower ≤ upper",
        "upper",
        ("lower", "upper"),
        lambda d: ~(_nums(d, "lower") > _nums(d, "upper")),
    ),
)

_COMPOSITION_RULES = (
    RowRule(
        "expected at least two of males, females, calves",
        None,
        ("males", "females", "calves"),
        lambda d: (d[["males", "females", "calves"]] != "").sum(axis=1) >= 2,
    ),
)

CENSUS = TableSpec(
    name="census",
    columns=(
        "population",
        "year",
        "kind",
        "value",
        "survey_period",
        "method",
        "flag",
        "source",
        "notes",
    ),
    required=("population", "year", "kind", "value", "source"),
    numeric=("value",),
    vocabularies={"kind": C.CENSUS_KINDS},
    non_empty=("population", "kind", "source"),
    key=("population", "year", "kind"),
    row_rules=_CENSUS_RULES,
)

REMOVALS = TableSpec(
    name="removals",
    columns=(
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
        "lower",
        "upper",
        "source",
        "notes",
    ),
    required=(
        "population",
        "year",
        "kind",
        "status",
        "timing",
        "sex",
        "age",
        "unit",
        "value",
        "source",
    ),
    numeric=("value", "lower", "upper"),
    vocabularies={
        "kind": C.REMOVAL_KINDS,
        "status": C.REMOVAL_STATUSES,
        "timing": C.REMOVAL_TIMINGS,
        "sex": C.REMOVAL_SEXES,
        "age": C.REMOVAL_AGES,
        "unit": C.REMOVAL_UNITS,
    },
    non_empty=("population", "kind", "status", "timing", "sex", "age", "unit", "source"),
    key=("population", "year", "kind", "status", "sex", "age", "unit", "source"),
    row_rules=_REMOVAL_RULES,
    recognised=("event",),
)

COMPOSITION = TableSpec(
    name="composition",
    columns=(
        "population",
        "year",
        "kind",
        "timing",
        "status",
        "males",
        "females",
        "calves",
        "age_definition",
        "source",
        "notes",
    ),
    required=(
        "population",
        "year",
        "kind",
        "timing",
        "status",
        "males",
        "females",
        "calves",
        "source",
    ),
    numeric=("males", "females", "calves"),
    vocabularies={
        "kind": C.COMPOSITION_KINDS,
        "timing": C.COMPOSITION_TIMINGS,
        "status": C.COMPOSITION_STATUSES,
    },
    non_empty=("population", "kind", "timing", "status", "source"),
    key=("population", "year", "kind", "timing", "status", "source"),
    row_rules=_COMPOSITION_RULES,
)

#: Bases of an offtake-plan row: an announced plan (achieved in part: an implementation fraction
#: applies downstream) or a scenario stated as the level actually realised (applied exactly).
OFFTAKE_BASES: tuple[str, ...] = ("announced_plan", "realised_level")
#: Sexes and ages of an offtake-plan row; ``all`` marks a total split by its stated composition.
OFFTAKE_SEXES: tuple[str, ...] = (*C.SEXES, "all")
OFFTAKE_AGES: tuple[str, ...] = (*C.AGE_CLASSES, "all")


def _is_total(d: pd.DataFrame) -> pd.Series:
    return (d["sex"] == "all") | (d["age"] == "all")


_OFFTAKE_RULES = (
    RowRule(
        "expected a number of animals in value or a share (fraction of the row's total) in "
        "share: give exactly one of the two",
        "value",
        ("value", "share"),
        lambda d: (d["value"] == "") != (d["share"] == ""),
    ),
    RowRule(
        "expected a number of animals: a row with sex or age 'all' is a total and needs a "
        "value (a share is for one sex and age class)",
        "value",
        ("value", "sex", "age"),
        lambda d: ~_is_total(d) | (d["value"] != ""),
    ),
    RowRule(
        "expected a share between 0 and 1 (a fraction of the total, e.g. 0.4 for 40 %)",
        "share",
        ("share",),
        lambda d: ~(_nums(d, "share") > 1),
    ),
    RowRule(
        "an offtake plan is per population: population 'total' cannot be applied to any "
        "population; split a national plan into per-population rows",
        "population",
        ("population",),
        lambda d: d["population"] != C.TOTAL,
    ),
)

OFFTAKE = TableSpec(
    name="offtake",
    columns=(
        "population",
        "year",
        "scenario",
        "basis",
        "timing",
        "sex",
        "age",
        "value",
        "share",
        "source",
        "notes",
    ),
    required=("population", "year", "scenario", "basis", "timing", "sex", "age", "value", "source"),
    numeric=("value", "share"),
    vocabularies={
        "basis": OFFTAKE_BASES,
        "timing": C.REMOVAL_TIMINGS,
        "sex": OFFTAKE_SEXES,
        "age": OFFTAKE_AGES,
    },
    non_empty=("population", "scenario", "basis", "timing", "sex", "age", "source"),
    key=("scenario", "population", "year", "sex", "age"),
    row_rules=_OFFTAKE_RULES,
)

#: The table specifications by name.
SPECS: dict[str, TableSpec] = {s.name: s for s in (CENSUS, REMOVALS, COMPOSITION, OFFTAKE)}
