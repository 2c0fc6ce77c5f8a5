"""What the audit log costs on a bulk load.

PostgreSQL: the same INSERT ... SELECT of R attendance records (the set-based statement the
loader ends with) with the statement-level audit trigger enabled and disabled, alternating, into
a truncated table; and N students (one audit row each). SQLite: N students by executemany with
and without the row triggers, and R attendance records by executemany with and without the
application's record_changes summary. Prints median seconds, rows/s and the overhead.

    .venv/bin/python benchmarks/audit_log.py [--students 2000] [--days 84] [--periods 6]
Admin URL: $EDUPULSE_BENCH_PG_URL, else $EDUPULSE_TEST_PG_URL, else the local test server.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from edupulse.db import migrate
from edupulse.db.models import AttendanceRecord, Student
from edupulse.db.session import make_engine
from edupulse.privacy.audit_log import record_changes

DEFAULT_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
PG_ATTENDANCE = """
INSERT INTO attendance_records (student_id, date, status, period)
SELECT s.id, DATE '2024-09-02' + d, 'present', p
FROM students s, generate_series(0, :days - 1) d, generate_series(1, :periods) p"""
PG_STUDENTS = """
INSERT INTO students (district_id, first_name, last_name, date_of_birth, student_metadata)
SELECT 'X' || g, 'F' || g, 'L' || g, DATE '2010-01-01', '{}'::jsonb
FROM generate_series(1, :n) g"""


def _median(trials: list[float]) -> float:
    return statistics.median(trials)


def _report(label: str, rows: int, on: list[float], off: list[float]) -> None:
    a, b = _median(on), _median(off)
    print(f"  {label:<44} audited {a:7.2f} s ({rows / a:>9,.0f} rows/s)   "
          f"not audited {b:7.2f} s ({rows / b:>9,.0f} rows/s)   overhead {(a / b - 1) * 100:+.0f}%")


def _alternate(trials: int, run: Callable[[bool], float]) -> tuple[list[float], list[float]]:
    on, off = [], []
    for _ in range(trials):
        on.append(run(True))
        off.append(run(False))
    return on, off


def postgres(students: int, days: int, periods: int, trials: int) -> None:
    base = os.environ.get("EDUPULSE_BENCH_PG_URL") or os.environ.get(
        "EDUPULSE_TEST_PG_URL") or DEFAULT_URL
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    name = f"edupulse_bench_audit_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    engine = make_engine(make_url(base).set(database=name).render_as_string(hide_password=False),
                         poolclass=sa.pool.NullPool)
    rows = students * days * periods
    print(f"PostgreSQL ({trials} trials each, alternating):")
    try:
        migrate.upgrade(engine)

        def insert_students(audited: bool) -> float:
            with engine.begin() as conn:
                conn.exec_driver_sql("TRUNCATE students, audit_log CASCADE")
                conn.exec_driver_sql(f"ALTER TABLE students {'ENABLE' if audited else 'DISABLE'}"
                                     " TRIGGER trg_audit_students_insert")
                start = time.perf_counter()
                conn.execute(sa.text(PG_STUDENTS), {"n": students})
                return time.perf_counter() - start

        _report(f"{students:,} students (a row each)", students,
                *_alternate(trials, insert_students))

        logged: list[tuple[int, int]] = []

        def insert_attendance(audited: bool) -> float:
            with engine.begin() as conn:
                conn.exec_driver_sql("TRUNCATE attendance_records, audit_log")
                conn.exec_driver_sql(f"ALTER TABLE attendance_records "
                                     f"{'ENABLE' if audited else 'DISABLE'} "
                                     "TRIGGER trg_audit_attendance_records_insert")
                start = time.perf_counter()
                conn.execute(sa.text(PG_ATTENDANCE), {"days": days, "periods": periods})
                seconds = time.perf_counter() - start
                if audited:
                    logged.append(tuple(conn.exec_driver_sql(
                        "SELECT count(*), sum(row_count) FROM audit_log "
                        "WHERE table_name = 'attendance_records'").one()))
                return seconds

        _report(f"{rows:,} attendance records (a row per student)", rows,
                *_alternate(trials, insert_attendance))
        entries, covered = logged[-1]
        print(f"  an audited load wrote {entries:,} audit rows covering {covered:,} records")
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


def sqlite(students: int, days: int, periods: int, trials: int) -> None:
    rows = students * days * periods
    print(f"SQLite ({trials} trials each, alternating):")
    with tempfile.TemporaryDirectory() as tmp:
        template = Path(tmp) / "template.db"
        migrate.upgrade(make_engine(f"sqlite:///{template}"))
        people = [dict(id=uuid.uuid4(), district_id=f"X{i}", first_name="F", last_name="L",
                       date_of_birth=dt.date(2010, 1, 1)) for i in range(students)]

        def fresh(audited: bool) -> sa.Engine:
            path = Path(tmp) / f"{uuid.uuid4().hex}.db"
            path.write_bytes(template.read_bytes())
            engine = make_engine(f"sqlite:///{path}", poolclass=sa.pool.NullPool)
            if not audited:
                with engine.begin() as conn:
                    for op in ("insert", "update", "delete"):
                        conn.exec_driver_sql(f"DROP TRIGGER trg_audit_students_{op}")
            return engine

        def insert_students(audited: bool) -> float:
            engine = fresh(audited)
            with engine.begin() as conn:
                start = time.perf_counter()
                conn.execute(sa.insert(Student.__table__), people)
                return time.perf_counter() - start

        _report(f"{students:,} students (row triggers)", students,
                *_alternate(trials, insert_students))
        first = [dt.date(2024, 9, 2) + dt.timedelta(days=d) for d in range(days)]
        records = [dict(id=uuid.uuid4(), student_id=p["id"], date=d, status="present", period=k)
                   for p in people for d in first for k in range(1, periods + 1)]

        def insert_attendance(audited: bool) -> float:
            engine = fresh(True)
            with engine.begin() as conn:
                conn.execute(sa.insert(Student.__table__), people)
            with engine.begin() as conn:
                start = time.perf_counter()
                conn.execute(sa.insert(AttendanceRecord.__table__), records)
                if audited:
                    record_changes(conn, "attendance_records", "INSERT",
                                   Counter(r["student_id"] for r in records))
                return time.perf_counter() - start

        _report(f"{rows:,} attendance records (record_changes)", rows,
                *_alternate(trials, insert_attendance))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--students", type=int, default=2000)
    p.add_argument("--days", type=int, default=84)
    p.add_argument("--periods", type=int, default=6)
    p.add_argument("--trials", type=int, default=3)
    p.add_argument("--backend", choices=("both", "postgresql", "sqlite"), default="both")
    args = p.parse_args()
    if args.backend in ("both", "postgresql"):
        postgres(args.students, args.days, args.periods, args.trials)
    if args.backend in ("both", "sqlite"):
        sqlite(args.students, args.days, args.periods, args.trials)


if __name__ == "__main__":
    main()
