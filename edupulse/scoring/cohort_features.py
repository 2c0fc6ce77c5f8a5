"""The as-of date's cohort features, streamed from the database into compact arrays.

`edupulse.features.read_feature_frame` returns a convenient DataFrame for training, but builds it
from every row as Python objects at once (about 3 KB per student). Scoring needs only the model's
columns as float64 plus id and school (about 300 bytes per student), so it streams the same
columns — the reader's own JSON paths, `edupulse.features.read.FEATURE_PATHS` — in batches of
`chunk_size` rows with a server-side cursor, restricted to the cohort (enrolled and not exited on
the date, `edupulse.features.cohort.eligible`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from edupulse.db.models import Student, StudentFeature
from edupulse.features.columns import BASE


@dataclass(frozen=True)
class CohortFeatures:
    """Model inputs of every cohort student on one date, ordered by student id."""

    student_ids: list[uuid.UUID]
    schools: np.ndarray  # object: school_code or None
    X: np.ndarray  # float64, students x feature_names
    feature_names: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.student_ids)

    def column(self, name: str) -> np.ndarray:
        if name in self.feature_names:
            return self.X[:, self.feature_names.index(name)]
        return np.full(len(self), np.nan)


def read_cohort_features(
    engine: Engine, as_of: dt.date, feature_names: Sequence[str], *, chunk_size: int = 20_000,
    extra: Sequence[str] = ("data_quality", "weeks_of_data"),
) -> CohortFeatures:
    """Stream the stored features of `as_of` for the cohort; `extra` columns ride along."""
    from edupulse.features.cohort import eligible, school_code
    from edupulse.features.read import FEATURE_PATHS

    sf, s = StudentFeature.__table__, Student.__table__
    names = list(dict.fromkeys([*feature_names, *extra]))
    unknown = [n for n in names if n not in BASE and n not in FEATURE_PATHS]
    if unknown:
        raise ValueError(f"no stored feature named {', '.join(unknown)}")
    cols = [sf.c[n] if n in BASE else sf.c.feature_vector[FEATURE_PATHS[n]].as_float()
            for n in names]
    q = (
        sa.select(sf.c.student_id, school_code(), *cols)
        .join(s, s.c.id == sf.c.student_id)
        .where(sf.c.feature_date == as_of, eligible(as_of))
        .order_by(sf.c.student_id)
    )
    ids: list[uuid.UUID] = []
    schools: list[object] = []
    blocks: list[np.ndarray] = []
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=chunk_size).execute(q)
        for part in result.partitions():
            ids.extend(r[0] if isinstance(r[0], uuid.UUID) else uuid.UUID(str(r[0])) for r in part)
            schools.extend(r[1] for r in part)
            blocks.append(np.array([r[2:] for r in part], dtype=np.float64))
    X = np.vstack(blocks) if blocks else np.empty((0, len(names)))
    return CohortFeatures(ids, np.array(schools, dtype=object), X, tuple(names))
