"""Notebook 03's tables from a literal experiment outcome, and what its promotion step says.
(Reading the evaluation artifacts back from MLflow runs in tests/integration/.)"""

from __future__ import annotations

import datetime as dt

import pytest

from edupulse.tracking.pipeline import ExperimentOutcome, ModelOutcome
from edupulse.tracking.promotion import Candidate, PromotionResult
from edupulse.workbench.compare import Promotion, mean_over_splits, metric_table


def _outcome() -> ExperimentOutcome:
    def ok(split: str, model: str, p10: float, auc: float) -> ModelOutcome:
        return ModelOutcome(split, model, model, "ok", f"{model}-{split}",
                            {"precision_at_k10": p10, "auc": auc})

    return ExperimentOutcome("baseline", "1", "parent", (
        ok("s1", "abc_baseline", 0.70, 0.80), ok("s1", "lr", 0.80, 0.85),
        ok("s2", "abc_baseline", 0.60, 0.78), ok("s2", "lr", 0.70, 0.83),
        ModelOutcome("s2", "rf", "random_forest", "failed", "x", error="ValueError: boom"),
    ))


def test_metric_table_has_a_row_per_successful_run() -> None:
    table = metric_table(_outcome(), ("auc", "precision_at_k10", "brier"))
    assert list(table.columns) == ["split", "model", "family", "run_id", "auc",
                                   "precision_at_k10", "brier"]
    assert len(table) == 4 and "rf" not in set(table["model"])
    assert table["brier"].isna().all()  # not logged: NaN, not an error


def test_mean_over_splits_ranks_by_precision_at_10() -> None:
    means = mean_over_splits(metric_table(_outcome()))
    assert list(means.index) == ["lr", "abc_baseline"]
    assert means.loc["lr", "precision_at_k10"] == pytest.approx(0.75)
    assert means.loc["lr", "splits"] == 2
    assert "auc_lo" not in means  # interval bounds do not average into an interval


def _candidate() -> Candidate:
    return Candidate("run1", "baseline", "lr", "logistic_regression", "s2", "k10", {}, {},
                     dt.datetime(2025, 1, 1, tzinfo=dt.UTC), split_diffs={"s1": -0.01})


def test_promotion_messages() -> None:
    refused = Promotion(_candidate(), None, "lr does not beat the ABC baseline at precision@k10")
    assert not refused.promoted
    assert "NOT PROMOTED: lr does not beat" in refused.message()
    assert "force_promotion=True" in refused.message()
    forced = Promotion(_candidate(), PromotionResult("edupulse-risk/2", "2", "run1", True,
                                                     "pilot", "edupulse-risk/1"), "gate text")
    assert forced.promoted
    lines = forced.message().splitlines()
    assert lines[1] == "active version: edupulse-risk/2 (registry version 2, alias champion)"
    assert lines[2] == "retired: edupulse-risk/1"
    assert "FORCED past the ABC-baseline gate (gate text); reason recorded: pilot" in lines[3]
    again = Promotion(_candidate(), PromotionResult("edupulse-risk/2", "2", "run1", False, None,
                                                    None, already_active=True), None)
    assert "already the active version; nothing changed" in again.message()
