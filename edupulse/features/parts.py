"""PostgreSQL: a window pass split by student range over parallel workers.

PostgreSQL 15 never runs a window function in a parallel worker (the planner makes no partial
paths above a WindowAgg, so a UNION ALL of student ranges does not help either), and the
feature build's window passes -- the running sums with their LAG reads (ep_asof), the
per-course running state (ep_gst), and the labels' running sums -- each ran on one core while
the other idled. Their rows depend only on the student's own rows, so a student range can be
computed on its own.
`fill_by_student` puts the pass's SELECT, for one range given as arguments, into a PL/pgSQL
function in the transaction's scratch schema, and fills the table with

    CREATE UNLOGGED TABLE t AS SELECT r.* FROM ep_parts p, LATERAL ep_fn_t(p.lo, p.hi) r

ep_parts holds one row (one range) per page, so the parallel sequential scan hands each range
to a different process: the leader and its workers run one range each, side by side (as many
ranges as max_parallel_workers_per_gather, at least 2). The function is STABLE and PARALLEL
SAFE (it only reads, in the caller's snapshot and transaction, so it sees the scratch tables);
a function, not a subquery, because the planner would inline a subquery and plan its window
serially again. Where no worker is free the leader runs every range itself: the same rows, one
core. On the 10,000-student benchmark (2 cores) ep_asof took about 60 % of its serial time and
ep_gst about 70 % (see docs/features.md).

Where this cannot run -- SQLite, TEMPORARY scratch tables (which workers cannot read), no
PL/pgSQL -- the table is filled in one statement as before (`scratch.fill`).
"""

from __future__ import annotations

import sqlalchemy as sa

from edupulse.features.scratch import drop, fill, kind, typed

PARTS_TABLE = "ep_parts"
QUOTE = "$ep_part$"  # dollar quote of the function body


def fill_by_student(conn: sa.Connection, table: sa.Table, select: sa.Select) -> None:
    """Fill scratch `table` with `select` (columns in the table's order), whose rows each
    belong to the student in its `student_id` column (never NULL) and depend only on that
    student's rows: a window partitioned by student, a GROUP BY student."""
    statement = prepare(conn, table, select)
    if statement is None:
        fill(conn, table, select)
        return
    conn.exec_driver_sql(statement)
    conn.exec_driver_sql(f"DROP TABLE {PARTS_TABLE}")
    conn.exec_driver_sql(f"DROP FUNCTION {_function(table)}(uuid, uuid)")
    conn.exec_driver_sql(f"DROP TYPE {_rowtype(table)}")


def prepare(conn: sa.Connection, table: sa.Table, select: sa.Select) -> str | None:
    """Make the function and ep_parts, and return the CREATE TABLE ... AS that fills `table`
    from them; None where the pass cannot be split (then `fill` it in one statement)."""
    if "student_id" not in table.c or not _splittable(conn):
        return None
    workers = int(conn.execute(sa.text(
        "SELECT current_setting('max_parallel_workers_per_gather')")).scalar_one())
    ranges = student_ranges(conn, max(workers, 2)) if workers else []
    if len(ranges) < 2:
        return None
    rowtype, fn = _rowtype(table), _function(table)
    drop(conn, (table,))
    conn.exec_driver_sql(f"DROP FUNCTION IF EXISTS {fn}(uuid, uuid)")
    conn.exec_driver_sql(f"DROP TYPE IF EXISTS {rowtype}")
    conn.exec_driver_sql(f"CREATE TYPE {rowtype} AS ({_columns(conn, table)})")
    conn.exec_driver_sql(
        f"CREATE FUNCTION {fn}(ep_lo uuid, ep_hi uuid) RETURNS SETOF {rowtype} "
        f"LANGUAGE plpgsql STABLE PARALLEL SAFE COST 1000000 ROWS 100000 AS "
        f"{QUOTE} BEGIN RETURN QUERY {_body(conn, table, select)}; END {QUOTE}")
    _parts_table(conn, ranges)
    return (f"CREATE {kind(conn)} TABLE {table.name} AS "
            f"SELECT r.* FROM {PARTS_TABLE} p, LATERAL {fn}(p.lo, p.hi) r")


def _function(table: sa.Table) -> str:
    return f"ep_fn_{table.name}"


def _rowtype(table: sa.Table) -> str:
    return f"{table.name}_row"


def student_ranges(conn: sa.Connection, parts: int) -> list[tuple[str | None, str | None]]:
    """`parts` ranges [lo, hi) of student ids with about as many students each (None: open)."""
    if parts < 2:
        return [(None, None)]
    cuts = conn.execute(sa.text(
        "SELECT CAST(percentile_disc(CAST(:q AS float8[])) WITHIN GROUP (ORDER BY id) AS text[])"
        " FROM students"),
        {"q": [k / parts for k in range(1, parts)]}).scalar_one()
    bounds = sorted({str(c) for c in cuts or [] if c is not None})
    return list(zip([None, *bounds], [*bounds, None], strict=True))


def _splittable(conn: sa.Connection) -> bool:
    if conn.dialect.name != "postgresql" or kind(conn) != "UNLOGGED":
        return False
    return bool(conn.execute(sa.text(
        "SELECT EXISTS (SELECT 1 FROM pg_language WHERE lanname = 'plpgsql')")).scalar_one())


def _columns(conn: sa.Connection, table: sa.Table) -> str:
    return ", ".join(f"{c.name} {c.type.compile(dialect=conn.dialect)}" for c in table.c)


def _body(conn: sa.Connection, table: sa.Table, select: sa.Select) -> str:
    """The SELECT for the range (ep_lo, ep_hi), values written in: PL/pgSQL plans it on its
    first call in each process with the range's bounds known, so the range reaches the
    student scans below the windows (the planner pushes a condition on the partitioning
    column through them)."""
    q = select.subquery("q")
    lo, hi = sa.literal_column("ep_lo"), sa.literal_column("ep_hi")
    ranged = sa.select(q).where(sa.or_(lo.is_(None), q.c.student_id >= lo),
                                sa.or_(hi.is_(None), q.c.student_id < hi))
    sql = str(typed(table, ranged).compile(dialect=conn.dialect,
                                           compile_kwargs={"literal_binds": True}))
    if QUOTE in sql:
        raise ValueError(f"{table.name}: the SELECT contains the quote {QUOTE}")
    return sql


def _parts_table(conn: sa.Connection, ranges: list[tuple[str | None, str | None]]) -> None:
    """One range per page: a row padded past half a page, stored inline (PLAIN: neither
    compressed nor moved out), so that a parallel scan hands each range to one process; as
    many workers as ranges beside the leader, which runs one itself."""
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {PARTS_TABLE}")
    conn.exec_driver_sql(f"CREATE {kind(conn)} TABLE {PARTS_TABLE} (lo uuid, hi uuid, pad text)"
                         f" WITH (parallel_workers = {len(ranges) - 1})")
    conn.exec_driver_sql(f"ALTER TABLE {PARTS_TABLE} ALTER pad SET STORAGE PLAIN")
    conn.execute(sa.text(f"INSERT INTO {PARTS_TABLE} VALUES "
                         "(CAST(:lo AS uuid), CAST(:hi AS uuid), repeat('-', 5000))"),
                 [{"lo": lo, "hi": hi} for lo, hi in ranges])
