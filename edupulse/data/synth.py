"""Synthetic districts with a known, documented risk process (the ground truth).

`generate(SynthConfig(...))` draws a population of students in several districts and schools
(synth_population), runs a latent weekly risk process over a school calendar (synth_calendar,
synth_process), turns it into the records an SIS exports (synth_records) and computes, for every
student and week, the true probability of each outcome over the next 12 weeks and the realised
outcome (synth_oracle, synth_outcomes). `write(district, out_dir)` writes the input layout that
`edupulse load` reads. The same config gives byte-identical files.

The latent risk process (full description in docs/synthetic-data.md and synth_process):
each student's latent risk z(t) follows an AR(1) around a personal linear drift,
    z(t) = mu + delta t + RHO (z(t-1) - mu - delta (t-1)) + uniform innovation (sd 0.35),
with mu shifted by socioeconomic status (low +0.5, high -0.4), school band, being over-age for
the grade and the school; delta > 0 for a declining fifth of students. Each week z sets the
probability of missing a day (logistic(z - 3.3)) or, in secondary schools, a period, the hazard
of dropout/withdrawal (proportional to exp(2z) in grades 9-12), assignment grades (6 points lower
per unit of z) and the rate and severity of discipline incidents. Ethnicity and gender never enter
the process; group base rates differ only through socioeconomic status, as in real data.

The oracle probabilities are Monte Carlo continuations (K = `oracle_draws`) of the same weekly
step from each student's state at the end of each week; they are calibrated by construction and
no model can beat them in expectation (the tests check the calibration).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from edupulse.data import codes, synth_io
from edupulse.data.synth_calendar import Calendar, build_calendar, build_timetable
from edupulse.data.synth_config import HORIZON_WEEKS, SynthConfig
from edupulse.data.synth_oracle import CourseWeeks, oracle_probabilities
from edupulse.data.synth_outcomes import exit_columns, ground_truth, realised
from edupulse.data.synth_population import Population, draw_population
from edupulse.data.synth_process import Path as LatentPath
from edupulse.data.synth_process import draw_traits, simulate_path
from edupulse.data.synth_records import Weekly, draw_records

__all__ = ["FILES", "SynthConfig", "SyntheticDistrict", "generate", "population", "simulate",
           "write"]

FILES = ("students", "attendance", "grades", "discipline", "ground_truth")
STUDENT_COLUMNS = (
    "district_id", "first_name", "last_name", "grade_level", "date_of_birth", "gender",
    "ethnicity", "socioeconomic_status", "gpa", "attendance_rate", "parent_contact",
    "enrollment_date", "district_code", "school_code", "exit_date", "exit_code",
)
GPA_FROM_GRADE = 3  # the SIS reports a GPA from grade 3 on
_POINTS = np.array([4.0, 3.0, 2.0, 1.0, 0.0])  # A..F


@dataclass(frozen=True)
class SyntheticDistrict:
    """The generated tables, typed (categoricals and datetimes), in the input layout's columns."""

    config: SynthConfig
    students: pd.DataFrame
    attendance: pd.DataFrame
    grades: pd.DataFrame
    discipline: pd.DataFrame
    ground_truth: pd.DataFrame

    def frames(self) -> dict[str, pd.DataFrame]:
        return {name: getattr(self, name) for name in FILES}


@contextmanager
def _progress(enabled: bool, total: int, label: str) -> Iterator[Callable[[], None]]:
    if not enabled:
        yield lambda: None
        return
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda: bar.advance(task)


def _streams(seed: int) -> list[np.random.Generator]:
    """Independent generators for population, traits, path, oracle and records."""
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(5)]


def generate(config: SynthConfig, *, progress: bool = False) -> SyntheticDistrict:
    """Draw a synthetic district for `config`."""
    return simulate(population(config), config, progress=progress)


def population(config: SynthConfig) -> Population:
    """The students of `config` (demographics, schools, enrolment, courses), before any record."""
    calendar = build_calendar(config.start, config.weeks, HORIZON_WEEKS, config.districts)
    return draw_population(config, calendar, _streams(config.seed)[0])


def simulate(population: Population, config: SynthConfig, *,
             progress: bool = False) -> SyntheticDistrict:
    """Run the process and draw the records for a given population.

    Split from `generate` so a test can permute the protected attributes of the population and
    check that no record or probability changes.
    """
    _, rng_traits, rng_path, rng_oracle, rng_records = _streams(config.seed)
    if config.oracle_seed is not None:
        rng_oracle = np.random.default_rng(np.random.SeedSequence(config.oracle_seed).spawn(1)[0])
    calendar = build_calendar(config.start, config.weeks, HORIZON_WEEKS, config.districts)
    timetable = build_timetable(calendar)
    s = population.students
    traits = draw_traits(population, rng_traits)
    path = simulate_path(population, traits, calendar.ndays, config.weeks, rng_path)
    records = draw_records(population, traits, path, calendar, timetable, rng_records)
    with _progress(progress, config.weeks, "ground truth") as tick:
        rows, probs = oracle_probabilities(
            path, traits, s["district_index"].to_numpy(), s["enroll_week"].to_numpy(), calendar,
            CourseWeeks.of(timetable), config.oracle_draws, rng_oracle, on_week=tick)
    y = realised(rows, path, records.weekly, calendar)
    return SyntheticDistrict(
        config=config,
        students=_students(population, path, records.weekly, calendar),
        attendance=records.attendance,
        grades=records.grades,
        discipline=records.discipline,
        ground_truth=ground_truth(population, path, calendar, rows, probs, y),
    )


def _students(pop: Population, path: LatentPath, weekly: Weekly,
              calendar: Calendar) -> pd.DataFrame:
    """The students file: SIS fields plus the snapshot of gpa and attendance at the export."""
    s = pop.students
    total = weekly.grade_count.sum(axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = weekly.grade_sum.sum(axis=2) / total
        bounds = np.array([low for low, _ in codes.LETTER_GRADES])
        points = _POINTS[np.minimum((mean[..., None] < bounds).sum(axis=-1), 4)]
        graded = total > 0
        gpa = np.where(graded, points, 0.0).sum(axis=1) / graded.sum(axis=1)
        rate = weekly.attended.sum(axis=1) / weekly.records.sum(axis=1)
    gpa = np.where(s["grade_level"].to_numpy() >= GPA_FROM_GRADE, np.round(gpa, 2), np.nan)
    code, date = exit_columns(path, calendar, s["district_index"].to_numpy())
    out = s.assign(gpa=gpa, attendance_rate=np.round(rate, 3), exit_date=date, exit_code=code)
    out["date_of_birth"] = out["date_of_birth"].astype("datetime64[s]")
    out["enrollment_date"] = out["enrollment_date"].astype("datetime64[s]")
    return out.loc[:, list(STUDENT_COLUMNS)]


def write(district: SyntheticDistrict, out_dir: str | Path, gzip: bool = False, *,
          progress: bool = False) -> list[Path]:
    """Write the five CSV files (``.csv`` or ``.csv.gz``) into out_dir; returns their paths.

    Each file is written under a temporary name and all five are renamed only once every one
    is complete, so a failure leaves any earlier files in out_dir as they were.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    suffix = ".csv.gz" if gzip else ".csv"
    paths = [out / f"{name}{suffix}" for name in FILES]
    partial = [p.with_name(f".{p.name}.partial") for p in paths]
    frames = district.frames()
    blocks = sum(-(-len(f) // synth_io.BLOCK_ROWS) for f in frames.values())
    try:
        with _progress(progress, blocks, "writing") as tick:
            for name, tmp in zip(FILES, partial, strict=True):
                if name in ("students", "discipline"):
                    synth_io.write_pandas(frames[name], tmp, gzip)
                    tick()
                else:
                    synth_io.write_arrow(frames[name], tmp, gzip, on_block=tick)
        for tmp, path in zip(partial, paths, strict=True):
            tmp.replace(path)
    finally:
        for tmp in partial:
            tmp.unlink(missing_ok=True)
    return paths
