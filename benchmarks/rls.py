"""What district isolation costs: a features-style aggregate with and without row-level security.

Builds a fresh PostgreSQL database with N students spread over D districts and a school year of
attendance (weekdays, P periods), runs `edupulse db secure`, then times the same weekly
attendance aggregate (the shape of the features build: GROUP BY student, week) three ways:
  owner, all districts           the table owner bypasses RLS (what the loader sees)
  owner, JOIN ... district = D1  the same district's rows selected by hand with a join
  owner, IN (D1's students)      ... or with the policy's own semi-join, written by hand
  district login, no WHERE       a non-superuser member of D1's role: the policies select
and a one-student lookup both ways. Prints median seconds and the RLS overhead.

    .venv/bin/python benchmarks/rls.py [--students 2000] [--districts 4] [--periods 6]
Admin URL: $EDUPULSE_BENCH_PG_URL, else $EDUPULSE_TEST_PG_URL, else the local test server.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import uuid

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from edupulse.db import migrate
from edupulse.db.session import make_engine
from edupulse.privacy import rls

DEFAULT_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
AGGREGATE = """
SELECT a.student_id, date_trunc('week', a.date) AS week, count(*) AS n,
       sum(CASE WHEN a.status IN ('present', 'tardy') THEN 1 ELSE 0 END) AS attended
FROM attendance_records a
{join}
WHERE a.date <= DATE '2025-03-31' {where}
GROUP BY a.student_id, week"""
JOIN = "JOIN students s ON s.id = a.student_id"
WHERE = "AND s.student_metadata ->> 'district_code' = 'D1'"
SEMI = ("AND a.student_id IN (SELECT id FROM students WHERE student_metadata ->> "
        "'district_code' = 'D1')")
LOOKUP = "SELECT count(*), min(date) FROM attendance_records WHERE student_id = :sid"


def _admin_url() -> str:
    return os.environ.get("EDUPULSE_BENCH_PG_URL") or os.environ.get(
        "EDUPULSE_TEST_PG_URL") or DEFAULT_URL


def _url(base: str, **parts: str) -> str:
    return make_url(base).set(**parts).render_as_string(hide_password=False)


def _populate(engine: sa.Engine, students: int, districts: int, periods: int) -> int:
    with engine.begin() as conn:
        conn.execute(sa.text(f"""
INSERT INTO students (district_id, first_name, last_name, grade_level, date_of_birth,
                      student_metadata)
SELECT 'D' || (g % {districts}) || '-' || lpad(g::text, 7, '0'), 'F' || g, 'L' || g,
       g % 13, DATE '2008-01-01' + (g % 4000),
       jsonb_build_object('district_code', 'D' || (g % {districts}),
                          'school_code', 'S' || (g % ({districts} * 3)))
FROM generate_series(1, {students}) g"""))
        conn.execute(sa.text(f"""
INSERT INTO attendance_records (student_id, date, status, period)
SELECT s.id, d::date,
       (ARRAY['present','present','present','present','present','absent','tardy',
              'excused'])[1 + (hashtext(s.id::text || d::text || p) & 7)],
       p
FROM students s,
     generate_series(DATE '2024-08-26', DATE '2025-06-13', INTERVAL '1 day') d,
     generate_series(1, {periods}) p
WHERE extract(isodow FROM d) < 6"""))
        conn.exec_driver_sql("ANALYZE")
        return conn.exec_driver_sql("SELECT count(*) FROM attendance_records").scalar_one()


def _time(engine: sa.Engine, sql: str, **params: object) -> tuple[float, int]:
    with engine.connect() as conn:
        start = time.perf_counter()
        rows = len(conn.execute(sa.text(sql), params).all())
        return time.perf_counter() - start, rows


def _interleaved(runs: list[tuple[str, sa.Engine, str]], repeat: int,
                 **params: object) -> dict[str, tuple[float, int]]:
    """Median seconds per run, the runs taking turns so a busy machine slows all alike."""
    times: dict[str, list[float]] = {label: [] for label, _, _ in runs}
    rows: dict[str, int] = {}
    for _ in range(repeat):
        for label, engine, sql in runs:
            seconds, rows[label] = _time(engine, sql, **params)
            times[label].append(seconds)
    return {label: (statistics.median(t), rows[label]) for label, t in times.items()}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--students", type=int, default=2000)
    p.add_argument("--districts", type=int, default=4)
    p.add_argument("--periods", type=int, default=6)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--parallel", action="store_true",
                   help="allow parallel query plans (default: serial plans for both sides)")
    args = p.parse_args()

    base = _admin_url()
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    tag = uuid.uuid4().hex[:8]
    db, role, login = f"edupulse_bench_rls_{tag}", f"edupulse_bench_d1_{tag}", f"bench_{tag}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {db}")
    # Parallel plans on a shared 2-core machine measure the machine, not the policies.
    serial = {} if args.parallel else {
        "connect_args": {"options": "-c max_parallel_workers_per_gather=0"}}
    owner = make_engine(_url(base, database=db), poolclass=sa.pool.NullPool, **serial)
    try:
        migrate.upgrade(owner)
        start = time.perf_counter()
        with owner.begin() as conn:  # building the data is not what is measured
            conn.exec_driver_sql("ALTER TABLE attendance_records DISABLE TRIGGER USER")
        n = _populate(owner, args.students, args.districts, args.periods)
        with owner.begin() as conn:
            conn.exec_driver_sql("ALTER TABLE attendance_records ENABLE TRIGGER USER")
        print(f"data: {args.students:,} students in {args.districts} districts, "
              f"{n:,} attendance records ({time.perf_counter() - start:.1f}s to build)")
        rls.secure(owner, [rls.DistrictRole("D1", role)])
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE ROLE {login} LOGIN IN ROLE {role}")
        district = make_engine(_url(base, database=db, username=login),
                               poolclass=sa.pool.NullPool, **serial)
        with owner.connect() as conn:
            sid = conn.exec_driver_sql("SELECT id FROM students WHERE student_metadata ->> "
                                       "'district_code' = 'D1' LIMIT 1").scalar_one()
        runs = [
            ("owner, all districts", owner, AGGREGATE.format(join="", where="")),
            ("owner, JOIN ... district = D1", owner, AGGREGATE.format(join=JOIN, where=WHERE)),
            ("owner, IN (D1's students)", owner, AGGREGATE.format(join="", where=SEMI)),
            ("district login (RLS)", district, AGGREGATE.format(join="", where="")),
        ]
        print(f"\nweekly attendance aggregate (median of {args.repeat}, runs taking turns):")
        results = _interleaved(runs, args.repeat)
        for label, (seconds, rows) in results.items():
            print(f"  {label:<28} {seconds:8.3f} s  {rows:>9,} groups")
        policy = results["district login (RLS)"][0]
        for label in ("owner, JOIN ... district = D1", "owner, IN (D1's students)"):
            print(f"  RLS vs '{label}': {(policy / results[label][0] - 1) * 100:+.1f}%")
        lookups = _interleaved([("owner", owner, LOOKUP), ("district login", district, LOOKUP)],
                               args.repeat * 4, sid=sid)
        print("\none student's attendance (index lookup, median of "
              f"{args.repeat * 4}): " + "   ".join(
                  f"{label} {seconds * 1000:.2f} ms" for label, (seconds, _) in lookups.items()))
        district.dispose()
    finally:
        owner.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
            conn.exec_driver_sql(f"DROP ROLE IF EXISTS {login}")
            conn.exec_driver_sql(f"DROP ROLE IF EXISTS {role}")
        admin.dispose()


if __name__ == "__main__":
    main()
