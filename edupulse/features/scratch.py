"""Scratch tables for the feature and label passes: where they live and how they are filled.

`scratch_space(conn)` opens the space for one transaction. On PostgreSQL it is a private schema
created in the transaction (first on the search_path) whose tables are UNLOGGED: parallel
workers can read them, so the big aggregations and the feature rows run on every core, which
they cannot over TEMPORARY tables. Nobody else sees the schema (it is never committed: it is
dropped before the commit, and a rollback removes it with everything else). A role without the
CREATE privilege on the database gets TEMPORARY tables instead: the same results, one core.
On SQLite the tables are TEMPORARY (a separate, unjournaled database file).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import visitors
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.elements import ClauseElement

from edupulse.features.sqlfuncs import json_doc, json_types

md = sa.MetaData()
KIND = "edupulse_scratch_kind"  # conn.info key: how this transaction's scratch tables are made


def tmp(name: str, *cols: sa.Column, pk: tuple[str, ...]) -> sa.Table:
    """A scratch table; `pk` is its key, indexed after the table is filled (`index`), since
    maintaining an index row by row while filling costs far more than building it once."""
    t = sa.Table(name, md, *cols)
    t.info["key"] = pk
    return t


@contextmanager
def scratch_space(conn: sa.Connection) -> Iterator[str]:
    """Session settings and the place for this transaction's scratch tables; yields the kind
    of table made ("UNLOGGED" or "TEMPORARY"). Must run inside a transaction."""
    if conn.dialect.name != "postgresql":
        conn.info[KIND] = "TEMPORARY"
        try:
            yield "TEMPORARY"
        finally:
            conn.info.pop(KIND, None)
        return
    _tune(conn)
    schema = None
    if conn.execute(sa.text("SELECT has_database_privilege(current_database(), 'CREATE')")
                    ).scalar_one():
        schema = f"edupulse_scratch_{uuid.uuid4().hex[:16]}"
        path = conn.execute(sa.text("SELECT current_setting('search_path')")).scalar_one()
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
        conn.execute(sa.text("SELECT set_config('search_path', :p, true)"),
                     {"p": f"{schema}, {path}"})
    conn.info[KIND] = "UNLOGGED" if schema else "TEMPORARY"
    try:
        yield conn.info[KIND]
        if schema:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
            conn.execute(sa.text("SELECT set_config('search_path', :p, true)"), {"p": path})
    finally:
        conn.info.pop(KIND, None)


def _tune(conn: sa.Connection) -> None:
    """Settings for the big aggregations, reverted at the end of the transaction: no JIT
    (compiling these wide expressions costs seconds per statement), enough work_mem to sort and
    hash in memory, and parallel plans whenever a table is big enough to be scanned in parallel
    (the default costs keep a parallel aggregate out when the planner overestimates the groups,
    as it does for (student, interval))."""
    for setting, value in (("jit", "off"), ("work_mem", "512MB"),
                           ("parallel_setup_cost", "10"), ("parallel_tuple_cost", "0.001")):
        conn.execute(sa.text("SELECT set_config(:s, :v, true)"), {"s": setting, "v": value})


def kind(conn: sa.Connection) -> str:
    """How this transaction's scratch tables are made: "UNLOGGED" or "TEMPORARY"."""
    try:
        return str(conn.info[KIND])
    except KeyError:
        raise RuntimeError("scratch tables are made inside scratch_space(conn)") from None


class _CreateAs(Executable, ClauseElement):
    inherit_cache = False

    def __init__(self, kind: str, name: str, select: sa.Select) -> None:
        self.kind, self.name, self.select = kind, name, select


@compiles(_CreateAs)
def _create_as(element: _CreateAs, compiler: Any, **kw: Any) -> str:
    return f"CREATE {element.kind} TABLE {element.name} AS {compiler.process(element.select, **kw)}"


def fill(conn: sa.Connection, table: sa.Table, select: sa.Select) -> None:
    """Create `table` filled with `select` (its columns in the table's order). PostgreSQL:
    CREATE TABLE ... AS, which may scan and aggregate in parallel workers (an INSERT ... SELECT
    never does), with each column cast to the table's type. SQLite: create, then
    INSERT ... SELECT (a CAST to DATE would turn ISO text into a number there)."""
    if conn.dialect.name == "postgresql":
        drop(conn, (table,))
        conn.execute(_CreateAs(kind(conn), table.name, typed(table, select)))
    else:
        sub = select.subquery()
        names = list(table.c.keys())
        cols = [c.label(n) for c, n in zip(sub.c, names, strict=True)]
        create(conn, (table,))
        conn.execute(sa.insert(table).from_select(names, sa.select(*cols)))


def typed(table: sa.Table, select: sa.Select) -> sa.Select:
    """`select` with each column cast to the type of `table`'s column in its place and named
    after it (PostgreSQL: what CREATE TABLE ... AS makes the table of)."""
    sub = select.subquery()
    return sa.select(*[sa.cast(c, table.c[n].type).label(n)
                       for c, n in zip(sub.c, table.c.keys(), strict=True)])


def drop(conn: sa.Connection, tables: tuple[sa.Table, ...]) -> None:
    for t in reversed(tables):
        conn.execute(sa.text(f"DROP TABLE IF EXISTS {t.name}"))


def create(conn: sa.Connection, tables: tuple[sa.Table, ...]) -> None:
    drop(conn, tables)
    made = kind(conn)
    for t in tables:
        conn.execute(sa.text(create_sql(t, made, conn.dialect)))


def create_sql(t: sa.Table, kind: str, dialect: Any) -> str:
    """CREATE UNLOGGED / TEMPORARY TABLE for `t`."""
    ddl = str(sa.schema.CreateTable(t).compile(dialect=dialect)).strip()
    assert ddl.startswith("CREATE TABLE ")
    return f"CREATE {kind} {ddl[len('CREATE '):]}"


def index(conn: sa.Connection, *tables: sa.Table) -> None:
    """Index each filled table on its key, then gather statistics: autovacuum never analyzes
    temporary tables and may not have reached fresh ones, and without statistics the planner
    guesses row counts and picks nested loops over hundreds of thousands of rows."""
    for t in tables:
        for statement in index_sql(t):
            conn.execute(sa.text(statement))


def index_sql(t: sa.Table) -> tuple[str, str]:
    return (f"CREATE INDEX ix_{t.name} ON {t.name} ({', '.join(t.info['key'])})",
            f"ANALYZE {t.name}")


def create_json_types(conn: sa.Connection, statement: sa.Select) -> tuple[str, ...]:
    """PostgreSQL: make the row types that the `json_doc` documents in `statement` are built
    from, in the scratch schema (pg_temp for TEMPORARY scratch tables: type names are looked
    up there first); returns their names, for `drop_types`. Nothing on SQLite."""
    if conn.dialect.name != "postgresql":
        return ()
    schema = "pg_temp." if kind(conn) == "TEMPORARY" else ""
    made: list[str] = []
    for element in visitors.iterate(statement):
        if isinstance(element, json_doc):
            for name, fields in json_types(element):
                conn.exec_driver_sql(f"CREATE TYPE {schema}{name} AS ({fields})")
                made.append(name)
    return tuple(made)


def drop_types(conn: sa.Connection, names: tuple[str, ...]) -> None:
    for name in reversed(names):
        conn.exec_driver_sql(f"DROP TYPE {name}")


def count(conn: sa.Connection, t: sa.Table) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one())
