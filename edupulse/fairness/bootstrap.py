"""Bootstrap replicates of every group metric, vectorised over replicates.

fairlearn's MetricFrame can bootstrap (n_boot, ci_quantiles), but it recomputes a whole
MetricFrame per replicate: measured at ~2.4 s per replicate for four attributes on the 15,004-row
OULAD list (benchmarks/fairness_bootstrap.py), i.e. about 40 minutes for 1,000 replicates. Here
each replicate is a vector of multinomial weights (how often each student was drawn), confusion
counts are one sparse product per grouping, and AUC is the weighted Mann-Whitney statistic, so
1,000 replicates take seconds. The point estimates still come from MetricFrame; tests check that
unit weights reproduce them exactly.

Every grouping is resampled with the same weights, so a group's interval and its ratio to the
reference group come from identical replicates. The list itself (who is flagged) is held fixed:
the intervals describe sampling noise in who is in each group and what happened to them, for
the list as it was drawn.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from edupulse.fairness.metrics import _div, rates

# Replicates are drawn in chunks so that weights for a million students still fit in memory.
_CHUNK_CELLS = 4_000_000


@dataclass(frozen=True)
class Replicates:
    """values[metric] is a (n_boot, len(groups)) array of replicate values, columns in `groups`."""

    groups: tuple[str, ...]
    values: Mapping[str, np.ndarray]


@dataclass(frozen=True)
class _Plan:
    groups: tuple[str, ...]
    onehot: object  # scipy.sparse matrix (n x 4G): column = group * 4 + confusion cell
    auc_parts: tuple[tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray], ...]


def _plan(labels: pd.Series, order: Sequence[str], cell: np.ndarray, label: np.ndarray,
          score: np.ndarray) -> _Plan:
    from scipy import sparse

    codes = pd.Categorical(labels.to_numpy(dtype=object), categories=list(order)).codes
    n, g = len(codes), len(order)
    onehot = sparse.csr_matrix(
        (np.ones(n), (np.arange(n), codes.astype(np.int64) * 4 + cell)), shape=(n, 4 * g)
    )
    parts = []
    for j in range(g):
        idx = np.flatnonzero(codes == j)
        pos = label[idx] == 1
        if pos.all() or not pos.any():
            continue  # AUC undefined in every replicate
        sorter = np.argsort(score[idx], kind="stable")
        idx, pos = idx[sorter], pos[sorter]
        s = score[idx]
        starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
        tie_of = np.cumsum(np.r_[True, s[1:] != s[:-1]]) - 1
        parts.append((j, idx, pos, starts, tie_of[pos]))
    return _Plan(tuple(order), onehot, tuple(parts))


def weighted_auc(weights: np.ndarray, pos: np.ndarray, starts: np.ndarray,
                 tie_of_pos: np.ndarray) -> np.ndarray:
    """AUC per row of `weights` (students sorted by score): P(score_pos > score_neg), ties 1/2."""
    neg_w = weights * ~pos
    tie_neg = np.add.reduceat(neg_w, starts, axis=1)
    below = np.cumsum(tie_neg, axis=1) - tie_neg
    pos_w = weights[:, pos]
    num = (pos_w * (below[:, tie_of_pos] + 0.5 * tie_neg[:, tie_of_pos])).sum(axis=1)
    return _div(num, pos_w.sum(axis=1) * neg_w.sum(axis=1))


def bootstrap(
    label: np.ndarray,
    flagged: np.ndarray,
    score: np.ndarray,
    groupings: Mapping[str, tuple[pd.Series, Sequence[str]]],
    *,
    n_boot: int,
    seed: int,
    progress: bool = False,
) -> dict[str, Replicates]:
    """Replicates for each grouping: name -> (labels per student, group order)."""
    from rich.progress import Progress

    n = len(label)
    label = np.asarray(label, dtype=int)
    score = np.asarray(score, dtype=float)
    cell = label * 2 + np.asarray(flagged, dtype=int)  # 0 tn, 1 fp, 2 fn, 3 tp
    plans = {name: _plan(lab, order, cell, label, score) for name, (lab, order) in
             groupings.items()}
    chunks: dict[str, list[dict[str, np.ndarray]]] = {name: [] for name in plans}
    rng = np.random.default_rng(seed)
    chunk = max(1, min(n_boot, _CHUNK_CELLS // max(n, 1)))
    with Progress(disable=not progress, transient=True) as bar:
        task = bar.add_task("bootstrap", total=n_boot)
        for start in range(0, n_boot, chunk):
            b = min(chunk, n_boot - start)
            draws = rng.integers(0, n, size=(b, n))
            weights = np.bincount((draws + (np.arange(b) * n)[:, None]).ravel(),
                                  minlength=b * n).reshape(b, n).astype(float)
            for name, plan in plans.items():
                chunks[name].append(_replicate(weights, plan))
            bar.advance(task, b)
    return {
        name: Replicates(plans[name].groups,
                         {m: np.concatenate([c[m] for c in parts]) for m in parts[0]})
        for name, parts in chunks.items()
    }


def _replicate(weights: np.ndarray, plan: _Plan) -> dict[str, np.ndarray]:
    counts = np.asarray((plan.onehot.T @ weights.T).T)  # type: ignore[attr-defined]
    tn, fp, fn, tp = (counts[:, k::4] for k in range(4))
    values = rates(tp, fp, fn, tn)
    auc = np.full((weights.shape[0], len(plan.groups)), np.nan)
    for j, idx, pos, starts, tie_of_pos in plan.auc_parts:
        auc[:, j] = weighted_auc(weights[:, idx], pos, starts, tie_of_pos)
    values["auc"] = auc
    return values


def interval(replicates: np.ndarray, quantiles: tuple[float, float],
             min_defined: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval per column; NaN where fewer than `min_defined` replicates are defined
    (e.g. recall in a group that often has no positives in a resample)."""
    defined = np.isfinite(replicates).mean(axis=0) if len(replicates) else np.zeros(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns -> NaN, on purpose
        lo, hi = np.nanquantile(replicates, quantiles, axis=0)
    ok = defined >= min_defined
    return np.where(ok, lo, np.nan), np.where(ok, hi, np.nan)
