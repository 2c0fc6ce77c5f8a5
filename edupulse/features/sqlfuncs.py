"""The few SQL functions whose spelling differs between PostgreSQL and SQLite.

Everything else in the feature and label queries is plain SQLAlchemy Core that both backends
run as written.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from edupulse.data import codes
from edupulse.db.base import JSONType

UNIT = 10_000  # grade values are summed as integer ten-thousandths of a point


class json_doc(FunctionElement[Any]):
    """A JSON document from a nested dict / list of SQL values, keys in the order given.

    PostgreSQL: `to_jsonb` of a row of named composite types (`json_types` makes them, one per
    object: `name`, then `name`_key for a nested object), arrays for lists. to_jsonb walks the
    whole row into one jsonb value: about 15 % less time than writing the JSON text with || and
    casting it to jsonb (which parses it again), and half that of nested jsonb_build_object
    (each level converts its nested values again). Numbers come out the same in all three, since
    each prints a float with its shortest exact text and reads that into jsonb's numeric.
    SQLite: one printf() of the document's text. A NULL value is JSON null.
    """

    type = JSONType
    inherit_cache = False  # the document's shape is not part of the clause list

    def __init__(self, doc: dict[str, Any], name: str = "ep_json") -> None:
        self.doc = doc
        self.name = _key(name)
        super().__init__(*_leaves(doc))


def json_types(element: json_doc) -> list[tuple[str, str]]:
    """(type name, CREATE TYPE column list) of the composite types `element` is built from on
    PostgreSQL, nested objects first (their parents refer to them)."""
    made: list[tuple[str, str]] = []

    def walk(node: Any, name: str) -> str:
        if isinstance(node, dict):
            fields = ", ".join(f"{k} {walk(v, _nested(name, k))}" for k, v in node.items())
            made.append((name, fields))
            return name
        if isinstance(node, list | tuple):
            kinds = {_scalar(v) for v in node}
            if len(kinds) != 1:
                raise ValueError(f"{name}: a JSON array's values must share one SQL type")
            return f"{kinds.pop()}[]"
        return _scalar(node)

    walk(element.doc, element.name)
    return made


def _nested(name: str, key: str) -> str:
    """The type of the object under `key` in the object of type `name`."""
    return f"{name}_{_key(key)}"


def _scalar(value: Any) -> str:
    """The PostgreSQL type a leaf value goes into the row as: its number prints the same."""
    t = getattr(value, "type", None)
    if isinstance(t, sa.Integer):
        return "int8"
    if isinstance(t, sa.Float):
        return "float8"
    raise TypeError(f"JSON values must be integer or float expressions, not {t!r}")


def _leaves(node: Any) -> list[Any]:
    if isinstance(node, dict):
        return [x for v in node.values() for x in _leaves(v)]
    if isinstance(node, list | tuple):
        return [x for v in node for x in _leaves(v)]
    return [node]


_KEY = re.compile(r"^[a-z_][a-z0-9_]*$")


def _key(k: str) -> str:
    if not _KEY.match(k):  # keys are spliced into SQL text: identifiers only
        raise ValueError(f"JSON key {k!r} must be a lower-case identifier")
    return k


def _printf_format(doc: Any) -> str:
    """The document's JSON text with %s where each value goes (keys are identifiers: no %)."""
    if isinstance(doc, dict):
        return "{" + ",".join(f'"{_key(k)}":{_printf_format(v)}' for k, v in doc.items()) + "}"
    if isinstance(doc, list | tuple):
        return "[" + ",".join(_printf_format(v) for v in doc) + "]"
    return "%s"


@compiles(json_doc, "postgresql")
def _json_doc_pg(element: json_doc, compiler: Any, **kw: Any) -> str:
    values = iter([compiler.process(c, **kw) for c in element.clauses])

    def walk(node: Any, name: str) -> str:
        if isinstance(node, dict):
            fields = ", ".join(walk(v, _nested(name, k)) for k, v in node.items())
            return f"CAST(ROW({fields}) AS {name})"
        if isinstance(node, list | tuple):
            return f"ARRAY[{', '.join(walk(v, name) for v in node)}]"
        return f"CAST({next(values)} AS {_scalar(node)})"

    return f"to_jsonb({walk(element.doc, element.name)})"


@compiles(json_doc, "sqlite")
def _json_doc_sqlite(element: json_doc, compiler: Any, **kw: Any) -> str:
    """One printf() with the document's text as its format: about a third of the time of
    nested json_object / json_array, which build and copy a string per level (1.7 s of a 2.9 s
    insert on the benchmark). A value prints as SQLite's text of it, as json_object prints it
    (REAL: 15 significant digits)."""
    fmt = _printf_format(element.doc)
    args = ", ".join(f"coalesce({compiler.process(c, **kw)}, 'null')" for c in element.clauses)
    return f"printf('{fmt}', {args})"


@compiles(json_doc)
def _json_doc_default(element: json_doc, compiler: Any, **kw: Any) -> str:
    values = iter([compiler.process(c, **kw) for c in element.clauses])

    def walk(node: Any) -> str:
        if isinstance(node, dict):
            inner = ", ".join(f"'{_key(k)}', {walk(v)}" for k, v in node.items())
            return f"json_object({inner})"
        if isinstance(node, list | tuple):
            return f"json_array({', '.join(walk(v) for v in node)})"
        return next(values)

    return walk(element.doc)


class days_between(FunctionElement[Any]):
    """Whole days from the second date to the first (date - date on PostgreSQL, julianday
    difference on SQLite, where dates are ISO text)."""

    type = sa.Integer()
    inherit_cache = True


@compiles(days_between, "postgresql")
def _days_between_pg(element: days_between, compiler: Any, **kw: Any) -> str:
    a, b = (compiler.process(c, **kw) for c in element.clauses)
    return f"({a} - {b})"


@compiles(days_between)
def _days_between_default(element: days_between, compiler: Any, **kw: Any) -> str:
    a, b = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(round(julianday({a}) - julianday({b})) AS INTEGER)"


class grade_units(FunctionElement[Any]):
    """A grade value in whole ten-thousandths of a point (rounded half up), so that sums are
    exact integers and window figures do not depend on the order rows are added. PostgreSQL
    stores REAL as float4, within 4e-6 of the decimal written: rounding at 1e-4 recovers the
    decimal exactly for grades with up to four decimals, on both backends. A 4-byte integer
    (grade_value <= 100 by the spec: at most 1,000,000 units), so that PostgreSQL sums it in
    64-bit integers: a sum of BIGINT is NUMERIC there, several times slower to add and compare."""

    type = sa.BigInteger()
    inherit_cache = True


@compiles(grade_units, "postgresql")
def _units_pg(element: grade_units, compiler: Any, **kw: Any) -> str:
    v = compiler.process(element.clauses, **kw)
    return f"CAST(floor(CAST({v} AS FLOAT) * {UNIT} + 0.5) AS INTEGER)"


@compiles(grade_units)
def _units_default(element: grade_units, compiler: Any, **kw: Any) -> str:
    v = compiler.process(element.clauses, **kw)
    return f"CAST({v} * {UNIT} + 0.5 AS INTEGER)"


GRADE_POINTS = {"A": 4, "B": 3, "C": 2, "D": 1, "F": 0}


def points_of(units: Any, n: Any = 1) -> sa.ColumnElement:
    """4.0-scale points of `units / n` (an average in grade units) by codes.LETTER_GRADES,
    compared in integers: A >= 90 -> 4, B >= 80 -> 3, C >= 70 -> 2, D >= 60 -> 1, else 0."""
    whens = [(units >= int(floor * UNIT) * n, GRADE_POINTS[letter])
             for floor, letter in codes.LETTER_GRADES if GRADE_POINTS[letter] > 0]
    return sa.case(*whens, else_=0)


def grade_points(value: Any) -> sa.ColumnElement:
    """Points of one graded assignment."""
    return points_of(grade_units(value))


def int4(value: Any) -> Any:
    """`value` as a 4-byte integer before a SUM on PostgreSQL, which sums INTEGER into BIGINT
    but BIGINT (what COUNT and SUM return) into NUMERIC. Every per-interval count and grade sum
    fits; a value that did not would stop the build with "integer out of range", not be wrong."""
    return sa.cast(value, sa.Integer)


class text_key(FunctionElement[Any]):
    """A text column to group and order by in byte order (COLLATE "C" on PostgreSQL): grouping
    needs no locale, and locale-aware comparison costs a strcoll per comparison in a sort of
    millions of rows. SQLite compares bytes already."""

    type = sa.String()
    inherit_cache = True


@compiles(text_key, "postgresql")
def _text_key_pg(element: text_key, compiler: Any, **kw: Any) -> str:
    return f'({compiler.process(element.clauses, **kw)} COLLATE "C")'


@compiles(text_key)
def _text_key_default(element: text_key, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


class scan_order(FunctionElement[Any]):
    """A column compared as is, but not through its index on SQLite (unary +, a no-op on any
    value): joining a big table to the small calendar by date, SQLite would otherwise walk the
    calendar and fetch the big table's rows by rowid in date order, one random read per row,
    instead of scanning the table once and looking each date up in the calendar."""

    inherit_cache = True

    def __init__(self, column: Any) -> None:
        super().__init__(column)
        self.type = column.type


@compiles(scan_order, "sqlite")
def _scan_order_sqlite(element: scan_order, compiler: Any, **kw: Any) -> str:
    return f"+{compiler.process(element.clauses, **kw)}"


@compiles(scan_order)
def _scan_order_default(element: scan_order, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


def fdiv(numerator: Any, denominator: Any) -> Any:
    """numerator / denominator in double precision; NULL when the denominator is 0 (both
    backends divide integers as integers and PostgreSQL raises on division by zero)."""
    # A plain "/": SQLAlchemy's true division casts an untyped right side AS NUMERIC, and
    # PostgreSQL then converted every denominator float -> numeric -> float (via text).
    return sa.cast(numerator, sa.Float).op("/", return_type=sa.Float)(
        sa.func.nullif(sa.cast(denominator, sa.Float), 0))
