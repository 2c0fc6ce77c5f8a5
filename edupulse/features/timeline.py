"""Windows relative to an as-of date, and the elementary intervals that let one database pass
serve many as-of dates.

Every figure EduPulse computes (a weekly attendance rate, a rolling GPA, a year-to-date count, a
label window) is a sum over a half-open window (lo, hi] of dates. If every lo and hi is a
*boundary* of one sorted timeline, each source row falls in exactly one elementary interval
(b[i-1], b[i]]; the database aggregates rows to (student, interval) once, keeps running sums over
the intervals, and any window is then the difference of two running sums. The interval of a day
is looked up in a small calendar table (an equality join), never by date arithmetic per row.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

WEEK = dt.timedelta(days=7)
WEEKS = 4  # the spec's vectors hold four weeks, w1 (oldest) .. w4 (ending at the as-of date)
GPA_WINDOW_WEEKS = 4  # each rolling GPA covers the 28 days ending at the end of its week
SCHOOL_YEAR_START_MONTH = 7  # a school year runs from 1 July to 30 June

ERR_NO_DATES = "no as-of dates given"
ERR_NOT_DATE = "as-of dates must be datetime.date values, got {value!r}"


def school_year_start(day: dt.date) -> dt.date:
    """1 July of the school year that contains `day`: the start of every year-to-date figure."""
    year = day.year if day.month >= SCHOOL_YEAR_START_MONTH else day.year - 1
    return dt.date(year, SCHOOL_YEAR_START_MONTH, 1)


def normalise_dates(as_of_dates: Iterable[dt.date]) -> tuple[dt.date, ...]:
    """Sorted, de-duplicated as-of dates; refuses datetimes and strings so that a caller's
    timezone or format mistake cannot shift a window by a day."""
    out = set()
    for d in as_of_dates:
        if isinstance(d, dt.datetime) or not isinstance(d, dt.date):
            raise TypeError(ERR_NOT_DATE.format(value=d))
        out.add(d)
    if not out:
        raise ValueError(ERR_NO_DATES)
    return tuple(sorted(out))


@dataclass(frozen=True)
class FeatureWindows:
    """The boundaries one as-of date needs. `ends[j]` = as_of - 7j days (j = 0..7): week w4 is
    (ends[1], ends[0]], w1 is (ends[4], ends[3]]; the rolling GPA of the week ending at ends[j]
    covers (ends[j+4], ends[j]]. Year-to-date figures cover (ytd_floor, as_of]."""

    as_of: dt.date
    ends: tuple[dt.date, ...]
    ytd_floor: dt.date

    @classmethod
    def of(cls, as_of: dt.date) -> FeatureWindows:
        ends = tuple(as_of - j * WEEK for j in range(WEEKS + GPA_WINDOW_WEEKS))
        return cls(as_of, ends, school_year_start(as_of) - dt.timedelta(days=1))

    @property
    def boundaries(self) -> tuple[dt.date, ...]:
        return (*self.ends, self.ytd_floor)

    def offsets(self, timeline: Timeline) -> tuple[int, ...]:
        """How many intervals back from as_of each boundary lies: ends[1..7], then ytd_floor."""
        here = timeline.index(self.as_of)
        return tuple(here - timeline.index(b) for b in (*self.ends[1:], self.ytd_floor))


@dataclass(frozen=True)
class Timeline:
    """Sorted boundaries b[0] < ... < b[m]. Interval i (1..m) holds the days (b[i-1], b[i]];
    days on or before b[0] or after b[m] belong to no interval and are never read. A running
    sum at interval i is the total over (b[0], b[i]]."""

    boundaries: tuple[dt.date, ...]

    @classmethod
    def from_boundaries(cls, dates: Iterable[dt.date]) -> Timeline:
        """Boundaries plus every 30 June in between, so that no interval straddles the start of
        a school year (running figures restart there)."""
        bs = set(dates)
        if not bs:
            raise ValueError(ERR_NO_DATES)
        lo, hi = min(bs), max(bs)
        for year in range(lo.year, hi.year + 1):
            june30 = dt.date(year, SCHOOL_YEAR_START_MONTH, 1) - dt.timedelta(days=1)
            if lo < june30 < hi:
                bs.add(june30)
        return cls(tuple(sorted(bs)))

    @property
    def first(self) -> dt.date:
        return self.boundaries[0]

    @property
    def last(self) -> dt.date:
        return self.boundaries[-1]

    def index(self, boundary: dt.date) -> int:
        """The interval whose last day is `boundary` (0 for the first boundary: nothing yet)."""
        i = bisect_left(self.boundaries, boundary)
        if i == len(self.boundaries) or self.boundaries[i] != boundary:
            raise KeyError(f"{boundary} is not a boundary of this timeline")
        return i

    def intervals(self) -> list[tuple[int, dt.date, int]]:
        """(interval, last day, school year) for 0..m; the school year is the calendar year in
        which it starts, constant within an interval by construction."""
        return [(i, b, school_year_start(b).year) for i, b in enumerate(self.boundaries)]

    def school_years(self) -> tuple[int, ...]:
        """The school years of the days in the timeline, (b[0], b[m]]."""
        return tuple(sorted({sy for i, _, sy in self.intervals() if i > 0}))

    def calendar(self) -> list[tuple[dt.date, int]]:
        """(day, interval) for every day in (b[0], b[m]]."""
        out: list[tuple[dt.date, int]] = []
        day, one = self.first + dt.timedelta(days=1), dt.timedelta(days=1)
        for i in range(1, len(self.boundaries)):
            while day <= self.boundaries[i]:
                out.append((day, i))
                day += one
        return out


def feature_timeline(as_of_dates: Sequence[dt.date]) -> tuple[Timeline, list[FeatureWindows]]:
    """The timeline that serves the features of all `as_of_dates` in one pass."""
    windows = [FeatureWindows.of(d) for d in normalise_dates(as_of_dates)]
    return Timeline.from_boundaries(b for w in windows for b in w.boundaries), windows


def label_timeline(as_of_dates: Sequence[dt.date], horizon_days: int) -> Timeline:
    """The timeline for label windows (A, A + horizon]: only data after the earliest as-of date
    is ever read."""
    h = dt.timedelta(days=horizon_days)
    dates = normalise_dates(as_of_dates)
    return Timeline.from_boundaries([*dates, *(d + h for d in dates)])
