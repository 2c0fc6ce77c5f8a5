"""The spec's three query patterns give the same, hand-checked numbers on both backends."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from edupulse.db import queries
from edupulse.db.models import AttendanceRecord, ModelMetadata, Prediction, TrainingFeedback
from tests.db import factories as f

REF = dt.date(2025, 3, 14)  # a Friday


def test_week_start_is_monday(engine: sa.Engine) -> None:
    days = [dt.date(2025, 3, 9) + dt.timedelta(days=i) for i in range(9)]  # Sunday .. Monday
    with engine.connect() as conn:
        got = [conn.execute(sa.select(queries.week_start(sa.literal(d, sa.Date)))).scalar_one()
               for d in days]
    got = [queries._as_date(g) for g in got]
    assert got == [dt.date(2025, 3, 3)] + [dt.date(2025, 3, 10)] * 7 + [dt.date(2025, 3, 17)]


def test_weekly_attendance_by_grade(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        a = f.add_student(conn, grade_level=9)
        b = f.add_student(conn, grade_level=10)
        rows = [
            # grade 9, week of 2025-03-10: 2 present, 1 tardy -> 2/3 = 0.667
            f.attendance(a["id"], date=dt.date(2025, 3, 10), period=1, status="present"),
            f.attendance(a["id"], date=dt.date(2025, 3, 10), period=2, status="present"),
            f.attendance(a["id"], date=dt.date(2025, 3, 14), period=1, status="tardy"),
            # grade 9, week of 2025-03-03 (Sunday 03-09 belongs to it): 1 of 2 -> 0.5
            f.attendance(a["id"], date=dt.date(2025, 3, 3), period=1, status="absent"),
            f.attendance(a["id"], date=dt.date(2025, 3, 9), period=1, status="present"),
            # grade 10, week of 2025-03-10: 7 present of 8 -> 0.875
            *[f.attendance(b["id"], date=dt.date(2025, 3, 10), period=p,
                           status="present" if p < 8 else "excused") for p in range(1, 9)],
            # outside the window: after REF, and more than 8 weeks before it
            f.attendance(a["id"], date=dt.date(2025, 3, 17), period=1),
            f.attendance(a["id"], date=dt.date(2025, 1, 10), period=1),
        ]
        conn.execute(sa.insert(AttendanceRecord.__table__), rows)
        got = queries.weekly_attendance_by_grade(conn, REF, weeks=8)
    assert [(r.grade_level, r.week, r.total_records, r.present_count, r.attendance_rate)
            for r in got] == [
        (9, dt.date(2025, 3, 3), 2, 1, 0.5),
        (9, dt.date(2025, 3, 10), 3, 2, 0.667),
        (10, dt.date(2025, 3, 10), 8, 7, 0.875),
    ]


def test_current_high_risk_students_uses_latest_prediction(engine: sa.Engine) -> None:
    t0 = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
    t1 = dt.datetime(2025, 3, 8, tzinfo=dt.UTC)
    with engine.begin() as conn:
        a = f.add_student(conn, district_id="A", grade_level=9)
        b = f.add_student(conn, district_id="B", grade_level=10)
        c = f.add_student(conn, district_id="C", grade_level=11)
        conn.execute(sa.insert(Prediction.__table__), [
            f.prediction(a["id"], prediction_date=t0, risk_score=0.9, risk_category="critical"),
            f.prediction(a["id"], prediction_date=t1, risk_score=0.2, risk_category="low"),
            f.prediction(b["id"], prediction_date=t0, risk_score=0.1, risk_category="low"),
            f.prediction(b["id"], prediction_date=t1, risk_score=0.7, risk_category="high"),
            f.prediction(c["id"], prediction_date=t1, risk_score=0.95, risk_category="critical"),
        ])
        got = queries.current_high_risk_students(conn)
    assert [(r.district_id, r.risk_category, round(r.risk_score, 3)) for r in got] == [
        ("C", "critical", 0.95), ("B", "high", 0.7)]


def test_model_performance_last_30_days(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        s = f.add_student(conn)
        conn.execute(sa.insert(ModelMetadata.__table__), [f.model(model_version="v1"),
                                                          f.model(model_version="v2")])
        preds = [f.prediction(s["id"], model_version=v, risk_score=r, confidence=c)
                 for v, r, c in [("v1", 0.8, 0.9), ("v1", 0.6, 0.7), ("v1", 0.3, 0.5),
                                 ("v2", 0.25, 0.6)]]
        conn.execute(sa.insert(Prediction.__table__), preds)
        recent = dt.datetime(2025, 3, 10, 12, tzinfo=dt.UTC)
        old = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
        conn.execute(sa.insert(TrainingFeedback.__table__), [
            f.feedback(preds[0]["id"], feedback_type="true_positive", created_at=recent),
            f.feedback(preds[1]["id"], feedback_type="true_positive", created_at=recent),
            f.feedback(preds[2]["id"], feedback_type="false_negative", created_at=recent),
            f.feedback(preds[3]["id"], feedback_type="true_negative", created_at=recent),
            f.feedback(preds[3]["id"], feedback_type="true_negative", created_at=old),
        ])
        got = queries.model_performance(conn, REF, days=30)
    assert [(r.model_version, r.feedback_type, r.feedback_count, r.avg_predicted_risk,
             r.avg_confidence) for r in got] == [
        ("v1", "false_negative", 1, 0.3, 0.5),
        ("v1", "true_positive", 2, 0.7, 0.8),
        ("v2", "true_negative", 1, 0.25, 0.6),
    ]


def test_current_high_risk_students_as_of_and_school_filters(engine: sa.Engine) -> None:
    t0 = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
    t1 = dt.datetime(2025, 3, 8, tzinfo=dt.UTC)
    with engine.begin() as conn:
        a = f.add_student(conn, district_id="A", student_metadata={"school_code": "S1"})
        b = f.add_student(conn, district_id="B", student_metadata={"school_code": "S2"})
        conn.execute(sa.insert(Prediction.__table__), [
            f.prediction(a["id"], prediction_date=t0, risk_score=0.9, risk_category="critical"),
            f.prediction(a["id"], prediction_date=t1, risk_score=0.2, risk_category="low"),
            f.prediction(b["id"], prediction_date=t1, risk_score=0.7, risk_category="high"),
        ])
        before = queries.current_high_risk_students(conn, as_of=dt.date(2025, 3, 7))
        now = queries.current_high_risk_students(conn, as_of=dt.date(2025, 3, 8), school="S2")
        none = queries.current_high_risk_students(conn, school="S1")
    assert [(r.district_id, r.risk_category, r.school_code) for r in before] == [
        ("A", "critical", "S1")]
    assert [(r.district_id, r.school_code) for r in now] == [("B", "S2")]
    assert none == []
