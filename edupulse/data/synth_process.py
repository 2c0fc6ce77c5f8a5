"""The latent risk process of a synthetic district: one vectorised weekly step.

Each student i has a latent risk z (higher = worse) that moves weekly around a personal trend:

    target_i(t) = mu_i + delta_i * t
    z_i(t)      = target_i(t) + RHO * (z_i(t-1) - target_i(t-1)) + SPREAD * (U - 1/2)

an AR(1) around a student-specific linear drift, with uniform innovations (sd INNOVATION_SD).
mu_i = MU_BASE + SES_SHIFT[ses] + BAND_SHIFT[band] + OVERAGE_SHIFT * over-age + school effect +
MU_SD * N(0, 1); delta_i is ~0 for most students and positive for a "declining" minority.
Socioeconomic status is the only demographic that enters: ethnicity and gender never do, they
reach the outcomes only through their correlation with socioeconomic status in the population.

Each week z drives, with e = exp(z):
- attendance: each school day is missed entirely with probability q = e / (e + exp(ABSENT_AT));
  secondary students otherwise skip one period with probability min(PARTIAL_RATIO q, 1 - q);
- exit: an adverse exit (dropout or withdrawal) with hazard ADVERSE_K[grade] * e^2 per week
  (capped), a transfer or other exit with constant hazard; exits fall on a school day of the week;
- grades (synth_records): an assignment's grade is N(ability_ic + type offset - GRADE_SLOPE * z,
  type sd^2) rounded to whole points and clipped to 0..100;
- discipline (synth_records): Poisson incidents with rate INCIDENT_RATE[band] * e^0.8, more severe
  when z is high.

`week_step` is the single source of this randomness: the realised data and the oracle's Monte
Carlo continuations (synth_oracle) both call it, so the oracle simulates exactly the process that
made the data.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from edupulse.data.synth_population import Population

RHO = 0.8
INNOVATION_SD = 0.35
SPREAD = INNOVATION_SD * np.sqrt(12.0)
STATIONARY_SD = INNOVATION_SD / np.sqrt(1 - RHO**2)
MU_BASE, MU_SD = -0.35, 0.75
SES_SHIFT = {"low": 0.5, "middle": 0.0, "high": -0.4}
BAND_SHIFT = np.array([-0.3, 0.05, 0.15])
OVERAGE_SHIFT, SCHOOL_SD = 0.35, 0.15
DECLINE_SHARE, DECLINE_MEAN, DECLINE_SD, DRIFT_SD = 0.2, 0.03, 0.015, 0.006
ABSENT_AT, PARTIAL_RATIO = 3.3, 0.8
ABSENT_ODDS = float(np.exp(ABSENT_AT))
DAY_RESOLUTION = 65536.0
# Weekly adverse-exit hazard scale by grade K..12 and the dropout share of adverse exits.
ADVERSE_K = np.array([2e-6] * 6 + [5e-6, 1e-5, 2e-5] + [1.2e-4, 1.4e-4, 1.4e-4, 1.2e-4])
DROPOUT_SHARE = np.array([0.0] * 9 + [0.5, 0.75, 0.8, 0.8])
ADVERSE_CAP = 0.25
TRANSFER_HAZARD, OTHER_SHARE = 0.0012, 0.1
ABILITY_MEAN, STUDENT_SD, COURSE_SD, GRADE_SLOPE = 82.0, 6.0, 5.0, 6.0
# Exit codes as stored in arrays: index into codes.EXIT_CODES, -1 = none.
DROPOUT, WITHDRAWAL, TRANSFER, OTHER = 0, 1, 2, 4


@dataclass(frozen=True)
class Traits:
    """Per-student parameters of the process (arrays with one row per student)."""

    level: np.ndarray  # mu * (1 - RHO) + delta * RHO: the constant of the AR(1) recursion
    slope: np.ndarray  # delta * (1 - RHO): its weekly change
    z_init: np.ndarray  # z of the week before week 0
    adverse_k: np.ndarray
    dropout_share: np.ndarray
    partial: np.ndarray  # 1.0 for secondary students (period attendance), else 0.0
    periods: np.ndarray  # attendance records per school day (1 = day-level)
    ability: np.ndarray  # (n, 7) expected grade of each course at z = 0
    mu: np.ndarray
    delta: np.ndarray

    def take(self, idx: np.ndarray | slice) -> Traits:
        return Traits(**{f.name: getattr(self, f.name)[idx] for f in fields(self)})


def draw_traits(pop: Population, rng: np.random.Generator) -> Traits:
    """Draw every student's latent parameters from their non-protected attributes."""
    s = pop.students
    n = len(s)
    ses = s["socioeconomic_status"].map(SES_SHIFT).to_numpy(dtype=float)
    band = s["band"].to_numpy()
    grade = s["grade_level"].to_numpy()
    school = rng.normal(0.0, SCHOOL_SD, int(s["school_index"].max()) + 1)
    mu = (MU_BASE + ses + BAND_SHIFT[band] + OVERAGE_SHIFT * s["overage"].to_numpy()
          + school[s["school_index"].to_numpy()] + MU_SD * rng.standard_normal(n))
    declining = rng.random(n) < DECLINE_SHARE
    delta = np.where(declining, rng.normal(DECLINE_MEAN, DECLINE_SD, n),
                     rng.normal(0.0, DRIFT_SD, n))
    z_init = mu - delta + STATIONARY_SD * rng.standard_normal(n)
    difficulty = np.append(pop.catalogue["difficulty"].to_numpy(dtype=float), np.nan)
    ability = (ABILITY_MEAN + STUDENT_SD * rng.standard_normal(n)[:, None]
               + COURSE_SD * rng.standard_normal(pop.course_index.shape)
               + difficulty[pop.course_index])  # index -1 -> nan: no course
    return Traits(
        level=mu * (1 - RHO) + delta * RHO, slope=delta * (1 - RHO), z_init=z_init,
        adverse_k=ADVERSE_K[grade], dropout_share=DROPOUT_SHARE[grade],
        partial=(band > 0).astype(float), periods=s["periods"].to_numpy(dtype=np.int16),
        ability=ability, mu=mu, delta=delta,
    )


@dataclass
class WeekDraw:
    """One week of the process for arrays of shape (n, K): K paths per student."""

    z: np.ndarray  # latent risk this week
    leaving: tuple[np.ndarray, np.ndarray]  # indices of paths that exit this week
    exit_code: np.ndarray  # code index of each leaving path
    exit_slot: np.ndarray  # last school day (slot) of each leaving path
    day_u: np.ndarray  # (ndays, n, K) uint16 uniforms of the school days
    absent_below: np.ndarray  # uint16: a day is missed entirely when its uniform is below
    skip_below: np.ndarray  # uint16: a day is missed at least in part when its uniform is below
    adverse_hazard: np.ndarray  # probability of a dropout/withdrawal this week
    other_hazard: float  # probability of a transfer or other exit this week


def _threshold(p: np.ndarray) -> np.ndarray:
    """Probabilities as thresholds for 16-bit uniforms (rounded down to multiples of 2**-16)."""
    p *= DAY_RESOLUTION
    np.minimum(p, DAY_RESOLUTION - 1, out=p)
    return p.astype(np.uint16)


def week_step(z: np.ndarray, active: np.ndarray | None, t: int, ndays: int, tr: Traits,
              rng: np.random.Generator) -> WeekDraw:
    """Advance z (in place) to week t and draw the week's exits and school days.

    `active` marks paths that can exit this week (None: draw no exits, only report the hazards,
    as the oracle integrates exits analytically); `tr` holds the rows of these students.
    School days use 16-bit uniforms (4 per 64-bit draw): four times cheaper than floats, which
    matters because the oracle calls this millions of times.
    """
    u = rng.random(z.shape)
    u *= SPREAD
    z *= RHO
    z += (tr.level + tr.slope * t - SPREAD / 2)[:, None]
    z += u
    e = np.exp(z)
    frac = ndays / 5.0
    adverse = e * e
    adverse *= (tr.adverse_k * frac)[:, None]
    np.minimum(adverse, ADVERSE_CAP * frac, out=adverse)
    other = TRANSFER_HAZARD * frac
    leaving: tuple[np.ndarray, np.ndarray] = (np.empty(0, np.int64), np.empty(0, np.int64))
    code, slot = np.empty(0, np.int8), np.empty(0, np.int8)
    if active is not None:
        ux = rng.random(z.shape)
        leaving = np.nonzero((ux < adverse + other) & active)
        extra = rng.random((len(leaving[0]), 2))
        rows = leaving[0]
        is_adverse = ux[leaving] < adverse[leaving]
        code = np.where(is_adverse,
                        np.where(extra[:, 0] < tr.dropout_share[rows], DROPOUT, WITHDRAWAL),
                        np.where(extra[:, 0] < 1 - OTHER_SHARE, TRANSFER, OTHER)).astype(np.int8)
        slot = (extra[:, 1] * ndays).astype(np.int8)
    size = ndays * z.size
    day_u = rng.bit_generator.random_raw(-(-size // 4)).view(np.uint16)[:size]
    e += ABSENT_ODDS
    q = np.divide(1.0, e, out=e)
    q *= -ABSENT_ODDS
    q += 1.0  # e / (e + exp(ABSENT_AT)) without a second temporary
    qh = q * (1.0 + PARTIAL_RATIO * tr.partial)[:, None]
    return WeekDraw(z, leaving, code, slot, day_u.reshape(ndays, *z.shape), _threshold(q),
                    _threshold(qh), adverse, other)


def day_flags(draw: WeekDraw) -> np.ndarray:
    """Per school day: 1 present, 2 skipped one period, 3 absent all day; (ndays, n, K) int8."""
    flags = np.ones(draw.day_u.shape, dtype=np.int8)
    flags += draw.day_u < draw.skip_below
    flags += draw.day_u < draw.absent_below
    return flags


@dataclass(frozen=True)
class Path:
    """The realised process: what actually happened to every student in the data weeks."""

    z: np.ndarray  # (n, weeks) latent risk
    flags: np.ndarray  # (n, weeks, 5) int8: 0 no school/not enrolled, else as day_flags
    exit_week: np.ndarray  # (n,) int16, -1 = no exit
    exit_slot: np.ndarray  # (n,) int8
    exit_code: np.ndarray  # (n,) int8 index into codes.EXIT_CODES, -1 = none

    def active_after(self, week: int, enroll_week: np.ndarray) -> np.ndarray:
        """Students enrolled by the end of `week` and not exited by then (the cohort)."""
        return (enroll_week <= week) & ((self.exit_week < 0) | (self.exit_week > week))


def district_slices(district_index: np.ndarray) -> list[tuple[int, slice]]:
    """Contiguous runs of students of one district (students are sorted by district_id)."""
    cuts = np.flatnonzero(np.diff(district_index)) + 1
    bounds = np.concatenate([[0], cuts, [len(district_index)]])
    return [(int(district_index[a]), slice(int(a), int(b))) for a, b in zip(bounds[:-1],
                                                                         bounds[1:], strict=True)]


def simulate_path(pop: Population, tr: Traits, ndays: np.ndarray, weeks: int,
                  rng: np.random.Generator) -> Path:
    """Run the process over the data weeks for every student (one path each)."""
    s = pop.students
    n = len(s)
    enroll_week = s["enroll_week"].to_numpy()
    enroll_slot = s["enroll_slot"].to_numpy()
    zs = np.empty((n, weeks))
    flags = np.zeros((n, weeks, 5), dtype=np.int8)
    exit_week = np.full(n, -1, dtype=np.int16)
    exit_slot = np.zeros(n, dtype=np.int8)
    exit_code = np.full(n, -1, dtype=np.int8)
    parts = district_slices(s["district_index"].to_numpy())
    z = {d: tr.z_init[sl, None].copy() for d, sl in parts}
    for t in range(weeks):
        for d, sl in parts:
            nd = int(ndays[d, t])
            ew = enroll_week[sl]
            can_exit = ((ew < t) | (ew == 0) & (t == 0)) & (exit_week[sl] < 0)
            draw = week_step(z[d], can_exit[:, None], t, nd, tr.take(sl), rng)
            zs[sl, t] = draw.z[:, 0]
            rows = draw.leaving[0] + sl.start
            exit_week[rows], exit_slot[rows], exit_code[rows] = t, draw.exit_slot, draw.exit_code
            if nd == 0:
                continue
            f = day_flags(draw)[:, :, 0].T  # (students, ndays)
            slot = np.arange(nd)
            ok = (ew[:, None] < t) | ((ew[:, None] == t) & (slot >= enroll_slot[sl, None]))
            gone = exit_week[sl, None]
            ok &= (gone < 0) | (gone > t) | ((gone == t) & (slot <= exit_slot[sl, None]))
            flags[sl, t, :nd] = np.where(ok, f, 0)
    return Path(zs, flags, exit_week, exit_slot, exit_code)
