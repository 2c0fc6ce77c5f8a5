"""Alembic environment: runs on the connection EduPulse hands it (see edupulse.db.migrate)."""

from __future__ import annotations

import warnings

from alembic import context

from edupulse.db import models  # noqa: F401  (registers the tables on Base.metadata)
from edupulse.db.base import Base
from edupulse.db.session import make_engine

config = context.config

# SQLite cannot reflect expression indexes (the natural keys of migration 0002), so autogenerate
# cannot compare them there; PostgreSQL does compare them.
warnings.filterwarnings("ignore", message=".*expression-based index.*")
target_metadata = Base.metadata


# The spec declares UNIQUE(student_id, feature_date) beside the identical primary key;
# PostgreSQL folds a unique constraint that duplicates the primary key away, SQLite keeps it.
PK_DUPLICATES = {"uq_student_features_student_id_feature_date"}


def _include_object(obj, name, type_, reflected, compare_to) -> bool:  # type: ignore[no-untyped-def]
    dialect = context.get_context().dialect.name
    return not (type_ == "unique_constraint" and name in PK_DUPLICATES and dialect == "postgresql")


def _configure(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=_include_object,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode recreates tables
        compare_type=True,
    )


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as conn:
        _configure(conn)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("EduPulse migrations run online only: use `edupulse db upgrade`.")
run_migrations_online()
