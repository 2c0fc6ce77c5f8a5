"""Declarative base, constraint naming and the portable column types.

The spec (shared/spec/database-schema.md) is written for PostgreSQL; SQLite gets the closest
portable equivalent of every type and default, so both backends enforce the same rules.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql.expression import FunctionElement

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# JSONB on PostgreSQL, JSON stored as text on SQLite.
JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class new_uuid(FunctionElement[Any]):
    """Server-side UUID default: uuid_generate_v4() on PostgreSQL, 32 random hex digits on SQLite.

    SQLAlchemy's Uuid type stores SQLite UUIDs as CHAR(32) hex, so the SQLite default matches
    what the ORM writes and raw SQL inserts without an id still get one.
    """

    type = sa.Uuid()
    inherit_cache = True


@compiles(new_uuid, "postgresql")
def _new_uuid_pg(element: new_uuid, compiler: Any, **kw: Any) -> str:
    return "uuid_generate_v4()"


@compiles(new_uuid)
def _new_uuid_default(element: new_uuid, compiler: Any, **kw: Any) -> str:
    return "(lower(hex(randomblob(16))))"


class utc_now(FunctionElement[Any]):
    """NOW() on PostgreSQL; on SQLite the current UTC time with milliseconds (CURRENT_TIMESTAMP
    has whole seconds only, too coarse to see updated_at move)."""

    type = sa.DateTime(timezone=True)
    inherit_cache = True


@compiles(utc_now, "postgresql")
def _utc_now_pg(element: utc_now, compiler: Any, **kw: Any) -> str:
    return "NOW()"


@compiles(utc_now)
def _utc_now_default(element: utc_now, compiler: Any, **kw: Any) -> str:
    return "(strftime('%Y-%m-%d %H:%M:%f', 'now'))"


def uuid_pk() -> sa.Column[Any]:
    """The spec's `id UUID PRIMARY KEY DEFAULT uuid_generate_v4()`."""
    return sa.Column("id", sa.Uuid(), primary_key=True, server_default=new_uuid())


def created_at() -> sa.Column[Any]:
    return sa.Column("created_at", sa.DateTime(timezone=True), server_default=utc_now())
