"""Tiny row builders for database tests (valid by default; override a field to break it)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa

from edupulse.db.models import (
    AttendanceRecord,
    DisciplineIncident,
    Grade,
    ModelMetadata,
    Prediction,
    Student,
    TrainingFeedback,
)


def student(**kw: Any) -> dict[str, Any]:
    row = dict(
        id=uuid.uuid4(), district_id=f"S{uuid.uuid4().hex[:8]}", first_name="Ada",
        last_name="Example", grade_level=9, date_of_birth=dt.date(2010, 5, 1), gender="F",
        ethnicity="Hispanic", socioeconomic_status="low", gpa=3.1, attendance_rate=0.95,
        parent_contact="555-0100", enrollment_date=dt.date(2024, 8, 26),
    )
    row.update(kw)
    return row


def insert(conn: sa.Connection, model: Any, **row: Any) -> dict[str, Any]:
    conn.execute(sa.insert(model.__table__), [row])
    return row


def add_student(conn: sa.Connection, **kw: Any) -> dict[str, Any]:
    return insert(conn, Student, **student(**kw))


def attendance(student_id: uuid.UUID, **kw: Any) -> dict[str, Any]:
    return dict(id=uuid.uuid4(), student_id=student_id, date=dt.date(2025, 1, 6),
                status="present", period=1) | kw


def grade(student_id: uuid.UUID, **kw: Any) -> dict[str, Any]:
    return dict(id=uuid.uuid4(), student_id=student_id, course_id="MATH9", course_name="Algebra",
                grade_value=85.0, grade_letter="B", submission_date=dt.date(2025, 1, 6),
                assignment_type="test") | kw


def incident(student_id: uuid.UUID, **kw: Any) -> dict[str, Any]:
    return dict(id=uuid.uuid4(), student_id=student_id, incident_date=dt.date(2025, 1, 6),
                severity_level=2, incident_type="disruption") | kw


def prediction(student_id: uuid.UUID, **kw: Any) -> dict[str, Any]:
    return dict(id=uuid.uuid4(), student_id=student_id, risk_score=0.5, risk_category="medium",
                confidence=0.8, model_version="v1") | kw


def feedback(prediction_id: uuid.UUID, **kw: Any) -> dict[str, Any]:
    return dict(id=uuid.uuid4(), prediction_id=prediction_id, feedback_type="true_positive") | kw


def model(**kw: Any) -> dict[str, Any]:
    return dict(id=uuid.uuid4(), model_version="v1", model_type="logistic") | kw


MODELS = dict(attendance=AttendanceRecord, grade=Grade, incident=DisciplineIncident,
              prediction=Prediction, feedback=TrainingFeedback, model=ModelMetadata)
