"""A small seeded district with the awkward cases: day and period records, late enrolment,
exits, a holiday week, a gap week, missing school codes, NULL statuses, severities and grade
values, grades exactly on letter thresholds, and records either side of 1 July."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from edupulse.db.models import AttendanceRecord, DisciplineIncident, Grade
from tests.db import factories as f

START = dt.date(2024, 5, 13)  # a Monday, some weeks before 1 July 2024
END = dt.date(2024, 12, 20)
HOLIDAY = (dt.date(2024, 11, 25), dt.date(2024, 11, 29))  # no school H1 records this week
SUMMER = (dt.date(2024, 6, 22), dt.date(2024, 8, 25))
STATUSES = ("present", "absent", "tardy", "excused")


def school_days(start: dt.date = START, end: dt.date = END) -> list[dt.date]:
    days, d = [], start
    while d <= end:
        if d.weekday() < 5 and not (SUMMER[0] <= d <= SUMMER[1]):
            days.append(d)
        d += dt.timedelta(days=1)
    return days


def populate(conn: sa.Connection, n_students: int = 24, seed: int = 7) -> list[dict[str, Any]]:
    """Insert the district; returns the student rows."""
    rng = np.random.default_rng(seed)
    days = school_days()
    students, att, grades, incidents = [], [], [], []
    for i in range(n_students):
        elementary = i % 4 == 0
        school = None if i % 7 == 3 else ("E1" if elementary else f"H{1 + i % 2}")
        enrolled = START if i % 5 else dt.date(2024, 10, 2) + dt.timedelta(days=3 * i)
        meta: dict[str, Any] = {"district_code": "D1"}
        if school:
            meta["school_code"] = school
        exit_date = None
        if i % 6 == 1:
            exit_date = dt.date(2024, 9, 20) + dt.timedelta(days=5 * i)
            meta |= {"exit_date": exit_date.isoformat(),
                     "exit_code": ("dropout", "transfer", "withdrawal")[i % 3]}
        if i == n_students - 1:
            meta |= {"exit_date": "", "exit_code": None}  # empty text reads as no exit
        s = f.add_student(conn, district_id=f"T{i:03d}", grade_level=3 if elementary else 10,
                          enrollment_date=None if i == 2 else enrolled, student_metadata=meta)
        students.append(s)
        risk = rng.uniform(0.0, 0.5)
        gap = dt.date(2024, 10, 14) + dt.timedelta(days=7 * (i % 3))
        for d in days:
            if (enrolled and d < enrolled) or (exit_date and d > exit_date):
                continue
            if school == "H1" and HOLIDAY[0] <= d <= HOLIDAY[1]:
                continue
            if i % 3 == 0 and gap <= d < gap + dt.timedelta(days=7):
                continue  # one week without any record for this student
            periods = [None] if elementary else list(range(1, 3 + i % 2))
            for p in periods:
                u = rng.random()
                status = None if u > 0.995 else (
                    "present" if u > risk else STATUSES[int(rng.integers(1, 4))])
                att.append(f.attendance(s["id"], date=d, period=p, status=status))
            if rng.random() < 0.25:
                course = f"C{int(rng.integers(0, 3 if elementary else 5))}"
                value = rng.choice([60.0, 59.9, 90.0, 89.95, None,
                                    float(np.round(rng.normal(78 - 40 * risk, 12), 1))])
                value = None if value is None else float(min(100.0, max(0.0, value)))
                grades.append(f.grade(s["id"], course_id=course, submission_date=d,
                                      grade_value=value, assignment_type=f"t{len(grades)}"))
            if rng.random() < risk / 8:
                sev = rng.choice([1, 2, 3, 4, 5, None])
                incidents.append(f.incident(s["id"], incident_date=d,
                                            severity_level=None if sev is None else int(sev),
                                            incident_type=f"i{len(incidents)}"))
    conn.execute(sa.insert(AttendanceRecord.__table__), att)
    conn.execute(sa.insert(Grade.__table__), grades)
    if incidents:
        conn.execute(sa.insert(DisciplineIncident.__table__), incidents)
    return students


# As-of dates covering: before/after 1 July, early school year (weeks before data), a holiday
# week, mid-week dates and a date after the end of the data.
AS_OF = (
    dt.date(2024, 6, 14), dt.date(2024, 7, 3), dt.date(2024, 8, 16), dt.date(2024, 9, 6),
    dt.date(2024, 9, 13), dt.date(2024, 10, 2), dt.date(2024, 10, 25), dt.date(2024, 11, 29),
    dt.date(2024, 12, 4), dt.date(2024, 12, 31),
)




SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
# Every Friday of the sample year (2024-08-26 .. 2025-05-02): the ground truth's as-of dates.
SAMPLE_FRIDAYS = tuple(dt.date(2024, 8, 30) + dt.timedelta(days=7 * i) for i in range(36))


def load_sample(engine: sa.Engine, tmp: Path) -> None:
    """data/sample into the database through the real loader."""
    from edupulse.data.pipeline import load_directory

    report = load_directory(engine, SAMPLE, rejects_path=tmp / "rejects.csv")
    assert report.committed and report.rejected == 0


def ground_truth() -> pd.DataFrame:
    return pd.read_csv(SAMPLE / "ground_truth.csv.gz", dtype={"district_id": str})
