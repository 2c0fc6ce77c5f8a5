"""Plain-language findings: the verdict plus the direction (who the difference works against)."""

from __future__ import annotations

import numpy as np

from edupulse.fairness.audit import run_audit
from edupulse.fairness.summary import summarise
from tests.fairness.builders import scored, sensitive, settings, synthetic


def test_a_group_whose_at_risk_students_are_missed_is_named_as_worse_off() -> None:
    frame = synthetic(4000, seed=9)
    in_b = (frame["group"] == "B").to_numpy()
    # B's at-risk students score like everybody else: the list misses them.
    frame.loc[in_b & (frame["label"] == 1).to_numpy(), "score"] = np.round(
        np.random.default_rng(0).uniform(0, 0.6, int((in_b & (frame["label"] == 1)).sum())), 3)
    result = run_audit(scored(frame), sensitive(frame), settings(top_pct=20, n_boot=200,
                                                                   min_cell=10))
    s = summarise(result)
    recall = [f for f in s.findings if f.metric == "recall"]
    assert recall and recall[0].group == "B" and recall[0].worse_off == "B"
    assert recall[0].ratio < 0.8 and recall[0].hi < 0.8
    fnr = [f for f in s.findings if f.metric == "fnr"]
    assert all(f.worse_off == "B" for f in fnr)
    assert s.counts["recall"] == {"unfair": 1}
    lines = s.lines()
    assert lines[0] == "The list flags 800 of 4,000 students (20.0%; rule: top 20% of scores)."
    assert any(line.startswith("- group = B vs A: share of at-risk students the list finds")
               and "95% interval" in line and "worse for B" in line for line in lines)


def test_no_comparison_no_findings() -> None:
    frame = synthetic(300, seed=1).assign(group="A")
    s = summarise(run_audit(scored(frame), sensitive(frame), settings(min_cell=10)))
    assert s.findings == () and all(c == {} for c in s.counts.values())
    assert any("only one group" in n for n in s.notes)
