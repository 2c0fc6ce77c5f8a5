"""One pass over the source tables into per-interval aggregates in scratch tables.

`stage_sources(conn, timeline)` reads attendance_records, grades and discipline_incidents once
(only days inside the timeline) and aggregates them to (student, interval) and (student, course,
interval). The feature and label modules then build running sums over the intervals from these
small tables (edupulse.features.running). Every sum is an integer (counts, grade points, grade
values in ten-thousandths of a point), so window figures obtained as differences of running sums
are exact and do not depend on the order rows are read.

The tables are scratch tables (edupulse.features.scratch), private to the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import sqlalchemy as sa

from edupulse.data import codes
from edupulse.db.models import AttendanceRecord, DisciplineIncident, Grade
from edupulse.features.alongside import SelectOf, alongside
from edupulse.features.parts import fill_by_student
from edupulse.features.scratch import count, create, drop, fill, index, kind, tmp
from edupulse.features.sqlfuncs import grade_points, grade_units, int4, scan_order, text_key
from edupulse.features.timeline import Timeline

AR, GR, DI = AttendanceRecord.__table__, Grade.__table__, DisciplineIncident.__table__
ATTENDED = codes.ATTENDED_STATUSES  # tardy counts as attended: the student was in class


def big(name: str) -> sa.Column:
    return sa.Column(name, sa.BigInteger)


def sid() -> sa.Column:
    return sa.Column("student_id", sa.Uuid())


def ivc() -> sa.Column:
    return sa.Column("iv", sa.Integer)


# Intervals: iv, last day, school year; for the interval ending on an as-of date, `asof` = 1
# and o1..o7 / oy = how many intervals back the boundaries as_of - 7j and the YTD floor lie.
IV = tmp("ep_iv", ivc(), sa.Column("hi", sa.Date), sa.Column("sy", sa.Integer),
         sa.Column("asof", sa.Integer), *[sa.Column(f"o{j}", sa.Integer) for j in range(1, 8)],
         sa.Column("oy", sa.Integer), pk=("iv",))
CAL = tmp("ep_cal", sa.Column("day", sa.Date), ivc(), sa.Column("sy", sa.Integer), pk=("day",))
ATT = tmp("ep_att", sid(), ivc(), *[big(c) for c in ("n", "att", "absent", "excused", "tardy")],
          sa.Column("first_day", sa.Date), pk=("student_id", "iv"))
INC = tmp("ep_inc", sid(), ivc(), big("n"), big("serious"), big("severity"),
          pk=("student_id", "iv"))
GRD = tmp("ep_grd", sid(), sa.Column("course_id", sa.String(50)), ivc(), big("n"), big("pts"),
          big("units"), pk=("student_id", "course_id", "iv"))
SOURCES = (IV, CAL, ATT, INC, GRD)


class Pass(NamedTuple):
    """A staging pass: the table it fills and its SELECT given the calendar. `by_student`:
    its rows depend only on each student's own rows, so that PostgreSQL may compute them by
    student range in parallel workers (edupulse.features.parts: a window pass)."""

    table: sa.Table
    select_of: SelectOf
    by_student: bool = False


@dataclass(frozen=True)
class StageCounts:
    """Rows each staging step produced, for progress messages and benchmarks."""

    attendance_groups: int
    incident_groups: int
    grade_groups: int


def stage_sources(conn: sa.Connection, timeline: Timeline,
                  offsets: dict[int, tuple[int, ...]] | None = None, *,
                  grades: Pass | None = None) -> StageCounts:
    """Fill the interval, calendar and aggregate tables for `timeline`. The calendar (day ->
    interval, school year) is the ep_cal table, or an inline VALUES list where the scratch
    tables are PostgreSQL TEMPORARY tables (one of those would keep the big scans out of
    parallel workers). `offsets` maps the interval of each as-of date to its eight boundary
    offsets (o1..o7, oy). `grades` is the grades pass (default: ep_grd by `_grades`). On SQLite
    the attendance pass runs in a second process meanwhile (edupulse.features.alongside)."""
    drop(conn, SOURCES)
    create(conn, (IV,))
    offsets = offsets or {}
    rows = []
    for i, hi, sy in timeline.intervals():
        o = offsets.get(i)
        rows.append(dict(iv=i, hi=hi, sy=sy, asof=int(o is not None),
                         **{f"o{j}": (o[j - 1] if o else 0) for j in range(1, 8)},
                         oy=o[7] if o else 0))
    conn.execute(sa.insert(IV), rows)
    year = {i: sy for i, _, sy in timeline.intervals()}
    days = [dict(day=d, iv=i, sy=year[i]) for d, i in timeline.calendar()]
    index(conn, IV)
    if conn.dialect.name == "postgresql" and kind(conn) == "TEMPORARY":
        cal: Any = sa.values(*[sa.column(c.name, c.type) for c in CAL.c], name="ep_cal").data(
            [(r["day"], r["iv"], r["sy"]) for r in days])
    else:
        create(conn, (CAL,))
        conn.execute(sa.insert(CAL), days)
        index(conn, CAL)
        cal = CAL
    table, select_of, by_student = grades or Pass(GRD, _grades)
    with alongside(conn, ATT, _attendance, cal, (CAL, days)):
        incidents = _incidents(conn, cal)
        (fill_by_student if by_student else fill)(conn, table, select_of(conn, cal))
    index(conn, ATT, INC, table)
    return StageCounts(count(conn, ATT), incidents, count(conn, table))


def _n(cond: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    return sa.func.sum(sa.case((cond, 1), else_=0))


def _attendance(conn: sa.Connection, cal: Any) -> sa.Select:
    """The rows of ep_att. Records with a status count; a day-level record (period NULL) is
    one record, like one period. SQLite has no hash aggregation: it first sums per (student,
    day), which streams in the order of the natural-key index (student_id, date, period)
    without a sort, so the GROUP BY that must sort sees a fifth of the rows (5 s instead of 8 s
    for 9 M records)."""
    status = AR.c.status
    figures = {"n": sa.func.count(), "att": _n(status.in_(ATTENDED)),
               "absent": _n(status == "absent"), "excused": _n(status == "excused"),
               "tardy": _n(status == "tardy")}
    where = (status.is_not(None), AR.c.student_id.is_not(None))
    if conn.dialect.name != "sqlite":
        return (sa.select(AR.c.student_id, cal.c.iv, *figures.values(), sa.func.min(AR.c.date))
                .select_from(AR.join(cal, AR.c.date == cal.c.day))
                .where(*where).group_by(AR.c.student_id, cal.c.iv))
    day = (sa.select(AR.c.student_id, AR.c.date, *[v.label(k) for k, v in figures.items()])
           .where(*where).group_by(AR.c.student_id, AR.c.date).subquery("d"))
    return (sa.select(day.c.student_id, cal.c.iv, *[sa.func.sum(day.c[k]) for k in figures],
                      sa.func.min(day.c.date))
            .select_from(day.join(cal, day.c.date == cal.c.day))
            .group_by(day.c.student_id, cal.c.iv))


def _incidents(conn: sa.Connection, cal: Any) -> int:
    q = (
        sa.select(DI.c.student_id, cal.c.iv, sa.func.count(),
                  _n(DI.c.severity_level >= codes.SERIOUS_SEVERITY),
                  sa.func.sum(sa.func.coalesce(DI.c.severity_level, 1)))
        .select_from(DI.join(cal, DI.c.incident_date == cal.c.day))
        .where(DI.c.student_id.is_not(None))
        .group_by(DI.c.student_id, cal.c.iv)
    )
    fill(conn, INC, q)
    return count(conn, INC)


def _grades(conn: sa.Connection, cal: Any) -> sa.Select:
    """The rows of ep_grd (for the labels): graded assignments, their points and their values
    (grade units) per (student, course, interval); grades without a value are not counted."""
    course = text_key(GR.c.course_id)
    return (
        sa.select(GR.c.student_id, course.label("course_id"), cal.c.iv,
                  int4(sa.func.count()).label("n"),
                  int4(sa.func.sum(grade_points(GR.c.grade_value))).label("pts"),
                  int4(sa.func.sum(grade_units(GR.c.grade_value))).label("units"))
        .select_from(GR.join(cal, scan_order(GR.c.submission_date) == cal.c.day))
        .where(GR.c.grade_value.is_not(None), GR.c.student_id.is_not(None))
        .group_by(GR.c.student_id, course, cal.c.iv)
    )
