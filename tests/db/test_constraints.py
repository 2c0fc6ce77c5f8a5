"""Bad rows are refused by the database itself, on both backends, with the constraint named,
and the table is left exactly as it was."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from edupulse.db.errors import ConstraintViolation, as_violation
from edupulse.db.models import (
    AttendanceRecord,
    DisciplineIncident,
    Grade,
    ModelMetadata,
    Prediction,
    Student,
    TrainingFeedback,
)
from tests.db import factories as f


@pytest.fixture
def seeded(engine: sa.Engine) -> dict[str, Any]:
    """One student with one attendance record and one prediction."""
    with engine.begin() as conn:
        s = f.add_student(conn, district_id="D-1")
        f.insert(conn, AttendanceRecord, **f.attendance(s["id"], period=2))
        p = f.insert(conn, Prediction, **f.prediction(s["id"]))
        f.insert(conn, ModelMetadata, **f.model())
    return {"student": s, "prediction": p}


def _snapshot(engine: sa.Engine, table: sa.Table) -> list[tuple]:
    with engine.connect() as conn:
        return sorted(map(tuple, conn.execute(sa.select(table))), key=repr)


BAD_ROWS: list[tuple[str, Any, Callable[[dict], dict], str | tuple[str, ...]]] = [
    ("grade_level 13", Student, lambda s: f.student(grade_level=13), "ck_students_grade_level"),
    ("gpa 4.5", Student, lambda s: f.student(gpa=4.5), "ck_students_gpa"),
    ("attendance_rate 1.2", Student, lambda s: f.student(attendance_rate=1.2),
     "ck_students_attendance_rate"),
    ("duplicate district_id", Student, lambda s: f.student(district_id="D-1"),
     "uq_students_district_id"),
    ("status holiday", AttendanceRecord,
     lambda s: f.attendance(s["student"]["id"], status="holiday"), "ck_attendance_records_status"),
    ("duplicate (student_id, date, period)", AttendanceRecord,
     lambda s: f.attendance(s["student"]["id"], period=2, status="absent"),
     # SQLite checks the natural-key index (migration 0002) first, PostgreSQL the spec's UNIQUE
     ("uq_attendance_records_student_id_date_period", "uq_attendance_natural_key")),
    ("orphan student_id", AttendanceRecord, lambda s: f.attendance(uuid.uuid4()),
     "fk_attendance_records_student_id_students"),
    ("severity_level 0", DisciplineIncident,
     lambda s: f.incident(s["student"]["id"], severity_level=0),
     "ck_discipline_incidents_severity_level"),
    ("risk_category extreme", Prediction,
     lambda s: f.prediction(s["student"]["id"], risk_category="extreme"),
     "ck_predictions_risk_category"),
    ("feedback_type maybe", TrainingFeedback,
     lambda s: f.feedback(s["prediction"]["id"], feedback_type="maybe"),
     "ck_training_feedback_feedback_type"),
    ("orphan prediction_id", TrainingFeedback, lambda s: f.feedback(uuid.uuid4()),
     "fk_training_feedback_prediction_id_predictions"),
    ("duplicate model_version", ModelMetadata, lambda s: f.model(model_version="v1"),
     "uq_model_metadata_model_version"),
]


@pytest.mark.parametrize(("label", "model", "make", "constraint"), BAD_ROWS,
                         ids=[b[0] for b in BAD_ROWS])
def test_bad_row_is_rejected_with_constraint_name(
    engine: sa.Engine, seeded: dict, label: str, model: Any, make: Callable,
    constraint: str | tuple[str, ...],
) -> None:
    allowed = constraint if isinstance(constraint, tuple) else (constraint,)
    table = model.__table__
    before = _snapshot(engine, table)
    with pytest.raises(sa.exc.IntegrityError) as info, engine.begin() as conn:
        conn.execute(sa.insert(table), [make(seeded)])
    violation = as_violation(info.value, table.name)
    assert isinstance(violation, ConstraintViolation)
    assert violation.constraint in allowed
    assert violation.constraint in str(violation)
    assert _snapshot(engine, table) == before


def test_valid_boundary_values_are_accepted(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        s = f.add_student(conn, grade_level=0, gpa=4.0, attendance_rate=1.0)
        f.add_student(conn, grade_level=12, gpa=0.0, attendance_rate=0.0)
        f.insert(conn, DisciplineIncident, **f.incident(s["id"], severity_level=5))
        # period NULL is allowed (schools without period tracking)
        f.insert(conn, AttendanceRecord, **f.attendance(s["id"], period=None))


def test_delete_student_cascades_to_everything(engine: sa.Engine, seeded: dict) -> None:
    with engine.begin() as conn:
        f.insert(conn, TrainingFeedback, **f.feedback(seeded["prediction"]["id"]))
        conn.execute(sa.delete(Student.__table__))
    with engine.connect() as conn:
        for table in (AttendanceRecord, Prediction, TrainingFeedback):
            count = sa.select(sa.func.count()).select_from(table.__table__)
            assert conn.execute(count).scalar() == 0


def test_server_defaults_fill_omitted_columns(engine: sa.Engine) -> None:
    """Raw SQL inserts without id or timestamps still get the spec's defaults."""
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO students (district_id, first_name, last_name, date_of_birth) "
            "VALUES ('RAW-1', 'Raw', 'Insert', '2011-02-03')"))
        row = conn.execute(sa.select(Student.__table__)).mappings().one()
        conn.execute(sa.text("INSERT INTO model_metadata (model_version) VALUES ('raw')"))
        mm = conn.execute(sa.select(ModelMetadata.__table__)).mappings().one()
    assert isinstance(row["id"], uuid.UUID)
    assert row["student_metadata"] == {}
    assert row["enrollment_date"] == dt.date.today() or row["enrollment_date"] is not None
    assert row["created_at"] is not None and row["updated_at"] is not None
    assert mm["is_active"] is False and mm["performance_metrics"] == {}


NATURAL_KEY_DUPLICATES = [
    ("day-level attendance twice", AttendanceRecord,
     lambda sid: f.attendance(sid, period=None), "uq_attendance_natural_key"),
    ("same grade twice", Grade, lambda sid: f.grade(sid), "uq_grades_natural_key"),
    ("same incident twice", DisciplineIncident, lambda sid: f.incident(sid),
     "uq_discipline_natural_key"),
]


@pytest.mark.parametrize(("label", "model", "make", "constraint"), NATURAL_KEY_DUPLICATES,
                         ids=[n[0] for n in NATURAL_KEY_DUPLICATES])
def test_natural_key_duplicates_are_rejected(
    engine: sa.Engine, label: str, model: Any, make: Callable, constraint: str
) -> None:
    with engine.begin() as conn:
        s = f.add_student(conn)
        conn.execute(sa.insert(model.__table__), [make(s["id"])])
    with pytest.raises(sa.exc.IntegrityError) as info, engine.begin() as conn:
        conn.execute(sa.insert(model.__table__), [make(s["id"])])
    assert as_violation(info.value, model.__table__.name).constraint == constraint


def test_at_most_one_active_model_version(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        f.insert(conn, ModelMetadata, **f.model(model_version="v1", is_active=True))
        f.insert(conn, ModelMetadata, **f.model(model_version="v2", is_active=False))
    with pytest.raises(sa.exc.IntegrityError) as info, engine.begin() as conn:
        f.insert(conn, ModelMetadata, **f.model(model_version="v3", is_active=True))
    assert as_violation(info.value, "model_metadata").constraint == "uq_model_metadata_one_active"
