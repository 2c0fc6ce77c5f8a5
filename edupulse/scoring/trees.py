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
    value: float
    a: int
    a_features: tuple[int, ...]
    a_checks: tuple[tuple[np.ndarray, np.ndarray], ...]  # per A feature: (node rows, want-left)
    b_features: tuple[int, ...]
    b_checks: tuple[tuple[np.ndarray, np.ndarray], ...]


@dataclass(frozen=True)
class _PreparedTree:
    inner: np.ndarray  # node ids of internal nodes (row k of the go-left matrix)
    feature: np.ndarray
    threshold: np.ndarray
    missing_left: np.ndarray
    leaves: tuple[_Leaf, ...]


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
        a_f, a_c, b_f, b_c = [], [], [], []
        for feat, steps in sorted(by_feature.items()):
            nodes = np.array([row_of[n] for n, _ in steps], dtype=np.int64)
            want = np.array([w for _, w in steps], dtype=bool)
            r_ok = all(_goes_left(ref[feat], t, n) == w for n, w in steps)
            (b_f if r_ok else a_f).append(feat)
            (b_c if r_ok else a_c).append((nodes, want))
        leaves.append(_Leaf(float(t.value[node]), len(a_f), tuple(a_f), tuple(a_c),
                            tuple(b_f), tuple(b_c)))
    return _PreparedTree(inner, t.feature[inner], t.threshold[inner], t.missing_left[inner],
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


def _satisfied(go_left: np.ndarray, check: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    nodes, want = check
    ok = go_left[nodes[0]] if want[0] else ~go_left[nodes[0]]
    for n, w in zip(nodes[1:], want[1:], strict=True):
        ok = ok & (go_left[n] if w else ~go_left[n])
    return ok


def attribute(prepared: PreparedEnsemble, X: np.ndarray) -> np.ndarray:
    """Baseline-Shapley values (n x features); each row sums to f(x) - f(reference)."""
    XT = np.ascontiguousarray(np.asarray(X, dtype=np.float64).T)
    n = XT.shape[1]
    phi = np.zeros((prepared.n_features, n))
    has_nan = bool(np.isnan(XT).any())
    for t in prepared.trees:
        vals = XT[t.feature]
        go_left = vals <= t.threshold[:, None]
        if has_nan:
            go_left = np.where(np.isnan(vals), t.missing_left[:, None], go_left)
        for leaf in t.leaves:
            _leaf_phi(leaf, go_left, phi, n)
    return phi.T


def _leaf_phi(leaf: _Leaf, go_left: np.ndarray, phi: np.ndarray, n: int) -> None:
    if leaf.a == 0 and not leaf.b_features:
        return  # reached by x and r alike: contributes to neither difference
    if leaf.a:
        reach = _satisfied(go_left, leaf.a_checks[0])
        for check in leaf.a_checks[1:]:
            reach = reach & _satisfied(go_left, check)  # never in place: may be a view
        idx = np.flatnonzero(reach)
        if idx.size == 0:
            return
        sub = go_left[:, idx]
    else:
        idx, sub = None, go_left
    misses = [~_satisfied(sub, c) for c in leaf.b_checks]
    b = np.sum(misses, axis=0, dtype=np.int64) if misses else np.zeros(sub.shape[1], np.int64)
    w_a, w_b = _weights(leaf.a, len(leaf.b_features))
    if leaf.a:
        gain = leaf.value * w_a[b]
        for f in leaf.a_features:
            _add(phi, f, idx, gain)
    loss = leaf.value * w_b[b]
    for f, miss in zip(leaf.b_features, misses, strict=True):
        _add(phi, f, idx, -loss * miss)


def _add(phi: np.ndarray, f: int, idx: np.ndarray | None, values: np.ndarray) -> None:
    if idx is None:
        phi[f] += values
    else:
        phi[f, idx] += values
