"""How fast `edupulse load` writes attendance_records, against a raw bulk insert (prints figures).

    .venv/bin/python benchmarks/ingest.py                      # 10,000 students, one school year
    .venv/bin/python benchmarks/ingest.py --students 2000 --backend sqlite
    .venv/bin/python benchmarks/ingest.py --export DIR         # reuse an export, skip synth

1. `edupulse synth` makes a district (or --export names one).
2. Raw: a fresh database gets the export's students (with `edupulse load`, untimed), then the
   export's attendance rows, already resolved to student_id and held in memory, go into its
   empty attendance_records (the real table: same constraints, indexes and triggers) by the
   fastest plain means: COPY on PostgreSQL, executemany on SQLite (same page cache size as the
   loader), one transaction. Timed: that statement and the commit.
3. Loader: another fresh database; `edupulse load` (the real command, in a subprocess) loads the
   whole export. Its seconds for attendance.csv include reading, every validation rule, staging,
   the idempotent upsert (ON CONFLICT ... DO UPDATE WHERE changed) and, on SQLite, the audit
   entries.
4. Raw again, in a third fresh database: the machine is shared, so raw runs before and after the
   loader and the ratio uses their mean. Load averages are printed with every figure.
5. Ratio = loader rows/s / raw rows/s (target >= 0.7). A re-load of the unchanged export is
   timed too.

PostgreSQL: $EDUPULSE_BENCH_PG_URL, else $EDUPULSE_TEST_PG_URL, else the local server; fresh
databases are created and dropped there.
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


def raw_payload(export: Path, url: str, home: Path) -> tuple[object, int]:
    """Load the export's students into `url` (untimed), then build the attendance rows with
    their student_id: CSV bytes for COPY, or a list of tuples for executemany."""
    import shutil

    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.csv as pacsv

    students_only = home / f"students-{uuid.uuid4().hex[:6]}"
    students_only.mkdir(parents=True)
    source = next(export.glob("students.csv*"))
    shutil.copy(source, students_only / source.name)
    run_load(students_only, url, home)
    engine = make_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        ids = dict(conn.exec_driver_sql("SELECT district_id, id FROM students").all())
    engine.dispose()
    path = next(export.glob("attendance.csv*"))
    frame = pd.read_csv(path, dtype={"district_id": "category", "date": "category",
                                     "status": "category", "period": "Int64"})
    sid = frame["district_id"].cat.rename_categories(
        [str(ids[d]) for d in frame["district_id"].cat.categories])
    if engine.dialect.name == "postgresql":
        table = pa.table({"student_id": pa.array(sid).dictionary_decode(),
                          "date": pa.array(frame["date"]).dictionary_decode(),
                          "status": pa.array(frame["status"]).dictionary_decode(),
                          "period": pa.array(frame["period"])})
        buffer = io.BytesIO()
        pacsv.write_csv(table, buffer, pacsv.WriteOptions(include_header=False))
        buffer.seek(0)
        return buffer, len(frame)
    columns = []
    for col in (sid, frame["date"], frame["status"]):
        values = np.append(col.cat.categories.to_numpy(dtype=object), None)
        columns.append(values[col.cat.codes.to_numpy()])
    columns.append(frame["period"].astype(object).where(frame["period"].notna(), None)
                   .to_numpy())
    return list(zip(*columns, strict=True)), len(frame)


def raw_insert(url: str, payload: object) -> float:
    """Seconds to put `payload` into the empty attendance_records of `url`, committed."""
    engine = make_engine(url, poolclass=sa.pool.NullPool)
    raw = engine.raw_connection()
    cursor = raw.cursor()
    pg = engine.dialect.name == "postgresql"
    if not pg:
        cursor.execute("PRAGMA cache_size = -262144")  # what the loader sets
    start = time.perf_counter()
    if pg:
        cursor.copy_expert("COPY attendance_records (student_id, date, status, period) FROM STDIN "
                           "WITH (FORMAT csv)", payload)
    else:
        cursor.executemany("INSERT INTO attendance_records (student_id, date, status, period) "
                           "VALUES (?, ?, ?, ?)", payload)  # type: ignore[arg-type]
    raw.commit()
    seconds = time.perf_counter() - start
    raw.close()
    engine.dispose()
    return seconds


def _load() -> str:
    return f"load avg {os.getloadavg()[0]:.1f}"


def bench(backend: str, export: Path, workdir: Path) -> None:
    dbs = Databases(backend, workdir)
    home = workdir / "home"
    name = "COPY" if backend == "postgresql" else "executemany"
    try:
        print(f"\n{backend}: attendance_records")
        raws = []
        for when in ("before", "after"):
            if when == "after":
                loaded = dbs.fresh()
                cond = _load()
                rows, wall = run_load(export, loaded, home)
                att = rows["attendance"]
                n, secs = int(att[1].replace(",", "")), float(att[-1])
                print(f"  edupulse load: {n:,} rows in {secs:.1f} s ({n / secs:,.0f} rows/s; "
                      f"{cond}); all four files {wall:.1f} s", flush=True)
            url = dbs.fresh()
            payload, raw_n = raw_payload(export, url, home)
            cond = _load()
            raw_secs = raw_insert(url, payload)
            del payload
            raws.append(raw_secs)
            print(f"  raw {name} ({when}): {raw_n:,} rows in {raw_secs:.1f} s "
                  f"({raw_n / raw_secs:,.0f} rows/s; {cond})", flush=True)
        assert raw_n == n, (raw_n, n)
        raw_secs = sum(raws) / len(raws)
        cond = _load()
        again, wall2 = run_load(export, loaded, home)
        loader_rate, raw_rate = n / secs, raw_n / raw_secs
        print(f"  {'':<40}{'rows':>12}{'seconds':>10}{'rows/s':>11}")
        print(f"  {'edupulse load (read+validate+write)':<40}{n:>12,}{secs:>10.1f}"
              f"{loader_rate:>11,.0f}")
        print(f"  {'raw ' + name + ' (mean of before/after)':<40}{raw_n:>12,}{raw_secs:>10.1f}"
              f"{raw_rate:>11,.0f}")
        print(f"  ratio loader/raw: {loader_rate / raw_rate:.2f} (target >= 0.7)")
        print(f"  re-load of the same export (all unchanged): {wall2:.1f} s, attendance "
              f"{float(again['attendance'][-1]):.1f} s ({cond})")
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
