"""The notebooks' figures from tiny frames: one line per grade, one panel per split or date,
suppressed groups left out, and nothing that names a student."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from edupulse.workbench import plots

W1, W2 = dt.date(2025, 1, 6), dt.date(2025, 1, 13)


def _texts(fig) -> str:  # type: ignore[no-untyped-def]
    return " ".join(t.get_text() for t in fig.findobj(match=lambda o: hasattr(o, "get_text")))


def test_weekly_trends_draws_one_line_per_grade_level() -> None:
    frame = pd.DataFrame({"grade_level": [9, 10, 9, 10], "week": [W1, W1, W2, W2],
                          "attendance_rate": [0.9, 0.8, 0.95, 0.85]})
    fig = plots.weekly_trends(frame, "attendance_rate", title="t", ylabel="share")
    (ax,) = fig.axes
    assert [line.get_label() for line in ax.get_lines()] == ["grade 9", "grade 10"]
    assert list(ax.get_lines()[1].get_ydata()) == [0.8, 0.85]


def test_list_precision_has_a_panel_per_split_and_a_bar_per_model_and_list() -> None:
    rows = [{"model": m, "split": s, "k": k, "precision": 0.5, "precision_lo": 0.4,
             "precision_hi": 0.6} for s in ("a", "b") for m in ("abc", "lr") for k in ("k5", "k10")]
    fig = plots.list_precision(pd.DataFrame(rows), title="t")
    assert [ax.get_title() for ax in fig.axes] == ["a", "b"]
    assert all(len(ax.patches) == 4 for ax in fig.axes)


def test_calibration_panels_per_split_with_the_diagonal() -> None:
    curves = pd.DataFrame({"model": ["lr"] * 2 + ["abc"] * 2, "split": ["s"] * 4,
                           "mean_predicted": [0.1, 0.5, 0.2, 0.6],
                           "observed_rate": [0.12, 0.45, 0.1, 0.7]})
    (ax,) = plots.calibration(curves, title="t").axes
    assert [line.get_label() for line in ax.get_lines()] == ["perfectly calibrated", "lr", "abc"]


def test_group_intervals_leave_suppressed_groups_out() -> None:
    gm = pd.DataFrame({"attribute": ["gender"] * 3, "group": ["F", "M", "X"],
                       "fnr": [0.5, 0.6, np.nan], "fnr_lo": [0.4, 0.5, np.nan],
                       "fnr_hi": [0.6, 0.7, np.nan], "suppressed": [False, False, True]})
    (ax,) = plots.group_intervals(gm, "fnr", title="t").axes
    assert [t.get_text() for t in ax.get_yticklabels()] == ["gender: F", "gender: M"]


def test_score_distribution_stacks_categories_per_date() -> None:
    scores = pd.DataFrame({"as_of": [W1] * 3 + [W2] * 2,
                           "risk_score": [0.1, 0.4, 0.9, 0.2, 0.95],
                           "risk_category": ["low", "high", "critical", "medium", "critical"]})
    fig = plots.score_distribution(scores, title="t")
    assert [ax.get_title() for ax in fig.axes] == [f"as of {W1}", f"as of {W2}"]
    assert "critical" in _texts(fig)


def test_histograms_count_missing_values_in_the_title() -> None:
    frame = pd.DataFrame({"gpa": [2.0, np.nan, 3.5], "attendance_rate": [0.9, 0.8, 1.0]})
    fig = plots.histograms(frame, ["gpa", "attendance_rate"], title="t", per_row=3)
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert titles == ["gpa (1 missing)", "attendance_rate"]


def test_prevalence_and_bars() -> None:
    summary = pd.DataFrame({"as_of_date": [W1, W2], "labelled": [100, 90],
                            "prevalence": [0.2, 0.25]})
    fig = plots.prevalence(summary, title="t")
    assert len(fig.axes) == 2 and len(fig.axes[0].patches) == 2
    fig = plots.bars(pd.Series([3, 4], index=[9, 10]), title="t", ylabel="students")
    assert [p.get_height() for p in fig.axes[0].patches] == [3, 4]
