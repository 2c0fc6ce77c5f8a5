"""A window pass split by student range over PostgreSQL's parallel workers: the same rows as one
statement, every student in exactly one range, the ranges really run in workers, and where
the pass is not split (SQLite, TEMPORARY scratch tables, no workers) it is filled in one
statement."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from edupulse.db.models import Student
from edupulse.features import parts
from edupulse.features.scratch import fill, scratch_space, tmp
from tests.db import factories as f

S = Student.__table__
T = tmp("ep_t_parts", sa.Column("student_id", sa.Uuid()), sa.Column("k", sa.Integer),
        sa.Column("running", sa.BigInteger), sa.Column("m", sa.Integer),
        sa.Column("s", sa.String(20)), pk=())


def _window_select() -> sa.Select:
    """Per student, three rows k = 1..3 with a running sum over them (a window partitioned by
    student), a modulo (PostgreSQL's % in the function body) and a quoted string literal."""
    k = sa.union_all(*[sa.select(sa.literal(i, sa.Integer).label("k")) for i in (1, 2, 3)]
                     ).subquery("k")
    running = sa.func.sum(k.c.k + sa.func.length(S.c.district_id)).over(
        partition_by=S.c.id, order_by=k.c.k)
    return sa.select(S.c.id.label("student_id"), k.c.k, running,
                     (sa.func.length(S.c.district_id) % 3).label("m"),
                     sa.literal("it's 100%").label("s")).select_from(S.join(k, sa.true()))


@pytest.fixture
def students(engine: sa.Engine) -> Iterator[sa.Engine]:
    with engine.begin() as conn:
        for i in range(25):
            f.add_student(conn, district_id=f"{'D' * (1 + i % 7)}{i}")
    yield engine


def _rows(conn: sa.Connection) -> list[tuple]:
    return sorted(conn.execute(sa.select(T)).all(), key=lambda r: (str(r[0]), r[1]))


def test_a_pass_by_student_range_gives_the_rows_of_one_statement(students: sa.Engine) -> None:
    with students.begin() as conn, scratch_space(conn):
        fill(conn, T, _window_select())
        expected = _rows(conn)
        parts.fill_by_student(conn, T, _window_select())
        assert _rows(conn) == expected
        assert len(expected) == 75 and expected[0][4] == "it's 100%"
        # nothing of the split is left in the transaction's scratch schema
        left = conn.execute(sa.text(
            "SELECT count(*) FROM pg_class WHERE relname = 'ep_parts' AND pg_table_is_visible(oid)"
        )).scalar_one() if students.dialect.name == "postgresql" else 0
        assert left == 0


def test_the_ranges_run_in_parallel_workers(pg_engine: sa.Engine) -> None:
    with pg_engine.begin() as conn:
        for _ in range(10):
            f.add_student(conn)
    # each range sleeps 0.5 s first, so the leader is busy with its own range when the worker
    # starts (else on this little data the leader might finish both before it has started)
    slow = _window_select().where(sa.text("(SELECT true FROM pg_sleep(0.5))"))
    with pg_engine.begin() as conn, scratch_space(conn):
        statement = parts.prepare(conn, T, slow)
        assert statement is not None
        plan = conn.exec_driver_sql(
            f"EXPLAIN (ANALYZE, VERBOSE, FORMAT JSON) {statement}").scalar_one()
        plan = plan if isinstance(plan, list) else json.loads(plan)
        gather = plan[0]["Plan"]
        assert gather["Node Type"] == "Gather" and gather["Workers Launched"] >= 1
        assert gather["Actual Rows"] == 30
        assert "ep_fn_ep_t_parts" in json.dumps(plan)
        # each process ran one range: a worker returned rows of its own
        workers = [w for node in _nodes(gather) for w in node.get("Workers", [])
                   if w.get("Actual Rows", 0) > 0]
        assert workers


def _nodes(node: dict) -> Iterator[dict]:
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


def test_every_student_is_in_exactly_one_range(pg_engine: sa.Engine) -> None:
    with pg_engine.begin() as conn:
        assert parts.student_ranges(conn, 3) == [(None, None)]  # no students: one open range
        ids = sorted(str(f.add_student(conn)["id"]) for _ in range(25))
        for n in (1, 2, 3, 4):
            ranges = parts.student_ranges(conn, n)
            assert len(ranges) == n and ranges[0][0] is None and ranges[-1][1] is None
            sizes = [sum(1 for i in ids if (lo is None or i >= lo) and (hi is None or i < hi))
                     for lo, hi in ranges]
            assert sum(sizes) == 25 and max(sizes) - min(sizes) <= 1


def test_where_the_pass_is_not_split_it_is_filled_in_one_statement(
        students: sa.Engine) -> None:
    with students.begin() as conn, scratch_space(conn) as kind:
        if students.dialect.name == "postgresql":
            assert kind == "UNLOGGED"
            conn.exec_driver_sql("SET LOCAL max_parallel_workers_per_gather = 0")
        assert parts.prepare(conn, T, _window_select()) is None  # SQLite; no workers
        parts.fill_by_student(conn, T, _window_select())
        assert len(_rows(conn)) == 75
