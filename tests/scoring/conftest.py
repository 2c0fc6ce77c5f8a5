"""Real scoring set-ups: students and stored features in the test database, and real models in a
real MLflow registry (a SQLite tracking store in a temporary folder) — nothing mocked."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from edupulse.db.models import ModelActivation, ModelMetadata, StudentFeature
from edupulse.features.columns import BASE, MODEL_FEATURES
from edupulse.features.read import FEATURE_PATHS
from tests.db import factories

AS_OF = dt.date(2025, 1, 10)
N_STUDENTS = 240


# Types the skops serialisation of these models needs trusted (we built the files ourselves).
TRUSTED = [
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
]


@dataclass(frozen=True)
class Registry:
    tracking_uri: str
    versions: dict[str, str]  # our model_version -> registry version
    models: dict[str, Any]


def synthetic_features(n: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Plausible feature rows (every MODEL_FEATURE) and an outcome that depends on them."""
    rng = np.random.default_rng(seed)
    att = np.clip(rng.beta(9, 1, n), 0, 1)
    gpa = np.clip(rng.normal(2.8, 0.8, n), 0, 4)
    inc = rng.poisson(0.3, n).astype(float)
    cols: dict[str, np.ndarray] = {
        "attendance_rate": att, "gpa_current": gpa, "discipline_incidents": inc,
        "attendance_trend": rng.normal(0, 0.02, n), "gpa_trend": rng.normal(0, 0.1, n),
        "incidents_trend": rng.normal(0, 0.1, n),
        "weeks_of_data": rng.integers(1, 20, n).astype(float),
        "data_quality": rng.uniform(0.6, 1.0, n),
    }
    for k in range(1, 5):
        cols[f"attendance_w{k}"] = np.clip(att + rng.normal(0, 0.03, n), 0, 1)
        cols[f"gpa_w{k}"] = np.clip(gpa + rng.normal(0, 0.2, n), 0, 4)
        cols[f"incidents_w{k}"] = rng.poisson(0.1, n).astype(float)
    for name in MODEL_FEATURES:
        cols.setdefault(name, rng.uniform(0, 1, n))
    frame = pd.DataFrame({name: cols[name] for name in MODEL_FEATURES})
    logit = -6 * (att - 0.9) - 1.0 * (gpa - 2.5) + 0.6 * inc - 1.0
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return frame, y


def feature_vector(row: dict[str, float]) -> dict[str, Any]:
    """The stored feature_vector for flat values, following the reader's own JSON paths."""
    vec: dict[str, Any] = {}
    for name, path in FEATURE_PATHS.items():
        node = vec
        for key, nxt in zip(path[:-1], path[1:], strict=True):
            node = node.setdefault(key, [] if isinstance(nxt, int) else {})
        last = path[-1]
        value = None if np.isnan(row[name]) else float(row[name])
        if isinstance(last, int):
            node.extend([None] * (last + 1 - len(node)))
            node[last] = value
        else:
            node[last] = value
    return vec


def seed_students(conn: sa.Connection, frame: pd.DataFrame, as_of: dt.date,
                  schools: tuple[str, ...] = ("SCH-A", "SCH-B")) -> list[uuid.UUID]:
    """Enrolled students with `frame`'s features stored for `as_of`; returns their ids."""
    ids = []
    for i, row in enumerate(frame.to_dict("records")):
        sid = uuid.uuid4()
        meta = {"district_code": "D01", "school_code": schools[i % len(schools)]}
        factories.add_student(conn, id=sid, district_id=f"D01-{i:06d}", student_metadata=meta)
        conn.execute(sa.insert(StudentFeature.__table__), [{
            "student_id": sid, "feature_date": as_of,
            **{c: row[c] for c in BASE}, "feature_vector": feature_vector(row),
        }])
        ids.append(sid)
    return ids


def activate(conn: sa.Connection, version: str, registry_version: str,
             at: dt.datetime | None = None) -> None:
    """Make `version` the active one, as promotion records it (metadata + activation row)."""
    at = at or dt.datetime.now(dt.UTC)
    m, a = ModelMetadata.__table__, ModelActivation.__table__
    conn.execute(sa.update(m).values(is_active=False))
    conn.execute(sa.update(a).where(a.c.retired_at.is_(None)).values(retired_at=at))
    if conn.execute(sa.select(m.c.id).where(m.c.model_version == version)).first() is None:
        conn.execute(sa.insert(m), [{"model_version": version, "model_type": "test",
                                     "performance_metrics": {"precision": 0.5, "recall": 0.4}}])
    conn.execute(sa.update(m).where(m.c.model_version == version).values(is_active=True))
    conn.execute(sa.insert(a), [{"model_version": version, "activated_at": at,
                                 "registry_version": registry_version}])


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    """Two real calibrated models registered as versions of edupulse-risk."""
    import mlflow
    import mlflow.sklearn
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression

    root: Path = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    exp = mlflow.create_experiment("scoring-tests", artifact_location=(root / "art").as_uri())
    X, y = synthetic_features(1500, seed=1)
    models = {
        "gb-v1": CalibratedClassifierCV(HistGradientBoostingClassifier(max_iter=40, random_state=0),
                                        method="sigmoid", cv=3, ensemble=False).fit(X, y),
        "lr-v2": CalibratedClassifierCV(LogisticRegression(max_iter=2000), method="sigmoid",
                                        cv=3, ensemble=True).fit(X, y),
    }
    versions = {}
    for name, model in models.items():
        with mlflow.start_run(experiment_id=exp):
            info = mlflow.sklearn.log_model(model, name="model",
                                            registered_model_name="edupulse-risk",
                                            skops_trusted_types=TRUSTED)
        versions[name] = str(info.registered_model_version)
    return Registry(uri, versions, models)
