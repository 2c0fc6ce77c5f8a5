"""Categories: probability cut-offs and capacity per school, ties explicit."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from edupulse.scoring.categories import by_capacity, by_probability, categorize
from edupulse.scoring.config import CapacityShares, ProbabilityCutoffs, ScoringConfig


def test_probability_cutoffs_with_values_on_the_edges_going_up() -> None:
    cut = ProbabilityCutoffs(medium=0.2, high=0.4, critical=0.6)
    scores = np.array([0.0, 0.19999, 0.2, 0.39, 0.4, 0.59, 0.6, 1.0])
    assert by_probability(scores, cut).tolist() == [
        "low", "low", "medium", "medium", "high", "high", "critical", "critical"]


def test_cutoffs_must_increase() -> None:
    with pytest.raises(ValidationError, match="expected medium < high < critical"):
        ProbabilityCutoffs(medium=0.5, high=0.4, critical=0.6)


def test_capacity_is_per_school_with_ceil_places() -> None:
    shares = CapacityShares(critical=10, high=20, medium=50)
    a = np.linspace(0.9, 0.0, 10)  # school A: 10 students, distinct scores
    b = np.array([0.05, 0.04, 0.03, 0.02])  # school B: low scores, still gets its top places
    cats = by_capacity(np.concatenate([a, b]), ["A"] * 10 + ["B"] * 4, shares)
    assert cats[:10].tolist() == ["critical", "high", "medium", "medium", "medium",
                                  "low", "low", "low", "low", "low"]
    # 4 students: ceil(0.4)=1 critical, ceil(0.8)=1 high (cumulative: same one), ceil(2)=2 medium
    assert cats[10:].tolist() == ["critical", "medium", "low", "low"]


def test_capacity_ties_at_the_cut_off_all_go_up() -> None:
    shares = CapacityShares(critical=10, high=10, medium=10)
    scores = np.array([0.8, 0.8, 0.8, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1])
    assert by_capacity(scores, ["S"] * 10, shares).tolist().count("critical") == 3


def test_categorize_follows_the_configured_mode() -> None:
    scores = np.array([0.05, 0.1])
    assert categorize(scores, ["S", "S"], ScoringConfig()).tolist() == ["low", "low"]
    cap = ScoringConfig(categories="capacity", capacity=CapacityShares(critical=50, high=50,
                                                                       medium=50))
    assert categorize(scores, ["S", "S"], cap).tolist() == ["low", "critical"]
