"""A straightforward pandas reference for docs/features.md, written from the definitions (no
running sums, no intervals): for each as-of date, filter the raw rows to each window and count.
The SQL in edupulse.features must agree with it to 1e-9."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import sqlalchemy as sa

from edupulse.data import codes

ATTENDED = set(codes.ATTENDED_STATUSES)
POINTS = {"A": 4, "B": 3, "C": 2, "D": 1, "F": 0}


def read_sources(engine: sa.Engine) -> dict[str, pd.DataFrame]:
    """The four source tables as plain frames (dates as datetime.date, ids as text)."""
    q = {
        "students": "SELECT id, district_id, enrollment_date, student_metadata FROM students",
        "attendance": "SELECT student_id, date, status FROM attendance_records",
        "grades": "SELECT student_id, course_id, submission_date AS date, grade_value "
                  "FROM grades",
        "incidents": "SELECT student_id, incident_date AS date, severity_level "
                     "FROM discipline_incidents",
    }
    out = {}
    with engine.connect() as conn:
        for name, sql in q.items():
            rows = conn.execute(sa.text(sql)).all()
            out[name] = pd.DataFrame(rows, columns=list(conn.execute(sa.text(sql)).keys()))
    for name in ("attendance", "grades", "incidents"):
        f = out[name]
        f["student_id"] = f["student_id"].map(_hex)
        f["date"] = f["date"].map(_day)
        f["day"] = f["date"].map(dt.date.toordinal).astype("int64")
    s = out["students"]
    s["id"] = s["id"].map(_hex)
    s["enrollment_date"] = s["enrollment_date"].map(lambda d: None if d is None else _day(d))
    s["meta"] = s["student_metadata"].map(_meta)
    return out


def _hex(v: object) -> str:
    return str(v).replace("-", "")


def _day(v: object) -> dt.date:
    return dt.date.fromisoformat(v[:10]) if isinstance(v, str) else v  # type: ignore[return-value]


def _meta(v: object) -> dict:
    import json

    if v is None:
        return {}
    return json.loads(v) if isinstance(v, str) else dict(v)  # type: ignore[arg-type]


def school_year_start(d: dt.date) -> dt.date:
    return dt.date(d.year if d.month >= 7 else d.year - 1, 7, 1)


def _in(frame: pd.DataFrame, lo: dt.date, hi: dt.date) -> pd.DataFrame:
    """Rows with lo < date <= hi."""
    day = frame["day"].to_numpy()
    return frame[(day > lo.toordinal()) & (day <= hi.toordinal())]


def _units(v: float) -> int:
    """Ten-thousandths of a point, half up."""
    return math.floor(v * 10_000 + 0.5)


def _points(units: int) -> int:
    for floor, letter in codes.LETTER_GRADES:
        if units >= int(floor * 10_000):
            return POINTS[letter]
    return 0


def _gpa(grades: pd.DataFrame) -> float:
    """Mean points of the graded assignments."""
    if grades.empty:
        return math.nan
    return sum(_points(u) for u in grades["units"]) / len(grades)


def _fill(values: list[float], fallback: float) -> list[float]:
    out = []
    for k, v in enumerate(values):
        order = [v, *values[:k][::-1], *values[k + 1 :], fallback]
        out.append(next((x for x in order if not math.isnan(x)), math.nan))
    return out


def _slope(ys: list[float]) -> float:
    if any(math.isnan(y) for y in ys):
        return math.nan
    return float(np.polyfit([1, 2, 3, 4], ys, 1)[0])


def _enrolled_by(st: pd.Series, day: dt.date) -> bool:
    """Enrolled on or before `day` (a missing enrollment date counts as enrolled)."""
    e = st["enrollment_date"]
    return e is None or pd.isna(e) or e <= day


def _eligible(st: pd.Series, a: dt.date) -> bool:
    exit_date = st["meta"].get(codes.META_EXIT_DATE) or None
    enrolled = _enrolled_by(st, a)
    return enrolled and (exit_date is None or dt.date.fromisoformat(exit_date) > a)


def reference_features(src: dict[str, pd.DataFrame], as_of: dt.date) -> pd.DataFrame:
    """One row per cohort student: every column of columns.MODEL_FEATURES except the BASE
    REAL columns, which are checked separately (float4 on PostgreSQL)."""
    students, att = src["students"], src["attendance"]
    att = att[att["status"].notna()]
    grades = src["grades"][src["grades"]["grade_value"].notna()].copy()
    grades["units"] = grades["grade_value"].map(_units)
    inc = src["incidents"]
    week = dt.timedelta(days=7)
    ends = [as_of - j * week for j in range(8)]
    ytd_floor = school_year_start(as_of) - dt.timedelta(days=1)
    school_of = {r.id: (r.meta.get(codes.META_SCHOOL) or "") for r in students.itertuples()}
    att_school = att.assign(school=att["student_id"].map(school_of))
    by = {name: dict(tuple(f.groupby(key))) for name, f, key in (
        ("att", att, "student_id"), ("grades", grades, "student_id"),
        ("inc", inc, "student_id"), ("school", att_school, "school"))}
    rows = []
    for _, st in students.iterrows():
        if not _eligible(st, as_of):
            continue
        sid = st["id"]
        a = by["att"].get(sid, att.iloc[:0])
        g = by["grades"].get(sid, grades.iloc[:0])
        i = by["inc"].get(sid, inc.iloc[:0])
        sch = by["school"].get(school_of[sid], att_school.iloc[:0])
        rates, n_week, incs, gpas, expected = [], [], [], [], []
        for k in range(1, 5):
            hi, lo = ends[4 - k], ends[5 - k]
            wk = _in(a, lo, hi)
            n_week.append(len(wk))
            rates.append(wk["status"].isin(ATTENDED).sum() / len(wk) if len(wk) else math.nan)
            incs.append(len(_in(i, lo, hi)))
            gpas.append(_gpa(_in(g, hi - 4 * week, hi)))
            enrolled = _enrolled_by(st, hi)
            expected.append(int(len(_in(sch, lo, hi)) > 0 and enrolled))
        ytd = _in(a, ytd_floor, as_of)
        n_ytd = len(ytd)

        def share(statuses: set[str], frame: pd.DataFrame = ytd, n: int = n_ytd) -> float:
            return frame["status"].isin(statuses).sum() / n if n else math.nan

        g_ytd = _in(g, ytd_floor, as_of)
        per_course = [(int(c["units"].sum()), len(c)) for _, c in g_ytd.groupby("course_id")]
        failing = sum(1 for u, n in per_course if u < 600_000 * n)
        i_ytd = _in(i, ytd_floor, as_of)
        sev = i_ytd["severity_level"]
        serious = int((sev >= codes.SERIOUS_SEVERITY).sum())
        att_ytd, gpa_ytd = share(ATTENDED), _gpa(g_ytd)
        attendance, academic = _fill(rates, att_ytd), _fill(gpas, gpa_ytd)
        first = ytd["date"].min() if n_ytd else None
        has = [int(n > 0 and e) for n, e in zip(n_week, expected, strict=True)]
        abc = dict(
            abc_attendance=int(att_ytd < 0.9) if not math.isnan(att_ytd) else 0,
            abc_behavior=int(serious >= 1),
            abc_course=int(failing >= 1 or (not math.isnan(gpa_ytd) and gpa_ytd <= 2.0)),
        )
        last4 = _in(a, ends[4], as_of)
        rate_4w = share(ATTENDED, last4, len(last4)) if len(last4) else att_ytd
        rows.append(dict(
            student_id=sid, district_id=st["district_id"],
            attendance_rate=rate_4w, gpa_current=academic[3],
            discipline_incidents=float(len(_in(i, ends[4], as_of))),
            **{f"attendance_w{k}": attendance[k - 1] for k in range(1, 5)},
            **{f"gpa_w{k}": academic[k - 1] for k in range(1, 5)},
            **{f"incidents_w{k}": float(incs[k - 1]) for k in range(1, 5)},
            attendance_trend=_slope(attendance), gpa_trend=_slope(academic),
            incidents_trend=_slope([float(x) for x in incs]),
            weeks_of_data=float(0 if first is None else (as_of - first).days // 7 + 1),
            data_quality=sum(has) / sum(expected) if sum(expected) else math.nan,
            attendance_rate_ytd=att_ytd,
            unexcused_absence_rate_ytd=share({"absent"}),
            excused_rate_ytd=share({"excused"}),
            tardy_rate_ytd=share({"tardy"}),
            gpa_ytd=gpa_ytd,
            failing_courses=float(failing),
            courses=float(len(per_course)),
            incidents_ytd=float(len(i_ytd)),
            serious_incidents_ytd=float(serious),
            severity_weighted_incidents_ytd=float(sev.fillna(1).sum()),
            **{k: float(v) for k, v in abc.items()},
            abc_flags=float(sum(abc.values())),
        ))
    return pd.DataFrame(rows)
