"""The spec's eight tables (schema v1.0), column for column; no query logic lives here.

Names, types, nullability, CHECK and UNIQUE constraints, ON DELETE CASCADE foreign keys,
defaults and index names follow shared/spec/database-schema.md exactly. CHECK constraints carry
names so that both backends report which rule a rejected row broke.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from edupulse.db.base import Base, JSONType, new_uuid, utc_now

TZ = sa.DateTime(timezone=True)


def _id() -> Mapped[uuid.UUID]:
    return mapped_column(sa.Uuid(), primary_key=True, default=uuid.uuid4, server_default=new_uuid())


def _created() -> Mapped[dt.datetime | None]:
    return mapped_column(TZ, server_default=utc_now())


def _student_fk() -> Mapped[uuid.UUID | None]:
    return mapped_column(sa.Uuid(), sa.ForeignKey("students.id", ondelete="CASCADE"))


class Student(Base):
    __tablename__ = "students"

    id: Mapped[uuid.UUID] = _id()
    district_id: Mapped[str] = mapped_column(sa.String(50), nullable=False, unique=True)
    first_name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    last_name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    grade_level: Mapped[int | None] = mapped_column(sa.Integer)
    date_of_birth: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    gender: Mapped[str | None] = mapped_column(sa.String(10))
    ethnicity: Mapped[str | None] = mapped_column(sa.String(100))
    socioeconomic_status: Mapped[str | None] = mapped_column(sa.String(50))
    gpa: Mapped[float | None] = mapped_column(sa.REAL)
    attendance_rate: Mapped[float | None] = mapped_column(sa.REAL)
    parent_contact: Mapped[str | None] = mapped_column(sa.String(200))
    enrollment_date: Mapped[dt.date | None] = mapped_column(
        sa.Date, server_default=sa.text("CURRENT_DATE")
    )
    student_metadata: Mapped[dict[str, Any] | None] = mapped_column(
        JSONType, server_default=sa.text("'{}'")
    )
    created_at: Mapped[dt.datetime | None] = _created()
    updated_at: Mapped[dt.datetime | None] = mapped_column(TZ, server_default=utc_now())

    __table_args__ = (
        sa.CheckConstraint("grade_level >= 0 AND grade_level <= 12", name="grade_level"),
        sa.CheckConstraint("gpa >= 0 AND gpa <= 4.0", name="gpa"),
        sa.CheckConstraint(
            "attendance_rate >= 0 AND attendance_rate <= 1.0", name="attendance_rate"
        ),
        sa.Index("idx_students_district_id", "district_id"),
        sa.Index("idx_students_grade_level", "grade_level"),
        sa.Index("idx_students_enrollment_date", "enrollment_date"),
        sa.Index("idx_students_created_at", "created_at"),
    )


class AttendanceRecord(Base):
    __tablename__ = "attendance_records"

    id: Mapped[uuid.UUID] = _id()
    student_id: Mapped[uuid.UUID | None] = _student_fk()
    date: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    status: Mapped[str | None] = mapped_column(sa.String(20))
    period: Mapped[int | None] = mapped_column(sa.Integer)
    created_at: Mapped[dt.datetime | None] = _created()

    __table_args__ = (
        sa.CheckConstraint("status IN ('present', 'absent', 'tardy', 'excused')", name="status"),
        sa.UniqueConstraint("student_id", "date", "period"),
        sa.Index("idx_attendance_student_date", "student_id", "date"),
        sa.Index("idx_attendance_date_status", "date", "status"),
        sa.Index("idx_attendance_status", "status"),
        # Natural key (migration 0002): the spec's UNIQUE treats NULL periods as distinct, so a
        # day-level record (period NULL) could be stored twice without this.
        sa.Index(
            "uq_attendance_natural_key", "student_id", "date",
            sa.func.coalesce(sa.column("period"), -1), unique=True,
        ),
    )


class Grade(Base):
    __tablename__ = "grades"

    id: Mapped[uuid.UUID] = _id()
    student_id: Mapped[uuid.UUID | None] = _student_fk()
    course_id: Mapped[str] = mapped_column(sa.String(50), nullable=False)
    course_name: Mapped[str | None] = mapped_column(sa.String(200))
    grade_value: Mapped[float | None] = mapped_column(sa.REAL)
    grade_letter: Mapped[str | None] = mapped_column(sa.String(2))
    submission_date: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    assignment_type: Mapped[str | None] = mapped_column(sa.String(50))
    created_at: Mapped[dt.datetime | None] = _created()

    __table_args__ = (
        sa.CheckConstraint("grade_value >= 0 AND grade_value <= 100", name="grade_value"),
        sa.Index("idx_grades_student_course", "student_id", "course_id"),
        sa.Index("idx_grades_submission_date", "submission_date"),
        sa.Index("idx_grades_course_id", "course_id"),
        sa.Index("idx_grades_assignment_type", "assignment_type"),
        # Natural key (migration 0002): one grade per student, course, day and assignment type.
        sa.Index(
            "uq_grades_natural_key", "student_id", "course_id", "submission_date",
            sa.func.coalesce(sa.column("assignment_type"), ""), unique=True,
        ),
    )


class DisciplineIncident(Base):
    __tablename__ = "discipline_incidents"

    id: Mapped[uuid.UUID] = _id()
    student_id: Mapped[uuid.UUID | None] = _student_fk()
    incident_date: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    severity_level: Mapped[int | None] = mapped_column(sa.Integer)
    incident_type: Mapped[str | None] = mapped_column(sa.String(100))
    description: Mapped[str | None] = mapped_column(sa.Text)
    resolution: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[dt.datetime | None] = _created()

    __table_args__ = (
        sa.CheckConstraint("severity_level >= 1 AND severity_level <= 5", name="severity_level"),
        sa.Index("idx_discipline_student_date", "student_id", "incident_date"),
        sa.Index("idx_discipline_severity", "severity_level"),
        sa.Index("idx_discipline_type", "incident_type"),
        # Natural key (migration 0002): one incident of a type per student and day.
        sa.Index(
            "uq_discipline_natural_key", "student_id", "incident_date",
            sa.func.coalesce(sa.column("incident_type"), ""), unique=True,
        ),
    )


class StudentFeature(Base):
    __tablename__ = "student_features"

    student_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid(), sa.ForeignKey("students.id", ondelete="CASCADE"), primary_key=True
    )
    feature_date: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True)
    attendance_rate: Mapped[float | None] = mapped_column(sa.REAL)
    gpa_current: Mapped[float | None] = mapped_column(sa.REAL)
    discipline_incidents: Mapped[int | None] = mapped_column(
        sa.Integer, server_default=sa.text("0")
    )
    feature_vector: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    created_at: Mapped[dt.datetime | None] = _created()

    __table_args__ = (
        sa.CheckConstraint("attendance_rate >= 0 AND attendance_rate <= 1", name="attendance_rate"),
        sa.CheckConstraint("gpa_current >= 0 AND gpa_current <= 5", name="gpa_current"),
        sa.CheckConstraint("discipline_incidents >= 0", name="discipline_incidents"),
        sa.UniqueConstraint("student_id", "feature_date"),
        sa.Index("idx_features_date", "feature_date"),
        sa.Index("idx_features_student_date", "student_id", "feature_date"),
    )


class Prediction(Base):
    __tablename__ = "predictions"

    id: Mapped[uuid.UUID] = _id()
    student_id: Mapped[uuid.UUID | None] = _student_fk()
    prediction_date: Mapped[dt.datetime | None] = mapped_column(TZ, server_default=utc_now())
    risk_score: Mapped[float | None] = mapped_column(sa.REAL)
    risk_category: Mapped[str | None] = mapped_column(sa.String(20))
    confidence: Mapped[float | None] = mapped_column(sa.REAL)
    risk_factors: Mapped[list[dict[str, Any]] | None] = mapped_column(
        JSONType, server_default=sa.text("'[]'")
    )
    model_version: Mapped[str | None] = mapped_column(sa.String(50))
    created_at: Mapped[dt.datetime | None] = _created()

    __table_args__ = (
        sa.CheckConstraint("risk_score >= 0 AND risk_score <= 1", name="risk_score"),
        sa.CheckConstraint(
            "risk_category IN ('low', 'medium', 'high', 'critical')", name="risk_category"
        ),
        sa.CheckConstraint("confidence >= 0 AND confidence <= 1", name="confidence"),
        sa.Index("idx_predictions_student", "student_id"),
        sa.Index("idx_predictions_date", "prediction_date"),
        sa.Index("idx_predictions_risk_category", "risk_category"),
        sa.Index("idx_predictions_model_version", "model_version"),
    )


class TrainingFeedback(Base):
    __tablename__ = "training_feedback"

    id: Mapped[uuid.UUID] = _id()
    prediction_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.Uuid(), sa.ForeignKey("predictions.id", ondelete="CASCADE")
    )
    outcome_date: Mapped[dt.date | None] = mapped_column(sa.Date)
    outcome_type: Mapped[str | None] = mapped_column(sa.String(50))
    feedback_type: Mapped[str | None] = mapped_column(sa.String(50))
    educator_notes: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime | None] = _created()

    __table_args__ = (
        sa.CheckConstraint(
            "feedback_type IN ('true_positive', 'false_positive', 'true_negative', "
            "'false_negative')",
            name="feedback_type",
        ),
        sa.Index("idx_feedback_prediction", "prediction_id"),
        sa.Index("idx_feedback_type", "feedback_type"),
        sa.Index("idx_feedback_outcome_date", "outcome_date"),
    )


class ModelMetadata(Base):
    __tablename__ = "model_metadata"

    id: Mapped[uuid.UUID] = _id()
    model_version: Mapped[str] = mapped_column(sa.String(50), nullable=False, unique=True)
    model_type: Mapped[str | None] = mapped_column(sa.String(50))
    training_date: Mapped[dt.datetime | None] = mapped_column(TZ, server_default=utc_now())
    performance_metrics: Mapped[dict[str, Any] | None] = mapped_column(
        JSONType, server_default=sa.text("'{}'")
    )
    hyperparameters: Mapped[dict[str, Any] | None] = mapped_column(
        JSONType, server_default=sa.text("'{}'")
    )
    is_active: Mapped[bool | None] = mapped_column(sa.Boolean, server_default=sa.false())
    created_at: Mapped[dt.datetime | None] = _created()

    __table_args__ = (
        sa.Index("idx_model_version", "model_version"),
        sa.Index("idx_model_active", "is_active"),
        sa.Index("idx_model_training_date", "training_date"),
        # At most one active version (migration 0003), on both backends.
        sa.Index(
            "uq_model_metadata_one_active", "is_active", unique=True,
            postgresql_where=sa.text("is_active"), sqlite_where=sa.text("is_active"),
        ),
    )


class ModelActivation(Base):
    """When each model version was active: model_metadata keeps only the current flag, and the
    MLflow registry keeps no history of which version was live when (migration 0003)."""

    __tablename__ = "model_activations"

    id: Mapped[uuid.UUID] = _id()
    model_version: Mapped[str] = mapped_column(
        sa.String(50),
        sa.ForeignKey("model_metadata.model_version", ondelete="CASCADE"),
        nullable=False,
    )
    activated_at: Mapped[dt.datetime] = mapped_column(TZ, nullable=False)
    retired_at: Mapped[dt.datetime | None] = mapped_column(TZ)
    mlflow_run_id: Mapped[str | None] = mapped_column(sa.String(64))
    registry_version: Mapped[str | None] = mapped_column(sa.String(20))
    forced: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, server_default=sa.false())
    reason: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime | None] = _created()

    __table_args__ = (
        sa.CheckConstraint(
            "retired_at IS NULL OR retired_at >= activated_at", name="retired_after_activated"
        ),
        sa.Index("idx_model_activations_version", "model_version"),
        sa.Index("idx_model_activations_period", "activated_at", "retired_at"),
    )


TABLES = [
    Student.__table__,
    AttendanceRecord.__table__,
    Grade.__table__,
    DisciplineIncident.__table__,
    StudentFeature.__table__,
    Prediction.__table__,
    TrainingFeedback.__table__,
    ModelMetadata.__table__,
]
# The spec's tables plus the ones EduPulse adds through later migrations.
ALL_TABLES = [*TABLES, ModelActivation.__table__]


class AuditLog(Base):
    """History of changes (migration 0004): one row per insert, update or delete of a student or
    a prediction, and one row per student per statement for attendance, grades and incidents.

    Only column NAMES are recorded, never values, so the log itself holds no names, contacts or
    dates of birth. No foreign key to students: the history must outlive a deleted student.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    changed_at: Mapped[dt.datetime] = mapped_column(TZ, nullable=False, server_default=utc_now())
    table_name: Mapped[str] = mapped_column(sa.String(63), nullable=False)
    operation: Mapped[str] = mapped_column(sa.String(6), nullable=False)
    row_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid())
    student_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid())
    row_count: Mapped[int] = mapped_column(sa.Integer, nullable=False, server_default=sa.text("1"))
    changed_columns: Mapped[list[str] | None] = mapped_column(JSONType)
    actor: Mapped[str | None] = mapped_column(sa.String(63))

    __table_args__ = (
        sa.CheckConstraint("operation IN ('INSERT', 'UPDATE', 'DELETE')", name="operation"),
        sa.CheckConstraint("row_count >= 1", name="row_count"),
        sa.Index("idx_audit_log_student", "student_id", "changed_at"),
        sa.Index("idx_audit_log_table_row", "table_name", "row_id"),
        sa.Index("idx_audit_log_changed_at", "changed_at"),
    )


ALL_TABLES.append(AuditLog.__table__)
