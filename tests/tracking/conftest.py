"""A real MLflow tracking store (SQLite) per test, copied from one migrated once per session:
creating an MLflow database runs its own migrations, which takes seconds."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from edupulse.config import Settings


@pytest.fixture(scope="session")
def mlflow_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import mlflow

    path = tmp_path_factory.mktemp("mlflow-template") / "mlflow.db"
    mlflow.MlflowClient(tracking_uri=f"sqlite:///{path}").search_experiments()
    return path


@pytest.fixture
def mlflow_settings(
    edupulse_home: Path, mlflow_template: Path
) -> Iterator[Settings]:
    """Settings whose MLflow store is a fresh SQLite file in this test's EDUPULSE_HOME."""
    import mlflow

    edupulse_home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(mlflow_template, edupulse_home / "mlflow.db")
    settings = Settings.from_env()
    mlflow.set_tracking_uri(settings.mlflow_tracking_uri)
    yield settings
    while mlflow.active_run() is not None:
        mlflow.end_run()


@pytest.fixture(scope="session")
def tiny_district(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 90-student synthetic district (36 weeks from 2024-08-26) written as CSV files."""
    from edupulse.data.synth import SynthConfig, generate, write

    out = tmp_path_factory.mktemp("tiny-district")
    write(generate(SynthConfig(students=90, seed=3)), out)
    return out


@pytest.fixture
def loaded_db_url(db_url: str, tiny_district: Path) -> str:
    """A fresh database on each backend holding the tiny district, loaded by `edupulse load`."""
    from typer.testing import CliRunner

    from edupulse.cli import app

    result = CliRunner().invoke(app, ["load", str(tiny_district), "--db", db_url])
    assert result.exit_code == 0, result.output
    return db_url

