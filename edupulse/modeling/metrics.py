"""Evaluation at the list sizes schools work with: precision, recall and lift at k, AUC,
calibration, bootstrap intervals. Pure numpy; every figure is defined in docs/experiments.md.

Lists. A school helps k students per as-of date, so lists are built per as-of date (percent k:
the top ceil(p% x cohort of that date)) or per (as-of date, school) (absolute k: the top k of
each school, or the whole school when it is smaller). Figures pool the lists: precision =
expected positives on the lists / students on the lists; recall = the same positives / all
positives; lift = precision / prevalence.

Ties at the cut-off. When students outside the list have the same score as the last one on it,
which of them makes the list is arbitrary. We report the EXPECTED value over a uniformly random
choice among the tied students: hits = positives strictly above the cut-off score + (places
left) x (positives among the tied) / (number tied). The figure is exact, deterministic, and does
not depend on row order.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

# --- lists and ties ------------------------------------------------------------------------


def k_for_percent(n: int, percent: float) -> int:
    """List size for `percent` of a cohort of n: ceil(n x p / 100), at least 1 when n > 0."""
    if n <= 0:
        return 0
    return max(1, min(n, math.ceil(n * percent / 100 - 1e-9)))


def expected_hits(y: np.ndarray, scores: np.ndarray, ks: Sequence[int]) -> np.ndarray:
    """Expected positives among the top k for each k, ties at the cut-off broken at random."""
    y = np.asarray(y, dtype=float)
    s = np.asarray(scores, dtype=float)
    n = len(s)
    ks_arr = np.minimum(np.asarray(ks, dtype=int), n)
    out = np.zeros(len(ks_arr))
    if n == 0:
        return out
    order = np.argsort(-s, kind="stable")
    desc = -s[order]  # ascending, for searchsorted
    cum = np.concatenate([[0.0], np.cumsum(y[order])])
    for i, k in enumerate(ks_arr):
        if k <= 0:
            continue
        cut = desc[k - 1]
        above = np.searchsorted(desc, cut, side="left")
        through = np.searchsorted(desc, cut, side="right")
        tied_pos = cum[through] - cum[above]
        out[i] = cum[above] + (k - above) * tied_pos / (through - above)
    return out


@dataclass(frozen=True)
class ListMetric:
    """Pooled figures of one list size over all lists (as-of dates or schools)."""

    key: str  # "k10" (10% of each as-of date's cohort) or "school5" (5 per school)
    selected: int
    hits: float
    positives: int
    n: int

    @property
    def precision(self) -> float:
        return self.hits / self.selected if self.selected else float("nan")

    @property
    def recall(self) -> float:
        return self.hits / self.positives if self.positives else float("nan")

    @property
    def prevalence(self) -> float:
        return self.positives / self.n if self.n else float("nan")

    @property
    def lift(self) -> float:
        prev = self.prevalence
        return self.precision / prev if prev else float("nan")


def percent_key(percent: float) -> str:
    return f"k{percent:g}"


def school_key(k: int) -> str:
    return f"school{k}"


def list_metrics(
    y: np.ndarray,
    scores: np.ndarray,
    as_of: np.ndarray,
    school: np.ndarray,
    k_percent: Sequence[float],
    k_per_school: Sequence[int],
) -> list[ListMetric]:
    """ListMetric for every percent k (lists per as-of date) and absolute k (per school)."""
    y = np.asarray(y, dtype=float)
    scores = np.asarray(scores, dtype=float)
    n, positives = len(y), int(y.sum())
    dates = _codes(as_of)
    by_date = _Ranked(y, scores, dates)
    out = []
    for pct in k_percent:
        sizes = by_date.sizes
        k = np.where(sizes > 0, np.maximum(1, np.minimum(
            sizes, np.ceil(sizes * pct / 100 - 1e-9).astype(np.int64))), 0)
        out.append(ListMetric(percent_key(pct), int(k.sum()), by_date.hits(k), positives, n))
    by_school = _Ranked(y, scores, dates * (n + 1) + _codes(school))
    for k_abs in k_per_school:
        k = np.minimum(k_abs, by_school.sizes)
        out.append(ListMetric(school_key(k_abs), int(k.sum()), by_school.hits(k), positives, n))
    return out


class _Ranked:
    """Rows sorted by group, then score descending, with blocks of tied scores: the expected
    hits of a list of k_g per group g, for every group at once (vectorised expected_hits)."""

    def __init__(self, y: np.ndarray, scores: np.ndarray, groups: np.ndarray) -> None:
        order = np.lexsort((-scores, groups))
        g, s = groups[order], scores[order]
        new_group = np.r_[True, g[1:] != g[:-1]] if len(g) else np.zeros(0, bool)
        self.group_start = np.flatnonzero(new_group)
        self.sizes = np.diff(np.r_[self.group_start, len(g)])
        new_block = new_group | np.r_[True, s[1:] != s[:-1]] if len(g) else new_group
        self.block_of = np.cumsum(new_block) - 1
        self.block_start = np.flatnonzero(new_block)
        self.block_size = np.diff(np.r_[self.block_start, len(g)])
        self.cum = np.r_[0.0, np.cumsum(y[order])]
        self.block_pos = self.cum[self.block_start + self.block_size] - self.cum[self.block_start]

    def hits(self, k: np.ndarray) -> float:
        """Sum over groups of the expected positives in each group's top k[g]."""
        take = k > 0
        start, kk = self.group_start[take], k[take]
        b = self.block_of[start + kk - 1]  # the block holding each list's last place
        above = self.block_start[b] - start
        pos_above = self.cum[self.block_start[b]] - self.cum[start]
        return float(np.sum(pos_above + (kk - above) * self.block_pos[b] / self.block_size[b]))


def _codes(keys: np.ndarray) -> np.ndarray:
    return np.unique(np.asarray(keys), return_inverse=True)[1].astype(np.int64).ravel()


def _groups(keys: np.ndarray) -> list[np.ndarray]:
    keys = np.asarray(keys)
    if len(keys) == 0:
        return []
    _, inverse = np.unique(keys, return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    bounds = np.flatnonzero(np.diff(inverse[order])) + 1
    return np.split(order, bounds)


# --- ranking, calibration, the spec's classification figures -------------------------------


def auc(y: np.ndarray, scores: np.ndarray) -> float:
    """ROC AUC (ties count one half); NaN when only one class is present.

    The Mann-Whitney form with average ranks: equal to scikit-learn's roc_auc_score, and fast
    enough to run inside the bootstrap.
    """
    from scipy.stats import rankdata

    pos = np.asarray(y) == 1
    n_pos = int(pos.sum())
    n_neg = len(pos) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(np.asarray(scores, dtype=float))
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


@dataclass(frozen=True)
class CalibrationTable:
    """Reliability diagram data: quantile bins of the predicted probability."""

    mean_predicted: tuple[float, ...]
    observed_rate: tuple[float, ...]
    count: tuple[int, ...]

    @property
    def ece(self) -> float:
        """Expected calibration error: count-weighted mean |observed - predicted|."""
        n = sum(self.count)
        gaps = np.abs(np.subtract(self.observed_rate, self.mean_predicted))
        return float(np.dot(self.count, gaps) / n) if n else float("nan")


def calibration_table(y: np.ndarray, prob: np.ndarray, bins: int) -> CalibrationTable:
    """Quantile bins as scikit-learn's calibration_curve(strategy="quantile") makes them, plus
    the count per bin (which calibration_curve does not return) for the ECE."""
    y = np.asarray(y, dtype=float)
    prob = np.asarray(prob, dtype=float)
    edges = np.percentile(prob, np.linspace(0, 100, bins + 1))
    ids = np.searchsorted(edges[1:-1], prob, side="right")
    count = np.bincount(ids, minlength=bins)
    sum_p = np.bincount(ids, weights=prob, minlength=bins)
    sum_y = np.bincount(ids, weights=y, minlength=bins)
    keep = count > 0
    return CalibrationTable(
        tuple((sum_p[keep] / count[keep]).tolist()),
        tuple((sum_y[keep] / count[keep]).tolist()),
        tuple(int(c) for c in count[keep]),
    )


def brier(y: np.ndarray, prob: np.ndarray) -> float:
    from sklearn.metrics import brier_score_loss

    return float(brier_score_loss(y, prob))


def log_loss(y: np.ndarray, prob: np.ndarray) -> float:
    from sklearn.metrics import log_loss as sk_log_loss

    return float(sk_log_loss(y, np.clip(prob, 1e-15, 1 - 1e-15), labels=[0, 1]))


@dataclass(frozen=True)
class Classification:
    """accuracy / precision / recall / F1 of flagging exactly the students on the promotion
    list (top k% per as-of date, ties by expectation): the list schools act on."""

    accuracy: float
    precision: float
    recall: float
    f1_score: float


def classification_at(lst: ListMetric) -> Classification:
    tp = lst.hits
    fp = lst.selected - tp
    fn = lst.positives - tp
    tn = lst.n - lst.selected - fn
    f1_den = 2 * tp + fp + fn
    return Classification(
        accuracy=(tp + tn) / lst.n if lst.n else float("nan"),
        precision=lst.precision,
        recall=lst.recall,
        f1_score=2 * tp / f1_den if f1_den else float("nan"),
    )


# --- bootstrap -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float


@dataclass(frozen=True)
class BootstrapResult:
    auc: Interval
    precision: dict[str, Interval] = field(default_factory=dict)


def bootstrap(
    y: np.ndarray,
    scores: np.ndarray,
    as_of: np.ndarray,
    school: np.ndarray,
    k_percent: Sequence[float],
    k_per_school: Sequence[int],
    *,
    n_boot: int,
    level: float,
    seed: int,
) -> BootstrapResult:
    """Percentile intervals for AUC and precision at every k.

    Students are resampled with replacement within each as-of date (each date keeps its cohort
    size, so percent lists keep their size); the generator is seeded, so the interval is the
    same on every run.
    """
    y = np.asarray(y, dtype=float)
    scores = np.asarray(scores, dtype=float)
    as_of, school = _codes(as_of), _codes(school)  # integer codes: fast to regroup
    point = list_metrics(y, scores, as_of, school, k_percent, k_per_school)
    point_auc = auc(y, scores)
    keys = [m.key for m in point]
    if n_boot == 0:
        return BootstrapResult(
            Interval(point_auc, float("nan"), float("nan")),
            {m.key: Interval(m.precision, float("nan"), float("nan")) for m in point},
        )
    rng = np.random.default_rng(seed)
    groups = _groups(as_of)
    aucs, precs = np.full(n_boot, np.nan), np.full((n_boot, len(keys)), np.nan)
    for b in range(n_boot):
        idx = np.concatenate([g[rng.integers(0, len(g), len(g))] for g in groups])
        aucs[b] = auc(y[idx], scores[idx])
        lists = list_metrics(y[idx], scores[idx], as_of[idx], school[idx], k_percent,
                             k_per_school)
        precs[b] = [m.precision for m in lists]
    lo_q, hi_q = (1 - level) / 2 * 100, (1 + level) / 2 * 100

    def interval(estimate: float, draws: np.ndarray) -> Interval:
        draws = draws[~np.isnan(draws)]
        if len(draws) == 0:
            return Interval(estimate, float("nan"), float("nan"))
        lo, hi = np.percentile(draws, [lo_q, hi_q])
        return Interval(estimate, float(lo), float(hi))

    return BootstrapResult(
        interval(point_auc, aucs),
        {key: interval(m.precision, precs[:, j]) for j, (key, m) in enumerate(
            zip(keys, point, strict=True))},
    )


def precision_recall_curve_at_k(
    y: np.ndarray, scores: np.ndarray, as_of: np.ndarray, percents: Sequence[float]
) -> tuple[np.ndarray, np.ndarray]:
    """Precision and recall at each percent (for the precision/recall-at-k plot)."""
    lists = list_metrics(y, scores, as_of, np.zeros(len(y)), percents, [])
    return (np.array([m.precision for m in lists]), np.array([m.recall for m in lists]))
