"""Small cells are hidden, and so is whatever would let a reader subtract them back out."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from edupulse.fairness.audit import run_audit
from edupulse.fairness.settings import METRICS
from edupulse.fairness.suppression import COMPLEMENTARY, PRIMARY, suppress_grouping
from tests.fairness.builders import scored, sensitive, settings


def _hidden(sizes: dict[str, int], **kw: object) -> dict[str, str]:
    out = suppress_grouping("g", sizes, list(sizes), 10, **kw)  # type: ignore[arg-type]
    return {s.group: s.kind for s in out}


def test_nothing_is_hidden_when_every_group_is_large_enough() -> None:
    assert _hidden({"A": 10, "B": 50}) == {}


def test_one_small_group_takes_the_smallest_other_group_with_it() -> None:
    # Alone, C's size would be N - A - B.
    assert _hidden({"A": 80, "B": 30, "C": 4, "D": 25}) == {"C": PRIMARY, "D": COMPLEMENTARY}


def test_two_small_groups_that_together_stay_small_need_a_third() -> None:
    # C + D = 7 would be derivable as a block of fewer than 10 students.
    assert _hidden({"A": 80, "B": 30, "C": 4, "D": 3}) == {
        "C": PRIMARY, "D": PRIMARY, "B": COMPLEMENTARY}


def test_two_small_groups_that_together_reach_the_limit_are_enough() -> None:
    assert _hidden({"A": 80, "B": 30, "C": 6, "D": 5}) == {"C": PRIMARY, "D": PRIMARY}


def test_reasons_never_state_a_hidden_count() -> None:
    out = suppress_grouping("g", {"A": 80, "B": 30, "C": 4, "D": 25}, ["A", "B", "C", "D"], 10)
    assert [s.reason for s in out] == [
        "fewer than 10 students",
        "hidden so that C cannot be worked out from the total for all students",
    ]
    assert all("4" not in s.reason and "25" not in s.reason for s in out)


def _cross(sizes: dict[tuple[str, str], int]) -> dict[str, str]:
    labels = {f"{a} & {b}": (a, b) for a, b in sizes}
    out = suppress_grouping("gender x band", {f"{a} & {b}": n for (a, b), n in sizes.items()},
                            list(labels), 10, ("gender", "band"), labels)
    return {s.group: s.kind for s in out}


def test_intersection_cells_are_protected_along_rows_and_columns() -> None:
    sizes = {("F", "young"): 40, ("F", "mid"): 30, ("F", "old"): 3,
             ("M", "young"): 50, ("M", "mid"): 35, ("M", "old"): 20}
    hidden = _cross(sizes)
    assert hidden["F & old"] == PRIMARY
    # The F row (published F total) and the old column (published "old" total) each need a
    # second hidden cell: F & mid (smallest in the row) and M & old (only other in the column).
    assert hidden == {"F & old": PRIMARY, "F & mid": COMPLEMENTARY,
                      "M & old": COMPLEMENTARY, "M & mid": COMPLEMENTARY}
    _assert_every_total_is_safe(sizes, hidden)


def _assert_every_total_is_safe(sizes: dict[tuple[str, str], int],
                                hidden: dict[str, str]) -> None:
    rows = {a for a, _ in sizes}
    cols = {b for _, b in sizes}
    totals = [list(sizes)] + [[k for k in sizes if k[0] == r] for r in rows] + \
        [[k for k in sizes if k[1] == c] for c in cols]
    for cells in totals:
        gone = [k for k in cells if f"{k[0]} & {k[1]}" in hidden]
        if gone and len(gone) < len(cells):
            assert len(gone) >= 2 and sum(sizes[k] for k in gone) >= 10, cells


def test_random_tables_always_end_safe() -> None:
    rng = np.random.default_rng(0)
    for _ in range(200):
        sizes = {(a, b): int(rng.integers(1, 40)) for a, b in
                 itertools.product("FMX", ["u", "v", "w", "z"])}
        _assert_every_total_is_safe(sizes, _cross(sizes))


def test_audit_blanks_every_figure_of_a_hidden_group_in_every_table() -> None:
    rng = np.random.default_rng(4)
    n = 200
    frame = pd.DataFrame({
        "id": [f"s{i}" for i in range(n)], "score": rng.random(n),
        "label": rng.binomial(1, 0.4, n),
        "group": ["small"] * 6 + ["mid"] * 40 + ["big"] * 154,
    })
    result = run_audit(scored(frame), sensitive(frame), settings(min_cell=10))
    gm = result.group_metrics.set_index(["attribute", "group"])
    assert bool(gm.loc[("group", "small"), "suppressed"])
    assert bool(gm.loc[("group", "mid"), "suppressed"])  # complementary: N - big = small
    for group in ("small", "mid"):
        row = gm.loc[("group", group)]
        assert row.drop("suppressed").isna().all(), group
    d = result.disparities
    hidden = d[d["group"].isin(["small", "mid"])]
    assert set(hidden["verdict"]) == {"suppressed"}
    assert hidden[["ratio", "lo", "hi"]].isna().all().all()
    assert set(d["reference_group"].dropna()) == {"big"}
    s = result.suppressed
    assert dict(zip(s["group"], s["kind"], strict=True)) == {
        "small": PRIMARY, "mid": COMPLEMENTARY}
    assert not gm.loc[("group", "big"), [*METRICS, "n"]].isna().any()
