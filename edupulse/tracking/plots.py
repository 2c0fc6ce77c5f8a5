"""The figures logged with each model run: precision/recall at k, calibration, importance.

Each function returns a matplotlib Figure (Agg backend, no display) and writes nothing; the
caller logs it. Figures carry no student identifiers, only aggregates.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from edupulse.modeling import metrics as m
from edupulse.modeling.train import FeatureImportance

PERCENTS = tuple(range(1, 51))


def _figure(width: float = 6.4, height: float = 4.2) -> tuple[Any, Any]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    return fig, fig.add_subplot()


def precision_recall_at_k(
    y: np.ndarray, scores: np.ndarray, as_of: np.ndarray, title: str,
    baseline: np.ndarray | None = None, marks: Sequence[float] = (),
) -> Any:
    """Precision and recall of the top k% per as-of date, k = 1..50, with the baseline."""
    fig, ax = _figure(8.4, 4.2)
    prec, rec = m.precision_recall_curve_at_k(y, scores, as_of, PERCENTS)
    ax.plot(PERCENTS, prec, label="precision@k", color="#1f77b4")
    ax.plot(PERCENTS, rec, label="recall@k", color="#ff7f0e")
    if baseline is not None:
        bp, br = m.precision_recall_curve_at_k(y, baseline, as_of, PERCENTS)
        ax.plot(PERCENTS, bp, "--", label="precision@k (ABC baseline)", color="#1f77b4",
                alpha=0.6)
        ax.plot(PERCENTS, br, "--", label="recall@k (ABC baseline)", color="#ff7f0e",
                alpha=0.6)
    prevalence = float(np.mean(y)) if len(y) else 0.0
    ax.axhline(prevalence, color="grey", lw=0.8, ls=":", label=f"prevalence {prevalence:.2f}")
    for k in marks:
        ax.axvline(k, color="grey", lw=0.5)
    ax.set(xlabel="list size k (% of each as-of date's cohort)", ylabel="share", ylim=(0, 1.02),
           title=title)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return fig


def calibration(table: m.CalibrationTable, title: str) -> Any:
    """Reliability diagram: observed rate against mean predicted probability per bin."""
    fig, ax = _figure(5.0, 4.6)
    pred, obs = np.array(table.mean_predicted), np.array(table.observed_rate)
    top = float(max(pred.max(initial=0), obs.max(initial=0), 0.05)) * 1.05
    ax.plot([0, top], [0, top], ":", color="grey", label="perfectly calibrated")
    ax.plot(pred, obs, "o-", label=f"model (ECE {table.ece:.3f})")
    for x, yv, n in zip(pred, obs, table.count, strict=True):
        ax.annotate(str(n), (x, yv), fontsize=6, xytext=(3, -8), textcoords="offset points")
    ax.set(xlabel="mean predicted probability", ylabel="observed rate", xlim=(0, top),
           ylim=(0, top), title=title)
    ax.legend(fontsize=7, loc="upper left")
    return fig


def feature_importance(imp: FeatureImportance, title: str, top: int = 20) -> Any:
    """The `top` columns by permutation importance (drop in AUC), with one std."""
    order = np.argsort(imp.mean)[::-1][:top][::-1]
    fig, ax = _figure(6.4, 0.25 * len(order) + 1.2)
    ax.barh([imp.names[i] for i in order], [imp.mean[i] for i in order],
            xerr=[imp.std[i] for i in order], color="#4c72b0")
    ax.set(xlabel="drop in test AUC when the column is shuffled", title=title)
    ax.tick_params(axis="y", labelsize=7)
    return fig
