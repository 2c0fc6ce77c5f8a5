"""build_features on a hand-checked example, its cohort, idempotence, and what bad input gets."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from edupulse.db.models import AttendanceRecord, DisciplineIncident, Grade, StudentFeature
from edupulse.features import build_features, missing_dates
from edupulse.features.cohort import CohortDataError
from edupulse.features.columns import EXTRA
from tests.db import factories as f

A = dt.date(2024, 9, 27)  # a Friday; w4 = (09-20, 09-27], w1 = (08-30, 09-06]
SF = StudentFeature.__table__
H1 = {"school_code": "H1"}


def d(month: int, day: int) -> dt.date:
    return dt.date(2024, month, day)


def _example(conn: sa.Connection) -> dict[str, dict]:
    x = f.add_student(conn, district_id="X", student_metadata=H1)
    y = f.add_student(conn, district_id="Y", student_metadata=H1)
    z = f.add_student(conn, district_id="Z", enrollment_date=d(9, 30), student_metadata=H1)
    w = f.add_student(conn, district_id="W", student_metadata=H1 | {
        "exit_date": "2024-09-27", "exit_code": "transfer"})
    v = f.add_student(conn, district_id="V", student_metadata=H1 | {
        "exit_date": "2024-09-28", "exit_code": "dropout"})
    xa = [
        (d(8, 27), 1, "present"),                                # before w1: year-to-date only
        (d(9, 2), 1, "present"), (d(9, 2), 2, "absent"),         # w1: 1/2
        (d(9, 16), None, "tardy"), (d(9, 17), 1, "excused"),     # w3: day record + period: 1/2
        (d(9, 23), 1, "present"), (d(9, 23), 2, "present"),
        (d(9, 23), 3, "present"), (d(9, 23), 4, "absent"),       # w4: 3/4
        (d(9, 30), 1, "absent"),                                 # after A: never read
    ]
    conn.execute(sa.insert(AttendanceRecord.__table__), [
        *[f.attendance(x["id"], date=day, period=p, status=s) for day, p, s in xa],
        f.attendance(y["id"], date=d(9, 10), period=1, status="present"),  # H1 open in w2
        f.attendance(z["id"], date=d(9, 30), period=1, status="present"),
        f.attendance(w["id"], date=d(9, 3), period=1, status="present"),
        f.attendance(v["id"], date=d(9, 3), period=1, status="absent"),
    ])
    conn.execute(sa.insert(Grade.__table__), [
        f.grade(x["id"], course_id="M", submission_date=d(9, 3), grade_value=95.0),
        f.grade(x["id"], course_id="M", submission_date=d(9, 18), grade_value=55.0),
        f.grade(x["id"], course_id="E", submission_date=d(9, 25), grade_value=59.9),
        f.grade(x["id"], course_id="E", submission_date=d(9, 26), grade_value=60.0),
        f.grade(x["id"], course_id="E", submission_date=d(10, 1), grade_value=100.0),
    ])
    conn.execute(sa.insert(DisciplineIncident.__table__), [
        f.incident(x["id"], incident_date=d(9, 5), severity_level=3, incident_type="fighting"),
        f.incident(x["id"], incident_date=d(9, 24), severity_level=None, incident_type="a"),
        f.incident(x["id"], incident_date=d(9, 24), severity_level=1, incident_type="b"),
    ])
    return dict(x=x, y=y, z=z, w=w, v=v)


def _vectors(engine: sa.Engine, day: dt.date) -> dict[str, dict]:
    from edupulse.db.models import Student

    S = Student.__table__
    q = (sa.select(S.c.district_id, SF.c.attendance_rate, SF.c.gpa_current,
                   SF.c.discipline_incidents, SF.c.feature_vector)
         .join(S, S.c.id == SF.c.student_id).where(SF.c.feature_date == day))
    with engine.connect() as conn:
        return {r.district_id: dict(r._mapping) for r in conn.execute(q)}


def test_hand_checked_example(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        _example(conn)
    report = build_features(engine, [A], progress=False)
    assert report.rows(A) == 3 and report.total_rows == 3
    got = _vectors(engine, A)
    assert sorted(got) == ["V", "X", "Y"]  # Z enrols after A, W exits on A

    x = got["X"]
    v = x["feature_vector"]
    assert set(v) == {"attendance", "academic", "behavioral", "trends", "metadata", "extra"}
    assert v["attendance"] == [0.5, 0.5, 0.5, 0.75]  # the gap week w2 takes w1's rate
    assert v["academic"] == [4, 4, 2, 1.25]  # points of 95, 55, 59.9, 60: 4, 0, 0, 1
    assert v["behavioral"] == [1, 0, 0, 2]
    assert v["trends"] == pytest.approx([0.075, -1.025, 0.3], abs=1e-12)
    assert v["metadata"] == {"weeks_of_data": 5, "data_quality": 0.75}
    assert set(v["extra"]) == set(EXTRA)
    assert v["extra"] == pytest.approx(dict(
        attendance_rate_ytd=6 / 9, unexcused_absence_rate_ytd=2 / 9, excused_rate_ytd=1 / 9,
        tardy_rate_ytd=1 / 9, gpa_ytd=1.25, failing_courses=1, courses=2, incidents_ytd=3,
        serious_incidents_ytd=1, severity_weighted_incidents_ytd=5, abc_attendance=1,
        abc_behavior=1, abc_course=1, abc_flags=3), abs=1e-12)
    assert x["attendance_rate"] == pytest.approx(5 / 8, abs=1e-6)
    assert x["gpa_current"] == 1.25 and x["discipline_incidents"] == 3  # E averages 59.95: F

    y = got["Y"]["feature_vector"]
    assert y["attendance"] == [1, 1, 1, 1] and y["academic"] == [None] * 4
    assert y["trends"][1] is None and y["metadata"] == {"weeks_of_data": 3, "data_quality": 0.25}
    assert got["Y"]["gpa_current"] is None


def test_rebuild_replaces_only_that_dates_rows(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        s = _example(conn)
    later = A + dt.timedelta(days=7)
    build_features(engine, [A, later], progress=False)
    first = _vectors(engine, A)
    with engine.begin() as conn:  # one more absence in X's week w4
        conn.execute(sa.insert(AttendanceRecord.__table__),
                     [f.attendance(s["x"]["id"], date=d(9, 23), period=5, status="absent")])
    report = build_features(engine, [A], progress=False)
    again = _vectors(engine, A)
    assert report.rows(A) == 3 and len(again) == 3
    assert again["X"]["feature_vector"]["attendance"][3] == 0.6
    assert again["Y"] == first["Y"]
    with engine.connect() as conn:
        per_date = dict(conn.execute(sa.select(SF.c.feature_date, sa.func.count())
                                     .group_by(SF.c.feature_date)).all())
    assert {str(k)[:10]: n for k, n in per_date.items()} == {"2024-09-27": 3, "2024-10-04": 3}
    assert missing_dates(engine, [A, later, later + dt.timedelta(days=7)]) == [
        later + dt.timedelta(days=7)]


def test_malformed_exit_date_is_named_and_nothing_changes(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        s = _example(conn)
    build_features(engine, [A], progress=False)
    before = _vectors(engine, A)
    with engine.begin() as conn:
        from edupulse.db.models import Student

        conn.execute(sa.update(Student.__table__).where(Student.__table__.c.id == s["v"]["id"])
                     .values(student_metadata={"exit_date": "28/09/2024", "exit_code": "dropout"}))
    with pytest.raises(CohortDataError, match=r"district_id=V: student_metadata.exit_date "
                                              r"'28/09/2024' is not an ISO date"):
        build_features(engine, [A], progress=False)
    assert _vectors(engine, A) == before


def test_bad_dates_are_refused(engine: sa.Engine) -> None:
    with pytest.raises(ValueError, match="no as-of dates"):
        build_features(engine, [], progress=False)
    with pytest.raises(TypeError, match="must be datetime.date"):
        build_features(engine, ["2024-09-27"], progress=False)  # type: ignore[list-item]
    with pytest.raises(TypeError, match="must be datetime.date"):
        build_features(engine, [dt.datetime(2024, 9, 27, 12)], progress=False)


def test_stored_json_is_parseable_text(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        _example(conn)
    build_features(engine, [A], progress=False)
    with engine.connect() as conn:
        texts = conn.execute(sa.select(sa.cast(SF.c.feature_vector, sa.Text))).scalars().all()
    assert len(texts) == 3 and all(len(json.loads(t)["trends"]) == 3 for t in texts)
