"""students.updated_at moves for every writer that changes a row, and only then."""

from __future__ import annotations

import time

import sqlalchemy as sa

from edupulse.db.models import Student
from tests.db import factories as f


def _updated_at(conn: sa.Connection, sid) -> object:  # type: ignore[no-untyped-def]
    return conn.execute(sa.select(Student.updated_at).where(Student.id == sid)).scalar_one()


def test_raw_sql_update_moves_updated_at(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        s = f.add_student(conn)
        before = _updated_at(conn, s["id"])
    time.sleep(0.01)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE students SET gpa = 2.5 WHERE district_id = :d"),
                     {"d": s["district_id"]})
        after = _updated_at(conn, s["id"])
    assert after > before


def test_update_that_changes_nothing_keeps_updated_at(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        s = f.add_student(conn, gpa=3.0)
        before = _updated_at(conn, s["id"])
    time.sleep(0.01)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE students SET gpa = 3.0 WHERE district_id = :d"),
                     {"d": s["district_id"]})
        assert _updated_at(conn, s["id"]) == before


def test_json_metadata_change_moves_updated_at(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        s = f.add_student(conn, student_metadata={"school_code": "A"})
        before = _updated_at(conn, s["id"])
    time.sleep(0.01)
    with engine.begin() as conn:
        conn.execute(sa.update(Student.__table__).where(Student.id == s["id"])
                     .values(student_metadata={"school_code": "B"}))
        assert _updated_at(conn, s["id"]) > before
