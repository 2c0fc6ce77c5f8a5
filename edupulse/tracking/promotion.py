"""Promotion: the baseline gate -> the MLflow registry -> model_metadata, the one writer of
is_active and model_activations.

A model becomes the active version only when it beats the ABC rule at the experiment's
promotion list size (precision@k of the same test rows), unless a person forces it and says
why. The database step is one transaction: retire the active version, write this version's
model_metadata (the spec's performance_metrics shape), set is_active, append the activation.
Then the registry alias `champion` moves. model_version is "edupulse-risk/<registry version>",
so scoring resolves the exact registered model, never the moving alias.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from edupulse.db.models import ModelActivation, ModelMetadata
from edupulse.experiment import SPEC_K_PERCENT
from edupulse.tracking import runs as tags

REGISTERED_MODEL = "edupulse-risk"
ALIAS = "champion"
MM, MA = ModelMetadata.__table__, ModelActivation.__table__
# The spec's performance_metrics keys and the run metric each is taken from.
SPEC_METRICS = {"accuracy": "accuracy", "precision": "precision", "recall": "recall",
                "f1_score": "f1_score", "auc_roc": "auc", "validation_loss": "log_loss"}


class PromotionError(Exception):
    """Promotion refused or impossible; the message says why and what to do."""


class GateRefused(PromotionError):
    """The model does not beat the ABC baseline at the promotion k."""


@dataclass(frozen=True)
class Candidate:
    """A finished nested run of `edupulse train`, as promotion sees it."""

    run_id: str
    experiment: str
    model: str
    family: str
    split: str
    promotion_key: str  # e.g. "k10"
    metrics: dict[str, float]
    params: dict[str, str]
    trained_at: dt.datetime
    model_uri: str = ""
    # The same model's difference to the ABC rule on every split of its `train` run.
    split_diffs: dict[str, float] = field(default_factory=dict)

    @property
    def diff_metric(self) -> str:
        return f"baseline_diff_precision_at_{self.promotion_key}"

    @property
    def baseline_diff(self) -> float | None:
        """Mean over the splits of (model - ABC) precision at the promotion k: how the model
        holds up across test periods, less noisy than one split's list of a few dozen."""
        if self.split_diffs:
            return sum(self.split_diffs.values()) / len(self.split_diffs)
        return self.metrics.get(self.diff_metric)


@dataclass(frozen=True)
class ActiveVersion:
    """One activation period of a model version."""

    model_version: str
    model_type: str | None
    registry_version: str | None
    mlflow_run_id: str | None
    activated_at: dt.datetime
    retired_at: dt.datetime | None
    forced: bool
    reason: str | None


@dataclass(frozen=True)
class PromotionResult:
    model_version: str
    registry_version: str
    run_id: str
    forced: bool
    reason: str | None
    retired: str | None  # the version that was active before, if any
    already_active: bool = False


# --- the gate and the spec's metrics shape (pure) ------------------------------------------


def gate_message(c: Candidate) -> str | None:
    """None when `c` beats the baseline at its promotion k (mean over its splits); otherwise
    why not, with the figure of every split."""
    diff = c.baseline_diff
    what = f"precision@{c.promotion_key}"
    if diff is None or math.isnan(diff):
        return (f"run {c.run_id} ({c.model}, {c.split}) has no comparison with the ABC baseline "
                f"at {what}, so it cannot be shown to beat it")
    if diff > 0:
        return None
    if c.split_diffs:
        per = ", ".join(f"{k} {v:+.4f}" for k, v in sorted(c.split_diffs.items()))
        return (f"{c.model} does not beat the ABC baseline at {what}: mean difference "
                f"{diff:+.4f} over {len(c.split_diffs)} split(s) ({per})")
    own = c.metrics.get(f"precision_at_{c.promotion_key}", math.nan)
    return (f"run {c.run_id} ({c.model}, {c.split}) does not beat the ABC baseline at {what}: "
            f"{own:.4f} vs baseline {own - diff:.4f} (difference {diff:+.4f})")


def performance_metrics(c: Candidate) -> dict[str, Any]:
    """The spec's JSON shape, then EduPulse's extras under their own keys.

    accuracy/precision/recall/f1_score: of flagging the promotion list (top k% per as-of
    date); auc_roc: ROC AUC; precision_at_k: the top 5/10/20% lists; validation_loss: log loss
    of the calibrated probabilities; samples: rows (student x as-of date) of the split.
    """
    g = c.metrics.get
    out: dict[str, Any] = {spec: g(metric) for spec, metric in SPEC_METRICS.items()}
    out["precision_at_k"] = {f"k{k}": g(f"precision_at_k{k}") for k in SPEC_K_PERCENT}
    out["training_samples"] = int(g("training_samples", 0))
    out["validation_samples"] = int(g("validation_samples", 0))
    out["edupulse"] = {
        "promotion_k": c.promotion_key, "experiment": c.experiment, "model": c.model,
        "split": c.split, "mlflow_run_id": c.run_id,
        "auc_ci": [g("auc_lo"), g("auc_hi")], "brier": g("brier"), "ece": g("ece"),
        "recall_at_k": {k[len("recall_at_"):]: v for k, v in c.metrics.items()
                        if k.startswith("recall_at_")},
        "lift_at_k": {k[len("lift_at_"):]: v for k, v in c.metrics.items()
                      if k.startswith("lift_at_")},
        "baseline_diff": {k[len("baseline_diff_"):]: v for k, v in c.metrics.items()
                          if k.startswith("baseline_diff_")},
        "gate": {"metric": c.diff_metric, "mean_over_splits": c.baseline_diff,
                 "per_split": dict(c.split_diffs)},
        "oracle": {k[len("oracle_"):]: v for k, v in c.metrics.items()
                   if k.startswith("oracle_")},
    }
    return _json_safe(out)


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


# --- the database step (the only writer of is_active and model_activations) -----------------


def utc(value: dt.datetime) -> dt.datetime:
    """Aware UTC; a naive value is taken to be UTC already."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _bind(conn: sa.Connection, value: dt.datetime) -> dt.datetime:
    # SQLite stores DATETIME as text without an offset: write and compare naive UTC there.
    v = utc(value)
    return v.replace(tzinfo=None) if conn.dialect.name == "sqlite" else v


def activate(
    conn: sa.Connection, *, model_version: str, model_type: str, training_date: dt.datetime,
    performance: dict[str, Any], hyperparameters: dict[str, Any], mlflow_run_id: str,
    registry_version: str, forced: bool, reason: str | None, now: dt.datetime,
) -> str | None:
    """Make `model_version` the single active version inside the caller's transaction;
    returns the version it retired (None if none was active or it was this one)."""
    at = _bind(conn, now)
    current = conn.execute(
        sa.select(MM.c.model_version).where(MM.c.is_active.is_(True)).with_for_update()
    ).scalar_one_or_none()
    if current == model_version:
        return None
    if current is not None:
        conn.execute(MM.update().where(MM.c.model_version == current).values(is_active=False))
    conn.execute(MA.update().where(MA.c.retired_at.is_(None)).values(retired_at=at))
    values = dict(model_type=model_type, training_date=_bind(conn, training_date),
                  performance_metrics=performance, hyperparameters=hyperparameters,
                  is_active=True)
    updated = conn.execute(MM.update().where(MM.c.model_version == model_version)
                           .values(**values)).rowcount
    if not updated:
        conn.execute(MM.insert().values(model_version=model_version, **values))
    conn.execute(MA.insert().values(
        model_version=model_version, activated_at=at, retired_at=None,
        mlflow_run_id=mlflow_run_id, registry_version=registry_version, forced=forced,
        reason=reason))
    return current


def active_version(conn: sa.Connection, at: dt.datetime | None = None) -> ActiveVersion | None:
    """The version active now, or the one that was active at `at` (activated on or before it
    and not yet retired at it)."""
    q = sa.select(MA, MM.c.model_type).join(MM, MM.c.model_version == MA.c.model_version)
    if at is None:
        q = q.where(MM.c.is_active.is_(True), MA.c.retired_at.is_(None))
    else:
        when = _bind(conn, at)
        q = q.where(MA.c.activated_at <= when,
                    sa.or_(MA.c.retired_at.is_(None), MA.c.retired_at > when))
    row = conn.execute(q.order_by(MA.c.activated_at.desc()).limit(1)).first()
    return None if row is None else _version(row)


def history(conn: sa.Connection) -> list[ActiveVersion]:
    """Every activation period, oldest first."""
    q = (sa.select(MA, MM.c.model_type).join(MM, MM.c.model_version == MA.c.model_version)
         .order_by(MA.c.activated_at, MA.c.created_at))
    return [_version(r) for r in conn.execute(q)]


def _version(row: Any) -> ActiveVersion:
    return ActiveVersion(row.model_version, row.model_type, row.registry_version,
                         row.mlflow_run_id, utc(row.activated_at),
                         utc(row.retired_at) if row.retired_at else None, bool(row.forced),
                         row.reason)


# --- MLflow side ---------------------------------------------------------------------------


def candidate(client: Any, run_id: str) -> Candidate:
    """The nested model run `run_id`, checked to be a finished `edupulse train` model run."""
    from mlflow.exceptions import MlflowException

    try:
        run = client.get_run(run_id)
    except MlflowException:
        raise PromotionError(f"no MLflow run {run_id!r} in the tracking store") from None
    t = run.data.tags
    if t.get(tags.KIND) != "model":
        raise PromotionError(f"run {run_id} is not a model run of `edupulse train` "
                             "(pass a nested model x split run, or use --experiment/--best)")
    if run.info.status != "FINISHED" or t.get(tags.STATUS) != "ok":
        raise PromotionError(f"run {run_id} did not finish ({run.info.status}): "
                             f"{t.get(tags.ERROR, '')[:200]}")
    key = t.get(tags.PROMOTION_K, "k10")
    return Candidate(run_id, t.get(tags.EXPERIMENT, ""), t.get(tags.MODEL, ""),
                     t.get(tags.FAMILY, ""), t.get(tags.SPLIT, ""), key,
                     dict(run.data.metrics), dict(run.data.params),
                     dt.datetime.fromtimestamp(run.info.end_time / 1000, tz=dt.UTC),
                     t.get(tags.MODEL_URI) or f"runs:/{run_id}/{tags.MODEL_ARTIFACT}",
                     _split_diffs(client, run, f"baseline_diff_precision_at_{key}"))


def _split_diffs(client: Any, run: Any, metric: str) -> dict[str, float]:
    """`metric` of every finished run of the same model in the same `train` run."""
    t = run.data.tags
    parent = t.get("mlflow.parentRunId")
    if not parent:
        return {}
    siblings = client.search_runs(
        [run.info.experiment_id], filter_string=f"tags.`mlflow.parentRunId` = '{parent}' and "
        f"tags.`{tags.STATUS}` = 'ok' and attributes.status = 'FINISHED'", max_results=5000)
    return {r.data.tags[tags.SPLIT]: r.data.metrics[metric] for r in siblings
            if r.data.tags.get(tags.MODEL) == t.get(tags.MODEL) and metric in r.data.metrics}


def best_candidate(client: Any, experiment: str, metric: str) -> Candidate:
    """In the latest `edupulse train` of `experiment`: the model (not the ABC rule) with the
    best mean `metric` over the splits, taken on its latest split (the most recent data)."""
    exp = client.get_experiment_by_name(experiment)
    if exp is None:
        raise PromotionError(f"no MLflow experiment named {experiment!r}: run "
                             f"`edupulse train experiments/{experiment}.yaml` first")
    parents = client.search_runs([exp.experiment_id],
                                 filter_string=f"tags.`{tags.KIND}` = 'experiment'",
                                 order_by=["attributes.start_time DESC"], max_results=1)
    if not parents:
        raise PromotionError(f"experiment {experiment!r} has no `edupulse train` run yet")
    parent = parents[0].info.run_id
    children = client.search_runs(
        [exp.experiment_id], filter_string=f"tags.`mlflow.parentRunId` = '{parent}' and "
        f"tags.`{tags.STATUS}` = 'ok' and attributes.status = 'FINISHED'", max_results=5000)
    models = [r for r in children if r.data.tags.get(tags.FAMILY) != "abc_baseline"]
    with_metric = [r for r in models if metric in r.data.metrics]
    if not with_metric:
        known = sorted({k for r in models for k in r.data.metrics})
        hint = f"; metrics logged: {', '.join(known[:12])} ..." if known else ""
        raise PromotionError(f"no finished model run of {experiment!r} (run {parent}) has the "
                             f"metric {metric!r}{hint}")
    by_model: dict[str, list[Any]] = {}
    for r in with_metric:
        by_model.setdefault(r.data.tags[tags.MODEL], []).append(r)
    best = max(sorted(by_model), key=lambda name: _mean(by_model[name], metric))
    latest = max(by_model[best], key=lambda r: r.data.tags.get(tags.SPLIT, ""))
    return candidate(client, latest.info.run_id)


def _mean(runs: list[Any], metric: str) -> float:
    values = [r.data.metrics[metric] for r in runs]
    return sum(values) / len(values)


def _registry_version(client: Any, run_id: str, model_uri: str) -> str:
    """The registry version of this run's model: reused if registered before, else new."""
    import mlflow

    existing = client.search_model_versions(f"name = '{REGISTERED_MODEL}' and run_id = '{run_id}'")
    if existing:
        return str(min(int(v.version) for v in existing))
    mv = mlflow.register_model(model_uri, REGISTERED_MODEL, tags={"edupulse.run_id": run_id})
    return str(mv.version)


def _hyperparameters(cand: Candidate) -> dict[str, Any]:
    import mlflow
    from mlflow.exceptions import MlflowException

    try:
        with tags.quiet_downloads():
            return dict(mlflow.artifacts.load_dict(
                f"runs:/{cand.run_id}/{tags.HYPERPARAMETERS_ARTIFACT}"))
    except (MlflowException, OSError):  # a run logged without it: its params, as text
        return {k: v for k, v in cand.params.items() if k.startswith(("hp.", "param."))}


def promote(
    engine: Engine, client: Any, cand: Candidate, *, force: bool = False,
    reason: str | None = None, now: dt.datetime | None = None,
) -> PromotionResult:
    """Gate, register, write model_metadata + activation (one transaction), move the alias."""
    refusal = gate_message(cand)
    if force and not (reason and reason.strip()):
        raise PromotionError("--force needs --reason TEXT: the reason is recorded with the "
                             "activation")
    if refusal and not force:
        raise GateRefused(f"{refusal}. Refused: promote it anyway only with --force "
                          "--reason TEXT (recorded).")
    registry_version = _registry_version(client, cand.run_id, cand.model_uri)
    model_version = f"{REGISTERED_MODEL}/{registry_version}"
    hyper = _hyperparameters(cand)
    with engine.begin() as conn:
        if (current := active_version(conn)) is not None and current.model_version == \
                model_version:
            return PromotionResult(model_version, registry_version, cand.run_id, False, None,
                                   None, already_active=True)
        retired = activate(
            conn, model_version=model_version, model_type=cand.family,
            training_date=cand.trained_at, performance=performance_metrics(cand),
            hyperparameters=hyper, mlflow_run_id=cand.run_id, registry_version=registry_version,
            forced=bool(refusal), reason=reason.strip() if reason else None,
            now=now or dt.datetime.now(dt.UTC),
        )
    client.set_registered_model_alias(REGISTERED_MODEL, ALIAS, registry_version)
    client.set_model_version_tag(REGISTERED_MODEL, registry_version, "edupulse.forced",
                                 str(bool(refusal)).lower())
    return PromotionResult(model_version, registry_version, cand.run_id, bool(refusal),
                           reason, retired)
