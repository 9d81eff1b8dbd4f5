"""Census figure: every spring-census row by population, with its kind marked."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.transforms import blended_transform_factory

from saigapop import constants as C
from saigapop.locale import N_, _
from saigapop.plotting._style import COLOURS, RC, animal_axis

__all__ = ["MARKED_FLAGS", "plot_census"]

#: Flags ringed in the figure: the count is not comparable with its neighbours as it stands.
MARKED_FLAGS: tuple[str, ...] = ("method_change", "coverage_change", "equals_planning_estimate")

_NATIONAL = N_("National (all populations)")
_TOTAL_KINDS = ("total", "partial_total", "redundant_total")


def _flagged(flags: pd.Series) -> pd.Series:
    words = flags.fillna("").astype(str).str.split(C.FLAG_SEPARATOR)
    return words.map(lambda ws: any(w.strip() in MARKED_FLAGS for w in ws))


def plot_census(
    *,
    census: pd.DataFrame,
    populations: Sequence[str] | None = None,
    national: bool = True,
    ncols: int = 2,
) -> Figure:
    """Plot the spring census by population, one panel each, kinds marked.

    Counts are filled circles joined by a line; national totals are squares; estimates (not
    counts: planning or post-calving figures) are open diamonds; censored rows are triangles
    pointing the way the truth may lie (``upper_bound`` down, ``lower_bound`` up); surveys not
    flown are crosses on the time axis; rows flagged with a method or coverage change, or
    equal to a planning estimate, are ringed. Nothing is computed: every marker is one row.

    Parameters
    ----------
    census
        A validated census table (columns ``population``, ``year``, ``kind``, ``value`` and
        optionally ``flag``), e.g. ``saigapop.load_kazakhstan().census``.
    populations
        Panels in order; ``None`` uses every population in the table except ``total``.
    national
        Add a panel for national rows (population ``total``) when there are any.
    ncols
        Panels per row.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> from saigapop.plotting import plot_census
    >>> census = pd.DataFrame({
    ...     "population": ["Ural", "Ural", "total"],
    ...     "year": [2024, 2025, 2025],
    ...     "kind": ["count", "count", "redundant_total"],
    ...     "value": [1.62e6, 2.3e6, 2.3e6],
    ... })
    >>> fig = plot_census(census=census)
    >>> [ax.get_title() for ax in fig.axes]
    ['Ural', 'National (all populations)']
    """
    frame = census.copy()
    if "flag" not in frame.columns:
        frame["flag"] = ""
    frame["flagged"] = _flagged(frame["flag"])
    if populations is None:
        populations = [p for p in pd.unique(frame["population"]) if p != C.TOTAL]
    panels = list(populations)
    if national and (frame["population"] == C.TOTAL).any():
        panels.append(_NATIONAL)
    if not panels:
        raise ValueError("no population to plot")
    ncols = max(1, min(ncols, len(panels)))
    nrows = -(-len(panels) // ncols)
    years = frame["year"].astype(int)
    xlim = (years.min() - 1, years.max() + 1)

    with plt.rc_context(RC):
        fig, axes = plt.subplots(
            nrows,
            ncols,
            figsize=(7.2, 2.4 * nrows + 1.0),
            squeeze=False,
            sharex=True,
            layout="constrained",
        )
        for ax, panel in zip(axes.flat, panels, strict=False):
            pop = C.TOTAL if panel == _NATIONAL else panel
            _panel(ax, frame[frame["population"] == pop], national=panel == _NATIONAL)
            ax.set_title(_(panel))
            ax.set_xlim(*xlim)
            ax.grid(axis="y", which="major", linewidth=0.4, alpha=0.5)
        for ax in list(axes.flat)[len(panels) :]:
            ax.set_visible(False)
        for ax in axes[:, 0]:
            ax.set_ylabel(_("Animals at spring census"))
        for ax in axes[-1, :]:
            ax.set_xlabel(_("Census year"))
            ax.tick_params(axis="x", labelbottom=True)
        fig.legend(
            handles=_legend_handles(),
            loc="outside lower center",
            ncol=3,
            frameon=False,
        )
    return fig


def _panel(ax: plt.Axes, rows: pd.DataFrame, *, national: bool) -> None:
    rows = rows.sort_values("year")
    kinds = rows["kind"]
    counted = rows[kinds.isin(_TOTAL_KINDS if national else ("count",))]
    if national:
        for kind, marker, face in (
            ("total", "s", COLOURS["total"]),
            ("partial_total", "s", "white"),
            ("redundant_total", "s", COLOURS["redundant_total"]),
        ):
            sub = counted[counted["kind"] == kind]
            ax.plot(
                sub["year"],
                sub["value"],
                ls="none",
                marker=marker,
                ms=5,
                mfc=face,
                mec=COLOURS[kind],
                zorder=3,
            )
    else:
        ax.plot(
            counted["year"], counted["value"], "-o", color=COLOURS["count"], ms=4, lw=1, zorder=3
        )
    est = rows[kinds == "estimate"]
    ax.plot(
        est["year"],
        est["value"],
        ls="none",
        marker="D",
        ms=5,
        mfc="white",
        mec=COLOURS["estimate"],
        mew=1.2,
        zorder=4,
    )
    for kind, marker in (("upper_bound", "v"), ("lower_bound", "^")):
        sub = rows[kinds == kind]
        ax.plot(
            sub["year"],
            sub["value"],
            ls="none",
            marker=marker,
            ms=6,
            mfc="white",
            mec=COLOURS["bound"],
            mew=1.2,
            zorder=4,
        )
    flagged = rows[rows["flagged"] & rows["value"].notna()]
    ax.plot(
        flagged["year"],
        flagged["value"],
        ls="none",
        marker="o",
        ms=10,
        mfc="none",
        mec=COLOURS["flag"],
        mew=1.0,
        zorder=5,
    )
    missing = rows[kinds == "missing"]
    trans = blended_transform_factory(ax.transData, ax.transAxes)
    if len(missing):  # an empty unclipped line would drag the layout to the origin
        ax.plot(
            missing["year"],
            [0.03] * len(missing),
            ls="none",
            marker="x",
            ms=6,
            color=COLOURS["missing"],
            transform=trans,
            zorder=5,
            clip_on=False,
        )
    if rows["value"].notna().any():
        animal_axis(ax, log=True)
        ax.margins(y=0.15)


def _legend_handles() -> list[Line2D]:
    def h(label: str, **kw: object) -> Line2D:
        return Line2D([], [], ls="none", label=label, **kw)

    return [
        Line2D([], [], color=COLOURS["count"], marker="o", ms=4, lw=1, label=_("count")),
        h(_("national total"), marker="s", mfc=COLOURS["total"], mec=COLOURS["total"]),
        h(_("partial national total"), marker="s", mfc="white", mec=COLOURS["partial_total"]),
        h(
            _("sum of counts"),
            marker="s",
            mfc=COLOURS["redundant_total"],
            mec=COLOURS["redundant_total"],
        ),
        h(_("estimate (not a count)"), marker="D", mfc="white", mec=COLOURS["estimate"]),
        h(_("upper / lower bound"), marker="v", mfc="white", mec=COLOURS["bound"]),
        h(
            _("method or coverage change,\nor equals planning estimate"),
            marker="o",
            ms=10,
            mfc="none",
            mec=COLOURS["flag"],
        ),
        h(_("survey not flown"), marker="x", color=COLOURS["missing"]),
    ]
