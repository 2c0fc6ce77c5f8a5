"""Mitigation side by side: what fairlearn's ThresholdOptimizer (post-processing) and
ExponentiatedGradient (a reductions method) would gain in parity and cost in accuracy.

Both are fitted on TRAINING data the caller passes and evaluated on the audited (test) list; the
table is for a researcher to weigh, and nothing here changes a list. Sensitive attributes are
passed apart from the model inputs, as fairlearn expects; note that ThresholdOptimizer needs the
group at decision time (group-specific thresholds), ExponentiatedGradient only while training.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin

from edupulse.fairness.disparity import choose_reference, ratio
from edupulse.fairness.groups import normalise, ordered
from edupulse.fairness.metrics import flag, group_metrics
from edupulse.fairness.settings import DEFAULT_ATTRIBUTES, AuditSettings

CONSTRAINTS = {  # ThresholdOptimizer name -> fairlearn.reductions moment
    "true_positive_rate_parity": "TruePositiveRateParity",
    "demographic_parity": "DemographicParity",
    "equalized_odds": "EqualizedOdds",
}
COLUMNS = ("method", "uses_group_at_decision", "selection_rate", "accuracy",
           "balanced_accuracy", "precision", "recall", "recall_gap", "worst_recall_ratio",
           "worst_fnr_ratio", "worst_false_omission_rate_ratio", "groups_outside_band")

ERR_SENSITIVE_IN_X = ("model inputs contain {columns}: sensitive attributes are passed apart "
                      "(MitigationData.sensitive), never as inputs")
ERR_CONSTRAINT = "unknown constraint {name!r}; choose from {names}"


@dataclass(frozen=True)
class MitigationData:
    """Model inputs, the realised outcome (0/1) and the sensitive attribute, kept apart."""

    X: pd.DataFrame
    y: np.ndarray
    sensitive: pd.Series

    def __post_init__(self) -> None:
        clash = [c for c in self.X.columns
                 if c in DEFAULT_ATTRIBUTES or c == self.sensitive.name]
        if clash:
            raise ValueError(ERR_SENSITIVE_IN_X.format(columns=clash))


@dataclass(frozen=True, eq=False)
class MitigationTable:
    attribute: str
    constraint: str
    frame: pd.DataFrame


class ScoreAsModel(ClassifierMixin, BaseEstimator):
    """A fixed score (the first input column) as a prefit classifier, so a vendor's list can be
    post-processed without its model. Follows the estimator contract: fit only learns classes_."""

    def fit(self, X: Any, y: Any = None) -> ScoreAsModel:
        self.classes_ = np.array([0, 1])
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        return np.asarray(X, dtype=float)[:, 0]

    def predict(self, X: Any) -> np.ndarray:
        return (self.decision_function(X) >= 0.5).astype(int)


def _scores(estimator: Any, X: pd.DataFrame) -> np.ndarray:
    if hasattr(estimator, "predict_proba"):
        return np.asarray(estimator.predict_proba(X))[:, 1]
    return np.asarray(estimator.decision_function(X), dtype=float)


def _row(method: str, uses_group: bool, y: np.ndarray, flagged: np.ndarray, score: np.ndarray,
         groups: pd.Series, settings: AuditSettings) -> dict[str, Any]:
    point = group_metrics(y, flagged, score, groups)
    overall = point.loc["__overall__"]
    point = point.drop(index="__overall__").loc[ordered(groups)]
    published = [g for g in point.index if point.at[g, "n"] >= settings.min_cell]
    tp, tn = int((y & flagged).sum()), int((~y.astype(bool) & ~flagged).sum())
    row: dict[str, Any] = dict(
        method=method, uses_group_at_decision=uses_group,
        selection_rate=float(overall["selection_rate"]), accuracy=(tp + tn) / len(y),
        balanced_accuracy=float(np.nanmean([overall["recall"], 1 - overall["fpr"]])),
        precision=float(overall["precision"]), recall=float(overall["recall"]),
    )
    recalls = point.loc[published, "recall"].dropna()
    # What the recall-parity constraints bound: the largest difference between groups.
    row["recall_gap"] = float(recalls.max() - recalls.min()) if len(recalls) else math.nan
    outside = set()
    for metric in ("recall", "fnr", "false_omission_rate"):
        ref, _ = choose_reference("mitigation", metric, point, published, settings)
        ratios = {g: float(ratio(point.at[g, metric], point.at[ref, metric]))
                  for g in published if ref is not None and g != ref}
        finite = {g: r for g, r in ratios.items() if math.isfinite(r) and r > 0}
        worst = max(finite.items(), key=lambda kv: abs(math.log(kv[1])), default=(None, math.nan))
        row[f"worst_{metric}_ratio"] = worst[1]
        low, high = settings.band
        outside |= {g for g, r in finite.items() if not low <= r <= high}
    row["groups_outside_band"] = len(outside)
    return row


def compare_mitigations(
    estimator: Any,
    train: MitigationData,
    test: MitigationData,
    settings: AuditSettings,
    *,
    prefit: bool = False,
    reductions_estimator: Any = None,
    constraint: str = "true_positive_rate_parity",
    seed: int = 0,
) -> MitigationTable:
    """Before/after table on `test`: the model at the audit's list size, then each mitigation.

    `estimator` scores the list (fitted on train.X unless `prefit`); ExponentiatedGradient refits
    `reductions_estimator` (default: a fresh copy of `estimator`) with reweighting.
    """
    from fairlearn import reductions
    from fairlearn.postprocessing import ThresholdOptimizer
    from sklearn.base import clone

    if constraint not in CONSTRAINTS:
        raise ValueError(ERR_CONSTRAINT.format(name=constraint, names=list(CONSTRAINTS)))
    name = str(train.sensitive.name or "group")
    s_train, s_test = normalise(train.sensitive), normalise(test.sensitive)
    y_train, y_test = np.asarray(train.y, dtype=int), np.asarray(test.y, dtype=int)
    model = estimator if prefit else clone(estimator).fit(train.X, y_train)
    score = _scores(model, test.X)
    ids = np.arange(len(score))
    rows = [_row(f"as audited ({settings.list_rule})", False, y_test,
                 flag(score, ids, settings).flagged, score, s_test, settings)]

    post = ThresholdOptimizer(estimator=model, prefit=True, constraints=constraint,
                              objective="balanced_accuracy_score", predict_method="auto")
    post.fit(train.X, y_train, sensitive_features=s_train)
    flagged = np.asarray(post.predict(test.X, sensitive_features=s_test, random_state=seed),
                         dtype=bool)
    rows.append(_row(f"ThresholdOptimizer ({constraint})", True, y_test, flagged, score, s_test,
                     settings))

    moment = getattr(reductions, CONSTRAINTS[constraint])()
    learner = clone(reductions_estimator if reductions_estimator is not None else estimator)
    expgrad = reductions.ExponentiatedGradient(learner, constraints=moment, eps=0.01)
    with warnings.catch_warnings():  # fairlearn 0.15 internals vs pandas 3; harmless here
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        expgrad.fit(train.X, y_train, sensitive_features=s_train)
    flagged = np.asarray(expgrad.predict(test.X, random_state=seed), dtype=bool)
    rows.append(_row(f"ExponentiatedGradient ({constraint})", False, y_test, flagged, score,
                     s_test, settings))
    return MitigationTable(name, constraint, pd.DataFrame(rows, columns=list(COLUMNS)))
