"""Model figures: fan charts and risk curves (the tornado chart is :mod:`.sensitivity`'s).

Like every saigapop plot function these are keyword-only, return a matplotlib figure and
compute no statistics: the quantiles, risks and swings are columns of their input tables
(built by :mod:`saigapop.report.model_sections`).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from saigapop.locale import N_, _
from saigapop.plotting._style import RC, animal_axis, number_axis, tick_number
from saigapop.plotting.sensitivity import plot_tornado

__all__ = ["SERIES_COLOURS", "plot_fan", "plot_risk_curve", "plot_tornado"]

#: Colours of the projected series (Okabe-Ito).
SERIES_COLOURS: dict[str, str] = {
    "posterior": "#0072B2",
    "no export": "#0072B2",
    "at the quota": "#D55E00",
    "female": "#CC79A7",
    "male": "#009E73",
}
_FALLBACK = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
_BAND_COLUMNS = ("q05", "q25", "q50", "q75", "q95")


def _panels(n: int, ncols: int, height: float) -> tuple[Figure, np.ndarray]:
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    with plt.rc_context(RC):
        fig, axes = plt.subplots(
            nrows, ncols, figsize=(6.3, height * nrows + 0.6), squeeze=False, layout="constrained"
        )
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    return fig, axes


def plot_fan(
    *,
    bands: pd.DataFrame,
    populations: Sequence[str] | None = None,
    ylabel: str = N_("True abundance (animals)"),
    log: bool = True,
    observed: pd.DataFrame | None = None,
    mark_years: Sequence[int] = (),
    ncols: int = 2,
) -> Figure:
    """Fan chart per population: median line, 50 % and 90 % bands for each series.

    Parameters
    ----------
    bands
        One row per ``population``, ``series`` and ``year`` with quantile columns ``q05``,
        ``q25``, ``q50``, ``q75``, ``q95`` (in the unit of ``ylabel``).
    populations
        Panels in order (default: every population in ``bands``).
    ylabel
        Y-axis label, with its unit.
    log
        Log-scaled y axis labelled in animals (for abundance); ``False`` for ratios.
    observed
        Optional points to overlay: ``population``, ``year``, ``value`` (e.g. counts).
    mark_years
        Years shaded as the quota years.
    ncols
        Panels per row.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> b = pd.DataFrame({"population": "A", "series": "no export", "year": [2025, 2026],
    ...                   "q05": 1.0, "q25": 2.0, "q50": 3.0, "q75": 4.0, "q95": 5.0})
    >>> fig = plot_fan(bands=b, log=False, ylabel="Ratio")
    >>> fig.axes[0].get_title()
    'A'
    """
    missing = [c for c in ("population", "series", "year", *_BAND_COLUMNS) if c not in bands]
    if missing:
        raise ValueError(f"bands lacks columns {missing}")
    pops = list(populations or dict.fromkeys(bands["population"].astype(str)))
    series = list(dict.fromkeys(bands["series"].astype(str)))
    colours = {
        s: SERIES_COLOURS.get(s, _FALLBACK[i % len(_FALLBACK)]) for i, s in enumerate(series)
    }
    fig, axes = _panels(len(pops), ncols, 2.2)
    with plt.rc_context(RC):
        for ax, pop in zip(axes.ravel(), pops, strict=False):
            sub = bands[bands["population"].astype(str) == pop]
            if mark_years:
                ax.axvspan(min(mark_years) - 0.5, max(mark_years) + 0.5, color="#eeeeee", lw=0)
            for i, s in enumerate(series):
                part = sub[sub["series"].astype(str) == s].sort_values("year")
                if part.empty:
                    continue
                x = part["year"].to_numpy()
                c = colours[s]
                if i == 0:  # the first series as bands, later ones as lines over them
                    ax.fill_between(x, part["q05"], part["q95"], color=c, alpha=0.15, lw=0)
                    ax.fill_between(x, part["q25"], part["q75"], color=c, alpha=0.3, lw=0)
                    ax.plot(x, part["q50"], color=c, lw=1.5, label=_(s))
                else:
                    name = _(s)
                    ax.plot(
                        x,
                        part["q50"],
                        color=c,
                        lw=1.3,
                        ls="--",
                        label=_("{s} (median)").format(s=name),
                    )
                    ax.plot(
                        x,
                        part["q05"],
                        color=c,
                        lw=0.8,
                        ls=":",
                        label=_("{s} (5 and 95 %)").format(s=name),
                    )
                    ax.plot(x, part["q95"], color=c, lw=0.8, ls=":")
            if observed is not None and not observed.empty:
                obs = observed[observed["population"].astype(str) == pop]
                ax.plot(
                    obs["year"],
                    obs["value"],
                    "o",
                    ms=3,
                    color="k",
                    label=_("census count"),
                    zorder=5,
                )
            if log:
                animal_axis(ax)
            else:
                number_axis(ax.yaxis)
            ax.set_title(_(pop))
            ax.set_ylabel(_(ylabel))
            ax.xaxis.get_major_locator().set_params(integer=True)
        handles, labels = axes.ravel()[0].get_legend_handles_labels()
        if handles:
            fig.legend(
                handles,
                labels,
                loc="outside lower center",
                ncols=min(3, len(labels)),
                frameon=False,
            )
    return fig


def plot_risk_curve(*, curve: pd.DataFrame, populations: Sequence[str] | None = None) -> Figure:
    """Each criterion's decision risk divided by its limit, against the candidate quota.

    A criterion fails where its line rises above 1 (the dashed line); the quota is marked by
    a vertical line.

    Parameters
    ----------
    curve
        One row per ``population``, ``criterion`` and candidate: ``level`` (adult males a
        year), ``risk_over_limit`` and ``quota`` (the solved level of that population).
    populations
        Panels in order.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> c = pd.DataFrame({"population": "A", "criterion": "abundance", "level": [0.0, 10.0],
    ...                   "risk_over_limit": [0.2, 1.4], "quota": 5.0})
    >>> plot_risk_curve(curve=c).axes[0].get_xlabel()
    'Export (adult males/year)'
    """
    pops = list(populations or dict.fromkeys(curve["population"].astype(str)))
    crits = list(dict.fromkeys(curve["criterion"].astype(str)))
    fig, axes = _panels(len(pops), 3 if len(pops) >= 3 else len(pops), 2.3)
    with plt.rc_context(RC):
        for ax, pop in zip(axes.ravel(), pops, strict=False):
            sub = curve[curve["population"].astype(str) == pop]
            top = 1.0
            for i, crit in enumerate(crits):
                part = sub[sub["criterion"].astype(str) == crit].sort_values("level")
                y = part["risk_over_limit"].to_numpy(dtype=float)
                top = max(top, float(np.nanmax(y)) if y.size and np.isfinite(y).any() else 1.0)
                ax.plot(
                    part["level"],
                    y,
                    marker=".",
                    ms=3,
                    lw=1.2,
                    label=crit,
                    color=_FALLBACK[i % len(_FALLBACK)],
                )
            ax.axhline(1.0, color="k", ls="--", lw=0.8)
            if len(sub):
                ax.axvline(float(sub["quota"].iloc[0]), color="#666666", lw=1.0, ls=":")
            ax.set_ylim(0, min(top * 1.05, 3.0))
            ax.set_title(_(pop))
            ax.set_xlabel(_("Export (adult males/year)"))
            ax.set_ylabel(_("Decision risk ÷ limit"))
            number_axis(ax.yaxis)
            ax.xaxis.set_major_formatter(
                plt.FuncFormatter(
                    lambda x, _p: (
                        _("{x} k").format(x=tick_number(x / 1e3)) if x >= 1e3 else tick_number(x)
                    )
                )
            )
            ax.xaxis.get_major_locator().set_params(nbins=4)
        handles, labels = axes.ravel()[0].get_legend_handles_labels()
        if handles:
            fig.legend(
                handles,
                labels,
                loc="outside lower center",
                ncols=min(2, len(labels)),
                frameon=False,
            )
    return fig
