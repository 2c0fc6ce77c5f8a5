"""The explainer: exact linear attributions by hand, and calibrated models on the log-odds scale."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler

from edupulse.scoring.explain import AttributionError, build_explainer

NAMES = ("attendance_rate", "gpa_current", "discipline_incidents")


def _frame(n: int = 600, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({
        "attendance_rate": rng.uniform(0.6, 1.0, n),
        "gpa_current": rng.uniform(0.5, 4.0, n),
        "discipline_incidents": rng.poisson(1.0, n).astype(float),
    })
    logit = -8 * (X["attendance_rate"] - 0.9) - 1.2 * (X["gpa_current"] - 2.5) + 0.5 * (
        X["discipline_incidents"] - 1)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y.to_numpy()


def _logit(p: np.ndarray) -> np.ndarray:
    return np.log(p / (1 - p))


def test_linear_attribution_is_coefficient_times_value_minus_reference_by_hand() -> None:
    # A logistic regression with coefficients set by hand: no fitting noise in the expectation.
    model = LogisticRegression().fit(np.array([[0, 0, 0], [1, 1, 1]]), [0, 1])
    model.coef_ = np.array([[-4.0, -1.5, 0.25]])
    model.intercept_ = np.array([0.5])
    reference = np.array([0.95, 3.0, 0.0])
    student = np.array([[0.70, 2.0, 4.0]])
    phi = build_explainer(model, NAMES, reference).attributions(student)
    # -4 x (0.70 - 0.95) = 1.0; -1.5 x (2.0 - 3.0) = 1.5; 0.25 x (4 - 0) = 1.0
    assert np.allclose(phi, [[1.0, 1.5, 1.0]])


def test_linear_attribution_through_imputer_and_scaler_uses_the_scaled_coefficient() -> None:
    X, y = _frame()
    pipe = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler()),
                     ("model", LogisticRegression())]).set_output(transform="pandas").fit(X, y)
    ref = X.median().to_numpy()
    rows = X.to_numpy()[:5]
    phi = build_explainer(pipe, NAMES, ref).attributions(rows)
    scale, coef = pipe["scale"].scale_, pipe["model"].coef_.ravel()
    assert np.allclose(phi, coef / scale * (rows - ref))
    margin = pipe.decision_function(X.iloc[:5]) - pipe.decision_function(
        pd.DataFrame([ref], columns=list(NAMES)))[0]
    assert np.allclose(phi.sum(axis=1), margin)


@pytest.mark.parametrize("base", ["hgb", "rf", "lr"])
def test_sigmoid_calibrated_weights_sum_to_the_calibrated_log_odds_difference(base: str) -> None:
    X, y = _frame(900)
    est = {
        "hgb": HistGradientBoostingClassifier(max_iter=30, random_state=0),
        "rf": RandomForestClassifier(20, max_depth=5, random_state=0),
        "lr": LogisticRegression(),
    }[base]
    model = CalibratedClassifierCV(est, method="sigmoid", cv=3, ensemble=False).fit(X, y)
    ref = X.median().to_numpy()
    explainer = build_explainer(model, NAMES, ref)
    phi = explainer.attributions(X.to_numpy()[:50])
    p = model.predict_proba(X.iloc[:50])[:, 1]
    p_ref = model.predict_proba(pd.DataFrame([ref], columns=list(NAMES)))[0, 1]
    assert np.allclose(phi.sum(axis=1), _logit(p) - _logit(p_ref), atol=1e-8)
    assert explainer.units == "log-odds"


def test_calibration_ensemble_averages_its_members() -> None:
    X, y = _frame(900)
    model = CalibratedClassifierCV(LogisticRegression(), method="sigmoid", cv=3,
                                   ensemble=True).fit(X, y)
    ref = X.median().to_numpy()
    explainer = build_explainer(model, NAMES, ref)
    assert len(explainer.members) == 3
    phi = explainer.attributions(X.to_numpy()[:20])
    per_member = [
        _logit(m.predict_proba(X.iloc[:20])[:, 1])
        - _logit(m.predict_proba(pd.DataFrame([ref], columns=list(NAMES)))[0, 1])
        for m in model.calibrated_classifiers_
    ]
    assert np.allclose(phi.sum(axis=1), np.mean(per_member, axis=0), atol=1e-8)


def test_preprocessing_that_mixes_columns_is_refused() -> None:
    X, y = _frame()
    steps = [("poly", PolynomialFeatures(2)), ("model", LogisticRegression(max_iter=2000))]
    pipe = Pipeline(steps).fit(X, y)
    with pytest.raises(AttributionError, match="cannot attribute through preprocessing step "
                                               "PolynomialFeatures"):
        build_explainer(pipe, NAMES, X.median().to_numpy())


def test_abc_baseline_is_explained_exactly_by_enumeration() -> None:
    from edupulse.features.columns import MODEL_FEATURES
    from edupulse.modeling.estimators import ABCBaseline
    from tests.scoring.conftest import synthetic_features

    X, y = synthetic_features(400, seed=2)
    model = ABCBaseline().fit(X, y)
    names = tuple(MODEL_FEATURES)
    ref = X.median().to_numpy()
    explainer = build_explainer(model, names, ref)
    phi = explainer.attributions(X.to_numpy()[:30])
    margin = model.decision_function(X.iloc[:30]) - model.decision_function(
        pd.DataFrame([ref], columns=list(names)))[0]
    assert np.allclose(phi.sum(axis=1), margin)
    used = [names.index(c) for c in ("attendance_rate_ytd", "serious_incidents_ytd",
                                     "failing_courses", "gpa_ytd")]
    assert np.all(np.delete(phi, used, axis=1) == 0)  # nothing else is ever credited
