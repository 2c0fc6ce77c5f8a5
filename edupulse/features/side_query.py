"""The child process of `edupulse.features.alongside`: one SELECT on its own SQLite connection.

Reads a pickled job from stdin -- the database file, the calendar table (DDL and rows), the
SELECT as SQL text -- and writes the pickled result to stdout: ("rows", [tuples as SQLite
returns them]) or ("error", exception). Only the standard library: it starts in milliseconds.
"""

from __future__ import annotations

import pickle
import sqlite3
import sys
from typing import Any

BUSY_TIMEOUT_MS = 30000  # as every EduPulse SQLite connection (edupulse.db.session)


def run(job: dict[str, Any]) -> list[tuple[Any, ...]]:
    con = sqlite3.connect(job["database"], isolation_level=None)
    try:
        con.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        for ddl in job["setup"]:
            con.execute(ddl)
        con.executemany(job["insert"], job["rows"])
        for ddl in job["after"]:
            con.execute(ddl)
        return con.execute(job["select"]).fetchall()
    finally:
        con.close()


def main() -> None:
    job = pickle.load(sys.stdin.buffer)
    try:
        out: tuple[str, Any] = ("rows", run(job))
    except Exception as exc:  # handed to the parent, which raises it
        out = ("error", exc)
    pickle.dump(out, sys.stdout.buffer, protocol=pickle.HIGHEST_PROTOCOL)
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
