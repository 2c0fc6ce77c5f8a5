"""How long `edupulse train` takes on the sample and on a 10,000-student district (prints
figures, asserts nothing).

    .venv/bin/python benchmarks/training.py                       # sample + 10,000 students
    .venv/bin/python benchmarks/training.py --students 0          # the sample only
    .venv/bin/python benchmarks/training.py --experiment experiments/model-families.yaml

Each district goes into a fresh SQLite database and MLflow store in a temporary EDUPULSE_HOME
(--db-dir keeps them). Phases are timed apart: loading (`edupulse load`), building the features
of the experiment's as-of dates, and `train` itself (labels, splits, every fit with calibration,
bootstrap and permutation importance, MLflow logging) with the features already stored. Wall
seconds depend on what else runs on the machine; the process's CPU seconds are printed beside
them, and the peak resident memory of the process at the end.

Last run (2026-11-25, experiments/baseline.yaml: 2 splits x {ABC rule, logistic regression},
SQLite, the shared 2-core machine at load average 5-11, so wall time is about 3x CPU time):

| district | rows (student x as-of) | load | features (10 dates) | train | fitting alone |
| --- | ---: | ---: | ---: | ---: | ---: |
| sample, 500 students | 4,709 | 32 s | 9 s | 92 s wall, 26 s CPU, 406 MB | 2.6 s |
| 10,000 students | 93,433 | 1,627 s | 147 s | 248 s wall, 80 s CPU, 622 MB | 9.6 s |

("train" measured as the `edupulse train` command with /usr/bin/time, features already stored;
peak memory of this script itself, which also loads the data, was 3.0 GB.) Most of train's CPU
goes to the 200-resample bootstraps, permutation importance, the labels and MLflow logging,
not to fitting.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from edupulse.data.pipeline import LoadReport

REPO = Path(__file__).resolve().parents[1]


@contextmanager
def timed(label: str, figures: dict[str, tuple[float, float]]) -> Iterator[None]:
    wall, cpu = time.perf_counter(), time.process_time()
    yield
    figures[label] = (time.perf_counter() - wall, time.process_time() - cpu)
    print(f"  {label:<28} {figures[label][0]:8.1f} s wall  {figures[label][1]:8.1f} s CPU",
          flush=True)


def bench(name: str, data_dir: Path, experiment: Path, home: Path) -> None:
    from edupulse.config import Settings
    from edupulse.data.pipeline import load_directory
    from edupulse.db import migrate
    from edupulse.db.session import make_engine
    from edupulse.experiment import parse_experiment
    from edupulse.features import build_features
    from edupulse.tracking.pipeline import run_experiment

    home.mkdir(parents=True, exist_ok=True)
    os.environ["EDUPULSE_HOME"] = str(home)
    os.environ.pop("MLFLOW_TRACKING_URI", None)
    settings = Settings.from_env()
    engine = make_engine(settings.database_url)
    text = experiment.read_text(encoding="utf-8")
    truth = next(iter(sorted(data_dir.glob("ground_truth.csv*"))), None)
    if truth is not None:  # the district's own ground truth, wherever it was written
        text = text.replace("data/sample/ground_truth.csv.gz", str(truth))
    config = parse_experiment(text, source=str(experiment))
    print(f"\n{name}: {data_dir} -> {settings.safe_database_url}", flush=True)
    figures: dict[str, tuple[float, float]] = {}
    with timed("load", figures):
        migrate.upgrade(engine)
        report = load_directory(engine, data_dir)
    with timed(f"features ({len(config.temporal.all_dates())} as-of dates)", figures):
        build_features(engine, config.temporal.all_dates(), progress=False)
    lines: list[str] = []
    with timed("train (features stored)", figures):
        outcome = run_experiment(engine, config, text, experiment.name, settings,
                                 progress=False, echo=lines.append)
    rows = next((ln for ln in lines if ln.startswith("rows: ")), "")
    fit = _fit_seconds(outcome.parent_run_id)
    ok = len(outcome.models) - len(outcome.failed)
    print(f"  {rows}")
    print(f"  {ok} model x split runs ok, {len(outcome.failed)} failed; fitting alone "
          f"(sum of fit times) {sum(fit.values()):.1f} s: " +
          ", ".join(f"{k} {v:.1f} s" for k, v in fit.items()))
    print(f"  loaded rows: {_loaded(report)}")
    print(f"  peak memory (process so far): {_peak_mb():,.0f} MB")
    engine.dispose()


def _fit_seconds(parent: str) -> dict[str, float]:
    import mlflow

    client = mlflow.MlflowClient()
    run = client.get_run(parent)
    children = client.search_runs([run.info.experiment_id],
                                  filter_string=f"tags.`mlflow.parentRunId` = '{parent}'")
    out: dict[str, float] = {}
    for r in children:
        t = r.data.tags
        if "edupulse.fit_seconds" in t:
            out[f"{t['edupulse.model']}@{t['edupulse.split']}"] = float(t["edupulse.fit_seconds"])
    return dict(sorted(out.items()))


def _loaded(report: LoadReport) -> str:
    return ", ".join(f"{f.name} {f.read:,}" for f in report.files)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiment", type=Path, default=REPO / "experiments/baseline.yaml")
    parser.add_argument("--students", type=int, default=10_000,
                        help="size of the large district (0: the sample only)")
    parser.add_argument("--db-dir", type=Path, default=None, help="keep databases here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.db_dir or Path(tmp)
        bench("sample (500 students)", REPO / "data/sample", args.experiment, root / "sample")
        if args.students:
            from edupulse.data.synth import SynthConfig, generate, write

            out = root / f"district-{args.students}"
            wall = time.perf_counter()
            write(generate(SynthConfig(students=args.students, start=dt.date(2024, 8, 26),
                                       weeks=36, seed=7)), out)
            print(f"\ngenerated {args.students:,} students in {time.perf_counter() - wall:.0f} s")
            bench(f"{args.students:,} students", out, args.experiment, root / "large")


if __name__ == "__main__":
    main()
