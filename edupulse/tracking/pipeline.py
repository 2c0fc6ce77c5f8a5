"""`edupulse train`: an experiment from its config to MLflow runs.

Wiring only: features and labels come from edupulse.features / edupulse.labels (missing
features are built first, stored ones reused), the rows from modeling.dataset, the fits and
figures from modeling.train, the logging from tracking.runs. A model that fails is logged as a
FAILED run with its error and the grid goes on.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy.engine import Engine

from edupulse.config import Settings
from edupulse.experiment import ExperimentConfig, ModelRun
from edupulse.modeling.dataset import Dataset, DatasetError, SplitData, SplitLike, assemble
from edupulse.modeling.dataset import split_data as make_split_data
from edupulse.modeling.oracle import GroundTruth, OracleError, coverage, read_ground_truth
from edupulse.modeling.train import (
    TrainResult,
    compare,
    evaluate,
    fit_and_evaluate,
    with_comparisons,
)

DEFAULT_BASELINE = ModelRun(name="abc_baseline", family="abc_baseline", params={})
THREADS_ENV = "EDUPULSE_TRAIN_THREADS"  # BLAS/OpenMP threads while fitting (default 1)
Echo = Callable[[str], None]


@dataclass(frozen=True)
class Prepared:
    """Everything an experiment trains on, read once."""

    dataset: Dataset
    splits: tuple[SplitLike, ...]
    label_exclusions: list[dict[str, Any]]
    built_dates: tuple[dt.date, ...]
    truth: GroundTruth | None
    notes: tuple[str, ...] = ()
    data_end: dt.date | None = None

    def summary(self) -> dict[str, Any]:
        frame = self.dataset.frame
        per_date = frame.groupby("as_of_date")["label"].agg(["size", "mean"])
        return {
            "rows": len(frame), "features": list(self.dataset.feature_columns),
            "per_as_of_date": {d.isoformat(): {"rows": int(r["size"]), "prevalence": r["mean"]}
                               for d, r in per_date.iterrows()},
            "feature_rows_without_label": self.dataset.unlabelled_rows,
            "labels_without_feature_row": self.dataset.unfeatured_rows,
            "rows_outside_cohort": self.dataset.outside_cohort_rows,
            "label_exclusions": self.label_exclusions,
            "features_built_now": [d.isoformat() for d in self.built_dates],
            "ground_truth": self.truth.source if self.truth else None, "notes": list(self.notes),
            "data_end": self.data_end.isoformat() if self.data_end else None,
            "splits": [{"name": s.name, "train_as_of": [d.isoformat() for d in s.train_as_of],
                        "test_as_of": s.test_as_of.isoformat()} for s in self.splits],
        }


@dataclass(frozen=True)
class ModelOutcome:
    split: str
    model: str
    family: str
    status: str  # "ok" or "failed"
    run_id: str | None
    metrics: dict[str, float] = field(default_factory=dict)
    error: str | None = None


@dataclass(frozen=True)
class ExperimentOutcome:
    name: str
    experiment_id: str
    parent_run_id: str
    models: tuple[ModelOutcome, ...]

    @property
    def failed(self) -> list[ModelOutcome]:
        return [m for m in self.models if m.status != "ok"]


def make_splits(config: ExperimentConfig, data_end: dt.date | None = None,
                ) -> tuple[SplitLike, ...]:
    """One split per test date from the config's temporal set-up (edupulse.modeling.splits):
    training as-of dates whose label window closed by the test date, none past `data_end`."""
    from edupulse.modeling.splits import TemporalSplitter

    t = config.temporal
    return TemporalSplitter.from_range(
        t.train_start, t.train_end, t.update_frequency_days, t.test_dates,
        config.label.horizon_days, max_history_days=t.max_history_days, data_end=data_end,
    ).splits()


def prepare(engine: Engine, config: ExperimentConfig, *, progress: bool, echo: Echo) -> Prepared:
    """Build missing features, compute labels, assemble rows, make splits, read the truth."""
    from edupulse import features, labels

    make_splits(config)  # an impossible set-up fails before any data work
    dates = config.temporal.all_dates()
    missing = features.missing_dates(engine, dates)
    if missing:
        echo(f"building features for {len(missing)} as-of date(s) "
             f"({missing[0]} .. {missing[-1]}); {len(dates) - len(missing)} already stored")
        features.build_features(engine, missing, progress=progress)
        empty = features.missing_dates(engine, dates)  # dates with no student in the cohort
        if empty:
            raise DatasetError(
                f"no student is enrolled on as-of date(s) {', '.join(map(str, empty))}, so "
                "there is nothing to train or test on: is the district loaded (`edupulse load "
                "DIR`) and do the experiment's dates fall within its school year?")
    else:
        echo(f"features: all {len(dates)} as-of dates already stored")
    frame = features.read_feature_frame(engine, dates)
    labelset = labels.build_labels(engine, dates, config.label.outcome, config.label.horizon_days)
    splits = make_splits(config, data_end=labelset.data_end)
    dataset = assemble(frame, labelset.frame, config.features.columns(), config.cohort)
    if dataset.frame.empty:
        raise DatasetError(
            f"no labelled rows (student x as-of date) for the experiment's {len(dates)} as-of "
            f"dates {dates[0]} .. {dates[-1]}: is the district loaded (`edupulse load DIR`) and "
            f"do the dates fall within its data (last date {labelset.data_end})?")
    echo(f"rows: {len(dataset.frame)} labelled (student x as-of date), "
         f"{labelset.n_excluded} excluded by the label rules, "
         f"{dataset.outside_cohort_rows} outside the cohort; {len(splits)} split(s)")
    truth, notes = None, []
    if config.oracle.ground_truth is not None:
        try:
            truth = read_ground_truth(config.oracle.ground_truth, config.label.outcome,
                                      config.label.horizon_days)
        except OracleError as exc:
            notes.append(f"no oracle figures: {exc}")
            echo(f"warning: {notes[-1]}")
    return Prepared(dataset, splits, _exclusions(labelset), tuple(missing), truth, tuple(notes),
                    labelset.data_end)


def _exclusions(labelset: Any) -> list[dict[str, Any]]:
    """LabelSet.excluded (as_of_date, reason, students) as JSON-ready records."""
    return [{"as_of_date": str(r.as_of_date), "reason": str(r.reason),
             "students": int(r.students)} for r in labelset.excluded.itertuples()]


def grid(config: ExperimentConfig) -> list[ModelRun]:
    """The baseline first (the config's, or the default ABC rule), then the other models."""
    base = config.baseline or DEFAULT_BASELINE
    return [base, *[r for r in config.model_runs() if r.name != base.name]]


def oracle_metrics(truth: GroundTruth | None, data: SplitData, config: ExperimentConfig,
                   ) -> tuple[dict[str, float], str | None]:
    """oracle_* figures of the true probabilities on the split's test rows that have them, and
    a fingerprint of those probabilities (reproduce checks it like the data's)."""
    if truth is None:
        return {}, None
    scores = truth.scores_for(data.test_keys)
    digest = hashlib.sha256(np.ascontiguousarray(scores, dtype="<f8").tobytes()).hexdigest()
    have = ~np.isnan(scores)
    out = {"oracle_coverage": coverage(scores)}
    if have.sum() == 0 or len(np.unique(data.y_test[have])) < 2:
        return out, digest
    keys = data.test_keys[have]
    ev = evaluate(data.y_test[have], scores[have], keys["as_of_date"].to_numpy(),
                  keys["school_code"].astype(str).to_numpy(), config.evaluation, config.seed)
    return out | ev.as_metrics(prefix="oracle_"), digest


def train_split(
    data: SplitData, config: ExperimentConfig, runs: Sequence[ModelRun],
) -> Iterator[tuple[ModelRun, TrainResult | BaseException]]:
    """Fit every run on one split; the baseline (first) sets the comparison for the rest."""
    baseline: TrainResult | None = None
    for run in runs:
        try:
            result = fit_and_evaluate(data, run, config.calibration, config.evaluation,
                                      config.seed)
        except Exception as exc:  # a failing model is reported; the grid goes on
            yield run, exc
            continue
        if run is runs[0]:
            baseline = result
        if baseline is not None:
            result = with_comparisons(result, compare(result.evaluation, baseline.evaluation,
                                                      "baseline"))
        yield run, result


def run_experiment(
    engine: Engine, config: ExperimentConfig, config_text: str, config_name: str,
    settings: Settings, *, progress: bool = True, echo: Echo = print,
) -> ExperimentOutcome:
    """Prepare the data, fit the grid on every split, log it all; returns what happened."""
    from edupulse.privacy.pii_index import build_index
    from edupulse.tracking import runs as log
    from edupulse.tracking.provenance import provenance
    from edupulse.tracking.setup import ensure_experiment

    prepared = prepare(engine, config, progress=progress, echo=echo)
    pii = build_index(engine)  # every text artifact is scanned against it before logging
    prov = provenance()
    experiment_id = ensure_experiment(settings, config.name)
    models = grid(config)
    outcomes: list[ModelOutcome] = []
    with (training_threads(), log.parent_run(experiment_id, config, config_text, config_name,
                                             prov) as parent,
          _bar(len(prepared.splits) * len(models), progress) as tick):
        log.log_dataset_summary(prepared.summary(), pii)
        for split in prepared.splits:
            name = split.name
            try:
                data = make_split_data(prepared.dataset, split)
            except DatasetError as exc:
                for run in models:
                    tick(f"{name}: {run.name}")
                    outcomes.append(_failed(parent, config, None, name, run, exc, prov, echo))
                continue
            extra, oracle_fp = oracle_metrics(prepared.truth, data, config)
            baseline_scores = None
            for run, result in train_split(data, config, models):
                tick(f"{data.name}: {run.name}")
                if isinstance(result, BaseException):
                    outcomes.append(_failed(parent, config, data, name, run, result, prov, echo))
                    continue
                if run is models[0]:
                    baseline_scores = result.test_scores
                try:
                    run_id = log.log_model_run(parent, config, data, result, prov, extra,
                                               None if run is models[0] else baseline_scores,
                                               oracle_fp, pii)
                except Exception as exc:
                    outcomes.append(_failed(parent, config, data, name, run, exc, prov, echo))
                    continue
                metrics = {**result.metrics(), **extra}
                outcomes.append(ModelOutcome(data.name, run.name, run.family, "ok", run_id,
                                             metrics))
                echo(_line(data.name, run.name, metrics, config))
    return ExperimentOutcome(config.name, experiment_id, parent.run_id, tuple(outcomes))


def _failed(parent: Any, config: ExperimentConfig, data: SplitData | None, split: str,
            run: ModelRun, exc: BaseException, prov: Any, echo: Echo) -> ModelOutcome:
    from edupulse.tracking import runs as log

    error = f"{type(exc).__name__}: {exc}"
    detail = "".join(traceback.format_exception(exc))
    run_id = log.log_failed_run(parent, config, data, split, run, detail, prov)
    echo(f"{split}  {run.name:<28} FAILED: {error}")
    return ModelOutcome(split, run.name, run.family, "failed", run_id, error=error)


def _line(split: str, model: str, metrics: dict[str, float], config: ExperimentConfig) -> str:
    key = f"k{config.evaluation.promotion_k:g}"
    diff = metrics.get(f"baseline_diff_precision_at_{key}", float("nan"))
    oracle = metrics.get(f"oracle_precision_at_{key}")
    tail = f"  oracle {oracle:.3f}" if oracle is not None else ""
    return (f"{split}  {model:<28} AUC {metrics['auc']:.3f}  precision@{key} "
            f"{metrics[f'precision_at_{key}']:.3f} (vs ABC {diff:+.3f})  "
            f"Brier {metrics['brier']:.4f}{tail}")


@contextmanager
def training_threads() -> Iterator[None]:
    """One BLAS/OpenMP thread by default: on a shared machine oversubscribed OpenMP threads
    made gradient boosting 5x slower; EDUPULSE_TRAIN_THREADS raises it."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=int(os.environ.get(THREADS_ENV, "1"))):
        yield


@contextmanager
def _bar(total: int, enabled: bool) -> Iterator[Callable[[str], None]]:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    show = enabled and sys.stderr.isatty()
    bar = Progress(TextColumn("train [progress.description]{task.description}"), BarColumn(),
                   MofNCompleteColumn(), TimeElapsedColumn(), console=Console(stderr=True),
                   disable=not show)
    with bar:
        task = bar.add_task("", total=total)
        yield lambda description: bar.update(task, advance=1, description=description)
