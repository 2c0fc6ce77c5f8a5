"""Notebook 01's aggregates from SQL, on both backends, with figures worked out by hand."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from edupulse.db.models import AttendanceRecord, DisciplineIncident, Grade
from edupulse.workbench import explore
from tests.db import factories as f

MON, FRI = dt.date(2025, 1, 6), dt.date(2025, 1, 10)
NEXT_MON = MON + dt.timedelta(weeks=1)


def _district(conn: sa.Connection) -> tuple[dict, dict]:
    """Grade 9 student at D01-HS1 (complete), grade 6 at D01-MS1 (no GPA, exited 2025-01-08)."""
    a = f.add_student(conn, grade_level=9, gender="F", student_metadata={
        "district_code": "D01", "school_code": "D01-HS1"})
    b = f.add_student(conn, grade_level=6, gender="M", gpa=None, student_metadata={
        "district_code": "D01", "school_code": "D01-MS1", "exit_date": "2025-01-08",
        "exit_code": "transfer"})
    conn.execute(sa.insert(AttendanceRecord), [
        f.attendance(a["id"], date=MON, status="present", period=1),
        f.attendance(a["id"], date=MON, status="absent", period=2),
        f.attendance(a["id"], date=NEXT_MON, status="present", period=1),
        f.attendance(b["id"], date=MON, status="present", period=None),
        f.attendance(b["id"], date=MON + dt.timedelta(days=3), status="tardy", period=1),
    ])
    conn.execute(sa.insert(Grade), [
        f.grade(a["id"], grade_value=50.0, grade_letter="F", submission_date=MON),
        f.grade(a["id"], grade_value=90.0, grade_letter="A", submission_date=FRI),
        f.grade(b["id"], grade_value=80.0, grade_letter="B", submission_date=NEXT_MON),
        f.grade(b["id"], grade_value=10.0, grade_letter="F",
                submission_date=MON - dt.timedelta(weeks=20)),  # outside any 8-week window
    ])
    conn.execute(sa.insert(DisciplineIncident), [
        f.incident(a["id"], severity_level=3, incident_type="fighting"),
        f.incident(a["id"], severity_level=1, incident_type="tardy"),
        f.incident(b["id"], severity_level=3, incident_type="fighting"),
    ])
    return a, b


def test_table_overview_counts_rows_students_and_dates(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        _district(conn)
    got = explore.table_overview(engine).set_index("table")
    assert got.loc["attendance_records", "rows"] == 5
    assert got.loc["attendance_records", "students"] == 2
    assert got.loc["grades", "first_date"] == MON - dt.timedelta(weeks=20)
    assert got.loc["grades", "last_date"] == NEXT_MON
    assert got.loc["discipline_incidents", "rows"] == 3


def test_data_quality_counts_missing_values(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        _district(conn)
    q = explore.data_quality(engine).set_index(["table", "column"])
    assert q.loc[("students", "gpa"), "missing"] == 1
    assert q.loc[("students", "gpa"), "missing_share"] == 0.5
    assert q.loc[("students", "school_code"), "missing"] == 0
    assert q.loc[("attendance_records", "period"), "missing"] == 1
    assert q.loc[("attendance_records", "period"), "rows"] == 5
    assert q.loc[("grades", "grade_value"), "missing"] == 0


def test_data_quality_of_an_empty_database_has_no_shares(engine) -> None:  # type: ignore[no-untyped-def]
    q = explore.data_quality(engine)
    assert (q["rows"] == 0).all() and q["missing_share"].isna().all()


def test_out_of_range_finds_attendance_after_exit_and_before_enrolment(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        a, _ = _district(conn)  # b has a tardy record on 2025-01-09, after its 2025-01-08 exit
        conn.execute(sa.insert(AttendanceRecord), [
            f.attendance(a["id"], date=dt.date(2024, 8, 1), status="present")])  # pre-enrolment
    checks = explore.out_of_range(engine).set_index("check")["rows"]
    assert checks.iloc[0] == 2
    assert checks.loc["students without any attendance record"] == 0


def test_distributions_add_up(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        _district(conn)
    d = explore.distributions(engine)
    assert d.students.loc[9, "D01-HS1"] == 1 and d.students.loc[9, "D01-MS1"] == 0
    assert int(d.students.to_numpy().sum()) == 2
    gender = d.demographics[d.demographics["attribute"] == "gender"].set_index("group")
    assert gender["students"].to_dict() == {"F": 1, "M": 1}
    assert gender["share"].to_dict() == {"F": 0.5, "M": 0.5}
    status = d.attendance_status.set_index("status")
    assert status.loc["present", "records"] == 3 and status.loc["present", "share"] == 0.6
    assert d.letter_grades.loc["test", "F"] == 2 and d.letter_grades.loc["test", "A"] == 1
    fights = d.incidents.set_index(["severity_level", "incident_type"])["incidents"]
    assert fights.loc[(3, "fighting")] == 2
    assert list(d.student_measures.columns) == ["grade_level", "gpa", "attendance_rate"]


def test_weekly_attendance_is_the_spec_query_by_grade_and_week(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        _district(conn)
    w = explore.weekly_attendance(engine, NEXT_MON, weeks=2)
    got = {(r.grade_level, r.week): (r.total_records, r.present_count, r.attendance_rate)
           for r in w.itertuples()}
    assert got == {(9, MON): (2, 1, 0.5), (6, MON): (2, 1, 0.5), (9, NEXT_MON): (1, 1, 1.0)}
    assert explore.weekly_attendance(engine, MON - dt.timedelta(days=1), weeks=2).empty


def test_weekly_grades_mean_and_failing_share(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        _district(conn)
    g = explore.weekly_grades(engine, NEXT_MON, weeks=8)
    rows = {(r.grade_level, r.week): r for r in g.itertuples()}
    assert set(rows) == {(9, MON), (6, NEXT_MON)}  # the grade 20 weeks back is outside
    assert rows[(9, MON)].grades == 2 and rows[(9, MON)].mean_grade == 70.0
    assert rows[(9, MON)].failing_share == 0.5
    assert rows[(6, NEXT_MON)].mean_grade == 80.0 and rows[(6, NEXT_MON)].failing == 0
