"""Outcome labels as of a date, computed only from data after it.

For as-of date A and horizon H days the label window is (A, A + H]. Definitions (the synthetic
generator's ground truth uses exactly these):
- dropout: exit_date (student_metadata) in the window with exit_code in ADVERSE_EXIT_CODES;
- course_failure: some course whose mean grade_value over the grades submitted in the window is
  below FAILING_GRADE (a student with no grades in the window has no failing course);
- chronic_absence: attended (present or tardy) / all attendance records in the window < 0.90;
- any_adverse: any of the three (a dropout or a failing course is positive whatever the
  attendance).
Who gets a label: the cohort of A (`cohort`), minus students excluded for a counted reason
(EXCLUSION_REASONS, first matching reason wins). Nothing is dropped silently.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from edupulse.data import codes
from edupulse.db.models import AttendanceRecord, DisciplineIncident, Grade, Student
from edupulse.features import running, staging
from edupulse.features.cohort import check_exit_metadata, eligible, exit_date_text, meta_text
from edupulse.features.cohort import school_code as school_code_expr
from edupulse.features.scratch import drop, scratch_space
from edupulse.features.sqlfuncs import UNIT
from edupulse.features.timeline import label_timeline, normalise_dates

OUTCOMES = ("dropout", "course_failure", "chronic_absence", "any_adverse")
DEFINITIONS = {
    "dropout": "exit with an adverse code (dropout, withdrawal) in (A, A+H]",
    "course_failure": "some course averages below 60 over the grades submitted in (A, A+H]",
    "chronic_absence": "attended (present or tardy) under 90% of attendance records in (A, A+H]",
    "any_adverse": "dropout, course failure or chronic absence in (A, A+H]",
}
CHRONIC_BELOW = (9, 10)  # attended / records < 9/10, compared in integers
PAST_END = "window past end of data"
NON_ADVERSE_EXIT = "non-adverse exit in window"
NO_ATTENDANCE = "no attendance records in window"
EXCLUSION_REASONS = {
    "dropout": (PAST_END, NON_ADVERSE_EXIT),
    "course_failure": (PAST_END, NON_ADVERSE_EXIT),
    "chronic_absence": (PAST_END, NON_ADVERSE_EXIT, NO_ATTENDANCE),
    "any_adverse": (PAST_END, NON_ADVERSE_EXIT, NO_ATTENDANCE),
}
ERR_OUTCOME = "unknown outcome {outcome!r}: expected one of " + ", ".join(OUTCOMES)
ERR_HORIZON = "horizon_days must be a whole number of days >= 1, got {value!r}"

S = Student.__table__


@dataclass(frozen=True)
class LabelSet:
    """`frame`: student_id (UUID text), as_of_date (datetime.date), label (int 0/1), one row per
    labelled student and date. `excluded`: as_of_date, reason, students (every reason that
    applies to the outcome, zeros included). `data_end`: the last date of data used."""

    outcome: str
    horizon_days: int
    data_end: dt.date | None
    frame: pd.DataFrame
    excluded: pd.DataFrame

    @property
    def n_excluded(self) -> int:
        return int(self.excluded["students"].sum())

    def summary(self) -> pd.DataFrame:
        """Per as-of date: cohort, labelled, positives, prevalence, then each exclusion count
        (columns named by reason, in EXCLUSION_REASONS order)."""
        ex = self.excluded.pivot(index="as_of_date", columns="reason", values="students")
        ex = ex[list(EXCLUSION_REASONS[self.outcome])]
        g = self.frame.groupby("as_of_date")["label"]
        out = pd.DataFrame({"labelled": g.size(), "positives": g.sum()}).reindex(ex.index)
        out = out.fillna(0).astype("int64")
        out.insert(0, "cohort", out["labelled"] + ex.sum(axis=1))
        out["prevalence"] = out["positives"] / out["labelled"].where(out["labelled"] > 0)
        return out.join(ex).reset_index()


def cohort(engine: Engine, as_of: dt.date, *,
           grade_levels: Sequence[int] | None = None) -> pd.DataFrame:
    """Students eligible as of `as_of`: enrolled on or before it (or no enrollment date) and not
    exited on or before it; optionally only `grade_levels`. Ordered by district_id."""
    (as_of,) = normalise_dates([as_of])
    q = (
        sa.select(S.c.id.label("student_id"), S.c.district_id,
                  school_code_expr().label("school_code"), S.c.grade_level,
                  S.c.enrollment_date, exit_date_text().label("exit_date"),
                  meta_text(codes.META_EXIT_CODE).label("exit_code"))
        .where(eligible(as_of, grade_levels))
        .order_by(S.c.district_id)
    )
    with engine.connect() as conn:
        check_exit_metadata(conn)
        frame = pd.DataFrame(conn.execute(q).all(), columns=list(q.selected_columns.keys()))
    frame["student_id"] = frame["student_id"].map(str)
    frame["grade_level"] = frame["grade_level"].astype("Int64")
    return frame


def build_labels(engine: Engine, as_of_dates: Sequence[dt.date], outcome: str,
                 horizon_days: int, *, grade_levels: Sequence[int] | None = None) -> LabelSet:
    """Labels of `outcome` over (A, A + horizon_days] for every cohort student of each A."""
    if outcome not in OUTCOMES:
        raise ValueError(ERR_OUTCOME.format(outcome=outcome))
    if isinstance(horizon_days, bool) or not isinstance(horizon_days, int) or horizon_days < 1:
        raise ValueError(ERR_HORIZON.format(value=horizon_days))
    dates = normalise_dates(as_of_dates)
    tl = label_timeline(dates, horizon_days)
    h = dt.timedelta(days=horizon_days)
    with engine.begin() as conn, scratch_space(conn):
        check_exit_metadata(conn, codes_too=True)
        data_end = _data_end(conn)
        staging.stage_sources(conn, tl)
        running.build_label_sums(conn)
        windows = pd.concat(
            [_window_frame(conn, a, tl.index(a), tl.index(a + h), grade_levels) for a in dates],
            ignore_index=True)
        drop(conn, (*staging.SOURCES, *running.LABEL_TABLES))
    frame, excluded = assign_labels(windows, outcome, horizon_days, data_end, dates=dates)
    return LabelSet(outcome, horizon_days, data_end, frame, excluded)


def _data_end(conn: sa.Connection) -> dt.date | None:
    ends = [conn.execute(sa.select(sa.func.max(c))).scalar_one() for c in (
        AttendanceRecord.__table__.c.date, Grade.__table__.c.submission_date,
        DisciplineIncident.__table__.c.incident_date)]
    ends = [dt.date.fromisoformat(e) if isinstance(e, str) else e for e in ends if e is not None]
    return max(ends) if ends else None


def _window_frame(conn: sa.Connection, as_of: dt.date, ia: int, ib: int,
                  grade_levels: Sequence[int] | None) -> pd.DataFrame:
    """Per cohort student of `as_of`: records and attended records in the window, failing
    courses in the window, and the exit metadata."""
    stu, crs = running.LST, running.LCR

    def at(t: sa.Table, col: str, iv: int) -> sa.ColumnElement:
        return sa.func.max(sa.case((t.c.iv == iv, t.c[col])))

    p = (sa.select(stu.c.student_id,
                   (at(stu, "n", ib) - at(stu, "n", ia)).label("records"),
                   (at(stu, "att", ib) - at(stu, "att", ia)).label("attended"))
         .where(stu.c.iv.in_([ia, ib])).group_by(stu.c.student_id).subquery("p"))
    per = (sa.select(crs.c.student_id,
                     (at(crs, "n", ib) - at(crs, "n", ia)).label("n"),
                     (at(crs, "units", ib) - at(crs, "units", ia)).label("units"))
           .where(crs.c.iv.in_([ia, ib])).group_by(crs.c.student_id, crs.c.course_id)
           .subquery("per"))
    failing = sa.case((sa.and_(per.c.n > 0, per.c.units < int(codes.FAILING_GRADE * UNIT)
                               * per.c.n), 1), else_=0)
    f = (sa.select(per.c.student_id, sa.func.sum(failing).label("failing_courses"))
         .group_by(per.c.student_id).subquery("f"))
    q = (
        sa.select(S.c.id.label("student_id"),
                  sa.func.coalesce(p.c.records, 0).label("records"),
                  sa.func.coalesce(p.c.attended, 0).label("attended"),
                  sa.func.coalesce(f.c.failing_courses, 0).label("failing_courses"),
                  exit_date_text().label("exit_date"),
                  meta_text(codes.META_EXIT_CODE).label("exit_code"))
        .select_from(S.outerjoin(p, p.c.student_id == S.c.id)
                     .outerjoin(f, f.c.student_id == S.c.id))
        .where(eligible(as_of, grade_levels))
    )
    frame = pd.DataFrame(conn.execute(q).all(), columns=list(q.selected_columns.keys()))
    frame["student_id"] = frame["student_id"].map(str)
    frame.insert(1, "as_of_date", pd.Series([as_of] * len(frame), dtype=object))
    return frame


def assign_labels(windows: pd.DataFrame, outcome: str, horizon_days: int,
                  data_end: dt.date | None, *, dates: Sequence[dt.date] = ()
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pure: labels and counted exclusions from per-(student, as-of date) window figures
    (columns student_id, as_of_date, records, attended, failing_courses, exit_date ISO text or
    None, exit_code). `dates` lists as-of dates to report even when their cohort is empty."""
    w = windows
    h = dt.timedelta(days=horizon_days)
    window_end = w["as_of_date"].map(lambda a: (a + h).isoformat())
    exit_in_window = w["exit_date"].notna() & (w["exit_date"].fillna("") <= window_end)
    adverse = w["exit_code"].isin(codes.ADVERSE_EXIT_CODES)
    reason = pd.Series(pd.NA, index=w.index, dtype=object)
    past_end = w["as_of_date"].map(lambda a: data_end is None or a + h > data_end).astype(bool)
    reason[past_end] = PAST_END
    reason[reason.isna() & exit_in_window & ~adverse] = NON_ADVERSE_EXIT

    dropout = exit_in_window & adverse
    failure = w["failing_courses"] > 0
    measured = w["records"] > 0
    chronic = measured & (w["attended"] * CHRONIC_BELOW[1] < w["records"] * CHRONIC_BELOW[0])
    if outcome == "dropout":
        label = dropout
    elif outcome == "course_failure":
        label = failure
    elif outcome == "chronic_absence":
        reason[reason.isna() & ~measured] = NO_ATTENDANCE
        label = chronic
    elif outcome == "any_adverse":
        positive = dropout | failure
        reason[reason.isna() & ~positive & ~measured] = NO_ATTENDANCE
        label = positive | chronic
    else:
        raise ValueError(ERR_OUTCOME.format(outcome=outcome))

    keep = reason.isna()
    frame = pd.DataFrame({
        "student_id": w.loc[keep, "student_id"].astype(str),
        "as_of_date": w.loc[keep, "as_of_date"],
        "label": label[keep].astype("int64"),
    }).sort_values(["as_of_date", "student_id"], kind="stable").reset_index(drop=True)
    dates = sorted({*dates, *w["as_of_date"]})
    counts = reason[~keep].groupby([w.loc[~keep, "as_of_date"], reason[~keep]]).size()
    excluded = pd.DataFrame(
        [(d, r, int(counts.get((d, r), 0))) for d in dates for r in EXCLUSION_REASONS[outcome]],
        columns=["as_of_date", "reason", "students"])
    return frame, excluded
