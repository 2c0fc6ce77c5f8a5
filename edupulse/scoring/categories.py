"""Risk categories from calibrated scores: fixed probability cut-offs, or capacity per school.

Probability mode reads a calibrated risk directly ("at least a 1 in 2 chance" is critical).
Capacity mode fits what a school can act on: per school the top `critical`% of students are
critical, the top `high`% (cumulative) high, the top `medium`% medium; a school of n students gets
ceil(n * p / 100) places at each level, and every student tied with the last place goes up too
(ties are never broken arbitrarily), so a level can hold a few more than its share.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from edupulse.scoring.config import CapacityShares, ProbabilityCutoffs, ScoringConfig

CATEGORIES = ("low", "medium", "high", "critical")


def by_probability(scores: np.ndarray, cutoffs: ProbabilityCutoffs) -> np.ndarray:
    """Category per score from the cut-offs (a score equal to a cut-off goes up)."""
    s = np.asarray(scores, dtype=np.float64)
    edges = np.array([cutoffs.medium, cutoffs.high, cutoffs.critical])
    return np.array(CATEGORIES, dtype=object)[np.searchsorted(edges, s, side="right")]


def by_capacity(
    scores: np.ndarray, schools: Sequence[object], shares: CapacityShares
) -> np.ndarray:
    """Category per score from its rank within its school (see the module docstring)."""
    s = np.asarray(scores, dtype=np.float64)
    groups = np.asarray([("" if g is None else str(g)) for g in schools], dtype=object)
    out = np.full(len(s), "low", dtype=object)
    for school in np.unique(groups):
        idx = np.flatnonzero(groups == school)
        ranked = np.sort(s[idx])[::-1]
        for level, pct in (("medium", shares.medium), ("high", shares.high),
                           ("critical", shares.critical)):
            k = math.ceil(len(idx) * pct / 100)
            if k == 0:
                continue
            cut = ranked[min(k, len(ranked)) - 1]
            out[idx[s[idx] >= cut]] = level
    return out


def categorize(
    scores: np.ndarray, schools: Sequence[object], config: ScoringConfig
) -> np.ndarray:
    if config.categories == "capacity":
        return by_capacity(scores, schools, config.capacity)
    return by_probability(scores, config.cutoffs)
