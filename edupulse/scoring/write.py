"""Writing predictions: stage each chunk, then replace the date's rows in one short transaction.

Chunks go into a TEMPORARY staging table (COPY on PostgreSQL, executemany on SQLite), which holds
no lock on `predictions`; `publish` then deletes the (prediction_date, model_version) rows and
inserts the staged ones in a single transaction. A crash or an error before that leaves every
stored prediction as it was, and a rerun replaces rather than duplicates.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

STAGING = "edupulse_score_staging"


@dataclass(frozen=True)
class PredictionBatch:
    """One chunk of predictions, column-wise (risk_factors already as JSON text)."""

    student_ids: Sequence[uuid.UUID]
    risk_scores: Sequence[float]
    categories: Sequence[str]
    confidences: Sequence[float]
    risk_factors: Sequence[str]

    def __len__(self) -> int:
        return len(self.student_ids)


def create_staging(conn: sa.Connection) -> None:
    uuid_type = "UUID" if _pg(conn) else "CHAR(32)"
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {STAGING}")
    conn.exec_driver_sql(
        f"CREATE TEMPORARY TABLE {STAGING} (student_id {uuid_type} NOT NULL, risk_score REAL, "
        "risk_category VARCHAR(20), confidence REAL, risk_factors TEXT)"
    )


def stage(conn: sa.Connection, batch: PredictionBatch) -> None:
    """Append a chunk to the staging table."""
    if not len(batch):
        return
    if _pg(conn):
        _copy(conn, batch)
        return
    rows = list(zip(
        (sid.hex for sid in batch.student_ids),
        map(float, batch.risk_scores),
        batch.categories,
        map(float, batch.confidences),
        batch.risk_factors,
        strict=True,
    ))
    conn.exec_driver_sql(f"INSERT INTO {STAGING} VALUES (?, ?, ?, ?, ?)", rows)


def _copy(conn: sa.Connection, batch: PredictionBatch) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerows(zip(
        map(str, batch.student_ids),
        (repr(float(s)) for s in batch.risk_scores),
        batch.categories,
        (repr(float(c)) for c in batch.confidences),
        batch.risk_factors,
        strict=True,
    ))
    buf.seek(0)
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.copy_expert(f"COPY {STAGING} FROM STDIN WITH (FORMAT csv)", buf)
    finally:
        cursor.close()


def publish(
    conn: sa.Connection, prediction_date: dt.datetime, model_version: str
) -> tuple[int, int]:
    """Replace the (date, version) predictions with the staged rows; returns (deleted, inserted).

    Call inside the transaction that should make the swap atomic.
    """
    p = sa.table("predictions", sa.column("prediction_date"), sa.column("model_version"))
    deleted = conn.execute(
        sa.delete(p).where(
            p.c.prediction_date == sa.bindparam("d", prediction_date, sa.DateTime(timezone=True)),
            p.c.model_version == model_version,
        )
    ).rowcount
    factors = "CAST(risk_factors AS JSONB)" if _pg(conn) else "risk_factors"
    inserted = conn.execute(
        sa.text(
            "INSERT INTO predictions (student_id, prediction_date, risk_score, risk_category, "
            f"confidence, risk_factors, model_version) SELECT student_id, :d, risk_score, "
            f"risk_category, confidence, {factors}, :v FROM {STAGING}"
        ).bindparams(
            sa.bindparam("d", prediction_date, sa.DateTime(timezone=True)),
            sa.bindparam("v", model_version, sa.String()),
        )
    ).rowcount
    conn.exec_driver_sql(f"DROP TABLE {STAGING}")
    return deleted, inserted


def _pg(conn: sa.Connection) -> bool:
    return conn.dialect.name == "postgresql"
