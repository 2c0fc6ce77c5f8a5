"""Group labels: missing values get their own group; intersections; natural order."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from edupulse.fairness.groups import build_groups, normalise, ordered, parse_intersection
from tests.fairness.builders import settings


def test_missing_and_blank_values_become_unknown() -> None:
    values = pd.Series(["F", None, "  ", "", "M", np.nan], dtype=object)
    assert list(normalise(values)) == ["F", "unknown", "unknown", "unknown", "M", "unknown"]


def test_whole_number_floats_lose_their_decimal_point() -> None:
    assert list(normalise(pd.Series([9.0, np.nan, 10.0]))) == ["9", "unknown", "10"]


def test_intersections_join_the_labels_of_their_members() -> None:
    sens = pd.DataFrame({"gender": ["F", "M", None], "band": ["young", "old", "old"]})
    g = build_groups(sens, settings(attributes=("gender",), intersections=(("gender", "band"),)))
    assert g.names == ("gender", "gender x band")
    assert list(g.frame["gender x band"]) == ["F & young", "M & old", "unknown & old"]
    assert g.components("gender x band")["unknown & old"] == ("unknown", "old")


def test_a_missing_attribute_column_is_named() -> None:
    with pytest.raises(KeyError, match="sensitive attribute 'ethnicity' is not among"):
        build_groups(pd.DataFrame({"gender": ["F"]}), settings(attributes=("ethnicity",)))


@pytest.mark.parametrize(("spec", "parts"), [
    ("genderxage_band", ("gender", "age_band")),
    ("gender x age_band", ("gender", "age_band")),
    ("sexxage_band", ("sex", "age_band")),  # 'sex' itself contains an x
    ("genderxsexxage_band", ("gender", "sex", "age_band")),
    ("gender*sex", ("gender", "sex")),
])
def test_intersections_are_read_against_the_known_columns(spec: str,
                                                          parts: tuple[str, ...]) -> None:
    assert parse_intersection(spec, ["gender", "sex", "age_band"]) == parts


def test_an_unreadable_intersection_names_the_columns() -> None:
    with pytest.raises(ValueError, match=r"cannot read intersection 'genderxrace'.*'gender'"):
        parse_intersection("genderxrace", ["gender", "age_band"])


def test_groups_are_in_natural_order_with_unknown_last() -> None:
    assert ordered(["10", "9", "unknown", "11", "K"]) == ["9", "10", "11", "K", "unknown"]
    assert ordered(["unknown & a", "F & b", "F & a"]) == ["F & a", "F & b", "unknown & a"]
