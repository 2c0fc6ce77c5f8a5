"""Fit and evaluate one model on one split: the figures, the baseline comparison, determinism."""

from __future__ import annotations

import uuid

import numpy as np
import pytest

from edupulse.experiment import ModelRun
from edupulse.modeling import metrics as m
from edupulse.modeling.dataset import assemble, split_data
from edupulse.modeling.train import compare, evaluate, fit_and_evaluate, with_comparisons
from tests.modeling.frames import config, feature_and_label_frames, splits

CFG = config()
ABC = ModelRun(name="abc", family="abc_baseline", params={})
LR = ModelRun(name="lr", family="logistic_regression", params={"C": 0.5})


@pytest.fixture(scope="module")
def data():  # type: ignore[no-untyped-def]
    feats, labels = feature_and_label_frames(CFG.temporal.all_dates(), n=240)
    ds = assemble(feats, labels, CFG.features.columns())
    return split_data(ds, splits(CFG)[0])


def test_result_holds_every_figure(data) -> None:  # type: ignore[no-untyped-def]
    res = fit_and_evaluate(data, LR, CFG.calibration, CFG.evaluation, CFG.seed)
    metrics = res.metrics()
    for key in ("auc", "auc_lo", "auc_hi", "brier", "brier_uncalibrated", "ece", "log_loss",
                "accuracy", "precision", "recall", "f1_score", "training_samples",
                "validation_samples", "prevalence"):
        assert key in metrics, key
    for k in ("k5", "k10", "k20", "school5", "school10"):
        for stem in ("precision_at_", "recall_at_", "lift_at_", "list_size_"):
            assert f"{stem}{k}" in metrics
        assert metrics[f"precision_at_{k}_lo"] <= metrics[f"precision_at_{k}"] \
            <= metrics[f"precision_at_{k}_hi"]
    assert metrics["training_samples"] == len(data.y_train)
    assert metrics["validation_samples"] == len(data.y_test) == 240
    # the spec's precision/recall are those of the promotion list (10%)
    assert metrics["precision"] == metrics["precision_at_k10"]
    assert metrics["recall"] == metrics["recall_at_k10"]
    assert len(res.test_scores) == len(data.y_test)
    assert res.importance is not None and len(res.importance.names) == data.X_train.shape[1]


def test_figures_match_the_metrics_module(data) -> None:  # type: ignore[no-untyped-def]
    res = fit_and_evaluate(data, LR, CFG.calibration, CFG.evaluation, CFG.seed)
    s, y = res.test_scores, data.y_test
    assert res.evaluation.auc.estimate == m.auc(y, s)
    k = m.k_for_percent(len(y), 10)
    assert res.evaluation.list_at("k10").hits == m.expected_hits(y, s, [k])[0]
    assert res.evaluation.brier == m.brier(y, s)


def test_same_seed_same_numbers(data) -> None:  # type: ignore[no-untyped-def]
    a = fit_and_evaluate(data, LR, CFG.calibration, CFG.evaluation, CFG.seed).metrics()
    b = fit_and_evaluate(data, LR, CFG.calibration, CFG.evaluation, CFG.seed).metrics()
    assert a == b


def test_new_student_uuids_same_numbers(data) -> None:  # type: ignore[no-untyped-def]
    """Every load gives the students new database UUIDs: the same data loaded again must train
    the same model. (The calibration folds were grouped by UUID, and GroupKFold's assignment
    follows the order of the group labels: two demo runs promoted different calibrations.)"""
    feats, labels = feature_and_label_frames(CFG.temporal.all_dates(), n=240)
    fresh = {s: str(uuid.uuid4()) for s in feats["student_id"].unique()}
    feats2 = feats.assign(student_id=feats["student_id"].map(fresh))
    labels2 = labels.assign(student_id=labels["student_id"].map(fresh))
    again = split_data(assemble(feats2, labels2, CFG.features.columns()), splits(CFG)[0])
    a = fit_and_evaluate(data, LR, CFG.calibration, CFG.evaluation, CFG.seed)
    b = fit_and_evaluate(again, LR, CFG.calibration, CFG.evaluation, CFG.seed)
    assert np.array_equal(a.test_scores, b.test_scores)
    assert a.metrics() == b.metrics()


def test_calibration_brings_abc_scores_to_the_observed_rate(data) -> None:  # type: ignore[no-untyped-def]
    res = fit_and_evaluate(data, ABC, CFG.calibration, CFG.evaluation, CFG.seed)
    assert res.evaluation.brier < res.uncalibrated_brier


def test_comparison_is_at_the_same_k(data) -> None:  # type: ignore[no-untyped-def]
    base = fit_and_evaluate(data, ABC, CFG.calibration, CFG.evaluation, CFG.seed)
    lr = fit_and_evaluate(data, LR, CFG.calibration, CFG.evaluation, CFG.seed)
    diff = compare(lr.evaluation, base.evaluation, "baseline")
    for key in ("k5", "k10", "k20", "school5", "school10"):
        assert diff[f"baseline_diff_precision_at_{key}"] == pytest.approx(
            lr.evaluation.list_at(key).precision - base.evaluation.list_at(key).precision)
        assert lr.evaluation.list_at(key).selected == base.evaluation.list_at(key).selected
    assert with_comparisons(lr, diff).metrics()["baseline_diff_auc"] == diff["baseline_diff_auc"]
    assert compare(base.evaluation, base.evaluation, "baseline")[
        "baseline_diff_precision_at_k10"] == 0.0


def test_learning_beats_a_random_score(data) -> None:  # type: ignore[no-untyped-def]
    lr = fit_and_evaluate(data, LR, CFG.calibration, CFG.evaluation, CFG.seed)
    rng = np.random.default_rng(0)
    as_of = data.test_keys["as_of_date"].to_numpy()
    school = data.test_keys["school_code"].to_numpy()
    noise = evaluate(data.y_test, rng.random(len(data.y_test)), as_of, school,
                     CFG.evaluation, 0)
    assert lr.evaluation.auc.estimate > noise.auc.estimate + 0.1
    assert lr.evaluation.list_at("k10").lift > 1.5


def test_a_model_that_cannot_fit_raises(data) -> None:  # type: ignore[no-untyped-def]
    bad = ModelRun(name="bad", family="logistic_regression", params={"C": -1.0})
    with pytest.raises(ValueError, match="C"):
        fit_and_evaluate(data, bad, CFG.calibration, CFG.evaluation, CFG.seed)
