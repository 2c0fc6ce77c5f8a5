"""Feedback: validation (file, line, field), all-or-nothing, idempotent; the report."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from edupulse.cli import app
from edupulse.db.models import ModelMetadata, Prediction, TrainingFeedback
from edupulse.feedback import FeedbackFileError, feedback_report, load_feedback
from tests.db import factories as f

runner = CliRunner()
DAY = dt.datetime(2025, 3, 10, tzinfo=dt.UTC)


@pytest.fixture
def preds(engine: sa.Engine) -> dict[str, str]:
    with engine.begin() as conn:
        conn.execute(sa.insert(ModelMetadata.__table__), [f.model(
            model_version="v1", performance_metrics={"precision": 0.6, "recall": 0.5})])
        a = f.add_student(conn, district_id="D-1")
        b = f.add_student(conn, district_id="D-2")
        rows = [f.prediction(a["id"], prediction_date=DAY, risk_score=0.8,
                             risk_category="high", confidence=0.9),
                f.prediction(b["id"], prediction_date=DAY, risk_score=0.1,
                             risk_category="low", confidence=0.5)]
        conn.execute(sa.insert(Prediction.__table__), rows)
    return {"a": str(rows[0]["id"]), "b": str(rows[1]["id"])}


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "feedback.csv"
    path.write_text(text)
    return path


def _count(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(TrainingFeedback)).scalar()


def test_valid_lines_by_id_and_by_district_id_load_once(engine, preds, tmp_path) -> None:
    path = _csv(tmp_path, (
        "prediction_id,district_id,prediction_date,outcome_date,outcome_type,feedback_type,notes\n"
        f"{preds['a']},,,2025-04-01,course_failure,true_positive,failed algebra\n"
        ",D-2,2025-03-10,2025-05-01,none,true_negative,\n"))
    r = load_feedback(engine, path)
    assert (r.read, r.loaded, r.unchanged, r.rejects) == (2, 2, 0, ())
    again = load_feedback(engine, path)
    assert (again.loaded, again.unchanged) == (0, 2) and _count(engine) == 2


def test_each_bad_line_is_rejected_with_file_line_field(engine, preds, tmp_path) -> None:
    path = _csv(tmp_path, (
        "prediction_id,district_id,prediction_date,outcome_date,feedback_type\n"
        f"{preds['a']},,,2025-04-01,true_positive\n"           # 2: fine
        f"{preds['a']},,,2025-04-01,maybe\n"                   # 3: bad type
        "not-a-uuid,,,2025-04-01,true_positive\n"              # 4: bad id
        "00000000-0000-0000-0000-000000000000,,,,false_positive\n"  # 5: unknown prediction
        ",D-9,2025-03-10,,false_negative\n"                    # 6: no such prediction
        f"{preds['b']},,,2025-02-30,true_negative\n"           # 7: impossible date
        f"{preds['b']},,,2025-03-01,true_negative\n"           # 8: outcome before prediction
        ",D-2,,,true_negative\n"))                             # 9: no prediction date
    r = load_feedback(engine, path)
    got = [(x.line, x.field, x.reason.split(":")[0]) for x in r.rejects]
    assert got == [
        (3, "feedback_type", "expected one of true_positive, false_positive, true_negative, "
                             "false_negative"),
        (4, "prediction_id", "not a UUID"),
        (5, "prediction_id", "no such prediction"),
        (6, "prediction_date", "no prediction for this district_id on that date"),
        (7, "outcome_date", "expected an ISO date YYYY-MM-DD that exists"),
        (8, "outcome_date", "before the prediction it is feedback on"),
        (9, "prediction_date", "expected an ISO date YYYY-MM-DD"),
    ]
    assert all(x.file == str(path) for x in r.rejects)
    assert r.loaded == 1 and _count(engine) == 1


def test_strict_loads_nothing_and_cli_exits_1_with_rejects_file(
    engine, db_url, preds, tmp_path, edupulse_home
) -> None:
    path = _csv(tmp_path, "prediction_id,feedback_type\n"
                          f"{preds['a']},true_positive\n{preds['b']},wrong\n")
    assert load_feedback(engine, path, strict=True).loaded == 0 and _count(engine) == 0
    result = runner.invoke(app, ["feedback", "load", str(path), "--strict", "--db", db_url])
    assert result.exit_code == 1
    assert "line 3, feedback_type 'wrong'" in result.output
    assert (edupulse_home / "rejects" / "feedback-rejects.csv").exists()
    assert _count(engine) == 0


def test_missing_column_stops_the_file(engine, preds, tmp_path) -> None:
    with pytest.raises(FeedbackFileError, match="feedback.csv: missing column feedback_type"):
        load_feedback(engine, _csv(tmp_path, f"prediction_id\n{preds['a']}\n"))
    with pytest.raises(FeedbackFileError, match="missing column prediction_id"):
        load_feedback(engine, _csv(tmp_path, "district_id,feedback_type\nD-1,true_positive\n"))


def test_report_realised_precision_recall_and_offline(engine, db_url, preds, tmp_path) -> None:
    path = _csv(tmp_path, (
        "prediction_id,feedback_type\n"
        f"{preds['a']},true_positive\n{preds['a']},false_positive\n{preds['b']},false_negative\n"))
    load_feedback(engine, path)
    with engine.connect() as conn:
        (v,) = feedback_report(conn, dt.date.today())
    assert v.model_version == "v1"
    assert v.counts == {"true_positive": 1, "false_positive": 1, "true_negative": 0,
                        "false_negative": 1}
    assert v.realised_precision == 0.5 and v.realised_recall == 0.5
    assert v.offline == {"precision": 0.6, "recall": 0.5}
    assert v.avg_risk["true_positive"] == 0.8 and v.avg_confidence["false_negative"] == 0.5
    result = runner.invoke(app, ["feedback", "report", "--db", db_url])
    assert result.exit_code == 0
    assert "precision realised 0.500 vs offline 0.600" in result.output
