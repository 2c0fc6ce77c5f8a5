"""The migrated PostgreSQL catalog equals the spec's own DDL, object by object.

The spec's CREATE statements run in a scratch schema beside the migrated one; columns (type,
length, nullability, default), CHECK / UNIQUE / PRIMARY KEY / FOREIGN KEY definitions and
index names with their definitions must match. Constraint names may differ (the spec leaves
them unnamed, we name them so errors say which rule failed).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.db.spec_sql import SHARED_SPEC, VENDORED_SPEC, ddl_from_markdown

# What later migrations add to the spec, each with its reason (docs/schema.md):
EXTRA_TABLES = {
    "model_activations",  # 0003: which model version was active when
    "audit_log",  # 0004: history of changes (docs/privacy.md)
}
EXTRA_INDEXES = {
    "uq_attendance_natural_key",  # 0002: natural keys that make loads idempotent
    "uq_grades_natural_key",
    "uq_discipline_natural_key",
    "uq_model_metadata_one_active",  # 0003: at most one active model version
}


def _is_extension(kind: str, row: tuple) -> bool:
    return row[0] in EXTRA_TABLES or (kind == "indexes" and row[1] in EXTRA_INDEXES)

COLUMNS = """
SELECT table_name, column_name, data_type, character_maximum_length, is_nullable,
       column_default
FROM information_schema.columns WHERE table_schema = current_schema()
  AND table_name <> 'alembic_version'"""
CONSTRAINTS = """
SELECT c.conrelid::regclass::text, c.contype, pg_get_constraintdef(c.oid)
FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
WHERE n.nspname = current_schema() AND c.conrelid::regclass::text <> 'alembic_version'"""
INDEXES = """
SELECT i.tablename, i.indexname, replace(i.indexdef, current_schema() || '.', '')
FROM pg_indexes i
WHERE i.schemaname = current_schema() AND i.tablename <> 'alembic_version'
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
                  WHERE n.nspname = i.schemaname AND c.conname = i.indexname)"""


def _catalog(conn: sa.Connection, schema: str) -> dict[str, set[tuple]]:
    conn.exec_driver_sql(f"SET search_path TO {schema}, public")
    cols = {tuple(r) for r in conn.exec_driver_sql(COLUMNS)}
    cons = [tuple(r) for r in conn.exec_driver_sql(CONSTRAINTS)]
    idx = {tuple(r) for r in conn.exec_driver_sql(INDEXES)}
    return {
        "columns": cols,
        "checks": {(t, d) for t, k, d in cons if k == "c"},
        "keys": {(t, k, d) for t, k, d in cons if k in ("p", "u", "f")},
        "indexes": idx,
    }


def test_vendored_spec_matches_shared_spec() -> None:
    if not SHARED_SPEC.exists():
        pytest.skip(f"{SHARED_SPEC} not beside the project")
    vendored = VENDORED_SPEC.read_text().split("\n", 1)[1]
    assert vendored == ddl_from_markdown(SHARED_SPEC.read_text())


@pytest.mark.pg
def test_migrated_catalog_equals_spec_ddl(pg_engine: sa.Engine) -> None:
    engine = pg_engine
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE SCHEMA spec")
        conn.exec_driver_sql("SET search_path TO spec, public")
        conn.exec_driver_sql(VENDORED_SPEC.read_text())
    with engine.connect() as conn:
        spec = _catalog(conn, "spec")
        ours = _catalog(conn, "public")
    assert len(spec["columns"]) == 70 and len(spec["indexes"]) == 26, "spec DDL did not run whole"
    for kind in spec:
        missing = spec[kind] - ours[kind]
        extra = {r for r in ours[kind] - spec[kind] if not _is_extension(kind, r)}
        assert not missing, f"{kind} in the spec but not in the migrated schema: {sorted(missing)}"
        assert not extra, f"{kind} in the migrated schema but not in the spec: {sorted(extra)}"
