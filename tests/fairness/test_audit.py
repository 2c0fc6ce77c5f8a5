"""The whole audit on tiny lists: hand-computed values and every edge case the issue names."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from edupulse.fairness.audit import (
    ALL_STUDENTS,
    GROUP_METRIC_COLUMNS,
    OVERALL,
    AuditResult,
    run_audit,
)
from edupulse.fairness.disparity import NOT_COMPUTABLE, REFERENCE
from tests.fairness.builders import HAND, TINY, scored, sensitive, settings, synthetic


def _audit(frame: pd.DataFrame, *columns: str, **kw: object) -> AuditResult:
    return run_audit(scored(frame), sensitive(frame, *columns), settings(**kw))


def _row(result: AuditResult, attribute: str, group: str) -> pd.Series:
    gm = result.group_metrics
    return gm[(gm["attribute"] == attribute) & (gm["group"] == group)].iloc[0]


def test_group_metrics_equal_hand_computed_values() -> None:
    result = _audit(TINY)
    gm = result.group_metrics
    assert list(gm.columns) == list(GROUP_METRIC_COLUMNS)
    assert list(zip(gm["attribute"], gm["group"], strict=True)) == [
        (OVERALL, ALL_STUDENTS), ("group", "A"), ("group", "B")]
    for group, attribute in (("A", "group"), ("B", "group"), (ALL_STUDENTS, OVERALL)):
        row = _row(result, attribute, group)
        for metric, value in HAND[group].items():
            if value is not None:
                assert row[metric] == pytest.approx(value), (group, metric)


def test_disparities_against_the_largest_group_by_hand() -> None:
    d = _audit(TINY).disparities.set_index(["group", "metric"])
    assert d.loc[("A", "recall"), "verdict"] == REFERENCE
    assert d.loc[("B", "recall"), "reference_group"] == "A"
    assert d.loc[("B", "recall"), "ratio"] == pytest.approx((1 / 2) / (1 / 3))
    assert d.loc[("B", "fnr"), "ratio"] == pytest.approx((1 / 2) / (2 / 3))
    assert d.loc[("B", "false_omission_rate"), "ratio"] == pytest.approx((1 / 3) / (2 / 4))
    lo, hi = d.loc[("B", "recall"), ["lo", "hi"]]
    assert lo <= d.loc[("B", "recall"), "ratio"] <= hi


def test_the_summary_counts_the_list() -> None:
    s = _audit(TINY).summary
    assert (s.n_students, s.n_flagged, s.n_positive, s.cutoff) == (10, 3, 5, 0.8)


def test_a_group_with_no_positives_is_reported_not_a_crash() -> None:
    frame = synthetic(300, seed=1)
    frame.loc[frame["group"] == "B", "label"] = 0
    result = _audit(frame)
    row = _row(result, "group", "B")
    assert row["prevalence"] == 0 and math.isnan(row["recall"]) and math.isnan(row["auc"])
    d = result.disparities.set_index(["group", "metric"])
    assert d.loc[("B", "recall"), "verdict"] == NOT_COMPUTABLE
    assert d.loc[("B", "selection_rate"), "verdict"] != NOT_COMPUTABLE
    assert any("no student in B had the outcome" in n for n in result.notes)


def test_no_flagged_students() -> None:
    result = _audit(TINY, top_pct=None, threshold=2.0)
    overall = _row(result, OVERALL, ALL_STUDENTS)
    assert overall["selection_rate"] == 0 and overall["recall"] == 0
    assert math.isnan(overall["precision"])
    assert any("No student is flagged" in n for n in result.notes)
    d = result.disparities.set_index(["group", "metric"])
    assert d.loc[("B", "precision"), "verdict"] == NOT_COMPUTABLE
    assert d.loc[("B", "recall"), "ratio"] == 1.0  # 0 / 0: both groups equally missed


def test_all_students_flagged() -> None:
    result = _audit(TINY, top_pct=100)
    overall = _row(result, OVERALL, ALL_STUDENTS)
    assert overall["selection_rate"] == 1 and overall["recall"] == 1
    assert math.isnan(overall["false_omission_rate"])
    assert any("Every student is flagged" in n for n in result.notes)


def test_a_single_group_has_only_the_reference_row() -> None:
    frame = TINY.assign(group="A")
    result = _audit(frame)
    assert set(result.disparities["verdict"]) == {REFERENCE}
    assert any("only one group" in n for n in result.notes)


def test_missing_group_values_form_an_unknown_group() -> None:
    frame = synthetic(300, seed=2).astype({"group": object})
    frame.loc[frame.index[:40], "group"] = None
    result = _audit(frame)
    assert "unknown" in set(result.group_metrics["group"])
    assert int(_row(result, "group", "unknown")["n"]) == 40
    assert any("'unknown'" in n for n in result.notes)


def test_intersections_are_audited_like_attributes() -> None:
    frame = synthetic(600, seed=3)
    result = _audit(frame, "group", "other", attributes=("group", "other"),
                    intersections=(("group", "other"),))
    groups = result.group_metrics.query("attribute == 'group x other'")["group"]
    assert list(groups) == ["A & x", "A & y", "B & x", "B & y"]
    assert int(result.group_metrics.query("attribute == 'group x other'")["n"].sum()) == 600


def test_same_input_same_result_other_seed_other_intervals() -> None:
    frame = synthetic(400, seed=4)
    a, b = _audit(frame), _audit(frame)
    pd.testing.assert_frame_equal(a.group_metrics, b.group_metrics)
    pd.testing.assert_frame_equal(a.disparities, b.disparities)
    c = _audit(frame, seed=1)
    pd.testing.assert_frame_equal(a.group_metrics[["n", "recall"]], c.group_metrics[["n",
                                                                                      "recall"]])
    assert not np.allclose(a.group_metrics["recall_lo"], c.group_metrics["recall_lo"])


def test_result_tables_are_copies() -> None:
    result = _audit(TINY)
    table = result.group_metrics
    table.loc[0, "recall"] = 99.0
    assert result.group_metrics.loc[0, "recall"] != 99.0


def test_misaligned_sensitive_attributes_are_refused() -> None:
    with pytest.raises(ValueError, match="one row per scored student"):
        run_audit(scored(TINY), sensitive(TINY).iloc[:5], settings())


def test_an_empty_list_is_refused() -> None:
    with pytest.raises(ValueError, match="the scored list is empty"):
        run_audit(scored(TINY.iloc[:0]), sensitive(TINY.iloc[:0]), settings())


def test_a_population_below_the_limit_publishes_no_figure() -> None:
    result = _audit(TINY, min_cell=20)
    assert result.group_metrics["suppressed"].all()
    assert result.summary.n_students is None
    assert result.group_metrics["n"].isna().all()
