"""The grades pass on a second connection while the main one aggregates attendance (SQLite).

SQLite runs a statement on one core. The grades pass and the attendance pass read different
tables and neither needs the other, so on SQLite a second connection computes the grades table
in a thread (the sqlite3 module releases the GIL while SQLite works) and the main connection
copies its rows (one per student and interval) into its own scratch table afterwards. On the
10,000-student benchmark this takes the grades pass (about 7 s) off the critical path of the
attendance pass (about 4 s). PostgreSQL already spreads each of these statements over parallel
workers on every core (running the two at once there saved nothing), so it fills the table in
line, as does SQLite where a second connection would not see the same data: an in-memory
database, a write-ahead-log database (its readers see the database as of when they start,
whoever commits meanwhile), or a connection with no transaction open.

The same data: the main connection reads the database inside its open transaction before the
side connection starts, so it holds SQLite's shared lock and nobody can commit until it ends.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from edupulse.features.scratch import create, drop, fill, index, scratch_space

# (connection, calendar as a FROM clause) -> the rows of the table
SelectOf = Callable[[sa.Connection, Any], sa.Select]


@contextmanager
def alongside(conn: sa.Connection, table: sa.Table, select_of: SelectOf, cal: Any,
              calendar: tuple[sa.Table, Sequence[dict[str, Any]]]) -> Iterator[None]:
    """Fill `table` with `select_of(connection, cal)` while the body of the `with` runs, on a second
    connection where that can run at the same time (SQLite), else in line when the body ends.
    `calendar` is the calendar table and its rows, made again on the second connection."""
    side = _Side(conn.engine, table, select_of, calendar) if _concurrent(conn) else None
    if side is not None:
        side.start()
    try:
        yield
    except BaseException:
        if side is not None:
            side.cancel()
        raise
    if side is None:
        fill(conn, table, select_of(conn, cal))
        return
    rows = side.result()
    create(conn, (table,))
    if rows:
        marks = ", ".join("?" for _ in table.c)
        conn.exec_driver_sql(f"INSERT INTO {table.name} VALUES ({marks})", rows)


def _concurrent(conn: sa.Connection) -> bool:
    if conn.dialect.name != "sqlite" or conn.engine.url.database in (None, "", ":memory:"):
        return False
    if "mode=memory" in str(conn.engine.url):
        return False
    raw = conn.connection.dbapi_connection
    if raw is None or not raw.in_transaction:
        return False
    # A read inside the open transaction: its shared lock now lasts until the transaction ends.
    conn.exec_driver_sql("SELECT count(*) FROM main.sqlite_master").scalar_one()
    mode = conn.exec_driver_sql("PRAGMA main.journal_mode").scalar_one()
    return str(mode).lower() != "wal"


class _Side:
    """One SELECT on its own connection in a thread; the rows as the driver returns them."""

    def __init__(self, engine: sa.Engine, table: sa.Table, select_of: SelectOf,
                 calendar: tuple[sa.Table, Sequence[dict[str, Any]]]) -> None:
        self.engine, self.table, self.select_of, self.calendar = engine, table, select_of, calendar
        self.rows: list[tuple[Any, ...]] = []
        self.error: BaseException | None = None
        self.raw: Any = None
        self.cancelled = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"edupulse-{table.name}",
                                       daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _run(self) -> None:
        cal, days = self.calendar
        try:
            with self.engine.connect() as side, scratch_space(side):
                self.raw = side.connection.dbapi_connection
                try:
                    create(side, (cal,))
                    side.execute(sa.insert(cal), list(days))
                    index(side, cal)
                    if not self.cancelled.is_set():
                        result = side.execute(self.select_of(side, cal))
                        self.rows = result.cursor.fetchall()  # raw values, exactly as stored
                finally:
                    self.raw = None
                    side.rollback()
                    drop(side, (cal,))
        except BaseException as exc:  # handed to the main thread by result()
            self.error = exc

    def cancel(self) -> None:
        """Stop the side query (the main work failed) and wait for the thread. Interrupts
        until it ends: an interrupt that arrives before the query starts is lost."""
        self.cancelled.set()
        while self.thread.is_alive():
            raw = self.raw
            if raw is not None:
                raw.interrupt()
            self.thread.join(0.05)

    def result(self) -> list[tuple[Any, ...]]:
        self.thread.join()
        if self.error is not None:
            raise self.error
        return self.rows
