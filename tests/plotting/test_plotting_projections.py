"""Model figures: fan charts, risk curves, tornado (inputs are tables; nothing computed)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from saigapop.plotting import figure_to_png, plot_fan, plot_risk_curve, plot_tornado


def _bands(series=("no export", "at the quota"), pops=("A", "B", "C")):
    rows = []
    for p in pops:
        for s in series:
            for y in range(2025, 2030):
                rows.append(
                    {
                        "population": p,
                        "series": s,
                        "year": y,
                        "q05": 1e4,
                        "q25": 2e4,
                        "q50": 3e4 + y,
                        "q75": 4e4,
                        "q95": 5e4,
                    }
                )
    return pd.DataFrame(rows)


def test_fan_has_one_panel_per_population_and_a_legend():
    fig = plot_fan(bands=_bands(), mark_years=(2026, 2027, 2028))
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == ["A", "B", "C"]
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels[0] == "no export"
    assert "at the quota (median)" in labels
    assert figure_to_png(fig).startswith(b"\x89PNG")


def test_fan_overlays_observed_counts():
    obs = pd.DataFrame({"population": ["A"], "year": [2025], "value": [12345.0]})
    fig = plot_fan(bands=_bands(series=("posterior",), pops=("A",)), observed=obs)
    xs = [line.get_xdata().tolist() for line in fig.axes[0].lines if line.get_marker() == "o"]
    assert xs == [[2025]]
    plt.close(fig)


def test_fan_rejects_a_table_without_quantiles():
    with pytest.raises(ValueError, match="q05"):
        plot_fan(bands=pd.DataFrame({"population": ["A"], "series": ["s"], "year": [1]}))


def test_risk_curve_marks_limit_and_quota():
    c = pd.DataFrame(
        {
            "population": "A",
            "criterion": ["x", "x", "y", "y"],
            "level": [0.0, 10.0, 0.0, 10.0],
            "risk_over_limit": [0.1, 2.0, 0.0, 0.5],
            "quota": 5.0,
        }
    )
    fig = plot_risk_curve(curve=c)
    ax = fig.axes[0]
    assert ax.get_ylabel() == "Decision risk ÷ limit"
    assert any(list(line.get_ydata()) == [1.0, 1.0] for line in ax.lines)  # the limit
    assert any(list(line.get_xdata()) == [5.0, 5.0] for line in ax.lines)  # the quota
    plt.close(fig)


def test_tornado_one_panel_per_population():
    t = pd.DataFrame(
        {
            "population": ["A", "A", "B"],
            "parameter": ["p", "q", "p"],
            "reference": [10.0, 10.0, 5.0],
            "low": [8.0, 9.0, 4.0],
            "high": [12.0, 10.0, 7.0],
        }
    )
    fig = plot_tornado(table=t)
    assert [ax.get_title() for ax in fig.axes if ax.get_visible()] == ["A", "B"]
    plt.close(fig)
