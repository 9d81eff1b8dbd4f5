"""Shared figure style: one place for sizes, colours and number formatting on axes."""

from __future__ import annotations

import io

import matplotlib as mpl
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

__all__ = ["RC", "animal_axis", "figure_to_png"]

#: Matplotlib settings for every saigapop figure (readable when printed at 16 cm).
RC = {
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "legend.fontsize": 8,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "figure.dpi": 100,
}

#: Colour-blind-safe colours (Okabe-Ito).
COLOURS = {
    "count": "#0072B2",
    "total": "#0072B2",
    "partial_total": "#56B4E9",
    "redundant_total": "#999999",
    "estimate": "#E69F00",
    "bound": "#009E73",
    "missing": "#666666",
    "flag": "#D55E00",
}


def _animals(x: float, _pos: object) -> str:
    if x >= 1e6:
        return f"{x / 1e6:g} M"
    if x >= 1e3:
        return f"{x / 1e3:g} k"
    return f"{x:g}"


def animal_axis(ax: mpl.axes.Axes, *, log: bool = True) -> None:
    """Label a y axis in animals (``10 k``, ``1 M``), log-scaled by default."""
    if log:
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(LogLocator(base=10))
        ax.yaxis.set_minor_formatter(NullFormatter())
    ax.yaxis.set_major_formatter(FuncFormatter(_animals))


def figure_to_png(fig: Figure, *, dpi: int = 200) -> bytes:
    """Render ``fig`` to PNG bytes without embedding software or date metadata.

    Parameters
    ----------
    fig
        A matplotlib figure. It is closed afterwards.
    dpi
        Resolution.

    Returns
    -------
    bytes
    """
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    import matplotlib.pyplot as plt

    plt.close(fig)
    return buf.getvalue()
