"""The student_features rows of every as-of date at once, from the window figures in ep_asof.

The definitions live in docs/features.md; this module is their SQL: rates from counts, the
missing-week rules, slopes, the ABC flags, and the spec's JSON vector with
feature_vector["extra"] holding columns.EXTRA.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import sqlalchemy as sa

from edupulse.db.models import Student
from edupulse.features import columns
from edupulse.features.cohort import eligible, school_code
from edupulse.features.running import ASOF, SCHA
from edupulse.features.scratch import tmp
from edupulse.features.sqlfuncs import days_between, fdiv, json_doc
from edupulse.features.staging import IV
from edupulse.features.timeline import WEEKS

S = Student.__table__
ABC_ATTENDANCE_BELOW = 0.90
ABC_GPA_AT_OR_BELOW = 2.0
WEEK_RANGE = range(1, WEEKS + 1)


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


def window_select() -> sa.Select:
    """Rates and counts per (cohort student, as-of date) (NULL rates where a window holds no
    record), to be stored in ep_w (`windows_table`) before `feature_select` reads them."""
    a, h, d = ASOF, SCHA, IV
    as_of = d.c.hi
    z = sa.func.coalesce

    def n(col: str) -> Any:
        return z(a.c[col], 0)

    out: list[Any] = [S.c.id.label("student_id"), as_of.label("feature_date")]
    for k in WEEK_RANGE:
        # enrolled by the end of week k, as_of - 7(4-k)
        enrolled = sa.or_(S.c.enrollment_date.is_(None),
                          days_between(as_of, S.c.enrollment_date) >= 7 * (WEEKS - k))
        out += [
            n(f"wn_{k}").label(f"wn_{k}"),
            fdiv(n(f"watt_{k}"), n(f"wn_{k}")).label(f"rate_{k}"),
            n(f"winc_{k}").label(f"inc_{k}"),
            fdiv(n(f"gp_{k}"), n(f"gn_{k}")).label(f"gpa_{k}"),
            sa.case((sa.and_(z(h.c[f"sw_{k}"], 0) > 0, enrolled), 1), else_=0
                    ).label(f"expected_{k}"),
        ]
    out += [
        fdiv(n("att_4w"), n("n_4w")).label("rate_4w"),
        n("inc_4w").label("inc_4w"),
        *[fdiv(n(f"{m}_ytd"), n("n_ytd")).label(f"{m}_rate_ytd")
          for m in ("att", "absent", "excused", "tardy")],
        *[n(f"{m}_ytd").label(f"{m}_ytd") for m in ("inc", "serious", "severity")],
        fdiv(n("gp_ytd"), n("gn_ytd")).label("gpa_ytd"),
        n("failing").label("failing"),
        n("courses").label("courses"),
        # first record of the school year so far (a running minimum that restarts on 1 July)
        sa.case((a.c.first_day.is_(None), 0),
                else_=(days_between(as_of, a.c.first_day) + 7) // 7,
                ).label("weeks_of_data"),
    ]
    # every student x every as-of interval (ep_asof holds a row for each pair), driven by
    # ep_asof, the biggest table, which parallel workers split between them
    grid = a.join(d, d.c.iv == a.c.iv).join(S, S.c.id == a.c.student_id)
    joined = grid.outerjoin(h, sa.and_(h.c.school == z(school_code(), ""), h.c.iv == d.c.iv))
    return sa.select(*out).select_from(joined).where(eligible(as_of))


@cache
def windows_table() -> sa.Table:
    """ep_w: the rows of `window_select`. Stored, not a subquery, so that each rate is computed
    once: the database would inline a subquery's expressions into every expression that uses
    them (the fills and slopes would recompute each rate many times per row), and the fences
    that prevent it (OFFSET 0) also keep the rest of the query out of parallel workers."""
    return tmp("ep_w", *[sa.Column(c.name, c.type) for c in window_select().selected_columns],
               pk=())


def _filled() -> sa.Subquery:
    """The four-week vectors after the missing-week rules, plus what the outer level needs."""
    w = windows_table()
    att = _fill([w.c[f"rate_{k}"] for k in WEEK_RANGE], w.c.att_rate_ytd)
    gpa = _fill([w.c[f"gpa_{k}"] for k in WEEK_RANGE], w.c.gpa_ytd)
    has = [sa.case((sa.and_(w.c[f"wn_{k}"] > 0, w.c[f"expected_{k}"] == 1), 1), else_=0)
           for k in WEEK_RANGE]
    expected = [w.c[f"expected_{k}"] for k in WEEK_RANGE]
    weekly = {f"{m}_{k}" for m in ("rate", "gpa", "wn", "expected") for k in WEEK_RANGE}
    keep = [c for c in w.c if c.name not in weekly]
    return (
        sa.select(*keep, *[v.label(f"att_{k}") for k, v in zip(WEEK_RANGE, att, strict=True)],
                  *[v.label(f"gpa_{k}") for k, v in zip(WEEK_RANGE, gpa, strict=True)],
                  fdiv(sum(has[1:], has[0]), sum(expected[1:], expected[0])).label("quality"))
        .subquery("f")
    )


def feature_select() -> sa.Select:
    """SELECT student_id, feature_date, attendance_rate, gpa_current, discipline_incidents,
    feature_vector for every cohort student of every as-of date in ep_iv."""
    w = _filled()
    att = [w.c[f"att_{k}"] for k in WEEK_RANGE]
    gpa = [w.c[f"gpa_{k}"] for k in WEEK_RANGE]
    inc = [w.c[f"inc_{k}"] for k in WEEK_RANGE]
    quality = w.c.quality
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
    vector = json_doc({
        "attendance": att,
        "academic": gpa,
        "behavioral": inc,
        "trends": [_slope(att), _slope(gpa), _slope(inc)],
        "metadata": {"weeks_of_data": w.c.weeks_of_data, "data_quality": quality},
        "extra": extra,
    }, name="ep_fv")
    return sa.select(
        w.c.student_id,
        w.c.feature_date,
        sa.func.coalesce(w.c.rate_4w, w.c.att_rate_ytd).label("attendance_rate"),
        gpa[-1].label("gpa_current"),
        w.c.inc_4w.label("discipline_incidents"),
        vector.label("feature_vector"),
    )


def cohort_sizes() -> sa.Select:
    """(as-of date, cohort size) of every as-of date in ep_w: the rows feature_select gives per
    date, counted without reading them back."""
    w = windows_table()
    return sa.select(w.c.feature_date, sa.func.count()).group_by(w.c.feature_date)
