"""Tiny scored lists for the fairness tests, small enough to check by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd

from edupulse.fairness.audit import AuditSource, ScoredList
from edupulse.fairness.settings import AuditSettings

# Group A (6): flagged at top 30% of 10 -> a1, a2 (and b1 from B).
#   tp=1 (a1) fp=1 (a2) fn=2 (a3, a4) tn=2 (a5, a6); AUC 7/9.
# Group B (4): tp=1 (b1) fp=0 fn=1 (b2) tn=2 (b3, b4); AUC 1.
TINY = pd.DataFrame({
    "id": ["a1", "a2", "a3", "a4", "a5", "a6", "b1", "b2", "b3", "b4"],
    "score": [0.9, 0.8, 0.7, 0.4, 0.3, 0.2, 0.85, 0.6, 0.5, 0.1],
    "label": [1, 0, 1, 1, 0, 0, 1, 1, 0, 0],
    "group": ["A"] * 6 + ["B"] * 4,
})

HAND = {  # (tp, fp, fn, tn) -> every metric, by hand
    "A": dict(n=6, prevalence=3 / 6, selection_rate=2 / 6, precision=1 / 2, recall=1 / 3,
              fnr=2 / 3, fpr=1 / 3, false_omission_rate=2 / 4, auc=7 / 9),
    "B": dict(n=4, prevalence=2 / 4, selection_rate=1 / 4, precision=1.0, recall=1 / 2,
              fnr=1 / 2, fpr=0.0, false_omission_rate=1 / 3, auc=1.0),
    "all students": dict(n=10, prevalence=5 / 10, selection_rate=3 / 10, precision=2 / 3,
                         recall=2 / 5, fnr=3 / 5, fpr=1 / 5, false_omission_rate=3 / 7,
                         auc=None),
}


def scored(frame: pd.DataFrame) -> ScoredList:
    return ScoredList(frame[["id", "score", "label"]].reset_index(drop=True),
                      AuditSource("csv", "test list", "had the outcome"))


def sensitive(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    return frame[list(columns or ("group",))].reset_index(drop=True)


def settings(**kw: object) -> AuditSettings:
    base: dict[str, object] = dict(attributes=("group",), top_pct=30, min_cell=1, n_boot=200)
    base.update(kw)
    return AuditSettings(**base)  # type: ignore[arg-type]


def synthetic(n: int, seed: int = 0, groups: dict[str, float] | None = None) -> pd.DataFrame:
    """n students; informative scores; group shares from `groups` (default A 60%, B 40%)."""
    rng = np.random.default_rng(seed)
    shares = groups or {"A": 0.6, "B": 0.4}
    label = rng.binomial(1, 0.3, n)
    return pd.DataFrame({
        "id": [f"s{i:05d}" for i in range(n)],
        "score": np.round(np.clip(0.3 + 0.3 * label + rng.normal(0, 0.2, n), 0, 1), 3),
        "label": label,
        "group": rng.choice(list(shares), size=n, p=list(shares.values())),
        "other": rng.choice(["x", "y"], size=n),
    })
