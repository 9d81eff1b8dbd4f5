"""Figures from data objects.

Plot functions are keyword-only, return matplotlib figures and never compute statistics:
every marker is a row of their input.

Examples
--------
>>> import saigapop.plotting as spp
>>> sorted(spp.__all__)  # doctest: +NORMALIZE_WHITESPACE
['drawing_figures', 'figure_to_png', 'plot_census', 'plot_fan', 'plot_removals',
 'plot_risk_curve', 'plot_tornado']
"""

from saigapop.plotting._style import drawing_figures, figure_to_png
from saigapop.plotting.census import plot_census
from saigapop.plotting.projections import plot_fan, plot_risk_curve
from saigapop.plotting.removals import plot_removals
from saigapop.plotting.sensitivity import plot_tornado

__all__ = [
    "drawing_figures",
    "figure_to_png",
    "plot_census",
    "plot_fan",
    "plot_removals",
    "plot_risk_curve",
    "plot_tornado",
]
