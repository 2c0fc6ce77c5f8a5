"""Features + labels -> the rows a model learns from and is judged on (pure pandas).

A row is one student as of one date: the features computed from data on or before that date and
the label computed from the window after it. Rows are matched on (student_id, as-of date); a
student with features but no label (excluded by the label rules) or a label but no features is
left out and counted, never silently. Grouping columns (school, grade, SIS id) travel beside X
for the lists and the audit but are never model inputs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd

from edupulse.experiment import CohortSpec
from edupulse.modeling.estimators import assert_no_sensitive

# Columns of the key frame that travels with X (never model inputs).
KEY_COLUMNS = ("student_id", "as_of_date", "district_id", "school_code", "grade_level")


class DatasetError(ValueError):
    """Features and labels that cannot make a training set (the message says why)."""


class SplitLike(Protocol):
    """What a temporal split offers (edupulse.modeling.splits.Split)."""

    @property
    def train_as_of(self) -> tuple[dt.date, ...]: ...

    @property
    def test_as_of(self) -> dt.date: ...

    @property
    def name(self) -> str: ...


@dataclass(frozen=True)
class Dataset:
    """All labelled rows of an experiment, in a deterministic order."""

    frame: pd.DataFrame  # KEY_COLUMNS + feature columns + "label"
    feature_columns: tuple[str, ...]
    unlabelled_rows: int  # feature rows without a label (excluded by the label rules)
    unfeatured_rows: int  # labels without a feature row
    outside_cohort_rows: int

    def rows(self, dates: Sequence[dt.date]) -> pd.DataFrame:
        return self.frame[self.frame["as_of_date"].isin(list(dates))]


@dataclass(frozen=True)
class Fingerprint:
    """SHA-256 of the feature matrices and labels of a split, independent of row order and of
    database-generated ids, so the same data loaded into a new database hashes the same."""

    train: str
    test: str

    @property
    def combined(self) -> str:
        return hashlib.sha256(f"{self.train}:{self.test}".encode()).hexdigest()


@dataclass(frozen=True)
class SplitData:
    """One temporal split, ready to fit: X/y for training and for testing, plus keys."""

    name: str
    train_dates: tuple[dt.date, ...]
    test_dates: tuple[dt.date, ...]
    X_train: pd.DataFrame
    y_train: np.ndarray
    train_keys: pd.DataFrame
    X_test: pd.DataFrame
    y_test: np.ndarray
    test_keys: pd.DataFrame
    fingerprint: Fingerprint


def assemble(
    features: pd.DataFrame,
    labels: pd.DataFrame,
    feature_columns: Sequence[str],
    cohort: CohortSpec = CohortSpec(),
) -> Dataset:
    """Join features (feature_date) to labels (as_of_date) and keep the cohort's rows."""
    assert_no_sensitive(feature_columns)
    missing = [c for c in ("student_id", "feature_date", *feature_columns)
               if c not in features.columns]
    if missing:
        raise DatasetError(f"the feature frame lacks column(s) {', '.join(missing)}")
    lab_missing = [c for c in ("student_id", "as_of_date", "label") if c not in labels.columns]
    if lab_missing:
        raise DatasetError(f"the label frame lacks column(s) {', '.join(lab_missing)}")
    feats = features.rename(columns={"feature_date": "as_of_date"})
    feats = feats.assign(as_of_date=pd.to_datetime(feats["as_of_date"]).dt.date,
                         student_id=feats["student_id"].astype(str))
    labs = labels[["student_id", "as_of_date", "label"]].assign(
        as_of_date=pd.to_datetime(labels["as_of_date"]).dt.date,
        student_id=labels["student_id"].astype(str),
    )
    for col in ("district_id", "school_code", "grade_level"):
        if col not in feats.columns:
            feats[col] = pd.NA
    joined = feats.merge(labs, on=["student_id", "as_of_date"], how="outer", indicator=True)
    unlabelled = int((joined["_merge"] == "left_only").sum())
    unfeatured = int((joined["_merge"] == "right_only").sum())
    rows = joined[joined["_merge"] == "both"].drop(columns="_merge")
    keep = _in_cohort(rows, cohort)
    rows = rows[keep]
    labels_ok = rows["label"].isin([0, 1])
    if not labels_ok.all():
        bad = [v.item() if hasattr(v, "item") else v
               for v in rows.loc[~labels_ok, "label"].unique()[:5]]
        raise DatasetError(f"labels must be 0 or 1, found {bad}")
    frame = rows[[*KEY_COLUMNS, *feature_columns, "label"]].copy()
    frame[list(feature_columns)] = frame[list(feature_columns)].astype("float64")
    frame["label"] = frame["label"].astype("int64")
    frame = frame.sort_values(["as_of_date", "district_id", "student_id"], kind="stable")
    return Dataset(frame.reset_index(drop=True), tuple(feature_columns), unlabelled,
                   unfeatured, int((~keep).sum()))


def _in_cohort(rows: pd.DataFrame, cohort: CohortSpec) -> pd.Series:
    keep = pd.Series(True, index=rows.index)
    if cohort.grade_levels:
        keep &= rows["grade_level"].isin(list(cohort.grade_levels))
    if cohort.school_codes:
        keep &= rows["school_code"].astype(str).isin(list(cohort.school_codes))
    if cohort.district_codes:
        if "district_code" not in rows.columns:
            raise DatasetError("cohort.district_codes is set but the features carry no "
                               "district_code column")
        keep &= rows["district_code"].astype(str).isin(list(cohort.district_codes))
    return keep


def split_data(dataset: Dataset, split: SplitLike) -> SplitData:
    """X/y for one split; refuses a split with no training or no test rows, or one class."""
    train_dates, test_dates = tuple(split.train_as_of), (split.test_as_of,)
    train, test = dataset.rows(train_dates), dataset.rows(test_dates)
    name = split.name
    for part, rows, dates in (("training", train, train_dates), ("test", test, test_dates)):
        if rows.empty:
            shown = ", ".join(d.isoformat() for d in dates) or "(none)"
            raise DatasetError(f"split {name}: no labelled {part} rows for as-of date(s) {shown}")
        if rows["label"].nunique() < 2:
            raise DatasetError(f"split {name}: the {part} rows hold only label "
                               f"{int(rows['label'].iloc[0])}; need both outcomes to fit "
                               "and evaluate")
    cols = list(dataset.feature_columns)
    X_train, X_test = train[cols].reset_index(drop=True), test[cols].reset_index(drop=True)
    assert_no_sensitive(X_train.columns)
    y_train = train["label"].to_numpy()
    y_test = test["label"].to_numpy()
    fp = Fingerprint(fingerprint(X_train, y_train, train["as_of_date"]),
                     fingerprint(X_test, y_test, test["as_of_date"]))
    return SplitData(name, train_dates, test_dates, X_train, y_train,
                     train[list(KEY_COLUMNS)].reset_index(drop=True), X_test, y_test,
                     test[list(KEY_COLUMNS)].reset_index(drop=True), fp)


def fingerprint(X: pd.DataFrame, y: np.ndarray, as_of: pd.Series) -> str:
    """SHA-256 of column names, as-of dates, feature values and labels, rows in a canonical
    order (sorted by content), so neither row order nor student UUIDs change it."""
    values = X.to_numpy(dtype="float64", na_value=np.nan)
    values = np.where(np.isnan(values), np.nan, values)  # one NaN bit pattern
    values = values + 0.0  # -0.0 -> 0.0
    dates = np.array([d.toordinal() for d in as_of], dtype=np.int64)
    labels = np.asarray(y, dtype=np.int64)
    keys = [labels, *values.T[::-1], dates]
    order = np.lexsort(keys) if len(labels) else np.arange(0)
    h = hashlib.sha256()
    h.update("\x1f".join(map(str, X.columns)).encode())
    h.update(np.ascontiguousarray(dates[order]).tobytes())
    h.update(np.ascontiguousarray(values[order]).tobytes())
    h.update(np.ascontiguousarray(labels[order]).tobytes())
    return h.hexdigest()
