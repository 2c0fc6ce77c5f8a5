"""The cohort's feature arrays: the COPY path (PostgreSQL) equals the row-by-row path."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
import sqlalchemy as sa

from edupulse.db.models import Student, StudentFeature
from edupulse.scoring import cohort_features as cf
from tests.scoring.conftest import AS_OF, seed_students, synthetic_features

NAMES = ("attendance_rate", "gpa_current", "attendance_w4", "failing_courses",
         "data_quality", "weeks_of_data")


@pytest.fixture
def seeded(engine: sa.Engine) -> sa.Engine:
    frame, _ = synthetic_features(60, seed=5)
    with engine.begin() as conn:
        ids = seed_students(conn, frame, AS_OF)
        # a stored NULL and a student without a school must survive every path
        sf, s = StudentFeature.__table__, Student.__table__
        conn.execute(sa.update(sf).where(sf.c.student_id == ids[3]).values(gpa_current=None))
        conn.execute(sa.update(s).where(s.c.id == ids[4]).values(
            student_metadata={"district_code": "D01"}))
    return engine


def test_every_path_reads_the_same_arrays(seeded: sa.Engine) -> None:
    got = cf.read_cohort_features(seeded, AS_OF, NAMES[:4])
    q = cf.cohort_query(AS_OF, NAMES)
    streamed = cf._stream(seeded, q, NAMES, chunk_size=7)  # several batches
    assert len(got) == 60 and got.feature_names == NAMES
    assert got.student_ids == streamed.student_ids
    assert list(got.schools) == list(streamed.schools)
    np.testing.assert_array_equal(got.X, streamed.X)  # NaN where stored NULL, on both
    assert np.isnan(got.X[:, NAMES.index("gpa_current")]).sum() == 1
    assert sum(v is None for v in got.schools) == 1
    if seeded.dialect.name == "postgresql":
        copied = cf._copy_out(seeded, q, NAMES, chunk_size=7)
        np.testing.assert_array_equal(copied.X, streamed.X)
        assert copied.student_ids == streamed.student_ids


def test_a_date_without_features_reads_nothing(seeded: sa.Engine) -> None:
    assert len(cf.read_cohort_features(seeded, AS_OF - dt.timedelta(days=7), NAMES[:2])) == 0


def test_an_unknown_feature_is_named(seeded: sa.Engine) -> None:
    with pytest.raises(ValueError, match="no stored feature named shoe_size"):
        cf.read_cohort_features(seeded, AS_OF, ["attendance_rate", "shoe_size"])


@pytest.mark.parametrize("start", [True, False])
def test_prefetch_reads_what_the_reader_reads_in_the_models_order(seeded: sa.Engine,
                                                                  start: bool) -> None:
    model_columns = ("gpa_current", "failing_courses", "attendance_rate", "weeks_of_data")
    expected = cf.read_cohort_features(seeded, AS_OF, model_columns, chunk_size=7)
    with cf.CohortPrefetch(seeded, AS_OF, chunk_size=7, start=start) as cohort:
        got = cohort.read(model_columns)
    assert got.feature_names == expected.feature_names == (*model_columns, "data_quality")
    assert got.student_ids == expected.student_ids and len(got) == 60
    assert list(got.schools) == list(expected.schools)
    np.testing.assert_array_equal(got.X, expected.X)


def test_prefetch_of_a_date_without_features_and_unknown_names(seeded: sa.Engine) -> None:
    with cf.CohortPrefetch(seeded, AS_OF - dt.timedelta(days=7)) as cohort:
        assert len(cohort.read(NAMES[:2])) == 0
    with cf.CohortPrefetch(seeded, AS_OF) as cohort, \
            pytest.raises(ValueError, match="no stored feature named shoe_size"):
        cohort.read(["attendance_rate", "shoe_size"])
