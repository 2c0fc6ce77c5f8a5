"""Row counts and content checksums of every table, to prove a restore gave back what was saved.

Rows are read in primary-key order and every value is written in one canonical text form, so
the same content gives the same SHA-256 whatever the physical order of the rows.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from edupulse.db.models import ALL_TABLES

VERSION_TABLE = "alembic_version"


@dataclass(frozen=True)
class TableDigest:
    table: str
    rows: int
    sha256: str


def _canonical(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, uuid.UUID):
        return value.hex
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:  # SQLite returns naive UTC
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date | decimal.Decimal):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def _tables(conn: sa.Connection) -> list[sa.Table]:
    existing = set(sa.inspect(conn).get_table_names())
    tables = [t for t in ALL_TABLES if t.name in existing]
    if VERSION_TABLE in existing:
        tables.append(sa.Table(VERSION_TABLE, sa.MetaData(),
                               sa.Column("version_num", sa.String(32), primary_key=True)))
    return tables


def table_digests(
    engine: sa.Engine, progress: Callable[[str, int], None] | None = None
) -> dict[str, TableDigest]:
    """{table: TableDigest} for every EduPulse table present (and alembic_version)."""
    out: dict[str, TableDigest] = {}
    with engine.connect() as conn:
        for table in _tables(conn):
            h, n = hashlib.sha256(), 0
            q = sa.select(table).order_by(*table.primary_key.columns)
            for row in conn.execution_options(yield_per=20_000).execute(q):
                h.update("\t".join(_canonical(v) for v in row).encode())
                h.update(b"\n")
                n += 1
                if progress and n % 100_000 == 0:
                    progress(table.name, n)
            out[table.name] = TableDigest(table.name, n, h.hexdigest())
    return out
