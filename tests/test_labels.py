"""Labels: the cohort, each outcome on a hand-checked district, counted exclusions, and labels
computed only from data after the as-of date. Both backends."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from edupulse.db.models import AttendanceRecord, Grade, Student
from edupulse.features.cohort import CohortDataError
from edupulse.labels import (
    NO_ATTENDANCE,
    NON_ADVERSE_EXIT,
    OUTCOMES,
    PAST_END,
    assign_labels,
    build_labels,
    cohort,
)
from tests.db import factories as f

A = dt.date(2024, 10, 4)  # a Friday
H = 28  # window (10-04, 11-01]
AR, GR, S = AttendanceRecord.__table__, Grade.__table__, Student.__table__


def d(month: int, day: int) -> dt.date:
    return dt.date(2024, month, day)


def _district(conn: sa.Connection) -> dict[str, dict]:
    """One student per case; attendance on A itself and after the window must not count."""
    def student(name: str, **meta: object) -> dict:
        kw = {k: v for k, v in meta.items() if k in ("enrollment_date", "grade_level")}
        md = {k: v for k, v in meta.items() if k not in kw}
        return f.add_student(conn, district_id=name, student_metadata={"school_code": "H1"} | md,
                             **kw)

    s = {
        "ok": student("ok"),                                   # attends, passes: all 0
        "absent": student("absent"),                           # 8 of 10 attended: chronic
        "edge": student("edge"),                               # exactly 9 of 10: not chronic
        "fail": student("fail"),                               # one course averages 59.5
        "drop": student("drop", exit_date="2024-10-20", exit_code="dropout"),
        "moved": student("moved", exit_date="2024-10-21", exit_code="transfer"),
        "gone": student("gone", exit_date="2024-10-04", exit_code="dropout"),  # exited on A
        "late": student("late", enrollment_date=d(10, 5)),     # enrols after A
        "silent": student("silent"),                           # no attendance in the window
        "nocode": student("nocode", exit_date="2024-11-01"),   # exit without a code: excluded
        "young": student("young", grade_level=3),
    }
    window_days = [d(10, 7) + dt.timedelta(days=i) for i in range(10)]
    rows = []
    for name in ("ok", "absent", "edge", "fail", "drop", "moved", "nocode", "young"):
        for i, day in enumerate(window_days):
            status = "present"
            if name == "absent" and i < 2:
                status = "absent"
            if name == "edge" and i == 0:
                status = "excused"
            if name == "edge" and i == 1:
                status = "tardy"
            rows.append(f.attendance(s[name]["id"], date=day, period=1, status=status))
        rows.append(f.attendance(s[name]["id"], date=A, period=2, status="absent"))  # on A
        rows.append(f.attendance(s[name]["id"], date=d(11, 4), period=1, status="absent"))
    rows.append(f.attendance(s["silent"]["id"], date=A, period=1, status="present"))
    conn.execute(sa.insert(AR), rows)
    conn.execute(sa.insert(GR), [
        f.grade(s["fail"]["id"], course_id="M", submission_date=d(10, 8), grade_value=59.0),
        f.grade(s["fail"]["id"], course_id="M", submission_date=d(10, 9), grade_value=60.0),
        f.grade(s["fail"]["id"], course_id="E", submission_date=d(10, 9), grade_value=95.0),
        f.grade(s["ok"]["id"], course_id="M", submission_date=d(10, 8), grade_value=60.0),
        f.grade(s["ok"]["id"], course_id="M", submission_date=A, grade_value=10.0),  # on A
        f.grade(s["ok"]["id"], course_id="M", submission_date=d(11, 2), grade_value=10.0),
        f.grade(s["ok"]["id"], course_id="M", submission_date=d(11, 29), grade_value=90.0),
    ])
    return s



def _with_names(engine: sa.Engine, frame: pd.DataFrame) -> pd.DataFrame:
    with engine.connect() as conn:
        names = {str(i): n for i, n in conn.execute(sa.select(S.c.id, S.c.district_id))}
    return frame.assign(district_id=frame["student_id"].map(names))


def test_cohort_is_enrolled_and_not_exited(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        _district(conn)
    c = cohort(engine, A)
    assert list(c["district_id"]) == sorted(
        ["ok", "absent", "edge", "fail", "drop", "moved", "silent", "nocode", "young"])
    assert list(cohort(engine, A, grade_levels=[3])["district_id"]) == ["young"]
    assert "late" in set(cohort(engine, d(10, 5))["district_id"])
    assert list(c.columns) == ["student_id", "district_id", "school_code", "grade_level",
                               "enrollment_date", "exit_date", "exit_code"]


@pytest.mark.parametrize("outcome, positives, excluded", [
    ("dropout", {"drop"}, {NON_ADVERSE_EXIT: 2}),
    ("course_failure", {"fail"}, {NON_ADVERSE_EXIT: 2}),
    ("chronic_absence", {"absent"}, {NON_ADVERSE_EXIT: 2, NO_ATTENDANCE: 1}),
    ("any_adverse", {"absent", "fail", "drop"}, {NON_ADVERSE_EXIT: 2, NO_ATTENDANCE: 1}),
])
def test_outcomes_on_a_hand_checked_district(
    engine: sa.Engine, outcome: str, positives: set[str], excluded: dict[str, int]
) -> None:
    with engine.begin() as conn:
        _district(conn)
    result = build_labels(engine, [A], outcome, H)
    frame = _with_names(engine, result.frame)
    got = dict(zip(frame["district_id"], frame["label"], strict=True))
    assert {k for k, v in got.items() if v == 1} == positives
    assert "moved" not in got and "nocode" not in got and "gone" not in got and "late" not in got
    counts = dict(zip(result.excluded["reason"], result.excluded["students"], strict=True))
    assert {k: v for k, v in counts.items() if v} == excluded
    assert counts[PAST_END] == 0
    assert len(got) + result.n_excluded == 9  # the whole cohort, each student counted once
    summary = result.summary()
    assert summary.loc[0, "cohort"] == 9 and summary.loc[0, "positives"] == len(positives)
    assert result.data_end == d(11, 29)
    assert result.frame["label"].dtype == "int64"
    assert list(result.frame.columns) == ["student_id", "as_of_date", "label"]


def test_window_past_end_of_data_excludes_everyone_of_that_date(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        _district(conn)
    late = d(11, 8)  # 11-08 + 28 = 12-06 > last data 11-29
    result = build_labels(engine, [A, late], "dropout", H)
    assert set(result.frame["as_of_date"]) == {A}
    ex = result.excluded.set_index(["as_of_date", "reason"])["students"]
    assert ex[(late, PAST_END)] == len(cohort(engine, late))
    assert ex[(late, NON_ADVERSE_EXIT)] == 0  # first matching reason wins


def test_labels_use_only_data_after_the_as_of_date(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        _district(conn)
    before = build_labels(engine, [A], "any_adverse", H).frame
    with engine.begin() as conn:  # rewrite everything on or before A
        conn.execute(sa.update(AR).where(AR.c.date <= A).values(status="absent"))
        conn.execute(sa.update(GR).where(GR.c.submission_date <= A).values(grade_value=0.0))
        conn.execute(sa.delete(AR).where(AR.c.date < A))
    after = build_labels(engine, [A], "any_adverse", H).frame
    pd.testing.assert_frame_equal(before, after)
    with engine.begin() as conn:  # one grade inside the window flips "ok" to a failure
        ok = conn.execute(sa.select(S.c.id).where(S.c.district_id == "ok")).scalar_one()
        conn.execute(sa.insert(GR), [f.grade(ok, course_id="X", submission_date=d(10, 15),
                                             grade_value=12.5)])
    flipped = _with_names(engine, build_labels(engine, [A], "any_adverse", H).frame)
    assert flipped.set_index("district_id").loc["ok", "label"] == 1


def test_bad_arguments_and_metadata_get_clear_errors(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        s = _district(conn)
    with pytest.raises(ValueError, match="unknown outcome 'truancy': expected one of dropout"):
        build_labels(engine, [A], "truancy", H)
    with pytest.raises(ValueError, match="horizon_days must be a whole number of days >= 1"):
        build_labels(engine, [A], "dropout", 0)
    with pytest.raises(ValueError, match="no as-of dates"):
        build_labels(engine, [], "dropout", H)
    with engine.begin() as conn:
        conn.execute(sa.update(S).where(S.c.id == s["drop"]["id"]).values(
            student_metadata={"exit_date": "2024-10-20", "exit_code": "quit"}))
    with pytest.raises(CohortDataError, match="district_id=drop: student_metadata.exit_code "
                                              "'quit' is not one of dropout, withdrawal"):
        build_labels(engine, [A], "dropout", H)


def test_assign_labels_is_pure_and_orders_reasons() -> None:
    w = pd.DataFrame({
        "student_id": ["a", "b", "c", "d", "e"],
        "as_of_date": [A] * 5,
        "records": [10, 0, 0, 10, 10],
        "attended": [10, 0, 0, 5, 10],
        "failing_courses": [0, 1, 0, 0, 0],
        "exit_date": [None, None, None, "2024-10-10", "2024-11-02"],
        "exit_code": [None, None, None, "withdrawal", "transfer"],
    })
    frame, excluded = assign_labels(w, "any_adverse", H, d(12, 31))
    assert dict(zip(frame["student_id"], frame["label"], strict=True)) == {
        "a": 0, "b": 1, "d": 1, "e": 0}  # e exits after the window: labelled
    assert excluded.set_index("reason")["students"].to_dict() == {
        PAST_END: 0, NON_ADVERSE_EXIT: 0, NO_ATTENDANCE: 1}
    frame, excluded = assign_labels(w, "dropout", H, None)  # no data at all
    assert frame.empty and excluded["students"].tolist() == [5, 0]


def test_every_outcome_has_a_definition() -> None:
    from edupulse.labels import DEFINITIONS, EXCLUSION_REASONS

    assert set(OUTCOMES) == set(DEFINITIONS) == set(EXCLUSION_REASONS)


@pytest.mark.slow
def test_sample_labels_match_the_generators_realised_outcomes(
    engine: sa.Engine, tmp_path: Path
) -> None:
    """The synthetic generator computes its realised outcomes (ground_truth.csv y_*_12w) with
    the same definitions from the records it writes; on the sample both must agree exactly."""
    from tests.features import data

    data.load_sample(engine, tmp_path)
    truth = data.ground_truth()
    truth["as_of_date"] = truth["as_of_date"].map(dt.date.fromisoformat)
    for outcome in OUTCOMES:
        result = build_labels(engine, data.SAMPLE_FRIDAYS, outcome, 84)
        mine = _with_names(engine, result.frame).set_index(["district_id", "as_of_date"])
        theirs = truth.set_index(["district_id", "as_of_date"])[f"y_{outcome}_12w"].dropna()
        assert len(mine) == len(theirs) > 5000, outcome
        joined = mine.join(theirs, how="inner")
        assert len(joined) == len(mine)
        assert (joined["label"] == joined[f"y_{outcome}_12w"].astype(int)).all(), outcome
        assert len(mine) + result.n_excluded == len(truth)
