"""risk_factors: the spec's JSON shape, actionable factors only, never a protected attribute."""

from __future__ import annotations

import json

import numpy as np
import pytest

from edupulse.features.columns import MODEL_FEATURES
from edupulse.scoring.factors import parse_risk_factors, risk_factors_json
from edupulse.scoring.recommendations import (
    CATALOGUE,
    NON_ACTIONABLE,
    PROTECTED,
    factor_index,
    uncovered_features,
)

NAMES = tuple(MODEL_FEATURES)


def test_every_model_feature_is_a_factor_or_declared_non_actionable() -> None:
    assert uncovered_features() == set()
    grouped = [f for factor in CATALOGUE for f in factor.features]
    assert len(grouped) == len(set(grouped)), "a feature belongs to one factor only"
    assert not PROTECTED & (set(grouped) | NON_ACTIONABLE)


def test_shape_order_and_grouping() -> None:
    attr = np.zeros((2, len(NAMES)))
    X = np.full((2, len(NAMES)), 0.5)
    i = NAMES.index
    attr[0, i("attendance_w4")] = 0.3
    attr[0, i("attendance_rate")] = 0.2  # same factor: summed to 0.5
    attr[0, i("gpa_trend")] = 0.4
    attr[0, i("failing_courses")] = 0.1
    attr[0, i("tardy_rate_ytd")] = -0.9  # lowers risk: never listed
    attr[0, i("weeks_of_data")] = 5.0  # not actionable: never listed
    X[0, i("attendance_rate")] = 0.65
    out = [json.loads(s) for s in risk_factors_json(attr, X, NAMES, top=3)]
    assert [e["factor"] for e in out[0]] == ["attendance_rate", "gpa_decline", "failing_courses"]
    first = out[0][0]
    assert set(first) == {"factor", "weight", "value", "description", "recommendation"}
    assert first["weight"] == 0.5 and first["value"] == 0.65
    assert isinstance(first["description"], str) and first["recommendation"]
    assert out[1] == []  # nothing raises the second student's risk
    assert parse_risk_factors(json.dumps(out[0]))[0].factor == "attendance_rate"


def test_missing_value_is_null_and_top_zero_is_empty() -> None:
    attr = np.zeros((1, len(NAMES)))
    attr[0, NAMES.index("gpa_current")] = 1.0
    X = np.full((1, len(NAMES)), np.nan)
    assert json.loads(risk_factors_json(attr, X, NAMES, top=3)[0])[0]["value"] is None
    assert risk_factors_json(attr, X, NAMES, top=0) == ["[]"]


def test_no_protected_attribute_in_any_factor_of_random_students() -> None:
    rng = np.random.default_rng(0)
    attr = rng.normal(size=(500, len(NAMES)))
    X = rng.uniform(size=(500, len(NAMES)))
    names = {e["factor"] for s in risk_factors_json(attr, X, NAMES, 10) for e in json.loads(s)}
    catalogue = {f.name for f in CATALOGUE}
    assert names <= catalogue and not names & PROTECTED
    assert not any(token in n for n in names for token in ("gender", "ethnic", "socioeconomic"))


def test_a_model_with_a_protected_input_is_refused() -> None:
    with pytest.raises(ValueError, match="protected attribute.*gender.*refused"):
        factor_index((*NAMES, "gender"))


def test_the_text_is_exactly_what_json_dumps_writes() -> None:
    """The fragments risk_factors_json assembles give json.dumps' own compact text, for every
    row: NaN values (null), tiny and negative numbers, rows with nothing above the reference."""
    import json

    import numpy as np

    from edupulse.features.columns import MODEL_FEATURES
    from edupulse.scoring.factors import risk_factors_json

    names = tuple(MODEL_FEATURES)
    rng = np.random.default_rng(0)
    attributions = rng.normal(size=(2000, len(names)))
    values = rng.normal(size=(2000, len(names)))
    values[rng.random(values.shape) < 0.1] = np.nan
    values[5] = -1e-7
    attributions[7] = -1.0  # nothing raises this student's risk: []
    rows = risk_factors_json(attributions, values, names, 3)
    assert rows[7] == "[]"
    for row in rows:
        assert json.dumps(json.loads(row), separators=(",", ":")) == row
    assert any('"value":null' in r for r in rows)
