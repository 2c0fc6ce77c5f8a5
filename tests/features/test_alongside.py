"""The grades pass in a second process on SQLite: the same rows as in line, when it is used, and
what a failure on either side gets (the error, the child stopped, nothing changed)."""

from __future__ import annotations

import shutil
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from edupulse.db.session import make_engine
from edupulse.features import alongside, build_features, staging
from tests.features.test_build import A, _example, _vectors


@pytest.fixture
def lite(tmp_path: Path, sqlite_template: Path) -> Iterator[sa.Engine]:
    path = tmp_path / "edupulse.db"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        _example(conn)
    yield engine
    engine.dispose()


@pytest.fixture
def sides(monkeypatch: pytest.MonkeyPatch) -> list[alongside._Side]:
    """Every side query started, for the test to look at its child process."""
    started: list[alongside._Side] = []
    real_start = alongside._Side.start
    monkeypatch.setattr(alongside._Side, "start",
                        lambda self: (started.append(self), real_start(self)))
    return started


def test_the_second_process_gives_the_rows_of_the_in_line_pass(
        lite: sa.Engine, sides: list[alongside._Side], monkeypatch: pytest.MonkeyPatch) -> None:
    build_features(lite, [A], progress=False)
    side = _vectors(lite, A)
    assert [s.table.name for s in sides] == ["ep_att"]
    assert sides[0].proc is not None and sides[0].proc.returncode == 0
    assert side["X"]["attendance_rate"] == pytest.approx(5 / 8)  # attendance was read

    monkeypatch.setattr(alongside, "CHUNK", 2)  # the rows arrive in several messages
    build_features(lite, [A], progress=False)
    assert _vectors(lite, A) == side and len(sides) == 2

    monkeypatch.setattr(alongside, "_concurrent", lambda conn: False)
    build_features(lite, [A], progress=False)
    assert _vectors(lite, A) == side and len(sides) == 2


def test_a_failure_of_the_main_pass_stops_the_side_query(
        lite: sa.Engine, sides: list[alongside._Side], monkeypatch: pytest.MonkeyPatch) -> None:
    build_features(lite, [A], progress=False)
    before = _vectors(lite, A)

    def endless(conn: sa.Connection, cal: Any) -> sa.Select:
        count = sa.text("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
                        "SELECT count(*) AS n FROM c").columns(n=sa.Integer).subquery()
        return sa.select(*[count.c.n] * 8)

    def broken(conn: sa.Connection, cal: Any) -> int:
        raise RuntimeError("injected failure")

    monkeypatch.setattr(staging, "_attendance", endless)
    monkeypatch.setattr(staging, "_incidents", broken)
    sides.clear()
    with pytest.raises(RuntimeError, match="injected failure"):
        build_features(lite, [A], progress=False)
    # the endless count was killed and nothing changed
    assert len(sides) == 1 and sides[0].proc is not None
    assert sides[0].proc.returncode == -signal.SIGKILL
    assert _vectors(lite, A) == before


def test_a_failure_of_the_side_query_is_raised_and_changes_nothing(
        lite: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    build_features(lite, [A], progress=False)
    before = _vectors(lite, A)

    def bad(conn: sa.Connection, cal: Any) -> sa.Select:
        return sa.select(*[sa.literal_column("no_such_column")] * 8).select_from(cal)

    monkeypatch.setattr(staging, "_attendance", bad)
    with pytest.raises(alongside.SideQueryError, match="ep_att pass failed: no such column"):
        build_features(lite, [A], progress=False)
    assert _vectors(lite, A) == before


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
