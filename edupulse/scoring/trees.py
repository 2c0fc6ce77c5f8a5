"""Exact baseline-Shapley attributions for tree ensembles (interventional TreeSHAP, one reference).

For a model f and a reference point r, the baseline-Shapley value of feature j is the Shapley value
of the game v(S) = f(x_S, r_not_S): the prediction when the features in S take the student's values
and the rest take the reference's. Values sum exactly to f(x) - f(r) (local accuracy). It is what
`shap`'s interventional TreeExplainer computes with a one-row background, and for a linear model it
is exactly coefficient x (value - reference), so every model family is explained the same way.

A tree's output is a sum over leaves of value x [leaf reached]. For one leaf, each feature on its
path is either free (both x and r satisfy all its splits), needed from x (only x satisfies: the
feature must be in S — set A), needed from r (only r satisfies: it must not be in S — set B), or
blocking (neither: the leaf is unreachable). The game 1[A in S, B disjoint from S] has Shapley
values (a-1)! b! / (a+b)! for each feature of A and -a! (b-1)! / (a+b)! for each of B
(a = |A|, b = |B|). Summing over leaves and trees gives the exact values, vectorised over students.
(Reference: Laberge & Pequignot, "Understanding Interventional TreeSHAP", 2022.)

`shap` 0.51 was tried first: its additivity check fails on scikit-learn 1.9's
HistGradientBoosting trees, so the method is implemented here and tested against brute force.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Tree:
    """One binary tree as flat arrays; leaves have feature -1 and carry `value`."""

    feature: np.ndarray  # int, -1 at leaves
    threshold: np.ndarray  # go left when x <= threshold
    left: np.ndarray
    right: np.ndarray
    missing_left: np.ndarray  # bool: where NaN goes
    value: np.ndarray  # leaf contribution to the ensemble output (already scaled)


@dataclass(frozen=True)
class TreeEnsemble:
    """f(x) = base + sum of the trees' leaf values; `units` names the scale of f."""

    trees: tuple[Tree, ...]
    base: float
    units: str  # "log-odds" or "probability"


def from_sklearn(model: Any) -> TreeEnsemble:
    """The trees of a fitted scikit-learn tree model, on the scale of its margin."""
    name = type(model).__name__
    if name in ("HistGradientBoostingClassifier", "HistGradientBoostingRegressor"):
        if getattr(model, "n_trees_per_iteration_", 1) != 1:
            raise ValueError(f"{name}: only binary classification is supported")
        if getattr(model, "is_categorical_", None) is not None and np.any(model.is_categorical_):
            raise ValueError(f"{name}: categorical splits are not supported")
        trees = tuple(_hgb_tree(it[0]) for it in model._predictors)
        base = float(np.ravel(model._baseline_prediction)[0])
        return TreeEnsemble(trees, base, "log-odds")
    if name in ("RandomForestClassifier", "ExtraTreesClassifier", "DecisionTreeClassifier"):
        estimators = model.estimators_ if hasattr(model, "estimators_") else [model]
        scale = 1.0 / len(estimators)
        trees = tuple(_sk_tree(e.tree_, _positive_fraction(e.tree_), scale) for e in estimators)
        return TreeEnsemble(trees, 0.0, "probability")
    if name == "GradientBoostingClassifier":
        if model.estimators_.shape[1] != 1:
            raise ValueError(f"{name}: only binary classification is supported")
        lr = float(model.learning_rate)
        trees = tuple(
            _sk_tree(e.tree_, e.tree_.value[:, 0, 0], lr) for e in model.estimators_[:, 0]
        )
        zero = np.zeros((1, model.n_features_in_))
        base = float(model._raw_predict_init(zero).ravel()[0])
        return TreeEnsemble(trees, base, "log-odds")
    raise TypeError(f"no tree attribution method for {name}")


def _hgb_tree(predictor: Any) -> Tree:
    n = predictor.nodes
    leaf = n["is_leaf"].astype(bool)
    return Tree(
        feature=np.where(leaf, -1, n["feature_idx"]).astype(np.int64),
        threshold=n["num_threshold"].astype(np.float64),
        left=n["left"].astype(np.int64),
        right=n["right"].astype(np.int64),
        missing_left=n["missing_go_to_left"].astype(bool),
        value=n["value"].astype(np.float64),
    )


def _positive_fraction(tree: Any) -> np.ndarray:
    v = tree.value[:, 0, :]
    total = v.sum(axis=1)
    return np.divide(v[:, -1], total, out=np.zeros_like(total), where=total > 0)


def _sk_tree(tree: Any, values: np.ndarray, scale: float) -> Tree:
    feature = np.asarray(tree.feature, dtype=np.int64)
    missing = getattr(tree, "missing_go_to_left", np.zeros(len(feature), dtype=np.uint8))
    return Tree(
        feature=np.where(feature < 0, -1, feature),
        threshold=np.asarray(tree.threshold, dtype=np.float64),
        left=np.asarray(tree.children_left, dtype=np.int64),
        right=np.asarray(tree.children_right, dtype=np.int64),
        missing_left=np.asarray(missing).astype(bool),
        value=np.asarray(values, dtype=np.float64) * scale,
    )


def predict(ensemble: TreeEnsemble, X: np.ndarray) -> np.ndarray:
    """f(x) by walking the trees: the quantity the attributions decompose."""
    X = np.asarray(X, dtype=np.float64)
    out = np.full(len(X), ensemble.base)
    rows = np.arange(len(X))
    for t in ensemble.trees:
        node = np.zeros(len(X), dtype=np.int64)
        while True:
            f = t.feature[node]
            inner = f >= 0
            if not inner.any():
                break
            x = X[rows[inner], f[inner]]
            nd = node[inner]
            go_left = np.where(np.isnan(x), t.missing_left[nd], x <= t.threshold[nd])
            node[inner] = np.where(go_left, t.left[nd], t.right[nd])
        out += t.value[node]
    return out


@dataclass(frozen=True)
class _Leaf:
    """A leaf compiled against the reference. Rows index the tree's side matrix S (see
    `_sides`): row k is "x goes left at inner node k", row k + m "x goes right"."""

    a: int
    reach_rows: np.ndarray  # every split of the A features, on the leaf's side
    miss_rows: np.ndarray  # (column) every split of the B features, on the side away from it
    miss_starts: np.ndarray  # where each B feature's rows start (one feature: one start)
    single_splits: bool  # every B feature has one split on the path: a miss is one row
    out_rows: np.ndarray  # (column) the A features, then the B features: rows of phi
    gain: np.ndarray  # value x w_A[b], b = 0..|B|
    neg_loss: np.ndarray  # -(value x w_B[b])


@dataclass(frozen=True)
class _PreparedTree:
    feature: np.ndarray  # of the internal nodes (row k of the go-left matrix)
    threshold: np.ndarray
    missing_left: np.ndarray
    leaves: tuple[_Leaf, ...]  # only leaves that can contribute (not x's and r's alike)


@dataclass(frozen=True)
class PreparedEnsemble:
    """An ensemble compiled against one reference point; reused for every chunk of a run."""

    trees: tuple[_PreparedTree, ...]
    n_features: int
    reference: np.ndarray
    units: str


def prepare(ensemble: TreeEnsemble, reference: np.ndarray) -> PreparedEnsemble:
    """Precompute each leaf's path constraints and the reference's side of every split."""
    ref = np.asarray(reference, dtype=np.float64).ravel()
    return PreparedEnsemble(
        tuple(_prepare_tree(t, ref) for t in ensemble.trees), len(ref), ref, ensemble.units
    )


def _prepare_tree(t: Tree, ref: np.ndarray) -> _PreparedTree:
    inner = np.flatnonzero(t.feature >= 0)
    m = len(inner)
    row_of = {int(n): k for k, n in enumerate(inner)}
    leaves: list[_Leaf] = []
    # Depth-first walk keeping, per path, the (node, went_left) steps.
    stack: list[tuple[int, list[tuple[int, bool]]]] = [(0, [])]
    while stack:
        node, path = stack.pop()
        f = int(t.feature[node])
        if f >= 0:
            stack.append((int(t.left[node]), [*path, (node, True)]))
            stack.append((int(t.right[node]), [*path, (node, False)]))
            continue
        by_feature: dict[int, list[tuple[int, bool]]] = {}
        for n, went_left in path:
            by_feature.setdefault(int(t.feature[n]), []).append((n, went_left))
        a_f: list[int] = []
        b_f: list[int] = []
        reach: list[int] = []
        miss: list[list[int]] = []
        for feat, steps in sorted(by_feature.items()):
            if all(_goes_left(ref[feat], t, n) == w for n, w in steps):
                b_f.append(feat)  # the reference satisfies every split of feat: set B
                miss.append([row_of[n] + (m if w else 0) for n, w in steps])
            else:
                a_f.append(feat)
                reach.extend(row_of[n] + (0 if w else m) for n, w in steps)
        if not a_f and not b_f:
            continue  # reached by x and r alike: contributes to neither difference
        value = float(t.value[node])
        w_a, w_b = _weights(len(a_f), len(b_f))
        leaves.append(_Leaf(
            a=len(a_f),
            reach_rows=np.array(reach, dtype=np.intp),
            miss_rows=np.array([r for rows in miss for r in rows], dtype=np.intp)[:, None],
            miss_starts=np.cumsum([0, *map(len, miss[:-1])]).astype(np.intp),
            single_splits=all(len(rows) == 1 for rows in miss),
            out_rows=np.array([*a_f, *b_f], dtype=np.intp)[:, None],
            gain=value * w_a,
            neg_loss=-(value * w_b),
        ))
    return _PreparedTree(t.feature[inner], t.threshold[inner], t.missing_left[inner],
                         tuple(leaves))


def _goes_left(x: float, t: Tree, node: int) -> bool:
    if math.isnan(x):
        return bool(t.missing_left[node])
    return bool(x <= t.threshold[node])


@lru_cache(maxsize=4096)
def _weights(a: int, max_b: int) -> tuple[np.ndarray, np.ndarray]:
    """w_A[b] = (a-1)! b! / (a+b)!, w_B[b] = a! (b-1)! / (a+b)! for b = 0..max_b."""
    b = np.arange(max_b + 1, dtype=np.float64)
    lg = math.lgamma
    w_a = np.array([math.exp(lg(a) + lg(k + 1) - lg(a + k + 1)) if a > 0 else 0.0 for k in b])
    w_b = np.array([math.exp(lg(a + 1) + lg(k) - lg(a + k + 1)) if k > 0 else 0.0 for k in b])
    return w_a, w_b


def attribute(prepared: PreparedEnsemble, X: np.ndarray) -> np.ndarray:
    """Baseline-Shapley values (n x features); each row sums to f(x) - f(reference)."""
    XT = np.ascontiguousarray(np.asarray(X, dtype=np.float64).T)
    phi = np.zeros((prepared.n_features, XT.shape[1]))
    has_nan = bool(np.isnan(XT).any())
    for t in prepared.trees:
        S = _sides(t, XT, has_nan)
        for leaf in t.leaves:
            _leaf_phi(leaf, S, phi)
    return phi.T


def _sides(t: _PreparedTree, XT: np.ndarray, has_nan: bool) -> np.ndarray:
    """2m x n booleans: row k "goes left at inner node k", row k + m "goes right"."""
    vals = XT[t.feature]
    go_left = vals <= t.threshold[:, None]
    if has_nan:
        go_left = np.where(np.isnan(vals), t.missing_left[:, None], go_left)
    return np.concatenate([go_left, ~go_left])


def _leaf_phi(leaf: _Leaf, S: np.ndarray, phi: np.ndarray) -> None:
    """Add one leaf's contributions to phi (features x n).

    Students must satisfy every split of the A features (else the leaf is out of reach);
    b counts the B features whose splits they miss. Each feature gets value x w_A[b] (A) or
    -value x w_B[b] where missed (B). Every (feature, student) receives at most one addition per
    leaf, in the same leaf order whatever the chunking, so the sums are reproducible.
    """
    cols: np.ndarray | None = None  # the students reaching the leaf, as a row (None: all)
    if leaf.a:
        rows = leaf.reach_rows
        reach = S[rows[0]] if len(rows) == 1 else np.logical_and.reduce(S[rows], axis=0)
        found = reach.nonzero()[0]
        if not found.size:
            return
        cols = found[None, :]  # with the column rows below: an outer (np.ix_-style) index
    width = S.shape[1] if cols is None else cols.shape[1]
    miss: np.ndarray | None = None
    b = np.zeros(width, dtype=np.intp)
    if leaf.miss_rows.size:
        M = S[leaf.miss_rows[:, 0]] if cols is None else S[leaf.miss_rows, cols]
        miss = M if leaf.single_splits else np.logical_or.reduceat(M, leaf.miss_starts, axis=0)
        b = miss.sum(axis=0)
    contrib = np.empty((len(leaf.out_rows), width))
    contrib[:leaf.a] = leaf.gain[b]
    if miss is not None:
        np.multiply(leaf.neg_loss[b], miss, out=contrib[leaf.a:])
    if cols is None:
        phi[leaf.out_rows[:, 0]] += contrib
    else:
        phi[leaf.out_rows, cols] += contrib
