"""k-anonymity over (school, grade, gender, ethnicity, birth year) and generalisation, by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from edupulse.privacy.kanon import KAnonymity, generalise, measure

COLUMNS = ["district_id", "school_code", "grade_level", "gender", "ethnicity", "birth_year"]


def _frame(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=COLUMNS)


FOUR = _frame(
    ("a", "S1", 9, "F", "Hispanic", 2010),
    ("b", "S1", 9, "F", "Hispanic", 2011),
    ("c", "S1", 9, "M", "White", 2010),
    ("d", "S1", 9, "M", "White", 2010),
)


def test_measure_counts_groups_and_students_below_k() -> None:
    assert measure(FOUR, 2) == KAnonymity(k=1, groups=3, students=4, below=2, requested=2)
    assert measure(FOUR) == KAnonymity(1, 3, 4, 0, None)
    assert measure(FOUR.iloc[0:0], 2) == KAnonymity(0, 0, 0, 0, 2)


def test_empty_values_form_their_own_group() -> None:
    frame = _frame(("a", "S1", 9, None, "White", 2010), ("b", "S1", 9, None, "White", 2010),
                   ("c", "S1", 9, "F", "White", 2010))
    assert measure(frame, 2).groups == 2 and measure(frame, 2).below == 1


def test_birth_year_bands_come_first() -> None:
    result = generalise(FOUR, min_k=2, max_suppressed=0)
    assert result.birth_year_band == 2
    assert list(result.frame["birth_year"]) == [2010, 2010, 2010, 2010]
    assert result.after.k == 2 and result.suppressed == ()
    assert result.changes == ("birth year generalised to 2-year bands (date_of_birth is 1 July "
                              "of the band's first year)",)


def test_rare_ethnicities_merge_then_gender_goes_then_suppression() -> None:
    frame = _frame(
        ("a", "S1", 9, "F", "Hispanic", 2010),
        ("b", "S1", 9, "F", "Hispanic", 2010),
        ("c", "S1", 9, "F", "Pacific Islander", 2010),
        ("d", "S1", 9, "F", "Native American", 2010),
        ("e", "S1", 9, "M", "Hispanic", 2010),
        ("f", "S1", 9, "M", "Hispanic", 2010),
        ("g", "S2", 9, "F", "Hispanic", 2010),  # alone in its school: nothing can hide it
    )
    result = generalise(frame, min_k=2, max_suppressed=0.2)
    assert result.changes == (
        "ethnicity values held by fewer than 2 students merged into 'Other': Native American, "
        "Pacific Islander",
        "1 students (14.3%) still in groups smaller than 2 suppressed: they and all their "
        "records are left out",
    )
    assert result.suppressed == ("g",)
    assert list(result.frame["ethnicity"]) == ["Hispanic", "Hispanic", "Other", "Other",
                                               "Hispanic", "Hispanic"]
    assert result.before.below == 3 and result.after == KAnonymity(2, 3, 6, 0, 2)


def test_a_tight_suppression_budget_coarsens_everything_it_can() -> None:
    frame = _frame(("a", "S1", 9, "F", "A", 2008), ("b", "S1", 9, "M", "B", 2011),
                   ("c", "S1", 9, "X", "C", 2009))
    result = generalise(frame, min_k=3, max_suppressed=0)
    assert result.after.k == 3 and result.suppressed == ()
    assert result.frame["gender"].isna().all() and set(result.frame["ethnicity"]) == {"Other"}
    assert result.birth_year_band == 4 and set(result.frame["birth_year"]) == {2008}


def test_suppression_beyond_the_budget_says_so() -> None:
    frame = _frame(("a", "S1", 9, "F", "A", 2010), ("b", "S2", 9, "F", "A", 2010))
    result = generalise(frame, min_k=2, max_suppressed=0.05)
    assert result.suppressed == ("a", "b") and result.after.students == 0
    assert result.changes[-1] == (
        "2 students (100.0%) still in groups smaller than 2 suppressed, more than the budget of "
        "5.0% because nothing more could be coarsened: they and all their records are left out")


def test_nothing_to_do() -> None:
    result = generalise(FOUR, min_k=1)
    assert result.changes == ("nothing changed: every group already has at least 1 students",)
    assert result.frame.equals(FOUR)


@pytest.mark.parametrize(("k", "share", "message"), [
    (0, 0.05, "--min-k must be at least 1, got 0"),
    (5, 1.5, "--max-suppress must be a fraction between 0 and 1, got 1.5"),
])
def test_bad_settings(k: int, share: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        generalise(FOUR, k, share)
