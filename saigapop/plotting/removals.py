"""Removals figure: final culls, captures and die-offs by year, one marker per row."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from saigapop import constants as C
from saigapop.locale import N_, _
from saigapop.plotting._style import RC, animal_axis

__all__ = ["plot_removals"]

_KIND_MARKERS = {
    "cull": "o",
    "harvest": "s",
    "mass_mortality": "X",
    "capture": "^",
    "poaching": "P",
    "seizure": "d",
}
_KIND_LABELS = {
    "cull": N_("cull"),
    "harvest": N_("harvest"),
    "mass_mortality": N_("mass die-off"),
    "capture": N_("capture"),
    "poaching": N_("poaching"),
    "seizure": N_("seizure"),
}
_POP_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000")


def plot_removals(*, removals: pd.DataFrame, unit: str = "animals") -> Figure:
    """Plot final removals (culls, die-offs, captures) by year.

    Kind is shown by marker and population by colour.

    Only rows with ``status == "final"`` and the given ``unit`` are drawn; planned, interim and
    limit figures are not removals and are left out. A row with no value but an upper bound
    (the split is unknown) is drawn as an open downward triangle at the bound.

    Parameters
    ----------
    removals
        A validated removals table (columns ``population``, ``year``, ``kind``, ``status``,
        ``unit``, ``value`` and optionally ``upper``).
    unit
        Unit to draw (``"animals"``).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> from saigapop.plotting import plot_removals
    >>> removals = pd.DataFrame({
    ...     "population": ["Ural", "Betpakdala"], "year": [2025, 2015],
    ...     "kind": ["cull", "mass_mortality"], "status": ["final", "final"],
    ...     "unit": ["animals", "animals"], "value": [108500.0, 134252.0],
    ... })
    >>> fig = plot_removals(removals=removals)
    >>> fig.axes[0].get_ylabel()
    'Animals removed or dead'
    """
    rows = removals[(removals["status"] == "final") & (removals["unit"] == unit)].copy()
    if "upper" not in rows.columns:
        rows["upper"] = float("nan")
    present = list(pd.unique(rows["population"]))
    pops = [p for p in (*C.KAZAKH_POPULATIONS, C.TOTAL) if p in present]
    pops += [p for p in present if p not in pops]
    colour = {p: _POP_COLOURS[i % len(_POP_COLOURS)] for i, p in enumerate(pops)}
    kinds = [k for k in _KIND_MARKERS if (rows["kind"] == k).any()]
    kinds += [k for k in pd.unique(rows["kind"]) if k not in kinds]
    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=(7.2, 3.4), layout="constrained")
        for (pop, kind), sub in rows.groupby(["population", "kind"], sort=False):
            marker = _KIND_MARKERS.get(str(kind), "o")
            known = sub[sub["value"].notna()]
            ax.plot(
                known["year"],
                known["value"],
                ls="none",
                marker=marker,
                ms=7,
                color=colour[pop],
                mec="black",
                mew=0.4,
                alpha=0.9,
            )
            bound = sub[sub["value"].isna() & sub["upper"].notna()]
            ax.plot(
                bound["year"],
                bound["upper"],
                ls="none",
                marker="v",
                ms=7,
                mfc="white",
                mec=colour[pop],
                mew=1.2,
            )
        if rows[["value", "upper"]].notna().any(axis=None):
            animal_axis(ax, log=True)
        ax.set_xlabel(_("Model year (census year the removal follows)"))
        ax.set_ylabel(
            _("Animals removed or dead")
            if unit == "animals"
            else _("Removed ({unit})").format(unit=_(unit))
        )
        ax.grid(axis="y", linewidth=0.4, alpha=0.5)
        handles = [
            Line2D(
                [],
                [],
                ls="none",
                marker="s",
                ms=7,
                color=colour[p],
                label=_("national (no split)") if p == C.TOTAL else _(p),
            )
            for p in pops
        ]
        handles += [
            Line2D(
                [],
                [],
                ls="none",
                marker=_KIND_MARKERS.get(k, "o"),
                ms=7,
                mfc="lightgrey",
                mec="black",
                label=_(_KIND_LABELS.get(k, k.replace("_", " "))),
            )
            for k in kinds
        ]
        if rows["value"].isna().any():
            handles.append(
                Line2D(
                    [],
                    [],
                    ls="none",
                    marker="v",
                    ms=7,
                    mfc="white",
                    mec="black",
                    label=_("upper bound only"),
                )
            )
        fig.legend(handles=handles, loc="outside right upper", frameon=False)
    return fig
