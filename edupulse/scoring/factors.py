"""risk_factors: each student's top actionable factors in the spec's JSON shape.

[{"factor", "weight", "value", "description", "recommendation"}, ...]: weight is the factor's
attribution (the sum over its features, in the explainer's units: log-odds for calibrated models),
value the student's value of the factor's representative feature. Only factors that RAISE this
student's risk relative to the reference (weight > 0) are listed, highest first; a student below
the reference on everything gets an empty list.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np

from edupulse.scoring.recommendations import factor_index


@dataclass(frozen=True)
class RiskFactor:
    """One entry of predictions.risk_factors."""

    factor: str
    weight: float
    value: float | None
    description: str
    recommendation: str


def risk_factors_json(
    attributions: np.ndarray, X: np.ndarray, feature_names: tuple[str, ...], top: int
) -> list[str]:
    """One JSON array (text) per row of `attributions` / `X`."""
    index = factor_index(feature_names)
    if top == 0 or not index:
        return ["[]"] * len(X)
    membership = np.zeros((len(feature_names), len(index)))
    for j, (_, idx) in enumerate(index):
        membership[idx, j] = 1.0
    weights = np.asarray(attributions) @ membership
    values = np.asarray(X, dtype=np.float64)[:, [feature_names.index(f.value_feature)
                                                 for f, _ in index]]
    order = np.argsort(-weights, axis=1, kind="stable")[:, :top]
    # The JSON text json.dumps(entries, separators=(",", ":")) would give, assembled from
    # fragments encoded once per factor: a quarter of the time at 100,000 students.
    heads = [f'{{"factor":{json.dumps(f.name)},"weight":' for f, _ in index]
    tails = [f',"description":{json.dumps(f.description)},'
             f'"recommendation":{json.dumps(f.recommendation)}}}' for f, _ in index]
    out = []
    for i in range(len(X)):
        entries = []
        for j in order[i]:
            w = weights[i, j]
            if not w > 0:
                break
            v = values[i, j]
            value = "null" if math.isnan(v) else repr(round(float(v), 4))
            entries.append(f"{heads[j]}{round(float(w), 4)!r},\"value\":{value}{tails[j]}")
        out.append(f"[{','.join(entries)}]")
    return out


def parse_risk_factors(value: object) -> list[RiskFactor]:
    """Stored risk_factors (JSON text or already decoded) back into typed entries."""
    data = json.loads(value) if isinstance(value, str) else (value or [])
    return [RiskFactor(**entry) for entry in data]  # type: ignore[arg-type]
