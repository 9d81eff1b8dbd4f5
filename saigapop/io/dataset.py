"""The validated data object: census, removals, composition and offtake plan checked together."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
import pandas as pd
import xarray as xr

from saigapop import constants as C
from saigapop.io.arrays import to_xarray
from saigapop.io.consistency import check_offtake_years, check_tables
from saigapop.io.offtake import OfftakePlan
from saigapop.io.plausibility import Plausibility, latest_census_year
from saigapop.io.populations import PopulationResolver, UnknownPopulationError
from saigapop.io.problems import Problem, emit_warnings, raise_if_errors
from saigapop.io.readers import (
    Source,
    TableResult,
    empty_table,
    finalise,
    read_table,
    source_type_error,
)
from saigapop.io.schemas import CENSUS, COMPOSITION, OFFTAKE, REMOVALS, TableSpec

__all__ = ["SaigaData"]


@dataclass(frozen=True, repr=False, eq=False)
class SaigaData:
    """Validated census, removals, composition and offtake-plan data for saiga populations.

    Build it with :meth:`from_files` (CSV or Excel) or :meth:`from_frames`; both validate all
    tables together and raise :class:`~saigapop.exceptions.DataValidationError` listing every
    problem at once, before any modelling. Each frame keeps every input row, with canonical
    population names and the source ``row`` (line number, header = 1) and ``file``.

    Attributes
    ----------
    census, removals, composition : pandas.DataFrame
        The validated tables (see :func:`~saigapop.io.read_census` and friends). A table not
        supplied is an empty frame with the right columns.
    populations : tuple of str
        Populations in the data: the Kazakh ones present, in canonical order (Betpakdala, Ural,
        Ustyurt), then declared ones in the order given. ``total`` is not a population.
    files : tuple of str
        The files read (labels such as ``<census frame>`` for in-memory frames).
    warnings : tuple of Problem
        Problems that do not stop validation, e.g. a die-off in a year with no count.
    offtake : OfftakePlan
        The offtake plan (culls still to come, years after the latest census year); empty when
        none was given. It is not part of :attr:`years`, :meth:`summary` or :meth:`to_xarray`
        (the data that are fitted) but it is part of :attr:`data_hash`.

    Examples
    --------
    >>> import saigapop as sp
    >>> data = sp.load_kazakhstan()
    >>> data.populations
    ('Betpakdala', 'Ural', 'Ustyurt')
    >>> ds = data.to_xarray()
    >>> int(ds["count"].sel(population="Ural", year=2024))
    1620000
    >>> len(data.data_hash)
    64
    """

    census: pd.DataFrame
    removals: pd.DataFrame
    composition: pd.DataFrame
    populations: tuple[str, ...]
    files: tuple[str, ...] = ()
    warnings: tuple[Problem, ...] = field(default=())
    offtake: OfftakePlan = field(default_factory=OfftakePlan.empty)

    # --- construction -------------------------------------------------------------------

    @classmethod
    def from_files(
        cls,
        census: Source,
        removals: Source | None = None,
        composition: Source | None = None,
        *,
        offtake: Source | None = None,
        populations: Iterable[str] | None = None,
        sheets: Mapping[str, str] | None = None,
        plausibility: Plausibility | None = None,
    ) -> SaigaData:
        """Read and validate data files (``.csv`` or ``.xlsx``), open files or frames.

        Parameters
        ----------
        census
            Census table (required): a path, an open file (text or binary) or a frame.
        removals, composition
            Optional removals and composition tables, of the same kinds.
        offtake
            Optional offtake plan table (see :func:`~saigapop.io.offtake.read_offtake`), of the
            same kinds. Its years must be after the latest census year.
        populations
            Populations to accept besides Betpakdala, Ural and Ustyurt, e.g. ``["Kalmykia"]``.
        sheets
            Sheet to read from each Excel workbook with several sheets, by table name
            (``{"census": "2025"}``; the plan's name is ``offtake``); a workbook with one sheet
            needs none.
        plausibility
            Settings of the plausibility rules (as-of year, largest believable values, whole
            animals, proportion tolerance); default
            :class:`~saigapop.io.plausibility.Plausibility` ``()``, whose as-of year is the
            latest census year + 1.

        Returns
        -------
        SaigaData
            Each problem that does not stop validation is on :attr:`warnings` and is also
            issued once as a :class:`~saigapop.exceptions.DataWarning`.

        Raises
        ------
        TypeError
            If ``census`` is ``None``, or a table is not a path, open file or frame.
        saigapop.exceptions.DataValidationError
            With every problem in every file, including cross-table ones (a final removal
            larger than that population's count in the same year). Cross-table checks are
            skipped, and the error says so, for a table that cannot be read as a whole (for
            example one with a broken header); errors that may only follow from another error
            are marked ``follow-on``.

        Examples
        --------
        >>> import warnings
        >>> import saigapop as sp
        >>> d = sp.bundled_data_dir()
        >>> with warnings.catch_warnings(record=True) as caught:  # die-offs in unsurveyed years
        ...     warnings.simplefilter("always")
        ...     data = sp.SaigaData.from_files(d / "census.csv", d / "removals.csv")
        >>> data.years.start <= 2003 < 2025 < data.years.stop
        True
        >>> len(caught) == len(data.warnings) > 0
        True
        """
        sources = {CENSUS: census, REMOVALS: removals, COMPOSITION: composition, OFFTAKE: offtake}
        return cls._build(sources, populations, sheets or {}, plausibility)

    @classmethod
    def from_frames(
        cls,
        census: pd.DataFrame,
        removals: pd.DataFrame | None = None,
        composition: pd.DataFrame | None = None,
        *,
        offtake: pd.DataFrame | None = None,
        populations: Iterable[str] | None = None,
        plausibility: Plausibility | None = None,
    ) -> SaigaData:
        """Validate in-memory tables with the same rules as :meth:`from_files`.

        Cells may be strings (as in a file) or numbers. Problems name the "file" as
        ``<census frame>`` (etc.) and rows as in ``frame.to_csv(index=False)`` (first row 2).
        Columns ``row`` and ``file`` of an already validated frame are ignored.

        Examples
        --------
        >>> import pandas as pd, saigapop as sp
        >>> census = pd.DataFrame({"population": ["Ural"], "year": [2024], "kind": ["count"],
        ...                        "value": [1_620_000], "source": ["ACBK 2024"]})
        >>> sp.SaigaData.from_frames(census).populations
        ('Ural',)
        """
        sources = {CENSUS: census, REMOVALS: removals, COMPOSITION: composition, OFFTAKE: offtake}
        return cls._build(sources, populations, {}, plausibility)

    @classmethod
    def _build(
        cls,
        sources: dict[TableSpec, Source | None],
        populations: Iterable[str] | None,
        sheets: Mapping[str, str],
        plausibility: Plausibility | None = None,
    ) -> SaigaData:
        if sources[CENSUS] is None:
            raise TypeError(
                "census: a census table is required (a path, an open file or a pandas "
                "DataFrame); got None"
            )
        for spec, source in sources.items():
            error = None if source is None else source_type_error(spec.name, source)
            if error is not None:
                raise error
        unknown_sheets = set(sheets) - {spec.name for spec in sources}
        if unknown_sheets:
            raise ValueError(
                f"sheets: unknown table name(s) {sorted(unknown_sheets)}; use census, removals, "
                "composition or offtake"
            )
        resolver = PopulationResolver(populations)
        results: dict[str, TableResult] = {}
        files: list[str] = []
        for spec, source in sources.items():
            if source is None:
                continue
            result = read_table(
                spec,
                source,
                resolver=resolver,
                sheet=sheets.get(spec.name),
                plausibility=plausibility,
            )
            results[spec.name] = result
            files.append(result.path or result.label)
        problems = [p for r in results.values() for p in r.problems]
        problems += _cross_table(results, plausibility)
        warns = raise_if_errors(problems)
        emit_warnings(warns, stacklevel=3)
        frames = {
            spec.name: finalise(results[spec.name]) if spec.name in results else empty_table(spec)
            for spec in sources
        }
        return cls(
            census=frames["census"],
            removals=frames["removals"],
            composition=frames["composition"],
            populations=_ordered_populations(
                [f for name, f in frames.items() if name != "offtake"], resolver.declared
            ),
            files=tuple(files),
            warnings=tuple(warns),
            offtake=OfftakePlan(frames["offtake"]),
        )

    # --- properties ---------------------------------------------------------------------

    @cached_property
    def data_hash(self) -> str:
        """SHA-256 of a canonical CSV serialisation of the validated tables.

        Row order, file names and line numbers do not enter the hash, so the same data read
        from CSV or Excel, today or next year, hash the same. The offtake plan enters it when
        there is one (a different plan is different input to the assessment); data without a
        plan hash as they did before plans existed (:attr:`tables_hash`).
        """
        tables = self._tables()
        if not self.offtake.is_empty:
            tables.append(("offtake", self.offtake.frame))
        return _hash(tables)

    @cached_property
    def tables_hash(self) -> str:
        """SHA-256 of the fitted tables only (census, removals, composition; no plan).

        What a fit depends on: the offtake plan is used only by projections, so a fit made
        before or with another plan fits these data exactly when this hash agrees. Equals
        :attr:`data_hash` when there is no plan.

        Examples
        --------
        >>> import saigapop as sp
        >>> data = sp.load_kazakhstan()
        >>> data.tables_hash == data.data_hash  # the bundled data carry a plan
        False
        """
        return _hash(self._tables())

    @property
    def years(self) -> range:
        """All years spanned by any table, as ``range(first, last + 1)``."""
        years = pd.concat([f["year"] for _, f in self._tables()])
        if years.empty:
            return range(0)
        return range(int(years.min()), int(years.max()) + 1)

    # --- views --------------------------------------------------------------------------

    def select(
        self,
        populations: str | Sequence[str] | None = None,
        years: int | slice | Iterable[int] | None = None,
    ) -> SaigaData:
        """Return the data restricted to some populations and/or years.

        Parameters
        ----------
        populations
            Names (aliases accepted). National rows (population ``total``) are kept only if
            every population is selected, since they include the others.
        years
            A year, an iterable of years, or a ``slice(first, last)`` with *both ends
            included* (like xarray's label slicing).

        Returns
        -------
        SaigaData
            A new object with the selected rows; warnings about dropped rows are dropped too.
            The offtake plan keeps the selected populations' rows of every year (its years
            are after the data's, so a year selection does not apply to it).

        Raises
        ------
        UnknownPopulationError
            If a name is not one of :attr:`populations` (with a suggestion when close).

        Examples
        --------
        >>> import saigapop as sp
        >>> ural = sp.load_kazakhstan().select(populations="ural", years=slice(2016, 2025))
        >>> ural.populations, set(ural.census["population"])
        (('Ural',), {'Ural'})
        """
        keep_pops = self.populations
        if populations is not None:
            names = [populations] if isinstance(populations, str) else list(populations)
            resolver = PopulationResolver(self.populations)
            resolved = [resolver.resolve(n) for n in names]
            for name in resolved:
                if name not in self.populations:
                    raise UnknownPopulationError(
                        f"population '{name}' is not in the data ({', '.join(self.populations)})"
                    )
            keep_pops = tuple(p for p in self.populations if p in resolved)
        allowed = set(keep_pops)
        if set(self.populations) <= allowed:
            allowed.add(C.TOTAL)
        year_test = _year_test(years)

        def restrict(frame: pd.DataFrame) -> pd.DataFrame:
            mask = frame["population"].isin(allowed) & frame["year"].map(year_test).astype(bool)
            return frame.loc[mask].reset_index(drop=True)

        new = {name: restrict(frame) for name, frame in self._tables()}
        kept = {
            (f, r)
            for frame in new.values()
            for f, r in zip(frame["file"], frame["row"], strict=True)
        }
        plan = self.offtake.frame
        offtake = OfftakePlan(plan[plan["population"].isin(allowed)].reset_index(drop=True))
        kept |= set(zip(offtake.frame["file"], offtake.frame["row"], strict=True))
        warns = tuple(w for w in self.warnings if w.row is None or (w.file, w.row) in kept)
        return replace(self, **new, populations=keep_pops, warnings=warns, offtake=offtake)

    def summary(self) -> pd.DataFrame:
        """Count rows per table, kind and status, with the years they span.

        Returns
        -------
        pandas.DataFrame
            Columns ``table``, ``kind``, ``status`` (``""`` for the census), ``rows``,
            ``first_year``, ``last_year``.

        Examples
        --------
        >>> import saigapop as sp
        >>> s = sp.load_kazakhstan().summary()
        >>> list(s.columns)
        ['table', 'kind', 'status', 'rows', 'first_year', 'last_year']
        """
        parts = []
        for name, frame in self._tables():
            f = frame.assign(status=frame.get("status", ""))
            g = f.groupby(["kind", "status"], sort=True)["year"].agg(["size", "min", "max"])
            g = g.reset_index().rename(
                columns={"size": "rows", "min": "first_year", "max": "last_year"}
            )
            g.insert(0, "table", name)
            parts.append(g)
        return pd.concat(parts, ignore_index=True).astype(
            {"rows": "int64", "first_year": "int64", "last_year": "int64"}
        )

    def to_xarray(self) -> xr.Dataset:
        """Arrange the data on named dimensions for modelling.

        Dimensions: ``population`` (:attr:`populations`), ``year`` (every year from the first to
        the last in any table), ``sex`` (female, male), ``age`` (calf, yearling, adult),
        ``kind`` (removal kinds other than ``mass_mortality``), and one observation dimension
        each for ``removal_obs``, ``mass_mortality_obs`` and ``composition_obs``.

        Returns
        -------
        xarray.Dataset
            With variables

            - ``count(population, year)``: census counts (kind ``count``); NaN where none.
            - ``count_flag(population, year)``: the count's flags (``;``-separated), ``""``
              where none.
            - ``count_missing(population, year)``: a ``missing`` row (survey not flown) for the
              population or nationally.
            - ``upper_bound``, ``lower_bound``, ``estimate`` ``(population, year)``: censored
              bounds and non-count estimates for one population; NaN where none.
            - ``national_total(year)`` and ``national_total_kind(year)``: the national figure of
              kind ``total``, ``partial_total`` or ``redundant_total`` (at most one per year)
              and its kind (``""`` where none).
            - ``national_upper_bound``, ``national_lower_bound``, ``national_estimate``
              ``(year)``: bounds and estimates for the whole country.
            - ``missing(year)``: any ``missing`` row that year.
            - ``removals(population, year, sex, age)``: sum of ``final`` removals in animals
              split by sex (female/male) and age (calf/yearling/adult), over all kinds except
              ``mass_mortality``; 0 where none. Rows with only bounds (no value) are not summed.
            - ``removals_by_kind(kind, population, year, sex, age)``: the same, by kind.
            - ``removals_unsplit(population, year, kind)``: ``final`` removals in animals whose
              sex or age is ``all`` or ``yearling_adult``; 0 where none.
            - ``removal_value``, ``removal_lower``, ``removal_upper`` ``(removal_obs)``: every
              ``final`` removal row (any population including ``total``, any unit), with coords
              ``removal_population``, ``removal_year``, ``removal_kind``, ``removal_sex``,
              ``removal_age``, ``removal_unit``, ``removal_timing``, ``removal_source``,
              ``removal_row``. Nothing final is lost. National rows (population ``total``)
              may include per-population rows of the same event (the 2025 national cull
              includes the Ural one): do not add them up.
            - ``mass_mortality``, ``mass_mortality_lower``, ``mass_mortality_upper``
              ``(mass_mortality_obs)``: each ``final`` die-off row in animals, one per source
              (alternative estimates of one event are *not* averaged), with coords
              ``mass_mortality_population``, ``mass_mortality_year``, ``mass_mortality_sex``,
              ``mass_mortality_age``, ``mass_mortality_source``.
            - ``composition_males``, ``composition_females``, ``composition_calves``
              ``(composition_obs)``: every composition row, with coords
              ``composition_population``, ``composition_year``, ``composition_kind``,
              ``composition_timing``, ``composition_status``, ``composition_source``.

            ``attrs`` hold ``data_hash`` and ``files``.

        Examples
        --------
        >>> import saigapop as sp
        >>> ds = sp.load_kazakhstan().to_xarray()
        >>> ds["count"].dims
        ('population', 'year')
        >>> int(ds["count"].sel(population="Betpakdala", year=2025))
        1600000
        """
        return to_xarray(self)

    # --- dunder -------------------------------------------------------------------------

    def __repr__(self) -> str:
        years = self.years
        span = f"{years.start}–{years.stop - 1}" if len(years) else "none"
        return (
            f"<SaigaData populations={list(self.populations)} years={span} "
            f"rows: census={len(self.census)} removals={len(self.removals)} "
            f"composition={len(self.composition)} offtake={len(self.offtake)}; "
            f"{len(self.warnings)} warning(s); "
            f"hash={self.data_hash[:12]}>"
        )

    def _tables(self) -> list[tuple[str, pd.DataFrame]]:
        return [
            ("census", self.census),
            ("removals", self.removals),
            ("composition", self.composition),
        ]


# --- helpers ------------------------------------------------------------------------------


def _cross_table(
    results: Mapping[str, TableResult], plausibility: Plausibility | None
) -> list[Problem]:
    """Apply the rules across tables; skip (and say so) tables that cannot be read whole.

    The rules are :func:`~saigapop.io.consistency.check_tables`. A cross-table error in a
    year where the census has a row with an error of its own, or when a census row's year
    is unreadable, is marked as a follow-on error.
    """
    census = results["census"]
    others = [results[name] for name in ("removals", "composition") if name in results]
    plan = results.get("offtake")
    broken = [r for r in (census, *others, *([plan] if plan else [])) if not r.usable]
    out: list[Problem] = [
        Problem(
            r.label,
            None,
            None,
            None,
            f"{r.spec.name} was not checked against the other tables because it could not "
            "be read as a whole (see the errors above)",
            follow_on=True,
        )
        for r in broken
    ]
    if not census.usable:
        return out
    if plan is not None and plan.usable:
        out += check_offtake_years(
            plan.frame,
            latest_census_year(census.frame),
            plan.bad_rows,
            census_label=census.label,
        )
    usable = {r.spec.name: r.frame for r in others if r.usable}
    bad = census.bad_rows.union(*(r.bad_rows for r in others))
    found = check_tables(
        census.frame,
        usable.get("removals"),
        usable.get("composition"),
        plausibility=plausibility,
        bad_rows=bad,
    )
    frame = census.frame
    is_bad = [(f, r) in bad for f, r in zip(frame["file"], frame["row"], strict=True)]
    bad_years = set(frame.loc[is_bad, "year"])
    unknown_year = any(np.isnan(y) for y in bad_years)
    years = pd.concat(
        [r.frame.set_index(["file", "row"])["year"] for r in others if r.usable]
        or [pd.Series(dtype="float64")]
    )
    for p in found:
        year = years.get((p.file, p.row), np.nan) if p.file != census.label else np.nan
        if p.is_error and p.file != census.label and (unknown_year or year in bad_years):
            p = replace(
                p,
                follow_on=True,
                rule=p.rule + f" (may follow from the census error(s) in {census.label})",
            )
        out.append(p)
    return out


def _hash(tables: Iterable[tuple[str, pd.DataFrame]]) -> str:
    digest = hashlib.sha256()
    for name, frame in tables:
        columns = [c for c in frame.columns if c not in ("row", "file")]
        # Plan shares are fractions (0.0933) that a saved Assessment's JSON does not keep to
        # the last bit: 15 significant digits hash them stably. The other tables hold whole
        # numbers, for which both formats print the same (their hash is unchanged).
        digits = "%.15g" if name == "offtake" else "%.17g"
        text = frame[columns].to_csv(index=False, lineterminator="\n", float_format=digits)
        header, *lines = text.splitlines()
        digest.update(f"[{name}]\n{header}\n".encode())
        digest.update("\n".join(sorted(lines)).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def _ordered_populations(
    frames: Iterable[pd.DataFrame], declared: Sequence[str]
) -> tuple[str, ...]:
    present: set[str] = set()
    for frame in frames:
        present |= set(frame["population"])
    kazakh = [p for p in C.KAZAKH_POPULATIONS if p in present]
    return (*kazakh, *declared)


def _year_test(years: int | slice | Iterable[int] | None) -> Callable[[int], bool]:
    if years is None:
        return lambda y: True
    if isinstance(years, slice):
        if years.step not in (None, 1):
            raise ValueError("a year slice cannot have a step")
        lo = -np.inf if years.start is None else years.start
        hi = np.inf if years.stop is None else years.stop
        return lambda y: lo <= y <= hi
    if isinstance(years, int | np.integer):
        return lambda y: y == years
    wanted = {int(y) for y in years}
    return lambda y: y in wanted
