"""A small district in the database: students, predictions of one as-of date, outcomes after it.

Outcome: dropout (exit code "dropout" in the 28 days after AS_OF). One attendance record per
student well after the window, so the labels' data end lies past the horizon.
"""

from __future__ import annotations

import datetime as dt
import uuid

import numpy as np
import sqlalchemy as sa

from edupulse.db.models import AttendanceRecord, ModelMetadata, Prediction
from tests.db.factories import add_student, attendance, insert, model, prediction

AS_OF = dt.date(2025, 1, 6)
HORIZON = 28
VERSION = "edupulse-risk/1"
STAMP = dt.datetime.combine(AS_OF, dt.time.min, tzinfo=dt.UTC)


def populate(engine: sa.Engine, n: int = 60, seed: int = 0) -> list[dict]:
    """n students in districts D1 (2/3) and D2 (1/3); a third drop out in the window."""
    rng = np.random.default_rng(seed)
    students = []
    with engine.begin() as conn:
        insert(conn, ModelMetadata, **model(
            model_version=VERSION, model_type="logistic_regression",
            performance_metrics={"auc_roc": 0.81, "precision_at_k": {"k10": 0.6},
                                 "training_samples": 1200,
                                 "training_period": {"from": "2023-09-04", "to": "2024-06-10"}}))
        for i in range(n):
            dropout = i % 3 == 0
            meta = {"district_code": "D1" if i % 3 != 2 else "D2", "school_code": "S1"}
            if dropout:
                meta |= {"exit_date": (AS_OF + dt.timedelta(days=10)).isoformat(),
                         "exit_code": "dropout"}
            row = add_student(
                conn, district_id=f"SIS{i:04d}", first_name="Zelda", last_name="Quixotic",
                gender="F" if i % 2 else "M", grade_level=9 + i % 2,
                ethnicity=["Hispanic", "White", "Black", None][i % 4],
                socioeconomic_status=["low", "middle", "high"][i % 3],
                enrollment_date=dt.date(2024, 8, 26), student_metadata=meta,
                parent_contact="555-0199")
            score = float(np.clip(0.3 + 0.4 * dropout + rng.normal(0, 0.15), 0, 1))
            insert(conn, Prediction, **prediction(row["id"], prediction_date=STAMP,
                                                  risk_score=score, model_version=VERSION))
            insert(conn, AttendanceRecord, **attendance(
                row["id"], date=AS_OF + dt.timedelta(days=60), period=None))
            students.append(row | {"dropout": dropout, "score": score})
    return students


def other_version(engine: sa.Engine, student_id: uuid.UUID) -> None:
    with engine.begin() as conn:
        insert(conn, ModelMetadata, **model(model_version="edupulse-risk/2"))
        insert(conn, Prediction, **prediction(student_id, prediction_date=STAMP,
                                              model_version="edupulse-risk/2"))
