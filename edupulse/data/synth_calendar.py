"""School calendar and assignment timetable of a synthetic district.

Weeks run Monday to Friday. A week's school days are numbered 0..4 ("slots"); a holiday removes
its day, so the slots of a week with a Monday holiday are Tuesday..Friday. The latent process
works per week and per slot, the records get real dates through `Calendar.slot_offset`.

Holidays follow the common US rules (Labor Day, Thanksgiving, winter break, MLK Day, Presidents'
Day, a spring-break week, Memorial Day, summer) with a few district variants, so districts'
calendars differ a little as real ones do. The calendar runs on past the last week of data for
the oracle's look-ahead (see synth_oracle).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

SLOTS = 5
# Assignment types in the order of codes.ASSIGNMENT_TYPES, with the grade offset (points) and
# noise sd of each: tests are harder, homework noisier.
TYPE_OFFSET = np.array([-3.0, -1.0, 4.0, 2.0])  # test, quiz, homework, project
TYPE_SD = np.array([9.0, 10.0, 12.0, 8.0])
# Variance of one assignment's integer grade: the noise plus the rounding to whole points.
TYPE_VAR = TYPE_SD**2 + 1.0 / 12.0
HOMEWORK_WEEKDAY = (1, 2, 3, 0, 1, 2, 3)  # by timetable position: Tue, Wed, Thu, Mon, ...
QUIZ_WEEKDAY, TEST_WEEKDAY, PROJECT_WEEKDAY = 4, 3, 0  # Friday, Thursday, Monday


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    """The n-th (1-based; -1 = last) given weekday of a month."""
    if n > 0:
        first = dt.date(year, month, 1)
        return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    nxt = dt.date(year + month // 12, month % 12 + 1, 1)
    last = nxt - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


def holidays(school_year: int, variant: int) -> set[dt.date]:
    """Days without school in the school year starting in August of `school_year`.

    `variant` (0, 1, 2) picks a district's local choices: which Monday holidays it keeps, how
    long its Thanksgiving and winter breaks are, and which March week is spring break.
    """
    y, y1 = school_year, school_year + 1
    days: set[dt.date] = {_nth_weekday(y, 9, 0, 1)}  # Labor Day
    if variant != 1:
        days.add(_nth_weekday(y, 10, 0, 2))  # Indigenous Peoples' / Columbus Day
    if variant == 2:
        days.add(dt.date(y, 11, 11))  # Veterans Day
    thanksgiving = _nth_weekday(y, 11, 3, 4)
    first = 3 if variant == 1 else 1  # whole week off, or Wednesday to Friday
    days.update(thanksgiving + dt.timedelta(days=d) for d in range(-first, 2))
    winter_start = dt.date(y, 12, 20 if variant == 0 else 23)
    days.update(winter_start + dt.timedelta(days=d)
                for d in range((dt.date(y1, 1, 2 + variant) - winter_start).days + 1))
    days.add(_nth_weekday(y1, 1, 0, 3))  # Martin Luther King Jr. Day
    if variant != 0:
        days.add(_nth_weekday(y1, 2, 0, 3))  # Presidents' Day
    spring = _nth_weekday(y1, 3, 0, 2 + variant)
    days.update(spring + dt.timedelta(days=d) for d in range(5))
    days.add(_nth_weekday(y1, 5, 0, -1))  # Memorial Day
    summer = dt.date(y1, 6, 13 - variant)
    days.update(summer + dt.timedelta(days=d)
                for d in range((dt.date(y1, 8, 19) - summer).days + 1))
    return days


@dataclass(frozen=True)
class Calendar:
    """School days of every district, per week and slot, for the data weeks plus a look-ahead."""

    start: dt.date  # Monday of week 0
    weeks: int  # weeks of data
    total_weeks: int  # weeks + look-ahead
    slot_offset: np.ndarray  # (districts, total_weeks, 5) int16: days after start, -1 = none
    ndays: np.ndarray  # (districts, total_weeks) int8: school days in the week
    data_end: dt.date  # the last school day of the data, in any district

    def week_start(self, week: int) -> dt.date:
        return self.start + dt.timedelta(days=7 * week)

    def as_of(self, week: int) -> dt.date:
        """The as-of date of a week: its Friday (the labels' window starts the day after)."""
        return self.start + dt.timedelta(days=7 * week + 4)

    def date_of(self, offset: np.ndarray) -> np.ndarray:
        """Day offsets from `start` as datetime64[D]."""
        return np.datetime64(self.start, "D") + offset.astype("timedelta64[D]")


def build_calendar(start: dt.date, weeks: int, lookahead: int, districts: int) -> Calendar:
    """The calendar of `districts` districts from `start` (a Monday) on."""
    if start.weekday() != 0:
        raise ValueError(f"start {start.isoformat()} is a {start:%A}; it must be a Monday")
    total = weeks + lookahead
    end = start + dt.timedelta(days=7 * total)
    years = range(start.year - 1 if start.month < 8 else start.year, end.year + 1)
    offsets = np.full((districts, total, SLOTS), -1, dtype=np.int16)
    ndays = np.zeros((districts, total), dtype=np.int8)
    last = start
    for d in range(districts):
        off: set[dt.date] = set().union(*(holidays(y, d % 3) for y in years))
        for w in range(total):
            monday = start + dt.timedelta(days=7 * w)
            school = [k for k in range(SLOTS) if monday + dt.timedelta(days=k) not in off]
            ndays[d, w] = len(school)
            offsets[d, w, : len(school)] = [7 * w + k for k in school]
            if w < weeks and school:
                last = max(last, monday + dt.timedelta(days=school[-1]))
    return Calendar(start, weeks, total, offsets, ndays, last)


@dataclass(frozen=True)
class Timetable:
    """Which assignments each timetable position has, per district, week and slot.

    `has[district, position, week, slot, type]` is True when the course in that timetable
    position sets an assignment of that type on that school day. Positions differ in their
    homework day and in the phase of their quiz/test/project cycles, so a student's courses do
    not all test on the same day.
    """

    has: np.ndarray  # (districts, 7, total_weeks, 5, 4) bool

    def counts(self) -> np.ndarray:
        """Assignments per (district, position, week, slot)."""
        return self.has.sum(axis=-1, dtype=np.int16)

    def sums(self, per_type: np.ndarray) -> np.ndarray:
        """Per (district, position, week, slot): the sum of `per_type` over its assignments."""
        return self.has.astype(np.float64) @ per_type


def build_timetable(calendar: Calendar, positions: int = 7) -> Timetable:
    districts, total = calendar.ndays.shape
    has = np.zeros((districts, positions, total, SLOTS, 4), dtype=bool)
    for d in range(districts):
        for w in range(total):
            weekdays = calendar.slot_offset[d, w] - 7 * w  # weekday of each slot, -1 = none
            for p in range(positions):
                due = (
                    (0, TEST_WEEKDAY if (w + p) % 4 == 3 else -2),
                    (1, QUIZ_WEEKDAY if (w + p) % 2 == 0 else -2),
                    (2, HOMEWORK_WEEKDAY[p]),
                    (3, PROJECT_WEEKDAY if (w + 3 * p) % 9 == 8 else -2),
                )
                for kind, weekday in due:
                    slot = np.flatnonzero(weekdays == weekday)
                    if slot.size:
                        has[d, p, w, slot[0], kind] = True
    return Timetable(has)
