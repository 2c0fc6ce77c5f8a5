"""Temporal splits with literal dates: no training label window reaches past the test date."""

from __future__ import annotations

import datetime as dt

import pytest

from edupulse.modeling.splits import Split, TemporalSplitter, date_range

D = dt.date
H = 28  # four weeks


def fridays(start: D, n: int) -> tuple[D, ...]:
    return tuple(start + dt.timedelta(days=7 * i) for i in range(n))


def test_window_ending_exactly_on_test_date_is_allowed_one_day_later_is_not() -> None:
    train = (D(2024, 9, 6), D(2024, 9, 13), D(2024, 9, 20))
    (split,) = TemporalSplitter(train, (D(2024, 10, 11),), H).splits()
    # 09-13 + 28 = 10-11 (ends on the test date: kept); 09-20 + 28 = 10-18 (reaches past)
    assert split.train_as_of == (D(2024, 9, 6), D(2024, 9, 13))
    assert split.dropped == (D(2024, 9, 20),)
    assert split.train_label_end == D(2024, 10, 11) == split.test_as_of
    assert split.test_label_end == D(2024, 11, 8)
    assert split.name == "test-2024-10-11"
    assert split.as_of_dates == (D(2024, 9, 6), D(2024, 9, 13), D(2024, 10, 11))


def test_single_training_date() -> None:
    (split,) = TemporalSplitter((D(2024, 9, 6),), (D(2024, 10, 4),), H).splits()
    assert split == Split((D(2024, 9, 6),), D(2024, 10, 4), H, ())


def test_each_test_date_gets_every_admissible_training_date() -> None:
    train = fridays(D(2024, 9, 6), 12)  # 09-06 .. 11-22
    tests = (D(2024, 11, 1), D(2024, 11, 29), D(2024, 12, 27))
    splits = TemporalSplitter(train, tests, H).splits()
    assert [s.test_as_of for s in splits] == list(tests)
    assert [len(s.train_as_of) for s in splits] == [5, 9, 12]
    for s in splits:
        assert all(a + dt.timedelta(days=H) <= s.test_as_of for a in s.train_as_of)
        assert set(s.train_as_of) | set(s.dropped) == set(train)
    assert splits[2].dropped == ()


def test_from_range_uses_the_update_frequency() -> None:
    splitter = TemporalSplitter.from_range(D(2024, 9, 6), D(2024, 10, 4), 14,
                                           [D(2024, 11, 29)], H)
    assert splitter.train_as_of == (D(2024, 9, 6), D(2024, 9, 20), D(2024, 10, 4))
    assert date_range(D(2024, 9, 6), D(2024, 9, 6), 7) == (D(2024, 9, 6),)
    assert date_range(D(2024, 9, 6), D(2024, 9, 19), 7) == (D(2024, 9, 6), D(2024, 9, 13))


def test_max_history_keeps_recent_training_dates() -> None:
    train = fridays(D(2024, 9, 6), 8)
    (split,) = TemporalSplitter(train, (D(2024, 11, 29),), H, max_history_days=56).splits()
    # on or after 10-04, and ending by 11-29 (so on or before 11-01)
    assert split.train_as_of == (D(2024, 10, 4), D(2024, 10, 11), D(2024, 10, 18),
                                 D(2024, 10, 25))


def test_impossible_set_up_names_the_dates() -> None:
    with pytest.raises(ValueError, match=r"impossible split for test as-of 2024-10-01: no "
                       r"training as-of date a with a \+ 28 days <= 2024-10-01 \(the earliest "
                       r"training date 2024-09-06 needs a test date on or after 2024-10-04\)"):
        TemporalSplitter((D(2024, 9, 6),), (D(2024, 10, 1),), H).splits()
    with pytest.raises(ValueError, match="within max_history_days"):
        TemporalSplitter((D(2024, 9, 6),), (D(2024, 12, 6),), H, max_history_days=30).splits()


def test_empty_and_malformed_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="no training as-of dates"):
        TemporalSplitter((), (D(2024, 10, 4),), H).splits()
    with pytest.raises(ValueError, match="no test as-of dates"):
        TemporalSplitter((D(2024, 9, 6),), (), H).splits()
    with pytest.raises(ValueError, match="training as-of date 2024-09-06 is listed twice"):
        TemporalSplitter((D(2024, 9, 6), D(2024, 9, 6)), (D(2024, 12, 6),), H).splits()
    with pytest.raises(TypeError, match="test as-of dates must be datetime.date"):
        TemporalSplitter((D(2024, 9, 6),), ("2024-12-06",), H).splits()  # type: ignore[arg-type]
    for bad in (0, -7, 1.5, True):
        with pytest.raises(ValueError, match="horizon_days must be a whole number"):
            TemporalSplitter((D(2024, 9, 6),), (D(2024, 12, 6),), bad).splits()  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_history_days must be >= 0"):
        TemporalSplitter((D(2024, 9, 6),), (D(2024, 12, 6),), H, max_history_days=-1).splits()
    with pytest.raises(ValueError, match="every_days must be a whole number"):
        date_range(D(2024, 9, 6), D(2024, 10, 6), 0)
    with pytest.raises(ValueError, match="start 2024-10-06 is after end 2024-09-06"):
        date_range(D(2024, 10, 6), D(2024, 9, 6), 7)


def test_test_window_past_end_of_data_is_refused() -> None:
    splitter = TemporalSplitter((D(2024, 9, 6),), (D(2024, 12, 6), D(2025, 4, 25)), 84,
                                data_end=D(2025, 5, 2))
    with pytest.raises(ValueError, match=r"test as-of 2025-04-25: its label window \(2025-04-25,"
                                         r" 2025-07-18\] runs past the end of data 2025-05-02"):
        splitter.splits()


def test_unsorted_dates_give_sorted_splits_and_the_class_is_frozen() -> None:
    splitter = TemporalSplitter((D(2024, 9, 13), D(2024, 9, 6)),
                                (D(2024, 12, 6), D(2024, 11, 8)), H)
    splits = splitter.splits()
    assert [s.test_as_of for s in splits] == [D(2024, 11, 8), D(2024, 12, 6)]
    assert splits[0].train_as_of == (D(2024, 9, 6), D(2024, 9, 13))
    assert splitter.splits() == splits  # pure: same answer every time
    with pytest.raises(AttributeError):
        splitter.horizon_days = 7  # type: ignore[misc]
