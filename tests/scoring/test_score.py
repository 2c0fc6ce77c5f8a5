"""`score` end to end on both backends: shapes, idempotency, the pinned version, refusals."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from edupulse.db.models import Prediction
from edupulse.features.read import read_feature_frame
from edupulse.scoring.categories import CATEGORIES
from edupulse.scoring.config import ScoringConfig
from edupulse.scoring.model import ModelResolutionError
from edupulse.scoring.recommendations import CATALOGUE
from edupulse.scoring.score import ScoringError, score
from tests.db import factories
from tests.scoring.conftest import AS_OF, N_STUDENTS, Registry, activate, seed_students
from tests.scoring.conftest import synthetic_features as features

P = Prediction.__table__
CONFIG = ScoringConfig(chunk_size=100)  # 240 students -> 3 chunks


def _setup(engine: Engine, registry: Registry, version: str = "gb-v1") -> list:
    frame, _ = features(N_STUDENTS, seed=7)
    with engine.begin() as conn:
        ids = seed_students(conn, frame, AS_OF)
        activate(conn, version, registry.versions[version])
    return ids


def _rows(engine: Engine) -> list[sa.Row]:
    with engine.connect() as conn:
        return conn.execute(sa.select(P).order_by(P.c.student_id)).all()


def _expected_scores(engine: Engine, registry: Registry, name: str) -> dict[str, float]:
    frame = read_feature_frame(engine, [AS_OF])
    model = registry.models[name]
    p = model.predict_proba(frame[list(model.feature_names_in_)])[:, 1]
    return dict(zip(frame["student_id"], p, strict=True))


def test_score_writes_every_student_in_the_spec_shape(engine: Engine, registry: Registry) -> None:
    _setup(engine, registry)
    report = score(engine, AS_OF, tracking_uri=registry.tracking_uri, config=CONFIG,
                   progress=False)
    rows = _rows(engine)
    assert report.scored == len(rows) == N_STUDENTS and report.replaced == 0
    assert {r.model_version for r in rows} == {"gb-v1"}
    assert report.model_uri == f"models:/edupulse-risk/{registry.versions['gb-v1']}"
    stamp = rows[0].prediction_date
    assert stamp.replace(tzinfo=stamp.tzinfo or dt.UTC) == dt.datetime(2025, 1, 10, tzinfo=dt.UTC)
    expected = _expected_scores(engine, registry, "gb-v1")
    got = {str(r.student_id): r.risk_score for r in rows}
    assert np.allclose([got[k] for k in expected], list(expected.values()), atol=1e-6)
    assert {r.risk_category for r in rows} <= set(CATEGORIES)
    assert sum(report.categories.values()) == N_STUDENTS
    conf = np.array([r.confidence for r in rows])
    assert conf.min() >= 0 and conf.max() <= 1 and conf.std() > 0.01
    names = {f.name for f in CATALOGUE}
    listed = 0
    for r in rows:
        factors = r.risk_factors if isinstance(r.risk_factors, list) else json.loads(
            r.risk_factors)
        assert len(factors) <= 3
        weights = [f["weight"] for f in factors]
        assert weights == sorted(weights, reverse=True) and all(w > 0 for w in weights)
        for f in factors:
            assert set(f) == {"factor", "weight", "value", "description", "recommendation"}
            assert f["factor"] in names
        listed += bool(factors)
    assert listed > N_STUDENTS // 2


def test_scoring_again_replaces_and_never_duplicates(engine: Engine, registry: Registry) -> None:
    _setup(engine, registry)
    score(engine, AS_OF, tracking_uri=registry.tracking_uri, config=CONFIG, progress=False)
    first = {(str(r.student_id), r.risk_score) for r in _rows(engine)}
    again = score(engine, AS_OF, tracking_uri=registry.tracking_uri, config=CONFIG,
                  progress=False)
    rows = _rows(engine)
    assert again.replaced == N_STUDENTS and len(rows) == N_STUDENTS
    assert {(str(r.student_id), r.risk_score) for r in rows} == first


def test_a_promotion_during_the_run_does_not_change_the_model(
    engine: Engine, registry: Registry
) -> None:
    _setup(engine, registry, "gb-v1")
    promoted: list[int] = []

    def promote_between_chunks(chunk: int, staged: int) -> None:
        if chunk == 1:  # after the first chunk: promote lr-v2 and move the MLflow alias
            import mlflow

            with engine.begin() as conn:
                activate(conn, "lr-v2", registry.versions["lr-v2"])
            mlflow.MlflowClient(registry.tracking_uri).set_registered_model_alias(
                "edupulse-risk", "champion", registry.versions["lr-v2"])
            promoted.append(staged)

    report = score(engine, AS_OF, tracking_uri=registry.tracking_uri, config=CONFIG,
                   progress=False, on_chunk=promote_between_chunks)
    assert promoted == [100]
    rows = _rows(engine)
    assert report.model_version == "gb-v1" and {r.model_version for r in rows} == {"gb-v1"}
    expected = _expected_scores(engine, registry, "gb-v1")
    assert np.allclose(sorted(r.risk_score for r in rows), sorted(expected.values()), atol=1e-6)
    # The next run picks up the new active version and writes its own rows beside the old.
    nxt = score(engine, AS_OF, tracking_uri=registry.tracking_uri, config=CONFIG, progress=False)
    assert nxt.model_version == "lr-v2" and nxt.replaced == 0
    assert len(_rows(engine)) == 2 * N_STUDENTS


def test_only_the_cohort_is_scored(engine: Engine, registry: Registry) -> None:
    ids = _setup(engine, registry)
    with engine.begin() as conn:  # one student left before the as-of date
        conn.execute(sa.text("UPDATE students SET student_metadata = :m WHERE id = :i"),
                     {"m": json.dumps({"school_code": "SCH-A", "exit_date": "2025-01-03",
                                       "exit_code": "transfer"}),
                      "i": ids[0].hex if engine.dialect.name == "sqlite" else str(ids[0])})
    report = score(engine, AS_OF, tracking_uri=registry.tracking_uri, config=CONFIG,
                   progress=False)
    assert report.scored == N_STUDENTS - 1
    assert ids[0] not in {r.student_id for r in _rows(engine)}


def test_a_date_without_features_or_data_is_refused(engine: Engine, registry: Registry) -> None:
    _setup(engine, registry)
    with pytest.raises(ScoringError, match=r"no features for 2024-09-02 and no source data on "
                                           r"or before it .*edupulse load"):
        score(engine, dt.date(2024, 9, 2), tracking_uri=registry.tracking_uri, progress=False)
    assert _rows(engine) == []


def test_no_active_model_is_refused(engine: Engine, registry: Registry) -> None:
    with engine.begin() as conn:
        factories.add_student(conn)
    with pytest.raises(ModelResolutionError, match="no active model in model_metadata"):
        score(engine, AS_OF, tracking_uri=registry.tracking_uri, progress=False)
    with pytest.raises(ModelResolutionError, match="'nope' is not in model_metadata"):
        score(engine, AS_OF, tracking_uri=registry.tracking_uri, model_version="nope",
              progress=False)
