"""Shared fixtures: every test gets its own freshly migrated database, on SQLite and, when
EDUPULSE_TEST_PG_URL is set, on PostgreSQL.

With EDUPULSE_TEST_PG_URL set, PostgreSQL tests never skip: an unreachable server fails them.
Each test database is a copy of a template migrated once per session (a file copy on SQLite,
CREATE DATABASE ... TEMPLATE on PostgreSQL), so tests are isolated and can run in any order.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from edupulse.db import migrate
from edupulse.db.session import make_engine

PG_URL = os.environ.get("EDUPULSE_TEST_PG_URL")
PG_SKIP_REASON = "EDUPULSE_TEST_PG_URL is not set: PostgreSQL tests skipped (CI sets it)"
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)]


def _pg_admin() -> Engine:
    assert PG_URL
    return sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)


def _pg_url_for(dbname: str) -> str:
    assert PG_URL
    return make_url(PG_URL).set(database=dbname).render_as_string(hide_password=False)


def create_pg_database(template: str | None = None) -> str:
    """A new, uniquely named PostgreSQL database; returns its name."""
    name = f"edupulse_t_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin()
    with admin.connect() as conn:
        tmpl = f" TEMPLATE {template}" if template else ""
        conn.exec_driver_sql(f"CREATE DATABASE {name}{tmpl}")
    admin.dispose()
    return name


def drop_pg_database(name: str) -> None:
    admin = _pg_admin()
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.dispose()


def require_pg() -> None:
    if not PG_URL:
        pytest.skip(PG_SKIP_REASON)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "edupulse.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str | None]:
    if not PG_URL:
        yield None
        return
    name = create_pg_database()
    engine = make_engine(_pg_url_for(name), poolclass=sa.pool.NullPool)
    migrate.upgrade(engine)
    engine.dispose()
    yield name
    drop_pg_database(name)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql":
        require_pg()
    return request.param


@pytest.fixture
def db_url(
    backend: str, tmp_path: Path, sqlite_template: Path, pg_template: str | None
) -> Iterator[str]:
    """URL of a fresh database at the newest schema revision, on `backend`."""
    if backend == "sqlite":
        path = tmp_path / "edupulse.db"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    name = create_pg_database(template=pg_template)
    yield _pg_url_for(name)
    drop_pg_database(name)


@pytest.fixture
def empty_db_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """URL of a fresh database with no schema at all, on `backend`."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    name = create_pg_database()
    yield _pg_url_for(name)
    drop_pg_database(name)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url, poolclass=sa.pool.NullPool)
    yield eng
    eng.dispose()


@pytest.fixture(autouse=True)
def edupulse_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An isolated EDUPULSE_HOME (and MLflow store) for every test: nothing a test writes
    lands in ./var, and tests running in parallel never share a store."""
    home = tmp_path / "home"
    monkeypatch.setenv("EDUPULSE_HOME", str(home))
    monkeypatch.delenv("EDUPULSE_DATABASE_URL", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    return home


@pytest.fixture
def pg_engine(pg_template: str | None) -> Iterator[Engine]:
    """A fresh migrated PostgreSQL database, for tests about PostgreSQL alone."""
    require_pg()
    name = create_pg_database(template=pg_template)
    eng = make_engine(_pg_url_for(name), poolclass=sa.pool.NullPool)
    yield eng
    eng.dispose()
    drop_pg_database(name)
