"""Migrations: upgrade -> check -> downgrade -> upgrade on both backends; models agree."""

from __future__ import annotations

import sqlalchemy as sa

from edupulse.db import migrate
from edupulse.db.models import TABLES
from edupulse.db.session import make_engine


def test_upgrade_check_downgrade_upgrade(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url, poolclass=sa.pool.NullPool)
    assert migrate.current_revision(engine) is None
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision(engine)
    assert migrate.check(engine).ok
    assert set(migrate.row_counts(engine).values()) == {0}

    migrate.downgrade(engine, "base")
    assert migrate.current_revision(engine) is None
    remaining = set(sa.inspect(engine).get_table_names()) & {t.name for t in TABLES}
    assert remaining == set()
    assert not migrate.check(engine).ok  # not at head: check refuses

    migrate.upgrade(engine)
    assert migrate.check(engine).ok
    engine.dispose()


def test_check_detects_models_that_drift(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url, poolclass=sa.pool.NullPool)
    migrate.upgrade(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP INDEX idx_grades_course_id")
    result = migrate.check(engine)
    assert not result.ok
    assert "idx_grades_course_id" in result.message
    engine.dispose()
