"""Wall seconds and busy cores of each SQL statement of a build, for the benchmarks' reports.

Where a build's time goes, statement by statement: a statement that keeps fewer cores busy than
the machine has is serial (PostgreSQL's INSERT, a window pass outside the parallel ranges), and
the slowest ones are where a change can pay off.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa


@dataclass(frozen=True)
class Statement:
    wall: float
    cores: float  # CPU seconds of every process on the machine / wall seconds
    sql: str


def watch(engine: sa.Engine, machine_cpu: Callable[[], float]) -> list[Statement]:
    """Time every statement `engine` runs from now on; the list fills as they finish."""
    timings: list[Statement] = []

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _before(conn, _cursor, _statement, _params, _context, _many):  # type: ignore[no-untyped-def]
        conn.info["bench_started"] = (time.perf_counter(), machine_cpu())

    @sa.event.listens_for(engine, "after_cursor_execute")
    def _after(conn, _cursor, statement, _params, _context, _many):  # type: ignore[no-untyped-def]
        t0, cpu0 = conn.info.pop("bench_started")
        wall = time.perf_counter() - t0
        timings.append(Statement(wall, (machine_cpu() - cpu0) / wall if wall > 0 else 0.0,
                                 " ".join(statement.split())))

    return timings


def slowest(timings: list[Statement], n: int = 6, width: int = 96) -> list[str]:
    """The `n` slowest statements as report lines: wall seconds, busy cores, SQL head."""
    return [f"{s.wall:6.2f} s {s.cores:4.1f} cores  {s.sql[:width]}"
            for s in sorted(timings, key=lambda s: s.wall, reverse=True)[:n]]
