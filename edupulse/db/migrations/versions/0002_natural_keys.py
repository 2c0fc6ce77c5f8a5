"""Natural keys for the source tables, so loads are idempotent

The spec gives attendance_records UNIQUE(student_id, date, period), which treats NULL periods
as distinct, and no key at all for grades and discipline incidents. These unique indexes make
re-loading the same export change nothing (see docs/input-format.md):
- attendance_records: (student_id, date, COALESCE(period, -1))
- grades: (student_id, course_id, submission_date, COALESCE(assignment_type, ''))
- discipline_incidents: (student_id, incident_date, COALESCE(incident_type, ''))

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "uq_attendance_natural_key",
        "attendance_records",
        ["student_id", "date", sa.text("coalesce(period, -1)")],
        unique=True,
    )
    op.create_index(
        "uq_grades_natural_key",
        "grades",
        ["student_id", "course_id", "submission_date", sa.text("coalesce(assignment_type, '')")],
        unique=True,
    )
    op.create_index(
        "uq_discipline_natural_key",
        "discipline_incidents",
        ["student_id", "incident_date", sa.text("coalesce(incident_type, '')")],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("uq_discipline_natural_key", table_name="discipline_incidents")
    op.drop_index("uq_grades_natural_key", table_name="grades")
    op.drop_index("uq_attendance_natural_key", table_name="attendance_records")
