"""One pass over the source tables into temporary per-interval aggregates.

`stage_sources(conn, timeline)` reads attendance_records, grades and discipline_incidents once
(only days inside the timeline) and aggregates them to (student, interval) and (student, course,
interval). The feature and label modules then build running sums over the intervals from these
small tables (edupulse.features.running). Every sum is an integer (counts, grade points, grade
values in ten-thousandths of a point), so window figures obtained as differences of running sums
are exact and do not depend on the order rows are read.

The tables are TEMPORARY (private to the connection) and dropped by `unstage`.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from edupulse.data import codes
from edupulse.db.models import AttendanceRecord, DisciplineIncident, Grade
from edupulse.features.sqlfuncs import grade_points, grade_units
from edupulse.features.timeline import Timeline

AR, GR, DI = AttendanceRecord.__table__, Grade.__table__, DisciplineIncident.__table__
ATTENDED = codes.ATTENDED_STATUSES  # tardy counts as attended: the student was in class

md = sa.MetaData()


def tmp(name: str, *cols: sa.Column, pk: tuple[str, ...]) -> sa.Table:
    """A temporary table; `pk` is its key, indexed after the table is filled (`index`), since
    maintaining an index row by row while filling costs far more than building it once."""
    t = sa.Table(name, md, *cols, prefixes=["TEMPORARY"])
    t.info["key"] = pk
    return t


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


@dataclass(frozen=True)
class StageCounts:
    """Rows each staging step produced, for progress messages and benchmarks."""

    attendance_groups: int
    incident_groups: int
    grade_groups: int


def drop(conn: sa.Connection, tables: tuple[sa.Table, ...]) -> None:
    for t in reversed(tables):
        conn.execute(sa.text(f"DROP TABLE IF EXISTS {t.name}"))


def create(conn: sa.Connection, tables: tuple[sa.Table, ...]) -> None:
    drop(conn, tables)
    for t in tables:
        t.create(conn)


def tune(conn: sa.Connection) -> None:
    """Session settings for the big aggregations, reverted at the end of the transaction on
    PostgreSQL: no JIT (compiling these wide expressions costs seconds per statement) and enough
    work_mem to sort and hash in memory."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SET LOCAL jit = off"))
        conn.execute(sa.text("SET LOCAL work_mem = '512MB'"))


def index(conn: sa.Connection, *tables: sa.Table) -> None:
    """Index each filled table on its key, then gather statistics: PostgreSQL's autovacuum
    never analyzes temporary tables, and without statistics the planner guesses row counts and
    picks nested loops over hundreds of thousands of rows."""
    for t in tables:
        conn.execute(sa.text(f"CREATE INDEX ix_{t.name} ON {t.name} ({', '.join(t.info['key'])})"))
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text(f"ANALYZE {t.name}"))


def count(conn: sa.Connection, t: sa.Table) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one())


def stage_sources(conn: sa.Connection, timeline: Timeline,
                  offsets: dict[int, tuple[int, ...]] | None = None, *,
                  course_table: bool = True) -> StageCounts:
    """Fill the interval, calendar and aggregate tables for `timeline`. `offsets` maps the
    interval of each as-of date to its eight boundary offsets (o1..o7, oy). Without
    `course_table`, ep_grd stays empty and callers read `grades_by_course()` as a subquery
    (writing its 1-2 rows per grade to a temporary table would cost more than the query)."""
    tune(conn)
    create(conn, SOURCES)
    offsets = offsets or {}
    rows = []
    for i, hi, sy in timeline.intervals():
        o = offsets.get(i)
        rows.append(dict(iv=i, hi=hi, sy=sy, asof=int(o is not None),
                         **{f"o{j}": (o[j - 1] if o else 0) for j in range(1, 8)},
                         oy=o[7] if o else 0))
    conn.execute(sa.insert(IV), rows)
    year = {i: sy for i, _, sy in timeline.intervals()}
    conn.execute(sa.insert(CAL), [dict(day=d, iv=i, sy=year[i]) for d, i in timeline.calendar()])
    index(conn, IV, CAL)
    counts = StageCounts(_attendance(conn), _incidents(conn),
                         _grades(conn) if course_table else 0)
    index(conn, ATT, INC, GRD)
    return counts


def _n(cond: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    return sa.func.sum(sa.case((cond, 1), else_=0))


def _attendance(conn: sa.Connection) -> int:
    """Records with a status count; a day-level record (period NULL) is one record, like one
    period."""
    q = (
        sa.select(AR.c.student_id, CAL.c.iv, sa.func.count(), _n(AR.c.status.in_(ATTENDED)),
                  _n(AR.c.status == "absent"), _n(AR.c.status == "excused"),
                  _n(AR.c.status == "tardy"), sa.func.min(AR.c.date))
        .select_from(AR.join(CAL, AR.c.date == CAL.c.day))
        .where(AR.c.status.is_not(None), AR.c.student_id.is_not(None))
        .group_by(AR.c.student_id, CAL.c.iv)
    )
    cols = ["student_id", "iv", "n", "att", "absent", "excused", "tardy", "first_day"]
    conn.execute(sa.insert(ATT).from_select(cols, q))
    return count(conn, ATT)


def _incidents(conn: sa.Connection) -> int:
    q = (
        sa.select(DI.c.student_id, CAL.c.iv, sa.func.count(),
                  _n(DI.c.severity_level >= codes.SERIOUS_SEVERITY),
                  sa.func.sum(sa.func.coalesce(DI.c.severity_level, 1)))
        .select_from(DI.join(CAL, DI.c.incident_date == CAL.c.day))
        .where(DI.c.student_id.is_not(None))
        .group_by(DI.c.student_id, CAL.c.iv)
    )
    conn.execute(sa.insert(INC).from_select(["student_id", "iv", "n", "serious", "severity"], q))
    return count(conn, INC)


def grades_by_course() -> sa.Select:
    """Graded assignments, their points and their values (grade units) per (student, course,
    school year, interval); grades without a value are not counted. Grouped in the order the
    running sums per course and school year need, so that one sort serves both."""
    return (
        sa.select(GR.c.student_id, GR.c.course_id, CAL.c.sy, CAL.c.iv,
                  sa.func.count().label("n"),
                  sa.func.sum(grade_points(GR.c.grade_value)).label("pts"),
                  sa.func.sum(grade_units(GR.c.grade_value)).label("units"))
        .select_from(GR.join(CAL, GR.c.submission_date == CAL.c.day))
        .where(GR.c.grade_value.is_not(None), GR.c.student_id.is_not(None))
        .group_by(GR.c.student_id, GR.c.course_id, CAL.c.sy, CAL.c.iv)
    )


def _grades(conn: sa.Connection) -> int:
    g = grades_by_course().subquery("g")
    conn.execute(sa.insert(GRD).from_select(
        ["student_id", "course_id", "iv", "n", "pts", "units"],
        sa.select(g.c.student_id, g.c.course_id, g.c.iv, g.c.n, g.c.pts, g.c.units)))
    return count(conn, GRD)
