"""Bootstrap replicates: same formulas as the point estimates, deterministic, honest intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from edupulse.fairness import bootstrap as bs
from edupulse.fairness.bootstrap import _plan, _replicate, bootstrap, interval, weighted_auc
from edupulse.fairness.metrics import flag, group_metrics
from edupulse.fairness.settings import METRICS
from tests.fairness.builders import TINY, settings, synthetic


def _flags(frame: pd.DataFrame, pct: float = 30) -> np.ndarray:
    return flag(frame["score"].to_numpy(), frame["id"].to_numpy(),
                settings(top_pct=pct)).flagged


def test_unit_weights_reproduce_the_metricframe_point_estimates() -> None:
    frame = synthetic(500, seed=3)
    flagged, label, score = _flags(frame), frame["label"].to_numpy(), frame["score"].to_numpy()
    order = ["A", "B"]
    plan = _plan(frame["group"], order, label * 2 + flagged, label, score)
    unit = _replicate(np.ones((1, len(frame))), plan)
    point = group_metrics(label, flagged, score, frame["group"])
    for metric in METRICS:
        np.testing.assert_allclose(unit[metric][0], point.loc[order, metric], rtol=1e-12,
                                   err_msg=metric)


def test_weighted_auc_equals_sklearn_with_sample_weights() -> None:
    rng = np.random.default_rng(1)
    score = np.round(rng.random(300), 1)  # many ties
    label = rng.binomial(1, 0.4, 300)
    weights = rng.integers(0, 4, size=(5, 300)).astype(float)
    sorter = np.argsort(score, kind="stable")
    s, pos = score[sorter], label[sorter] == 1
    new = np.r_[True, s[1:] != s[:-1]]
    got = weighted_auc(weights[:, sorter], pos, np.flatnonzero(new), (np.cumsum(new) - 1)[pos])
    want = [roc_auc_score(label, score, sample_weight=w) for w in weights]
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_same_seed_same_replicates_other_seed_other_replicates() -> None:
    frame = synthetic(300)
    args = (frame["label"].to_numpy(), _flags(frame), frame["score"].to_numpy(),
            {"group": (frame["group"], ["A", "B"])})
    a = bootstrap(*args, n_boot=50, seed=7)["group"].values["recall"]
    b = bootstrap(*args, n_boot=50, seed=7)["group"].values["recall"]
    c = bootstrap(*args, n_boot=50, seed=8)["group"].values["recall"]
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_replicates_do_not_depend_on_the_memory_chunk(monkeypatch: pytest.MonkeyPatch) -> None:
    frame = synthetic(200)
    args = (frame["label"].to_numpy(), _flags(frame), frame["score"].to_numpy(),
            {"group": (frame["group"], ["A", "B"])})
    whole = bootstrap(*args, n_boot=40, seed=1)["group"].values
    monkeypatch.setattr(bs, "_CHUNK_CELLS", 200 * 7)  # 7 replicates per chunk
    chunked = bootstrap(*args, n_boot=40, seed=1)["group"].values
    for metric in METRICS:
        np.testing.assert_array_equal(whole[metric], chunked[metric])


def test_interval_brackets_the_point_estimate() -> None:
    frame = synthetic(2000, seed=5)
    label, flagged, score = frame["label"].to_numpy(), _flags(frame), frame["score"].to_numpy()
    reps = bootstrap(label, flagged, score, {"group": (frame["group"], ["A", "B"])},
                     n_boot=300, seed=0)["group"]
    point = group_metrics(label, flagged, score, frame["group"]).loc[["A", "B"]]
    for metric in METRICS:
        lo, hi = interval(reps.values[metric], (0.025, 0.975))
        assert np.all(lo <= point[metric].to_numpy()), metric
        assert np.all(point[metric].to_numpy() <= hi), metric
        assert np.all(hi - lo > 0), metric


def test_95_percent_intervals_cover_the_true_recall_about_95_percent_of_the_time() -> None:
    # Population truth: recall is 0.6 in both groups (flagged with p=.6 if at risk, .2 if not).
    rng = np.random.default_rng(2024)
    covered = 0
    sims = 200
    for i in range(sims):
        n = 400
        label = rng.binomial(1, 0.4, n)
        flagged = rng.random(n) < np.where(label == 1, 0.6, 0.2)
        groups = pd.Series(rng.choice(["A", "B"], n))
        reps = bootstrap(label, flagged, rng.random(n), {"g": (groups, ["A", "B"])},
                         n_boot=200, seed=i)["g"]
        lo, hi = interval(reps.values["recall"], (0.025, 0.975))
        covered += int(lo[0] <= 0.6 <= hi[0])
    assert 0.88 <= covered / sims <= 0.99


def test_interval_is_nan_when_most_replicates_are_undefined() -> None:
    reps = np.array([[np.nan], [np.nan], [np.nan], [0.5]])
    lo, hi = interval(reps, (0.025, 0.975))
    assert np.isnan(lo[0]) and np.isnan(hi[0])
    lo, hi = interval(np.array([[0.4], [0.5], [np.nan], [0.6]]), (0.0, 1.0))
    assert (lo[0], hi[0]) == (0.4, 0.6)


def test_tiny_list_auc_replicates_stay_within_zero_and_one() -> None:
    label, score = TINY["label"].to_numpy(), TINY["score"].to_numpy()
    reps = bootstrap(label, _flags(TINY), score, {"g": (TINY["group"], ["A", "B"])},
                     n_boot=100, seed=0)["g"].values["auc"]
    finite = reps[np.isfinite(reps)]
    assert finite.size and finite.min() >= 0 and finite.max() <= 1
