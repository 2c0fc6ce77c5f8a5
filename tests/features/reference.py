"""A straightforward reference for docs/features.md, written from the definitions (no running
sums, no intervals): for each as-of date and student, select the raw records of each window
and count them. The SQL in edupulse.features must agree with it to 1e-9."""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa

from edupulse.data import codes

STATUS = {s: i for i, s in enumerate(codes.ATTENDANCE_STATUSES)}  # present absent tardy excused
ATTENDED = [STATUS[s] for s in codes.ATTENDED_STATUSES]
POINTS = {"A": 4, "B": 3, "C": 2, "D": 1, "F": 0}
WEEK = 7


@dataclass
class Student:
    id: str
    district_id: str
    enrolled: int | None  # ordinal day
    exit: int | None
    school: str
    att_day: np.ndarray  # records with a status
    att_status: np.ndarray
    g_day: np.ndarray  # grades with a value
    g_course: np.ndarray
    g_units: np.ndarray
    i_day: np.ndarray
    i_sev: np.ndarray  # NaN = missing severity


def _hex(v: object) -> str:
    return str(v).replace("-", "")


def _ordinal(v: object) -> int:
    d = dt.date.fromisoformat(v[:10]) if isinstance(v, str) else v
    return d.toordinal()  # type: ignore[union-attr]


def _units(v: float) -> int:
    """Ten-thousandths of a point, half up."""
    return math.floor(v * 10_000 + 0.5)


def _points(units: int) -> int:
    for floor, letter in codes.LETTER_GRADES:
        if units >= int(floor * 10_000):
            return POINTS[letter]
    return 0


def read_sources(engine: sa.Engine) -> list[Student]:
    """Every student with their records, as plain arrays."""
    def frame(sql: str) -> pd.DataFrame:
        with engine.connect() as conn:
            result = conn.execute(sa.text(sql))
            return pd.DataFrame(result.all(), columns=list(result.keys()), dtype=object)

    st = frame("SELECT id, district_id, enrollment_date, student_metadata FROM students")
    att = frame("SELECT student_id, date AS day, status FROM attendance_records "
                "WHERE status IS NOT NULL")
    gr = frame("SELECT student_id, course_id, submission_date AS day, grade_value FROM grades "
               "WHERE grade_value IS NOT NULL")
    inc = frame("SELECT student_id, incident_date AS day, severity_level "
                "FROM discipline_incidents")
    epoch = dt.date(1970, 1, 1).toordinal()
    for f in (att, gr, inc):
        f["student_id"] = f["student_id"].astype(str).str.replace("-", "")
        days = pd.to_datetime(f["day"].astype(str).str.slice(0, 10)).to_numpy("datetime64[D]")
        f["day"] = days.astype("int64") + epoch
    att["s"] = att["status"].map(STATUS).astype("int64")
    gr["u"] = gr["grade_value"].map(lambda v: _units(float(v))).astype("int64")
    inc["sev"] = inc["severity_level"].map(lambda v: np.nan if v is None else float(v))
    by = {name: {k: g for k, g in f.groupby("student_id")}
          for name, f in (("att", att), ("gr", gr), ("inc", inc))}
    empty = {"att": att.iloc[:0], "gr": gr.iloc[:0], "inc": inc.iloc[:0]}
    out = []
    for r in st.itertuples():
        sid = _hex(r.id)
        meta = r.student_metadata
        meta = json.loads(meta) if isinstance(meta, str) else dict(meta or {})
        a, g, i = (by[n].get(sid, empty[n]) for n in ("att", "gr", "inc"))
        exit_date = meta.get(codes.META_EXIT_DATE) or None
        out.append(Student(
            id=sid, district_id=r.district_id,
            enrolled=None if r.enrollment_date is None else _ordinal(r.enrollment_date),
            exit=None if exit_date is None else _ordinal(exit_date),
            school=meta.get(codes.META_SCHOOL) or "",
            att_day=a["day"].to_numpy(np.int64), att_status=a["s"].to_numpy(np.int64),
            g_day=g["day"].to_numpy(np.int64), g_course=g["course_id"].to_numpy(object),
            g_units=g["u"].to_numpy(np.int64),
            i_day=i["day"].to_numpy(np.int64), i_sev=i["sev"].to_numpy(np.float64),
        ))
    return out


def school_year_start(d: dt.date) -> dt.date:
    return dt.date(d.year if d.month >= 7 else d.year - 1, 7, 1)


def _in(days: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Mask of lo < day <= hi."""
    return (days > lo) & (days <= hi)


def _gpa(units: np.ndarray) -> float:
    """Mean points of the graded assignments."""
    if not len(units):
        return math.nan
    floors = [int(f * 10_000) for f, letter in codes.LETTER_GRADES if POINTS[letter]]
    pts = np.select([units >= f for f in floors], [4, 3, 2, 1], 0)
    assert all(_points(int(u)) == p for u, p in zip(units[:3], pts[:3], strict=True))
    return float(pts.sum() / len(units))


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


def _rate(status: np.ndarray, which: list[int]) -> float:
    return float(np.isin(status, which).sum() / len(status)) if len(status) else math.nan


def reference_features(students: list[Student], as_of: dt.date) -> pd.DataFrame:
    """One row per cohort student: every column of columns.MODEL_FEATURES."""
    a = as_of.toordinal()
    ends = [a - j * WEEK for j in range(8)]
    ytd_floor = school_year_start(as_of).toordinal() - 1
    open_weeks: dict[str, set[int]] = {}  # weeks (k) in which a school recorded attendance
    for s in students:
        for k in range(1, 5):
            if _in(s.att_day, ends[5 - k], ends[4 - k]).any():
                open_weeks.setdefault(s.school, set()).add(k)
    rows = []
    for s in students:
        if (s.enrolled is not None and s.enrolled > a) or (s.exit is not None and s.exit <= a):
            continue
        rates, has, incs, gpas, expected = [], [], [], [], []
        for k in range(1, 5):
            hi, lo = ends[4 - k], ends[5 - k]
            week = _in(s.att_day, lo, hi)
            has.append(bool(week.any()))
            rates.append(_rate(s.att_status[week], ATTENDED))
            incs.append(float(_in(s.i_day, lo, hi).sum()))
            gpas.append(_gpa(s.g_units[_in(s.g_day, hi - 4 * WEEK, hi)]))
            enrolled = s.enrolled is None or s.enrolled <= hi
            expected.append(k in open_weeks.get(s.school, set()) and enrolled)
        ytd = _in(s.att_day, ytd_floor, a)
        status = s.att_status[ytd]
        g_ytd = _in(s.g_day, ytd_floor, a)
        courses = pd.Series(s.g_units[g_ytd]).groupby(s.g_course[g_ytd]).agg(["sum", "size"])
        failing = int((courses["sum"] < 600_000 * courses["size"]).sum())
        i_ytd = _in(s.i_day, ytd_floor, a)
        sev = s.i_sev[i_ytd]
        serious = int((np.nan_to_num(sev) >= codes.SERIOUS_SEVERITY).sum())
        att_ytd, gpa_ytd = _rate(status, ATTENDED), _gpa(s.g_units[g_ytd])
        attendance, academic = _fill(rates, att_ytd), _fill(gpas, gpa_ytd)
        first = int(s.att_day[ytd].min()) if ytd.any() else None
        n_expected = sum(expected)
        abc = dict(
            abc_attendance=float(not math.isnan(att_ytd) and att_ytd < 0.9),
            abc_behavior=float(serious >= 1),
            abc_course=float(failing >= 1 or (not math.isnan(gpa_ytd) and gpa_ytd <= 2.0)),
        )
        last4 = _in(s.att_day, ends[4], a)
        rows.append(dict(
            student_id=s.id, district_id=s.district_id,
            attendance_rate=_rate(s.att_status[last4], ATTENDED) if last4.any() else att_ytd,
            gpa_current=academic[3],
            discipline_incidents=float(_in(s.i_day, ends[4], a).sum()),
            **{f"attendance_w{k}": attendance[k - 1] for k in range(1, 5)},
            **{f"gpa_w{k}": academic[k - 1] for k in range(1, 5)},
            **{f"incidents_w{k}": incs[k - 1] for k in range(1, 5)},
            attendance_trend=_slope(attendance), gpa_trend=_slope(academic),
            incidents_trend=_slope(incs),
            weeks_of_data=float(0 if first is None else (a - first) // 7 + 1),
            data_quality=(sum(h and e for h, e in zip(has, expected, strict=True)) / n_expected
                          if n_expected else math.nan),
            attendance_rate_ytd=att_ytd,
            unexcused_absence_rate_ytd=_rate(status, [STATUS["absent"]]),
            excused_rate_ytd=_rate(status, [STATUS["excused"]]),
            tardy_rate_ytd=_rate(status, [STATUS["tardy"]]),
            gpa_ytd=gpa_ytd,
            failing_courses=float(failing),
            courses=float(len(courses)),
            incidents_ytd=float(i_ytd.sum()),
            serious_incidents_ytd=float(serious),
            severity_weighted_incidents_ytd=float(np.nan_to_num(sev, nan=1.0).sum()),
            **abc,
            abc_flags=sum(abc.values()),
        ))
    return pd.DataFrame(rows)
