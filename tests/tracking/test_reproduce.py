"""`edupulse reproduce RUN_ID`: the same numbers to the last digit on unchanged data, and a
clear refusal (nothing compared) when the data or the ground truth changed, on both backends."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from edupulse.cli import app
from edupulse.config import Settings
from edupulse.db.models import Student
from edupulse.db.session import make_engine
from edupulse.tracking import reproduce as rep
from edupulse.tracking import runs
from tests.tracking.tiny import tiny_config

runner = CliRunner()


def _train(db_url: str, tmp_path: Path, truth: Path) -> tuple[str, list[str]]:
    import mlflow

    result = runner.invoke(app, ["train", str(tiny_config(tmp_path, truth)), "--db", db_url])
    assert result.exit_code == 0, result.output
    client = mlflow.MlflowClient()
    found = client.search_runs([client.get_experiment_by_name("tiny").experiment_id])
    parent = next(r.info.run_id for r in found if r.data.tags[runs.KIND] == "experiment")
    children = [r.info.run_id for r in found if r.data.tags[runs.KIND] == "model"]
    return parent, children


def test_reproduce_gives_every_metric_equal_then_refuses_changed_data(
    loaded_db_url: str, mlflow_settings: Settings, tiny_district: Path, tmp_path: Path
) -> None:
    import mlflow

    truth = tmp_path / "ground_truth.csv"
    shutil.copyfile(tiny_district / "ground_truth.csv", truth)
    parent, children = _train(loaded_db_url, tmp_path, truth)

    # the whole experiment: every model x split, every metric equal
    result = runner.invoke(app, ["reproduce", parent, "--db", loaded_db_url])
    assert result.exit_code == 0, result.output
    n_metrics = sum(len(mlflow.MlflowClient().get_run(c).data.metrics) for c in children)
    assert f"4 of 4 run(s) reproduced with all {n_metrics} metrics equal" in result.output
    assert "DIFFERENT" not in result.output

    # one model run, through the API: the checks are exact float equality
    engine = make_engine(loaded_db_url, poolclass=sa.pool.NullPool)
    (one,) = rep.reproduce(engine, mlflow.MlflowClient(), children[0], progress=False,
                           echo=lambda _: None)
    assert one.identical and len(one.checks) > 60
    assert all(c.original == c.reproduced for c in one.checks)

    # a changed ground truth: refused, nothing compared
    lines = truth.read_text().splitlines()
    header = lines[0].split(",")
    col = header.index("p_any_adverse_12w")
    for i in range(1, len(lines)):
        cells = lines[i].split(",")
        if cells[col]:
            cells[col] = f"{min(1.0, float(cells[col]) + 0.01):.6f}"
            lines[i] = ",".join(cells)
    truth.write_text("\n".join(lines) + "\n")
    with pytest.raises(rep.FingerprintMismatch, match="ground truth's probabilities"):
        rep.reproduce(engine, mlflow.MlflowClient(), children[0], progress=False,
                      echo=lambda _: None)
    shutil.copyfile(tiny_district / "ground_truth.csv", truth)

    # changed data: one student removed (with everything hanging off them) -> refused
    with engine.begin() as conn:
        victim = conn.execute(sa.select(Student.id).order_by(Student.district_id)).first()[0]
        conn.execute(sa.delete(Student).where(Student.id == victim))
    engine.dispose()
    result = runner.invoke(app, ["reproduce", parent, "--db", loaded_db_url])
    assert result.exit_code == 1
    assert "the data changed since the run, so its metrics cannot be reproduced" in \
        result.output
    assert "original" not in result.output  # no comparison table was printed


def test_reproduce_refuses_what_is_not_a_train_run(
    mlflow_settings: Settings, engine: sa.Engine
) -> None:
    import mlflow

    with mlflow.start_run() as other:
        pass
    client = mlflow.MlflowClient()
    with pytest.raises(rep.ReproduceError, match="not an `edupulse train` run"):
        rep.reproduce(engine, client, other.info.run_id, progress=False)
    with pytest.raises(rep.ReproduceError, match="no MLflow run 'cafe'"):
        rep.reproduce(engine, client, "cafe", progress=False)
