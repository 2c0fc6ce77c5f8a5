"""Confidence: how much a school team can lean on one student's score, in [0, 1].

    confidence = data_quality x coverage x agreement
    data_quality  the feature's own measure (share of expected records present), clipped to [0, 1];
                  missing -> 0
    coverage      min(1, weeks_of_data / full_confidence_weeks): early in the year, or for a
                  student who just enrolled, a score rests on few weeks
    agreement     1 - 2 x sd of the calibrated scores of the model's calibration-fold members
                  (a CalibratedClassifierCV ensemble); the sd of numbers in [0, 1] is at most
                  0.5, so agreement is in [0, 1]; 1 for a model with a single member

Each factor is in [0, 1], so the product is too; it falls when data are thin or the fold models
disagree, and is never a constant across students with different data.
"""

from __future__ import annotations

import numpy as np


def confidence(
    data_quality: np.ndarray,
    weeks_of_data: np.ndarray,
    member_scores: np.ndarray | None,
    full_weeks: int,
) -> np.ndarray:
    """Per-student confidence; `member_scores` is members x students (or None)."""
    q = np.clip(np.nan_to_num(np.asarray(data_quality, dtype=np.float64), nan=0.0), 0.0, 1.0)
    w = np.nan_to_num(np.asarray(weeks_of_data, dtype=np.float64), nan=0.0)
    coverage = np.clip(w / float(full_weeks), 0.0, 1.0)
    agreement = np.ones_like(q)
    if member_scores is not None and len(member_scores) >= 2:
        agreement = np.clip(1.0 - 2.0 * np.std(member_scores, axis=0), 0.0, 1.0)
    return np.clip(q * coverage * agreement, 0.0, 1.0)
