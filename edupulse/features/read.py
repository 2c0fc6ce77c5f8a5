"""student_features as a model-ready frame: one row per (student, as-of date), float features.

The JSON vector is unpacked in SQL (JSON paths), so the database returns plain numbers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from edupulse.db.models import Student, StudentFeature
from edupulse.features import columns
from edupulse.features.build import missing_dates
from edupulse.features.cohort import school_code
from edupulse.features.timeline import WEEKS, normalise_dates

SF, S = StudentFeature.__table__, Student.__table__
GROUPING = ("district_id", "school_code", "grade_level")
ERR_MISSING = "no features stored for {dates}: build them first (`edupulse features --as-of DATE`)"

# Where each spec-vector column lives in feature_vector.
_SPEC_PATHS: dict[str, tuple[str | int, ...]] = {
    **{f"attendance_w{k}": ("attendance", k - 1) for k in range(1, WEEKS + 1)},
    **{f"gpa_w{k}": ("academic", k - 1) for k in range(1, WEEKS + 1)},
    **{f"incidents_w{k}": ("behavioral", k - 1) for k in range(1, WEEKS + 1)},
    "attendance_trend": ("trends", 0),
    "gpa_trend": ("trends", 1),
    "incidents_trend": ("trends", 2),
    "weeks_of_data": ("metadata", "weeks_of_data"),
    "data_quality": ("metadata", "data_quality"),
}
FEATURE_PATHS: dict[str, tuple[str | int, ...]] = {
    **_SPEC_PATHS, **{name: ("extra", name) for name in columns.EXTRA}}


def read_feature_frame(engine: Engine, as_of_dates: Sequence[dt.date]) -> pd.DataFrame:
    """KEYS + MODEL_FEATURES + GROUPING columns, ordered by (feature_date, district_id).

    student_id is the UUID as text; feature_date holds datetime.date values (so that
    `frame.feature_date.isin(split.train_as_of)` works); every feature is float64 (NaN where
    the definitions leave a value undefined, see docs/features.md). Raises ValueError when a
    date has no stored features, rather than returning a silently partial frame.
    """
    dates = normalise_dates(as_of_dates)
    missing = missing_dates(engine, dates)
    if missing:
        raise ValueError(ERR_MISSING.format(dates=", ".join(map(str, missing))))
    vector = [SF.c.feature_vector[path].as_float().label(name)
              for name, path in FEATURE_PATHS.items()]
    q = (
        sa.select(SF.c.student_id, SF.c.feature_date, S.c.district_id,
                  school_code().label("school_code"), S.c.grade_level,
                  *[SF.c[c] for c in columns.BASE], *vector)
        .join(S, S.c.id == SF.c.student_id)
        .where(SF.c.feature_date.in_(dates))
        .order_by(SF.c.feature_date, S.c.district_id)
    )
    with engine.connect() as conn:
        rows = conn.execute(q).all()
    names = ["student_id", "feature_date", *GROUPING, *columns.BASE, *FEATURE_PATHS]
    frame = pd.DataFrame.from_records(rows, columns=names)
    frame["student_id"] = frame["student_id"].map(str)
    frame["feature_date"] = pd.Series([_date(d) for d in frame["feature_date"]], dtype=object)
    frame["grade_level"] = frame["grade_level"].astype("Int64")
    for name in columns.MODEL_FEATURES:
        frame[name] = pd.to_numeric(frame[name], errors="raise").astype("float64")
    return frame[[*columns.KEYS, *columns.MODEL_FEATURES, *GROUPING]]


def _date(value: object) -> dt.date:
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        return value.date()
    assert isinstance(value, dt.date)
    return value
