"""The model families: the scikit-learn estimator contract, the ABC rule by hand, calibration
folds grouped by student, and the guard that keeps protected attributes out of the inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from edupulse.experiment import FAMILIES
from edupulse.features.columns import MODEL_FEATURES
from edupulse.modeling.estimators import (
    ABCBaseline,
    SensitiveAttributeError,
    StudentFolds,
    assert_no_sensitive,
    base_model,
    build_estimator,
    calibrated,
)

ABC = pd.DataFrame({
    #                    flags: A  B  C
    "attendance_rate_ytd": [0.95, 0.85, 0.85, 0.70, np.nan, 0.99],
    "serious_incidents_ytd": [0, 0, 1, 2, 0, 0],
    "failing_courses": [0, 0, 0, 1, 0, 0],
    "gpa_ytd": [3.5, 3.0, 2.5, 1.5, 2.0, np.nan],
})
# row 0: none; 1: A; 2: A+B; 3: A+B+C; 4: C (GPA 2.0 <= 2.0; no attendance -> no A); 5: none


def frame(n: int = 240, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, len(MODEL_FEATURES))), columns=list(MODEL_FEATURES))
    risk = rng.normal(size=n)
    X["attendance_rate_ytd"] = np.clip(0.93 - 0.05 * risk, 0, 1)
    X["gpa_ytd"] = np.clip(3 - risk, 0, 4)
    X["serious_incidents_ytd"] = (risk > 1).astype(float)
    X["failing_courses"] = (risk > 1.5).astype(float)
    y = (rng.random(n) < 1 / (1 + np.exp(-2 * risk))).astype(int)
    students = np.repeat(np.arange(n // 3), 3)  # three as-of dates per student
    return X, y, students


def test_abc_flags_by_hand() -> None:
    est = ABCBaseline().fit(ABC, np.array([0, 0, 1, 1, 0, 0]))
    assert est.flags(ABC).tolist() == [0, 1, 2, 3, 1, 0]
    assert est.predict(ABC).tolist() == [0, 1, 1, 1, 1, 0]


def test_abc_ranks_by_flags_then_attendance_shortfall() -> None:
    est = ABCBaseline().fit(ABC, np.zeros(6))
    score = est.predict_proba(ABC)[:, 1]
    assert np.argsort(-score, kind="stable").tolist() == [3, 2, 1, 4, 0, 5]
    # within one flag: row 1 (attendance 0.85) above row 4 (no attendance data)
    assert score[1] > score[4]
    # a 3-flag student with perfect attendance still outranks any 2-flag student
    perfect = ABC.iloc[[3]].assign(attendance_rate_ytd=0.0, serious_incidents_ytd=1.0,
                                   failing_courses=1.0)
    assert est.predict_proba(perfect)[0, 1] > score[2]
    assert ((score >= 0) & (score < 1)).all()


def test_abc_thresholds_are_parameters() -> None:
    strict = ABCBaseline(attendance_threshold=0.99, gpa_threshold=3.0).fit(ABC, np.zeros(6))
    assert strict.flags(ABC).tolist() == [1, 2, 3, 3, 1, 0]


def test_estimator_contract() -> None:
    est = ABCBaseline(attendance_threshold="not validated in __init__")  # type: ignore[arg-type]
    assert est.get_params() == {"attendance_threshold": "not validated in __init__",
                                "gpa_threshold": 2.0}
    assert not [a for a in vars(ABCBaseline()) if a.endswith("_")]
    with pytest.raises(NotFittedError):
        ABCBaseline().predict_proba(ABC)
    est = ABCBaseline()
    assert est.fit(ABC, np.array([0, 1, 1, 1, 0, 0])) is est
    learned = [a for a in vars(est) if a.endswith("_")]
    assert set(learned) == {"classes_", "n_features_in_", "feature_names_in_", "flag_rates_"}
    assert est.flag_rates_ == {0: 0.0, 1: 0.5, 2: 1.0, 3: 1.0}
    twin = clone(est)
    assert twin.get_params() == est.get_params() and not hasattr(twin, "classes_")


def test_abc_needs_named_columns() -> None:
    with pytest.raises(TypeError, match="needs a DataFrame with named columns"):
        ABCBaseline().fit(ABC.to_numpy(), np.zeros(6))
    with pytest.raises(ValueError, match="needs the feature column.*gpa_ytd"):
        ABCBaseline().fit(ABC.drop(columns="gpa_ytd"), np.zeros(6))


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_fits_and_scores(family: str) -> None:
    X, y, _ = frame()
    est = build_estimator(family, {}, seed=3)
    assert clone(est).get_params().keys() == est.get_params().keys()
    proba = est.fit(X, y).predict_proba(X)
    assert proba.shape == (len(X), 2) and np.allclose(proba.sum(axis=1), 1)


@pytest.mark.parametrize("family", ["logistic_regression", "hist_gradient_boosting",
                                    "random_forest"])
def test_same_seed_same_model(family: str) -> None:
    X, y, _ = frame()
    a = build_estimator(family, {}, seed=11).fit(X, y).predict_proba(X)
    b = build_estimator(family, {}, seed=11).fit(X, y).predict_proba(X)
    assert np.array_equal(a, b)


def test_missing_values_are_handled_by_every_family() -> None:
    X, y, _ = frame()
    X.iloc[::7, 3] = np.nan
    for family in FAMILIES:
        assert not np.isnan(build_estimator(family, {}, 0).fit(X, y).predict_proba(X)).any()


def test_calibration_folds_keep_each_student_on_one_side() -> None:
    _, _, students = frame()
    folds = StudentFolds.grouped(students, 3)
    assert folds.get_n_splits() == 3
    seen = np.zeros(len(students), dtype=int)
    for train, test in folds.split():
        assert not set(students[train]) & set(students[test])
        seen[test] += 1
    assert (seen == 1).all()  # a partition: every row calibrated exactly once


def test_calibrated_abc_keeps_the_rule_ranking() -> None:
    X, y, students = frame()
    raw = ABCBaseline().fit(X, y).predict_proba(X)[:, 1]
    model = calibrated(ABCBaseline(), "sigmoid", 3, students).fit(X, y)
    cal = model.predict_proba(X)[:, 1]
    assert np.array_equal(np.argsort(-raw, kind="stable"), np.argsort(-cal, kind="stable"))
    assert isinstance(base_model(model), ABCBaseline)
    # calibrated probabilities sit near the observed rate, the raw rule scores do not
    assert abs(cal.mean() - y.mean()) < abs(raw.mean() - y.mean())


def test_no_calibration_returns_the_estimator() -> None:
    est = ABCBaseline()
    assert calibrated(est, "none", 3, np.arange(3)) is est


@pytest.mark.parametrize("column", ["gender", "ethnicity", "socioeconomic_status", "SES",
                                    "ethnicity_hispanic", "gender_x_grade", "ses_low",
                                    "socioeconomic_status_low", "race", "frl_eligible"])
def test_protected_attributes_and_derived_columns_are_refused(column: str) -> None:
    with pytest.raises(SensitiveAttributeError, match=f"protected attribute.*{column}"):
        assert_no_sensitive(["gpa_ytd", column])


def test_the_feature_contract_passes_the_guard() -> None:
    assert_no_sensitive(MODEL_FEATURES)  # no false alarm on e.g. "courses"


def test_fitting_with_a_protected_attribute_is_refused() -> None:
    from edupulse.modeling.dataset import assemble

    X, y, students = frame(30)
    feats = X.assign(student_id=[str(s) for s in range(30)], feature_date="2025-01-10",
                     gender="F")
    labels = pd.DataFrame({"student_id": [str(s) for s in range(30)],
                           "as_of_date": "2025-01-10", "label": y})
    with pytest.raises(SensitiveAttributeError, match="gender"):
        assemble(feats, labels, [*MODEL_FEATURES, "gender"])
