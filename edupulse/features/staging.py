"""One pass over the source tables into temporary tables of running sums per interval.

`stage(conn, timeline)` reads attendance_records, grades and discipline_incidents once (only
days inside the timeline), aggregates them to (student, interval) and (student, course,
interval), and stores running sums over the intervals for every student. A figure over any
window (lo, hi] whose ends are timeline boundaries is then `cum(hi) - cum(lo)` for a handful of
rows, which is what the feature and label queries read. All sums are integers (counts and
grade micro-points), so differences are exact and independent of row order.

The tables are TEMPORARY (private to the connection) and dropped by `unstage`.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from edupulse.data import codes
from edupulse.db.models import AttendanceRecord, DisciplineIncident, Grade, Student
from edupulse.features.cohort import school_code
from edupulse.features.sqlfuncs import micro_points
from edupulse.features.timeline import Timeline

AR, GR, DI, S = (AttendanceRecord.__table__, Grade.__table__, DisciplineIncident.__table__,
                 Student.__table__)

_md = sa.MetaData()


def _tmp(name: str, *cols: sa.Column, pk: tuple[str, ...]) -> sa.Table:
    return sa.Table(name, _md, *cols, sa.PrimaryKeyConstraint(*pk), prefixes=["TEMPORARY"])


def _i(name: str) -> sa.Column:
    return sa.Column(name, sa.BigInteger, nullable=False)


IV = _tmp("ep_iv", sa.Column("iv", sa.Integer), sa.Column("hi", sa.Date),
          sa.Column("sy", sa.Integer), pk=("iv",))
CAL = _tmp("ep_cal", sa.Column("day", sa.Date), sa.Column("iv", sa.Integer), pk=("day",))
ATT = _tmp("ep_att", sa.Column("student_id", sa.Uuid()), sa.Column("iv", sa.Integer),
           _i("n"), _i("att"), _i("absent"), _i("excused"), _i("tardy"),
           sa.Column("first_day", sa.Date), pk=("student_id", "iv"))
INC = _tmp("ep_inc", sa.Column("student_id", sa.Uuid()), sa.Column("iv", sa.Integer),
           _i("n"), _i("serious"), _i("severity"), pk=("student_id", "iv"))
GRD = _tmp("ep_grd", sa.Column("student_id", sa.Uuid()), sa.Column("course_id", sa.String(50)),
           sa.Column("iv", sa.Integer), _i("n"), _i("micro"), pk=("student_id", "course_id", "iv"))
# Dense running sums: one row per (student, interval) for every interval of the timeline.
STU = _tmp("ep_stu", sa.Column("iv", sa.Integer), sa.Column("student_id", sa.Uuid()),
           _i("n"), _i("att"), _i("absent"), _i("excused"), _i("tardy"),
           sa.Column("first_day", sa.Date), _i("inc"), _i("serious"), _i("severity"),
           pk=("iv", "student_id"))
CRS = _tmp("ep_crs", sa.Column("iv", sa.Integer), sa.Column("student_id", sa.Uuid()),
           sa.Column("course_id", sa.String(50)), _i("n"), _i("micro"),
           pk=("iv", "student_id", "course_id"))
SCH = _tmp("ep_sch", sa.Column("iv", sa.Integer), sa.Column("school", sa.String(200)),
           _i("n"), pk=("iv", "school"))

TABLES = (IV, CAL, ATT, INC, GRD, STU, CRS, SCH)

# Counted as attended (codes.ATTENDED_STATUSES: tardy means the student was in class).
ATTENDED = codes.ATTENDED_STATUSES


@dataclass(frozen=True)
class StageCounts:
    """Rows each staging step produced, for progress messages and benchmarks."""

    attendance_groups: int
    incident_groups: int
    grade_groups: int
    student_rows: int
    course_rows: int


def unstage(conn: sa.Connection) -> None:
    for t in reversed(TABLES):
        conn.execute(sa.text(f"DROP TABLE IF EXISTS {t.name}"))


def stage(conn: sa.Connection, timeline: Timeline) -> StageCounts:
    """Fill the temporary tables for `timeline` (dropping any left over on this connection)."""
    unstage(conn)
    for t in TABLES:
        t.create(conn)
    conn.execute(sa.insert(IV), [dict(iv=i, hi=hi, sy=sy) for i, hi, sy in timeline.intervals()])
    conn.execute(sa.insert(CAL), [dict(day=d, iv=i) for d, i in timeline.calendar()])
    _analyze(conn, IV, CAL)
    n_att = _fill_attendance(conn)
    n_inc = _fill_incidents(conn)
    n_grd = _fill_grades(conn)
    _analyze(conn, ATT, INC, GRD)
    n_stu = _fill_students(conn)
    n_crs = _fill_courses(conn)
    _fill_schools(conn)
    _analyze(conn, STU, CRS, SCH)
    return StageCounts(n_att, n_inc, n_grd, n_stu, n_crs)


def _count(conn: sa.Connection, t: sa.Table) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one())


def _analyze(conn: sa.Connection, *tables: sa.Table) -> None:
    # PostgreSQL's autovacuum never analyzes temporary tables; without statistics the planner
    # guesses row counts and picks nested loops over hundreds of thousands of rows.
    for t in tables:
        conn.execute(sa.text(f"ANALYZE {t.name}"))


def _n(cond: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    return sa.func.sum(sa.case((cond, 1), else_=0))


def _fill_attendance(conn: sa.Connection) -> int:
    q = (
        sa.select(
            AR.c.student_id, CAL.c.iv, sa.func.count(),
            _n(AR.c.status.in_(ATTENDED)), _n(AR.c.status == "absent"),
            _n(AR.c.status == "excused"), _n(AR.c.status == "tardy"), sa.func.min(AR.c.date),
        )
        .select_from(AR.join(CAL, AR.c.date == CAL.c.day))
        .where(AR.c.status.is_not(None), AR.c.student_id.is_not(None))
        .group_by(AR.c.student_id, CAL.c.iv)
    )
    cols = ["student_id", "iv", "n", "att", "absent", "excused", "tardy", "first_day"]
    conn.execute(sa.insert(ATT).from_select(cols, q))
    return _count(conn, ATT)


def _fill_incidents(conn: sa.Connection) -> int:
    q = (
        sa.select(
            DI.c.student_id, CAL.c.iv, sa.func.count(),
            _n(DI.c.severity_level >= codes.SERIOUS_SEVERITY),
            sa.func.sum(sa.func.coalesce(DI.c.severity_level, 1)),
        )
        .select_from(DI.join(CAL, DI.c.incident_date == CAL.c.day))
        .where(DI.c.student_id.is_not(None))
        .group_by(DI.c.student_id, CAL.c.iv)
    )
    conn.execute(sa.insert(INC).from_select(["student_id", "iv", "n", "serious", "severity"], q))
    return _count(conn, INC)


def _fill_grades(conn: sa.Connection) -> int:
    q = (
        sa.select(GR.c.student_id, GR.c.course_id, CAL.c.iv, sa.func.count(),
                  sa.func.sum(micro_points(GR.c.grade_value)))
        .select_from(GR.join(CAL, GR.c.submission_date == CAL.c.day))
        .where(GR.c.grade_value.is_not(None), GR.c.student_id.is_not(None))
        .group_by(GR.c.student_id, GR.c.course_id, CAL.c.iv)
    )
    conn.execute(sa.insert(GRD).from_select(["student_id", "course_id", "iv", "n", "micro"], q))
    return _count(conn, GRD)


def _running(col: sa.ColumnElement, *partition: sa.ColumnElement,
             order: sa.ColumnElement) -> sa.ColumnElement:
    return sa.func.sum(sa.func.coalesce(col, 0)).over(
        partition_by=list(partition), order_by=order, rows=(None, 0))


def _fill_students(conn: sa.Connection) -> int:
    ids = sa.union(sa.select(ATT.c.student_id), sa.select(INC.c.student_id)).subquery("ids")
    a, i = ATT.alias("a"), INC.alias("i")
    grid = ids.join(IV, sa.true()).outerjoin(
        a, sa.and_(a.c.student_id == ids.c.student_id, a.c.iv == IV.c.iv)).outerjoin(
        i, sa.and_(i.c.student_id == ids.c.student_id, i.c.iv == IV.c.iv))
    sid, iv = ids.c.student_id, IV.c.iv
    q = sa.select(
        iv, sid,
        *(_running(a.c[c], sid, order=iv) for c in ("n", "att", "absent", "excused", "tardy")),
        # first record of the school year so far: a running minimum that restarts each 1 July
        sa.func.min(a.c.first_day).over(partition_by=[sid, IV.c.sy], order_by=iv,
                                        rows=(None, 0)),
        *(_running(i.c[c], sid, order=iv) for c in ("n", "serious", "severity")),
    ).select_from(grid)
    cols = ["iv", "student_id", "n", "att", "absent", "excused", "tardy", "first_day", "inc",
            "serious", "severity"]
    conn.execute(sa.insert(STU).from_select(cols, q))
    return _count(conn, STU)


def _fill_courses(conn: sa.Connection) -> int:
    pairs = sa.select(GRD.c.student_id, GRD.c.course_id).distinct().subquery("pairs")
    g = GRD.alias("g")
    grid = pairs.join(IV, sa.true()).outerjoin(g, sa.and_(
        g.c.student_id == pairs.c.student_id, g.c.course_id == pairs.c.course_id,
        g.c.iv == IV.c.iv))
    key = (pairs.c.student_id, pairs.c.course_id)
    q = sa.select(IV.c.iv, *key, _running(g.c.n, *key, order=IV.c.iv),
                  _running(g.c.micro, *key, order=IV.c.iv)).select_from(grid)
    conn.execute(sa.insert(CRS).from_select(["iv", "student_id", "course_id", "n", "micro"], q))
    return _count(conn, CRS)


def _fill_schools(conn: sa.Connection) -> None:
    """Running record counts per school: a week in which a school recorded no attendance for
    anyone (a holiday) is not a week of missing data for its students."""
    school = sa.func.coalesce(school_code(), "").label("school")
    per = (sa.select(school, ATT.c.iv, sa.func.sum(ATT.c.n).label("n"))
           .select_from(ATT.join(S, S.c.id == ATT.c.student_id))
           .group_by(school, ATT.c.iv).subquery("per"))
    schools = sa.select(per.c.school).distinct().subquery("schools")
    grid = schools.join(IV, sa.true()).outerjoin(
        per, sa.and_(per.c.school == schools.c.school, per.c.iv == IV.c.iv))
    q = sa.select(IV.c.iv, schools.c.school,
                  _running(per.c.n, schools.c.school, order=IV.c.iv)).select_from(grid)
    conn.execute(sa.insert(SCH).from_select(["iv", "school", "n"], q))
