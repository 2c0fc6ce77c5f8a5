"""Features + labels -> rows: the join, what is left out (and counted), the cohort, the split,
and a data fingerprint that sees values but not row order or database ids."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from edupulse.experiment import CohortSpec
from edupulse.features.columns import MODEL_FEATURES
from edupulse.modeling.dataset import DatasetError, assemble, fingerprint, split_data
from edupulse.modeling.splits import Split
from tests.modeling.frames import feature_and_label_frames

D1, D2, D3 = dt.date(2024, 10, 4), dt.date(2024, 10, 11), dt.date(2025, 1, 10)


@pytest.fixture
def frames():  # type: ignore[no-untyped-def]
    return feature_and_label_frames([D1, D2, D3], n=60)


def test_rows_join_on_student_and_as_of_date(frames) -> None:  # type: ignore[no-untyped-def]
    feats, labels = frames
    ds = assemble(feats, labels, MODEL_FEATURES)
    assert len(ds.frame) == 180 and ds.unlabelled_rows == 0 and ds.unfeatured_rows == 0
    row = ds.frame.iloc[0]
    src = feats[(feats.student_id == row.student_id) & (feats.feature_date == row.as_of_date)]
    lab = labels[(labels.student_id == row.student_id) & (labels.as_of_date == row.as_of_date)]
    assert row.gpa_ytd == src.gpa_ytd.iloc[0] and row.label == lab.label.iloc[0]
    assert list(ds.frame.columns[:5]) == ["student_id", "as_of_date", "district_id",
                                          "school_code", "grade_level"]


def test_unmatched_rows_are_left_out_and_counted(frames) -> None:  # type: ignore[no-untyped-def]
    feats, labels = frames
    labels = labels.iloc[5:]  # 5 students of D1 excluded by the label rules
    feats = feats.iloc[:-2]  # 2 feature rows of D3 missing
    ds = assemble(feats, labels, MODEL_FEATURES)
    assert (ds.unlabelled_rows, ds.unfeatured_rows, len(ds.frame)) == (5, 2, 173)


def test_cohort_filters(frames) -> None:  # type: ignore[no-untyped-def]
    feats, labels = frames
    feats.loc[feats.index[:30], "grade_level"] = 10
    ds = assemble(feats, labels, MODEL_FEATURES, CohortSpec(grade_levels=(10,),
                                                             school_codes=("S1",)))
    assert set(ds.frame.grade_level) == {10} and set(ds.frame.school_code) == {"S1"}
    assert ds.outside_cohort_rows == 180 - len(ds.frame)
    with pytest.raises(DatasetError, match="district_codes is set but"):
        assemble(feats, labels, MODEL_FEATURES, CohortSpec(district_codes=("D01",)))


def test_bad_inputs_say_what_is_wrong(frames) -> None:  # type: ignore[no-untyped-def]
    feats, labels = frames
    with pytest.raises(DatasetError, match="feature frame lacks column.*gpa_ytd"):
        assemble(feats.drop(columns="gpa_ytd"), labels, MODEL_FEATURES)
    with pytest.raises(DatasetError, match="label frame lacks column.*label"):
        assemble(feats, labels.drop(columns="label"), MODEL_FEATURES)
    with pytest.raises(DatasetError, match=r"labels must be 0 or 1, found \[2\]"):
        assemble(feats, labels.assign(label=2), MODEL_FEATURES)


def test_split_takes_its_dates_only(frames) -> None:  # type: ignore[no-untyped-def]
    ds = assemble(*frames, MODEL_FEATURES)
    data = split_data(ds, Split((D1, D2), D3, 84))
    assert data.name == "test-2025-01-10"
    assert len(data.X_train) == 120 and len(data.X_test) == 60
    assert list(data.X_train.columns) == list(MODEL_FEATURES)  # no ids, no grouping columns
    assert set(data.train_keys.as_of_date) == {D1, D2} and set(data.test_keys.as_of_date) == {D3}


def test_split_without_rows_or_with_one_class_is_refused(frames) -> None:  # type: ignore[no-untyped-def]
    feats, labels = frames
    ds = assemble(feats, labels, MODEL_FEATURES)
    with pytest.raises(DatasetError, match="no labelled test rows for as-of date.*2025-03-07"):
        split_data(ds, Split((D1,), dt.date(2025, 3, 7), 84))
    ds = assemble(feats, labels.assign(label=0), MODEL_FEATURES)
    with pytest.raises(DatasetError, match="training rows hold only label 0"):
        split_data(ds, Split((D1,), D3, 84))


def test_fingerprint_ignores_row_order_and_ids_but_not_values(frames) -> None:  # type: ignore[no-untyped-def]
    feats, labels = frames
    data = split_data(assemble(feats, labels, MODEL_FEATURES), Split((D1, D2), D3, 84))
    # a reload: new UUIDs, rows in another order -> the same fingerprint
    new_ids = {old: f"x-{i}" for i, old in enumerate(feats.student_id.unique())}
    shuffled = feats.sample(frac=1, random_state=1).assign(
        student_id=lambda f: f.student_id.map(new_ids))
    relabel = labels.assign(student_id=labels.student_id.map(new_ids))
    again = split_data(assemble(shuffled, relabel, MODEL_FEATURES), Split((D1, D2), D3, 84))
    assert again.fingerprint == data.fingerprint
    # one changed value in the training rows -> a different training fingerprint
    changed = feats.copy()
    changed.loc[0, "gpa_ytd"] += 0.001
    other = split_data(assemble(changed, labels, MODEL_FEATURES), Split((D1, D2), D3, 84))
    assert other.fingerprint.train != data.fingerprint.train
    assert other.fingerprint.test == data.fingerprint.test
    # one flipped label in the test rows -> a different test fingerprint
    flipped = labels.copy()
    flipped.loc[flipped.index[-1], "label"] ^= 1
    other = split_data(assemble(feats, flipped, MODEL_FEATURES), Split((D1, D2), D3, 84))
    assert other.fingerprint.test != data.fingerprint.test
    assert other.fingerprint.combined != data.fingerprint.combined


def test_fingerprint_treats_missing_values_alike() -> None:
    import pandas as pd

    X = pd.DataFrame({"a": [1.0, np.nan], "b": [-0.0, 2.0]})
    Y = pd.DataFrame({"a": [1.0, float("nan")], "b": [0.0, 2.0]})
    dates = [D1, D1]
    assert fingerprint(X, np.array([0, 1]), dates) == fingerprint(Y, np.array([0, 1]), dates)
    assert fingerprint(X, np.array([0, 1]), dates) != fingerprint(X, np.array([1, 0]), dates)
