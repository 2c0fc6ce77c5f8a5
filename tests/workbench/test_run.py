"""`edupulse run` on a real kernel: success is logged to MLflow; a failing cell names itself;
an executed notebook that shows a student's name is refused; passwords never enter notebooks."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from edupulse.config import Settings
from edupulse.workbench.run import NotebookFailed, PrivacyViolation, run_notebook
from tests.db import factories as f
from tests.workbench.test_notebooks import make_notebook

PARAMS = 'db_url = ""\nmessage = "hello"'
BODY = ("import os\nprint(message)\n"
        "print('db from env:', bool(os.environ.get('EDUPULSE_DATABASE_URL')))")


@pytest.fixture
def settings(db_url: str, engine: sa.Engine, edupulse_home: Path, monkeypatch) -> Settings:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("EDUPULSE_DATABASE_URL", db_url)
    with engine.begin() as conn:
        f.add_student(conn, district_id="SIS-424242", first_name="Zebulon",
                      last_name="Quartermaine", parent_contact="(555) 867-5309")
    return Settings.from_env()


def _runs(settings: Settings) -> list:
    mlflow.set_tracking_uri(settings.mlflow_tracking_uri)
    exp = mlflow.get_experiment_by_name("edupulse-notebooks")
    return [] if exp is None else mlflow.search_runs([exp.experiment_id], output_format="list")


def test_successful_run_is_executed_and_logged(settings: Settings, tmp_path: Path) -> None:
    nb = make_notebook(tmp_path / "07-hello.ipynb", PARAMS, BODY)
    result = run_notebook(nb, {"message": "cohort summary"}, settings, cwd=tmp_path)
    assert result.output.parent == settings.home / "runs"
    assert result.output.name.endswith("-07-hello.ipynb")
    assert "cohort summary" in result.output.read_text()
    runs = _runs(settings)
    assert [r.info.run_id for r in runs] == [result.mlflow_run_id]
    assert runs[0].data.params["message"] == "cohort summary"
    artifacts = mlflow.MlflowClient().list_artifacts(result.mlflow_run_id, "notebook")
    assert [a.path for a in artifacts] == [f"notebook/{result.output.name}"]


def test_failing_cell_is_named_and_nothing_logged(settings: Settings, tmp_path: Path) -> None:
    nb = make_notebook(tmp_path / "bad.ipynb", PARAMS, "raise ValueError('no features for date')")
    with pytest.raises(NotebookFailed, match=r"bad.ipynb: cell \d+ failed with ValueError: "
                       "no features for date"):
        run_notebook(nb, {}, settings, cwd=tmp_path)
    assert _runs(settings) == []


def test_planted_student_name_is_caught_and_not_logged(settings: Settings, tmp_path: Path) -> None:
    nb = make_notebook(tmp_path / "leak.ipynb", PARAMS, "print(message)")
    with pytest.raises(PrivacyViolation, match="student PII found, not logged"):
        run_notebook(nb, {"message": "Top of the list: Zebulon Quartermaine"}, settings,
                     cwd=tmp_path)
    assert _runs(settings) == []


def test_database_password_never_enters_the_notebook(
    settings: Settings, db_url: str, backend: str, tmp_path: Path
) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite URLs carry no password")
    secret_url = make_url(db_url).set(password="s3cr3t-pw").render_as_string(hide_password=False)
    nb = make_notebook(tmp_path / "pw.ipynb", PARAMS, BODY)
    result = run_notebook(nb, {"db_url": secret_url}, settings, cwd=tmp_path)
    text = result.output.read_text()
    assert "s3cr3t-pw" not in text
    assert "db from env: True" in text
    params = _runs(settings)[0].data.params
    assert "s3cr3t-pw" not in json.dumps(params)
