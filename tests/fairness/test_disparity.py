"""Ratios against the reference group, their intervals and the verdicts."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from edupulse.fairness.disparity import (
    FAIR,
    INCONCLUSIVE,
    NOT_COMPUTABLE,
    UNFAIR,
    choose_reference,
    ratio,
    verdict,
)
from tests.fairness.builders import settings


def test_ratio_treats_zero_over_zero_as_equal_and_x_over_zero_as_undefined() -> None:
    assert ratio(0.0, 0.0) == 1.0
    assert math.isnan(float(ratio(0.2, 0.0)))
    assert math.isnan(float(ratio(np.nan, 0.5)))
    assert float(ratio(0.3, 0.6)) == pytest.approx(0.5)


@pytest.mark.parametrize(("r", "lo", "hi", "expected"), [
    (1.0, 0.9, 1.1, FAIR),
    (1.0, 0.8, 1.25, FAIR),          # the band's edges count as inside
    (0.6, 0.5, 0.7, UNFAIR),         # entirely below
    (1.5, 1.3, 1.8, UNFAIR),         # entirely above
    (0.85, 0.7, 0.95, INCONCLUSIVE),  # straddles the lower edge
    (1.2, 1.1, 1.4, INCONCLUSIVE),    # straddles the upper edge
    (1.0, 0.5, 2.0, INCONCLUSIVE),    # wider than the band
    (1.0, np.nan, np.nan, INCONCLUSIVE),
    (0.0, 0.0, 0.0, INCONCLUSIVE),    # a zero-width interval measures no uncertainty
    (1.0, 1.0, 1.0, FAIR),            # ... unless the groups are identical in every resample
    (np.nan, np.nan, np.nan, NOT_COMPUTABLE),
])
def test_verdicts(r: float, lo: float, hi: float, expected: str) -> None:
    assert verdict(r, lo, hi, (0.8, 1.25)) == expected


def test_verdict_follows_a_configured_band() -> None:
    assert verdict(0.85, 0.82, 0.88, (0.9, 1.1)) == UNFAIR


POINT = pd.DataFrame({
    "n": [500, 300, 40, 900],
    "recall": [0.4, 0.6, 0.5, 0.7],
    "fnr": [0.6, 0.4, 0.5, 0.3],
}, index=["A", "B", "C", "unknown"])


def test_reference_is_the_largest_known_group_by_default() -> None:
    # "unknown" is larger but is not a meaningful yardstick.
    assert choose_reference("g", "recall", POINT, list(POINT.index), settings()) == ("A", None)


def test_best_reference_follows_the_metric_direction() -> None:
    s = settings(reference="best")
    assert choose_reference("g", "recall", POINT, list(POINT.index), s)[0] == "B"
    assert choose_reference("g", "fnr", POINT, list(POINT.index), s)[0] == "B"


def test_configured_reference_is_used_and_a_typo_is_an_error() -> None:
    s = settings(reference={"g": "C"})
    assert choose_reference("g", "recall", POINT, list(POINT.index), s) == ("C", None)
    with pytest.raises(ValueError, match="reference group 'Z' for 'g' is not in the data"):
        choose_reference("g", "recall", POINT, list(POINT.index), settings(reference={"g": "Z"}))


def test_a_suppressed_configured_reference_falls_back_to_the_largest_with_a_note() -> None:
    ref, note = choose_reference("g", "recall", POINT, ["A", "B", "unknown"],
                                 settings(reference={"g": "C"}))
    assert ref == "A"
    assert note and "'C' is suppressed" in note


def test_no_published_group_means_no_reference() -> None:
    ref, note = choose_reference("g", "recall", POINT, [], settings())
    assert ref is None and note and "every group is suppressed" in note
