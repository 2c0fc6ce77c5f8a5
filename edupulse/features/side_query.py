"""The child process of `edupulse.features.alongside`: one SELECT on its own SQLite connection.

Reads a pickled job from stdin -- the database file, the calendar table (DDL and rows), the
SELECT as SQL text, the rows per message -- and writes pickled messages to stdout: ("rows",
[tuples as SQLite returns them]) as many times as needed, then ("done", None); or ("error",
exception). Only the standard library: it starts in milliseconds.
"""

from __future__ import annotations

import pickle
import sqlite3
import sys
from typing import Any, BinaryIO

BUSY_TIMEOUT_MS = 30000  # as every EduPulse SQLite connection (edupulse.db.session)


def run(job: dict[str, Any], out: BinaryIO) -> None:
    con = sqlite3.connect(job["database"], isolation_level=None)
    try:
        con.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        for ddl in job["setup"]:
            con.execute(ddl)
        con.executemany(job["insert"], job["rows"])
        for ddl in job["after"]:
            con.execute(ddl)
        cur = con.execute(job["select"])
        while rows := cur.fetchmany(job["chunk"]):
            _send(out, ("rows", rows))
    finally:
        con.close()


def _send(out: BinaryIO, message: tuple[str, Any]) -> None:
    pickle.dump(message, out, protocol=pickle.HIGHEST_PROTOCOL)
    out.flush()


def main() -> None:
    job = pickle.load(sys.stdin.buffer)
    out = sys.stdout.buffer
    try:
        run(job, out)
    except Exception as exc:  # handed to the parent, which raises it
        _send(out, ("error", exc))
        return
    _send(out, ("done", None))


if __name__ == "__main__":
    main()
