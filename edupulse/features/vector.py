"""The feature query for one as-of date, read from the staged running sums.

The definitions live in docs/features.md; this module is their SQL. Three levels of subquery:
`_windows` turns running sums at the date's boundaries into raw window figures (weekly record
counts, rates, incident counts, rolling GPAs, year-to-date totals), `_filled` applies the
missing-week rules, and `feature_select` shapes the student_features row with the spec's JSON
vector and feature_vector["extra"].
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from edupulse.data import codes
from edupulse.db.models import Student
from edupulse.features import columns
from edupulse.features.cohort import eligible, school_code
from edupulse.features.sqlfuncs import MICRO, days_between, fdiv, json_arr, json_obj
from edupulse.features.staging import CRS, SCH, STU
from edupulse.features.timeline import WEEKS, FeatureWindows, Timeline

S = Student.__table__
GRADE_POINTS = {"A": 4, "B": 3, "C": 2, "D": 1, "F": 0}
ABC_ATTENDANCE_BELOW = 0.90
ABC_GPA_AT_OR_BELOW = 2.0
STUDENT_MEASURES = ("n", "att", "absent", "excused", "tardy", "inc", "serious", "severity")


def _at(table: sa.Table, col: str, iv: int) -> sa.ColumnElement:
    return sa.func.max(sa.case((table.c.iv == iv, table.c[col])))


def _student_pivot(e: list[int], y: int) -> sa.Subquery:
    """Running sums of each student at the boundaries as_of - 7j (j = 0..4) and the YTD floor."""
    cols = [_at(STU, m, iv).label(f"{m}_{j}") for m in STUDENT_MEASURES
            for j, iv in [*enumerate(e[: WEEKS + 1]), ("y", y)]]
    return (
        sa.select(STU.c.student_id, *cols, _at(STU, "first_day", e[0]).label("first_day"))
        .where(STU.c.iv.in_(sorted({*e[: WEEKS + 1], y})))
        .group_by(STU.c.student_id)
        .subquery("p")
    )


def _school_pivot(e: list[int]) -> sa.Subquery:
    cols = [_at(SCH, "n", iv).label(f"n_{j}") for j, iv in enumerate(e[: WEEKS + 1])]
    return (sa.select(SCH.c.school, *cols).where(SCH.c.iv.in_(sorted(set(e[: WEEKS + 1]))))
            .group_by(SCH.c.school).subquery("h"))


def _points(n: Any, micro: Any) -> sa.ColumnElement:
    """4.0-scale points of a course average (codes.LETTER_GRADES: A >= 90 ... F < 60), compared
    in exact integer micro-points; NULL when the course has no grade in the window."""
    whens = [(n == 0, sa.null())]
    for floor, letter in codes.LETTER_GRADES:
        whens.append((micro >= int(floor * MICRO) * n, GRADE_POINTS[letter]))
    return sa.case(*whens, else_=0)


def _course_summary(e: list[int], y: int) -> sa.Subquery:
    """Per student: rolling GPAs of the four weeks, YTD GPA, failing and graded courses."""
    ivs = sorted({*e, y})
    per = (
        sa.select(CRS.c.student_id, CRS.c.course_id,
                  *[_at(CRS, c, iv).label(f"{c}_{j}") for c in ("n", "micro")
                    for j, iv in [*enumerate(e), ("y", y)]])
        .where(CRS.c.iv.in_(ivs)).group_by(CRS.c.student_id, CRS.c.course_id).subquery("per")
    )
    c = per.c
    rolling = [_points(c[f"n_{j}"] - c[f"n_{j + 4}"], c[f"micro_{j}"] - c[f"micro_{j + 4}"])
               for j in range(WEEKS)]
    ytd_n, ytd_micro = c.n_0 - c.n_y, c.micro_0 - c.micro_y
    ytd_points = _points(ytd_n, ytd_micro)
    failing = sa.case((sa.and_(ytd_n > 0, ytd_micro < int(codes.FAILING_GRADE * MICRO) * ytd_n),
                       1), else_=0)
    return (
        sa.select(
            c.student_id,
            *[fdiv(sa.func.sum(p), sa.func.count(p)).label(f"gpa_{j}")
              for j, p in enumerate(rolling)],
            fdiv(sa.func.sum(ytd_points), sa.func.count(ytd_points)).label("gpa_ytd"),
            sa.func.sum(failing).label("failing"),
            sa.func.sum(sa.case((ytd_n > 0, 1), else_=0)).label("courses"),
        )
        .group_by(c.student_id)
        .subquery("g")
    )


def _windows(fw: FeatureWindows, tl: Timeline, grade_levels: Any) -> sa.Subquery:
    """Raw window figures per cohort student; week k (1..4) is (as_of - 7(5-k), as_of - 7(4-k)]."""
    e = [tl.index(b) for b in fw.ends]
    y = tl.index(fw.ytd_floor)
    p, h, g = _student_pivot(e, y), _school_pivot(e), _course_summary(e, y)
    school = sa.func.coalesce(school_code(), "")

    def diff(m: str, hi: Any, lo: Any) -> Any:
        return sa.func.coalesce(p.c[f"{m}_{hi}"] - p.c[f"{m}_{lo}"], 0)

    out: list[Any] = [S.c.id.label("student_id")]
    for k in range(1, WEEKS + 1):
        hi, lo = WEEKS - k, WEEKS - k + 1
        week_end = fw.ends[hi]
        out += [
            diff("n", hi, lo).label(f"wn_{k}"),
            fdiv(diff("att", hi, lo), diff("n", hi, lo)).label(f"rate_{k}"),
            diff("inc", hi, lo).label(f"inc_{k}"),
            g.c[f"gpa_{hi}"].label(f"gpa_{k}"),
            sa.case((sa.and_(sa.func.coalesce(h.c[f"n_{hi}"] - h.c[f"n_{lo}"], 0) > 0,
                             sa.or_(S.c.enrollment_date.is_(None),
                                    S.c.enrollment_date <= week_end)), 1),
                    else_=0).label(f"expected_{k}"),
        ]
    out += [
        fdiv(diff("att", 0, WEEKS), diff("n", 0, WEEKS)).label("rate_4w"),
        diff("inc", 0, WEEKS).label("inc_4w"),
        *[fdiv(diff(m, 0, "y"), diff("n", 0, "y")).label(f"{m}_rate_ytd")
          for m in ("att", "absent", "excused", "tardy")],
        *[diff(m, 0, "y").label(f"{m}_ytd") for m in ("inc", "serious", "severity")],
        g.c.gpa_ytd,
        sa.func.coalesce(g.c.failing, 0).label("failing"),
        sa.func.coalesce(g.c.courses, 0).label("courses"),
        sa.case((p.c.first_day.is_(None), 0),
                else_=(days_between(sa.literal(fw.as_of, sa.Date), p.c.first_day) + 7) // 7,
                ).label("weeks_of_data"),
    ]
    return (
        sa.select(*out)
        .select_from(S.outerjoin(p, p.c.student_id == S.c.id)
                     .outerjoin(g, g.c.student_id == S.c.id)
                     .outerjoin(h, h.c.school == school))
        .where(eligible(fw.as_of, grade_levels))
        .subquery("w")
    )


def _fill(values: list[Any], fallback: Any) -> list[Any]:
    """A week without data takes the nearest earlier week with data, else the nearest later
    one, else `fallback` (the year-to-date figure)."""
    out = []
    for k in range(len(values)):
        nearest = [values[k], *values[k - 1 :: -1], *values[k + 1 :]] if k else values
        out.append(sa.func.coalesce(*nearest, fallback))
    return out


def _slope(ys: list[Any]) -> Any:
    """Least-squares slope of four weekly values against week number (per week)."""
    y = [sa.cast(v, sa.Float) for v in ys]
    return (y[3] - y[0]) * 0.3 + (y[2] - y[1]) * 0.1


def feature_select(
    fw: FeatureWindows, tl: Timeline, grade_levels: Any = None
) -> sa.Select:
    """SELECT student_id, feature_date, attendance_rate, gpa_current, discipline_incidents,
    feature_vector for every cohort student of `fw.as_of`."""
    w = _windows(fw, tl, grade_levels)
    att = _fill([w.c[f"rate_{k}"] for k in range(1, WEEKS + 1)], w.c.att_rate_ytd)
    gpa = _fill([w.c[f"gpa_{k}"] for k in range(1, WEEKS + 1)], w.c.gpa_ytd)
    inc = [w.c[f"inc_{k}"] for k in range(1, WEEKS + 1)]
    has = [sa.case((sa.and_(w.c[f"wn_{k}"] > 0, w.c[f"expected_{k}"] == 1), 1), else_=0)
           for k in range(1, WEEKS + 1)]
    expected = [w.c[f"expected_{k}"] for k in range(1, WEEKS + 1)]
    quality = fdiv(sum(has[1:], has[0]), sum(expected[1:], expected[0]))
    abc = {
        "abc_attendance": sa.case((w.c.att_rate_ytd < ABC_ATTENDANCE_BELOW, 1), else_=0),
        "abc_behavior": sa.case((w.c.serious_ytd >= 1, 1), else_=0),
        "abc_course": sa.case((sa.or_(w.c.failing >= 1, w.c.gpa_ytd <= ABC_GPA_AT_OR_BELOW), 1),
                              else_=0),
    }
    extra = {
        "attendance_rate_ytd": w.c.att_rate_ytd,
        "unexcused_absence_rate_ytd": w.c.absent_rate_ytd,
        "excused_rate_ytd": w.c.excused_rate_ytd,
        "tardy_rate_ytd": w.c.tardy_rate_ytd,
        "gpa_ytd": w.c.gpa_ytd,
        "failing_courses": w.c.failing,
        "courses": w.c.courses,
        "incidents_ytd": w.c.inc_ytd,
        "serious_incidents_ytd": w.c.serious_ytd,
        "severity_weighted_incidents_ytd": w.c.severity_ytd,
        **abc,
        "abc_flags": abc["abc_attendance"] + abc["abc_behavior"] + abc["abc_course"],
    }
    if tuple(extra) != columns.EXTRA:
        raise RuntimeError("feature_vector['extra'] must hold exactly columns.EXTRA, in order")
    vector = json_obj(
        "attendance", json_arr(*att),
        "academic", json_arr(*gpa),
        "behavioral", json_arr(*inc),
        "trends", json_arr(_slope(att), _slope(gpa), _slope(inc)),
        "metadata", json_obj("weeks_of_data", w.c.weeks_of_data, "data_quality", quality),
        "extra", json_obj(*[x for kv in extra.items() for x in kv]),
    )
    return sa.select(
        w.c.student_id,
        sa.literal(fw.as_of, sa.Date).label("feature_date"),
        sa.func.coalesce(w.c.rate_4w, w.c.att_rate_ytd).label("attendance_rate"),
        gpa[-1].label("gpa_current"),
        w.c.inc_4w.label("discipline_incidents"),
        vector.label("feature_vector"),
    )

