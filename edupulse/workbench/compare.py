"""Notebook 03's model comparison (the trained grid as tables a researcher reads side by side)
and what its promotion step did.

The figures are the ones `edupulse train` logged (the run metrics, and the evaluation/ artifacts
of each model run), read back rather than recomputed, so the notebook and the MLflow UI agree.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from edupulse.tracking.pipeline import ExperimentOutcome
    from edupulse.tracking.promotion import Candidate, PromotionResult

HEADLINE = ("auc", "auc_lo", "auc_hi", "precision_at_k5", "precision_at_k10",
            "precision_at_k10_lo", "precision_at_k10_hi", "precision_at_k20", "recall_at_k10",
            "lift_at_k10", "brier", "ece", "baseline_diff_precision_at_k10",
            "oracle_precision_at_k10")


def metric_table(outcome: ExperimentOutcome, metrics: Sequence[str] = HEADLINE) -> pd.DataFrame:
    """One row per model x split (successful runs), the chosen metrics as columns."""
    rows = [{"split": m.split, "model": m.model, "family": m.family, "run_id": m.run_id,
             **{k: m.metrics.get(k, float("nan")) for k in metrics}}
            for m in outcome.models if m.status == "ok"]
    return pd.DataFrame(rows, columns=["split", "model", "family", "run_id", *metrics])


def mean_over_splits(table: pd.DataFrame, metrics: Sequence[str] = HEADLINE) -> pd.DataFrame:
    """What promotion ranks by: each model's mean over the splits, best precision@10% first."""
    present = [m for m in metrics if m in table and not m.endswith(("_lo", "_hi"))]
    out = table.groupby("model")[present].mean()
    out.insert(0, "splits", table.groupby("model").size())
    key = "precision_at_k10" if "precision_at_k10" in out else present[0]
    return out.sort_values(key, ascending=False)


def _artifact_text(run_id: str, path: str) -> str:
    import mlflow

    from edupulse.tracking.runs import quiet_downloads

    with quiet_downloads():
        return mlflow.artifacts.load_text(f"runs:/{run_id}/{path}")


def list_tables(table: pd.DataFrame, tracking_uri: str) -> pd.DataFrame:
    """evaluation/lists.csv of every run: model, split, k, precision (with interval), recall,
    lift at each list size the experiment evaluated."""
    import mlflow

    mlflow.set_tracking_uri(tracking_uri)
    parts = []
    for r in table.itertuples(index=False):
        part = pd.read_csv(io.StringIO(_artifact_text(r.run_id, "evaluation/lists.csv")))
        part.insert(0, "split", r.split)
        part.insert(0, "model", r.model)
        parts.append(part)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def calibration_tables(table: pd.DataFrame, tracking_uri: str) -> pd.DataFrame:
    """evaluation/calibration.json of every run: model, split, bin, mean_predicted,
    observed_rate, count (the reliability diagram's points)."""
    import json

    import mlflow

    mlflow.set_tracking_uri(tracking_uri)
    parts = []
    for r in table.itertuples(index=False):
        cal = json.loads(_artifact_text(r.run_id, "evaluation/calibration.json"))
        part = pd.DataFrame({"mean_predicted": cal["mean_predicted"],
                             "observed_rate": cal["observed_rate"], "count": cal["count"]})
        part.insert(0, "bin", range(1, len(part) + 1))
        part.insert(0, "split", r.split)
        part.insert(0, "model", r.model)
        parts.append(part)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


@dataclass(frozen=True)
class Promotion:
    """What notebook 03's promotion step did: promoted (maybe forced) or refused, and why."""

    candidate: Candidate
    result: PromotionResult | None
    refusal: str | None

    @property
    def promoted(self) -> bool:
        return self.result is not None

    def message(self) -> str:
        """What happened, in the words `edupulse promote` uses."""
        c = self.candidate
        head = f"candidate: {c.model} on {c.split} (run {c.run_id})"
        if self.result is None:
            return (f"{head}\nNOT PROMOTED: {self.refusal}\nNotebooks 04-06 need an active "
                    "model: rerun this notebook with force_promotion=True and a "
                    "promotion_reason to promote it anyway (the reason is recorded).")
        r = self.result
        if r.already_active:
            return f"{head}\n{r.model_version} is already the active version; nothing changed"
        lines = [head, f"active version: {r.model_version} (registry version "
                       f"{r.registry_version}, alias champion)"]
        if r.retired:
            lines.append(f"retired: {r.retired}")
        if r.forced:
            lines.append(f"FORCED past the ABC-baseline gate ({self.refusal}); reason recorded: "
                         f"{r.reason}")
        return "\n".join(lines)
