"""Retention policies: validated up front, counted first, a dry run changes nothing, applying
deletes or anonymises exactly what is older than each period, and the history records it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa

from edupulse.db.models import AttendanceRecord, AuditLog, DisciplineIncident, Student
from edupulse.privacy import retention as rt
from edupulse.privacy.checksums import table_digests
from tests.privacy.seed import seed

POLICY = """\
version: 1
as_of: 2026-01-01
tables:
  attendance_records: {keep: 3y}              # the 2021 records go
  discipline_incidents: {keep: 6m, action: anonymise}
  predictions: {keep: 6m}
  students: {keep: 2y, action: anonymise}     # left 2023-06-01
  audit_log: {keep: 10y}
"""


def _policy(tmp_path: Path, text: str = POLICY) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(("text", "message"), [
    ("version: 1\ntables:\n  studnets: {keep: 7y}\n",
     "tables.studnets: Input should be 'training_feedback'"),
    ("version: 1\ntables:\n  grades: {keep: forever}\n",
     "tables.grades.keep: expected a period like 90d, 26w, 18m or 7y (got 'forever')"),
    ("version: 1\ntables:\n  grades: {keep: 0y}\n", "tables.grades.keep: expected a period"),
    ("version: 1\ntables:\n  grades: {keep: 1y, actoin: delete}\n",
     "tables.grades.actoin: Extra inputs are not permitted"),
    ("version: 1\ntables:\n  grades: {keep: 1y, action: anonymise}\n",
     "tables.grades.action: only discipline_incidents, students, training_feedback can be "
     "anonymised; use delete"),
    ("version: 2\ntables: {}\n", "version: Input should be 1 (got 2)"),
    ("tables: {}\n", "version: Field required"),
    ("version: 1\nas_of: someday\ntables: {}\n", "as_of: Input should be a valid date"),
    ("version: [1\n", "not valid YAML"),
])
def test_bad_policies_are_refused_with_file_and_key(tmp_path: Path, text: str,
                                                    message: str) -> None:
    path = _policy(tmp_path, text)
    with pytest.raises(rt.PolicyError) as err:
        rt.load_policy(path)
    assert str(err.value).startswith(f"{path}: ") and message in str(err.value)


def test_missing_policy_file(tmp_path: Path) -> None:
    with pytest.raises(rt.PolicyError, match="nope.yaml: cannot read the policy"):
        rt.load_policy(tmp_path / "nope.yaml")


@pytest.mark.parametrize(("keep", "day", "cutoff"), [
    ("1y", dt.date(2024, 2, 29), dt.date(2023, 2, 28)),
    ("1m", dt.date(2025, 3, 31), dt.date(2025, 2, 28)),
    ("18m", dt.date(2025, 1, 15), dt.date(2023, 7, 15)),
    ("2w", dt.date(2025, 1, 15), dt.date(2025, 1, 1)),
    ("90 days", dt.date(2025, 4, 1), dt.date(2025, 1, 1)),
])
def test_periods(keep: str, day: dt.date, cutoff: dt.date) -> None:
    assert rt.Rule(keep=keep).keep.before(day) == cutoff


def test_dry_run_counts_and_changes_nothing(engine: sa.Engine, tmp_path: Path) -> None:
    with engine.begin() as conn:
        seed(conn)
    before = table_digests(engine)
    with engine.connect() as conn:
        steps = rt.plan(conn, rt.load_policy(_policy(tmp_path)))
    assert [(s.table, s.action, s.cutoff, s.rows) for s in steps] == [
        ("predictions", "delete", dt.date(2025, 7, 1), 6),
        ("attendance_records", "delete", dt.date(2023, 1, 1), 6),
        ("discipline_incidents", "anonymise", dt.date(2025, 7, 1), 6),
        ("students", "anonymise", dt.date(2024, 1, 1), 1),
        ("audit_log", "delete", dt.date(2016, 1, 1), 0),
    ]
    assert table_digests(engine) == before


def test_apply_deletes_and_anonymises_then_has_nothing_left_to_do(
    engine: sa.Engine, tmp_path: Path
) -> None:
    with engine.begin() as conn:
        seeded = seed(conn)
    policy = rt.load_policy(_policy(tmp_path))
    with engine.connect() as conn:
        steps = rt.plan(conn, policy)
    done = rt.apply(engine, steps)
    assert done == {s.table: s.rows for s in steps}
    left = seeded.students["D01-000000"]
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.min(AttendanceRecord.date))).scalar_one() == \
            dt.date(2025, 1, 6)
        s = conn.execute(sa.select(Student.__table__).where(Student.id == left)).mappings().one()
        assert (s["first_name"], s["last_name"], s["parent_contact"]) == ("Redacted", "Redacted",
                                                                          None)
        assert s["district_id"] == f"ANON-{left.hex}" and s["date_of_birth"] == dt.date(2010, 7, 1)
        notes = conn.execute(sa.select(DisciplineIncident.description,
                                       DisciplineIncident.resolution)).all()
        assert set(notes) == {(None, None)}
        assert all(step.rows == 0 for step in rt.plan(conn, policy))
        history = conn.execute(sa.select(AuditLog.table_name, AuditLog.operation,
                                         AuditLog.row_count, AuditLog.changed_columns)
                               .where(AuditLog.student_id == left)).all()
    assert ("students", "UPDATE", 1, ["district_id", "first_name", "last_name", "date_of_birth",
                                      "parent_contact"]) in history
    assert ("attendance_records", "DELETE", 1, None) in history
    assert ("discipline_incidents", "UPDATE", 1, ["description", "resolution"]) in history


def test_deleting_students_takes_their_records_and_logs_them(engine: sa.Engine,
                                                             tmp_path: Path) -> None:
    with engine.begin() as conn:
        seeded = seed(conn)
    policy = rt.load_policy(_policy(tmp_path, "version: 1\nas_of: 2026-01-01\ntables:\n"
                                              "  students: {keep: 1y}\n"))
    with engine.connect() as conn:
        steps = rt.plan(conn, policy)
    assert rt.apply(engine, steps) == {"students": 1}
    left = seeded.students["D01-000000"]
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(AttendanceRecord)
                            .where(AttendanceRecord.student_id == left)).scalar_one() == 0
        history = set(conn.execute(sa.select(AuditLog.table_name, AuditLog.operation,
                                             AuditLog.row_count)
                                   .where(AuditLog.student_id == left,
                                          AuditLog.operation == "DELETE")).all())
    assert history == {("students", "DELETE", 1), ("predictions", "DELETE", 1),
                       ("attendance_records", "DELETE", 4), ("grades", "DELETE", 1),
                       ("discipline_incidents", "DELETE", 1)}
