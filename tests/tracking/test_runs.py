"""Logging into a real MLflow store: parent and nested runs, every metric, the model with its
signature and an identifier-free input example, fingerprint, provenance, plots, scores."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import edupulse
from edupulse.config import Settings
from edupulse.experiment import ModelRun
from edupulse.modeling.dataset import assemble, split_data
from edupulse.modeling.train import fit_and_evaluate
from edupulse.tracking import runs
from edupulse.tracking.provenance import Provenance, provenance
from edupulse.tracking.setup import ensure_experiment
from tests.modeling.frames import CONFIG, config, feature_and_label_frames, splits

CFG = config()
LR = ModelRun(name="lr", family="logistic_regression", params={"C": 0.5})
PROV = Provenance("0123abc", False, edupulse.__version__)


@pytest.fixture(scope="module")
def fitted():  # type: ignore[no-untyped-def]
    feats, labels = feature_and_label_frames(CFG.temporal.all_dates(), n=120)
    data = split_data(assemble(feats, labels, CFG.features.columns()), splits(CFG)[0])
    return data, fit_and_evaluate(data, LR, CFG.calibration, CFG.evaluation, CFG.seed)


def _log(settings: Settings, fitted, extra=None):  # type: ignore[no-untyped-def]
    data, result = fitted
    exp = ensure_experiment(settings, CFG.name)
    with runs.parent_run(exp, CFG, CONFIG, "frames.yaml", PROV) as parent:
        child = runs.log_model_run(parent, CFG, data, result, PROV, extra or {}, None)
    return parent, child


def test_parent_and_nested_run(mlflow_settings: Settings, fitted) -> None:  # type: ignore[no-untyped-def]
    import mlflow

    parent, child_id = _log(mlflow_settings, fitted)
    client = mlflow.MlflowClient()
    p = client.get_run(parent.run_id)
    assert p.data.tags[runs.KIND] == "experiment"
    assert p.data.tags["edupulse.version"] == edupulse.__version__
    assert p.data.tags["edupulse.git_commit"] == "0123abc"
    assert mlflow.artifacts.load_text(f"runs:/{parent.run_id}/config/frames.yaml") == CONFIG
    assert p.data.params["label.horizon_days"] == "84" and p.data.params["seed"] == "5"
    c = client.get_run(child_id)
    assert c.data.tags["mlflow.parentRunId"] == parent.run_id
    assert c.data.tags[runs.MODEL] == "lr" and c.data.tags[runs.SPLIT] == "test-2025-01-10"
    assert c.data.tags[runs.STATUS] == "ok" and c.info.status == "FINISHED"
    assert c.data.params["family"] == "logistic_regression" and c.data.params["hp.C"] == "0.5"


def test_every_metric_and_the_fingerprint_are_logged(mlflow_settings: Settings, fitted) -> None:  # type: ignore[no-untyped-def]
    import mlflow

    data, result = fitted
    _, child_id = _log(mlflow_settings, fitted, {"oracle_auc": 0.91})
    c = mlflow.MlflowClient().get_run(child_id)
    expected = {k: v for k, v in result.metrics().items() if not np.isnan(v)}
    assert {k: c.data.metrics[k] for k in expected} == expected  # exact, not approximate
    assert c.data.metrics["oracle_auc"] == 0.91
    assert c.data.tags[runs.FINGERPRINT] == data.fingerprint.combined
    assert c.data.tags[runs.TRAIN_FP] == data.fingerprint.train


def test_model_signature_input_example_and_scores(mlflow_settings: Settings, fitted) -> None:  # type: ignore[no-untyped-def]
    import mlflow
    from mlflow.models import Model

    data, result = fitted
    _, child_id = _log(mlflow_settings, fitted)
    uri = f"runs:/{child_id}/model"
    loaded = mlflow.sklearn.load_model(uri)
    assert np.array_equal(loaded.predict_proba(data.X_test)[:, 1], result.test_scores)
    local = mlflow.artifacts.download_artifacts(uri)
    info = Model.load(local)
    assert info.signature.inputs.input_names() == list(data.X_train.columns)
    example = info.load_input_example(local)
    assert list(example.columns) == list(data.X_train.columns)  # features only, no ids
    assert not {"student_id", "district_id", "school_code"} & set(example.columns)
    # quantiles of the training matrix, not any student's own row
    assert np.allclose(example["gpa_ytd"], data.X_train["gpa_ytd"].quantile(
        [0.1, 0.25, 0.5, 0.75, 0.9]))


def test_plots_tables_and_test_scores(mlflow_settings: Settings, fitted) -> None:  # type: ignore[no-untyped-def]
    import mlflow

    data, result = fitted
    _, child_id = _log(mlflow_settings, fitted)
    names = {a.path for a in mlflow.MlflowClient().list_artifacts(child_id, "plots")}
    assert names == {"plots/precision_recall_at_k.png", "plots/calibration.png",
                     "plots/feature_importance.png"}
    scores = pd.read_csv(io.StringIO(mlflow.artifacts.load_text(
        f"runs:/{child_id}/{runs.SCORES_ARTIFACT}")))
    assert list(scores.columns) == ["student_id", "as_of_date", "score", "label"]
    assert np.allclose(scores["score"], result.test_scores)
    lists = pd.read_csv(io.StringIO(mlflow.artifacts.load_text(
        f"runs:/{child_id}/evaluation/lists.csv")))
    assert set(lists["k"]) == {"k5", "k10", "k20", "school5", "school10"}


def test_no_sis_ids_in_any_artifact(mlflow_settings: Settings, fitted) -> None:  # type: ignore[no-untyped-def]
    data, _ = fitted
    _log(mlflow_settings, fitted)
    sis = set(data.test_keys["district_id"]) | set(data.train_keys["district_id"])
    root = mlflow_settings.home / "mlartifacts"
    files = [p for p in root.rglob("*") if p.is_file()]
    assert files
    for path in files:
        text = path.read_bytes().decode("utf-8", errors="ignore")
        assert not any(s in text for s in sis), path


def test_failed_run_is_logged_with_its_error(mlflow_settings: Settings, fitted) -> None:  # type: ignore[no-untyped-def]
    import mlflow

    data, _ = fitted
    exp = ensure_experiment(mlflow_settings, CFG.name)
    with runs.parent_run(exp, CFG, CONFIG, "frames.yaml", PROV) as parent:
        run_id = runs.log_failed_run(parent, CFG, data, data.name, LR, "ValueError: boom", PROV)
    c = mlflow.MlflowClient().get_run(run_id)
    assert c.info.status == "FAILED" and c.data.tags[runs.STATUS] == "failed"
    assert c.data.tags[runs.ERROR] == "ValueError: boom"


def test_provenance_reads_this_checkout() -> None:
    prov = provenance()
    here = Path(__file__).resolve().parents[2]
    if (here / ".git").exists():
        assert len(prov.git_commit) == 40
    assert prov.tags()["mlflow.source.git.commit"] == prov.git_commit
