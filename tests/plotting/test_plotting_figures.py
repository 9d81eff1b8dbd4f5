import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

import saigapop as sp
from saigapop.plotting import figure_to_png, plot_census, plot_removals


@pytest.fixture(scope="module")
def data():
    return sp.load_kazakhstan()


def _points(ax, marker, facecolor=None):
    n = 0
    for line in ax.get_lines():
        if line.get_marker() != marker:
            continue
        if facecolor is not None and line.get_markerfacecolor() != facecolor:
            continue
        n += np.isfinite(np.asarray(line.get_ydata(), dtype=float)).sum()
    return n


def test_census_one_panel_per_population_plus_national(data):
    fig = plot_census(census=data.census, populations=list(data.populations))
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert titles == [*data.populations, "National (all populations)"]
    assert all(ax.get_yscale() == "log" for ax in fig.axes if ax.get_visible())


def test_census_draws_every_row_once_by_kind(data):
    census = data.census
    fig = plot_census(census=census, populations=list(data.populations))
    axes = {ax.get_title(): ax for ax in fig.axes}
    for pop in data.populations:
        rows = census[census["population"] == pop]
        ax = axes[pop]
        assert _points(ax, "o", None) - _rings(ax) == (rows["kind"] == "count").sum()
        assert _points(ax, "D") == (rows["kind"] == "estimate").sum()
    national = census[census["population"] == "total"]
    ax = axes["National (all populations)"]
    totals = national["kind"].isin(["total", "partial_total", "redundant_total"]).sum()
    assert _points(ax, "s") == totals
    assert _points(ax, "v") == (national["kind"] == "upper_bound").sum()
    assert _points(ax, "x") == (national["kind"] == "missing").sum()


def _rings(ax):
    return sum(
        np.isfinite(np.asarray(line.get_ydata(), dtype=float)).sum()
        for line in ax.get_lines()
        if line.get_marker() == "o" and line.get_markerfacecolor() == "none"
    )


def test_plots_do_not_modify_their_input(data):
    census, removals = data.census.copy(), data.removals.copy()
    plot_census(census=data.census)
    plot_removals(removals=data.removals)
    pd.testing.assert_frame_equal(census, data.census)
    pd.testing.assert_frame_equal(removals, data.removals)


def test_removals_draw_final_rows_only(data):
    removals = data.removals
    fig = plot_removals(removals=removals)
    ax = fig.axes[0]
    final = removals[(removals["status"] == "final") & (removals["unit"] == "animals")]
    drawn = sum(
        np.isfinite(np.asarray(line.get_ydata(), dtype=float)).sum() for line in ax.get_lines()
    )
    with_value = final["value"].notna().sum()
    bound_only = (final["value"].isna() & final["upper"].notna()).sum()
    assert drawn == with_value + bound_only


def test_plot_functions_are_keyword_only(data):
    with pytest.raises(TypeError):
        plot_census(data.census)  # type: ignore[misc]


def test_empty_population_list_is_an_error(data):
    with pytest.raises(ValueError, match="no population"):
        plot_census(census=data.census.iloc[0:0], populations=[], national=True)


def test_png_has_no_software_metadata(data):
    png = figure_to_png(plot_census(census=data.census))
    assert png.startswith(b"\x89PNG")
    assert b"Matplotlib" not in png
