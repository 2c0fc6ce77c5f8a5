"""On the committed sample district, loaded with `edupulse load`'s code: the SQL features agree
with the pandas reference to 1e-9, the cohort matches the generator's, and records after an
as-of date never reach its features. Both backends."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa

from edupulse.db.models import AttendanceRecord, DisciplineIncident, Grade
from edupulse.features import build_features, read_feature_frame
from edupulse.features.columns import BASE, MODEL_FEATURES
from tests.features import data
from tests.features.reference import read_sources, reference_features
from tests.features.test_leakage import _stored
from tests.features.test_reference import _compare

pytestmark = pytest.mark.slow
CHECKED = (dt.date(2024, 8, 30), dt.date(2024, 10, 4), dt.date(2024, 12, 27),
           dt.date(2025, 2, 7), dt.date(2025, 5, 2))


def test_sample_features_match_reference_and_cohort(engine: sa.Engine, tmp_path: Path) -> None:
    data.load_sample(engine, tmp_path)
    report = build_features(engine, data.SAMPLE_FRIDAYS, progress=False)
    truth = data.ground_truth().groupby("as_of_date").size()
    assert {d.as_of.isoformat(): d.rows for d in report.dates} == truth.to_dict()

    frame = read_feature_frame(engine, CHECKED)
    src = read_sources(engine)
    vector = tuple(c for c in MODEL_FEATURES if c not in BASE)
    for as_of in CHECKED:
        want = reference_features(src, as_of)
        got = frame[frame["feature_date"] == as_of].assign(
            student_id=lambda f: f["student_id"].str.replace("-", ""))
        _compare(got, want, vector, 1e-9)
        _compare(got, want, BASE, 1e-6)  # REAL columns: float4 on PostgreSQL
    assert frame["gpa_ytd"].notna().mean() > 0.9 and frame["abc_flags"].max() >= 2


def test_sample_features_ignore_everything_after_as_of(engine: sa.Engine, tmp_path: Path) -> None:
    data.load_sample(engine, tmp_path)
    a = dt.date(2024, 12, 6)
    dates = (a, dt.date(2025, 3, 7))
    build_features(engine, dates, progress=False)
    before = _stored(engine, a)
    ar, gr, di = (AttendanceRecord.__table__, Grade.__table__, DisciplineIncident.__table__)
    with engine.begin() as conn:
        conn.execute(sa.delete(ar).where(ar.c.date > a))
        conn.execute(sa.delete(gr).where(gr.c.submission_date > a))
        conn.execute(sa.delete(di).where(di.c.incident_date > a))
    build_features(engine, dates, progress=False)
    assert _stored(engine, a) == before
