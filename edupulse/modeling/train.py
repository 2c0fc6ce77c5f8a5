"""Fit one model on one temporal split and judge it on the split's test dates -> TrainResult.

No MLflow, no database: edupulse.tracking logs what this returns. Every random choice (the
estimator, the calibration folds, the bootstrap, the permutation importance) comes from the
experiment's seed, so the same data and config give the same numbers to the last digit.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from edupulse.experiment import CalibrationSpec, EvaluationSpec, ModelRun
from edupulse.modeling import metrics as m
from edupulse.modeling.dataset import SplitData
from edupulse.modeling.estimators import (
    assert_no_sensitive,
    base_model,
    build_estimator,
    calibrated,
)


@dataclass(frozen=True)
class Evaluation:
    """Every figure of one set of scores on one split's test rows."""

    n: int
    positives: int
    auc: m.Interval
    lists: tuple[m.ListMetric, ...]
    precision_ci: dict[str, m.Interval]
    brier: float
    log_loss: float
    calibration: m.CalibrationTable
    classification: m.Classification
    promotion_key: str

    def list_at(self, key: str) -> m.ListMetric:
        return next(x for x in self.lists if x.key == key)

    def as_metrics(self, prefix: str = "") -> dict[str, float]:
        """Flat name -> value, the names MLflow shows (e.g. precision_at_k10, auc_lo)."""
        out = {"auc": self.auc.estimate, "auc_lo": self.auc.low, "auc_hi": self.auc.high,
               "brier": self.brier, "log_loss": self.log_loss, "ece": self.calibration.ece,
               "prevalence": self.positives / self.n if self.n else float("nan"),
               "accuracy": self.classification.accuracy,
               "precision": self.classification.precision,
               "recall": self.classification.recall, "f1_score": self.classification.f1_score}
        for lst in self.lists:
            ci = self.precision_ci.get(lst.key)
            out[f"precision_at_{lst.key}"] = lst.precision
            out[f"recall_at_{lst.key}"] = lst.recall
            out[f"lift_at_{lst.key}"] = lst.lift
            out[f"list_size_{lst.key}"] = float(lst.selected)
            if ci is not None:
                out[f"precision_at_{lst.key}_lo"] = ci.low
                out[f"precision_at_{lst.key}_hi"] = ci.high
        return {f"{prefix}{k}": float(v) for k, v in out.items()}


@dataclass(frozen=True)
class FeatureImportance:
    """Permutation importance on the test rows: the drop in AUC when a column is shuffled."""

    names: tuple[str, ...]
    mean: tuple[float, ...]
    std: tuple[float, ...]


@dataclass(frozen=True)
class TrainResult:
    """A fitted model and its evaluation on one split."""

    model: ModelRun
    split: str
    estimator: Any
    test_scores: np.ndarray
    evaluation: Evaluation
    uncalibrated_brier: float
    importance: FeatureImportance | None
    fit_seconds: float
    training_samples: int
    validation_samples: int
    comparisons: dict[str, float] = field(default_factory=dict)

    def metrics(self) -> dict[str, float]:
        """Every figure that depends only on data, config and seed (fit time is not one)."""
        out = self.evaluation.as_metrics()
        out["brier_uncalibrated"] = self.uncalibrated_brier
        out["training_samples"] = float(self.training_samples)
        out["validation_samples"] = float(self.validation_samples)
        out.update(self.comparisons)
        return out


def evaluate(
    y: np.ndarray, scores: np.ndarray, as_of: np.ndarray, school: np.ndarray,
    spec: EvaluationSpec, seed: int,
) -> Evaluation:
    """All figures of `scores` against `y` at the experiment's list sizes."""
    boot = m.bootstrap(y, scores, as_of, school, spec.k_percent, spec.k_per_school,
                       n_boot=spec.bootstrap, level=spec.ci_level, seed=seed)
    lists = tuple(m.list_metrics(y, scores, as_of, school, spec.k_percent, spec.k_per_school))
    promotion_key = m.percent_key(spec.promotion_k)
    promo = next(x for x in lists if x.key == promotion_key)
    return Evaluation(
        n=len(y), positives=int(np.sum(y)), auc=boot.auc, lists=lists,
        precision_ci=boot.precision, brier=m.brier(y, scores), log_loss=m.log_loss(y, scores),
        calibration=m.calibration_table(y, scores, spec.calibration_bins),
        classification=m.classification_at(promo), promotion_key=promotion_key,
    )


def fit_and_evaluate(
    data: SplitData, run: ModelRun, calibration: CalibrationSpec, evaluation: EvaluationSpec,
    seed: int,
) -> TrainResult:
    """Fit `run` on the split's training rows (calibrated on training rows only) and evaluate
    it on the test rows."""
    assert_no_sensitive(list(data.X_train.columns))
    estimator = build_estimator(run.family, run.params, seed)
    # Folds grouped by the district's student id, not the database UUID: UUIDs are new at every
    # load, and GroupKFold assigns groups in the order of their labels, so the same data
    # loaded twice got different calibration folds (and different promoted scores).
    model = calibrated(estimator, calibration.method, calibration.folds,
                       groups=data.train_keys["district_id"].to_numpy())
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*does not have valid feature names.*")
        model.fit(data.X_train, data.y_train)
    fit_seconds = time.perf_counter() - start
    scores = model.predict_proba(data.X_test)[:, 1]
    raw = base_model(model).predict_proba(data.X_test)[:, 1]
    as_of = data.test_keys["as_of_date"].to_numpy()
    school = data.test_keys["school_code"].astype(str).to_numpy()
    result = evaluate(data.y_test, scores, as_of, school, evaluation, seed)
    importance = permutation_importance(model, data, evaluation.importance_repeats, seed)
    return TrainResult(
        model=run, split=data.name, estimator=model, test_scores=scores, evaluation=result,
        uncalibrated_brier=m.brier(data.y_test, np.clip(raw, 0.0, 1.0)), importance=importance,
        fit_seconds=fit_seconds, training_samples=len(data.y_train),
        validation_samples=len(data.y_test),
    )


def permutation_importance(
    model: Any, data: SplitData, repeats: int, seed: int, max_rows: int = 5000
) -> FeatureImportance | None:
    """Model-agnostic importances (the same method for every family, so they compare)."""
    from sklearn.inspection import permutation_importance as sk_permutation_importance

    if repeats == 0:
        return None
    res = sk_permutation_importance(
        model, data.X_test, data.y_test, scoring="roc_auc", n_repeats=repeats,
        random_state=seed, max_samples=min(max_rows, len(data.y_test)),
    )
    return FeatureImportance(tuple(data.X_test.columns), tuple(res.importances_mean.tolist()),
                             tuple(res.importances_std.tolist()))


def compare(result: Evaluation, reference: Evaluation, prefix: str) -> dict[str, float]:
    """`prefix`_diff_<metric> = this model's figure - the reference's, at the same k."""
    out = {f"{prefix}_diff_auc": result.auc.estimate - reference.auc.estimate}
    for lst in result.lists:
        ref = reference.list_at(lst.key)
        out[f"{prefix}_diff_precision_at_{lst.key}"] = lst.precision - ref.precision
        out[f"{prefix}_diff_recall_at_{lst.key}"] = lst.recall - ref.recall
    return {k: float(v) for k, v in out.items()}


def with_comparisons(result: TrainResult, comparisons: dict[str, float]) -> TrainResult:
    from dataclasses import replace

    return replace(result, comparisons={**result.comparisons, **comparisons})
