"""Tree attributions: exact against brute-force Shapley, and local accuracy on real models."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pytest
from sklearn.ensemble import (
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
)

from edupulse.scoring import trees

F = 4


def _data(nan: bool) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1500, F))
    y = (X[:, 0] + X[:, 1] * X[:, 2] + rng.normal(size=1500) > 0).astype(int)
    if nan:
        X[rng.random(X.shape) < 0.05] = np.nan
    return X, y


def _brute_force(f, x: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Shapley values of v(S) = f(x_S, r_rest) by enumerating every coalition."""
    phi = np.zeros(F)
    for j in range(F):
        others = [k for k in range(F) if k != j]
        for size in range(F):
            for S in itertools.combinations(others, size):
                w = math.factorial(size) * math.factorial(F - size - 1) / math.factorial(F)
                z = r.copy()
                z[list(S)] = x[list(S)]
                with_j = z.copy()
                with_j[j] = x[j]
                phi[j] += w * (f(with_j[None])[0] - f(z[None])[0])
    return phi


MODELS = {
    "hgb": lambda: HistGradientBoostingClassifier(max_iter=15, random_state=0),
    "rf": lambda: RandomForestClassifier(15, max_depth=6, random_state=0),
    "gbc": lambda: GradientBoostingClassifier(n_estimators=10, random_state=0),
}


def _fitted(kind: str) -> tuple[np.ndarray, Any, trees.TreeEnsemble]:
    X, y = _data(nan=kind != "gbc")
    model = MODELS[kind]().fit(X, y)
    return X, model, trees.from_sklearn(model)


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_tree_walk_reproduces_the_models_own_margin(kind: str) -> None:
    X, model, ens = _fitted(kind)
    expected = (model.decision_function(X) if kind != "rf" else model.predict_proba(X)[:, 1])
    assert np.allclose(trees.predict(ens, X), expected, atol=1e-12)


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_attributions_equal_brute_force_shapley(kind: str) -> None:
    X, _, ens = _fitted(kind)
    ref = np.nanmedian(X, axis=0)
    phi = trees.attribute(trees.prepare(ens, ref), X[:25])
    expected = np.array([_brute_force(lambda Z: trees.predict(ens, Z), x, ref) for x in X[:25]])
    assert np.allclose(phi, expected, atol=1e-10)


def _per_student_reference(ens: trees.TreeEnsemble, X: np.ndarray, r: np.ndarray) -> np.ndarray:
    """The leaf formula of trees.py one student, tree and leaf at a time, in scalar floats.

    Leaves are visited in the same depth-first order and each (feature, student) receives its
    additions in the same sequence, so the vectorised path must give the identical numbers."""
    def side(t: trees.Tree, node: int, v: float) -> bool:
        return bool(t.missing_left[node]) if math.isnan(v) else bool(v <= t.threshold[node])

    phi = np.zeros_like(X, dtype=np.float64)
    for t in ens.trees:
        paths: list[tuple[int, list[tuple[int, bool]]]] = []
        stack: list[tuple[int, list[tuple[int, bool]]]] = [(0, [])]
        while stack:
            node, path = stack.pop()
            if t.feature[node] >= 0:
                stack.append((int(t.left[node]), [*path, (node, True)]))
                stack.append((int(t.right[node]), [*path, (node, False)]))
            else:
                paths.append((node, path))
        for i, x in enumerate(X):
            for leaf, path in paths:
                feats = sorted({int(t.feature[n]) for n, _ in path})
                ok_r = {f: all(side(t, n, r[f]) == w for n, w in path if t.feature[n] == f)
                        for f in feats}
                ok_x = {f: all(side(t, n, x[f]) == w for n, w in path if t.feature[n] == f)
                        for f in feats}
                A = [f for f in feats if not ok_r[f]]
                B = [f for f in feats if ok_r[f]]
                if (not A and not B) or not all(ok_x[f] for f in A):
                    continue
                b = sum(not ok_x[f] for f in B)
                w_a, w_b = trees._weights(len(A), len(B))
                for f in A:
                    phi[i, f] += t.value[leaf] * w_a[b]
                for f in B:
                    if not ok_x[f]:
                        phi[i, f] += -(t.value[leaf] * w_b[b])
    return phi


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_vectorised_attributions_equal_the_per_student_formula_exactly(kind: str) -> None:
    X, _, ens = _fitted(kind)
    ref = np.nanmedian(X, axis=0)
    rows = np.random.default_rng(5).choice(len(X), 120, replace=False)
    prepared = trees.prepare(ens, ref)
    phi = trees.attribute(prepared, X[rows])
    assert np.array_equal(phi, _per_student_reference(ens, X[rows], ref))
    # Chunking cannot change a number either.
    parts = [trees.attribute(prepared, X[rows[lo:lo + 37]]) for lo in range(0, 120, 37)]
    assert np.array_equal(np.vstack(parts), phi)


def test_local_accuracy_on_a_larger_gradient_boosting_model() -> None:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(4000, 12))
    y = (X[:, 0] - X[:, 3] * X[:, 5] + rng.normal(size=4000) > 0).astype(int)
    model = HistGradientBoostingClassifier(max_iter=60, max_leaf_nodes=31, random_state=0)
    model.fit(X, y)
    ref = np.median(X, axis=0)
    phi = trees.attribute(trees.prepare(trees.from_sklearn(model), ref), X)
    margin = model.decision_function(X) - model.decision_function(ref[None])[0]
    assert np.allclose(phi.sum(axis=1), margin, atol=1e-9)
    # Not a degenerate answer: attributions vary across students and features.
    assert phi.std(axis=0).min() > 0


def test_a_student_equal_to_the_reference_gets_zero_everywhere() -> None:
    X, y = _data(nan=False)
    model = MODELS["hgb"]().fit(X, y)
    ref = np.median(X, axis=0)
    phi = trees.attribute(trees.prepare(trees.from_sklearn(model), ref), ref[None])
    assert np.array_equal(phi, np.zeros((1, F)))


def test_unsupported_model_is_refused() -> None:
    with pytest.raises(TypeError, match="no tree attribution method for object"):
        trees.from_sklearn(object())
