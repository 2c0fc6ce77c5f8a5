"""Mitigation side by side: both fairlearn methods fitted on training data, never applied."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from edupulse.fairness.mitigation import (
    COLUMNS,
    MitigationData,
    ScoreAsModel,
    compare_mitigations,
)
from tests.fairness.builders import settings


def _biased(n: int, seed: int) -> MitigationData:
    """Group B's at-risk students look less at risk in the one input: the list misses them."""
    rng = np.random.default_rng(seed)
    group = rng.choice(["A", "B"], size=n, p=[0.6, 0.4])
    y = rng.binomial(1, 0.3, n)
    signal = y * np.where(group == "A", 1.6, 0.5) + rng.normal(0, 0.7, n)
    return MitigationData(pd.DataFrame({"signal": signal}), y, pd.Series(group, name="group"))


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return compare_mitigations(LogisticRegression(), _biased(3000, 1), _biased(3000, 2),
                               settings(top_pct=20, min_cell=10)).frame


def test_the_table_lists_the_model_and_both_mitigations(table: pd.DataFrame) -> None:
    assert list(table.columns) == list(COLUMNS)
    assert list(table["method"]) == [
        "as audited (top 20% of scores)",
        "ThresholdOptimizer (true_positive_rate_parity)",
        "ExponentiatedGradient (true_positive_rate_parity)",
    ]
    assert list(table["uses_group_at_decision"]) == [False, True, False]
    assert table.loc[0, "selection_rate"] == pytest.approx(0.2, abs=1e-3)


def test_mitigation_narrows_the_recall_gap_at_a_cost(table: pd.DataFrame) -> None:
    assert table.loc[0, "worst_recall_ratio"] < 0.8  # the list misses group B's at-risk students
    for i in (1, 2):
        assert table.loc[i, "recall_gap"] < table.loc[0, "recall_gap"] / 2, table.loc[i, "method"]
    # With one input and no group at decision time, parity comes from flagging almost nobody:
    # exactly the cost a researcher must see before choosing.
    assert table.loc[2, "selection_rate"] < table.loc[0, "selection_rate"]
    assert table.loc[1, "worst_recall_ratio"] > 0.8


def test_the_same_seed_gives_the_same_table(table: pd.DataFrame) -> None:
    again = compare_mitigations(LogisticRegression(), _biased(3000, 1), _biased(3000, 2),
                                settings(top_pct=20, min_cell=10)).frame
    pd.testing.assert_frame_equal(table, again)


def test_a_vendor_score_is_post_processed_as_is() -> None:
    train, test = _biased(2000, 3), _biased(2000, 4)
    as_score = [MitigationData(d.X.rename(columns={"signal": "score"}), d.y, d.sensitive)
                for d in (train, test)]
    out = compare_mitigations(ScoreAsModel().fit(None, None), *as_score,
                              settings(top_pct=20, min_cell=10), prefit=True,
                              reductions_estimator=LogisticRegression()).frame
    assert len(out) == 3 and out["accuracy"].between(0, 1).all()


def test_sensitive_attributes_are_refused_as_model_inputs() -> None:
    d = _biased(50, 0)
    with pytest.raises(ValueError, match=r"model inputs contain \['gender'\]"):
        MitigationData(d.X.assign(gender="F"), d.y, d.sensitive)
    with pytest.raises(ValueError, match=r"model inputs contain \['group'\]"):
        MitigationData(d.X.assign(group="A"), d.y, d.sensitive)


def test_unknown_constraints_are_named() -> None:
    d = _biased(100, 0)
    with pytest.raises(ValueError, match="unknown constraint 'parity'"):
        compare_mitigations(LogisticRegression(), d, d, settings(), constraint="parity")
