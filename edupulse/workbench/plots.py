"""The figures the notebooks show, drawn from the workbench's DataFrames.

Each function returns a matplotlib Figure built without pyplot (no global state, no display);
the notebook displays it. Figures show aggregates only: no student appears in any of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd


def _figure(n_cols: int = 1, width: float = 8.0, height: float = 3.6,
            n_rows: int = 1) -> tuple[Any, Any]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=90, layout="constrained")
    axes = fig.subplots(n_rows, n_cols, squeeze=False)
    return fig, axes.ravel()


def _legend(ax: Any, title: str | None = None) -> None:
    ax.legend(fontsize=7, title=title, title_fontsize=7, loc="upper left",
              bbox_to_anchor=(1.01, 1.0), frameon=False)


def weekly_trends(frame: pd.DataFrame, value: str, *, title: str, ylabel: str) -> Any:
    """One line per grade level over the weeks (frame: grade_level, week, `value`)."""
    fig, (ax,) = _figure(width=8.5)
    wide = frame.pivot(index="week", columns="grade_level", values=value).sort_index()
    cmap = _cmap(len(wide.columns))
    for i, grade in enumerate(wide.columns):
        ax.plot(wide.index, wide[grade], marker="o", ms=3, lw=1.2, color=cmap(i),
                label=f"grade {grade}")
    ax.set(title=title, ylabel=ylabel, xlabel="week starting")
    ax.tick_params(axis="x", labelrotation=30, labelsize=7)
    _legend(ax, "grade level")
    return fig


def _cmap(n: int) -> Any:
    from matplotlib import colormaps

    cmap = colormaps["viridis"]
    return lambda i: cmap(i / max(n - 1, 1))


def bars(frame: pd.DataFrame | pd.Series, *, title: str, ylabel: str, stacked: bool = False,
         horizontal: bool = False) -> Any:
    """A bar chart of a Series, or of a DataFrame's columns (stacked or side by side)."""
    fig, (ax,) = _figure(width=8.0)
    kind = "barh" if horizontal else "bar"
    frame.plot(kind=kind, ax=ax, stacked=stacked, legend=isinstance(frame, pd.DataFrame),
               width=0.8)
    ax.set(title=title)
    ax.set_xlabel(ylabel if horizontal else ax.get_xlabel())
    if not horizontal:
        ax.set_ylabel(ylabel)
    if isinstance(frame, pd.DataFrame):
        _legend(ax)
    return fig


def histograms(frame: pd.DataFrame, columns: Sequence[str], *, title: str,
               bins: int = 30, per_row: int = 3) -> Any:
    """One histogram per column (NaN left out, the count of missing values in the title)."""
    n_rows = -(-len(columns) // per_row)
    fig, axes = _figure(per_row, width=3.2 * per_row, height=2.5 * n_rows, n_rows=n_rows)
    for ax, col in zip(axes, columns, strict=False):
        values = frame[col].to_numpy(dtype="float64", na_value=np.nan)
        missing = int(np.isnan(values).sum())
        ax.hist(values[~np.isnan(values)], bins=bins, color="#4c72b0")
        ax.set_title(f"{col}" + (f" ({missing} missing)" if missing else ""), fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in axes[len(columns):]:
        ax.set_visible(False)
    fig.suptitle(title)
    return fig


def prevalence(summary: pd.DataFrame, *, title: str) -> Any:
    """Labelled students and the outcome's prevalence per as-of date (a label summary)."""
    fig, (ax,) = _figure(width=8.5)
    ax.bar(summary["as_of_date"].astype(str), summary["labelled"], color="#c7d4e8",
           label="labelled students")
    ax.set_ylabel("students")
    ax.tick_params(axis="x", labelrotation=60, labelsize=6)
    ax2 = ax.twinx()
    ax2.plot(summary["as_of_date"].astype(str), summary["prevalence"], "o-", color="#c44e52",
             ms=3, label="prevalence")
    ax2.set(ylabel="prevalence", ylim=(0, max(0.05, float(summary["prevalence"].max()) * 1.2)))
    ax.set_title(title)
    return fig


def list_precision(lists: pd.DataFrame, *, title: str) -> Any:
    """precision@k with its interval per model, one panel per split (from the lists tables)."""
    splits = list(dict.fromkeys(lists["split"]))
    fig, axes = _figure(len(splits), width=4.6 * len(splits), height=3.6)
    models = list(dict.fromkeys(lists["model"]))
    for ax, split in zip(axes, splits, strict=True):
        part = lists[lists["split"] == split]
        keys = list(dict.fromkeys(part["k"]))
        x = np.arange(len(keys))
        width = 0.8 / max(len(models), 1)
        for i, model in enumerate(models):
            rows = part[part["model"] == model].set_index("k").reindex(keys)
            p = rows["precision"].to_numpy(dtype=float)
            err = np.vstack([p - rows["precision_lo"].to_numpy(dtype=float),
                             rows["precision_hi"].to_numpy(dtype=float) - p])
            ax.bar(x + i * width, p, width, yerr=np.nan_to_num(err), capsize=2, label=model)
        ax.set_xticks(x + width * (len(models) - 1) / 2, keys, fontsize=7)
        ax.set(title=split, ylim=(0, 1.05), xlabel="list", ylabel="precision")
    _legend(axes[-1])
    fig.suptitle(title)
    return fig


def calibration(curves: pd.DataFrame, *, title: str) -> Any:
    """Reliability diagrams: observed rate against mean predicted probability, per model, one
    panel per split (frame: model, split, mean_predicted, observed_rate)."""
    splits = list(dict.fromkeys(curves["split"]))
    fig, axes = _figure(len(splits), width=4.2 * len(splits), height=3.8)
    for ax, split in zip(axes, splits, strict=True):
        part = curves[curves["split"] == split]
        top = float(max(part["mean_predicted"].max(), part["observed_rate"].max(), 0.05)) * 1.05
        ax.plot([0, top], [0, top], ":", color="grey", label="perfectly calibrated")
        for model, rows in part.groupby("model", sort=False):
            ax.plot(rows["mean_predicted"], rows["observed_rate"], "o-", ms=3, label=model)
        ax.set(title=split, xlim=(0, top), ylim=(0, top), xlabel="mean predicted probability",
               ylabel="observed rate")
    _legend(axes[-1])
    fig.suptitle(title)
    return fig


def group_intervals(group_metrics: pd.DataFrame, metric: str, *, title: str) -> Any:
    """A metric with its bootstrap interval for every (unsuppressed) group, by attribute."""
    rows = group_metrics[~group_metrics["suppressed"].astype(bool)].dropna(subset=[metric])
    labels = [f"{a}: {g}" for a, g in zip(rows["attribute"], rows["group"], strict=True)]
    fig, (ax,) = _figure(width=7.5, height=0.28 * len(rows) + 1.2)
    y = np.arange(len(rows))[::-1]
    v = rows[metric].to_numpy(dtype=float)
    err = np.vstack([v - rows[f"{metric}_lo"].to_numpy(dtype=float),
                     rows[f"{metric}_hi"].to_numpy(dtype=float) - v])
    ax.errorbar(v, y, xerr=np.nan_to_num(err), fmt="o", ms=4, capsize=2, color="#4c72b0")
    ax.set_yticks(y, labels, fontsize=7)
    ax.set(title=title, xlabel=metric)
    return fig


def score_distribution(scores: pd.DataFrame, *, title: str, bins: int = 40) -> Any:
    """Histogram of risk scores, stacked by category (frame: as_of, risk_score,
    risk_category), one panel per as-of date."""
    dates = list(dict.fromkeys(scores["as_of"]))
    fig, axes = _figure(len(dates), width=4.4 * len(dates), height=3.4)
    order = ["low", "medium", "high", "critical"]
    colours = {"low": "#8fbc8f", "medium": "#f0c05a", "high": "#e07b39", "critical": "#c0392b"}
    edges = np.linspace(0, 1, bins + 1)
    for ax, day in zip(axes, dates, strict=True):
        part = scores[scores["as_of"] == day]
        present = [c for c in order if c in set(part["risk_category"])]
        ax.hist([part.loc[part["risk_category"] == c, "risk_score"] for c in present],
                bins=edges, stacked=True, label=present, color=[colours[c] for c in present])
        ax.set(title=f"as of {day}", xlabel="risk score", ylabel="students")
    _legend(axes[-1], "category")
    fig.suptitle(title)
    return fig
