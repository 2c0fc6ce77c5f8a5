"""Temporal train/test splits from explicit dates, so that no training label leaks the future.

The idea follows DSSG triage's timechop: every example is (student, as-of date); its label
covers (as_of, as_of + horizon]. A model tested as of T may train on as-of date a only when
a + horizon <= T: the label it learns from was fully observed by T (a window ending exactly on
T is allowed, it reaches nothing after T). Training dates that fail the rule for a test date
are listed on the split (`dropped`), never silently lost; a test date with no admissible
training date is an error, because such a set-up cannot be evaluated honestly.

Pure and small: dates in, frozen `Split` objects out. Nothing here reads data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

ERR_HORIZON = "horizon_days must be a whole number of days >= 1, got {value!r}"
ERR_EVERY = "every_days must be a whole number of days >= 1, got {value!r}"
ERR_RANGE = "start {start} is after end {end}"
ERR_NO_TEST = "no test as-of dates given"
ERR_NO_TRAIN = "no training as-of dates given"
ERR_DUPLICATE = "{what} as-of date {day} is listed twice"
ERR_NOT_DATE = "{what} as-of dates must be datetime.date values, got {value!r}"
ERR_HISTORY = "max_history_days must be >= 0 or None, got {value!r}"
ERR_IMPOSSIBLE = (
    "impossible split for test as-of {test}: no training as-of date a with a + {h} days <= "
    "{test}{why}"
)
ERR_PAST_DATA = (
    "test as-of {test}: its label window ({test}, {end}] runs past the end of data {data_end}"
)


def date_range(start: dt.date, end: dt.date, every_days: int) -> tuple[dt.date, ...]:
    """start, start + every_days, ... up to and including end."""
    _check_days(every_days, ERR_EVERY)
    if start > end:
        raise ValueError(ERR_RANGE.format(start=start, end=end))
    step = dt.timedelta(days=every_days)
    n = (end - start).days // every_days
    return tuple(start + i * step for i in range(n + 1))


@dataclass(frozen=True)
class Split:
    """Train on `train_as_of`, test as of `test_as_of`; labels span `horizon_days`."""

    train_as_of: tuple[dt.date, ...]
    test_as_of: dt.date
    horizon_days: int
    dropped: tuple[dt.date, ...] = ()  # given training dates whose labels would reach past test

    @property
    def name(self) -> str:
        return f"test-{self.test_as_of.isoformat()}"

    @property
    def train_label_end(self) -> dt.date:
        """The last day any training label looks at (never after test_as_of)."""
        return max(self.train_as_of) + dt.timedelta(days=self.horizon_days)

    @property
    def test_label_end(self) -> dt.date:
        return self.test_as_of + dt.timedelta(days=self.horizon_days)

    @property
    def as_of_dates(self) -> tuple[dt.date, ...]:
        """Every date whose features and labels the split needs."""
        return (*self.train_as_of, self.test_as_of)


@dataclass(frozen=True)
class TemporalSplitter:
    """Splits for each test as-of date, training on the given training dates that are allowed.

    `max_history_days` keeps only training dates within that many days before the test date
    (None: all). `data_end`, when given, refuses test dates whose label window runs past it.
    """

    train_as_of: tuple[dt.date, ...]
    test_as_of: tuple[dt.date, ...]
    horizon_days: int
    max_history_days: int | None = None
    data_end: dt.date | None = None

    @classmethod
    def from_range(cls, train_start: dt.date, train_end: dt.date, every_days: int,
                   test_as_of: Iterable[dt.date], horizon_days: int,
                   **options: object) -> TemporalSplitter:
        """Training dates every `every_days` from train_start up to train_end (the update
        frequency of the training set)."""
        return cls(date_range(train_start, train_end, every_days), tuple(test_as_of),
                   horizon_days, **options)  # type: ignore[arg-type]

    def splits(self) -> tuple[Split, ...]:
        """One split per test date, in date order; raises ValueError for impossible set-ups."""
        _check_days(self.horizon_days, ERR_HORIZON)
        if self.max_history_days is not None and (
            isinstance(self.max_history_days, bool) or not isinstance(self.max_history_days, int)
            or self.max_history_days < 0
        ):
            raise ValueError(ERR_HISTORY.format(value=self.max_history_days))
        train = _dates(self.train_as_of, "training", ERR_NO_TRAIN)
        tests = _dates(self.test_as_of, "test", ERR_NO_TEST)
        h = dt.timedelta(days=self.horizon_days)
        out = []
        for test in tests:
            if self.data_end is not None and test + h > self.data_end:
                raise ValueError(ERR_PAST_DATA.format(test=test, end=test + h,
                                                      data_end=self.data_end))
            floor = (None if self.max_history_days is None
                     else test - dt.timedelta(days=self.max_history_days))
            usable = tuple(a for a in train if a + h <= test and (floor is None or a >= floor))
            if not usable:
                raise ValueError(ERR_IMPOSSIBLE.format(
                    test=test, h=self.horizon_days, why=self._why(train, test, h, floor)))
            dropped = tuple(a for a in train if a + h > test)
            out.append(Split(usable, test, self.horizon_days, dropped))
        return tuple(out)

    @staticmethod
    def _why(train: tuple[dt.date, ...], test: dt.date, h: dt.timedelta,
             floor: dt.date | None) -> str:
        earliest = train[0]
        if earliest + h > test:
            return (f" (the earliest training date {earliest} needs a test date on or after "
                    f"{earliest + h})")
        return f" within max_history_days (none on or after {floor})"


def _dates(values: Iterable[dt.date], what: str, empty: str) -> tuple[dt.date, ...]:
    seen: set[dt.date] = set()
    for d in values:
        if isinstance(d, dt.datetime) or not isinstance(d, dt.date):
            raise TypeError(ERR_NOT_DATE.format(what=what, value=d))
        if d in seen:
            raise ValueError(ERR_DUPLICATE.format(what=what, day=d))
        seen.add(d)
    if not seen:
        raise ValueError(empty)
    return tuple(sorted(seen))


def _check_days(value: object, message: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(message.format(value=value))
