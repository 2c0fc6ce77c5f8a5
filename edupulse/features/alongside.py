"""The attendance pass in a second process while the main connection runs the others (SQLite).

SQLite runs a statement on one core. The staging passes read different tables and none needs
another, so on SQLite a child process (`edupulse.features.side_query`, standard library only)
runs the attendance SELECT -- the biggest, 9 M records on the benchmark -- on its own
connection while the main connection runs the grades and incidents passes, then copies the
child's rows (one per student and interval) into its own scratch table. A process, not a
thread: two SQLite connections in threads of one process slowed each other by 30-40 % (SQLite's
process-wide locks around memory allocation, which sorts and windows use heavily); in two
processes each ran at its own speed. On the 10,000-student benchmark the staging went from
about 10 s (4.2 s attendance, then 5.7 s grades) to about 6 s. PostgreSQL already spreads each
of these statements over parallel workers on every core (running two at once there saved
nothing), so it fills the table in line, as does SQLite where a second connection would not see
the same data: an in-memory database, a write-ahead-log database (its readers see the database
as of when they start, whoever commits meanwhile), a URL with options, or a connection with no
transaction open.

The same data: the main connection reads the database inside its open transaction before the
child starts, so it holds SQLite's shared lock and nobody can commit until it ends.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from edupulse.features.scratch import create, create_sql, fill, index_sql

SIDE_QUERY = Path(__file__).with_name("side_query.py")
CHUNK = 50_000  # rows per message from the child: neither process holds the whole result
# (connection, calendar as a FROM clause) -> the SELECT that gives the table's rows
SelectOf = Callable[[sa.Connection, Any], sa.Select]


@contextmanager
def alongside(conn: sa.Connection, table: sa.Table, select_of: SelectOf, cal: Any,
              calendar: tuple[sa.Table, Sequence[dict[str, Any]]]) -> Iterator[None]:
    """Fill `table` with `select_of(connection, cal)` while the body of the `with` runs, in a
    second process where that can run at the same time (SQLite), else in line when the body
    ends. `calendar` is the calendar table and its rows, made again on the second connection."""
    side = _Side(conn, table, select_of, calendar) if _concurrent(conn) else None
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
    create(conn, (table,))
    insert = f"INSERT INTO {table.name} VALUES ({', '.join('?' for _ in table.c)})"
    try:
        for rows in side.chunks():
            conn.exec_driver_sql(insert, rows)
    except BaseException:
        side.cancel()
        raise


def _concurrent(conn: sa.Connection) -> bool:
    url = conn.engine.url
    if conn.dialect.name != "sqlite" or url.database in (None, "", ":memory:") or url.query:
        return False
    raw = conn.connection.dbapi_connection
    if raw is None or not raw.in_transaction:
        return False
    # A read inside the open transaction: its shared lock now lasts until the transaction ends.
    conn.exec_driver_sql("SELECT count(*) FROM main.sqlite_master").scalar_one()
    mode = conn.exec_driver_sql("PRAGMA main.journal_mode").scalar_one()
    return str(mode).lower() != "wal"


class SideQueryError(RuntimeError):
    """The side query failed in the child process."""


class _Side:
    """One SELECT in a child process on its own connection; the rows as SQLite returns them."""

    def __init__(self, conn: sa.Connection, table: sa.Table, select_of: SelectOf,
                 calendar: tuple[sa.Table, Sequence[dict[str, Any]]]) -> None:
        cal, days = calendar
        dialect = conn.dialect
        insert = sa.insert(cal).compile(dialect=dialect)
        self.table = table
        self.job = {
            "database": os.path.abspath(str(conn.engine.url.database)),
            "setup": [create_sql(cal, "TEMPORARY", dialect)],
            "insert": str(insert),
            "rows": [tuple(_text(d[c]) for c in insert.positiontup or ()) for d in days],
            "after": list(index_sql(cal)),
            "select": str(select_of(conn, cal).compile(
                dialect=dialect, compile_kwargs={"literal_binds": True})),
            "chunk": CHUNK,
        }
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        # Run as a script in isolated mode: it needs only the standard library, not edupulse
        # on the child's path, nor the caller's PYTHON* settings.
        self.proc = subprocess.Popen(
            [sys.executable, "-I", str(SIDE_QUERY)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert self.proc.stdin is not None
        self.proc.stdin.write(pickle.dumps(self.job, protocol=pickle.HIGHEST_PROTOCOL))
        self.proc.stdin.close()
        self.proc.stdin = None  # sent; communicate() then only reads

    def cancel(self) -> None:
        """Stop the child (the main work failed) unless it has been waited for already."""
        if self.proc is None or self.proc.returncode is not None:
            return
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.communicate()

    def chunks(self) -> Iterator[list[tuple[Any, ...]]]:
        """The child's rows, chunk by chunk as it sends them (it waits while a chunk is
        unread, so neither process ever holds the whole result)."""
        assert self.proc is not None and self.proc.stdout is not None
        while True:
            try:
                kind, value = pickle.load(self.proc.stdout)
            except EOFError:  # the child died without a word: its stderr says why
                _, err = self.proc.communicate()
                raise SideQueryError(
                    f"the {self.table.name} pass failed in its process (exit "
                    f"{self.proc.returncode}): {err.decode(errors='replace')}") from None
            if kind == "error":
                self.proc.communicate()
                raise SideQueryError(f"the {self.table.name} pass failed: {value}") from value
            if kind == "done":
                self.proc.communicate()
                return
            yield value


def _text(value: Any) -> Any:
    """A calendar value as SQLite stores it (dates as ISO text)."""
    return value.isoformat() if hasattr(value, "isoformat") else value
