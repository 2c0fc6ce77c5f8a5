"""Turn a database's integrity error into the name of the constraint that rejected the row.

PostgreSQL reports the constraint name itself; SQLite reports CHECK names but only columns for
UNIQUE and nothing for foreign keys, so those are looked up in the models.
"""

from __future__ import annotations

import re

import sqlalchemy as sa

from edupulse.db.models import ALL_TABLES

_SQLITE_CHECK = re.compile(r"CHECK constraint failed: (\w+)")
_SQLITE_UNIQUE_INDEX = re.compile(r"UNIQUE constraint failed: index '(\w+)'")
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: ([\w., ]+)")
_SQLITE_NOT_NULL = re.compile(r"NOT NULL constraint failed: (\w+)\.(\w+)")


class ConstraintViolation(Exception):
    """A row the database refused, with the constraint that refused it."""

    def __init__(self, constraint: str, table: str | None, detail: str) -> None:
        self.constraint = constraint
        self.table = table
        self.detail = detail
        where = f" on table {table}" if table else ""
        super().__init__(f"rejected by constraint {constraint}{where}: {detail}")


def constraint_name(exc: sa.exc.DBAPIError, table: str | None = None) -> str:
    """The name of the violated constraint; `table` disambiguates SQLite foreign-key errors."""
    diag = getattr(exc.orig, "diag", None)
    if diag is not None and getattr(diag, "constraint_name", None):
        return str(diag.constraint_name)
    if diag is not None and getattr(diag, "column_name", None):  # PostgreSQL NOT NULL
        return f"not_null_{diag.table_name}_{diag.column_name}"
    msg = str(exc.orig)
    if m := _SQLITE_CHECK.search(msg):
        return m.group(1)
    if m := _SQLITE_UNIQUE_INDEX.search(msg):
        return m.group(1)
    if m := _SQLITE_UNIQUE.search(msg):
        cols = [c.strip() for c in m.group(1).split(",")]
        tname = cols[0].split(".")[0]
        names = [c.split(".")[1] for c in cols]
        return _unique_name(tname, names)
    if m := _SQLITE_NOT_NULL.search(msg):
        return f"not_null_{m.group(1)}_{m.group(2)}"
    if "FOREIGN KEY constraint failed" in msg:
        return _fk_name(table)
    return "unknown"


def as_violation(exc: sa.exc.DBAPIError, table: str | None = None) -> ConstraintViolation:
    detail = str(exc.orig).strip().splitlines()[0]
    return ConstraintViolation(constraint_name(exc, table), table, detail)


def _table(name: str) -> sa.Table | None:
    return next((t for t in ALL_TABLES if t.name == name), None)


def _unique_name(table: str, columns: list[str]) -> str:
    t = _table(table)
    if t is not None:
        for c in t.constraints:
            if isinstance(c, sa.UniqueConstraint | sa.PrimaryKeyConstraint) and [
                col.name for col in c.columns
            ] == columns:
                if isinstance(c, sa.PrimaryKeyConstraint) and len(columns) > 1:
                    continue  # prefer the spec's explicit UNIQUE over the identical PK
                return str(c.name)
        for index in t.indexes:
            if index.unique and [col.name for col in index.columns] == columns:
                return str(index.name)
    return f"unique_{table}_{'_'.join(columns)}"


def _fk_name(table: str | None) -> str:
    t = _table(table) if table else None
    if t is not None:
        fks = [c for c in t.constraints if isinstance(c, sa.ForeignKeyConstraint)]
        if len(fks) == 1:
            return str(fks[0].name)
    return "foreign_key"
