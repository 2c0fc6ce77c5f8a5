"""The history of changes (table audit_log, migration 0004) and one student's view of it.

Who writes what:
- students and predictions: database triggers on both backends, one row per changed row.
- attendance_records, grades, discipline_incidents: one row per student per statement with the
  number of rows changed. PostgreSQL triggers write these (statement-level, transition tables);
  on SQLite the writer calls `record_changes` inside its own transaction. `record_changes` is a
  no-op wherever a trigger already logs the table, so writers call it on every backend.
Only column names are ever recorded, never values: the log holds no names or contacts.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

import sqlalchemy as sa

from edupulse.db.models import ALL_TABLES, AuditLog, Student

ROW_TABLES = ("students", "predictions")
SUMMARY_TABLES = ("attendance_records", "grades", "discipline_incidents")
AUDITED_TABLES = ROW_TABLES + SUMMARY_TABLES
BOOKKEEPING = ("id", "created_at", "updated_at")

UNKNOWN_TABLE = "table {table!r} is not audited; audited tables: {tables}"
UNKNOWN_COLUMNS = "unknown columns of {table}: {columns}"
UPDATE_NEEDS_COLUMNS = "an UPDATE of {table} must name the changed columns"
UNKNOWN_STUDENT = "no student with district_id {district_id!r} in the database"


class Operation(StrEnum):
    INSERT = "INSERT"
    UPDATE = "UPDATE"
    DELETE = "DELETE"


class UnknownStudent(LookupError):
    pass


@dataclass(frozen=True)
class AuditEntry:
    """One audit row; `row_id` is None for a per-student summary of a bulk table."""

    changed_at: dt.datetime
    table_name: str
    operation: str
    row_id: uuid.UUID | None
    student_id: uuid.UUID | None
    row_count: int
    changed_columns: tuple[str, ...] | None
    actor: str | None


@dataclass(frozen=True)
class StudentHistory:
    student_id: uuid.UUID
    entries: tuple[AuditEntry, ...]


def audited_columns(table: str) -> tuple[str, ...]:
    """The columns whose changes count, in table order."""
    if table not in AUDITED_TABLES:
        raise ValueError(UNKNOWN_TABLE.format(table=table, tables=", ".join(AUDITED_TABLES)))
    t = next(t for t in ALL_TABLES if t.name == table)
    return tuple(c.name for c in t.columns if c.name not in BOOKKEEPING)


def logged_by_database(conn: sa.Connection | sa.Engine, table: str) -> bool:
    """Do the database's own triggers record changes to `table` on this backend?"""
    if conn.dialect.name == "postgresql":
        return table in AUDITED_TABLES
    return table in ROW_TABLES


def record_changes(
    conn: sa.Connection,
    table: str,
    operation: Operation | str,
    student_ids: Iterable[uuid.UUID | None] | Mapping[uuid.UUID | None, int],
    columns: Sequence[str] | None = None,
    *,
    actor: str | None = None,
) -> int:
    """Log a statement's changes to `table`: one entry per student. `student_ids` holds the
    student of every changed row (repeats count rows), or is a mapping {student: rows changed}
    such as a Counter. Call it inside the writing transaction so
    the history commits or rolls back with the change. Returns the number of entries written;
    0 where the database's triggers already log `table`."""
    op = Operation(operation)
    known = audited_columns(table)
    if columns is not None:
        unknown = [c for c in columns if c not in known]
        if unknown:
            raise ValueError(UNKNOWN_COLUMNS.format(table=table, columns=", ".join(unknown)))
    if op is Operation.UPDATE and not columns:
        raise ValueError(UPDATE_NEEDS_COLUMNS.format(table=table))
    if logged_by_database(conn, table):
        return 0
    changed = [c for c in known if c in set(columns or ())] if op is Operation.UPDATE else None
    counts = {sid: n for sid, n in Counter(student_ids).items() if n > 0}
    if not counts:
        return 0
    now = dt.datetime.now(dt.UTC)
    rows = [
        dict(changed_at=now, table_name=table, operation=op.value, row_id=None, student_id=sid,
             row_count=n, changed_columns=changed, actor=actor)
        for sid, n in counts.items()
    ]
    conn.execute(sa.insert(AuditLog.__table__), rows)
    return len(rows)


def student_id_for(conn: sa.Connection, district_id: str) -> uuid.UUID:
    sid = conn.execute(
        sa.select(Student.id).where(Student.district_id == district_id)
    ).scalar_one_or_none()
    if sid is None:
        raise UnknownStudent(UNKNOWN_STUDENT.format(district_id=district_id))
    return sid


def student_history(conn: sa.Connection, student_id: uuid.UUID) -> StudentHistory:
    """Every audit entry about one student, oldest first (also after the student was deleted)."""
    a = AuditLog.__table__
    rows = conn.execute(
        sa.select(a).where(a.c.student_id == student_id).order_by(a.c.changed_at, a.c.id)
    ).mappings()
    return StudentHistory(student_id, tuple(_entry(r) for r in rows))


def _entry(r: sa.RowMapping) -> AuditEntry:
    cols = r["changed_columns"]
    return AuditEntry(
        changed_at=r["changed_at"], table_name=r["table_name"], operation=r["operation"],
        row_id=r["row_id"], student_id=r["student_id"], row_count=r["row_count"],
        changed_columns=tuple(cols) if cols is not None else None, actor=r["actor"],
    )
