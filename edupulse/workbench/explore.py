"""Notebook 01's view of the source tables: data quality, distributions, weekly trends.

Every figure is an aggregate computed in SQL (portable across PostgreSQL and SQLite) and
returned as a DataFrame; no query reads a student's name, contact, date of birth or SIS id, so
nothing here can put one into an executed notebook.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from edupulse.data import codes
from edupulse.db.models import AttendanceRecord, DisciplineIncident, Grade, Student
from edupulse.db.queries import week_start, weekly_attendance_by_grade
from edupulse.features.cohort import exit_date_text, meta_text, school_code

S, A, G, D = (Student.__table__, AttendanceRecord.__table__, Grade.__table__,
              DisciplineIncident.__table__)
SCHOOL = school_code()
DISTRICT = meta_text(codes.META_DISTRICT)

# Columns whose completeness matters to the features and the audit (no names: their presence
# is enforced by the schema, and their values never leave the database here).
CHECKED: dict[str, tuple[sa.Table, dict[str, sa.ColumnElement]]] = {
    "students": (S, {
        "grade_level": S.c.grade_level, "gender": S.c.gender, "ethnicity": S.c.ethnicity,
        "socioeconomic_status": S.c.socioeconomic_status, "gpa": S.c.gpa,
        "attendance_rate": S.c.attendance_rate, "parent_contact": S.c.parent_contact,
        "enrollment_date": S.c.enrollment_date, "district_code": DISTRICT, "school_code": SCHOOL,
    }),
    "attendance_records": (A, {"student_id": A.c.student_id, "status": A.c.status,
                               "period": A.c.period}),
    "grades": (G, {"student_id": G.c.student_id, "course_name": G.c.course_name,
                   "grade_value": G.c.grade_value, "grade_letter": G.c.grade_letter,
                   "assignment_type": G.c.assignment_type}),
    "discipline_incidents": (D, {"student_id": D.c.student_id,
                                 "severity_level": D.c.severity_level,
                                 "incident_type": D.c.incident_type,
                                 "resolution": D.c.resolution}),
}
DATES = {"attendance_records": A.c.date, "grades": G.c.submission_date,
         "discipline_incidents": D.c.incident_date, "students": S.c.enrollment_date}


@dataclass(frozen=True)
class Distributions:
    """Counts behind notebook 01's bar charts, one frame per question."""

    students: pd.DataFrame  # school_code x grade_level -> students
    demographics: pd.DataFrame  # attribute, group, students, share (audit attributes only)
    attendance_status: pd.DataFrame  # status, records, share
    letter_grades: pd.DataFrame  # assignment_type x grade_letter -> grades
    incidents: pd.DataFrame  # severity_level, incident_type, incidents
    student_measures: pd.DataFrame  # gpa and attendance_rate of every student, no ids


def _frame(conn: sa.Connection, q: sa.Select) -> pd.DataFrame:
    return pd.DataFrame(conn.execute(q).all(), columns=list(q.selected_columns.keys()))


def table_overview(engine: Engine) -> pd.DataFrame:
    """Rows, distinct students and the first/last date of each source table."""
    rows = []
    with engine.connect() as conn:
        for name, (table, _) in CHECKED.items():
            sid = table.c.id if table is S else table.c.student_id
            date = DATES[name]
            n, students, first, last = conn.execute(sa.select(
                sa.func.count(), sa.func.count(sa.distinct(sid)), sa.func.min(date),
                sa.func.max(date)).select_from(table)).one()
            rows.append({"table": name, "rows": n, "students": students,
                         "first_date": _day(first), "last_date": _day(last)})
    return pd.DataFrame(rows)


def data_quality(engine: Engine) -> pd.DataFrame:
    """Missing values per checked column: table, column, rows, missing, missing_share."""
    rows = []
    with engine.connect() as conn:
        for name, (table, columns) in CHECKED.items():
            counts = conn.execute(sa.select(
                sa.func.count(), *[sa.func.count(c) for c in columns.values()]
            ).select_from(table)).one()
            total = counts[0]
            for column, present in zip(columns, counts[1:], strict=True):
                missing = total - present
                rows.append({"table": name, "column": column, "rows": total,
                             "missing": missing,
                             "missing_share": round(missing / total, 4) if total else None})
    return pd.DataFrame(rows)


def out_of_range(engine: Engine) -> pd.DataFrame:
    """Values the loader accepts but a researcher should know about: check, rows."""
    checks = {
        "attendance records after a student's exit or before enrolment": sa.select(
            sa.func.count()).select_from(A.join(S, S.c.id == A.c.student_id)).where(
            sa.or_(A.c.date < S.c.enrollment_date,
                   sa.cast(A.c.date, sa.String) > exit_date_text())),
        "grades without a numeric value": sa.select(sa.func.count()).select_from(G).where(
            G.c.grade_value.is_(None)),
        "students without any attendance record": sa.select(sa.func.count()).select_from(S)
        .where(~sa.exists().where(A.c.student_id == S.c.id)),
        "students without any grade": sa.select(sa.func.count()).select_from(S)
        .where(~sa.exists().where(G.c.student_id == S.c.id)),
    }
    with engine.connect() as conn:
        return pd.DataFrame([{"check": k, "rows": int(conn.execute(q).scalar_one())}
                             for k, q in checks.items()])


def distributions(engine: Engine) -> Distributions:
    with engine.connect() as conn:
        students = _frame(conn, sa.select(SCHOOL.label("school_code"), S.c.grade_level,
                                          sa.func.count().label("students"))
                          .group_by(SCHOOL, S.c.grade_level).order_by(SCHOOL, S.c.grade_level))
        demo = []
        for attr in ("gender", "ethnicity", "socioeconomic_status"):
            col = S.c[attr]
            part = _frame(conn, sa.select(col.label("group"), sa.func.count().label("students"))
                          .group_by(col).order_by(col))
            part.insert(0, "attribute", attr)
            demo.append(part)
        status = _frame(conn, sa.select(A.c.status, sa.func.count().label("records"))
                        .group_by(A.c.status).order_by(A.c.status))
        letters = _frame(conn, sa.select(G.c.assignment_type, G.c.grade_letter,
                                         sa.func.count().label("grades"))
                         .group_by(G.c.assignment_type, G.c.grade_letter)
                         .order_by(G.c.assignment_type, G.c.grade_letter))
        incidents = _frame(conn, sa.select(D.c.severity_level, D.c.incident_type,
                                           sa.func.count().label("incidents"))
                           .group_by(D.c.severity_level, D.c.incident_type)
                           .order_by(D.c.severity_level, D.c.incident_type))
        measures = _frame(conn, sa.select(S.c.grade_level, S.c.gpa, S.c.attendance_rate))
    demographics = pd.concat(demo, ignore_index=True)
    demographics["share"] = (demographics["students"] / demographics.groupby("attribute")[
        "students"].transform("sum")).round(3)
    status["share"] = (status["records"] / status["records"].sum()).round(4)
    letters = letters.pivot(index="assignment_type", columns="grade_letter", values="grades")
    return Distributions(students.pivot(index="grade_level", columns="school_code",
                                        values="students").fillna(0).astype(int),
                         demographics, status, letters.fillna(0).astype(int), incidents,
                         measures.astype({"gpa": "float64", "attendance_rate": "float64"}))


def weekly_attendance(engine: Engine, reference_date: dt.date, weeks: int = 8) -> pd.DataFrame:
    """The spec's weekly attendance query by grade level, up to `reference_date`."""
    with engine.connect() as conn:
        rows = weekly_attendance_by_grade(conn, reference_date, weeks)
    return pd.DataFrame([r.__dict__ for r in rows],
                        columns=["grade_level", "week", "total_records", "present_count",
                                 "attendance_rate"])


def weekly_grades(engine: Engine, reference_date: dt.date, weeks: int = 8) -> pd.DataFrame:
    """Grades submitted per grade level and week: count, mean value and share below 60."""
    week = week_start(G.c.submission_date).label("week")
    q = (sa.select(S.c.grade_level, week, sa.func.count(G.c.grade_value).label("grades"),
                   sa.func.sum(G.c.grade_value).label("total"),
                   sa.func.count(sa.case((G.c.grade_value < codes.FAILING_GRADE, 1)))
                   .label("failing"))
         .join(G, G.c.student_id == S.c.id)
         .where(G.c.submission_date > reference_date - dt.timedelta(weeks=weeks),
                G.c.submission_date <= reference_date)
         .group_by(S.c.grade_level, week).order_by(week, S.c.grade_level))
    with engine.connect() as conn:
        frame = _frame(conn, q)
    frame["week"] = frame["week"].map(_day)
    n = frame["grades"].where(frame["grades"] > 0)
    frame["mean_grade"] = (frame.pop("total").astype("float64") / n).round(2)
    frame["failing_share"] = (frame["failing"] / n).round(4)
    return frame


def _day(value: object) -> dt.date | None:
    if value is None or isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value  # type: ignore[return-value]
    if isinstance(value, dt.datetime):
        return value.date()
    return dt.date.fromisoformat(str(value)[:10])
