"""The grades pass on a second SQLite connection: the same rows as in line, when it is used, and
what a failure on either side gets (the error, the side stopped, nothing changed)."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from edupulse.db.session import make_engine
from edupulse.features import alongside, build_features, running, staging
from tests.features.test_build import A, _example, _vectors

SIDE_THREAD = "edupulse-ep_gst"


@pytest.fixture
def lite(tmp_path: Path, sqlite_template: Path) -> Iterator[sa.Engine]:
    path = tmp_path / "edupulse.db"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        _example(conn)
    yield engine
    engine.dispose()


def _side_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == SIDE_THREAD]


def test_the_second_connection_gives_the_rows_of_the_in_line_pass(
        lite: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    started = []
    real_start = alongside._Side.start
    monkeypatch.setattr(alongside._Side, "start",
                        lambda self: (started.append(self.table.name), real_start(self)))
    build_features(lite, [A], progress=False)
    side = _vectors(lite, A)
    assert started == ["ep_gst"] and not _side_threads()
    assert side["X"]["feature_vector"]["extra"]["failing_courses"] == 1  # grades were read

    monkeypatch.setattr(alongside, "_concurrent", lambda conn: False)
    build_features(lite, [A], progress=False)
    assert _vectors(lite, A) == side and started == ["ep_gst"]


def test_a_failure_of_the_main_pass_stops_the_side_query(
        lite: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    build_features(lite, [A], progress=False)
    before = _vectors(lite, A)
    running_side = threading.Event()

    def endless(conn: sa.Connection, cal: Any, *, years: Any) -> sa.Select:
        running_side.set()
        count = sa.text("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
                        "SELECT count(*) AS n FROM c").columns(n=sa.Integer).subquery()
        return sa.select(*[count.c.n] * 6)

    def broken(conn: sa.Connection, cal: Any) -> int:
        assert running_side.wait(10)
        raise RuntimeError("injected failure")

    cancelled: list[BaseException | None] = []
    real_cancel = alongside._Side.cancel
    monkeypatch.setattr(alongside._Side, "cancel",
                        lambda self: (real_cancel(self), cancelled.append(self.error)))
    monkeypatch.setattr(running, "course_changes", endless)
    monkeypatch.setattr(staging, "_attendance", broken)
    with pytest.raises(RuntimeError, match="injected failure"):
        build_features(lite, [A], progress=False)
    # the endless count was interrupted, its thread is gone, and nothing changed
    assert len(cancelled) == 1 and isinstance(cancelled[0], sa.exc.OperationalError)
    assert "interrupted" in str(cancelled[0])
    assert not _side_threads() and _vectors(lite, A) == before


def test_a_failure_of_the_side_query_is_raised_and_changes_nothing(
        lite: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    build_features(lite, [A], progress=False)
    before = _vectors(lite, A)

    def bad(conn: sa.Connection, cal: Any, *, years: Any) -> sa.Select:
        return sa.select(*[sa.literal_column("no_such_column")] * 6).select_from(cal)

    monkeypatch.setattr(running, "course_changes", bad)
    with pytest.raises(sa.exc.OperationalError, match="no_such_column"):
        build_features(lite, [A], progress=False)
    assert not _side_threads() and _vectors(lite, A) == before


def test_in_line_where_a_second_connection_would_not_see_the_same_data(
        lite: sa.Engine, tmp_path: Path) -> None:
    with lite.connect() as conn:
        assert not alongside._concurrent(conn)  # no transaction open yet: no shared lock held
        conn.execute(sa.text("CREATE TEMPORARY TABLE t (x INTEGER)"))
        conn.execute(sa.text("INSERT INTO t VALUES (1)"))
        assert alongside._concurrent(conn)
        conn.rollback()
    memory = make_engine("sqlite://")
    with memory.connect() as conn:
        conn.execute(sa.text("CREATE TEMPORARY TABLE t (x INTEGER)"))
        conn.execute(sa.text("INSERT INTO t VALUES (1)"))
        assert not alongside._concurrent(conn)
    wal = make_engine(f"sqlite:///{tmp_path / 'wal.db'}")
    with wal.connect() as conn:
        conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        conn.execute(sa.text("CREATE TEMPORARY TABLE t (x INTEGER)"))
        conn.execute(sa.text("INSERT INTO t VALUES (1)"))
        assert not alongside._concurrent(conn)
    for e in (memory, wal):
        e.dispose()


def test_postgresql_fills_in_line(pg_engine: sa.Engine) -> None:
    """Parallel workers already use every core there: running both passes at once saved
    nothing when measured."""
    with pg_engine.begin() as conn:
        conn.execute(sa.text("CREATE TEMPORARY TABLE t (x INTEGER)"))
        assert not alongside._concurrent(conn)
