"""Log an experiment to MLflow: one parent run, one nested run per model x split.

The parent holds the config file exactly as written, the data summary and the provenance; each
nested run holds its params, every metric (with the ABC-baseline differences and the oracle
figures), the fitted model with a signature and an input example, the data fingerprint, the
plots, and test_scores.csv for the fairness audit. No student names or contacts are logged: the
input example is made of per-column quantiles of the training matrix, not of any student's row.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from edupulse.experiment import ExperimentConfig, ModelRun
from edupulse.modeling.dataset import SplitData
from edupulse.modeling.train import Evaluation, TrainResult
from edupulse.privacy.pii_index import PiiIndex
from edupulse.tracking.provenance import Provenance

MODEL_ARTIFACT = "model"
CONFIG_ARTIFACT_DIR = "config"
HYPERPARAMETERS_ARTIFACT = "hyperparameters.json"  # typed, for model_metadata
SCORES_ARTIFACT = "test_scores.csv"  # student_id, as_of_date, score, label (fairness audit)
KIND, EXPERIMENT, SPLIT, MODEL, FAMILY = (
    "edupulse.kind", "edupulse.experiment", "edupulse.split", "edupulse.model", "edupulse.family"
)
FINGERPRINT, CONFIG_SHA, CONFIG_FILE = (
    "edupulse.data_fingerprint", "edupulse.config_sha256", "edupulse.config_file"
)
TRAIN_FP, TEST_FP, STATUS, ERROR = (
    "edupulse.train_fingerprint", "edupulse.test_fingerprint", "edupulse.status", "edupulse.error"
)
PROMOTION_K, FIT_SECONDS = "edupulse.promotion_k", "edupulse.fit_seconds"
ORACLE_FP = "edupulse.oracle_fingerprint"  # hash of the true probabilities of the test rows
MODEL_URI = "edupulse.model_uri"  # models:/<logged model id>, what the registry registers


@contextmanager
def quiet_downloads() -> Iterator[None]:
    """No MLflow download progress bar for the few small files EduPulse reads back."""
    key = "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"
    saved = os.environ.get(key)
    os.environ[key] = "false"
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = saved


@dataclass(frozen=True)
class ParentRun:
    run_id: str
    experiment_id: str


def config_sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@contextmanager
def parent_run(
    experiment_id: str, config: ExperimentConfig, config_text: str, config_name: str,
    prov: Provenance,
) -> Iterator[ParentRun]:
    """The experiment's run; nested runs are opened inside it."""
    import mlflow

    tags = {KIND: "experiment", EXPERIMENT: config.name, CONFIG_SHA: config_sha(config_text),
            CONFIG_FILE: config_name, PROMOTION_K: f"k{config.evaluation.promotion_k:g}",
            **prov.tags()}
    with mlflow.start_run(experiment_id=experiment_id, run_name=config.name, tags=tags,
                          description=config.description or None) as run:
        mlflow.log_text(config_text, f"{CONFIG_ARTIFACT_DIR}/{config_name}")
        mlflow.log_params(_flatten(config.model_dump(mode="json", exclude={"models"})))
        mlflow.log_param("models", ", ".join(r.name for r in config.model_runs()))
        yield ParentRun(run.info.run_id, experiment_id)


def log_dataset_summary(summary: Mapping[str, Any], pii: PiiIndex | None = None) -> None:
    """Rows, prevalence and label exclusions per as-of date, on the active (parent) run."""
    log_texts({"data_summary.json": json.dumps(dict(summary), indent=2, default=str)}, pii)


def log_model_run(
    parent: ParentRun, config: ExperimentConfig, data: SplitData, result: TrainResult,
    prov: Provenance, extra_metrics: Mapping[str, float], baseline_scores: np.ndarray | None,
    oracle_fingerprint: str | None = None, pii: PiiIndex | None = None,
) -> str:
    """One nested run for a fitted model on one split; returns its run id. With `pii` (the
    students' index) every text artifact is scanned before it is logged."""
    import mlflow

    from edupulse.tracking import plots

    tags = _child_tags(config, data, result.model, prov) | {
        STATUS: "ok", FIT_SECONDS: f"{result.fit_seconds:.3f}"}
    if oracle_fingerprint:
        tags[ORACLE_FP] = oracle_fingerprint
    with mlflow.start_run(experiment_id=parent.experiment_id, nested=True,
                          parent_run_id=parent.run_id, run_name=f"{result.model.name} | "
                          f"{data.name}", tags=tags) as run:
        mlflow.log_params(_model_params(config, data, result.model, result.estimator))
        metrics = {**result.metrics(), **extra_metrics}
        mlflow.log_metrics({k: v for k, v in metrics.items() if _finite(v)})
        info = _log_model(result.estimator, data.X_train, prov)
        mlflow.set_tag(MODEL_URI, info.model_uri)
        title = f"{result.model.name}, {data.name}"
        ev = result.evaluation
        marks = [float(x.key[1:]) for x in ev.lists if x.key.startswith("k")]
        as_of = data.test_keys["as_of_date"].to_numpy()
        mlflow.log_figure(plots.precision_recall_at_k(data.y_test, result.test_scores, as_of,
                                                      title, baseline_scores, marks),
                          "plots/precision_recall_at_k.png")
        mlflow.log_figure(plots.calibration(ev.calibration, title), "plots/calibration.png")
        texts = {
            HYPERPARAMETERS_ARTIFACT: json.dumps(
                hyperparameters(config, result.model, result.estimator), indent=2),
            "evaluation/lists.csv": lists_table(ev).to_csv(index=False),
            "evaluation/calibration.json": json.dumps(_calibration_dict(ev), indent=2),
            SCORES_ARTIFACT: scores_csv(data, result.test_scores),
        }
        if result.importance is not None:
            mlflow.log_figure(plots.feature_importance(result.importance, title),
                              "plots/feature_importance.png")
            texts["evaluation/feature_importance.csv"] = _importance_csv(result)
        log_texts(texts, pii)
        return run.info.run_id


def log_texts(texts: Mapping[str, str], pii: PiiIndex | None) -> None:
    """Text artifacts pass the privacy scan (against the database's students) before they
    reach the MLflow store: a file that names a student is never logged."""
    import mlflow

    from edupulse.privacy.guard import ensure_clean

    with tempfile.TemporaryDirectory(prefix="edupulse-artifacts-") as tmp:
        root = Path(tmp)
        for name, text in texts.items():
            target = root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        if pii is not None:
            ensure_clean([root], pii, what="logged to MLflow")
        mlflow.log_artifacts(tmp)


def log_failed_run(
    parent: ParentRun, config: ExperimentConfig, data: SplitData | None, split_name: str,
    model: ModelRun, error: str, prov: Provenance,
) -> str:
    """A FAILED nested run that says why, so the grid's gaps are visible in the UI."""
    import mlflow

    tags = {KIND: "model", EXPERIMENT: config.name, SPLIT: split_name, MODEL: model.name,
            FAMILY: model.family, STATUS: "failed", ERROR: error[:4000], **prov.tags()}
    if data is not None:
        tags |= {FINGERPRINT: data.fingerprint.combined}
    with mlflow.start_run(experiment_id=parent.experiment_id, nested=True,
                          parent_run_id=parent.run_id, run_name=f"{model.name} | {split_name}",
                          tags=tags) as run:
        mlflow.log_text(error, "error.txt")
        run_id = run.info.run_id
    mlflow.MlflowClient().set_terminated(run_id, status="FAILED")
    return run_id


def _child_tags(
    config: ExperimentConfig, data: SplitData, model: ModelRun, prov: Provenance
) -> dict[str, str]:
    return {KIND: "model", EXPERIMENT: config.name, SPLIT: data.name, MODEL: model.name,
            FAMILY: model.family, FINGERPRINT: data.fingerprint.combined,
            TRAIN_FP: data.fingerprint.train, TEST_FP: data.fingerprint.test,
            PROMOTION_K: f"k{config.evaluation.promotion_k:g}", **prov.tags()}


def _model_params(
    config: ExperimentConfig, data: SplitData, model: ModelRun, estimator: Any
) -> dict[str, Any]:
    from edupulse.modeling.estimators import base_model

    inner = base_model(estimator)
    inner = inner.steps[-1][1] if hasattr(inner, "steps") else inner
    hyper = {f"hp.{k}": v for k, v in inner.get_params(deep=False).items()
             if isinstance(v, str | int | float | bool | type(None))}
    return {
        "model": model.name, "family": model.family, **{f"param.{k}": v for k, v in
                                                         model.params.items()},
        **hyper, "outcome": config.label.outcome, "horizon_days": config.label.horizon_days,
        "train_dates": f"{data.train_dates[0]}..{data.train_dates[-1]} ({len(data.train_dates)})",
        "test_dates": ",".join(d.isoformat() for d in data.test_dates),
        "calibration": f"{config.calibration.method}/{config.calibration.folds} student folds",
        "n_features": data.X_train.shape[1], "seed": config.seed,
    }


def hyperparameters(config: ExperimentConfig, model: ModelRun, estimator: Any) -> dict[str, Any]:
    """The model's own parameters (JSON types) and how it was calibrated, for model_metadata."""
    from edupulse.modeling.estimators import base_model

    inner = base_model(estimator)
    inner = inner.steps[-1][1] if hasattr(inner, "steps") else inner
    params = {k: v for k, v in inner.get_params(deep=False).items()
              if isinstance(v, str | int | float | bool | type(None))}
    return {"model": model.name, "family": model.family, "grid_params": dict(model.params),
            "estimator": type(inner).__name__, "params": params,
            "calibration": {"method": config.calibration.method,
                            "folds": config.calibration.folds, "grouped_by": "student"},
            "features": list(config.features.columns()), "seed": config.seed}


def _log_model(estimator: Any, X_train: pd.DataFrame, prov: Provenance) -> Any:
    import mlflow
    import sklearn
    import skops.io as sio
    from mlflow.models import infer_signature

    example = X_train.quantile([0.1, 0.25, 0.5, 0.75, 0.9]).reset_index(drop=True)
    signature = infer_signature(example, estimator.predict_proba(example))
    trusted = [t for t in sio.get_untrusted_types(data=sio.dumps(estimator))
               if t.startswith(("sklearn.", "edupulse.", "numpy."))]
    return mlflow.sklearn.log_model(
        estimator, name=MODEL_ARTIFACT, signature=signature, input_example=example,
        pyfunc_predict_fn="predict_proba", skops_trusted_types=trusted,
        pip_requirements=[f"edupulse=={prov.package_version}",
                          f"scikit-learn=={sklearn.__version__}", f"mlflow=={mlflow.__version__}"],
    )


def lists_table(ev: Evaluation) -> pd.DataFrame:
    rows = []
    for lst in ev.lists:
        ci = ev.precision_ci.get(lst.key)
        rows.append({"k": lst.key, "selected": lst.selected, "expected_hits": lst.hits,
                     "positives": lst.positives, "n": lst.n, "precision": lst.precision,
                     "precision_lo": ci.low if ci else math.nan,
                     "precision_hi": ci.high if ci else math.nan,
                     "recall": lst.recall, "lift": lst.lift})
    return pd.DataFrame(rows)


def scores_csv(data: SplitData, scores: np.ndarray) -> str:
    """student_id (database UUID, no SIS id or name), as_of_date, score, label."""
    frame = pd.DataFrame({"student_id": data.test_keys["student_id"].astype(str),
                          "as_of_date": [d.isoformat() for d in data.test_keys["as_of_date"]],
                          "score": scores, "label": data.y_test})
    buf = io.StringIO()
    frame.to_csv(buf, index=False, float_format="%.10g")
    return buf.getvalue()


def _importance_csv(result: TrainResult) -> str:
    imp = result.importance
    assert imp is not None
    frame = pd.DataFrame({"feature": imp.names, "auc_drop_mean": imp.mean, "auc_drop_std": imp.std})
    return frame.sort_values("auc_drop_mean", ascending=False).to_csv(index=False)


def _calibration_dict(ev: Evaluation) -> dict[str, Any]:
    cal = ev.calibration
    return {"strategy": "quantile", "mean_predicted": list(cal.mean_predicted),
            "observed_rate": list(cal.observed_rate), "count": list(cal.count), "ece": cal.ece,
            "brier": ev.brier}


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out |= _flatten(value, f"{name}.")
        else:
            out[name] = json.dumps(value) if isinstance(value, list | tuple) else str(value)
    return out


def _finite(value: float) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))
