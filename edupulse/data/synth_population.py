"""Who the synthetic students are: districts, schools, demographics, enrolment and courses.

Everything here is what an SIS knows about a student. Ethnicity shares roughly follow US public
school enrolment (NCES Digest of Education Statistics, enrolment by race/ethnicity, about 2021),
varied by district. Socioeconomic status is drawn given ethnicity from an illustrative table:
about 45% low overall (close to the national free/reduced-price lunch share), more often low
among Black, Hispanic and American Indian students, as in national data. Ethnicity and gender are
not used anywhere else in the generator: the latent risk process (synth_process) reads
socioeconomic status, never these two.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from edupulse.data import synth_names as names
from edupulse.data.synth_calendar import Calendar
from edupulse.data.synth_config import SynthConfig

ETHNICITIES = (
    "White", "Hispanic/Latino", "Black/African American", "Asian", "Two or more races",
    "American Indian/Alaska Native", "Native Hawaiian/Pacific Islander",
)
ETHNICITY_SHARES = np.array([0.45, 0.28, 0.15, 0.05, 0.05, 0.01, 0.004])
# P(low), P(high) socioeconomic status given ethnicity (middle is the rest).
SES_GIVEN_ETHNICITY = np.array([
    [0.30, 0.30], [0.62, 0.10], [0.65, 0.10], [0.28, 0.35], [0.42, 0.22], [0.65, 0.08],
    [0.55, 0.12],
])
GENDER_SHARES = {"F": 0.49, "M": 0.50, "X": 0.01}
BANDS = ("elementary", "middle", "high")
BAND_OF_GRADE = np.array([0] * 6 + [1] * 3 + [2] * 4)
# (code, name, grade-specific names or None, difficulty in grade points)
SUBJECTS = {
    0: [("READ", "Reading", None, 0.0), ("MATH", "Mathematics", None, -2.0),
        ("SCI", "Science", None, 1.0), ("SOC", "Social Studies", None, 1.0)],
    1: [("ELA", "English Language Arts", None, 0.0), ("MATH", "Mathematics", None, -4.0),
        ("SCI", "Science", None, -2.0), ("SOC", "Social Studies", None, 0.0)],
    2: [("ENG", "English", None, 0.0),
        ("MATH", "", ("Algebra I", "Geometry", "Algebra II", "Precalculus"), -5.0),
        ("SCI", "", ("Biology", "Chemistry", "Physics", "Environmental Science"), -3.0),
        ("SOC", "", ("World History", "US History", "US Government", "Economics"), 0.0)],
}
ELECTIVES = {
    1: [("PE", "Physical Education", 6.0), ("ART", "Art", 5.0), ("MUS", "Music", 5.0),
        ("SPA", "Spanish", -1.0), ("TECH", "Technology", 3.0)],
    2: [("PE", "Physical Education", 6.0), ("ART", "Studio Art", 4.0), ("SPAN", "Spanish", -2.0),
        ("FREN", "French", -2.0), ("CSCI", "Computer Science", 0.0), ("HLTH", "Health", 4.0),
        ("BAND", "Band", 5.0)],
}
# Courses per student by band: choices and their probabilities.
COURSE_COUNTS = {1: ((4, 5, 6), (0.15, 0.45, 0.40)), 2: ((4, 5, 6, 7), (0.05, 0.2, 0.4, 0.35))}
MAX_COURSES = 7


@dataclass(frozen=True)
class Population:
    """The students (one row each, sorted by district_id) and their courses."""

    students: pd.DataFrame
    course_index: np.ndarray  # (students, 7) int32: row of `catalogue`, -1 = no course
    catalogue: pd.DataFrame  # course_id, course_name, difficulty


def _schools(cfg: SynthConfig) -> pd.DataFrame:
    rows = []
    per = cfg.schools_per_district
    high = middle = max(1, per // 4)
    for d in range(cfg.districts):
        dcode = f"D{d + 1:02d}"
        for band, count, tag in ((0, per - high - middle, "ES"), (1, middle, "MS"),
                                 (2, high, "HS")):
            for k in range(count):
                periods = 1 if band == 0 else (7 if band == 2 or (d + k) % 2 == 0 else 6)
                rows.append((d, dcode, f"{dcode}-{tag}{k + 1}", band, periods))
    return pd.DataFrame(rows, columns=["district_index", "district_code", "school_code", "band",
                                       "periods"])


def _pick(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One category per row of a (n, k) probability matrix (inverse CDF)."""
    cdf = np.cumsum(probs, axis=1)
    u = rng.random(len(probs))[:, None] * cdf[:, -1:]
    return np.minimum((u >= cdf).sum(axis=1), probs.shape[1] - 1)


def _courses(rng: np.random.Generator, grade: np.ndarray, band: np.ndarray, periods: np.ndarray,
             school: np.ndarray) -> tuple[np.ndarray, pd.DataFrame]:
    catalogue: dict[str, tuple[str, float]] = {}
    index = np.full((len(grade), MAX_COURSES), -1, dtype=np.int32)
    order: dict[str, int] = {}
    for i in range(len(grade)):
        g, b = int(grade[i]), int(band[i])
        chosen = []
        for code, name, by_grade, diff in SUBJECTS[b]:
            if b == 0 and code == "SOC" and g < 3:
                continue
            label = by_grade[g - 9] if by_grade else f"{name} {'K' if g == 0 else g}"
            chosen.append((f"{code}{g:02d}", label, diff))
        if b > 0:
            counts, probs = COURSE_COUNTS[b]
            n = min(int(rng.choice(counts, p=probs)), int(periods[i]))
            pool = ELECTIVES[b]
            for j in rng.permutation(len(pool))[: max(0, n - len(chosen))]:
                code, name, diff = pool[j]
                chosen.append((f"{code}{g:02d}", f"{name} {g}" if b == 1 else name, diff))
        for p, (code, label, diff) in enumerate(chosen):
            cid = f"{school[i]}-{code}"
            if cid not in order:
                order[cid] = len(order)
                catalogue[cid] = (label, diff)
            index[i, p] = order[cid]
    frame = pd.DataFrame(
        [(cid, *catalogue[cid]) for cid in order], columns=["course_id", "course_name",
                                                             "difficulty"])
    return index, frame


def draw_population(cfg: SynthConfig, calendar: Calendar, rng: np.random.Generator) -> Population:
    """Draw the students of a synthetic district (demographics, schools, enrolment, courses)."""
    n = cfg.students
    schools = _schools(cfg)
    dweights = 1.0 / np.arange(1, cfg.districts + 1) ** 0.7
    district = _pick(rng, np.tile(dweights / dweights.sum(), (n, 1)))
    gw = np.asarray(cfg.grade_weights, dtype=float)
    grade = _pick(rng, np.tile(gw / gw.sum(), (n, 1)))
    band = BAND_OF_GRADE[grade]
    school = np.empty(n, dtype=np.int64)
    for (d, b), idx in pd.DataFrame({"d": district, "b": band}).groupby(["d", "b"]).indices.items():
        options = np.flatnonzero((schools.district_index == d) & (schools.band == b))
        school[idx] = options[rng.integers(0, len(options), len(idx))]
    # Districts differ in their ethnic composition around the national shares.
    local = ETHNICITY_SHARES * rng.lognormal(0.0, 0.5, (cfg.districts, len(ETHNICITIES)))
    ethnicity = _pick(rng, (local / local.sum(axis=1, keepdims=True))[district])
    ses_p = SES_GIVEN_ETHNICITY[ethnicity]
    ses = _pick(rng, np.column_stack([ses_p[:, 0], 1 - ses_p.sum(axis=1), ses_p[:, 1]]))
    gender = _pick(rng, np.tile(list(GENDER_SHARES.values()), (n, 1)))
    # Age on September 1: grade + 5; some students were held back a year (more often when poor).
    overage = rng.random(n) < np.where(ses == 0, 0.08, 0.04)
    young = ~overage & (rng.random(n) < 0.01)
    age = grade + 5 + overage.astype(int) - young.astype(int)
    sept1 = np.array([np.datetime64(f"{cfg.school_year - a}-09-01") for a in age])
    dob = sept1 - rng.integers(0, 365, n).astype("timedelta64[D]")

    enroll_week, enroll_slot, enrolled = _enrolment(cfg, calendar, rng, district, grade)
    first_pool = np.array(names.FEMALE + names.MALE + names.NEUTRAL, dtype=object)
    nf, nm = len(names.FEMALE), len(names.MALE)
    pick = np.where(gender == 0, rng.integers(0, nf, n),
                    np.where(gender == 1, nf + rng.integers(0, nm, n),
                             nf + nm + rng.integers(0, len(names.NEUTRAL), n)))
    neutral = rng.random(n) < 0.04  # some girls and boys have unisex names too
    pick = np.where(neutral, nf + nm + rng.integers(0, len(names.NEUTRAL), n), pick)
    last = np.array(names.LAST, dtype=object)[rng.integers(0, len(names.LAST), n)]
    exchange, line = rng.integers(0, 100, n), rng.integers(0, 10_000, n)
    ids = np.empty(n, dtype=object)
    for d in range(cfg.districts):
        idx = np.flatnonzero(district == d)
        serial = np.sort(rng.choice(900_000, size=len(idx), replace=False) + 100_000)
        ids[idx[rng.permutation(len(idx))]] = [f"D{d + 1:02d}-{s:06d}" for s in serial]
    frame = pd.DataFrame({
        "district_id": ids,
        "first_name": first_pool[pick],
        "last_name": last,
        "grade_level": grade,
        "date_of_birth": dob,
        "gender": np.array(list(GENDER_SHARES))[gender],
        "ethnicity": np.array(ETHNICITIES)[ethnicity],
        "socioeconomic_status": np.array(["low", "middle", "high"])[ses],
        "parent_contact": [f"(555) 0{x:02d}-{y:04d}" for x, y in zip(exchange, line, strict=True)],
        "enrollment_date": enrolled,
        "district_code": schools.district_code.to_numpy()[school],
        "school_code": schools.school_code.to_numpy()[school],
        "district_index": district,
        "school_index": school,
        "band": band,
        "periods": schools.periods.to_numpy()[school],
        "overage": overage,
        "enroll_week": enroll_week,
        "enroll_slot": enroll_slot,
    })
    course_index, catalogue = _courses(rng, grade, band, frame.periods.to_numpy(),
                                       frame.school_code.to_numpy())
    order = np.argsort(frame.district_id.to_numpy(), kind="stable")
    frame = frame.iloc[order].reset_index(drop=True)
    return Population(frame, course_index[order], catalogue)


def _enrolment(cfg: SynthConfig, calendar: Calendar, rng: np.random.Generator,
               district: np.ndarray, grade: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Enrolment week and slot in the data (0, 0 = from the start) and the enrolment date."""
    n = len(grade)
    start = np.datetime64(cfg.start, "D")
    # Continuing students entered the district in some earlier August (or just before start).
    years_in = (rng.random(n) * (grade + 1)).astype(int)
    aug = np.array([np.datetime64(f"{cfg.school_year - y}-08-12") for y in years_in])
    enrolled = np.minimum(aug + rng.integers(0, 11, n).astype("timedelta64[D]"), start)
    week = np.zeros(n, dtype=np.int16)
    slot = np.zeros(n, dtype=np.int8)
    last_week = min(cfg.weeks - 1, 30)
    late = np.flatnonzero(rng.random(n) < cfg.late_enrollment_share) if last_week >= 1 else []
    for i in late:
        w = int(rng.integers(1, last_week + 1))
        days = calendar.ndays[district[i]]
        while w < len(days) - 1 and days[w] == 0:
            w += 1
        s = int(rng.integers(0, max(1, days[w])))
        week[i], slot[i] = w, s
        enrolled[i] = start + np.timedelta64(int(calendar.slot_offset[district[i], w, s]), "D")
    return week, slot, enrolled.astype("datetime64[D]")
