"""Audit log: a history of changes to students, predictions and the student record tables

audit_log gets one row per inserted, updated or deleted student or prediction (row_id set), and
one row per student per statement for attendance_records, grades and discipline_incidents
(row_id NULL, row_count = rows changed), so a bulk load of millions of rows adds thousands of
audit rows, not millions. Only column names are recorded, never values.

PostgreSQL: statement-level AFTER triggers with transition tables (set-based, one INSERT ...
SELECT per statement), SECURITY DEFINER so district roles can write history but not read or
forge it. SQLite: row-level triggers give the same rows for students and predictions; summaries
of the bulk tables are written by the application (edupulse.privacy.audit_log.record_changes),
because a row trigger per attendance record would double the cost of a load.

Self-contained on purpose: the audited column lists are frozen here as of this revision.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

# Audited columns per table (id, created_at and updated_at are bookkeeping, not changes).
ROW_TABLES = {
    "students": (
        "district_id", "first_name", "last_name", "grade_level", "date_of_birth", "gender",
        "ethnicity", "socioeconomic_status", "gpa", "attendance_rate", "parent_contact",
        "enrollment_date", "student_metadata",
    ),
    "predictions": (
        "student_id", "prediction_date", "risk_score", "risk_category", "confidence",
        "risk_factors", "model_version",
    ),
}
SUMMARY_TABLES = {
    "attendance_records": ("student_id", "date", "status", "period"),
    "grades": (
        "student_id", "course_id", "course_name", "grade_value", "grade_letter",
        "submission_date", "assignment_type",
    ),
    "discipline_incidents": (
        "student_id", "incident_date", "severity_level", "incident_type", "description",
        "resolution",
    ),
}
OPERATIONS = ("INSERT", "UPDATE", "DELETE")
COLUMNS = "changed_at, table_name, operation, row_id, student_id, row_count, changed_columns, actor"


def upgrade() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    now = sa.text("NOW()" if pg else "(strftime('%Y-%m-%d %H:%M:%f', 'now'))")
    op.create_table(
        "audit_log",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True, nullable=False,
        ),
        sa.Column("changed_at", sa.DateTime(timezone=True), server_default=now, nullable=False),
        sa.Column("table_name", sa.String(length=63), nullable=False),
        sa.Column("operation", sa.String(length=6), nullable=False),
        sa.Column("row_id", sa.Uuid(), nullable=True),
        sa.Column("student_id", sa.Uuid(), nullable=True),
        sa.Column("row_count", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("changed_columns", JSON, nullable=True),
        sa.Column("actor", sa.String(length=63), nullable=True),
        sa.CheckConstraint(
            "operation IN ('INSERT', 'UPDATE', 'DELETE')", name=op.f("ck_audit_log_operation")
        ),
        sa.CheckConstraint("row_count >= 1", name=op.f("ck_audit_log_row_count")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index("idx_audit_log_student", "audit_log", ["student_id", "changed_at"])
    op.create_index("idx_audit_log_table_row", "audit_log", ["table_name", "row_id"])
    op.create_index("idx_audit_log_changed_at", "audit_log", ["changed_at"])
    for stmt in _pg_create() if pg else _sqlite_create():
        op.execute(stmt)


def downgrade() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    for stmt in _pg_drop() if pg else _sqlite_drop():
        op.execute(stmt)
    op.drop_index("idx_audit_log_changed_at", table_name="audit_log")
    op.drop_index("idx_audit_log_table_row", table_name="audit_log")
    op.drop_index("idx_audit_log_student", table_name="audit_log")
    op.drop_table("audit_log")


# --- PostgreSQL: statement-level triggers with transition tables ---------------------------


def _pg_changed(columns: tuple[str, ...]) -> tuple[str, str]:
    """(jsonb array of the changed column names, condition 'some column changed')."""
    cases = ", ".join(
        f"CASE WHEN n.{c} IS DISTINCT FROM o.{c} THEN '{c}' END" for c in columns
    )
    names = f"to_jsonb(array_remove(ARRAY[{cases}]::text[], NULL))"
    return names, " OR ".join(f"n.{c} IS DISTINCT FROM o.{c}" for c in columns)


def _pg_row_function(table: str, columns: tuple[str, ...]) -> str:
    student = "id" if table == "students" else "student_id"
    names, changed = _pg_changed(columns)
    head = f"INSERT INTO audit_log ({COLUMNS})\n        SELECT statement_timestamp(), TG_TABLE_NAME"
    return f"""CREATE OR REPLACE FUNCTION edupulse_audit_{table}() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {head}, 'INSERT', n.id, n.{student}, 1, NULL, session_user FROM new_rows n;
    ELSIF TG_OP = 'DELETE' THEN
        {head}, 'DELETE', o.id, o.{student}, 1, NULL, session_user FROM old_rows o;
    ELSE
        {head}, 'UPDATE', n.id, n.{student}, 1, {names}, session_user
        FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE {changed};
    END IF;
    RETURN NULL;
END;
$$"""


def _pg_summary_function(table: str, columns: tuple[str, ...]) -> str:
    flags = ", ".join(f"n.{c} IS DISTINCT FROM o.{c} AS c_{c}" for c in columns)
    union = ", ".join(f"CASE WHEN bool_or(ch.c_{c}) THEN '{c}' END" for c in columns)
    any_changed = " OR ".join(f"ch.c_{c}" for c in columns)
    head = f"INSERT INTO audit_log ({COLUMNS})\n        SELECT statement_timestamp(), TG_TABLE_NAME"
    return f"""CREATE OR REPLACE FUNCTION edupulse_audit_{table}() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {head}, 'INSERT', NULL, n.student_id, count(*), NULL, session_user
        FROM new_rows n GROUP BY n.student_id;
    ELSIF TG_OP = 'DELETE' THEN
        {head}, 'DELETE', NULL, o.student_id, count(*), NULL, session_user
        FROM old_rows o GROUP BY o.student_id;
    ELSE
        {head}, 'UPDATE', NULL, ch.student_id, count(*),
               to_jsonb(array_remove(ARRAY[{union}]::text[], NULL)), session_user
        FROM (SELECT n.student_id, {flags}
              FROM new_rows n JOIN old_rows o ON o.id = n.id) ch
        WHERE {any_changed}
        GROUP BY ch.student_id;
    END IF;
    RETURN NULL;
END;
$$"""


def _pg_triggers(table: str) -> list[str]:
    referencing = {
        "INSERT": "NEW TABLE AS new_rows",
        "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "DELETE": "OLD TABLE AS old_rows",
    }
    return [
        f"CREATE TRIGGER trg_audit_{table}_{o.lower()} AFTER {o} ON {table} "
        f"REFERENCING {referencing[o]} FOR EACH STATEMENT "
        f"EXECUTE FUNCTION edupulse_audit_{table}()"
        for o in OPERATIONS
    ]


def _pg_create() -> list[str]:
    stmts = [
        "REVOKE ALL ON audit_log FROM PUBLIC",
    ]
    for table, columns in ROW_TABLES.items():
        stmts += [_pg_row_function(table, columns), *_pg_triggers(table)]
    for table, columns in SUMMARY_TABLES.items():
        stmts += [_pg_summary_function(table, columns), *_pg_triggers(table)]
    return stmts


def _pg_drop() -> list[str]:
    stmts = []
    for table in (*ROW_TABLES, *SUMMARY_TABLES):
        stmts += [f"DROP TRIGGER IF EXISTS trg_audit_{table}_{o.lower()} ON {table}"
                  for o in OPERATIONS]
        stmts.append(f"DROP FUNCTION IF EXISTS edupulse_audit_{table}()")
    return stmts


# --- SQLite: row-level triggers for students and predictions -------------------------------

_SQLITE_NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now')"


def _sqlite_row_triggers(table: str, columns: tuple[str, ...]) -> list[str]:
    student = "id" if table == "students" else "student_id"
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in columns)
    pieces = " || ".join(f"CASE WHEN NEW.{c} IS NOT OLD.{c} THEN ',\"{c}\"' ELSE '' END"
                         for c in columns)
    names = f"'[' || substr({pieces}, 2) || ']'"
    insert = f"INSERT INTO audit_log ({COLUMNS}) VALUES ({_SQLITE_NOW}, '{table}'"
    return [
        f"""CREATE TRIGGER trg_audit_{table}_insert AFTER INSERT ON {table} FOR EACH ROW
BEGIN
    {insert}, 'INSERT', NEW.id, NEW.{student}, 1, NULL, NULL);
END""",
        f"""CREATE TRIGGER trg_audit_{table}_update AFTER UPDATE ON {table} FOR EACH ROW
WHEN {changed}
BEGIN
    {insert}, 'UPDATE', NEW.id, NEW.{student}, 1, {names}, NULL);
END""",
        f"""CREATE TRIGGER trg_audit_{table}_delete AFTER DELETE ON {table} FOR EACH ROW
BEGIN
    {insert}, 'DELETE', OLD.id, OLD.{student}, 1, NULL, NULL);
END""",
    ]


def _sqlite_create() -> list[str]:
    stmts: list[str] = []
    for table, columns in ROW_TABLES.items():
        stmts += _sqlite_row_triggers(table, columns)
    return stmts


def _sqlite_drop() -> list[str]:
    return [f"DROP TRIGGER IF EXISTS trg_audit_{table}_{o.lower()}"
            for table in ROW_TABLES for o in OPERATIONS]
