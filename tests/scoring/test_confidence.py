"""Confidence: in [0, 1], falls with thin data and member disagreement, never constant."""

from __future__ import annotations

import numpy as np

from edupulse.scoring.confidence import confidence


def test_confidence_by_hand() -> None:
    q = np.array([1.0, 0.5, 1.0, np.nan])
    weeks = np.array([8, 8, 2, 8])
    c = confidence(q, weeks, None, full_weeks=8)
    assert np.allclose(c, [1.0, 0.5, 0.25, 0.0])


def test_member_spread_lowers_confidence() -> None:
    members = np.array([[0.2, 0.5], [0.2, 0.9], [0.2, 0.1]])
    c = confidence(np.ones(2), np.full(2, 20), members, full_weeks=8)
    sd = np.std([0.5, 0.9, 0.1])
    assert np.allclose(c, [1.0, 1 - 2 * sd])


def test_range_and_not_constant_on_random_inputs() -> None:
    rng = np.random.default_rng(0)
    q = rng.uniform(-0.2, 1.2, 1000)  # out-of-range inputs are clipped, not propagated
    weeks = rng.integers(0, 40, 1000)
    members = rng.uniform(0, 1, (3, 1000))
    c = confidence(q, weeks, members, full_weeks=8)
    assert c.min() >= 0 and c.max() <= 1
    assert c.std() > 0.05
