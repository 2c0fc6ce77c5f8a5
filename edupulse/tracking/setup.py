"""Point MLflow at EduPulse's store: the tracking URI from Settings, artifacts in $EDUPULSE_HOME.

MLflow's default artifact root for a database store is ./mlruns relative to wherever the process
runs; every EduPulse experiment instead keeps its artifacts under $EDUPULSE_HOME/mlartifacts so
the UI (`make ui`) finds them and nothing lands in the source tree.
"""

from __future__ import annotations

from pathlib import Path

from edupulse.config import Settings


def artifact_root(settings: Settings) -> Path:
    return settings.home / "mlartifacts"


def ensure_experiment(settings: Settings, name: str) -> str:
    """Set the tracking URI and return the id of experiment `name`, creating it if needed."""
    import mlflow

    settings.home.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(settings.mlflow_tracking_uri)
    existing = mlflow.get_experiment_by_name(name)
    if existing is not None:
        return existing.experiment_id
    location = (artifact_root(settings) / name).as_uri()
    return mlflow.create_experiment(name, artifact_location=location)
