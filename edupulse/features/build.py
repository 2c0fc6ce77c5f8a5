"""Build student_features for a set of as-of dates: one staging pass, one INSERT for all dates.

Everything runs in one transaction: the dates' old rows are deleted and the new ones inserted
together, so a failure part-way leaves student_features as it was, and re-running a date
replaces its rows (idempotent).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from edupulse.db.models import StudentFeature
from edupulse.features import running, staging
from edupulse.features.cohort import check_exit_metadata
from edupulse.features.progress import steps
from edupulse.features.scratch import (
    create_json_types,
    drop,
    drop_types,
    fill,
    scratch_space,
    tmp,
)
from edupulse.features.timeline import feature_timeline, normalise_dates
from edupulse.features.vector import cohort_sizes, feature_select, window_select, windows_table

SF = StudentFeature.__table__
INSERT_COLUMNS = ["student_id", "feature_date", "attendance_rate", "gpa_current",
                  "discipline_incidents", "feature_vector"]
ROWS = tmp("ep_rows", *[sa.Column(c, SF.c[c].type) for c in INSERT_COLUMNS], pk=())


@dataclass(frozen=True)
class DateRows:
    as_of: dt.date
    rows: int


@dataclass(frozen=True)
class FeatureBuildReport:
    """What a build wrote: rows per as-of date (= the cohort size), the staging volume, time."""

    dates: tuple[DateRows, ...]
    staged: staging.StageCounts
    seconds: float
    backend: str

    @property
    def total_rows(self) -> int:
        return sum(d.rows for d in self.dates)

    def rows(self, as_of: dt.date) -> int:
        return next(d.rows for d in self.dates if d.as_of == as_of)


def build_features(
    engine: Engine, as_of_dates: Sequence[dt.date], *, progress: bool = True
) -> FeatureBuildReport:
    """Compute and store the features of every cohort student for each as-of date."""
    started = time.perf_counter()
    tl, windows = feature_timeline(as_of_dates)
    dates = [w.as_of for w in windows]
    with (engine.begin() as conn, scratch_space(conn) as kind,
          steps(3, "features", enabled=progress) as tick):
        check_exit_metadata(conn)
        tick(f"staging {tl.first + dt.timedelta(days=1)} .. {tl.last}")
        offsets = {tl.index(w.as_of): w.offsets(tl) for w in windows}
        changes = partial(running.course_changes, years=tl.school_years())
        staged = staging.stage_sources(conn, tl, offsets,
                                        grades=staging.Pass(running.GST, changes, by_student=True))
        tick("running sums and window figures of every date")
        running.build_feature_sums(conn)
        tick(f"writing the features of {len(dates)} as-of date(s)")
        fill(conn, windows_table(), window_select())
        rows = feature_select()
        types = create_json_types(conn, rows)
        if kind == "UNLOGGED":  # computed by parallel workers first (an INSERT never is)
            fill(conn, ROWS, rows)
            rows = sa.select(*[ROWS.c[c] for c in INSERT_COLUMNS])
        conn.execute(sa.delete(SF).where(SF.c.feature_date.in_(dates)))
        conn.execute(sa.insert(SF).from_select(INSERT_COLUMNS, rows))
        counted = {_as_date(d): int(n) for d, n in conn.execute(cohort_sizes())}
        written = [DateRows(d, counted.get(d, 0)) for d in dates]
        # On failure the rollback drops PostgreSQL's scratch tables; SQLite's are dropped by
        # the next build on the same connection.
        drop(conn, (*staging.SOURCES, *running.FEATURE_TABLES, windows_table(), ROWS))
        drop_types(conn, types)
    return FeatureBuildReport(tuple(written), staged, time.perf_counter() - started,
                              engine.dialect.name)


def missing_dates(engine: Engine, as_of_dates: Sequence[dt.date]) -> list[dt.date]:
    """The as-of dates that have no student_features rows yet (to build before training)."""
    dates = normalise_dates(as_of_dates)
    with engine.connect() as conn:
        have = {_as_date(d) for d in conn.execute(
            sa.select(SF.c.feature_date).where(SF.c.feature_date.in_(dates)).distinct()
        ).scalars()}
    return [d for d in dates if d not in have]


def _as_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    assert isinstance(value, dt.date)
    return value
