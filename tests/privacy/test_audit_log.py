"""The audit log records every change to students and predictions, and per-student summaries of
the bulk tables, with the same rows on PostgreSQL (triggers) and SQLite (triggers + the
application's record_changes); values are never copied."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from edupulse.db.models import AttendanceRecord, AuditLog, Student
from edupulse.privacy import audit_log as al
from tests.db import factories as f

A = AttendanceRecord.__table__
P = f.MODELS["prediction"].__table__


def _entries(conn: sa.Connection, table: str | None = None) -> list[al.AuditEntry]:
    a = AuditLog.__table__
    q = sa.select(a).order_by(a.c.id)
    if table:
        q = q.where(a.c.table_name == table)
    return [al._entry(r) for r in conn.execute(q).mappings()]


def _summary(entries: list[al.AuditEntry]) -> set[tuple]:
    return {(e.table_name, e.operation, e.student_id, e.row_count, e.changed_columns)
            for e in entries}


def test_student_insert_update_delete_are_logged_without_values(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        s = f.add_student(conn, first_name="Zebediah", last_name="Quartermaine")
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE students SET gpa = 1.5, first_name = 'Bartholomew', "
                             "parent_contact = '555-9999' WHERE district_id = :d"),
                     {"d": s["district_id"]})
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM students WHERE district_id = :d"),
                     {"d": s["district_id"]})
        entries = _entries(conn)
        raw = " ".join(str(tuple(r)) for r in conn.execute(sa.select(AuditLog.__table__)))
    assert [(e.table_name, e.operation, e.row_id, e.student_id, e.row_count) for e in entries] == [
        ("students", "INSERT", s["id"], s["id"], 1),
        ("students", "UPDATE", s["id"], s["id"], 1),
        ("students", "DELETE", s["id"], s["id"], 1),
    ]
    assert entries[1].changed_columns == ("first_name", "gpa", "parent_contact")  # table order
    assert entries[0].changed_columns is None and entries[2].changed_columns is None
    for value in ("Zebediah", "Quartermaine", "Bartholomew", "555-9999", s["district_id"]):
        assert value not in raw


def test_update_that_changes_nothing_is_not_logged(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        s = f.add_student(conn, gpa=3.0)
        conn.execute(sa.update(Student.__table__).where(Student.id == s["id"]).values(gpa=3.0))
        assert [e.operation for e in _entries(conn)] == ["INSERT"]


def test_upsert_of_a_changed_student_is_an_update(engine: sa.Engine) -> None:
    """The loader's path: INSERT ... ON CONFLICT (district_id) DO UPDATE."""
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    with engine.begin() as conn:
        s = f.add_student(conn, grade_level=9)
        row = f.student(district_id=s["district_id"], grade_level=10)
        stmt = dialect.insert(Student.__table__).values(row)
        conn.execute(stmt.on_conflict_do_update(
            index_elements=["district_id"], set_={"grade_level": stmt.excluded.grade_level}))
        entries = _entries(conn)
    assert [(e.operation, e.row_id, e.changed_columns) for e in entries] == [
        ("INSERT", s["id"], None), ("UPDATE", s["id"], ("grade_level",))]


def test_predictions_are_logged_per_row_including_cascaded_deletes(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        s = f.add_student(conn)
        p1 = f.insert(conn, f.MODELS["prediction"], **f.prediction(s["id"]))
        p2 = f.insert(conn, f.MODELS["prediction"], **f.prediction(s["id"], risk_score=0.9,
                                                                    risk_category="high"))
        conn.execute(sa.update(P).where(P.c.id == p2["id"]).values(risk_category="critical"))
    with engine.begin() as conn:
        conn.execute(sa.delete(Student.__table__).where(Student.id == s["id"]))
        preds = _entries(conn, "predictions")
    assert sorted((e.operation, e.row_id) for e in preds) == sorted([
        ("INSERT", p1["id"]), ("INSERT", p2["id"]), ("UPDATE", p2["id"]),
        ("DELETE", p1["id"]), ("DELETE", p2["id"])])
    assert {e.student_id for e in preds} == {s["id"]}
    assert next(e for e in preds if e.operation == "UPDATE").changed_columns == ("risk_category",)


def test_bulk_tables_get_one_summary_per_student_on_both_backends(engine: sa.Engine) -> None:
    pg = engine.dialect.name == "postgresql"
    with engine.begin() as conn:
        a, b = f.add_student(conn)["id"], f.add_student(conn)["id"]
        days = [dt.date(2025, 1, d) for d in (6, 7, 8)]
        rows = [f.attendance(a, date=d) for d in days] + [f.attendance(b, date=d) for d in days[:2]]
        conn.execute(sa.insert(A), rows)  # one statement
        written = al.record_changes(conn, "attendance_records", "INSERT", [a, a, a, b, b])
        assert written == (0 if pg else 2)  # PostgreSQL's trigger already logged it
    with engine.begin() as conn:
        conn.execute(sa.update(A).where(A.c.student_id == a, A.c.date < days[2])
                     .values(status="absent"))
        al.record_changes(conn, "attendance_records", "UPDATE", [a, a], ["status"])
        conn.execute(sa.delete(A).where(A.c.student_id == b))
        al.record_changes(conn, "attendance_records", "DELETE", [b, b])
        entries = _entries(conn, "attendance_records")
    assert _summary(entries) == {
        ("attendance_records", "INSERT", a, 3, None),
        ("attendance_records", "INSERT", b, 2, None),
        ("attendance_records", "UPDATE", a, 2, ("status",)),
        ("attendance_records", "DELETE", b, 2, None),
    }
    assert all(e.row_id is None for e in entries)


def test_history_rolls_back_with_the_change(engine: sa.Engine) -> None:
    with pytest.raises(RuntimeError), engine.begin() as conn:
        f.add_student(conn)
        raise RuntimeError("load killed part-way")
    with engine.connect() as conn:
        assert _entries(conn) == []


def test_student_history_outlives_the_student(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        s = f.add_student(conn)
        other = f.add_student(conn)
        f.insert(conn, f.MODELS["prediction"], **f.prediction(s["id"]))
        sid = al.student_id_for(conn, s["district_id"])
        conn.execute(sa.delete(Student.__table__).where(Student.id == s["id"]))
        history = al.student_history(conn, sid)
        with pytest.raises(al.UnknownStudent, match="no student with district_id 'nope'"):
            al.student_id_for(conn, "nope")
    assert sid == s["id"] and other["id"] not in {e.student_id for e in history.entries}
    seen = [(e.table_name, e.operation) for e in history.entries]
    assert seen[:2] == [("students", "INSERT"), ("predictions", "INSERT")]
    # the cascade's order within one statement differs between the backends
    assert sorted(seen[2:]) == [("predictions", "DELETE"), ("students", "DELETE")]


@pytest.mark.parametrize(
    ("table", "op", "columns", "message"),
    [
        ("student_features", "INSERT", None, "table 'student_features' is not audited"),
        ("grades", "UPDATE", ["gpa"], "unknown columns of grades: gpa"),
        ("grades", "UPDATE", None, "an UPDATE of grades must name the changed columns"),
        ("grades", "UPSERT", None, "'UPSERT' is not a valid Operation"),
    ],
)
def test_record_changes_rejects_bad_calls(engine: sa.Engine, table, op, columns, message) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn, pytest.raises(ValueError, match=message):
        al.record_changes(conn, table, op, [], columns)
