"""The few SQL functions whose spelling differs between PostgreSQL and SQLite.

Everything else in the feature and label queries is plain SQLAlchemy Core that both backends
run as written.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from edupulse.db.base import JSONType

MICRO = 1_000_000  # grade values are summed as integer millionths of a point


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


class micro_points(FunctionElement[Any]):
    """A grade value as integer millionths of a point, rounded half up, so that window sums are
    exact and do not depend on the order rows are added (byte-stable features, exact labels at
    the 60-point threshold). PostgreSQL stores REAL as float4: its shortest decimal text (what
    every client reads) is converted, not the binary float4 value."""

    type = sa.BigInteger()
    inherit_cache = True


@compiles(micro_points, "postgresql")
def _micro_pg(element: micro_points, compiler: Any, **kw: Any) -> str:
    v = compiler.process(element.clauses, **kw)
    return f"CAST(round(CAST(CAST({v} AS TEXT) AS NUMERIC) * {MICRO}) AS BIGINT)"


@compiles(micro_points)
def _micro_default(element: micro_points, compiler: Any, **kw: Any) -> str:
    v = compiler.process(element.clauses, **kw)
    return f"CAST({v} * {MICRO} + 0.5 AS INTEGER)"


def fdiv(numerator: Any, denominator: Any) -> Any:
    """numerator / denominator in double precision; NULL when the denominator is 0 (both
    backends divide integers as integers and PostgreSQL raises on division by zero)."""
    return sa.cast(numerator, sa.Float) / sa.func.nullif(sa.cast(denominator, sa.Float), 0)
