"""The few SQL functions whose spelling differs between PostgreSQL and SQLite.

Everything else in the feature and label queries is plain SQLAlchemy Core that both backends
run as written.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from edupulse.data import codes
from edupulse.db.base import JSONType

UNIT = 10_000  # grade values are summed as integer ten-thousandths of a point


class json_obj(FunctionElement[Any]):
    """A JSON object from alternating keys and values: jsonb_build_object / json_object."""

    type = JSONType
    inherit_cache = True


@compiles(json_obj, "postgresql")
def _json_obj_pg(element: json_obj, compiler: Any, **kw: Any) -> str:
    return f"jsonb_build_object({compiler.process(element.clauses, **kw)})"


@compiles(json_obj)
def _json_obj_default(element: json_obj, compiler: Any, **kw: Any) -> str:
    return f"json_object({compiler.process(element.clauses, **kw)})"


class json_arr(FunctionElement[Any]):
    """A JSON array: jsonb_build_array / json_array."""

    type = JSONType
    inherit_cache = True


@compiles(json_arr, "postgresql")
def _json_arr_pg(element: json_arr, compiler: Any, **kw: Any) -> str:
    return f"jsonb_build_array({compiler.process(element.clauses, **kw)})"


@compiles(json_arr)
def _json_arr_default(element: json_arr, compiler: Any, **kw: Any) -> str:
    return f"json_array({compiler.process(element.clauses, **kw)})"


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
    decimal exactly for grades with up to four decimals, on both backends."""

    type = sa.BigInteger()
    inherit_cache = True


@compiles(grade_units, "postgresql")
def _units_pg(element: grade_units, compiler: Any, **kw: Any) -> str:
    v = compiler.process(element.clauses, **kw)
    return f"CAST(floor(CAST({v} AS FLOAT) * {UNIT} + 0.5) AS BIGINT)"


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


def fdiv(numerator: Any, denominator: Any) -> Any:
    """numerator / denominator in double precision; NULL when the denominator is 0 (both
    backends divide integers as integers and PostgreSQL raises on division by zero)."""
    return sa.cast(numerator, sa.Float) / sa.func.nullif(sa.cast(denominator, sa.Float), 0)
