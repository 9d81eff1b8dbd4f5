"""Shared figure style: one place for sizes, colours and number formatting on axes."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import matplotlib as mpl
import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from saigapop.locale import _, localise_number

__all__ = [
    "RC",
    "animal_axis",
    "drawing_figures",
    "figure_to_png",
    "number_axis",
    "tick_integer",
    "tick_number",
]

_DRAW: ContextVar[bool] = ContextVar("saigapop_draw_figures", default=True)
#: A 1×1 transparent PNG returned while drawing is off.
_BLANK_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6300010000050001a5f645400000000049454e44ae426082"
)


@contextmanager
def drawing_figures(enabled: bool) -> Iterator[None]:
    """Turn rendering in :func:`figure_to_png` on or off inside the ``with`` block.

    Off, figures are closed unrendered and a blank 1×1 PNG is returned: used when a report
    is built only for its tables and numbers (the English twin of a translated report).
    """
    token = _DRAW.set(enabled)
    try:
        yield
    finally:
        _DRAW.reset(token)


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


def tick_number(x: float) -> str:
    """Return a tick label with the report language's decimal symbol (``1.5`` or ``1,5``).

    Examples
    --------
    >>> from saigapop.locale import use_language
    >>> tick_number(1.5), tick_number(2.0)
    ('1.5', '2')
    >>> with use_language("ru"):
    ...     tick_number(1.5)
    '1,5'
    """
    return localise_number(f"{x:g}")


def tick_integer(x: float) -> str:
    r"""Return a whole-number tick label with the language's thousands separator.

    Examples
    --------
    >>> from saigapop.locale import use_language
    >>> tick_integer(3500.0)
    '3,500'
    >>> with use_language("ru"):
    ...     tick_integer(3500.0)
    '3\xa0500'
    """
    return localise_number(f"{x:,.0f}")


def _animals(x: float, _pos: object) -> str:
    if x >= 1e6:
        return _("{x} M").format(x=tick_number(x / 1e6))
    if x >= 1e3:
        return _("{x} k").format(x=tick_number(x / 1e3))
    return tick_number(x)


def number_axis(axis: mpl.axis.Axis) -> None:
    """Print an axis' tick numbers with the report language's decimal symbol."""
    axis.set_major_formatter(FuncFormatter(lambda x, _pos: tick_number(x)))


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
    if not _DRAW.get():
        plt.close(fig)
        return _BLANK_PNG
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()
