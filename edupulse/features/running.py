"""Running sums over the staged intervals, and the window figures of every as-of date.

Features: per student, running sums over all intervals (a dense grid, so every boundary has a
value); then ONE pass reads, for the row of each as-of date's interval, the running sums at
that date's other boundaries (interval - offset, offsets from ep_iv) and stores the window
figures (weekly counts, rolling GPA sums, year-to-date totals) in ep_asof. PostgreSQL reads
them with LAG in the same statement as the running sums, whose windows leave the rows in the
order LAG needs (storing the sums cost 0.4 s more), by student range in parallel workers
(edupulse.features.parts); SQLite stores them (ep_stu) and joins each boundary's row through
its index (`_at_boundaries`). A course's year-to-date state (graded, failing) changes only
when it gets a grade, so courses are reduced to per-student changes of "failing courses" and
"graded courses" (ep_gst, `course_changes`; on PostgreSQL also by student range) before the
grid is built.

Labels: dense running sums per student and per (student, course), read at two boundaries.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from edupulse.db.models import Grade, Student
from edupulse.features.cohort import school_code
from edupulse.features.parts import fill_by_student
from edupulse.features.scratch import drop, fill, index, tmp
from edupulse.features.sqlfuncs import (
    UNIT,
    grade_points,
    grade_units,
    int4,
    scan_order,
    text_key,
)
from edupulse.features.staging import ATT, GRD, INC, IV, big, ivc, sid
from edupulse.features.timeline import WEEKS

S, GR = Student.__table__, Grade.__table__
FAIL_UNITS = 60 * UNIT  # codes.FAILING_GRADE in grade units

GST = tmp("ep_gst", sid(), ivc(), big("gn"), big("gp"), big("d_fail"), big("d_courses"),
          pk=("student_id", "iv"))
STU_SUMS = ("n", "att", "absent", "excused", "tardy", "inc", "serious", "severity", "gn", "gp")
STU = tmp("ep_stu", sid(), ivc(), *[big(c) for c in STU_SUMS], sa.Column("first_day", sa.Date),
          big("failing"), big("courses"), pk=("student_id", "iv"))
SCH = tmp("ep_sch", ivc(), sa.Column("school", sa.String(200)), big("n"), pk=("iv", "school"))
YTD = STU_SUMS
ASOF_COLS = (
    *[f"{m}_{k}" for k in range(1, WEEKS + 1) for m in ("wn", "watt", "winc", "gn", "gp")],
    "n_4w", "att_4w", "inc_4w", *[f"{m}_ytd" for m in YTD], "failing", "courses",
)
ASOF = tmp("ep_asof", ivc(), sid(), *[big(c) for c in ASOF_COLS],
           sa.Column("first_day", sa.Date), pk=("iv", "student_id"))
SCHA = tmp("ep_scha", ivc(), sa.Column("school", sa.String(200)),
           *[big(f"sw_{k}") for k in range(1, WEEKS + 1)], pk=("iv", "school"))
FEATURE_SUMS = (STU, SCH, ASOF, SCHA)  # made by build_feature_sums
FEATURE_TABLES = (GST, *FEATURE_SUMS)  # GST is staged with the sources

LST = tmp("ep_lst", ivc(), sid(), big("n"), big("att"), pk=("iv", "student_id"))
LCR = tmp("ep_lcr", ivc(), sid(), sa.Column("course_id", sa.String(50)), big("n"),
          big("units"), pk=("iv", "student_id", "course_id"))
LABEL_TABLES = (LST, LCR)


def _running(col: Any, *partition: Any, order: Any = IV.c.iv) -> Any:
    """The running sum of `col` over rows up to this one (order: a column or a list)."""
    return sa.func.sum(sa.func.coalesce(int4(col), 0)).over(
        partition_by=list(partition), order_by=order, rows=(None, 0))


def build_feature_sums(conn: sa.Connection) -> None:
    """ep_stu (SQLite only), ep_sch, then ep_asof / ep_scha (ep_gst is staged:
    `course_changes`)."""
    drop(conn, FEATURE_SUMS)
    _schools(conn)
    index(conn, SCH)
    if conn.dialect.name != "postgresql":
        fill(conn, STU, _student_sums())
        index(conn, STU)
    _as_of(conn)
    index(conn, SCHA)  # ep_asof is only ever scanned whole: no index, no statistics needed


def course_changes(conn: sa.Connection, cal: Any, *, years: Sequence[int]) -> sa.Select:
    """The rows of ep_gst. Per (student, interval): graded assignments and points, and the
    change in the number of failing / graded courses of the school year (a course fails while
    its mean is below 60). `years`: the school years of the calendar.

    From running sums per graded assignment: each assignment's change of state telescopes to
    the interval's. SQLite reads the grades in the order of their natural-key index (student,
    course, day), so the window needs no sort (SQLite sorts slowly, and grouping by course and
    interval first took two sorts of 3 M rows: 7.2 s -> 5.4 s alone on the benchmark).
    PostgreSQL sorts each student range's assignments by (student, course in byte order, day)
    (edupulse.features.parts): 4.0 s on the benchmark, where grouping by course and interval
    in parallel workers first took 4.7 s by range and 5.1-6.4 s in one statement. One window
    per school year (running figures restart on 1 July): on SQLite each scans the index once,
    cheaper than the sorts up to several school years per build."""
    u = grade_units(GR.c.grade_value)
    window = dict(partition_by=[GR.c.student_id, text_key(GR.c.course_id)],
                  order_by=GR.c.submission_date, rows=(None, 0))
    per_year = [
        sa.select(GR.c.student_id, cal.c.iv, u.label("u"),
                  grade_points(GR.c.grade_value).label("pts"),
                  sa.func.count().over(**window).label("cn"),
                  sa.func.sum(u).over(**window).label("cu"))
        .select_from(GR.join(cal, cal.c.day == scan_order(GR.c.submission_date)))
        .where(GR.c.grade_value.is_not(None), GR.c.student_id.is_not(None), cal.c.sy == sy)
        for sy in years
    ]
    r = (per_year[0] if len(per_year) == 1 else sa.union_all(*per_year)).subquery("r")
    fail = sa.case((r.c.cu < FAIL_UNITS * r.c.cn, 1), else_=0)
    failed_before = sa.case((sa.and_(
        r.c.cn > 1, r.c.cu - r.c.u < FAIL_UNITS * (r.c.cn - 1)), 1), else_=0)
    return sa.select(
        r.c.student_id, r.c.iv, sa.func.count(), sa.func.sum(r.c.pts),
        sa.func.sum(fail - failed_before), sa.func.sum(sa.case((r.c.cn == 1, 1), else_=0)),
    ).group_by(r.c.student_id, r.c.iv)


def _student_sums(*extra: Any) -> sa.Select:
    """Per student and interval: running sums of every per-interval figure. Every window is
    ordered by (school year, interval), the interval order itself (school years follow the
    intervals), so that one sort serves the yearly running figures and the others."""
    # Every student, not only those with records: a student without any gets zeros, which the
    # feature rows read exactly as no row; and the planner knows the grid's size (a UNION of
    # the staged ids is estimated at many times its size, and gets sort-merge joins).
    ids = sa.select(S.c.id.label("student_id")).subquery("ids")
    a, i, g = ATT.alias("a"), INC.alias("i"), GST.alias("g")
    s = ids.c.student_id

    def on(t: Any) -> Any:
        return sa.and_(t.c.student_id == s, t.c.iv == IV.c.iv)

    grid = ids.join(IV, sa.true()).outerjoin(a, on(a)).outerjoin(i, on(i)).outerjoin(g, on(g))
    sources = {"n": a.c.n, "att": a.c.att, "absent": a.c.absent, "excused": a.c.excused,
               "tardy": a.c.tardy, "inc": i.c.n, "serious": i.c.serious,
               "severity": i.c.severity, "gn": g.c.gn, "gp": g.c.gp}
    order = [IV.c.sy, IV.c.iv]
    year = (s, IV.c.sy)  # figures that restart on 1 July
    return sa.select(
        s, IV.c.iv, *extra,
        *[_running(sources[c], s, order=order).label(c) for c in STU_SUMS],
        sa.func.min(a.c.first_day).over(partition_by=list(year), order_by=IV.c.iv,
                                        rows=(None, 0)).label("first_day"),
        _running(g.c.d_fail, *year).label("failing"),
        _running(g.c.d_courses, *year).label("courses"),
    ).select_from(grid)


def _schools(conn: sa.Connection) -> None:
    """Running record counts per school: a week in which a school recorded no attendance for
    anyone (a holiday) is not a week of missing data for its students."""
    school = sa.func.coalesce(school_code(), "").label("school")
    per = (sa.select(school, ATT.c.iv, sa.func.sum(int4(ATT.c.n)).label("n"))
           .select_from(ATT.join(S, S.c.id == ATT.c.student_id))
           .group_by(school, ATT.c.iv).subquery("per"))
    schools = sa.select(per.c.school).distinct().subquery("schools")
    grid = schools.join(IV, sa.true()).outerjoin(
        per, sa.and_(per.c.school == schools.c.school, per.c.iv == IV.c.iv))
    q = sa.select(IV.c.iv, schools.c.school, _running(per.c.n, schools.c.school)
                  ).select_from(grid)
    fill(conn, SCH, q)


Wanted = dict[int | str, tuple[str, ...]]  # boundary j -> running sums read there


def _at_boundaries(conn: sa.Connection, table: sa.Table | sa.Subquery, key: tuple[str, ...],
                   wanted: Wanted) -> sa.Subquery:
    """The rows of `table` (dense running sums per `key` and interval) at each as-of interval,
    with the running sums `wanted` at boundary j (as_of - 7j; "y": the YTD floor) as columns
    named col_j (j = 0: the row's own). PostgreSQL reads them with LAG(col, offset) in one
    sorted window pass; SQLite joins each boundary's row by (key, interval - offset), one
    index lookup per boundary, where LAG with a per-row offset costs a seek per column."""
    if conn.dialect.name == "postgresql":
        rows = sa.select(table, IV.c.asof, *[IV.c[f"o{j}"] for j in range(1, 8)], IV.c.oy
                         ).select_from(table.join(IV, IV.c.iv == table.c.iv)).subquery("rows")
        return _lagged(rows, key, wanted, [rows.c.iv])
    now = table.alias("b0")
    joined = now.join(IV, sa.and_(IV.c.iv == now.c.iv, IV.c.asof == 1))
    rows: dict[int | str, Any] = {0: now}
    for j in wanted:
        if j != 0:
            r = rows[j] = table.alias(f"b{j}")
            joined = joined.join(r, sa.and_(*[r.c[k] == now.c[k] for k in key],
                                            r.c.iv == now.c.iv - IV.c[_offset(j)]))
    return sa.select(*[now.c[k] for k in key], now.c.iv, *[
        rows[j].c[c].label(f"{c}_{j}") for j, cols in wanted.items() for c in cols
    ]).select_from(joined).subquery("at")


def _lagged(rows: sa.Subquery, key: tuple[str, ...], wanted: Wanted,
            order: list[Any]) -> sa.Subquery:
    """PostgreSQL: `rows` (running sums with the ep_iv columns asof, o1..o7, oy of their
    interval) at each as-of interval, the other boundaries read by LAG in `order` (the
    interval order)."""
    part = [rows.c[k] for k in key]
    inner = sa.select(*part, rows.c.iv, rows.c.asof, *[
        (rows.c[c] if j == 0 else sa.func.lag(rows.c[c], rows.c[_offset(j)]).over(
            partition_by=part, order_by=order)).label(f"{c}_{j}")
        for j, cols in wanted.items() for c in cols
    ]).subquery("lagged")
    return (sa.select(*[c for c in inner.c if c.name != "asof"])
            .where(inner.c.asof == 1).subquery("at"))


def _offset(j: int | str) -> str:
    return "oy" if j == "y" else f"o{j}"


def _as_of(conn: sa.Connection) -> None:
    weekly, gpa = ("n", "att", "inc"), ("gn", "gp")
    wanted: Wanted = {0: (*YTD, "failing", "courses", "first_day")}
    wanted |= {j: (*weekly, *gpa) for j in range(1, WEEKS + 1)}
    wanted |= {j: gpa for j in range(WEEKS + 1, 2 * WEEKS)} | {"y": YTD}
    if conn.dialect.name == "postgresql":
        # Straight from the running sums, without storing them: their windows leave the rows
        # sorted by (student, school year, interval), which the LAG pass reads in that order.
        sums = _student_sums(IV.c.sy, IV.c.asof, *[IV.c[f"o{j}"] for j in range(1, 8)],
                             IV.c.oy).subquery("rows")
        b = _lagged(sums, ("student_id",), wanted, [sums.c.sy, sums.c.iv])
    else:
        b = _at_boundaries(conn, STU, ("student_id",), wanted)

    def span(col: str, hi: int | str, lo: int | str) -> Any:
        return b.c[f"{col}_{hi}"] - b.c[f"{col}_{lo}"]

    figures: dict[str, Any] = {}
    for k in range(1, WEEKS + 1):  # week k is (as_of - 7(5-k), as_of - 7(4-k)]
        hi, lo = WEEKS - k, WEEKS - k + 1
        figures |= {f"wn_{k}": span("n", hi, lo), f"watt_{k}": span("att", hi, lo),
                    f"winc_{k}": span("inc", hi, lo),
                    # the rolling GPA of week k covers the 28 days ending with it
                    f"gn_{k}": span("gn", hi, hi + 4), f"gp_{k}": span("gp", hi, hi + 4)}
    figures |= {"n_4w": span("n", 0, WEEKS), "att_4w": span("att", 0, WEEKS),
                "inc_4w": span("inc", 0, WEEKS),
                **{f"{m}_ytd": span(m, 0, "y") for m in YTD},
                "failing": b.c.failing_0, "courses": b.c.courses_0}
    fill_by_student(conn, ASOF, sa.select(b.c.iv, b.c.student_id, *figures.values(),
                                          b.c.first_day_0))

    b = _at_boundaries(conn, SCH, ("school",), {j: ("n",) for j in range(WEEKS + 1)})
    fill(conn, SCHA, sa.select(b.c.iv, b.c.school, *[
        b.c[f"n_{WEEKS - k}"] - b.c[f"n_{WEEKS - k + 1}"] for k in range(1, WEEKS + 1)]))


def build_label_sums(conn: sa.Connection) -> None:
    """Dense running attendance counts per student and grade sums per (student, course)."""
    drop(conn, LABEL_TABLES)
    _dense(conn, LST, ATT, ("student_id",), ("n", "att"))
    _dense(conn, LCR, GRD, ("student_id", "course_id"), ("n", "units"))
    index(conn, LST, LCR)


def _dense(conn: sa.Connection, target: sa.Table, source: sa.Table, keys: tuple[str, ...],
           sums: tuple[str, ...]) -> None:
    ids = sa.select(*[source.c[k] for k in keys]).distinct().subquery("ids")
    src = source.alias("src")
    grid = ids.join(IV, sa.true()).outerjoin(src, sa.and_(
        *[src.c[k] == ids.c[k] for k in keys], src.c.iv == IV.c.iv))
    part = [ids.c[k] for k in keys]
    q = sa.select(IV.c.iv, *part, *[_running(src.c[m], *part) for m in sums]).select_from(grid)
    fill_by_student(conn, target, q)
