"""The tornado chart of the quota across alternative priors, with unreliable bars marked.

The one tornado chart of saigapop (:func:`plot_tornado`; :func:`plot_quota_tornado` is the
same function under the name the report uses). Like every plotting function, it draws the
rows of its input and computes nothing.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from saigapop.constants import PARETO_KHAT_MAX
from saigapop.locale import N_, _
from saigapop.plotting._style import RC, tick_integer

__all__ = ["plot_quota_tornado", "plot_tornado"]

_BELOW, _ABOVE, _UNRELIABLE = "#E69F00", "#0072B2", "#BBBBBB"


def _long(table: pd.DataFrame) -> pd.DataFrame:
    """Return a ``low``/``high`` swing table as one row per alternative (``low``, ``high``)."""
    if "value" in table:
        return table
    rows = []
    for r in table.to_dict("records"):
        for alt in ("low", "high"):
            rows.append({**r, "alternative": alt, "value": r[alt]})
    return pd.DataFrame(rows, columns=[*table.columns, "alternative", "value"])


def plot_tornado(
    *,
    table: pd.DataFrame,
    labels: dict[str, str] | None = None,
    unit: str = N_("adult males a year"),
    texts: dict[str, str] | None = None,
    population: str | None = None,
) -> Figure:
    """Tornado chart: the quota under each alternative prior against the reference.

    Parameters
    ----------
    table
        One row per population × varied prior × alternative: ``population``,
        ``parameter``, ``alternative``, ``value`` (quota), ``reference`` and, optionally,
        ``reliable`` (bool; unreliable bars are drawn grey and hatched) and ``khat``.
        Rows are drawn in the order given within each population (put the largest swing
        first). A swing table (``low``, ``high`` instead of ``alternative``, ``value``, as
        :func:`saigapop.validation.tornado_table` returns) is drawn as its two ends.
    population
        Draw only this population (default every population, one panel each).
    labels
        Plain words for each ``parameter`` (default: the names).
    unit
        Unit of the quota, for the axis label.
    texts
        Translated legend and axis words: keys ``quota``, ``below``, ``above``,
        ``unreliable``, ``reference`` (English defaults).

    Returns
    -------
    matplotlib.figure.Figure
        One panel per population.

    Examples
    --------
    >>> t = pd.DataFrame({"population": "A", "parameter": "obs_cv",
    ...                   "alternative": ["low", "high"], "value": [8.0, 12.0],
    ...                   "reference": 10.0, "reliable": [True, False], "khat": [0.2, 0.9]})
    >>> fig = plot_tornado(table=t)
    >>> fig.axes[0].get_title(), len(fig.axes[0].patches)
    ('A', 2)
    >>> swing = pd.DataFrame({"population": ["A", "B"], "parameter": "p", "reference": 10.0,
    ...                       "low": [8.0, 4.0], "high": [12.0, 11.0]})
    >>> [ax.get_title() for ax in plot_tornado(table=swing, population="B").axes]
    ['B']
    """
    words = {
        "quota": _("Quota"),
        "below": _("below reference"),
        "above": _("above reference"),
        "unreliable": f"unreliable reweighting (k̂ > {PARETO_KHAT_MAX})",
        "reference": "reference quota",
        **(texts or {}),
    }
    unit = _(unit)
    table = _long(table)
    if population is not None:
        table = table[table["population"].astype(str) == str(population)]
    labels = labels or {}
    pops = list(dict.fromkeys(table["population"].astype(str)))
    params_by_pop = {
        p: list(dict.fromkeys(table.loc[table["population"].astype(str) == p, "parameter"]))
        for p in pops
    }
    n_rows = max((len(v) for v in params_by_pop.values()), default=1)
    with plt.rc_context(RC):
        fig, axes = plt.subplots(
            len(pops) or 1,
            1,
            figsize=(6.3, (0.36 * n_rows + 0.8) * max(len(pops), 1) + 0.4),
            squeeze=False,
            layout="constrained",
        )
        for ax, pop in zip(axes.ravel(), pops, strict=False):
            t = table[table["population"].astype(str) == pop]
            params = params_by_pop[pop][::-1]
            ref = float(t["reference"].iloc[0])
            for i, param in enumerate(params):
                rows = t[t["parameter"] == param].reset_index(drop=True)
                n_alt = max(len(rows), 1)
                height = 0.8 / n_alt
                for j, r in rows.iterrows():
                    v = float(r["value"])
                    if not np.isfinite(v):
                        continue
                    # each alternative on its own sub-row: bars and labels never overlap
                    y = i + 0.4 - height * (j + 0.5)
                    ok = bool(r.get("reliable", True))
                    colour = (_ABOVE if v >= ref else _BELOW) if ok else _UNRELIABLE
                    ax.barh(
                        y,
                        v - ref,
                        left=ref,
                        height=0.9 * height,
                        color=colour,
                        hatch=None if ok else "///",
                        edgecolor="white" if ok else "0.35",
                        linewidth=0.5,
                    )
                    ax.annotate(
                        str(r["alternative"]),
                        (v, y),
                        xytext=(3 if v >= ref else -3, 0),
                        textcoords="offset points",
                        ha="left" if v >= ref else "right",
                        va="center",
                        fontsize=7,
                        color="0.25",
                    )
            ax.axvline(ref, color="k", lw=0.8)
            ax.set_yticks(np.arange(len(params)), [labels.get(p, p) for p in params])
            lo = np.nanmin(np.r_[t["value"].to_numpy(float), ref])
            hi = np.nanmax(np.r_[t["value"].to_numpy(float), ref])
            pad = 0.18 * max(hi - lo, 0.05 * max(abs(ref), 1.0))
            ax.set_xlim(lo - pad, hi + pad)
            ax.set_ylim(-0.5, len(params) - 0.5)
            ax.set_title(_(pop))
            ax.set_xlabel(f"{words['quota']} ({unit})")
            ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda x, _pos: tick_integer(x)))
        handles = [
            Patch(color=_BELOW, label=words["below"]),
            Patch(color=_ABOVE, label=words["above"]),
            Patch(facecolor=_UNRELIABLE, hatch="///", edgecolor="0.35", label=words["unreliable"]),
        ]
        fig.legend(handles=handles, loc="outside lower center", ncols=3, frameon=False)
    return fig


#: The name the report uses for :func:`plot_tornado`.
plot_quota_tornado = plot_tornado
