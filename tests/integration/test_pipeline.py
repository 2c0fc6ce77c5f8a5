"""The whole pipeline on data/sample, on SQLite and PostgreSQL, through the functions the CLI and
the notebooks call: load -> features -> train -> promote -> score -> audit -> report -> feedback,
then the rows written to every table, the MLflow registry, and no student PII in any output.

The experiment is tests/integration/experiment.yaml (baseline.yaml's label and models, one split,
no bootstrap) to keep this near a minute per backend on an idle 2-core machine.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import mlflow
import pytest
import sqlalchemy as sa

from edupulse.db import migrate
from edupulse.db.models import ModelActivation, ModelMetadata, Prediction
from edupulse.feedback import load_feedback
from edupulse.privacy.scan import build_index, scan_paths
from edupulse.tracking.promotion import ALIAS, REGISTERED_MODEL
from edupulse.workbench import compare, steps

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"
EXPERIMENT = ROOT / "tests" / "integration" / "experiment.yaml"
THIS_WEEK, OUTCOMES = dt.date(2025, 5, 2), dt.date(2025, 2, 7)  # 05's two as-of dates
TRAIN_DATES = [dt.date(2024, 10, 4), dt.date(2024, 10, 18), dt.date(2024, 11, 1)]
SOURCE_ROWS = {"students": 500, "attendance_records": 446_276, "grades": 154_034,
               "discipline_incidents": 868}
COHORT = {THIS_WEEK: 477, OUTCOMES: 485}  # students enrolled on each date (notebook 02)


@pytest.fixture
def workbench(db_url: str, edupulse_home: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(ROOT)  # the experiment's relative paths, as from `make pipeline`
    settings, engine = steps.connect(db_url)
    yield settings, engine
    engine.dispose()


def _counts(engine: sa.Engine) -> dict[str, int | None]:
    return migrate.row_counts(engine)


def test_the_pipeline_writes_every_table(workbench, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings, engine = workbench

    # load (notebooks 01/02): once, then a no-op
    report = steps.ensure_loaded(engine, SAMPLE)
    assert report is not None and report.clean
    assert steps.ensure_loaded(engine, SAMPLE) is None
    loaded = _counts(engine)
    assert {t: loaded[t] for t in SOURCE_ROWS} == SOURCE_ROWS
    assert loaded["audit_log"] and loaded["audit_log"] > 0  # the load is in the audit trail

    # features (02): the experiment's dates and the two scoring dates
    built = steps.build_features(engine, [*TRAIN_DATES, OUTCOMES, THIS_WEEK])
    assert built.rows(THIS_WEEK) == COHORT[THIS_WEEK] and built.rows(OUTCOMES) == COHORT[OUTCOMES]
    features_rows = built.total_rows

    # train (03)
    outcome = steps.train(engine, settings, EXPERIMENT)
    table = compare.metric_table(outcome)
    assert sorted(table["model"]) == ["abc_baseline", "logistic_regression"]
    assert table["split"].tolist() == ["test-2025-02-07"] * 2
    assert table["auc"].between(0.5, 1).all()
    lists = compare.list_tables(table, settings.mlflow_tracking_uri)
    assert set(lists["k"]) == {"k5", "k10", "k20", "school5"}
    assert len(compare.calibration_tables(table, settings.mlflow_tracking_uri)) > 0

    # promote (03): the gate, and forcing past it only with a recorded reason
    first = steps.promote_best(engine, settings, "integration", "precision_at_k10")
    if not first.promoted:
        assert "does not beat the ABC baseline" in (first.refusal or "")
        with pytest.raises(steps.WorkbenchError, match="no active model"):
            steps.champion(engine)
        assert "NOT PROMOTED" in first.message()
    promoted = first if first.promoted else steps.promote_best(
        engine, settings, "integration", "precision_at_k10", force=True,
        reason="integration test: promote the logistic regression anyway")
    assert promoted.result is not None
    champion = steps.champion(engine)
    assert champion.model_version == promoted.result.model_version == f"{REGISTERED_MODEL}/1"
    assert champion.forced == (not first.promoted)
    client = mlflow.MlflowClient(settings.mlflow_tracking_uri)
    assert str(client.get_model_version_by_alias(REGISTERED_MODEL, ALIAS).version) == "1"

    # score (05): this week and the date whose outcomes are known
    reports = [steps.score(engine, settings, d) for d in (THIS_WEEK, OUTCOMES)]
    assert [r.scored for r in reports] == [COHORT[THIS_WEEK], COHORT[OUTCOMES]]
    assert not any(r.features_built for r in reports)  # 02 built them
    school = steps.pick_school(engine, THIS_WEEK)
    head = steps.risk_list(engine, THIS_WEEK, school, top=5)
    assert 0 < len(head) <= 5 and head["risk_score"].is_monotonic_decreasing

    # audit (04) and equity report (06)
    audited = steps.audit_champion(engine, settings, tmp_path / "audit", n_boot=20)
    audit_summary = audited.result.summary
    assert audit_summary.n_students and audit_summary.n_flagged  # the test split's list
    assert audited.card.model_type == "logistic_regression"
    paths = steps.equity_report(engine, settings, OUTCOMES, tmp_path / "report", n_boot=20)
    assert len(paths) == 1 and paths[0].stat().st_size > 10_000
    reread = steps.read_audit(paths[0].parent)
    assert reread.summary.n_students is not None and reread.summary.n_flagged

    # feedback on five of the outcome date's predictions
    with engine.connect() as conn:
        ids = conn.execute(sa.select(Prediction.id).where(
            Prediction.prediction_date == reports[1].prediction_date)
            .order_by(Prediction.risk_score.desc(), Prediction.id).limit(5)).scalars().all()
    csv = tmp_path / "feedback.csv"
    csv.write_text("prediction_id,feedback_type\n"
                   + "".join(f"{i},true_positive\n" for i in ids), encoding="utf-8")
    assert load_feedback(engine, csv).loaded == 5

    # every table
    final = _counts(engine)
    assert {t: final[t] for t in SOURCE_ROWS} == SOURCE_ROWS
    assert final["student_features"] == features_rows
    assert final["predictions"] == COHORT[THIS_WEEK] + COHORT[OUTCOMES]
    assert (final["model_metadata"], final["model_activations"], final["training_feedback"]) \
        == (1, 1, 5)
    assert final["audit_log"] >= loaded["audit_log"]
    with engine.connect() as conn:
        active = conn.execute(sa.select(ModelMetadata.is_active, ModelMetadata.model_type)).all()
        reason = conn.execute(sa.select(ModelActivation.reason)).scalar_one()
    assert active == [(True, "logistic_regression")]
    assert (reason is not None) == champion.forced

    # nothing written for people outside the school names a student
    findings = scan_paths([tmp_path / "audit", tmp_path / "report"], build_index(engine))
    assert findings == []
