"""District isolation: a login working for district A, with crafted SQL, can neither read nor
change district B's rows in any table. PostgreSQL only (RLS does not bind superusers, so the
attacks run as real non-superuser logins); SQLite says it offers no isolation."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from edupulse.db.models import StudentFeature
from edupulse.db.session import make_engine
from edupulse.privacy import rls
from tests.db import factories as f

TABLES = ("students", "attendance_records", "grades", "discipline_incidents",
          "student_features", "predictions", "training_feedback")
RLS_ERROR = "row-level security policy"


@dataclass
class District:
    code: str
    student: uuid.UUID
    prediction: uuid.UUID
    rows: dict[str, uuid.UUID]  # table -> id of one row (student_features: the student)


def _district(conn: sa.Connection, code: str) -> District:
    s = f.add_student(conn, student_metadata={"district_code": code, "school_code": f"{code}-1"})
    sid = s["id"]
    rows = {"students": sid}
    for key, table in (("attendance", "attendance_records"), ("grade", "grades"),
                       ("incident", "discipline_incidents"), ("prediction", "predictions")):
        rows[table] = f.insert(conn, f.MODELS[key], **getattr(f, key)(sid))["id"]
    rows["training_feedback"] = f.insert(
        conn, f.MODELS["feedback"], **f.feedback(rows["predictions"]))["id"]
    f.insert(conn, StudentFeature, student_id=sid, feature_date=dt.date(2025, 1, 6),
             attendance_rate=0.9, gpa_current=3.0, discipline_incidents=0)
    rows["student_features"] = sid
    return District(code, sid, rows["predictions"], rows)


def _key(table: str) -> str:
    return "student_id" if table == "student_features" else "id"


class Cluster:
    """Creates uniquely named roles for one test and drops them afterwards."""

    def __init__(self, admin: sa.Engine) -> None:
        self.admin, self.roles, self.engines = admin, [], []
        self.tag = uuid.uuid4().hex[:8]

    def role(self, name: str, *, login: bool = False, member_of: str | None = None) -> str:
        role = f"edupulse_t{self.tag}_{name}"
        with self.admin.begin() as conn:
            conn.exec_driver_sql(f"CREATE ROLE {role} {'LOGIN' if login else 'NOLOGIN'}")
            if member_of:
                conn.exec_driver_sql(f"GRANT {member_of} TO {role}")
        self.roles.append(role)
        return role

    def connect_as(self, role: str) -> sa.Engine:
        url = make_url(self.admin.url.render_as_string(hide_password=False)).set(username=role)
        eng = make_engine(url.render_as_string(hide_password=False), poolclass=sa.pool.NullPool)
        self.engines.append(eng)
        return eng

    def close(self) -> None:
        for eng in self.engines:
            eng.dispose()
        with self.admin.begin() as conn:
            for role in reversed(self.roles):
                conn.exec_driver_sql(f"DROP ROLE IF EXISTS {role}")


@pytest.fixture
def world(pg_engine: sa.Engine) -> Iterator[tuple[sa.Engine, Cluster, District, District]]:
    with pg_engine.begin() as conn:
        a, b = _district(conn, "A"), _district(conn, "B")
    cluster = Cluster(pg_engine)
    yield pg_engine, cluster, a, b
    cluster.close()


def _secured(world) -> tuple[sa.Engine, sa.Engine, District, District]:  # type: ignore[no-untyped-def]
    admin, cluster, a, b = world
    role_a = cluster.role("district_a")
    rls.secure(admin, [rls.DistrictRole("A", role_a)])
    alice = cluster.connect_as(cluster.role("alice", login=True, member_of=role_a))
    return admin, alice, a, b


def _count(conn: sa.Connection, table: str) -> int:
    return conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one()


def test_a_district_login_sees_only_its_district_in_every_table(world) -> None:  # type: ignore[no-untyped-def]
    admin, alice, a, b = _secured(world)
    with alice.connect() as conn:
        for table in TABLES:
            assert _count(conn, table) == 1, table
            key = _key(table)
            visible = conn.execute(sa.text(f"SELECT {key} FROM {table}")).scalar_one()
            assert visible == a.rows[table], table
            assert conn.execute(sa.text(f"SELECT count(*) FROM {table} WHERE {key} = :i"),
                                {"i": b.rows[table]}).scalar_one() == 0, table
        # joins, sub-queries and aggregates go through the same policies
        assert conn.exec_driver_sql(
            "SELECT count(*) FROM students s JOIN attendance_records r ON r.student_id = s.id "
            "WHERE s.student_metadata->>'district_code' = 'B'").scalar_one() == 0
        assert conn.exec_driver_sql(
            "SELECT count(DISTINCT student_metadata->>'district_code') FROM students"
        ).scalar_one() == 1


def test_changes_to_another_district_affect_nothing(world) -> None:  # type: ignore[no-untyped-def]
    admin, alice, a, b = _secured(world)
    with alice.begin() as conn:
        for table in TABLES:
            key = _key(table)
            upd = conn.execute(sa.text(f"UPDATE {table} SET created_at = now() WHERE {key} = :i"),
                               {"i": b.rows[table]})
            assert upd.rowcount == 0, table
        for table in reversed(TABLES):
            gone = conn.execute(sa.text(f"DELETE FROM {table} WHERE {_key(table)} = :i"),
                                {"i": b.rows[table]})
            assert gone.rowcount == 0, table
        assert conn.exec_driver_sql("DELETE FROM attendance_records").rowcount == 1  # own only
    with admin.connect() as conn:
        assert _count(conn, "attendance_records") == 1  # B's record is still there
        for table in TABLES:
            assert conn.execute(sa.text(f"SELECT count(*) FROM {table} WHERE {_key(table)} = :i"),
                                {"i": b.rows[table]}).scalar_one() == 1, table


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO attendance_records (student_id, date, status) VALUES (:b, '2025-02-03', "
        "'absent')",
        "INSERT INTO grades (student_id, course_id, submission_date) VALUES (:b, 'X', "
        "'2025-02-03')",
        "INSERT INTO discipline_incidents (student_id, incident_date) VALUES (:b, '2025-02-03')",
        "INSERT INTO student_features (student_id, feature_date) VALUES (:b, '2025-02-03')",
        "INSERT INTO predictions (student_id, risk_score) VALUES (:b, 0.5)",
        "INSERT INTO training_feedback (prediction_id) VALUES (:bp)",
        "INSERT INTO students (district_id, first_name, last_name, date_of_birth, "
        "student_metadata) VALUES ('NEW', 'X', 'Y', '2010-01-01', '{\"district_code\": \"B\"}')",
        "INSERT INTO students (district_id, first_name, last_name, date_of_birth) "
        "VALUES ('NEW', 'X', 'Y', '2010-01-01')",  # no district: nobody's
        "UPDATE students SET student_metadata = '{\"district_code\": \"B\"}' WHERE id = :a",
        "UPDATE attendance_records SET student_id = :b WHERE student_id = :a",
        "UPDATE predictions SET student_id = :b WHERE student_id = :a",
        "UPDATE training_feedback SET prediction_id = :bp",
    ],
)
def test_writing_rows_into_another_district_is_refused(world, sql: str) -> None:  # type: ignore[no-untyped-def]
    admin, alice, a, b = _secured(world)
    values = {"a": a.student, "b": b.student, "bp": b.prediction}
    with pytest.raises(sa.exc.ProgrammingError, match=RLS_ERROR), alice.begin() as conn:
        conn.execute(sa.text(sql), {k: v for k, v in values.items() if f":{k}" in sql})


@pytest.mark.parametrize(
    ("sql", "error"),
    [
        ("SET ROLE {role_b}", "permission denied to set role"),
        ("SELECT count(*) FROM audit_log", "permission denied for table audit_log"),
        ("INSERT INTO edupulse_rls.district_roles VALUES (current_user, 'B')",
         "permission denied for table district_roles"),
        ("ALTER TABLE students DISABLE ROW LEVEL SECURITY", "must be owner of table students"),
        ("TRUNCATE attendance_records", "permission denied for table attendance_records"),
        ("DROP POLICY edupulse_district_isolation ON students", "must be owner of"),
    ],
)
def test_escalation_attempts_fail(world, sql: str, error: str) -> None:  # type: ignore[no-untyped-def]
    admin, cluster, a, b = world
    role_b = cluster.role("district_b")
    rls.secure(admin, [rls.DistrictRole("B", role_b)])
    _, alice, _, _ = _secured(world)
    with pytest.raises(sa.exc.ProgrammingError, match=error), alice.begin() as conn:
        conn.exec_driver_sql(sql.format(role_b=role_b))


def test_the_session_setting_cannot_widen_a_district_role(world) -> None:  # type: ignore[no-untyped-def]
    admin, alice, a, b = _secured(world)
    with alice.begin() as conn:
        conn.exec_driver_sql("SET edupulse.district = 'B'")
        assert conn.exec_driver_sql("SELECT id FROM students").scalars().all() == [a.student]
        mapping = conn.exec_driver_sql("SELECT district_code FROM edupulse_rls.district_roles")
        assert mapping.scalars().all() == ["A"]
        copied = conn.connection.cursor()
        buf = io.StringIO()
        copied.copy_expert("COPY (SELECT id FROM students) TO STDOUT", buf)
        assert buf.getvalue().strip() == str(a.student)


def test_application_role_works_as_the_district_it_sets(world) -> None:  # type: ignore[no-untyped-def]
    admin, cluster, a, b = world
    rls.secure(admin)
    app = cluster.connect_as(cluster.role("appserver", login=True, member_of=rls.APP_ROLE))
    nobody = cluster.connect_as(cluster.role("nobody", login=True, member_of=rls.TENANT_ROLE))
    with app.begin() as conn:
        assert _count(conn, "students") == 0  # nothing until a district is set
        rls.set_district(conn, "B")
        assert conn.exec_driver_sql("SELECT id FROM students").scalars().all() == [b.student]
        assert _count(conn, "training_feedback") == 1
    with app.begin() as conn:  # set_district lasts one transaction
        assert _count(conn, "students") == 0
    with nobody.begin() as conn:
        conn.exec_driver_sql("SET edupulse.district = 'A'")
        assert all(_count(conn, t) == 0 for t in TABLES)


def test_secure_is_idempotent(world) -> None:  # type: ignore[no-untyped-def]
    admin, cluster, a, b = world
    role_a = cluster.role("district_a")
    snapshot = ("SELECT tablename, policyname, roles::text, cmd, qual, with_check FROM pg_policies "
                "ORDER BY 1, 2")
    first = rls.secure(admin, [rls.DistrictRole("A", role_a)])
    with admin.connect() as conn:
        before = conn.exec_driver_sql(snapshot).all()
    second = rls.secure(admin, [rls.DistrictRole("A", role_a)])
    with admin.connect() as conn:
        assert conn.exec_driver_sql(snapshot).all() == before
        enabled = conn.exec_driver_sql(
            "SELECT count(*) FROM pg_class WHERE relrowsecurity AND relname = ANY(%(t)s)",
            {"t": list(TABLES)}).scalar_one()
    assert enabled == len(TABLES) and len(before) == len(TABLES) + 1
    assert first == second and second.district_roles == (rls.DistrictRole("A", role_a),)


def test_sqlite_says_it_offers_no_isolation(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    result = rls.secure(engine)
    assert not result.supported and "NO isolation" in result.message


@pytest.mark.parametrize(
    ("text", "error"),
    [("D01", "expected DISTRICT_CODE=ROLE"), ("D01=Bad-Role", "role name 'Bad-Role' is not"),
     ("=edupulse_x", "district code for role 'edupulse_x' is empty")],
)
def test_bad_district_role_arguments(text: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        rls.DistrictRole.parse(text)


def test_a_district_login_writes_history_it_cannot_read(world) -> None:  # type: ignore[no-untyped-def]
    admin, alice, a, b = _secured(world)
    with alice.begin() as conn:
        conn.execute(sa.text("UPDATE students SET gpa = 1.0 WHERE id = :a"), {"a": a.student})
        conn.execute(sa.text("DELETE FROM attendance_records WHERE student_id = :a"),
                     {"a": a.student})
    with admin.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT table_name, operation, actor, changed_columns FROM audit_log "
            "WHERE actor <> current_user ORDER BY id")).all()
    login = alice.url.username
    assert [tuple(r) for r in rows] == [("students", "UPDATE", login, ["gpa"]),
                                        ("attendance_records", "DELETE", login, None)]
