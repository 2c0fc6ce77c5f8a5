"""District isolation on PostgreSQL: roles and row-level security (`edupulse db secure`).

Tenant key: students.student_metadata->>'district_code' (codes.META_DISTRICT), which the loader
already writes for every student. Every other student table reaches it through student_id
(training_feedback through its prediction), so the key lives in one place, cannot disagree with
a copy, and the spec's tables keep their shape. Rows whose student has no district code are
visible to no district.

Who sees what (policies apply to members of `edupulse_tenant`; table owners and superusers,
i.e. the loader and migrations, are not restricted):
- a role mapped to district D in edupulse_rls.district_roles, and every login that is a member
  of it, sees and changes only D's rows; SET edupulse.district cannot widen that;
- members of `edupulse_app` (a trusted application server with pooled connections) see the
  district named by SET edupulse.district = 'D' (nothing while it is unset);
- any other member of edupulse_tenant sees nothing.
Everything is CREATE ... IF NOT EXISTS or DROP + CREATE in one transaction: running it again
gives the same state. SQLite is a single-user file and offers no isolation at all.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from edupulse.data.codes import META_DISTRICT

TENANT_ROLE = "edupulse_tenant"
APP_ROLE = "edupulse_app"
SCHEMA = "edupulse_rls"
SETTING = "edupulse.district"
POLICY = "edupulse_district_isolation"

SQLITE_MESSAGE = (
    "SQLite is a single-user database file: it has no roles and no row-level security, so it "
    "offers NO isolation between districts. Anyone who can read the file reads every district. "
    "Use PostgreSQL and `edupulse db secure` to keep districts apart."
)
BAD_ROLE = ("role name {role!r} is not allowed: use lower-case letters, digits and underscores, "
            "starting with a letter (at most 63 characters)")
BAD_CODE = "district code for role {role!r} is empty"

_ROLE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_VISIBLE = f"(SELECT {SCHEMA}.visible_districts())"
_STUDENT_IN_DISTRICT = (
    f"SELECT s.id FROM students s WHERE (s.student_metadata ->> '{META_DISTRICT}') IN {_VISIBLE}"
)
# The condition each table's rows must meet, for reading (USING) and for writing (WITH CHECK).
CONDITIONS = {
    "students": f"(student_metadata ->> '{META_DISTRICT}') IN {_VISIBLE}",
    "attendance_records": f"student_id IN ({_STUDENT_IN_DISTRICT})",
    "grades": f"student_id IN ({_STUDENT_IN_DISTRICT})",
    "discipline_incidents": f"student_id IN ({_STUDENT_IN_DISTRICT})",
    "student_features": f"student_id IN ({_STUDENT_IN_DISTRICT})",
    "predictions": f"student_id IN ({_STUDENT_IN_DISTRICT})",
    "training_feedback": (
        f"prediction_id IN (SELECT p.id FROM predictions p WHERE p.student_id IN "
        f"({_STUDENT_IN_DISTRICT}))"
    ),
}
READ_ONLY_TABLES = ("model_metadata", "model_activations")  # not student data: no policy


@dataclass(frozen=True)
class DistrictRole:
    """A database role whose members work for one district."""

    district_code: str
    role: str

    def __post_init__(self) -> None:
        if not _ROLE_NAME.match(self.role):
            raise ValueError(BAD_ROLE.format(role=self.role))
        if not self.district_code.strip():
            raise ValueError(BAD_CODE.format(role=self.role))

    @classmethod
    def parse(cls, text: str) -> DistrictRole:
        """'CODE=ROLE' as the CLI takes it."""
        code, sep, role = text.partition("=")
        if not sep:
            raise ValueError(f"{text!r}: expected DISTRICT_CODE=ROLE, e.g. D01=edupulse_d01")
        return cls(code.strip(), role.strip())


@dataclass(frozen=True)
class SecureResult:
    supported: bool
    message: str
    tables: tuple[str, ...] = ()
    district_roles: tuple[DistrictRole, ...] = ()


def _create_role(name: str, member_of: str | None = None) -> list[str]:
    grant = [f'GRANT {member_of} TO "{name}"'] if member_of else []
    return [f"""DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = '{name}') THEN
        CREATE ROLE "{name}" NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;  -- created concurrently
END $$""", *grant]


def statements() -> list[str]:
    """The whole set-up, each statement idempotent."""
    stmts = [*_create_role(TENANT_ROLE), *_create_role(APP_ROLE, member_of=TENANT_ROLE)]
    stmts += [
        f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}",
        f"""CREATE TABLE IF NOT EXISTS {SCHEMA}.district_roles (
    role_name name PRIMARY KEY,
    district_code text NOT NULL CHECK (district_code <> ''))""",
        f"""CREATE OR REPLACE FUNCTION {SCHEMA}.visible_districts() RETURNS SETOF text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT m.district_code FROM {SCHEMA}.district_roles m
    JOIN pg_catalog.pg_roles r ON r.rolname = m.role_name
    WHERE pg_catalog.pg_has_role(r.oid, 'MEMBER')
    UNION ALL
    SELECT NULLIF(pg_catalog.current_setting('{SETTING}', true), '')
    WHERE pg_catalog.pg_has_role('{APP_ROLE}', 'MEMBER')
$$""",
        f"ALTER TABLE {SCHEMA}.district_roles ENABLE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS own_mapping ON {SCHEMA}.district_roles",
        f"""CREATE POLICY own_mapping ON {SCHEMA}.district_roles FOR SELECT TO {TENANT_ROLE}
USING (EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
               WHERE r.rolname = role_name AND pg_catalog.pg_has_role(r.oid, 'MEMBER')))""",
        f"REVOKE ALL ON {SCHEMA}.district_roles FROM PUBLIC",
        f"GRANT USAGE ON SCHEMA {SCHEMA} TO {TENANT_ROLE}",
        f"GRANT SELECT ON {SCHEMA}.district_roles TO {TENANT_ROLE}",
        f"GRANT USAGE ON SCHEMA public TO {TENANT_ROLE}",
    ]
    for table, condition in CONDITIONS.items():
        stmts += [
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {TENANT_ROLE}",
            f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
            f"DROP POLICY IF EXISTS {POLICY} ON {table}",
            f"CREATE POLICY {POLICY} ON {table} FOR ALL TO {TENANT_ROLE} "
            f"USING ({condition}) WITH CHECK ({condition})",
        ]
    stmts += [f"GRANT SELECT ON {t} TO {TENANT_ROLE}" for t in READ_ONLY_TABLES]
    stmts.append(f"REVOKE ALL ON audit_log FROM {TENANT_ROLE}")  # history: owners only
    return stmts


def _map_role(conn: sa.Connection, mapping: DistrictRole) -> None:
    for stmt in _create_role(mapping.role, member_of=TENANT_ROLE):
        conn.exec_driver_sql(stmt)
    conn.execute(
        sa.text(f"INSERT INTO {SCHEMA}.district_roles (role_name, district_code) "
                "VALUES (:r, :d) ON CONFLICT (role_name) DO UPDATE "
                "SET district_code = EXCLUDED.district_code"),
        {"r": mapping.role, "d": mapping.district_code},
    )


def secure(engine: sa.Engine, district_roles: Sequence[DistrictRole] = ()) -> SecureResult:
    """Create the roles and policies (PostgreSQL) in one transaction; on SQLite say why not."""
    if engine.dialect.name != "postgresql":
        return SecureResult(False, SQLITE_MESSAGE)
    with engine.begin() as conn:
        for stmt in statements():
            conn.exec_driver_sql(stmt)
        for mapping in district_roles:
            _map_role(conn, mapping)
        rows = conn.exec_driver_sql(
            f"SELECT district_code, role_name FROM {SCHEMA}.district_roles ORDER BY 1, 2"
        ).all()
    mapped = tuple(DistrictRole(d, r) for d, r in rows)
    return SecureResult(
        True,
        f"row-level security on {len(CONDITIONS)} tables; {len(mapped)} district role(s)",
        tuple(CONDITIONS),
        mapped,
    )


def set_district(conn: sa.Connection, district_code: str | None) -> None:
    """For an `edupulse_app` session: work as district `district_code` until the transaction
    ends (None: no district, so nothing is visible)."""
    conn.execute(sa.text("SELECT set_config(:k, :v, true)"),
                 {"k": SETTING, "v": district_code or ""})
