"""ensure_clean: the one call a publishing path makes before it logs or writes."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from edupulse.privacy.guard import PiiFound, ensure_clean
from tests.db import factories as f


def test_a_report_naming_a_student_is_refused_and_a_clean_one_passes(engine: sa.Engine,
                                                                    tmp_path: Path) -> None:
    with engine.begin() as conn:
        f.add_student(conn, first_name="Philippa", last_name="Ravenscroft")
    report = tmp_path / "equity.html"
    report.write_text("<h1>Equity report</h1>\n<p>Flagged: Philippa Ravenscroft</p>\n")
    with pytest.raises(PiiFound) as err:
        ensure_clean([report], engine, what="logged to MLflow")
    message = str(err.value)
    assert message.startswith("not logged to MLflow: student PII found (1 finding(s)):")
    assert f"{report}:line 2: name P******* R**********" in message
    assert "Ravenscroft" not in message and len(err.value.findings) == 1
    report.write_text("<h1>Equity report</h1>\n<p>Flagged: 12 students in grade 9</p>\n")
    assert ensure_clean([report], engine).files == 1


def _audit_dir(tmp_path: Path, note: str) -> Path:
    """A saved audit whose model card carries `note` (a limitation a researcher typed)."""
    from edupulse.fairness.audit import run_audit
    from edupulse.fairness.results import write_audit
    from edupulse.reporting.model_card import ModelCard, write_model_card
    from tests.fairness.builders import scored, sensitive, settings, synthetic

    frame = synthetic(300, seed=3)
    result = run_audit(scored(frame), sensitive(frame, "group"),
                       settings(attributes=("group",), n_boot=20, top_pct=20))
    folder = tmp_path / "audit"
    write_audit(result, folder)
    write_model_card(ModelCard(version="edupulse-risk/1", limitations=(note,)), folder)
    return folder


def test_an_equity_report_naming_a_student_is_not_published(engine: sa.Engine,
                                                             tmp_path: Path) -> None:
    from edupulse.reporting.build import equity_from_audit_dir

    with engine.begin() as conn:
        f.add_student(conn, first_name="Philippa", last_name="Ravenscroft")
    out = tmp_path / "report"
    clean = equity_from_audit_dir(_audit_dir(tmp_path / "a", "trained on 2024-25"), out,
                                  guard=engine)
    assert clean.is_file()
    out2 = tmp_path / "report2"
    with pytest.raises(PiiFound, match=r"(?s)not published: .* name P\*+ R\*+"):
        equity_from_audit_dir(_audit_dir(tmp_path / "b", "checked with Philippa Ravenscroft"),
                              out2, guard=engine)
    assert not list(out2.glob("*.html")), "the report that names a student is removed"


def test_training_artifacts_naming_a_student_never_reach_mlflow(engine: sa.Engine,
                                                                tmp_path: Path) -> None:
    import mlflow

    from edupulse.privacy.pii_index import build_index
    from edupulse.tracking.runs import log_texts

    with engine.begin() as conn:
        f.add_student(conn, district_id="SIS-778812", first_name="Philippa",
                      last_name="Ravenscroft")
    pii = build_index(engine)
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    exp = mlflow.create_experiment("guard", artifact_location=str(tmp_path / "artifacts"))
    with mlflow.start_run(experiment_id=exp) as run:
        log_texts({"evaluation/lists.csv": "k,precision\nk10,0.8\n"}, pii)
        with pytest.raises(PiiFound, match="(?s)not logged to MLflow: .*district_id"):
            log_texts({"test_scores.csv": "student_id,score\nSIS-778812,0.9\n"}, pii)
    client = mlflow.MlflowClient()
    logged = [a.path for a in client.list_artifacts(run.info.run_id)]
    assert logged == ["evaluation"], logged
