"""Where the feature and label passes keep their scratch tables, and that nothing is left behind.

On PostgreSQL a build works in a private schema of UNLOGGED tables (so that parallel workers can
read them); a role that may not create schemas gets TEMPORARY tables and the same rows.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from edupulse.db.session import make_engine
from edupulse.features import build as build_module
from edupulse.features import build_features
from edupulse.features.scratch import fill, scratch_space, tmp
from edupulse.labels import build_labels
from tests.features.test_build import A, _example, _vectors

SCRATCH = "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'edupulse_scratch_%'"
T = tmp("ep_test_scratch", sa.Column("x", sa.Integer), pk=("x",))


def _scratch_schemas(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text(SCRATCH)).scalar_one())


def test_the_kind_of_scratch_table_per_backend(engine: sa.Engine) -> None:
    with engine.begin() as conn, scratch_space(conn) as kind:
        fill(conn, T, sa.select(sa.literal(1, sa.Integer)))
        assert conn.execute(sa.select(T.c.x)).scalar_one() == 1
    assert kind == ("UNLOGGED" if engine.dialect.name == "postgresql" else "TEMPORARY")


def test_scratch_tables_are_made_only_inside_a_scratch_space(engine: sa.Engine) -> None:
    with engine.begin() as conn, pytest.raises(RuntimeError, match="inside scratch_space"):
        fill(conn, T, sa.select(sa.literal(1, sa.Integer)))


def test_nothing_is_left_after_a_build_or_a_failed_one(
        pg_engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    with pg_engine.begin() as conn:
        _example(conn)
        path = conn.execute(sa.text("SHOW search_path")).scalar_one()
    build_features(pg_engine, [A], progress=False)
    build_labels(pg_engine, [A], "any_adverse", 30)
    assert _scratch_schemas(pg_engine) == 0
    before = _vectors(pg_engine, A)

    def broken() -> sa.Select:  # fails after every scratch table has been filled
        raise RuntimeError("injected failure")

    monkeypatch.setattr(build_module, "feature_select", broken)
    with pytest.raises(RuntimeError, match="injected failure"):
        build_features(pg_engine, [A], progress=False)
    assert _scratch_schemas(pg_engine) == 0 and _vectors(pg_engine, A) == before
    with pg_engine.connect() as conn:
        assert conn.execute(sa.text("SHOW search_path")).scalar_one() == path


@pytest.fixture
def no_create_role(pg_engine: sa.Engine) -> Iterator[sa.Engine]:
    """A login role with read/write on the tables but no CREATE on the database."""
    role = f"edupulse_t{uuid.uuid4().hex[:8]}_nocreate"
    with pg_engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE ROLE {role} LOGIN")
        conn.exec_driver_sql(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "
                             f"public TO {role}")
    url = make_url(pg_engine.url.render_as_string(hide_password=False)).set(username=role)
    engine = make_engine(url.render_as_string(hide_password=False), poolclass=sa.pool.NullPool)
    yield engine
    engine.dispose()
    with pg_engine.begin() as conn:
        conn.exec_driver_sql(f"DROP OWNED BY {role}")
        conn.exec_driver_sql(f"DROP ROLE {role}")


def test_a_role_that_cannot_create_schemas_gets_the_same_rows(
        pg_engine: sa.Engine, no_create_role: sa.Engine) -> None:
    with pg_engine.begin() as conn:
        _example(conn)
    later = A + dt.timedelta(days=7)
    build_features(pg_engine, [A, later], progress=False)
    expected = {day: _vectors(pg_engine, day) for day in (A, later)}
    with no_create_role.begin() as conn, scratch_space(conn) as kind:
        assert kind == "TEMPORARY"
    with pg_engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM student_features")
    report = build_features(no_create_role, [A, later], progress=False)
    assert report.rows(A) == 3
    assert {day: _vectors(pg_engine, day) for day in (A, later)} == expected
    assert _scratch_schemas(pg_engine) == 0
