"""Helpers for the loader's tests: table contents by natural key, checksums, fixture copies."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import sqlalchemy as sa

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[2]
SOURCE_TABLES = ("students", "attendance_records", "grades", "discipline_incidents")

# Every stored column but the generated ones (ids, timestamps); student_id shown as district_id.
_CONTENT = {
    "students": "s.district_id, s.first_name, s.last_name, s.grade_level, s.date_of_birth, "
                "s.gender, s.ethnicity, s.socioeconomic_status, s.gpa, s.attendance_rate, "
                "s.parent_contact, s.enrollment_date, s.student_metadata",
    "attendance_records": "s.district_id, t.date, t.status, t.period",
    "grades": "s.district_id, t.course_id, t.course_name, t.grade_value, t.grade_letter, "
              "t.submission_date, t.assignment_type",
    "discipline_incidents": "s.district_id, t.incident_date, t.severity_level, t.incident_type, "
                            "t.description, t.resolution",
}


def table_rows(conn: sa.Connection, table: str) -> list[tuple]:
    """A table's content (no ids or timestamps), sorted, comparable across databases."""
    if table == "students":
        sql = f"SELECT {_CONTENT[table]} FROM students s"
    else:
        sql = f"SELECT {_CONTENT[table]} FROM {table} t JOIN students s ON s.id = t.student_id"
    rows = conn.execute(sa.text(sql)).all()
    return sorted((tuple(_plain(v) for v in r) for r in rows), key=repr)


def _plain(value: object) -> object:
    if isinstance(value, str) and value.startswith("{"):
        import json

        return json.dumps(json.loads(value), sort_keys=True)
    if isinstance(value, dict):
        import json

        return json.dumps(value, sort_keys=True)
    return str(value) if value is not None and not isinstance(value, int | float) else value


def snapshot(engine: sa.Engine) -> dict[str, tuple[int, str]]:
    """(row count, SHA-256 of every column incl. ids and timestamps) per source table."""
    out = {}
    with engine.connect() as conn:
        for table in (*SOURCE_TABLES, "audit_log"):
            rows = conn.execute(sa.text(f"SELECT * FROM {table}")).all()
            digest = hashlib.sha256(repr(sorted(map(repr, rows))).encode()).hexdigest()
            out[table] = (len(rows), digest)
    return out


def copy_fixture(name: str, dest: Path) -> Path:
    """A writable copy of tests/data/fixtures/<name>."""
    target = dest / name
    shutil.copytree(FIXTURES / name, target)
    return target
