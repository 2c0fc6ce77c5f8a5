"""Disparity of each metric against a reference group, with an interval and a verdict.

ratio = group metric / reference metric, on the point estimates and on every bootstrap replicate
(the same resamples for both groups). Verdicts, for the band [low, high]:
  fair           the whole interval lies inside the band;
  unfair         the whole interval lies outside it (entirely below low or above high);
  inconclusive   the interval straddles an edge of the band, or could not be estimated, or
                 has no width (the resamples never varied: e.g. no false alarms among a few
                 students), which says nothing about the uncertainty;
  not computable the metric is undefined for the group or the reference (e.g. recall with no
                 positives, or a reference value of 0 against a non-zero group value);
  reference      the reference group itself;  suppressed   the group is hidden (small cell).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from edupulse.fairness.bootstrap import Replicates, interval
from edupulse.fairness.settings import (
    DISPARITY_METRICS,
    HIGHER_IS_BETTER,
    INTERSECTION_JOIN,
    UNKNOWN_GROUP,
    AuditSettings,
)

FAIR, UNFAIR, INCONCLUSIVE = "fair", "unfair", "inconclusive"
NOT_COMPUTABLE, REFERENCE, SUPPRESSED = "not computable", "reference", "suppressed"
VERDICTS = (FAIR, UNFAIR, INCONCLUSIVE, NOT_COMPUTABLE, REFERENCE, SUPPRESSED)
COLUMNS = ("attribute", "group", "reference_group", "metric", "ratio", "lo", "hi", "verdict")

ERR_UNKNOWN_REFERENCE = "reference group {group!r} for {attribute!r} is not in the data: {groups}"


@dataclass(frozen=True)
class DisparityTable:
    rows: pd.DataFrame
    notes: tuple[str, ...]


def ratio(num: np.ndarray | float, den: np.ndarray | float) -> np.ndarray:
    """num / den; 0 / 0 is 1 (both groups equal), x / 0 and anything with NaN is NaN."""
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return np.where((num == 0) & (den == 0), 1.0, out)


def verdict(r: float, lo: float, hi: float, band: tuple[float, float]) -> str:
    if not np.isfinite(r):
        return NOT_COMPUTABLE
    if not (np.isfinite(lo) and np.isfinite(hi)) or (hi - lo <= 1e-12 and r != 1.0):
        return INCONCLUSIVE
    low, high = band
    if lo >= low and hi <= high:
        return FAIR
    if hi < low or lo > high:
        return UNFAIR
    return INCONCLUSIVE


def choose_reference(
    attribute: str, metric: str, point: pd.DataFrame, published: Sequence[str],
    settings: AuditSettings,
) -> tuple[str | None, str | None]:
    """(reference group, note about a fallback or None) for one attribute and metric."""
    note = None
    if not published:
        return None, f"{attribute}: every group is suppressed; no comparison is published"
    # "unknown" is not a meaningful yardstick unless it is all there is.
    candidates = [g for g in published
                  if UNKNOWN_GROUP not in g.split(INTERSECTION_JOIN)] or list(published)
    if isinstance(settings.reference, dict) and attribute in settings.reference:
        wanted = settings.reference[attribute]
        if wanted not in point.index:
            raise ValueError(ERR_UNKNOWN_REFERENCE.format(
                group=wanted, attribute=attribute, groups=[g for g in point.index]))
        if wanted in published:
            return wanted, None
        note = (f"{attribute}: the configured reference group {wanted!r} is suppressed "
                f"(small cell); the largest published group is the reference instead")
    elif settings.reference == "best":
        values = point.loc[candidates, metric].astype(float)
        values = values[np.isfinite(values)]
        if len(values):
            best = values.max() if HIGHER_IS_BETTER[metric] else values.min()
            return next(g for g in candidates if point.at[g, metric] == best), None
        note = f"{attribute}: no group has a defined {metric}; the largest group is the reference"
    sizes = point.loc[candidates, "n"]
    return next(g for g in candidates if sizes[g] == sizes.max()), note


def disparities(
    attribute: str,
    point: pd.DataFrame,
    replicates: Replicates,
    suppressed: set[str],
    settings: AuditSettings,
) -> DisparityTable:
    """Rows of (attribute, group, reference_group, metric, ratio, lo, hi, verdict)."""
    groups = list(replicates.groups)
    published = [g for g in groups if g not in suppressed]
    rows, notes = [], []
    if len(groups) == 1:
        notes.append(f"{attribute}: only one group ({groups[0]}); there is nothing to compare")
    for metric in DISPARITY_METRICS:
        ref, note = choose_reference(attribute, metric, point, published, settings)
        if note and note not in notes:
            notes.append(note)
        ref_rep = replicates.values[metric][:, groups.index(ref)] if ref is not None else None
        for j, group in enumerate(groups):
            row = dict(attribute=attribute, group=group, reference_group=ref, metric=metric,
                       ratio=np.nan, lo=np.nan, hi=np.nan)
            if group in suppressed or ref is None:
                row["verdict"] = SUPPRESSED if group in suppressed else NOT_COMPUTABLE
            elif group == ref:
                row.update(ratio=1.0, lo=1.0, hi=1.0, verdict=REFERENCE)
            else:
                r = float(ratio(point.at[group, metric], point.at[ref, metric]))
                reps = ratio(replicates.values[metric][:, j], ref_rep)[:, None]
                lo, hi = (float(v[0]) for v in interval(reps, settings.quantiles))
                if np.isfinite(r):
                    row.update(ratio=r, lo=lo, hi=hi)
                row["verdict"] = verdict(r, lo, hi, settings.band)
            rows.append(row)
    return DisparityTable(pd.DataFrame(rows, columns=list(COLUMNS)), tuple(notes))
