"""`edupulse reproduce RUN_ID`: re-run a logged model run from its own config and compare.

The config is read back from the parent run's artifact (exactly the file that ran), the rows are
rebuilt from the current database, and the data fingerprint must match the logged one: if the
data changed, the numbers could not be the same and we say so instead of comparing. Otherwise
the same seed must give every metric equal to the original, to the last digit.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine

from edupulse.experiment import ExperimentConfig, parse_experiment
from edupulse.modeling.dataset import split_data
from edupulse.tracking import runs as tags
from edupulse.tracking.pipeline import grid, oracle_metrics, prepare, training_threads
from edupulse.tracking.pipeline import train_split as fit_grid


class ReproduceError(Exception):
    """The run cannot be reproduced; the message says why."""


class FingerprintMismatch(ReproduceError):
    """The current data is not the data the run was trained and tested on."""


@dataclass(frozen=True)
class MetricCheck:
    name: str
    original: float
    reproduced: float | None

    @property
    def equal(self) -> bool:
        if self.reproduced is None:
            return False
        both_nan = math.isnan(self.original) and math.isnan(self.reproduced)
        return both_nan or self.original == self.reproduced


@dataclass(frozen=True)
class Reproduction:
    run_id: str
    model: str
    split: str
    fingerprint: str
    checks: tuple[MetricCheck, ...]
    code_changed: bool  # the git commit differs from the run's (reported, not refused)

    @property
    def identical(self) -> bool:
        return all(c.equal for c in self.checks)


def _targets(client: Any, run_id: str) -> tuple[Any, list[Any]]:
    from mlflow.exceptions import MlflowException

    try:
        run = client.get_run(run_id)
    except MlflowException:
        raise ReproduceError(f"no MLflow run {run_id!r} in the tracking store") from None
    kind = run.data.tags.get(tags.KIND)
    if kind == "model":
        if run.data.tags.get(tags.STATUS) != "ok":
            raise ReproduceError(f"run {run_id} failed when it ran; there is nothing to compare")
        return client.get_run(run.data.tags["mlflow.parentRunId"]), [run]
    if kind == "experiment":
        children = client.search_runs(
            [run.info.experiment_id],
            filter_string=f"tags.`mlflow.parentRunId` = '{run_id}' and "
                          f"tags.`{tags.STATUS}` = 'ok'", max_results=5000)
        return run, sorted(children, key=lambda r: (r.data.tags[tags.SPLIT],
                                                    r.data.tags[tags.MODEL]))
    raise ReproduceError(f"run {run_id} is not an `edupulse train` run (no {tags.KIND} tag)")


def load_config(parent: Any) -> ExperimentConfig:
    import mlflow

    name = parent.data.tags.get(tags.CONFIG_FILE)
    uri = f"runs:/{parent.info.run_id}/{tags.CONFIG_ARTIFACT_DIR}/{name}"
    with tags.quiet_downloads():
        text = mlflow.artifacts.load_text(uri)
    return parse_experiment(text, source=f"{uri}")


def reproduce(
    engine: Engine, client: Any, run_id: str, *, progress: bool = True,
    echo: Callable[[str], None] = print, commit: str | None = None,
) -> list[Reproduction]:
    """Re-fit the run (or every model run of an experiment run) and compare every metric.

    Raises FingerprintMismatch before fitting anything when the data differs.
    """
    parent, targets = _targets(client, run_id)
    config = load_config(parent)
    prepared = prepare(engine, config, progress=progress, echo=echo)
    splits = {s.name: s for s in prepared.splits}
    results: list[Reproduction] = []
    by_split: dict[str, list[Any]] = {}
    for run in targets:
        by_split.setdefault(run.data.tags[tags.SPLIT], []).append(run)
    for split_name, runs in by_split.items():
        if split_name not in splits:
            raise ReproduceError(f"split {split_name} is not in the run's config any more")
        data = split_data(prepared.dataset, splits[split_name])
        for run in runs:
            logged = run.data.tags.get(tags.FINGERPRINT)
            if logged != data.fingerprint.combined:
                raise FingerprintMismatch(_mismatch(run, split_name, data.fingerprint))
        wanted = {r.data.tags[tags.MODEL] for r in runs}
        models = grid(config)
        # The baseline is always fitted first: the comparisons need it.
        chosen = [m for m in models if m.name in wanted or m is models[0]]
        extra, oracle_fp = oracle_metrics(prepared.truth, data, config)
        for run in runs:
            logged = run.data.tags.get(tags.ORACLE_FP)
            if logged != oracle_fp:
                raise FingerprintMismatch(
                    f"run {run.info.run_id} ({split_name}): the ground truth's probabilities for "
                    f"the test rows differ from those the run was scored against "
                    f"({config.oracle.ground_truth}): the oracle figures cannot be reproduced. "
                    "Use the ground-truth file of the data the run used.")
        with training_threads():
            fitted = dict((m.name, r) for m, r in fit_grid(data, config, chosen))
        for run in runs:
            name = run.data.tags[tags.MODEL]
            result = fitted.get(name)
            if isinstance(result, BaseException) or result is None:
                raise ReproduceError(f"{name} on {split_name} failed when re-run: {result}")
            now = {**result.metrics(), **extra}
            checks = tuple(MetricCheck(k, v, now.get(k))
                           for k, v in sorted(run.data.metrics.items()))
            results.append(Reproduction(
                run.info.run_id, name, split_name, data.fingerprint.combined, checks,
                code_changed=commit is not None
                and run.data.tags.get("edupulse.git_commit") != commit))
    return results


def _mismatch(run: Any, split: str, now: Any) -> str:
    t = run.data.tags
    logged = t.get(tags.FINGERPRINT) or "none"
    train = "the same" if t.get(tags.TRAIN_FP) == now.train else "different"
    test = "the same" if t.get(tags.TEST_FP) == now.test else "different"
    return (f"run {run.info.run_id} ({split}) was trained and tested on data with fingerprint "
            f"{logged[:16]}..., the current database gives {now.combined[:16]}... (training "
            f"rows {train}, test rows {test}): the data changed since the run, so its metrics "
            "cannot be reproduced. Load the data the run used, or train again.")
