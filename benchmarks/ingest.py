"""How fast `edupulse load` writes attendance_records, against a raw bulk insert (prints figures).

    .venv/bin/python benchmarks/ingest.py                      # 10,000 students, one school year
    .venv/bin/python benchmarks/ingest.py --students 2000 --backend sqlite
    .venv/bin/python benchmarks/ingest.py --export DIR         # reuse an export, skip synth

1. `edupulse synth` makes a district (or --export names one).
2. For each backend, a fresh database: `edupulse load` (the real command, in a subprocess) loads
   the export; its per-file seconds for attendance include reading, every validation rule,
   staging, the idempotent upsert (ON CONFLICT ... DO UPDATE WHERE changed) and, on SQLite, the
   audit entries.
3. A second fresh database gets the same students (same UUIDs), then the same attendance rows,
   already resolved to student_id and held in memory, go into its empty attendance_records (the
   same constraints, indexes and triggers) by the fastest plain means: COPY on PostgreSQL,
   executemany on SQLite (same page cache size as the loader), one transaction.
4. Ratio = loader rows/s / raw rows/s (target >= 0.7). A re-load of the unchanged export is
   timed too.

PostgreSQL: $EDUPULSE_BENCH_PG_URL, else $EDUPULSE_TEST_PG_URL, else the local server; fresh
databases are created and dropped there. Wall-clock figures depend on what else the machine runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

from edupulse.db import migrate
from edupulse.db.session import make_engine

DEFAULT_PG = "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
EDUPULSE = Path(sys.executable).parent / "edupulse"
STUDENT_COLUMNS = ("id, district_id, first_name, last_name, grade_level, date_of_birth, gender, "
                   "ethnicity, socioeconomic_status, gpa, attendance_rate, parent_contact, "
                   "enrollment_date, student_metadata")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def make_export(students: int, out: Path, gzip: bool) -> float:
    from edupulse.data.synth import SynthConfig, generate, write

    start = time.perf_counter()
    config = SynthConfig(students=students, start=dt.date(2024, 8, 26), weeks=36, seed=7,
                         oracle_draws=1)
    write(generate(config), out, gzip=gzip)
    return time.perf_counter() - start


class Databases:
    """Fresh, migrated databases on one backend; dropped at the end."""

    def __init__(self, backend: str, workdir: Path) -> None:
        self.backend = backend
        self.workdir = workdir
        pg = os.environ.get("EDUPULSE_BENCH_PG_URL") or os.environ.get("EDUPULSE_TEST_PG_URL")
        self.admin_url = pg or DEFAULT_PG
        self.created: list[str] = []

    def fresh(self) -> str:
        if self.backend == "sqlite":
            url = f"sqlite:///{self.workdir / f'bench-{uuid.uuid4().hex[:8]}.db'}"
        else:
            name = f"edupulse_bench_{uuid.uuid4().hex[:10]}"
            admin = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.exec_driver_sql(f"CREATE DATABASE {name}")
            admin.dispose()
            self.created.append(name)
            url = sa.engine.make_url(self.admin_url).set(database=name).render_as_string(
                hide_password=False)
        engine = make_engine(url, poolclass=sa.pool.NullPool)
        migrate.upgrade(engine)
        engine.dispose()
        return url

    def drop(self) -> None:
        admin = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for name in self.created:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


def run_load(export: Path, url: str, home: Path) -> tuple[dict[str, list[str]], float]:
    """`edupulse load` in a subprocess; its summary rows by file kind, and the wall time."""
    start = time.perf_counter()
    done = subprocess.run([str(EDUPULSE), "load", str(export), "--db", url],
                          capture_output=True, text=True, env={**os.environ,
                                                               "EDUPULSE_HOME": str(home)})
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"edupulse load failed ({done.returncode}):\n{done.stdout}\n"
                         f"{done.stderr}")
    rows = {}
    for line in done.stdout.splitlines():
        if m := re.match(r"(students|attendance|grades|discipline)\.csv", line):
            rows[m.group(1)] = line.split()
    return rows, wall


def raw_insert(loaded_url: str, raw_url: str) -> tuple[int, float]:
    """The loaded attendance rows, bulk-inserted plainly into an identical empty table."""
    src = make_engine(loaded_url, poolclass=sa.pool.NullPool)
    dst = make_engine(raw_url, poolclass=sa.pool.NullPool)
    pg = src.dialect.name == "postgresql"
    with src.connect() as s, dst.begin() as d:  # same students, same ids, for the foreign key
        students = s.exec_driver_sql(f"SELECT {STUDENT_COLUMNS} FROM students").all()
        cols = STUDENT_COLUMNS.split(", ")
        marks = ", ".join(["%s"] * len(cols)) if pg else ", ".join("?" * len(cols))
        if pg:
            students = [tuple(_json(v) for v in row) for row in students]
        d.connection.dbapi_connection.cursor().executemany(  # type: ignore[union-attr]
            f"INSERT INTO students ({STUDENT_COLUMNS}) VALUES ({marks})", students)
    with src.connect() as s:
        select = "SELECT student_id, date, status, period FROM attendance_records"
        if pg:
            buffer = io.BytesIO()
            s.connection.dbapi_connection.cursor().copy_expert(  # type: ignore[union-attr]
                f"COPY ({select}) TO STDOUT WITH (FORMAT csv)", buffer)
            payload: object = buffer
            n = buffer.getvalue().count(b"\n")
        else:
            payload = s.exec_driver_sql(select).all()
            n = len(payload)  # type: ignore[arg-type]
    src.dispose()
    raw = dst.raw_connection()
    cursor = raw.cursor()
    if not pg:
        cursor.execute("PRAGMA cache_size = -262144")  # what the loader sets
    start = time.perf_counter()
    if pg:
        payload.seek(0)  # type: ignore[attr-defined]
        cursor.copy_expert("COPY attendance_records (student_id, date, status, period) FROM STDIN "
                           "WITH (FORMAT csv)", payload)
    else:
        cursor.executemany("INSERT INTO attendance_records (student_id, date, status, period) "
                           "VALUES (?, ?, ?, ?)", payload)
    raw.commit()
    seconds = time.perf_counter() - start
    raw.close()
    dst.dispose()
    return n, seconds


def _json(value: object) -> object:
    import json

    from psycopg2.extras import Json

    return Json(value) if isinstance(value, dict) else (
        json.dumps(value) if isinstance(value, list) else value)


def bench(backend: str, export: Path, workdir: Path) -> None:
    dbs = Databases(backend, workdir)
    try:
        loaded = dbs.fresh()
        rows, wall = run_load(export, loaded, workdir / "home")
        again, wall2 = run_load(export, loaded, workdir / "home")
        att = rows["attendance"]
        n, secs = int(att[1].replace(",", "")), float(att[-1])
        raw_n, raw_secs = raw_insert(loaded, dbs.fresh())
        assert raw_n == n, (raw_n, n)
        loader_rate, raw_rate = n / secs, raw_n / raw_secs
        print(f"\n{backend}: attendance_records")
        print(f"  {'':<34}{'rows':>12}{'seconds':>10}{'rows/s':>11}")
        print(f"  {'edupulse load (read+validate+write)':<34}{n:>12,}{secs:>10.1f}"
              f"{loader_rate:>11,.0f}")
        print(f"  {'raw ' + ('COPY' if backend == 'postgresql' else 'executemany'):<34}"
              f"{raw_n:>12,}{raw_secs:>10.1f}{raw_rate:>11,.0f}")
        print(f"  ratio loader/raw: {loader_rate / raw_rate:.2f} (target >= 0.7)")
        print(f"  whole load, all four files: {wall:.1f} s; re-load of the same export "
              f"(all unchanged): {wall2:.1f} s, attendance {float(again['attendance'][-1]):.1f} s")
    finally:
        if backend == "postgresql":
            dbs.drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=10_000)
    parser.add_argument("--export", type=Path, default=None, help="an existing export to load")
    parser.add_argument("--backend", choices=["postgresql", "sqlite", "both"], default="both")
    parser.add_argument("--gzip", action="store_true", help="generate .csv.gz files")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="edupulse-bench-") as tmp:
        workdir = Path(tmp)
        export = args.export
        if export is None:
            export = workdir / "export"
            secs = make_export(args.students, export, args.gzip)
            print(f"synthetic district: {args.students:,} students, 36 weeks, in {secs:.0f} s")
        sizes = {p.name: p.stat().st_size / 1e6 for p in sorted(export.glob("*.csv*"))}
        print("export: " + ", ".join(f"{k} {v:.0f} MB" for k, v in sizes.items()))
        backends = ["postgresql", "sqlite"] if args.backend == "both" else [args.backend]
        for backend in backends:
            bench(backend, export, workdir)
        print(f"\npeak memory of the edupulse load processes: {_peak_mb():.0f} MB resident")


if __name__ == "__main__":
    main()
