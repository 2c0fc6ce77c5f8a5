"""Realised outcomes and the ground-truth table.

The realised outcome of a (student, week) row is computed from the emitted records with the
labels' definitions (edupulse.labels), window (A, A + 84 days] after the as-of Friday A. The
window is exactly the school days of weeks w+1..w+12, so weekly sums of the records suffice.
A row's realised outcomes are empty when the window runs past the last day of data, when the
student leaves for a non-adverse reason (transfer, other) in the window, or when the window
holds no attendance record (which the default calendars never produce).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from edupulse.data import codes
from edupulse.data.synth_calendar import Calendar
from edupulse.data.synth_config import HORIZON_WEEKS
from edupulse.data.synth_oracle import OUTCOMES
from edupulse.data.synth_population import Population
from edupulse.data.synth_process import Path
from edupulse.data.synth_records import Weekly

ADVERSE = [codes.EXIT_CODES.index(c) for c in codes.ADVERSE_EXIT_CODES]
P_DECIMALS = 4


def _window(x: np.ndarray, i: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Sums of x (students, ..., weeks) over weeks w+1..w+12 (clipped to the data) per row."""
    weeks = x.shape[-1]
    c = np.zeros((*x.shape[:-1], weeks + 1))
    np.cumsum(x, axis=-1, out=c[..., 1:])
    hi = np.minimum(w + HORIZON_WEEKS, weeks - 1) + 1
    lo = np.minimum(w + 1, weeks)
    return c[i, ..., hi] - c[i, ..., lo]


def realised(rows: np.ndarray, path: Path, weekly: Weekly, calendar: Calendar) -> np.ndarray:
    """(rows, 4) realised outcomes as floats with nan where the row has no label."""
    i, w = rows[:, 0], rows[:, 1]
    ex_w, code = path.exit_week[i], path.exit_code[i]
    in_window = (ex_w > w) & (ex_w <= w + HORIZON_WEEKS)
    dropout = in_window & np.isin(code, ADVERSE)
    attended = _window(weekly.attended, i, w)
    records = _window(weekly.records, i, w)
    chronic = 10 * attended < 9 * records
    gsum = _window(weekly.grade_sum, i, w)
    gcnt = _window(weekly.grade_count, i, w)
    failing = ((gcnt > 0) & (gsum < codes.FAILING_GRADE * gcnt)).any(axis=1)
    y = np.column_stack([dropout, failing, chronic, dropout | failing | chronic]).astype(float)
    ends = np.array([calendar.as_of(int(x)) + dt.timedelta(days=7 * HORIZON_WEEKS)
                     for x in range(calendar.weeks)])
    past_end = ends[w] > calendar.data_end
    left = in_window & (code >= 0) & ~np.isin(code, ADVERSE)
    y[past_end | left | (records == 0)] = np.nan
    return y


def ground_truth(pop: Population, path: Path, calendar: Calendar, rows: np.ndarray,
                 probs: np.ndarray, y: np.ndarray) -> pd.DataFrame:
    """One row per student and week in the cohort, sorted by district_id and week."""
    s = pop.students
    i, w = rows[:, 0], rows[:, 1]
    start = np.datetime64(calendar.start, "D")
    week_start = start + (7 * w).astype("timedelta64[D]")
    frame = pd.DataFrame({
        "district_id": pd.Categorical.from_codes(i, categories=pd.Index(s["district_id"],
                                                                         dtype=object)),
        "week_start": week_start.astype("datetime64[s]"),
        "as_of_date": (week_start + np.timedelta64(4, "D")).astype("datetime64[s]"),
    })
    for k, name in enumerate(OUTCOMES):
        frame[f"p_{name}_12w"] = np.round(probs[:, k], P_DECIMALS)
    for k, name in enumerate(OUTCOMES):
        frame[f"y_{name}_12w"] = pd.array(y[:, k], dtype="Float64").astype("Int8")
    code, date = exit_columns(path, calendar, s["district_index"].to_numpy())
    frame["exit_code"] = code[i]
    frame["exit_date"] = date[i]
    return frame


def exit_columns(path: Path, calendar: Calendar, district: np.ndarray
                 ) -> tuple[pd.Categorical, np.ndarray]:
    """Each student's exit code (categorical, NaN = none) and exit date (NaT = none)."""
    left = path.exit_week >= 0
    code = pd.Categorical.from_codes(path.exit_code, categories=list(codes.EXIT_CODES))
    offset = calendar.slot_offset[district, np.maximum(path.exit_week, 0), path.exit_slot]
    date = calendar.date_of(offset).astype("datetime64[s]")
    date[~left] = np.datetime64("NaT")
    return code, date
