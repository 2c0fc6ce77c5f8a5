"""The spec's three query patterns, written once and portable across PostgreSQL and SQLite.

Rates are computed in Python from the integer counts the database returns, with decimal
half-up rounding, so both backends give the same numbers to the last digit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from edupulse.db.models import (
    AttendanceRecord,
    ModelMetadata,
    Prediction,
    Student,
    TrainingFeedback,
)


class week_start(FunctionElement[Any]):
    """The Monday of a date's ISO week: DATE_TRUNC('week', d) on PostgreSQL, date arithmetic on
    SQLite (strftime('%w') counts Sunday as 0)."""

    type = sa.Date()
    inherit_cache = True


@compiles(week_start, "postgresql")
def _week_start_pg(element: week_start, compiler: Any, **kw: Any) -> str:
    return f"CAST(DATE_TRUNC('week', {compiler.process(element.clauses, **kw)}) AS DATE)"


@compiles(week_start)
def _week_start_sqlite(element: week_start, compiler: Any, **kw: Any) -> str:
    d = compiler.process(element.clauses, **kw)
    return f"date({d}, '-' || ((CAST(strftime('%w', {d}) AS INTEGER) + 6) % 7) || ' days')"


def _round(numerator: float | int | Decimal, denominator: int, places: int = 3) -> float | None:
    if not denominator:
        return None
    q = Decimal(numerator) / Decimal(denominator)
    return float(q.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    return value


@dataclass(frozen=True)
class HighRiskStudent:
    district_id: str
    first_name: str
    last_name: str
    grade_level: int | None
    risk_score: float
    risk_category: str
    prediction_date: dt.datetime
    # Added for school risk lists (edupulse.scoring.risk_list); the spec's columns come first.
    prediction_id: Any = None
    student_id: Any = None
    confidence: float | None = None
    risk_factors: Any = None
    model_version: str | None = None
    school_code: str | None = None


def current_high_risk_students(
    conn: sa.Connection,
    categories: Sequence[str] = ("high", "critical"),
    *,
    as_of: dt.date | None = None,
    school: str | None = None,
    students_where: Any = None,
) -> list[HighRiskStudent]:
    """Each student's latest prediction, kept when its category is in `categories`.

    `as_of` makes "latest" mean latest on or before that date (predictions made later are
    ignored, so a past week's list can be reproduced); `school` keeps one school's students
    (student_metadata.school_code); `students_where` is one more condition on the students row
    (the risk list passes the cohort rule of its date).
    """
    s, p = Student.__table__, Prediction.__table__
    p2 = p.alias("p2")
    latest_q = sa.select(p2.c.id).where(p2.c.student_id == s.c.id)
    if as_of is not None:
        until = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
        latest_q = latest_q.where(p2.c.prediction_date < until)
    latest = (
        latest_q.order_by(p2.c.prediction_date.desc(), p2.c.created_at.desc(), p2.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    school_code = sa.func.nullif(s.c.student_metadata["school_code"].as_string(), "")
    q = (
        sa.select(
            s.c.district_id, s.c.first_name, s.c.last_name, s.c.grade_level,
            p.c.risk_score, p.c.risk_category, p.c.prediction_date,
            p.c.id.label("prediction_id"), s.c.id.label("student_id"), p.c.confidence,
            p.c.risk_factors, p.c.model_version, school_code.label("school_code"),
        )
        .join(p, s.c.id == p.c.student_id)
        .where(p.c.id == latest, p.c.risk_category.in_(list(categories)))
        .order_by(p.c.risk_score.desc(), s.c.district_id)
    )
    if school is not None:
        q = q.where(school_code == school)
    if students_where is not None:
        q = q.where(students_where)
    return [HighRiskStudent(**row._mapping) for row in conn.execute(q)]


@dataclass(frozen=True)
class WeeklyAttendance:
    grade_level: int | None
    week: dt.date
    total_records: int
    present_count: int
    attendance_rate: float | None


def weekly_attendance_by_grade(
    conn: sa.Connection, reference_date: dt.date, weeks: int = 8
) -> list[WeeklyAttendance]:
    """Share of 'present' records per grade level and week, over `weeks` weeks up to and
    including `reference_date` (the spec's CURRENT_DATE made explicit for reproducibility)."""
    s, ar = Student.__table__, AttendanceRecord.__table__
    week = week_start(ar.c.date).label("week")
    q = (
        sa.select(
            s.c.grade_level,
            week,
            sa.func.count().label("total_records"),
            sa.func.count(sa.case((ar.c.status == "present", 1))).label("present_count"),
        )
        .join(ar, s.c.id == ar.c.student_id)
        .where(
            ar.c.date >= reference_date - dt.timedelta(weeks=weeks),
            ar.c.date <= reference_date,
        )
        .group_by(s.c.grade_level, week)
        .order_by(week, s.c.grade_level)
    )
    return [
        WeeklyAttendance(
            grade_level=r.grade_level,
            week=_as_date(r.week),
            total_records=r.total_records,
            present_count=r.present_count,
            attendance_rate=_round(r.present_count, r.total_records),
        )
        for r in conn.execute(q)
    ]


@dataclass(frozen=True)
class FeedbackPerformance:
    model_version: str
    feedback_type: str | None
    feedback_count: int
    avg_predicted_risk: float | None
    avg_confidence: float | None


def model_performance(
    conn: sa.Connection, reference_date: dt.date, days: int = 30
) -> list[FeedbackPerformance]:
    """Feedback counts with average predicted risk and confidence per model version and
    feedback type, for feedback recorded in the `days` days up to `reference_date`."""
    p, tf, mm = Prediction.__table__, TrainingFeedback.__table__, ModelMetadata.__table__
    since = dt.datetime.combine(reference_date - dt.timedelta(days=days), dt.time.min)
    until = dt.datetime.combine(reference_date + dt.timedelta(days=1), dt.time.min)
    q = (
        sa.select(
            mm.c.model_version,
            tf.c.feedback_type,
            sa.func.count().label("feedback_count"),
            sa.func.sum(p.c.risk_score).label("sum_risk"),
            sa.func.count(p.c.risk_score).label("n_risk"),
            sa.func.sum(p.c.confidence).label("sum_conf"),
            sa.func.count(p.c.confidence).label("n_conf"),
        )
        .select_from(p)
        .join(tf, p.c.id == tf.c.prediction_id)
        .join(mm, p.c.model_version == mm.c.model_version)
        .where(tf.c.created_at >= since, tf.c.created_at < until)
        .group_by(mm.c.model_version, tf.c.feedback_type)
        .order_by(mm.c.model_version, tf.c.feedback_type)
    )
    out = []
    for r in conn.execute(q):
        out.append(
            FeedbackPerformance(
                model_version=r.model_version,
                feedback_type=r.feedback_type,
                feedback_count=r.feedback_count,
                avg_predicted_risk=_mean(r.sum_risk, r.n_risk),
                avg_confidence=_mean(r.sum_conf, r.n_conf),
            )
        )
    return out


def _mean(total: Any, n: int) -> float | None:
    # REAL sums come back as float (PostgreSQL sums float4 as float8); repr keeps every digit.
    return None if not n else _round(Decimal(repr(float(total))), n)
