"""Model cards from where EduPulse keeps model facts: model_metadata and the MLflow run."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from edupulse.reporting.model_card import ModelCard

RUN_METRICS = ("auc", "auc_lo", "auc_hi", "precision_at_k5", "precision_at_k10",
               "precision_at_k20", "recall_at_k10", "brier")


def card_from_run(run_id: str, tracking_uri: str) -> ModelCard:
    """What an MLflow run of `edupulse train` says about its model."""
    from mlflow.tracking import MlflowClient

    run = MlflowClient(tracking_uri).get_run(run_id)
    params, metrics, tags = run.data.params, run.data.metrics, run.data.tags
    started = dt.datetime.fromtimestamp(run.info.start_time / 1000, tz=dt.UTC).date()
    name = f" ({params['model']})" if "model" in params else ""
    return ModelCard(
        version=f"MLflow run {run_id[:12]}{name}",
        model_type=params.get("family") or tags.get("edupulse.family"),
        trained_on=started.isoformat(), training_period=params.get("train_dates"),
        metrics=tuple((k, float(metrics[k])) for k in RUN_METRICS if k in metrics),
        provenance=f"MLflow run {run_id} (test split)",
    )


def card_from_database(conn: sa.Connection, model_version: str,
                       tracking_uri: str | None = None) -> ModelCard:
    """From model_metadata; the training period from the promoted MLflow run when reachable."""
    from edupulse.fairness.db_inputs import model_metadata_row

    row = model_metadata_row(conn, model_version)
    if row is None:
        return ModelCard(version=model_version, notes=(
            f"model version {model_version} is not in model_metadata",))
    card = ModelCard.from_metadata(row)
    run_id = _run_id(row)
    if tracking_uri and run_id and card.training_period is None:
        try:
            from_run = card_from_run(run_id, tracking_uri)
        except Exception:  # an unreachable or pruned MLflow store: the card says "not recorded"
            return card
        return ModelCard(**{**card.__dict__, "training_period": from_run.training_period})
    return card


def _run_id(row: dict[str, Any]) -> str | None:
    perf = row.get("performance_metrics") or {}
    extra = perf.get("edupulse") if isinstance(perf, dict) else None
    return extra.get("mlflow_run_id") if isinstance(extra, dict) else None
