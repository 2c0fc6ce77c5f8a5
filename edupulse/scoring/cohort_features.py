"""The as-of date's cohort features, streamed from the database into compact arrays.

`edupulse.features.read_feature_frame` returns a convenient DataFrame for training, but builds it
from every row as Python objects at once (about 3 KB per student). Scoring needs only the model's
columns as float64 plus id and school (about 300 bytes per student): the reader's own JSON
paths, `edupulse.features.read.FEATURE_PATHS`, restricted to the cohort (enrolled and not exited
on the date, `edupulse.features.cohort.eligible`). PostgreSQL sends them as one COPY stream that
pandas parses in C; SQLite streams batches of `chunk_size` rows. `CohortPrefetch` starts the COPY
before the model (and so its columns) is loaded, so the server's work overlaps the model load.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import uuid
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from typing import IO

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
    engine: Engine, as_of: dt.date, feature_names: Sequence[str], *, chunk_size: int = 10_000,
    extra: Sequence[str] = ("data_quality", "weeks_of_data"),
) -> CohortFeatures:
    """The stored features of `as_of` for the cohort; `extra` columns ride along."""
    names = _with_extra(feature_names, extra)
    q = cohort_query(as_of, names)
    if engine.dialect.name == "postgresql":
        return _copy_out(engine, q, names, chunk_size)
    return _stream(engine, q, names, chunk_size)


def cohort_query(as_of: dt.date, names: Sequence[str]) -> sa.Select:
    """student_id, school_code, then `names` as floats, ordered by student_id."""
    from edupulse.features.cohort import eligible, school_code
    from edupulse.features.read import FEATURE_PATHS

    sf, s = StudentFeature.__table__, Student.__table__
    _check_stored(names)
    cols = [sf.c[n] if n in BASE else sf.c.feature_vector[FEATURE_PATHS[n]].as_float()
            for n in names]
    return (
        sa.select(sf.c.student_id, school_code(), *cols)
        .join(s, s.c.id == sf.c.student_id)
        .where(sf.c.feature_date == as_of, eligible(as_of))
        .order_by(sf.c.student_id)
    )


def _with_extra(feature_names: Sequence[str], extra: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*feature_names, *extra]))


def _check_stored(names: Sequence[str]) -> None:
    stored = set(stored_feature_names())
    unknown = [n for n in names if n not in stored]
    if unknown:
        raise ValueError(f"no stored feature named {', '.join(unknown)}")


def _stream(engine: Engine, q: sa.Select, names: tuple[str, ...],
            chunk_size: int) -> CohortFeatures:
    """Rows in batches of `chunk_size` through a server-side cursor (SQLite; any backend)."""
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
    return CohortFeatures(ids, np.array(schools, dtype=object), X, names)


def _copy_out(engine: Engine, q: sa.Select, names: tuple[str, ...],
              chunk_size: int) -> CohortFeatures:
    """PostgreSQL: the same query through COPY ... TO STDOUT, parsed by pandas' C reader.

    Row-by-row fetching converts every value to a Python object (it took 6.7 of the 21 s of
    scoring 100,000 students); COPY hands over one CSV stream instead. The stream goes to a
    temporary file and is parsed `chunk_size` rows at a time, so only the float matrix grows
    with the district (an in-memory text buffer peaked at ~300 MB for 100,000 students). The
    statement is the SELECT above with its few literal binds (a date, JSON paths) rendered by
    SQLAlchemy.
    """
    with tempfile.TemporaryFile(prefix="edupulse-cohort-") as fh:
        _copy_to(engine, q, fh)
        return _parse(fh, names, names, chunk_size)


def _copy_to(engine: Engine, q: sa.Select, fh: IO[bytes]) -> None:
    sql = str(q.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.copy_expert(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", fh)
        finally:
            cursor.close()


def _parse(fh: IO[bytes], columns: tuple[str, ...], names: tuple[str, ...],
           chunk_size: int) -> CohortFeatures:
    """The COPY output (id, school, `columns`) as arrays of `names` (a subset, in that order)."""
    import pandas as pd

    if not fh.tell():
        return CohortFeatures([], np.array([], dtype=object), np.empty((0, len(names))), names)
    fh.seek(0)
    ids: list[uuid.UUID] = []
    schools: list[np.ndarray] = []
    blocks: list[np.ndarray] = []
    reader = pd.read_csv(fh, header=None, names=["student_id", "school", *columns],
                         usecols=["student_id", "school", *names],
                         dtype={"student_id": str, "school": object,
                                **{n: np.float64 for n in names}},
                         keep_default_na=False, na_values={n: [""] for n in names},
                         chunksize=chunk_size)
    for part in reader:
        ids.extend(uuid.UUID(v) for v in part["student_id"])
        school = part["school"].to_numpy(dtype=object, copy=True)
        school[school == ""] = None  # COPY writes SQL NULL as an empty field
        schools.append(school)
        blocks.append(part[list(names)].to_numpy(dtype=np.float64))
    return CohortFeatures(ids, np.concatenate(schools), np.vstack(blocks), names)


class CohortPrefetch:
    """Start reading the date's cohort features before the model's columns are known.

    On PostgreSQL, `start=True` runs the COPY of every stored feature in a thread, into a
    temporary file: the server does that work (psycopg2 waits for it without holding the GIL)
    while the caller loads the model. `read(feature_names)` then waits for the file and parses
    only the model's columns, in the model's order, exactly as `read_cohort_features` returns
    them. Without `start` (features still to build) or on another backend, `read` reads then.
    Use as a context manager: leaving waits for the thread and removes the file.
    """

    def __init__(self, engine: Engine, as_of: dt.date, *, chunk_size: int = 10_000,
                 start: bool = True,
                 extra: Sequence[str] = ("data_quality", "weeks_of_data")) -> None:
        self.engine, self.as_of, self.chunk_size, self.extra = engine, as_of, chunk_size, extra
        self._stored = stored_feature_names()
        self._open = ExitStack()  # the file, and the thread (closed first)
        self._file: IO[bytes] | None = None
        self._copy: Future[None] | None = None
        if start and engine.dialect.name == "postgresql":
            self._file = self._open.enter_context(
                tempfile.TemporaryFile(prefix="edupulse-cohort-"))  # noqa: SIM115 (ExitStack)
            pool = self._open.enter_context(
                ThreadPoolExecutor(max_workers=1, thread_name_prefix="edupulse-cohort"))
            self._copy = pool.submit(
                _copy_to, engine, cohort_query(as_of, self._stored), self._file)

    def __enter__(self) -> CohortPrefetch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def read(self, feature_names: Sequence[str]) -> CohortFeatures:
        if self._copy is None or self._file is None:
            return read_cohort_features(self.engine, self.as_of, feature_names,
                                        chunk_size=self.chunk_size, extra=self.extra)
        names = _with_extra(feature_names, self.extra)
        _check_stored(names)
        self._copy.result()  # re-raises the thread's error here
        return _parse(self._file, self._stored, names, self.chunk_size)

    def close(self) -> None:
        self._open.close()  # waits for the COPY, then removes the file
        self._file, self._copy = None, None


def stored_feature_names() -> tuple[str, ...]:
    """Every feature student_features stores (columns, then feature_vector paths)."""
    from edupulse.features.read import FEATURE_PATHS

    return tuple(dict.fromkeys([*BASE, *FEATURE_PATHS]))
