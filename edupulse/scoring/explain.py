"""The model's own attributions, per student, on one scale for every model family.

A scored model is unwrapped into members: one per calibration fold of a CalibratedClassifierCV
(or the model itself), each a margin model (linear or tree ensemble) behind optional column-wise
preprocessing. Each member is explained with exact baseline Shapley values against one reference
point (see trees.py): for a linear margin that is exactly coefficient x (value - reference).

Units: with sigmoid calibration a member's calibrated log-odds is -(a * margin + b), an affine map,
so its attributions are the margin's times -a and are exactly in log-odds of the calibrated risk.
The reported weights are the mean over members, and sum exactly to
mean_k logit_k(student) - mean_k logit_k(reference). With isotonic calibration (not affine) or no
calibration the weights are in the units of the underlying margin (log-odds for logistic regression
and gradient boosting, probability for a random forest) — `Explainer.units` says which.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from edupulse.scoring import trees

# Per-column preprocessing steps that keep column j a function of input column j alone: baseline
# Shapley values pass through them unchanged.
_COLUMNWISE = {
    "StandardScaler", "MinMaxScaler", "MaxAbsScaler", "RobustScaler", "SimpleImputer",
}


class AttributionError(TypeError):
    """The model has no exact attribution method here; scoring refuses rather than guess."""


@dataclass(frozen=True)
class _Member:
    transforms: tuple[Any, ...]
    coef: np.ndarray | None  # linear margin
    ensemble: trees.PreparedEnsemble | None  # tree margin
    scale: float
    transformed_reference: np.ndarray
    enumerated: tuple[Any, tuple[int, ...], tuple[str, ...]] | None = None  # model, columns, names


@dataclass(frozen=True)
class Explainer:
    """Attributions for one pinned model and one reference point (built once per run)."""

    feature_names: tuple[str, ...]
    reference: np.ndarray
    members: tuple[_Member, ...]
    units: str
    method: str

    def attributions(self, X: np.ndarray) -> np.ndarray:
        """n x features contributions; row sums equal the member-mean margin difference."""
        out = np.zeros((len(X), len(self.feature_names)))
        for m in self.members:
            Z = _apply(m.transforms, X)
            if m.coef is not None:
                out += m.scale * m.coef * (Z - m.transformed_reference)
            elif m.enumerated is not None:
                out += m.scale * _enumerate(*m.enumerated, Z, m.transformed_reference)
            else:
                assert m.ensemble is not None
                out += m.scale * trees.attribute(m.ensemble, Z)
        return out / len(self.members)


def build_explainer(
    model: Any, feature_names: Sequence[str], reference: np.ndarray
) -> Explainer:
    """Unwrap `model` (pipeline / calibration / estimator) into exactly attributable members."""
    ref = np.asarray(reference, dtype=np.float64).reshape(1, -1)
    if ref.shape[1] != len(feature_names):
        raise ValueError(f"reference has {ref.shape[1]} values for {len(feature_names)} features")
    transforms, final = _split_pipeline(model)
    units, method = "log-odds", "linear"
    members: list[_Member] = []
    calibrated = getattr(final, "calibrated_classifiers_", None)
    pairs: list[tuple[Any, Any]] = (
        [(c.estimator, c.calibrators[0]) for c in calibrated] if calibrated else [(final, None)]
    )
    for estimator, calibrator in pairs:
        inner_transforms, margin_model = _split_pipeline(estimator)
        steps = (*transforms, *inner_transforms)
        z_ref = _apply(steps, ref)
        if z_ref.shape[1] != ref.shape[1]:
            raise AttributionError("preprocessing changed the number of columns")
        scale = 1.0
        if calibrator is not None and type(calibrator).__name__ == "_SigmoidCalibration":
            scale = -float(calibrator.a_)
        elif calibrator is not None:
            units = "margin (isotonic calibration: weights in the uncalibrated model's units)"
        coef = getattr(margin_model, "coef_", None)
        if coef is not None:
            coef = np.asarray(coef, dtype=np.float64).ravel()
            members.append(_Member(steps, coef, None, scale, z_ref.ravel()))
            continue
        if (cols := _few_columns(margin_model, feature_names)) is not None:
            method = "baseline Shapley by enumeration"
            units = "model score (flags)" if scale == 1.0 else units
            members.append(_Member(steps, None, None, scale, z_ref.ravel(),
                                   (margin_model, cols, tuple(feature_names))))
            continue
        try:
            ens = trees.from_sklearn(margin_model)
        except TypeError as exc:
            raise AttributionError(
                f"no exact attribution method for {type(margin_model).__name__}: supported are "
                "linear models and scikit-learn tree ensembles"
            ) from exc
        method = "tree baseline Shapley"
        if ens.units == "probability" and not (calibrator is not None and scale != 1.0):
            units = "probability"
        members.append(_Member(steps, None, trees.prepare(ens, z_ref.ravel()), scale,
                               z_ref.ravel()))
    if not members:
        raise AttributionError(f"{type(model).__name__}: nothing to attribute")
    return Explainer(tuple(feature_names), ref.ravel(), tuple(members), units, method)


MAX_ENUMERATED = 10


def _few_columns(model: Any, names: Sequence[str]) -> tuple[int, ...] | None:
    """Columns of a rule model that reads only a few (the ABC baseline): exact Shapley values
    then come from evaluating all 2^k coalitions."""
    if type(model).__name__ != "ABCBaseline":
        return None
    from edupulse.modeling.estimators import ABC_COLUMNS

    if len(ABC_COLUMNS) > MAX_ENUMERATED or any(c not in names for c in ABC_COLUMNS):
        return None
    return tuple(list(names).index(c) for c in ABC_COLUMNS)


def _enumerate(model: Any, cols: tuple[int, ...], names: tuple[str, ...], Z: np.ndarray,
               ref: np.ndarray) -> np.ndarray:
    """Baseline Shapley over `cols` by enumeration: phi_j = sum over S without j of
    |S|! (k-|S|-1)! / k! x (f(x_{S+j}, r) - f(x_S, r))."""
    import itertools
    import math

    k = len(cols)
    value: dict[frozenset[int], np.ndarray] = {}
    for size in range(k + 1):
        for S in itertools.combinations(cols, size):
            mixed = np.repeat(ref[None, :], len(Z), axis=0)
            mixed[:, list(S)] = Z[:, list(S)]
            value[frozenset(S)] = np.asarray(
                model.decision_function(pd.DataFrame(mixed, columns=list(names))), dtype=float)
    phi = np.zeros_like(Z, dtype=np.float64)
    for j in cols:
        others = [c for c in cols if c != j]
        for size in range(k):
            w = math.factorial(size) * math.factorial(k - size - 1) / math.factorial(k)
            for S in itertools.combinations(others, size):
                phi[:, j] += w * (value[frozenset((*S, j))] - value[frozenset(S)])
    return phi


def _split_pipeline(model: Any) -> tuple[tuple[Any, ...], Any]:
    steps = getattr(model, "steps", None)
    if not steps:
        return (), model
    transforms = []
    for _, step in steps[:-1]:
        if step is None or step == "passthrough":
            continue
        name = type(step).__name__
        if name not in _COLUMNWISE or getattr(step, "add_indicator", False):
            raise AttributionError(
                f"cannot attribute through preprocessing step {name}: only column-wise steps "
                f"({', '.join(sorted(_COLUMNWISE))}) keep features separable"
            )
        transforms.append(step)
    return tuple(transforms), steps[-1][1]


def _apply(steps: Sequence[Any], X: np.ndarray) -> np.ndarray:
    Z = np.asarray(X, dtype=np.float64)
    for step in steps:
        names = getattr(step, "feature_names_in_", None)
        arg = pd.DataFrame(Z, columns=list(names)) if names is not None else Z
        Z = np.asarray(step.transform(arg), dtype=np.float64)
    return Z
