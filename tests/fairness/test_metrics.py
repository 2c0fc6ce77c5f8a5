"""Flags at the list size and group metrics, against values computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from edupulse.fairness.metrics import auc, flag, group_metrics, rates
from edupulse.fairness.settings import METRICS
from tests.fairness.builders import HAND, TINY, settings


def test_top_pct_flags_the_highest_scores() -> None:
    f = flag(TINY["score"].to_numpy(), TINY["id"].to_numpy(), settings(top_pct=30))
    assert list(TINY["id"][f.flagged]) == ["a1", "a2", "b1"]
    assert (f.n_flagged, f.cutoff, f.tied_at_cutoff, f.tied_flagged) == (3, 0.8, 1, 1)


def test_list_size_rounds_half_up() -> None:
    scores, ids = np.arange(10.0), np.array([f"s{i}" for i in range(10)])
    assert flag(scores, ids, settings(top_pct=25)).n_flagged == 3  # 2.5 -> 3
    assert flag(scores, ids, settings(top_pct=24)).n_flagged == 2  # 2.4 -> 2
    assert flag(scores, ids, settings(top_pct=100)).n_flagged == 10


def test_ties_at_the_cut_off_are_broken_by_id_and_counted() -> None:
    scores = np.array([0.9, 0.5, 0.5, 0.5, 0.1])
    ids = np.array(["e", "d", "b", "c", "a"])
    f = flag(scores, ids, settings(top_pct=40))  # k = 2: "e", then "b" of the three tied
    assert list(ids[f.flagged]) == ["e", "b"]
    assert (f.cutoff, f.tied_at_cutoff, f.tied_flagged) == (0.5, 3, 1)


def test_threshold_flags_scores_at_or_above_it() -> None:
    f = flag(TINY["score"].to_numpy(), TINY["id"].to_numpy(),
             settings(top_pct=None, threshold=0.7))
    assert list(TINY["id"][f.flagged]) == ["a1", "a2", "a3", "b1"]


def test_a_tiny_share_flags_nobody() -> None:
    f = flag(np.arange(10.0), np.arange(10), settings(top_pct=1))
    assert f.n_flagged == 0 and f.cutoff is None


def test_rates_from_confusion_counts_by_hand() -> None:
    r = rates(1, 1, 2, 2)
    for metric, value in HAND["A"].items():
        if metric not in ("n", "auc"):
            assert r[metric] == pytest.approx(value), metric


def test_undefined_rates_are_nan_not_zero() -> None:
    r = rates(0, 3, 0, 7)  # nobody had the outcome
    assert math.isnan(r["recall"]) and math.isnan(r["fnr"])
    assert r["precision"] == 0.0
    r = rates(0, 0, 4, 6)  # nobody flagged
    assert math.isnan(r["precision"]) and r["recall"] == 0.0 and r["fnr"] == 1.0


def test_auc_counts_ties_as_half() -> None:
    assert auc([1, 0, 1, 0], [0.5, 0.5, 0.9, 0.1]) == pytest.approx(0.875)
    assert math.isnan(auc([1, 1, 1], [0.2, 0.3, 0.4]))


def test_group_metrics_via_metricframe_match_hand_values() -> None:
    f = flag(TINY["score"].to_numpy(), TINY["id"].to_numpy(), settings(top_pct=30))
    out = group_metrics(TINY["label"].to_numpy(), f.flagged, TINY["score"].to_numpy(),
                        TINY["group"])
    assert list(out.columns) == ["n", *METRICS]
    for group in ("A", "B"):
        for metric, value in HAND[group].items():
            assert out.at[group, metric] == pytest.approx(value), (group, metric)
    overall = out.loc["__overall__"]
    for metric, value in HAND["all students"].items():
        if value is not None:
            assert overall[metric] == pytest.approx(value), metric


def test_group_with_one_outcome_has_undefined_auc_and_recall() -> None:
    frame = pd.DataFrame({"label": [0, 0, 1, 0], "flag": [1, 0, 1, 0],
                          "score": [0.9, 0.1, 0.8, 0.2], "g": ["A", "A", "B", "B"]})
    out = group_metrics(frame["label"].to_numpy(), frame["flag"].to_numpy(bool),
                        frame["score"].to_numpy(), frame["g"])
    assert math.isnan(out.at["A", "recall"]) and math.isnan(out.at["A", "auc"])
    assert out.at["A", "precision"] == 0.0 and out.at["B", "auc"] == 1.0
