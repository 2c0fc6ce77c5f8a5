"""v1.0 schema: the eight tables of shared/spec/database-schema.md

Self-contained on purpose: a migration must not change when the models change later.

Revision ID: 0001
Revises:
Create Date: 2026-11-25 08:27:02.637425
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    bind = op.get_bind()
    pg = bind.dialect.name == "postgresql"
    if pg:
        op.execute('CREATE EXTENSION IF NOT EXISTS "uuid-ossp"')
        UUID_DEFAULT = sa.text("uuid_generate_v4()")
        NOW = sa.text("NOW()")
    else:
        UUID_DEFAULT = sa.text("(lower(hex(randomblob(16))))")
        NOW = sa.text("(strftime('%Y-%m-%d %H:%M:%f', 'now'))")
    op.create_table(
        "model_metadata",
        sa.Column("id", sa.Uuid(), server_default=UUID_DEFAULT, nullable=False),
        sa.Column("model_version", sa.String(length=50), nullable=False),
        sa.Column("model_type", sa.String(length=50), nullable=True),
        sa.Column("training_date", sa.DateTime(timezone=True), server_default=NOW, nullable=True),
        sa.Column("performance_metrics", JSON, server_default=sa.text("'{}'"), nullable=True),
        sa.Column("hyperparameters", JSON, server_default=sa.text("'{}'"), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.false(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_metadata")),
        sa.UniqueConstraint("model_version", name=op.f("uq_model_metadata_model_version")),
    )
    with op.batch_alter_table("model_metadata", schema=None) as batch_op:
        batch_op.create_index("idx_model_active", ["is_active"], unique=False)
        batch_op.create_index("idx_model_training_date", ["training_date"], unique=False)
        batch_op.create_index("idx_model_version", ["model_version"], unique=False)

    op.create_table(
        "students",
        sa.Column("id", sa.Uuid(), server_default=UUID_DEFAULT, nullable=False),
        sa.Column("district_id", sa.String(length=50), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("grade_level", sa.Integer(), nullable=True),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("gender", sa.String(length=10), nullable=True),
        sa.Column("ethnicity", sa.String(length=100), nullable=True),
        sa.Column("socioeconomic_status", sa.String(length=50), nullable=True),
        sa.Column("gpa", sa.REAL(), nullable=True),
        sa.Column("attendance_rate", sa.REAL(), nullable=True),
        sa.Column("parent_contact", sa.String(length=200), nullable=True),
        sa.Column(
            "enrollment_date", sa.Date(), server_default=sa.text("CURRENT_DATE"), nullable=True
        ),
        sa.Column("student_metadata", JSON, server_default=sa.text("'{}'"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW, nullable=True),
        sa.CheckConstraint(
            "attendance_rate >= 0 AND attendance_rate <= 1.0",
            name=op.f("ck_students_attendance_rate"),
        ),
        sa.CheckConstraint("gpa >= 0 AND gpa <= 4.0", name=op.f("ck_students_gpa")),
        sa.CheckConstraint(
            "grade_level >= 0 AND grade_level <= 12", name=op.f("ck_students_grade_level")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_students")),
        sa.UniqueConstraint("district_id", name=op.f("uq_students_district_id")),
    )
    with op.batch_alter_table("students", schema=None) as batch_op:
        batch_op.create_index("idx_students_created_at", ["created_at"], unique=False)
        batch_op.create_index("idx_students_district_id", ["district_id"], unique=False)
        batch_op.create_index("idx_students_enrollment_date", ["enrollment_date"], unique=False)
        batch_op.create_index("idx_students_grade_level", ["grade_level"], unique=False)

    op.create_table(
        "attendance_records",
        sa.Column("id", sa.Uuid(), server_default=UUID_DEFAULT, nullable=False),
        sa.Column("student_id", sa.Uuid(), nullable=True),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.Column("period", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=True),
        sa.CheckConstraint(
            "status IN ('present', 'absent', 'tardy', 'excused')",
            name=op.f("ck_attendance_records_status"),
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.id"],
            name=op.f("fk_attendance_records_student_id_students"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance_records")),
        sa.UniqueConstraint(
            "student_id",
            "date",
            "period",
            name=op.f("uq_attendance_records_student_id_date_period"),
        ),
    )
    with op.batch_alter_table("attendance_records", schema=None) as batch_op:
        batch_op.create_index("idx_attendance_date_status", ["date", "status"], unique=False)
        batch_op.create_index("idx_attendance_status", ["status"], unique=False)
        batch_op.create_index("idx_attendance_student_date", ["student_id", "date"], unique=False)

    op.create_table(
        "discipline_incidents",
        sa.Column("id", sa.Uuid(), server_default=UUID_DEFAULT, nullable=False),
        sa.Column("student_id", sa.Uuid(), nullable=True),
        sa.Column("incident_date", sa.Date(), nullable=False),
        sa.Column("severity_level", sa.Integer(), nullable=True),
        sa.Column("incident_type", sa.String(length=100), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("resolution", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=True),
        sa.CheckConstraint(
            "severity_level >= 1 AND severity_level <= 5",
            name=op.f("ck_discipline_incidents_severity_level"),
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.id"],
            name=op.f("fk_discipline_incidents_student_id_students"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discipline_incidents")),
    )
    with op.batch_alter_table("discipline_incidents", schema=None) as batch_op:
        batch_op.create_index("idx_discipline_severity", ["severity_level"], unique=False)
        batch_op.create_index(
            "idx_discipline_student_date", ["student_id", "incident_date"], unique=False
        )
        batch_op.create_index("idx_discipline_type", ["incident_type"], unique=False)

    op.create_table(
        "grades",
        sa.Column("id", sa.Uuid(), server_default=UUID_DEFAULT, nullable=False),
        sa.Column("student_id", sa.Uuid(), nullable=True),
        sa.Column("course_id", sa.String(length=50), nullable=False),
        sa.Column("course_name", sa.String(length=200), nullable=True),
        sa.Column("grade_value", sa.REAL(), nullable=True),
        sa.Column("grade_letter", sa.String(length=2), nullable=True),
        sa.Column("submission_date", sa.Date(), nullable=False),
        sa.Column("assignment_type", sa.String(length=50), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=True),
        sa.CheckConstraint(
            "grade_value >= 0 AND grade_value <= 100", name=op.f("ck_grades_grade_value")
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.id"],
            name=op.f("fk_grades_student_id_students"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grades")),
    )
    with op.batch_alter_table("grades", schema=None) as batch_op:
        batch_op.create_index("idx_grades_assignment_type", ["assignment_type"], unique=False)
        batch_op.create_index("idx_grades_course_id", ["course_id"], unique=False)
        batch_op.create_index(
            "idx_grades_student_course", ["student_id", "course_id"], unique=False
        )
        batch_op.create_index("idx_grades_submission_date", ["submission_date"], unique=False)

    op.create_table(
        "predictions",
        sa.Column("id", sa.Uuid(), server_default=UUID_DEFAULT, nullable=False),
        sa.Column("student_id", sa.Uuid(), nullable=True),
        sa.Column("prediction_date", sa.DateTime(timezone=True), server_default=NOW, nullable=True),
        sa.Column("risk_score", sa.REAL(), nullable=True),
        sa.Column("risk_category", sa.String(length=20), nullable=True),
        sa.Column("confidence", sa.REAL(), nullable=True),
        sa.Column("risk_factors", JSON, server_default=sa.text("'[]'"), nullable=True),
        sa.Column("model_version", sa.String(length=50), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=True),
        sa.CheckConstraint(
            "risk_category IN ('low', 'medium', 'high', 'critical')",
            name=op.f("ck_predictions_risk_category"),
        ),
        sa.CheckConstraint(
            "confidence >= 0 AND confidence <= 1", name=op.f("ck_predictions_confidence")
        ),
        sa.CheckConstraint(
            "risk_score >= 0 AND risk_score <= 1", name=op.f("ck_predictions_risk_score")
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.id"],
            name=op.f("fk_predictions_student_id_students"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_predictions")),
    )
    with op.batch_alter_table("predictions", schema=None) as batch_op:
        batch_op.create_index("idx_predictions_date", ["prediction_date"], unique=False)
        batch_op.create_index("idx_predictions_model_version", ["model_version"], unique=False)
        batch_op.create_index("idx_predictions_risk_category", ["risk_category"], unique=False)
        batch_op.create_index("idx_predictions_student", ["student_id"], unique=False)

    op.create_table(
        "student_features",
        sa.Column("student_id", sa.Uuid(), nullable=False),
        sa.Column("feature_date", sa.Date(), nullable=False),
        sa.Column("attendance_rate", sa.REAL(), nullable=True),
        sa.Column("gpa_current", sa.REAL(), nullable=True),
        sa.Column("discipline_incidents", sa.Integer(), server_default=sa.text("0"), nullable=True),
        sa.Column("feature_vector", JSON, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=True),
        sa.CheckConstraint(
            "attendance_rate >= 0 AND attendance_rate <= 1",
            name=op.f("ck_student_features_attendance_rate"),
        ),
        sa.CheckConstraint(
            "discipline_incidents >= 0", name=op.f("ck_student_features_discipline_incidents")
        ),
        sa.CheckConstraint(
            "gpa_current >= 0 AND gpa_current <= 5", name=op.f("ck_student_features_gpa_current")
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.id"],
            name=op.f("fk_student_features_student_id_students"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("student_id", "feature_date", name=op.f("pk_student_features")),
        sa.UniqueConstraint(
            "student_id", "feature_date", name=op.f("uq_student_features_student_id_feature_date")
        ),
    )
    with op.batch_alter_table("student_features", schema=None) as batch_op:
        batch_op.create_index("idx_features_date", ["feature_date"], unique=False)
        batch_op.create_index(
            "idx_features_student_date", ["student_id", "feature_date"], unique=False
        )

    op.create_table(
        "training_feedback",
        sa.Column("id", sa.Uuid(), server_default=UUID_DEFAULT, nullable=False),
        sa.Column("prediction_id", sa.Uuid(), nullable=True),
        sa.Column("outcome_date", sa.Date(), nullable=True),
        sa.Column("outcome_type", sa.String(length=50), nullable=True),
        sa.Column("feedback_type", sa.String(length=50), nullable=True),
        sa.Column("educator_notes", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=True),
        sa.CheckConstraint(
            "feedback_type IN ('true_positive', 'false_positive', 'true_negative', "
            "'false_negative')",
            name=op.f("ck_training_feedback_feedback_type"),
        ),
        sa.ForeignKeyConstraint(
            ["prediction_id"],
            ["predictions.id"],
            name=op.f("fk_training_feedback_prediction_id_predictions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_feedback")),
    )
    with op.batch_alter_table("training_feedback", schema=None) as batch_op:
        batch_op.create_index("idx_feedback_outcome_date", ["outcome_date"], unique=False)
        batch_op.create_index("idx_feedback_prediction", ["prediction_id"], unique=False)
        batch_op.create_index("idx_feedback_type", ["feedback_type"], unique=False)

    for stmt in _trigger_sql(pg, create=True):
        op.execute(stmt)


def downgrade() -> None:
    for stmt in _trigger_sql(op.get_bind().dialect.name == "postgresql", create=False):
        op.execute(stmt)
    with op.batch_alter_table("training_feedback", schema=None) as batch_op:
        batch_op.drop_index("idx_feedback_type")
        batch_op.drop_index("idx_feedback_prediction")
        batch_op.drop_index("idx_feedback_outcome_date")

    op.drop_table("training_feedback")
    with op.batch_alter_table("student_features", schema=None) as batch_op:
        batch_op.drop_index("idx_features_student_date")
        batch_op.drop_index("idx_features_date")

    op.drop_table("student_features")
    with op.batch_alter_table("predictions", schema=None) as batch_op:
        batch_op.drop_index("idx_predictions_student")
        batch_op.drop_index("idx_predictions_risk_category")
        batch_op.drop_index("idx_predictions_model_version")
        batch_op.drop_index("idx_predictions_date")

    op.drop_table("predictions")
    with op.batch_alter_table("grades", schema=None) as batch_op:
        batch_op.drop_index("idx_grades_submission_date")
        batch_op.drop_index("idx_grades_student_course")
        batch_op.drop_index("idx_grades_course_id")
        batch_op.drop_index("idx_grades_assignment_type")

    op.drop_table("grades")
    with op.batch_alter_table("discipline_incidents", schema=None) as batch_op:
        batch_op.drop_index("idx_discipline_type")
        batch_op.drop_index("idx_discipline_student_date")
        batch_op.drop_index("idx_discipline_severity")

    op.drop_table("discipline_incidents")
    with op.batch_alter_table("attendance_records", schema=None) as batch_op:
        batch_op.drop_index("idx_attendance_student_date")
        batch_op.drop_index("idx_attendance_status")
        batch_op.drop_index("idx_attendance_date_status")

    op.drop_table("attendance_records")
    with op.batch_alter_table("students", schema=None) as batch_op:
        batch_op.drop_index("idx_students_grade_level")
        batch_op.drop_index("idx_students_enrollment_date")
        batch_op.drop_index("idx_students_district_id")
        batch_op.drop_index("idx_students_created_at")

    op.drop_table("students")
    with op.batch_alter_table("model_metadata", schema=None) as batch_op:
        batch_op.drop_index("idx_model_version")
        batch_op.drop_index("idx_model_training_date")
        batch_op.drop_index("idx_model_active")

    op.drop_table("model_metadata")


# students.updated_at must move for every writer, not only the ORM (frozen copy of
# edupulse.db.triggers as of this revision).
_STUDENT_COLUMNS = (
    "district_id",
    "first_name",
    "last_name",
    "grade_level",
    "date_of_birth",
    "gender",
    "ethnicity",
    "socioeconomic_status",
    "gpa",
    "attendance_rate",
    "parent_contact",
    "enrollment_date",
    "student_metadata",
)


def _trigger_sql(pg: bool, create: bool) -> list[str]:
    if pg and create:
        return [
            """CREATE OR REPLACE FUNCTION edupulse_touch_updated_at() RETURNS trigger AS $$
BEGIN
    NEW.updated_at := NOW();
    RETURN NEW;
END;
$$ LANGUAGE plpgsql""",
            """CREATE TRIGGER trg_students_updated_at BEFORE UPDATE ON students
FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*)
EXECUTE FUNCTION edupulse_touch_updated_at()""",
        ]
    if pg:
        return [
            "DROP TRIGGER IF EXISTS trg_students_updated_at ON students",
            "DROP FUNCTION IF EXISTS edupulse_touch_updated_at()",
        ]
    if create:
        changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in _STUDENT_COLUMNS)
        return [
            f"""CREATE TRIGGER trg_students_updated_at AFTER UPDATE ON students
FOR EACH ROW WHEN NEW.updated_at IS OLD.updated_at AND ({changed})
BEGIN
    UPDATE students SET updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now') WHERE id = NEW.id;
END"""
        ]
    return ["DROP TRIGGER IF EXISTS trg_students_updated_at"]
