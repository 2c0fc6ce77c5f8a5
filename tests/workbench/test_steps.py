"""The notebooks' facade on both backends: schema, loading once, weekly dates, the messages that
tell a researcher which notebook to run first, and lists that show pseudonymous keys only.
Training, promotion, scoring and the reports run end to end in tests/integration/."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa

from edupulse.config import Settings
from edupulse.db import migrate
from edupulse.db.models import AttendanceRecord, Prediction
from edupulse.scoring.score import prediction_timestamp
from edupulse.workbench import steps
from tests.db import factories as f

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "data" / "fixtures"
AS_OF = dt.date(2025, 1, 10)
FACTOR = {"factor": "attendance_rate", "weight": 0.4, "value": 0.82,
          "description": "attendance 82% over the last 30 days",
          "recommendation": "attendance check-in"}


def test_connect_migrates_an_empty_database(empty_db_url: str, edupulse_home: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDUPULSE_DATABASE_URL", empty_db_url)
    settings, engine = steps.connect("")  # empty: the environment's database
    try:
        assert settings.database_url == empty_db_url and settings.home == edupulse_home
        assert migrate.current_revision(engine) == migrate.head_revision(engine)
        assert steps.student_count(engine) == 0
    finally:
        engine.dispose()


def test_ensure_loaded_loads_an_empty_database_once(engine, edupulse_home: Path) -> None:  # type: ignore[no-untyped-def]
    report = steps.ensure_loaded(engine, FIXTURES / "standard")
    assert report is not None and report.clean
    counts = steps.row_counts(engine)
    assert (counts["students"], counts["attendance_records"], counts["grades"],
            counts["discipline_incidents"]) == (3, 8, 4, 3)
    summary = steps.load_summary(report).set_index("file")
    assert summary.loc["students.csv", "new"] == 3 and summary["rejected"].sum() == 0
    assert steps.ensure_loaded(engine, FIXTURES / "standard") is None  # already loaded
    assert steps.row_counts(engine).equals(counts)
    assert steps.load_summary(None).empty


def test_ensure_loaded_keeps_rejects_and_loads_the_valid_rows(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    report = steps.ensure_loaded(engine, FIXTURES / "bad", home=tmp_path)
    assert report is not None and report.committed and report.rejected > 0
    assert report.rejects_path is not None and report.rejects_path.parent == tmp_path / "rejects"
    assert report.rejects_path.name.startswith("bad-")
    text = report.rejects_path.read_text()
    assert "students.csv" in text and "first_name" in text  # file, line and field of each
    assert steps.student_count(engine) > 0


def test_ensure_loaded_names_a_missing_folder_and_loads_nothing(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(steps.WorkbenchError, match="no-such-export: no such folder"):
        steps.ensure_loaded(engine, tmp_path / "no-such-export")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(steps.WorkbenchError, match="no input files found"):
        steps.ensure_loaded(engine, empty)
    assert steps.student_count(engine) == 0


def test_later_notebooks_say_what_to_run_first(engine, edupulse_home: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(steps.WorkbenchError, match="no students loaded. Run notebook 01 or 02"):
        steps.require_loaded(engine)
    with pytest.raises(steps.WorkbenchError, match="no active model. Notebook 03 did not"
                                                   ".*force_promotion=True"):
        steps.champion(engine)
    with pytest.raises(steps.WorkbenchError, match="no active model"):
        steps.score(engine, Settings.from_env(), AS_OF)
    with pytest.raises(steps.WorkbenchError, match="run notebook 05"):
        steps.pick_school(engine, AS_OF)
    with pytest.raises(steps.WorkbenchError, match="no students loaded"):
        steps.weekly_as_of_dates(engine)


def test_weekly_as_of_dates_are_the_fridays_of_the_data(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        s = f.add_student(conn)
        conn.execute(sa.insert(AttendanceRecord), [
            f.attendance(s["id"], date=dt.date(2024, 8, 26)),  # a Monday
            f.attendance(s["id"], date=dt.date(2024, 9, 20))])  # a Friday
    fridays = [dt.date(2024, 8, 30), dt.date(2024, 9, 6), dt.date(2024, 9, 13),
               dt.date(2024, 9, 20)]
    assert steps.data_range(engine) == (dt.date(2024, 8, 26), dt.date(2024, 9, 20))
    assert steps.weekly_as_of_dates(engine) == fridays
    assert steps.weekly_as_of_dates(engine, until=dt.date(2024, 9, 12)) == fridays[:2]
    assert steps.weekly_as_of_dates(engine, min_weeks=3) == fridays[2:]
    assert steps.weekly_as_of_dates(engine, until=dt.date(2024, 8, 29)) == []


def test_features_and_labels_of_the_fixture(engine, edupulse_home: Path) -> None:  # type: ignore[no-untyped-def]
    steps.ensure_loaded(engine, FIXTURES / "standard")
    day = dt.date(2024, 9, 13)
    built = steps.build_features(engine, [day])
    assert steps.feature_rows(built).to_dict("records") == [{"as_of": day, "students": 3}]
    frame = steps.feature_frame(engine, day)
    assert len(frame) == 3 and "district_id" not in frame
    assert frame["student_id"].str.len().eq(steps.KEY_CHARS).all()
    labels = steps.label_summary(engine, [day])
    assert labels["cohort"].tolist() == [3]


def _scored_school(conn: sa.Connection) -> list[dict]:
    students = [f.add_student(conn, district_id=f"SIS-{i:06d}", first_name=f"Name{i}",
                              student_metadata={"district_code": "D01", "school_code": school})
                for i, school in enumerate(["D01-HS1", "D01-HS1", "D01-HS1", "D01-MS1"])]
    when = prediction_timestamp(AS_OF)
    rows = [f.prediction(s["id"], prediction_date=when, risk_score=score, risk_category=cat,
                         risk_factors=[FACTOR])
            for s, score, cat in zip(students, [0.9, 0.4, 0.1, 0.8],
                                     ["critical", "high", "low", "critical"], strict=True)]
    rows.append(f.prediction(students[1]["id"], risk_score=0.2, risk_category="medium",
                             risk_factors=[],
                             prediction_date=prediction_timestamp(AS_OF + dt.timedelta(days=7))))
    conn.execute(sa.insert(Prediction), rows)
    return students


def test_risk_list_shows_pseudonymous_keys_only(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        students = _scored_school(conn)
    assert steps.schools(engine, AS_OF) == ["D01-HS1", "D01-MS1"]
    assert steps.pick_school(engine, AS_OF) == "D01-HS1"
    with pytest.raises(steps.WorkbenchError, match="'D09-XX' has no predictions"):
        steps.pick_school(engine, AS_OF, "D09-XX")
    head = steps.risk_list(engine, AS_OF, "D01-HS1")
    assert head["student_key"].tolist() == [str(students[0]["id"])[:8],
                                            str(students[1]["id"])[:8]]
    assert head["risk_category"].tolist() == ["critical", "high"]
    assert head["top_factors"].tolist() == ["attendance_rate"] * 2
    assert head["recommendations"].tolist() == ["attendance check-in"] * 2
    shown = head.to_string()
    for s in students:
        assert s["district_id"] not in shown and s["first_name"] not in shown
        assert str(s["id"]) not in shown  # only a prefix of the internal id
    assert len(steps.risk_list(engine, AS_OF, "D01-HS1", top=1)) == 1


def test_prediction_scores_of_the_dates_without_ids(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        _scored_school(conn)
    scores = steps.prediction_scores(engine, [AS_OF])
    assert list(scores.columns) == ["as_of", "risk_score", "risk_category"]
    assert scores["as_of"].tolist() == [AS_OF] * 4
    assert scores["risk_score"].round(3).tolist() == [0.9, 0.8, 0.4, 0.1]
    assert len(steps.prediction_scores(engine, [AS_OF, AS_OF + dt.timedelta(days=7)])) == 5


def test_parameters_and_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                edupulse_home: Path) -> None:
    assert steps.parse_date("2025-02-07") == dt.date(2025, 2, 7)
    with pytest.raises(steps.WorkbenchError, match="'2025-02-30' is not a date"):
        steps.parse_date("2025-02-30")
    settings = Settings.from_env()
    assert steps.output_dir("", settings, "audit") == edupulse_home / "audit"
    assert steps.output_dir(str(tmp_path / "x"), settings, "audit").is_dir()
    monkeypatch.chdir(ROOT / "notebooks")  # where JupyterLab and nbval start the kernel
    assert steps.use_project_root() == ROOT and Path.cwd() == ROOT
    monkeypatch.chdir(tmp_path)  # outside a checkout: stays
    assert steps.use_project_root() == tmp_path.resolve()

