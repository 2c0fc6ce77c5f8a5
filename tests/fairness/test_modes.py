"""Audits end to end from the database (real labels) and from a real MLflow run."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from edupulse.fairness import modes
from edupulse.fairness.mlflow_inputs import ARTIFACT_DIR, SCORES_ARTIFACT
from edupulse.fairness.results import FILES, read_audit
from edupulse.fairness.settings import AuditSettings
from edupulse.reporting.model_card import MODEL_CARD_FILE, read_model_card
from tests.fairness.dbdata import AS_OF, HORIZON, VERSION, populate

SETTINGS = AuditSettings(attributes=("gender", "grade_level"), top_pct=30, n_boot=50,
                         min_cell=5)


def test_database_audit_uses_the_labels_after_the_as_of_date(engine: sa.Engine,
                                                            tmp_path: Path) -> None:
    students = populate(engine)
    audited = modes.audit_database(engine, AS_OF, SETTINGS, tmp_path, outcome="dropout",
                                   horizon_days=HORIZON)
    s = audited.result.summary
    assert (s.n_students, s.n_positive) == (60, sum(x["dropout"] for x in students))
    assert s.n_flagged == 18
    assert {p.name for p in audited.files} == {*FILES, MODEL_CARD_FILE}
    card = read_model_card(tmp_path)
    assert card is not None and card.version == VERSION
    assert card.training_period == "2023-09-04 to 2024-06-10"
    assert ("auc_roc", 0.81) in card.metrics
    assert audited.result.source.outcome == "dropped out or withdrew within 28 days"
    gm = read_audit(tmp_path).group_metrics
    assert set(gm["attribute"]) == {"overall", "gender", "grade_level"}
    assert set(gm.loc[gm["attribute"] == "grade_level", "group"]) == {"9", "10"}


def test_database_audit_of_one_district(engine: sa.Engine, tmp_path: Path) -> None:
    populate(engine)
    audited = modes.audit_database(engine, AS_OF, SETTINGS, tmp_path, outcome="dropout",
                                   horizon_days=HORIZON, district="D2")
    assert audited.result.summary.n_students == 20
    assert dict(audited.result.source.details)["district"] == "D2"


def test_outcomes_not_yet_known_are_refused(engine: sa.Engine, tmp_path: Path) -> None:
    populate(engine)
    with pytest.raises(LookupError, match="no outcome is known yet"):
        modes.audit_database(engine, AS_OF, SETTINGS, tmp_path, outcome="dropout",
                             horizon_days=365)
    assert not (tmp_path / "audit.json").exists()


def test_attributes_outside_the_students_table_are_named(engine: sa.Engine,
                                                         tmp_path: Path) -> None:
    with pytest.raises(KeyError, match=r"\['region'\] are not sensitive attributes"):
        modes.audit_database(engine, AS_OF, SETTINGS.model_copy(
            update={"attributes": ("region",)}), tmp_path)


def test_per_district_reports_hold_no_names(engine: sa.Engine, tmp_path: Path) -> None:
    from edupulse.reporting.build import equity_from_database

    populate(engine)
    out = tmp_path / "reports"
    paths = equity_from_database(engine, AS_OF, SETTINGS, out, per_district=True,
                                 outcome="dropout", horizon_days=HORIZON)
    assert [p.relative_to(out).as_posix() for p in paths] == [
        "D1/equity-report.html", "D2/equity-report.html"]
    for path in out.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            for secret in ("Zelda", "Quixotic", "555-0199", "SIS0001"):
                assert secret not in text, (path, secret)
    assert "D2" in paths[1].read_text(encoding="utf-8")


# ---- MLflow: one real tracking store (SQLite) for the module; each test its own experiment --

@pytest.fixture(scope="module")
def mlflow_uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('mlflow') / 'mlflow.db'}"


def _run(uri: str, tmp_path: Path, students: list[dict], dates: tuple[dt.date, ...] = (AS_OF,),
         extra_ids: tuple[str, ...] = ()) -> str:
    import uuid

    from mlflow.tracking import MlflowClient

    client = MlflowClient(uri)
    exp = client.create_experiment(f"audit-{uuid.uuid4().hex[:8]}",
                                   artifact_location=(tmp_path / "art").as_uri())
    run = client.create_run(exp)
    rows = [(str(s["id"]), d.isoformat(), s["score"], int(s["dropout"]))
            for d in dates for s in students]
    rows += [(i, dates[0].isoformat(), 0.5, 0) for i in extra_ids]
    csv = pd.DataFrame(rows, columns=["student_id", "as_of_date", "score", "label"]).to_csv(
        index=False)
    client.log_text(run.info.run_id, csv, SCORES_ARTIFACT)
    for k, v in {"model": "logreg", "family": "logistic_regression",
                 "train_dates": "2023-09-04..2024-06-10 (40)"}.items():
        client.log_param(run.info.run_id, k, v)
    client.log_metric(run.info.run_id, "auc", 0.8)
    client.set_terminated(run.info.run_id)
    return run.info.run_id


def test_mlflow_run_is_audited_and_the_audit_logged_back(engine: sa.Engine, tmp_path: Path,
                                                         mlflow_uri: str) -> None:
    from mlflow.tracking import MlflowClient

    uri = mlflow_uri
    students = populate(engine, n=40)
    run_id = _run(uri, tmp_path, students, dates=(AS_OF - dt.timedelta(days=7), AS_OF))
    audited = modes.audit_mlflow(engine, run_id, SETTINGS, tmp_path / "out", tracking_uri=uri)
    assert audited.result.summary.n_students == 40  # one as-of date: the latest
    assert any("2 as-of dates" in n for n in audited.result.notes)
    assert audited.card.training_period == "2023-09-04..2024-06-10 (40)"
    client = MlflowClient(uri)
    logged = {a.path for a in client.list_artifacts(run_id, ARTIFACT_DIR)}
    assert f"{ARTIFACT_DIR}/audit.json" in logged and f"{ARTIFACT_DIR}/group_metrics.csv" in logged
    metrics = client.get_run(run_id).data.metrics
    assert "fairness.gender.recall.min_ratio" in metrics
    assert "fairness.grade_level.fnr.unfair" in metrics
    saved = json.loads((tmp_path / "out" / "audit.json").read_text())
    assert saved["source"]["details"]["mlflow_run"] == run_id


def test_mlflow_scores_of_students_missing_from_the_database(engine: sa.Engine, tmp_path: Path,
                                                             mlflow_uri: str) -> None:
    uri = mlflow_uri
    students = populate(engine, n=10)
    run_id = _run(uri, tmp_path, students, extra_ids=("00000000-0000-0000-0000-000000000001",))
    with pytest.raises(LookupError, match="1 students of test_scores.csv .* are not in the "
                                          "students table"):
        modes.audit_mlflow(engine, run_id, SETTINGS, tmp_path / "out", tracking_uri=uri)


def test_mlflow_run_without_scores_artifact(engine: sa.Engine, tmp_path: Path,
                                            mlflow_uri: str) -> None:
    from mlflow.tracking import MlflowClient

    uri = mlflow_uri
    client = MlflowClient(uri)
    exp = client.create_experiment(f"empty-{tmp_path.name}",
                                   artifact_location=(tmp_path / "art").as_uri())
    run_id = client.create_run(exp).info.run_id
    with pytest.raises(LookupError, match=f"MLflow run {run_id} has no test_scores.csv"):
        modes.audit_mlflow(engine, run_id, SETTINGS, tmp_path / "out", tracking_uri=uri)
