"""The offtake plan: culls still to come, by population, year, sex and age, as an input.

An offtake plan table says, per scenario, population and model year, how many animals are to be
removed by sex and age class, or a total with its composition (a 40 % males / 40 % females /
20 % calves structure), at which season (``timing``, as in the removals table), and on which
**basis**:

* ``announced_plan`` — a figure as announced; what is achieved is a fraction of it, so the
  operating model applies an implementation fraction and a selectivity (the 2025 cull achieved
  ~25 % of its plan of 800,000);
* ``realised_level`` — a scenario stated as the level actually realised (e.g. "2025's realised
  cull every year"); applied exactly, never scaled.

:func:`read_offtake` reads and validates the table with the same machinery as the census and
removals tables (every row used or reported; errors name file, row, column and value);
:class:`OfftakePlan` holds the validated frame and arranges it for the operating model.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import xarray as xr
from numpy.typing import NDArray

from saigapop import constants as C
from saigapop.io.consistency import check_offtake_years, offtake_cells
from saigapop.io.plausibility import Plausibility
from saigapop.io.populations import PopulationResolver
from saigapop.io.problems import raise_if_errors
from saigapop.io.readers import Source, empty_table, finalise, read_table
from saigapop.io.schemas import OFFTAKE, OFFTAKE_BASES

__all__ = ["DEFAULT_SCENARIO", "ZERO_CULLS", "OfftakePlan", "read_offtake"]

#: The scenario an :class:`OfftakePlan` uses when none is named (``select()``).
DEFAULT_SCENARIO = "default"
#: The name of the zero-cull alternative in the bundled plan.
ZERO_CULLS = "zero_culls"

Array = NDArray[np.float64]


@dataclass(frozen=True, repr=False, eq=False)
class OfftakePlan:
    """A validated offtake plan: planned removals by scenario, population, year, sex and age.

    Build it with :func:`read_offtake` (or get it as :attr:`saigapop.SaigaData.offtake`). The
    plan may hold several scenarios; the arrays for the operating model are for one:
    :meth:`select` it first (``select()`` with no name picks :attr:`default_scenario`).

    In the bundled plan (``data/offtake_plan.csv``, 2026–2028) no plan for those years has been
    published, so the ``default`` scenario is a stated one: the 2025 realised cull every year
    (Ural 108,500; Betpakdala the upper bound 87,500; Ustyurt 0), basis ``realised_level``, split
    by the November 2025 West Kazakhstan cull composition; ``zero_culls`` is the alternative with
    no culls. ``default`` is the default because it is the only level the government has shown
    it can realise; see ``data/README.md``.

    Parameters
    ----------
    frame
        The validated table (columns of :data:`~saigapop.io.schemas.OFFTAKE` plus ``row`` and
        ``file``), as :func:`read_offtake` returns it.

    Examples
    --------
    >>> import saigapop as sp
    >>> plan = sp.load_kazakhstan().offtake
    >>> plan.scenarios
    ('default', 'zero_culls')
    >>> default = plan.select()
    >>> pops, years = ["Betpakdala", "Ural", "Ustyurt"], [2025, 2026, 2027, 2028]
    >>> default.realised(pops, years).sum(("sex", "age")).sel(year=2026).round(3).values.tolist()
    [87500.0, 108500.0, 0.0]
    >>> default.announced(pops, years).shape  # (year, population, sex, age); none announced
    (4, 3, 2, 3)
    >>> float(plan.select("zero_culls").realised(pops, years).sum())
    0.0
    >>> float(default.zero_culls().realised(pops, years).sum())
    0.0
    """

    frame: pd.DataFrame

    # --- construction -------------------------------------------------------------------

    @classmethod
    def empty(cls) -> OfftakePlan:
        """Return a plan with no rows (no culls planned).

        Examples
        --------
        >>> from saigapop.io.offtake import OfftakePlan
        >>> OfftakePlan.empty().announced(["Ural"], [2026]).sum()
        np.float64(0.0)
        """
        return cls(empty_table(OFFTAKE))

    # --- properties ---------------------------------------------------------------------

    @property
    def scenarios(self) -> tuple[str, ...]:
        """Scenario names, in the order of the table."""
        return tuple(pd.unique(self.frame["scenario"]))

    @property
    def default_scenario(self) -> str | None:
        """The scenario used when none is named: ``default`` if present, else the only one.

        ``None`` when the plan is empty or has several scenarios and none is ``default``.
        """
        names = self.scenarios
        if DEFAULT_SCENARIO in names:
            return DEFAULT_SCENARIO
        return names[0] if len(names) == 1 else None

    @property
    def populations(self) -> tuple[str, ...]:
        """Populations with rows in the plan, in the order of the table."""
        return tuple(pd.unique(self.frame["population"]))

    @property
    def years(self) -> tuple[int, ...]:
        """Model years with rows in the plan, ascending."""
        return tuple(sorted(int(y) for y in pd.unique(self.frame["year"])))

    @property
    def is_empty(self) -> bool:
        """Whether the plan has no rows."""
        return self.frame.empty

    # --- views --------------------------------------------------------------------------

    def select(self, scenario: str | None = None) -> OfftakePlan:
        """Return the plan of one scenario (default :attr:`default_scenario`).

        Raises
        ------
        ValueError
            If the scenario is not in the plan, or none is named and there is no default.

        Examples
        --------
        >>> import saigapop as sp
        >>> sp.load_kazakhstan().offtake.select("zero_culls").scenarios
        ('zero_culls',)
        """
        name = self.default_scenario if scenario is None else scenario
        if name is None or name not in self.scenarios:
            known = ", ".join(f"'{s}'" for s in self.scenarios) or "none"
            asked = "no scenario named and no default" if name is None else f"'{name}'"
            raise ValueError(f"offtake plan: {asked}; the plan's scenarios are {known}")
        rows = self.frame[self.frame["scenario"] == name].reset_index(drop=True)
        return replace(self, frame=rows)

    def announced(self, populations: Sequence[str], years: Sequence[int]) -> Array:
        """Announced-plan numbers as a ``(year, population, sex, age)`` array.

        The same contract as :meth:`saigapop.management.harvest.HarvestSchedule.numbers`:
        float64, C-contiguous, axes in the order given, ``sex`` = (female, male), ``age`` =
        (calf, yearling, adult); populations and years not in the plan are zero, plan rows
        outside them are left out. Totals are split by their stated composition. Rows of every
        ``timing`` are included (the operating model applies culls at the removal season).

        Raises
        ------
        ValueError
            If the plan holds several scenarios (select one first).

        Examples
        --------
        >>> import io
        >>> from saigapop.io.offtake import read_offtake
        >>> text = '''population,year,scenario,basis,timing,sex,age,value,share,source
        ... Ural,2026,plan,announced_plan,removal,all,all,1000,,ministry
        ... Ural,2026,plan,announced_plan,removal,male,adult,,0.4,ministry
        ... Ural,2026,plan,announced_plan,removal,female,adult,,0.4,ministry
        ... Ural,2026,plan,announced_plan,removal,male,calf,,0.1,ministry
        ... Ural,2026,plan,announced_plan,removal,female,calf,,0.1,ministry
        ... '''
        >>> plan = read_offtake(io.StringIO(text))
        >>> plan.announced(["Ural"], [2026])[0, 0].tolist()  # female, male x calf, yrl, adult
        [[100.0, 0.0, 400.0], [100.0, 0.0, 400.0]]
        """
        return self._numbers("announced_plan", populations, years)

    def numbers(self, populations: Sequence[str], years: Sequence[int]) -> Array:
        """Alias of :meth:`announced`, with the contract of ``HarvestSchedule.numbers``.

        So the plan can be passed where a planned-cull schedule is expected
        (``OperatingModel.from_posterior(planned_culls=plan)``): the numbers there get the
        implementation fraction and selectivity; realised-level rows are not in them.
        """
        return self.announced(populations, years)

    def realised(self, populations: Sequence[str], years: Sequence[int]) -> xr.DataArray:
        """Realised-level numbers as a DataArray with dims ``(year, population, sex, age)``.

        These are applied exactly (never scaled by an implementation fraction), e.g. as
        ``realised_removals`` of the operating model. Alignment as in :meth:`announced`.

        Raises
        ------
        ValueError
            If the plan holds several scenarios (select one first).
        """
        values = self._numbers("realised_level", populations, years)
        return xr.DataArray(
            values,
            dims=(C.YEAR, C.POPULATION, C.SEX, C.AGE),
            coords={
                C.YEAR: [int(y) for y in years],
                C.POPULATION: list(populations),
                C.SEX: list(C.SEXES),
                C.AGE: list(C.AGE_CLASSES),
            },
            name="realised_offtake",
            attrs={"scenario": ",".join(self.scenarios), "basis": "realised_level"},
        )

    def to_frame(self) -> pd.DataFrame:
        """Return a copy of the validated table (with ``row`` and ``file``)."""
        return self.frame.copy()

    def zero_culls(self) -> OfftakePlan:
        """Return the same plan with every value 0: the zero-cull alternative.

        Scenarios, bases, timings and compositions are kept, so the zero plan is compared
        like for like (a total of 0 splits into zeros).

        Examples
        --------
        >>> import saigapop as sp
        >>> zero = sp.load_kazakhstan().offtake.zero_culls()
        >>> float(zero.to_frame()["value"].max())
        0.0
        """
        frame = self.frame.copy()
        frame["value"] = frame["value"].where(frame["value"].isna(), 0.0)
        return replace(self, frame=frame)

    # --- helpers ------------------------------------------------------------------------

    def _numbers(self, basis: str, populations: Sequence[str], years: Sequence[int]) -> Array:
        if basis not in OFFTAKE_BASES:  # pragma: no cover - internal
            raise ValueError(f"unknown basis {basis!r}")
        if len(self.scenarios) > 1:
            names = ", ".join(f"'{s}'" for s in self.scenarios)
            raise ValueError(
                f"the offtake plan holds several scenarios ({names}); choose one with "
                "plan.select(name) (select() picks the default) before asking for numbers"
            )
        pops = list(populations)
        yrs = [int(y) for y in years]
        out = np.zeros((len(yrs), len(pops), len(C.SEXES), len(C.AGE_CLASSES)))
        keep = self.frame["population"].isin(pops) & self.frame["year"].isin(yrs)
        for (pop, year), group in self.frame[keep].groupby(["population", "year"], sort=False):
            cells = offtake_cells(group)
            if cells.problems:  # the reader reports these; a hand-made frame may not
                raise ValueError("; ".join(str(p) for p in cells.problems))
            if basis in cells.numbers:
                out[yrs.index(int(year)), pops.index(pop)] += cells.numbers[basis]
        return np.ascontiguousarray(out, dtype=np.float64)

    def __len__(self) -> int:
        return len(self.frame)

    def __repr__(self) -> str:
        if self.is_empty:
            return "<OfftakePlan empty>"
        years = self.years
        return (
            f"<OfftakePlan scenarios={list(self.scenarios)} populations={list(self.populations)} "
            f"years={years[0]}–{years[-1]} rows={len(self.frame)}>"
        )


def read_offtake(
    path: Source,
    *,
    populations: Iterable[str] | None = None,
    sheet: str | None = None,
    latest_census_year: int | None = None,
    plausibility: Plausibility | None = None,
) -> OfftakePlan:
    """Read and validate an offtake plan table (CSV or Excel) into an :class:`OfftakePlan`.

    Columns: ``population, year, scenario, basis, timing, sex, age, value, share, source,
    notes``; ``share`` and ``notes`` may be absent.

    * ``year`` — the model year of the removal season (a cull from October 2026 to February
      2027 is in 2026);
    * ``scenario`` — a name (``default``, ``zero_culls``, ``ministry_2026``, …);
    * ``basis`` — ``announced_plan`` or ``realised_level`` (see :mod:`saigapop.io.offtake`);
    * ``timing`` — ``calving``, ``removal`` or ``winter``, as in the removals table;
    * ``sex`` — ``female``, ``male`` or ``all``; ``age`` — ``calf``, ``yearling``, ``adult``
      or ``all``. A row with ``all`` is a **total** and needs the rows of one sex and age
      class that make it up: each with its ``share`` of the total (the shares sum to 1) or its
      number of animals in ``value``;
    * ``value`` — animals (≥ 0, whole); ``share`` — a fraction in [0, 1]. Each row has exactly
      one of the two; a row of one class with a value and no total around it is a number on its
      own.

    The key (scenario, population, year, sex, age) is unique.

    Parameters
    ----------
    path
        A ``.csv`` or ``.xlsx`` path, an open file (text or binary), or an in-memory frame.
    populations
        Populations to accept besides Betpakdala, Ural and Ustyurt.
    sheet
        Sheet of an Excel workbook with several sheets.
    latest_census_year
        The latest census year of the data the plan will be used with: a plan year at or before
        it is an error. :meth:`saigapop.SaigaData.from_files` checks this against its census.
    plausibility
        Settings of the plausibility rules (the largest plausible value is ``max_removals``).

    Returns
    -------
    OfftakePlan

    Raises
    ------
    saigapop.exceptions.DataValidationError
        Listing every problem, each with file, row, column and value: negative values, shares
        outside [0, 1], a composition whose parts exceed its total or whose shares do not sum
        to 1, a total with no composition, plan years at or before ``latest_census_year``,
        unknown populations (and ``total``), unknown sexes, ages, bases or timings, duplicate
        keys.

    Examples
    --------
    >>> import saigapop as sp
    >>> from saigapop.io import read_offtake
    >>> plan = read_offtake(sp.bundled_data_dir() / "offtake_plan.csv", latest_census_year=2025)
    >>> plan.years
    (2026, 2027, 2028)
    """
    result = read_table(
        OFFTAKE,
        path,
        resolver=PopulationResolver(populations),
        sheet=sheet,
        plausibility=plausibility,
    )
    problems = list(result.problems)
    if result.usable:
        problems += check_offtake_years(result.frame, latest_census_year, result.bad_rows)
    raise_if_errors(problems, warn=True, stacklevel=3)
    return OfftakePlan(finalise(result))
