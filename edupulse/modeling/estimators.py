"""The model families of an experiment, as scikit-learn estimators, and their calibration.

The ABC rule is an estimator too, so the baseline goes through exactly the same fit, calibration,
scoring and metrics as every model it is compared with. Protected attributes are refused here,
at the last door before any estimator sees a column.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

SENSITIVE_ATTRIBUTES: Final = ("gender", "ethnicity", "socioeconomic_status")
# A column is refused when any token of its name is one of these: the attributes themselves,
# their common abbreviations and one-hot or derived names (e.g. "ethnicity_hispanic", "ses_low",
# "gender_x_grade", "frl_eligible").
_SENSITIVE_TOKENS = re.compile(
    r"(?:^|[_\W])(gender|sex|ethnicity|ethnic|race|socioeconomic|ses|frl|lunch|income)(?:[_\W]|$)",
    re.IGNORECASE,
)
ABC_COLUMNS: Final = (
    "attendance_rate_ytd", "serious_incidents_ytd", "failing_courses", "gpa_ytd",
)


class SensitiveAttributeError(ValueError):
    """A protected attribute (or a column derived from one) reached the model inputs."""


def assert_no_sensitive(columns: Sequence[str]) -> None:
    """Raise SensitiveAttributeError if any column is, or is derived from, a protected attribute.

    Protected attributes are for auditing only (edupulse.fairness); a model that sees them can
    encode the very disparities the audit is meant to find.
    """
    bad = [c for c in columns if _SENSITIVE_TOKENS.search(str(c))]
    if bad:
        raise SensitiveAttributeError(
            f"protected attribute(s) in the model inputs: {', '.join(map(str, bad))}; "
            f"{', '.join(SENSITIVE_ATTRIBUTES)} and columns derived from them are never inputs"
        )


class ABCBaseline(ClassifierMixin, BaseEstimator):
    """The ABC early-warning rule (Balfanz et al. 2007) as an estimator.

    Flags: attendance < attendance_threshold, one or more serious incidents (severity >= 3), a
    failing course or GPA <= gpa_threshold. Students are ranked by the number of flags; within
    the same number, by attendance shortfall (1 - attendance rate), so the ranking is fully
    determined by the data. The score is (flags + shortfall) / 4, in [0, 1). Missing values
    raise no flag.
    """

    def __init__(self, attendance_threshold: float = 0.90, gpa_threshold: float = 2.0) -> None:
        self.attendance_threshold = attendance_threshold
        self.gpa_threshold = gpa_threshold

    def fit(self, X: pd.DataFrame, y: Any) -> ABCBaseline:
        frame = _as_frame(X, ABC_COLUMNS)
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        self.n_features_in_ = frame.shape[1]
        self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        flags = self.flags(frame)
        # The observed rate of the outcome per number of flags, for the model card.
        self.flag_rates_ = {
            int(n): float(y[flags == n].mean()) for n in np.unique(flags) if (flags == n).any()
        }
        return self

    def flags(self, X: pd.DataFrame) -> np.ndarray:
        """Number of ABC flags (0-3) per row."""
        frame = _as_frame(X, ABC_COLUMNS)
        att = frame["attendance_rate_ytd"].to_numpy(dtype=float)
        serious = frame["serious_incidents_ytd"].to_numpy(dtype=float)
        failing = frame["failing_courses"].to_numpy(dtype=float)
        gpa = frame["gpa_ytd"].to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            a = att < self.attendance_threshold
            b = serious >= 1
            c = (failing >= 1) | (gpa <= self.gpa_threshold)
        return a.astype(int) + b.astype(int) + c.astype(int)

    def decision_function(self, X: pd.DataFrame) -> np.ndarray:
        check_is_fitted(self, "classes_")
        frame = _as_frame(X, ABC_COLUMNS)
        shortfall = np.nan_to_num(1.0 - frame["attendance_rate_ytd"].to_numpy(dtype=float))
        # 0.999 keeps a 3-flag student with perfect attendance above any 2-flag student.
        return self.flags(frame) + 0.999 * np.clip(shortfall, 0.0, 1.0)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        p = self.decision_function(X) / 4.0
        return np.column_stack([1.0 - p, p])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        check_is_fitted(self, "classes_")
        return (self.flags(X) >= 1).astype(int)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


def _as_frame(X: Any, required: Sequence[str]) -> pd.DataFrame:
    if not isinstance(X, pd.DataFrame):
        raise TypeError(
            "ABCBaseline needs a DataFrame with named columns "
            f"({', '.join(required)}), got {type(X).__name__}"
        )
    missing = [c for c in required if c not in X.columns]
    if missing:
        raise ValueError(f"ABCBaseline needs the feature column(s) {', '.join(missing)}")
    return X


def build_estimator(family: str, params: Mapping[str, Any], seed: int) -> BaseEstimator:
    """A fresh, unfitted estimator of `family`; all randomness comes from `seed`."""
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    params = dict(params)
    if family == "abc_baseline":
        return ABCBaseline(**params)
    if family == "logistic_regression":
        params.setdefault("max_iter", 2000)
        if params.get("l1_ratio"):
            params["solver"] = "saga"
        model = LogisticRegression(random_state=seed, **params)
        steps = [("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
                 ("scale", StandardScaler()), ("model", model)]
        return Pipeline(steps)
    if family == "hist_gradient_boosting":
        params.setdefault("early_stopping", False)
        return HistGradientBoostingClassifier(random_state=seed, **params)
    if family == "random_forest":
        params.setdefault("n_estimators", 200)
        params.setdefault("min_samples_leaf", 5)
        params.setdefault("n_jobs", 1)
        return RandomForestClassifier(random_state=seed, **params)
    raise ValueError(f"unknown model family {family!r}")


class StudentFolds:
    """Cross-validation folds grouped by student, kept as one small fold number per row.

    GroupKFold decides the assignment; storing it as int8 keeps the fitted calibration wrapper
    (whose `cv` parameter this is) small enough to log with every model.
    """

    def __init__(self, fold_of_row: np.ndarray) -> None:
        self.fold_of_row = fold_of_row

    @classmethod
    def grouped(cls, groups: np.ndarray, n_splits: int) -> StudentFolds:
        from sklearn.model_selection import GroupKFold

        groups = np.asarray(groups)
        fold = np.zeros(len(groups), dtype=np.int8)
        n = min(n_splits, len(np.unique(groups)))
        for i, (_, test) in enumerate(GroupKFold(n_splits=n).split(groups, groups=groups)):
            fold[test] = i
        return cls(fold)

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        return int(self.fold_of_row.max()) + 1 if len(self.fold_of_row) else 0

    def split(self, X: Any = None, y: Any = None, groups: Any = None) -> Any:
        for f in range(self.get_n_splits()):
            yield np.flatnonzero(self.fold_of_row != f), np.flatnonzero(self.fold_of_row == f)


def calibrated(
    estimator: BaseEstimator, method: str, folds: int, groups: np.ndarray
) -> BaseEstimator:
    """`estimator` wrapped in CalibratedClassifierCV, fitted on training rows only.

    The folds are grouped by student (GroupKFold): the same student's rows from different
    as-of dates never sit on both sides, so the calibration map is learned on predictions for
    students the fold's model did not see. ensemble=False: the final model is fitted on all
    training rows and the calibrator on the out-of-fold predictions.
    """
    from sklearn.calibration import CalibratedClassifierCV

    if method == "none":
        return estimator
    cv = StudentFolds.grouped(groups, folds)
    return CalibratedClassifierCV(estimator, method=method, cv=cv, ensemble=False)


def base_model(fitted: BaseEstimator) -> BaseEstimator:
    """The fitted model inside a calibration wrapper (for importances and flags)."""
    inner = getattr(fitted, "calibrated_classifiers_", None)
    return inner[0].estimator if inner else fitted
