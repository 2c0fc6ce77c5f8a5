"""Metrics against values computed by hand, ties at the cut-off included."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.calibration import calibration_curve

from edupulse.modeling import metrics as m

Y = np.array([1, 0, 1, 0, 0])
S = np.array([0.9, 0.8, 0.8, 0.8, 0.1])


@pytest.mark.parametrize(
    ("n", "percent", "k"), [(500, 10, 50), (95, 10, 10), (3, 5, 1), (20, 5, 1), (0, 10, 0),
                            (7, 100, 7)],
)
def test_k_for_percent_rounds_up(n: int, percent: float, k: int) -> None:
    assert m.k_for_percent(n, percent) == k


def test_expected_hits_without_ties() -> None:
    y, s = np.array([0, 1, 1, 0]), np.array([0.1, 0.9, 0.5, 0.7])
    # order: 0.9 (1), 0.7 (0), 0.5 (1), 0.1 (0)
    assert m.expected_hits(y, s, [1, 2, 3, 4]).tolist() == [1.0, 1.0, 2.0, 2.0]


def test_expected_hits_breaks_ties_at_the_cut_off_by_expectation() -> None:
    # k=2: 0.9 is in (a positive); one place left among three students tied at 0.8, one of
    # whom is positive: 1 + 1 * 1/3.  k=4: all three tied fit: 1 + 3 * 1/3 = 2.
    hits = m.expected_hits(Y, S, [1, 2, 3, 4, 5])
    assert hits == pytest.approx([1, 4 / 3, 5 / 3, 2, 2])


def test_ties_do_not_depend_on_row_order() -> None:
    rng = np.random.default_rng(0)
    for _ in range(20):
        perm = rng.permutation(len(Y))
        assert m.expected_hits(Y[perm], S[perm], [2, 3]) == pytest.approx([4 / 3, 5 / 3])


def test_expected_hits_equals_the_mean_over_every_tie_break() -> None:
    # Brute force: average precision@2 over every order of the tied students.
    from itertools import permutations

    tied = [1, 2, 3]
    totals = []
    for order in permutations(tied):
        ranked = [0, *order, 4]
        totals.append(Y[ranked[:2]].sum())
    assert m.expected_hits(Y, S, [2])[0] == pytest.approx(np.mean(totals))


def test_list_metrics_per_date_and_per_school_by_hand() -> None:
    y = np.array([1, 0, 0, 1, 0, 1, 0, 0])
    s = np.array([0.9, 0.7, 0.2, 0.6, 0.8, 0.4, 0.3, 0.1])
    as_of = np.array(["d1"] * 4 + ["d2"] * 4)
    school = np.array(["A", "A", "B", "B", "A", "A", "B", "B"])
    lists = {x.key: x for x in m.list_metrics(y, s, as_of, school, [25, 50], [1])}
    # 25%: one per date. d1 -> 0.9 (pos); d2 -> 0.8 (neg). 2 selected, 1 hit, 3 positives.
    k25 = lists["k25"]
    assert (k25.selected, k25.hits, k25.positives, k25.n) == (2, 1.0, 3, 8)
    assert k25.precision == 0.5 and k25.recall == pytest.approx(1 / 3)
    assert k25.lift == pytest.approx(0.5 / (3 / 8))
    # 50%: two per date. d1 -> 0.9 (pos), 0.7 (neg); d2 -> 0.8 (neg), 0.4 (pos).
    assert lists["k50"].hits == 2.0 and lists["k50"].precision == 0.5
    # 1 per school and date: d1A 0.9 (pos), d1B 0.6 (pos), d2A 0.8 (neg), d2B 0.3 (neg).
    s1 = lists["school1"]
    assert (s1.selected, s1.hits) == (4, 2.0)
    assert s1.precision == 0.5 and s1.recall == pytest.approx(2 / 3)


def test_school_list_larger_than_the_school_takes_everyone() -> None:
    y, s = np.array([1, 0, 1]), np.array([0.3, 0.2, 0.1])
    (lst,) = m.list_metrics(y, s, np.zeros(3), np.array(["A", "A", "B"]), [], [5])
    assert (lst.selected, lst.hits, lst.recall) == (3, 2.0, 1.0)


def test_auc_counts_ties_as_one_half() -> None:
    # pairs (pos, neg): (0.8, 0.8) 1/2, (0.8, 0.2) 1, (0.4, 0.8) 0, (0.4, 0.2) 1 -> 2.5 / 4
    assert m.auc(np.array([1, 0, 1, 0]), np.array([0.8, 0.8, 0.4, 0.2])) == 0.625
    assert np.isnan(m.auc(np.array([1, 1]), np.array([0.1, 0.2])))


def test_classification_at_the_promotion_list_by_hand() -> None:
    lst = m.ListMetric("k40", selected=2, hits=4 / 3, positives=2, n=5)
    c = m.classification_at(lst)
    # tp 4/3, fp 2/3, fn 2/3, tn 5 - 2 - 2/3 = 7/3
    assert c.precision == pytest.approx(2 / 3)
    assert c.recall == pytest.approx(2 / 3)
    assert c.accuracy == pytest.approx((4 / 3 + 7 / 3) / 5)
    assert c.f1_score == pytest.approx((8 / 3) / (8 / 3 + 2 / 3 + 2 / 3))


def test_calibration_table_matches_scikit_learn_and_counts_bins() -> None:
    rng = np.random.default_rng(3)
    p = rng.random(400)
    y = (rng.random(400) < p).astype(int)
    table = m.calibration_table(y, p, bins=5)
    prob_true, prob_pred = calibration_curve(y, p, n_bins=5, strategy="quantile")
    assert np.allclose(table.observed_rate, prob_true)
    assert np.allclose(table.mean_predicted, prob_pred)
    assert sum(table.count) == 400 and set(table.count) == {80}


def test_ece_by_hand() -> None:
    table = m.CalibrationTable((0.1, 0.5), (0.2, 0.3), (30, 10))
    assert table.ece == pytest.approx((30 * 0.1 + 10 * 0.2) / 40)


def test_brier_and_log_loss_by_hand() -> None:
    y, p = np.array([1, 0]), np.array([0.8, 0.4])
    assert m.brier(y, p) == pytest.approx((0.04 + 0.16) / 2)
    assert m.log_loss(y, p) == pytest.approx(-(np.log(0.8) + np.log(0.6)) / 2)


def _noisy(n: int = 600, seed: int = 1) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    s = rng.random(n)
    y = (rng.random(n) < s * 0.6).astype(int)
    return y, s, np.repeat(["d1", "d2"], n // 2), rng.choice(["A", "B", "C"], n)


def test_bootstrap_is_seeded_and_brackets_the_estimate() -> None:
    y, s, as_of, school = _noisy()
    a = m.bootstrap(y, s, as_of, school, [10], [5], n_boot=100, level=0.9, seed=4)
    b = m.bootstrap(y, s, as_of, school, [10], [5], n_boot=100, level=0.9, seed=4)
    c = m.bootstrap(y, s, as_of, school, [10], [5], n_boot=100, level=0.9, seed=5)
    assert a == b and a != c
    assert a.auc.low < a.auc.estimate < a.auc.high
    assert a.auc.estimate == m.auc(y, s)
    for key in ("k10", "school5"):
        ci = a.precision[key]
        assert ci.low <= ci.estimate <= ci.high and ci.high - ci.low > 0


def test_bootstrap_interval_narrows_with_more_data() -> None:
    small = m.bootstrap(*_noisy(200), [10], [], n_boot=200, level=0.95, seed=0)
    large = m.bootstrap(*_noisy(4000), [10], [], n_boot=200, level=0.95, seed=0)
    assert (large.auc.high - large.auc.low) < (small.auc.high - small.auc.low)


def test_no_bootstrap_gives_point_estimates_only() -> None:
    y, s, as_of, school = _noisy()
    res = m.bootstrap(y, s, as_of, school, [10], [], n_boot=0, level=0.95, seed=0)
    assert res.auc.estimate == m.auc(y, s) and np.isnan(res.auc.low)


def test_pooled_lists_equal_list_by_list_expected_hits() -> None:
    # Many ties (scores rounded to one decimal), uneven groups: the vectorised pooling must
    # equal summing expected_hits over each as-of date's and each school's own list.
    rng = np.random.default_rng(7)
    n = 700
    s = np.round(rng.random(n), 1)
    y = (rng.random(n) < s).astype(int)
    as_of = rng.choice(["d1", "d2", "d3"], n, p=[0.5, 0.3, 0.2])
    school = rng.choice(["A", "B", "C", "D"], n, p=[0.7, 0.2, 0.09, 0.01])
    lists = {x.key: x for x in m.list_metrics(y, s, as_of, school, [5, 12.5, 50], [3, 40])}
    for pct in (5, 12.5, 50):
        want = sum(m.expected_hits(y[as_of == d], s[as_of == d],
                                   [m.k_for_percent(int((as_of == d).sum()), pct)])[0]
                   for d in ("d1", "d2", "d3"))
        assert lists[m.percent_key(pct)].hits == pytest.approx(want, abs=1e-9)
    for k in (3, 40):
        want = sel = 0
        for d in ("d1", "d2", "d3"):
            for sch in "ABCD":
                idx = (as_of == d) & (school == sch)
                kk = min(k, int(idx.sum()))
                want += m.expected_hits(y[idx], s[idx], [kk])[0] if kk else 0
                sel += kk
        assert lists[m.school_key(k)].hits == pytest.approx(want, abs=1e-9)
        assert lists[m.school_key(k)].selected == sel


def test_auc_equals_scikit_learn_with_ties() -> None:
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(2)
    s = np.round(rng.random(500), 2)
    y = (rng.random(500) < s).astype(int)
    assert m.auc(y, s) == pytest.approx(roc_auc_score(y, s), abs=1e-12)
