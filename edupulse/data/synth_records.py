"""The records an SIS would hold, drawn from the realised latent path.

Attendance statuses, which period a student skips, whether an absence is excused, assignment
grades and discipline incidents are drawn here from the path of synth_process. None of these
draws feeds back into the process, and only the grades matter for an outcome (course failure),
which the oracle integrates with exactly the distribution used here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from edupulse.data import codes
from edupulse.data.synth_calendar import TYPE_OFFSET, TYPE_SD, Calendar, Timetable
from edupulse.data.synth_population import Population
from edupulse.data.synth_process import GRADE_SLOPE, Path, Traits, district_slices

CHUNK_STUDENTS = 1000
PRESENT, ABSENT, TARDY, EXCUSED = range(4)  # index into codes.ATTENDANCE_STATUSES
INCIDENT_RATE = np.array([0.02, 0.06, 0.04])  # per week at z = 0, by band
SEVERITY_AT = np.array([-0.2, -1.5, -3.2, -4.2])  # logit of P(severity >= 2..5) at z = 0
DESCRIPTIONS = {
    "tardy": "Arrived late to class without a pass.",
    "dress code": "Dress code violation; asked to change.",
    "disruption": "Disrupted instruction repeatedly after a warning.",
    "inappropriate language": "Used inappropriate language toward a classmate.",
    "defiance": "Refused repeated directions from staff.",
    "fighting": "Involved in a physical fight with another student.",
    "weapons": "Brought a prohibited item considered a weapon to school.",
    "drugs": "Found in possession of a controlled substance.",
    "violence": "Assaulted another student causing injury.",
    "safety threat": "Made a threat against the safety of the school.",
}
RESOLUTIONS = {
    1: ("Verbal warning", "Parent contacted"),
    2: ("Detention", "Parent conference"),
    3: ("In-school suspension", "Out-of-school suspension (1 day)"),
    4: ("Out-of-school suspension (3 days)", "Out-of-school suspension (5 days)"),
    5: ("Out-of-school suspension (10 days); district hearing",
        "Referral to alternative placement"),
}


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


@dataclass(frozen=True)
class Weekly:
    """Weekly sums of the emitted records, for the realised outcomes."""

    attended: np.ndarray  # (n, weeks) attendance records present or tardy
    records: np.ndarray  # (n, weeks)
    grade_sum: np.ndarray  # (n, 7, weeks) sum of grade_value per timetable position
    grade_count: np.ndarray  # (n, 7, weeks)


@dataclass(frozen=True)
class Records:
    attendance: pd.DataFrame
    grades: pd.DataFrame
    discipline: pd.DataFrame
    weekly: Weekly


def _attendance(flags: np.ndarray, z: np.ndarray, periods: np.ndarray, offsets: np.ndarray,
                rng: np.random.Generator) -> pd.DataFrame:
    """Attendance rows of one block of students (flags (n, weeks, 5) from the path)."""
    i, t, s = np.nonzero(flags)
    f, zz, per = flags[i, t, s], z[i, t], periods[i]
    excused = rng.random(len(i)) < _sigmoid(0.8 - 0.9 * zz)
    skipped = (rng.random(len(i)) * per).astype(np.int16) + 1  # the period skipped on flag 2
    reps = per.astype(np.int64)
    row = np.repeat(np.arange(len(i)), reps)
    period = np.arange(len(row)) - np.repeat(np.cumsum(reps) - reps, reps) + 1
    secondary = per[row] > 1
    tardy = rng.random(len(row)) < _sigmoid(np.where(secondary, -4.0, -3.0) + 0.6 * zz[row])
    status = np.where(tardy, TARDY, PRESENT)
    status = np.where((f[row] == 2) & (period == skipped[row]), ABSENT, status)
    status = np.where(f[row] == 3, np.where(excused[row], EXCUSED, ABSENT), status)
    return pd.DataFrame({
        "row": i[row],
        "offset": offsets[t[row], s[row]],
        "status": status.astype(np.int8),
        "period": np.where(secondary, period, 0).astype(np.int8),
    })


def _grades(flags: np.ndarray, z: np.ndarray, ability: np.ndarray, has: np.ndarray,
            offsets: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """Assignment grades of one block: one per scheduled assignment on an enrolled school day."""
    weeks = flags.shape[1]
    due = has[:, :weeks].transpose(1, 2, 0, 3)  # (weeks, 5, 7, 4)
    # Axes (student, week, slot, position, type): nonzero lists grades in date order.
    mask = (flags[:, :, :, None, None] > 0) & due[None] & ~np.isnan(ability)[:, None, None, :, None]
    i, t, s, p, k = np.nonzero(mask)
    mean = ability[i, p] + TYPE_OFFSET[k] - GRADE_SLOPE * z[i, t]
    value = np.clip(np.rint(mean + TYPE_SD[k] * rng.standard_normal(len(i))), 0, 100)
    return pd.DataFrame({"row": i, "position": p.astype(np.int8), "week": t.astype(np.int16),
                         "offset": offsets[t, s], "type": k.astype(np.int8),
                         "value": value.astype(np.int16)})


def _incidents(flags: np.ndarray, z: np.ndarray, band: np.ndarray, offsets: np.ndarray,
               rng: np.random.Generator) -> pd.DataFrame:
    """Discipline incidents of one block: Poisson per week, on days the student was in school."""
    present = (flags == 1) | (flags == 2)
    days = present.sum(axis=2)
    rate = INCIDENT_RATE[band][:, None] * np.exp(0.8 * z) * days / 5.0
    count = rng.poisson(rate)
    i, t = np.nonzero(count)
    i, t = np.repeat(i, count[i, t]), np.repeat(t, count[i, t])
    pick = (rng.random(len(i)) * days[i, t]).astype(int)  # the pick-th day present that week
    slot = np.argmax(np.cumsum(present[i, t], axis=1) > pick[:, None], axis=1)
    u = rng.random((len(i), 3))
    severity = 1 + (u[:, [0]] < _sigmoid(SEVERITY_AT[None, :] + 0.6 * z[i, t][:, None])).sum(1)
    return pd.DataFrame({"row": i, "offset": offsets[t, slot], "severity": severity,
                         "type_pick": (u[:, 1] < 0.5).astype(int),
                         "resolution_pick": (u[:, 2] < 0.5).astype(int)})


def draw_records(pop: Population, tr: Traits, path: Path, calendar: Calendar,
                 timetable: Timetable, rng: np.random.Generator) -> Records:
    """All attendance, grade and discipline records of the data weeks."""
    s = pop.students
    n, weeks = path.z.shape
    periods = s["periods"].to_numpy()
    band = s["band"].to_numpy()
    att, grd, inc = [], [], []
    for d, sl in district_slices(s["district_index"].to_numpy()):
        offsets = calendar.slot_offset[d, :weeks]
        for a in range(sl.start, sl.stop, CHUNK_STUDENTS):
            b = min(a + CHUNK_STUDENTS, sl.stop)
            fl, zz = path.flags[a:b], path.z[a:b]
            for frames, part in ((att, _attendance(fl, zz, periods[a:b], offsets, rng)),
                                 (grd, _grades(fl, zz, tr.ability[a:b], timetable.has[d],
                                               offsets, rng)),
                                 (inc, _incidents(fl, zz, band[a:b], offsets, rng))):
                part["row"] += a
                frames.append(part)
    attendance, grades, incidents = (pd.concat(x, ignore_index=True) for x in (att, grd, inc))
    weekly = _weekly(path, periods, grades, n, weeks)
    return Records(_attendance_frame(attendance, s, calendar),
                   _grade_frame(grades, pop, calendar), _discipline_frame(incidents, s, calendar),
                   weekly)


def _weekly(path: Path, periods: np.ndarray, grades: pd.DataFrame, n: int, weeks: int) -> Weekly:
    per = periods[:, None, None]
    f = path.flags
    attended = np.where(f == 1, per, np.where(f == 2, per - 1, 0)).sum(axis=2)
    records = np.where(f > 0, per, 0).sum(axis=2)
    key = (grades["row"].to_numpy() * 7 + grades["position"].to_numpy()) * weeks + grades[
        "week"].to_numpy()
    size = n * 7 * weeks
    gsum = np.bincount(key, weights=grades["value"].to_numpy(), minlength=size)
    gcnt = np.bincount(key, minlength=size)
    return Weekly(attended, records, gsum.reshape(n, 7, weeks), gcnt.reshape(n, 7, weeks))


def _ids(s: pd.DataFrame, row: np.ndarray) -> pd.Categorical:
    return pd.Categorical.from_codes(row, categories=pd.Index(s["district_id"], dtype=object))


def _dates(calendar: Calendar, offset: pd.Series) -> np.ndarray:
    return calendar.date_of(offset.to_numpy()).astype("datetime64[s]")


def _attendance_frame(a: pd.DataFrame, s: pd.DataFrame, calendar: Calendar) -> pd.DataFrame:
    period = a["period"].to_numpy()
    return pd.DataFrame({
        "district_id": _ids(s, a["row"].to_numpy()),
        "date": _dates(calendar, a["offset"]),
        "status": pd.Categorical.from_codes(a["status"].to_numpy(),
                                            categories=list(codes.ATTENDANCE_STATUSES)),
        "period": pd.arrays.IntegerArray(period, period == 0),  # 0 = day-level record
    })


def _letters(value: np.ndarray) -> np.ndarray:
    """Index into codes.LETTER_GRADES: how many lower bounds the value is below."""
    bounds = np.array([low for low, _ in codes.LETTER_GRADES])
    return (value[:, None] < bounds[None, :]).sum(axis=1).astype(np.int8)


def _grade_frame(g: pd.DataFrame, pop: Population, calendar: Calendar) -> pd.DataFrame:
    rows, pos = g["row"].to_numpy(), g["position"].to_numpy()
    course = pop.course_index[rows, pos]
    cat = pop.catalogue
    value = g["value"].to_numpy()
    return pd.DataFrame({
        "district_id": _ids(pop.students, rows),
        "course_id": pd.Categorical.from_codes(course, categories=pd.Index(cat["course_id"],
                                                                            dtype=object)),
        "course_name": pd.Categorical(cat["course_name"].to_numpy(dtype=object)[course]),
        "grade_value": value.astype(np.int16),
        "grade_letter": pd.Categorical.from_codes(
            _letters(value.astype(float)), categories=[x for _, x in codes.LETTER_GRADES]),
        "submission_date": _dates(calendar, g["offset"]),
        "assignment_type": pd.Categorical.from_codes(g["type"].to_numpy(),
                                                     categories=list(codes.ASSIGNMENT_TYPES)),
    })


def _discipline_frame(x: pd.DataFrame, s: pd.DataFrame, calendar: Calendar) -> pd.DataFrame:
    sev = x["severity"].to_numpy()
    types = np.array([codes.SEVERITY_LEVELS[int(v)][1][int(p)] for v, p in
                      zip(sev, x["type_pick"], strict=True)], dtype=object)
    frame = pd.DataFrame({
        "district_id": _ids(s, x["row"].to_numpy()),
        "incident_date": _dates(calendar, x["offset"]),
        "severity_level": sev.astype(np.int8),
        "incident_type": types,
        "description": [DESCRIPTIONS[t] for t in types],
        "resolution": [RESOLUTIONS[int(v)][int(p)] for v, p in
                       zip(sev, x["resolution_pick"], strict=True)],
        "row": x["row"].to_numpy(),
    })
    # The natural key (student, date, type): a second identical incident that day is one record.
    frame = frame.drop_duplicates(["row", "incident_date", "incident_type"])
    frame = frame.sort_values(["row", "incident_date", "incident_type"], kind="stable")
    return frame.drop(columns="row").reset_index(drop=True)
