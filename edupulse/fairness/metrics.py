"""Who is flagged at the list size, and each group's metrics (fairlearn's MetricFrame).

Every rate is defined once, from confusion counts, so the point estimates (MetricFrame) and the
bootstrap replicates (edupulse.fairness.bootstrap) use the same formulas. A rate whose
denominator is empty (recall in a group with no positives, precision with nobody flagged) is NaN:
undefined, not zero.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from edupulse.fairness.settings import METRICS, AuditSettings


@dataclass(frozen=True)
class Flags:
    """The list: who is flagged, and how ties at the cut-off were settled."""

    flagged: np.ndarray
    cutoff: float | None  # lowest flagged score (top k%) or the threshold
    tied_at_cutoff: int  # students whose score equals the cut-off score
    tied_flagged: int  # of those, how many made the list

    @property
    def n_flagged(self) -> int:
        return int(self.flagged.sum())


def flag(scores: np.ndarray, ids: np.ndarray, settings: AuditSettings) -> Flags:
    """Top k% (k = round half up of pct x n) ranked by score, ties broken by id; or a threshold.

    Breaking ties by id keeps the list size exact and the result reproducible; the number of
    students tied at the cut-off is reported so nobody mistakes the tie-break for a finding.
    """
    n = len(scores)
    if settings.threshold is not None:
        flagged = scores >= settings.threshold
        return Flags(flagged, settings.threshold, int((scores == settings.threshold).sum()),
                     int((scores == settings.threshold).sum()))
    assert settings.top_pct is not None
    k = min(n, math.floor(n * settings.top_pct / 100 + 0.5))
    order = np.lexsort((ids.astype(str), -scores))
    flagged = np.zeros(n, dtype=bool)
    flagged[order[:k]] = True
    if k == 0:
        return Flags(flagged, None, 0, 0)
    cutoff = float(scores[order[k - 1]])
    tied = scores == cutoff
    return Flags(flagged, cutoff, int(tied.sum()), int((tied & flagged).sum()))


def _div(num: Any, den: Any) -> np.ndarray:
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def rates(tp: Any, fp: Any, fn: Any, tn: Any) -> dict[str, np.ndarray]:
    """Every rate from (possibly weighted, possibly arrays of) confusion counts."""
    n = np.asarray(tp, dtype=float) + fp + fn + tn
    return {
        "prevalence": _div(np.add(tp, fn), n),
        "selection_rate": _div(np.add(tp, fp), n),
        "precision": _div(tp, np.add(tp, fp)),
        "recall": _div(tp, np.add(tp, fn)),
        "fnr": _div(fn, np.add(tp, fn)),
        "fpr": _div(fp, np.add(fp, tn)),
        "false_omission_rate": _div(fn, np.add(fn, tn)),
    }


def confusion(y_true: Any, y_pred: Any) -> tuple[int, int, int, int]:
    yt, yp = np.asarray(y_true, dtype=bool), np.asarray(y_pred, dtype=bool)
    return (int((yt & yp).sum()), int((~yt & yp).sum()), int((yt & ~yp).sum()),
            int((~yt & ~yp).sum()))


def auc(y_true: Any, score: Any) -> float:
    """ROC AUC of the score within the group; NaN when the group has only one outcome."""
    from sklearn.metrics import roc_auc_score

    yt = np.asarray(y_true, dtype=int)
    if len(np.unique(yt)) < 2:
        return math.nan
    return float(roc_auc_score(yt, np.asarray(score, dtype=float)))


def _rate_metric(name: str):  # type: ignore[no-untyped-def]
    def metric(y_true: Any, y_pred: Any) -> float:
        return float(rates(*confusion(y_true, y_pred))[name])

    metric.__name__ = name
    return metric


def _auc_metric(y_true: Any, y_pred: Any, score: Any) -> float:
    return auc(y_true, score)


def metricframe_metrics() -> dict[str, Any]:
    """n and every metric as MetricFrame callables (AUC takes the score as a sample param)."""
    from fairlearn.metrics import count

    return {"n": count, **{m: _rate_metric(m) for m in METRICS if m != "auc"},
            "auc": _auc_metric}


def group_metrics(
    label: np.ndarray, flagged: np.ndarray, score: np.ndarray, groups: pd.Series
) -> pd.DataFrame:
    """n and every metric per group (rows indexed by group label, plus "__overall__") via
    fairlearn's MetricFrame."""
    from fairlearn.metrics import MetricFrame

    mf = MetricFrame(
        metrics=metricframe_metrics(), y_true=label.astype(int), y_pred=flagged.astype(int),
        sensitive_features=pd.Series(groups.to_numpy(dtype=object), name="group"),
        sample_params={"auc": {"score": score}},
    )
    by_group = mf.by_group
    by_group.index = by_group.index.astype(object)
    overall = pd.DataFrame([mf.overall], index=pd.Index(["__overall__"], dtype=object))
    out = pd.concat([overall, by_group]).astype(float)
    out["n"] = out["n"].astype(int)
    return out[["n", *METRICS]]
