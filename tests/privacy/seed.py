"""A small two-district database with a row in every table, for privacy tests."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import sqlalchemy as sa

from edupulse.db.models import ModelActivation, StudentFeature
from tests.db import factories as f

FIRST = ["Ada", "Bram", "Cleo", "Dario", "Esme", "Farid"]
LAST = ["Quartermaine", "Okonkwo", "Lindqvist", "Abernathy", "Castellanos", "Nakamura"]


@dataclass(frozen=True)
class Seeded:
    students: dict[str, uuid.UUID]  # district_id -> id


def seed(conn: sa.Connection, n: int = 6) -> Seeded:
    """n students (alternating districts D01/D02), each with attendance, grades, an incident,
    a feature row, a prediction with feedback; one model version."""
    f.insert(conn, f.MODELS["model"], **f.model(model_version="m1"))
    f.insert(conn, ModelActivation, id=uuid.uuid4(), model_version="m1",
             activated_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    ids: dict[str, uuid.UUID] = {}
    for i in range(n):
        district = "D01" if i % 2 == 0 else "D02"
        s = f.add_student(
            conn, district_id=f"{district}-{i:06d}", first_name=FIRST[i % 6],
            last_name=LAST[i % 6], date_of_birth=dt.date(2010 + i % 3, 1 + i, 10 + i),
            parent_contact=f"(555) 01{i}-45{i}7", gender="FM"[i % 2],
            enrollment_date=dt.date(2019, 8, 26),
            student_metadata={"district_code": district, "school_code": f"{district}-HS",
                              "exit_date": "2023-06-01" if i == 0 else None,
                              "exit_code": "transfer" if i == 0 else None},
        )
        sid = s["id"]
        ids[s["district_id"]] = sid
        for d in (6, 7, 8):
            f.insert(conn, f.MODELS["attendance"],
                     **f.attendance(sid, date=dt.date(2025, 1, d), status="present"))
        f.insert(conn, f.MODELS["attendance"], **f.attendance(sid, date=dt.date(2021, 3, 1)))
        f.insert(conn, f.MODELS["grade"], **f.grade(sid, grade_value=50.0 + 8 * i,
                                                    grade_letter="F"))
        f.insert(conn, f.MODELS["incident"],
                 **f.incident(sid, description=f"{FIRST[i % 6]} shouted", resolution="detention"))
        f.insert(conn, StudentFeature, student_id=sid, feature_date=dt.date(2025, 1, 6),
                 attendance_rate=0.9, gpa_current=3.0, discipline_incidents=1,
                 feature_vector={"attendance": [0.9, 1.0]})
        p = f.insert(conn, f.MODELS["prediction"],
                     **f.prediction(sid, model_version="m1",
                                    prediction_date=dt.datetime(2025, 1, 6, tzinfo=dt.UTC)))
        f.insert(conn, f.MODELS["feedback"], **f.feedback(
            p["id"], educator_notes="called home", outcome_date=dt.date(2025, 3, 1)))
    return Seeded(ids)
