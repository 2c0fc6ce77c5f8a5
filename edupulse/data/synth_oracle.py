"""The oracle: true outcome probabilities from the generator's state at the end of each week.

For a week w with as-of date A (its Friday) and every student in the cohort at A, the process is
continued K times from the student's realised latent risk z(w) with `week_step`, the function
that made the data, over the 12 weeks of the window (A, A + 84 days]. A continuation samples the
latent path and the school days; exits and grades are integrated given them, which removes most
of the Monte Carlo noise (Rao-Blackwellisation):
- exits: the path does not depend on exits, so with the weekly hazards a_j (dropout/withdrawal)
  and b_j (transfer/other), a path's probability of leaving adversely is
  A = sum_j S_(j-1) a_j and of staying all window S_12, with S_j = prod_(i<=j) (1 - a_i - b_i).
  A non-adverse exit censors the row (the labels exclude it), so each probability is
  P(outcome, not censored | path) / P(not censored | path), as a ratio of means over the paths;
- a leaving student's records stop at the exit day, drawn once per path from its distribution
  given the path; a staying student has the whole window;
- chronic absence: attended records / records < 0.90, from the sampled school days;
- course failure: given the path, a course's window grades are independent rounded normals, so
  P(mean < 60) = P(sum <= 60 n - 1) is a normal integral with continuity correction (n is ~20
  grades per course; error ~1e-3 at worst, far below the Monte Carlo error), combined over
  courses as 1 - prod(1 - p_c);
- dropout = A; chronic = A chronic(leaving) + S_12 chronic(staying), likewise course failure;
  any adverse = A + S_12 (1 - (1 - chronic)(1 - course failure)), so it is never below the
  other three.
The probabilities are consistent for any K (the ratio's bias is O(1/K) times the tiny variance of
P(not censored | path)); see SynthConfig.oracle_draws for the noise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr
from threadpoolctl import threadpool_limits

from edupulse.data import codes
from edupulse.data.synth_calendar import SLOTS, TYPE_OFFSET, TYPE_VAR, Calendar, Timetable
from edupulse.data.synth_config import HORIZON_WEEKS
from edupulse.data.synth_process import (
    GRADE_SLOPE,
    Path,
    Traits,
    district_slices,
    week_step,
)

CHUNK_PATHS = 32_768  # students x K per block: keeps the working arrays in cache
SAFE_SDS = 5.5  # a course further than this many sds above failing: p < 2e-8, taken as 0
OUTCOMES = ("dropout", "course_failure", "chronic_absence", "any_adverse")


@dataclass(frozen=True)
class CourseWeeks:
    """Per district and timetable position: assignments, offset sums and variances per week."""

    count: np.ndarray  # (districts, 7, total_weeks)
    offset: np.ndarray
    var: np.ndarray
    by_slot: np.ndarray  # (3, districts, 7, total_weeks * 5): the same cumulated to each day

    @classmethod
    def of(cls, timetable: Timetable) -> CourseWeeks:
        c = np.cumsum(timetable.counts(), axis=-1, dtype=np.float64)
        o = np.cumsum(timetable.sums(TYPE_OFFSET), axis=-1)
        v = np.cumsum(timetable.sums(TYPE_VAR), axis=-1)
        by_slot = np.stack([c, o, v]).reshape(3, *c.shape[:2], -1)
        return cls(c[..., -1], o[..., -1], v[..., -1], by_slot)


def oracle_probabilities(
    path: Path, tr: Traits, district_index: np.ndarray, enroll_week: np.ndarray,
    calendar: Calendar, courses: CourseWeeks, draws: int, rng: np.random.Generator,
    on_week: Callable[[], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(student, week) index pairs of the cohort rows and their (rows, 4) probabilities.

    Rows come sorted by student, then week. Students are continued in blocks of one district
    (one calendar) and at most CHUNK_PATHS paths.
    """
    parts = district_slices(district_index)
    rows, probs = [], []
    # The matrix products here are tiny: BLAS threads would only spin on a shared machine.
    with threadpool_limits(limits=1, user_api="blas"):
        for w in range(calendar.weeks):
            cohort = np.flatnonzero(path.active_after(w, enroll_week))
            for d, sl in parts:
                members = cohort[(cohort >= sl.start) & (cohort < sl.stop)]
                for a in range(0, len(members), max(1, CHUNK_PATHS // draws)):
                    idx = members[a:a + max(1, CHUNK_PATHS // draws)]
                    rows.append(np.column_stack([idx, np.full(len(idx), w)]))
                    probs.append(_continue(path.z[idx, w], tr.take(idx), d, w, calendar,
                                           courses, draws, rng))
            if on_week is not None:
                on_week()
    if not rows:
        return np.empty((0, 2), dtype=np.int64), np.empty((0, len(OUTCOMES)))
    r, p = np.concatenate(rows), np.concatenate(probs)
    order = np.lexsort((r[:, 1], r[:, 0]))
    return r[order], p[order]


def _continue(z0: np.ndarray, tr: Traits, d: int, w: int, calendar: Calendar,
              courses: CourseWeeks, k: int, rng: np.random.Generator) -> np.ndarray:
    """K continuations of the given students from week w; returns (n, 4) probabilities."""
    n, h = len(z0), HORIZON_WEEKS
    z = np.repeat(z0[:, None], k, axis=1)
    ndays = calendar.ndays[d, w + 1: w + 1 + h].astype(np.int64)
    # Days missed entirely / at least in part, summed up to each school day of the window.
    whole_at = np.zeros((h * SLOTS, n, k), dtype=np.int16)
    partly_at = np.zeros((h * SLOTS, n, k), dtype=np.int16)
    whole = np.zeros((n, k), dtype=np.int16)
    partly = np.zeros((n, k), dtype=np.int16)
    zpath = np.empty((h, n, k))
    cum = np.zeros((h, n, k))  # P(an adverse first exit by the end of week j | path)
    stay = np.ones((n, k))  # P(no exit so far | path)
    for j in range(h):
        draw = week_step(z, None, w + 1 + j, int(ndays[j]), tr, rng)
        zpath[j] = z
        for s, u in enumerate(draw.day_u):
            whole += u < draw.absent_below
            partly += u < draw.skip_below
            whole_at[j * SLOTS + s] = whole
            partly_at[j * SLOTS + s] = partly
        np.multiply(stay, draw.adverse_hazard, out=cum[j])
        if j:
            cum[j] += cum[j - 1]
        stay *= 1.0 - draw.other_hazard - draw.adverse_hazard
    adverse = cum[-1]
    # One adverse exit point per continuation from its distribution given the path: the
    # records up to that day decide chronic absence and course failure if the student leaves.
    week = (cum < rng.random((n, k)) * adverse).sum(axis=0)
    slot = (rng.random((n, k)) * np.maximum(ndays[week], 1)).astype(np.int64)
    periods = tr.periods[:, None].astype(np.int64)
    chronic_full = _chronic(whole, partly, ndays.sum(), periods)
    upto = (week * SLOTS + slot) * (n * k) + np.arange(n * k).reshape(n, k)
    days_before = np.concatenate([[0], np.cumsum(ndays)])
    chronic_left = _chronic(whole_at.reshape(-1)[upto], partly_at.reshape(-1)[upto],
                            days_before[week] + slot + 1, periods)
    fail_full, fail_left = _course_failure(zpath, tr, d, w, courses, week, slot)
    either = 1.0 - (1.0 - chronic_full) * (1.0 - fail_full)
    numerators = (adverse, adverse * fail_left + stay * fail_full,
                  adverse * chronic_left + stay * chronic_full, adverse + stay * either)
    kept = (adverse + stay).sum(axis=1)  # P(not censored by a non-adverse exit), times K
    return np.column_stack([x.sum(axis=1) for x in numerators]) / kept[:, None]


def _chronic(whole: np.ndarray, partly: np.ndarray, days: np.ndarray | int,
             periods: np.ndarray) -> np.ndarray:
    """1.0 where attended / records < 0.90: a whole day misses every period, a partial day one."""
    records = days * periods
    missed = partly + (periods - 1) * whole
    return ((records > 0) & (10 * (records - missed) < 9 * records)).astype(float)


def _course_failure(zpath: np.ndarray, tr: Traits, d: int, w: int, courses: CourseWeeks,
                    week: np.ndarray, slot: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """P(some course's window mean grade < 60 | path), staying the whole window and leaving
    after school day `slot` of window week `week`; each (n, K).

    Given the path, a course's window grades are independent rounded normals; their sum S over
    `count` grades fails when S <= 60 count - 1, so P = Phi(-gap / sd) with
    gap = E[S] - (60 count - 1/2). Arrays are laid out (course, student, path).
    """
    h, n, k = zpath.shape
    flat = zpath.reshape(h, n * k)
    win = slice(w + 1, w + 1 + h)
    cnt, off, var = (a[d][:, win] for a in (courses.count, courses.offset, courses.var))
    ability = tr.ability.T[:, :, None]  # (7, n, 1), nan = no course
    count = cnt.sum(axis=1)[:, None, None]
    gap = (cnt @ flat).reshape(7, n, k)
    gap *= -GRADE_SLOPE
    gap += ability * count + off.sum(axis=1)[:, None, None] - (codes.FAILING_GRADE * count - 0.5)
    full = _any_fails(gap, np.sqrt(var.sum(axis=1))[:, None, None])
    # Leaving: the weeks before `week` in full, then that week up to `slot`.
    before = (np.arange(h)[:, None] < week.reshape(1, n * k)).astype(float)  # (h, n k)
    at = ((w + 1 + week) * SLOTS + slot).reshape(-1)
    part_cnt, part_off, part_var = np.take(courses.by_slot[:, d], at, axis=2).reshape(
        3, 7, n, k)  # assignments, offsets, variances of the exit week up to the exit day
    count = (cnt @ before).reshape(7, n, k) + part_cnt
    z_week = flat.reshape(-1)[week.reshape(-1) * (n * k) + np.arange(n * k)].reshape(n, k)
    gap = (cnt @ (flat * before)).reshape(7, n, k)
    gap += part_cnt * z_week
    gap *= -GRADE_SLOPE
    gap += ability * count + (off @ before).reshape(7, n, k) + part_off
    gap -= codes.FAILING_GRADE * count - 0.5
    gap[count == 0] = np.inf
    sd = np.sqrt((var @ before).reshape(7, n, k) + part_var)
    return full, _any_fails(gap, sd)


def _any_fails(gap: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """1 - prod over courses (axis 0) of P(course passes); nan/inf gaps (no course) never fail."""
    near = gap < SAFE_SDS * sd
    sd = np.broadcast_to(sd, gap.shape)
    p = np.zeros(gap.shape)
    p[near] = ndtr(-gap[near] / sd[near])
    stays = np.ones(gap.shape[1:])
    for pc in p:
        stays *= 1.0 - pc
    return 1.0 - stays
