"""Scoring throughput and memory: `python benchmarks/scoring.py [--sizes 10000 100000]`.

For each backend (PostgreSQL at $EDUPULSE_BENCH_PG_URL or the local test server, and a SQLite
file) and each size N, a fresh child process: creates a migrated database, writes N students and
their feature rows directly (set-up, not timed), trains a calibrated HistGradientBoosting model on
synthetic features, registers it in a temporary MLflow store and activates it, then times
`edupulse.scoring.score.score` end to end (resolve + load the model, read features, score,
attributions, risk_factors, write) and prints students/s and the child's peak RSS.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

PG_ADMIN = os.environ.get("EDUPULSE_BENCH_PG_URL",
                          "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
AS_OF = dt.date(2025, 1, 10)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--backends", nargs="+", default=["postgresql", "sqlite"])
    ap.add_argument("--setup", nargs=3, metavar=("BACKEND", "N", "DIR"), help=argparse.SUPPRESS)
    ap.add_argument("--score", nargs=3, metavar=("URL", "TRACKING", "N"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    # The synthetic feature generator and vector writer are shared with tests/scoring.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    if args.setup:
        print(json.dumps(setup(args.setup[0], int(args.setup[1]), Path(args.setup[2]))))
        return
    if args.score:
        measure(args.score[0], args.score[1], int(args.score[2]))
        return
    print(f"{'backend':<11} {'students':>9} {'seconds':>8} {'students/s':>11} {'peak MB':>8}",
          flush=True)
    for backend in args.backends:
        for n in args.sizes:
            tmp = tempfile.mkdtemp(prefix="edupulse-bench-")
            env = json.loads(_child("--setup", backend, str(n), tmp).splitlines()[-1])
            try:
                print(_child("--score", env["url"], env["tracking"], str(n)).splitlines()[-1],
                      flush=True)
            finally:
                if env.get("dbname"):
                    _drop(env["dbname"])


def _child(*args: str) -> str:
    """Each step in its own process, so the peak RSS printed is the scoring run's alone."""
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"benchmark step {args[0]} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def setup(backend: str, n: int, tmp: Path) -> dict[str, str | None]:
    """A migrated database with N students + features, and an active registered model."""
    import sqlalchemy as sa

    from edupulse.db import migrate
    from edupulse.db.session import make_engine

    dbname = None
    if backend == "sqlite":
        url = f"sqlite:///{tmp / 'bench.db'}"
    else:
        dbname = f"edupulse_bench_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.exec_driver_sql(f"CREATE DATABASE {dbname}")
        admin.dispose()
        url = sa.engine.make_url(PG_ADMIN).set(database=dbname).render_as_string(False)
    engine = make_engine(url)
    migrate.upgrade(engine)
    _write_students(engine, n)
    tracking = f"sqlite:///{tmp / 'mlflow.db'}"
    _register_model(engine, tracking, tmp)
    engine.dispose()
    return {"url": url, "tracking": tracking, "dbname": dbname}


def measure(url: str, tracking: str, n: int) -> None:
    from edupulse.db.session import make_engine
    from edupulse.scoring.score import score

    engine = make_engine(url)
    backend = engine.dialect.name
    t, cpu = time.perf_counter(), time.process_time()
    report = score(engine, AS_OF, tracking_uri=tracking, progress=False)
    secs, cpu = time.perf_counter() - t, time.process_time() - cpu
    assert report.scored == n, report
    load = os.getloadavg()[0]
    # CPU seconds of this process too: on a shared machine wall time mostly measures the others.
    ph = report.phases
    per_student = ph["features"] + ph["compute"] + ph["publish"]
    print(f"{backend:<11} {n:>9,} {secs:>8.1f} {n / secs:>11,.0f} {_peak_mb():>8.0f}"
          f"   | without the one-off model load ({ph['model']:.1f}s): {n / per_student:,.0f}/s"
          f" [read {ph['features']:.1f}s, score+explain {ph['compute']:.1f}s, write "
          f"{ph['publish']:.1f}s] | cpu {cpu:.1f}s | load average {load:.1f} on "
          f"{os.cpu_count()} cores")


def _drop(dbname: str) -> None:
    import sqlalchemy as sa

    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.exec_driver_sql(f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)")
    admin.dispose()


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _features(n: int, seed: int):  # type: ignore[no-untyped-def]
    from tests.scoring.conftest import synthetic_features

    return synthetic_features(n, seed)


def _write_students(engine, n: int) -> None:  # type: ignore[no-untyped-def]
    import sqlalchemy as sa

    from edupulse.db.models import Student, StudentFeature
    from edupulse.features.columns import BASE
    from tests.scoring.conftest import feature_vector

    frame, _ = _features(n, seed=11)
    ids = [uuid.uuid4() for _ in range(n)]
    students = [{"id": sid, "district_id": f"B-{i:07d}", "first_name": "X", "last_name": "Y",
                 "grade_level": 9, "date_of_birth": dt.date(2010, 1, 1),
                 "enrollment_date": dt.date(2024, 8, 26),
                 "student_metadata": {"school_code": f"SCH-{i % 40:02d}"}}
                for i, sid in enumerate(ids)]
    records = frame.to_dict("records")
    feats = [{"student_id": sid, "feature_date": AS_OF, **{c: r[c] for c in BASE},
              "feature_vector": json.loads(json.dumps(feature_vector(r)))}
             for sid, r in zip(ids, records, strict=True)]
    with engine.begin() as conn:
        for lo in range(0, n, 20_000):
            conn.execute(sa.insert(Student.__table__), students[lo:lo + 20_000])
            conn.execute(sa.insert(StudentFeature.__table__), feats[lo:lo + 20_000])


def _register_model(engine, tracking: str, tmp: Path) -> None:  # type: ignore[no-untyped-def]
    import mlflow
    import mlflow.sklearn
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import HistGradientBoostingClassifier
    from threadpoolctl import threadpool_limits

    from tests.scoring.conftest import TRUSTED, activate

    X, y = _features(20_000, seed=3)
    with threadpool_limits(limits=1):  # see ScoringConfig.threads: faster on a busy machine
        model = CalibratedClassifierCV(
            HistGradientBoostingClassifier(max_iter=100, max_leaf_nodes=31,
                                           early_stopping=False, random_state=0),
            method="sigmoid", cv=3, ensemble=False).fit(X, y)
    mlflow.set_tracking_uri(tracking)
    exp = mlflow.create_experiment("bench", artifact_location=(tmp / "art").as_uri())
    with mlflow.start_run(experiment_id=exp):
        info = mlflow.sklearn.log_model(model, name="model", registered_model_name="edupulse-risk",
                                        skops_trusted_types=TRUSTED)
    with engine.begin() as conn:
        activate(conn, "bench-gb", str(info.registered_model_version))


if __name__ == "__main__":
    main()
