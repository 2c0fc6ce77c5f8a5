"""The best possible figures: the synthetic generator's true probabilities as a score.

ground_truth.csv(.gz) (docs/synthetic-data.md) holds, per student (SIS district_id) and week
(week_start, a Monday), the true probability of each outcome over the next 12 weeks given the
generator's state at the week's as-of date, its Friday (week_start + 4 days). Scored with the
same metrics and the same labels as the models, they show how close a model comes to the best a
model could do in expectation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ORACLE_HORIZON_DAYS = 84  # the generator's window: 12 weeks
AS_OF_OFFSET_DAYS = 4  # as-of date = week_start (Monday) + 4 = Friday


class OracleError(ValueError):
    """A ground-truth file that cannot be used (the message names file and column)."""


@dataclass(frozen=True)
class GroundTruth:
    """True probabilities keyed by (SIS district_id, as-of date) for one outcome."""

    source: str
    outcome: str
    frame: pd.DataFrame  # district_id, as_of_date (datetime.date), p

    def scores_for(self, keys: pd.DataFrame) -> np.ndarray:
        """The true probability for each (district_id, as_of_date) row of `keys`; NaN where
        the file has none."""
        want = pd.DataFrame({"district_id": keys["district_id"].astype(str).to_numpy(),
                             "as_of_date": keys["as_of_date"].to_numpy()})
        joined = want.merge(self.frame, on=["district_id", "as_of_date"], how="left",
                            validate="many_to_one")
        return joined["p"].to_numpy(dtype=float)


def read_ground_truth(path: str | Path, outcome: str, horizon_days: int) -> GroundTruth:
    """Read the generator's ground truth for `outcome`; refuses a horizon it was not made for."""
    path = Path(path)
    if horizon_days != ORACLE_HORIZON_DAYS:
        raise OracleError(
            f"{path}: the ground truth is for a {ORACLE_HORIZON_DAYS}-day horizon, the "
            f"experiment's label.horizon_days is {horizon_days}: no oracle figures"
        )
    column = f"p_{outcome}_12w"
    try:
        raw = pd.read_csv(path, usecols=lambda c: c in ("district_id", "week_start", column),
                          dtype={"district_id": str, "week_start": str})
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise OracleError(f"{path}: cannot read the ground truth ({exc})") from None
    missing = [c for c in ("district_id", "week_start", column) if c not in raw.columns]
    if missing:
        raise OracleError(f"{path}: missing column(s) {', '.join(missing)}")
    try:
        week = pd.to_datetime(raw["week_start"], format="%Y-%m-%d")
    except ValueError as exc:
        raise OracleError(f"{path}: column week_start: {exc}") from None
    p = pd.to_numeric(raw[column], errors="coerce")
    bad = p.notna() & ((p < 0) | (p > 1))
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0]) + 2  # header is line 1
        raise OracleError(f"{path}: line {row}: column {column}: expected a probability in "
                          f"[0, 1], got {p[bad].iloc[0]}")
    as_of = (week + pd.Timedelta(days=AS_OF_OFFSET_DAYS)).dt.date
    frame = pd.DataFrame({"district_id": raw["district_id"], "as_of_date": as_of, "p": p})
    frame = frame.dropna(subset=["p"]).drop_duplicates(["district_id", "as_of_date"])
    return GroundTruth(str(path), outcome, frame.reset_index(drop=True))


def coverage(scores: np.ndarray) -> float:
    return float(np.mean(~np.isnan(scores))) if len(scores) else 0.0


def as_of_dates(truth: GroundTruth) -> list[dt.date]:
    return sorted(truth.frame["as_of_date"].unique())
