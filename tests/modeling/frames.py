"""Small feature and label frames shaped like edupulse.features / edupulse.labels output, with
a known risk process, for the tests of modelling and tracking (no database needed)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

import numpy as np
import pandas as pd

from edupulse.experiment import ExperimentConfig, parse_experiment
from edupulse.features.columns import MODEL_FEATURES
from edupulse.modeling.splits import Split

CONFIG = """\
config_version: 1
name: frames
label: {outcome: any_adverse, horizon_days: 84}
temporal:
  train_start: 2024-09-27
  train_end: 2024-11-15
  update_frequency_days: 7
  test_dates: [2025-01-10, 2025-02-07]
models:
  - {name: abc_baseline, family: abc_baseline}
  - {name: lr, family: logistic_regression, params: {C: 0.5}}
evaluation: {bootstrap: 50, importance_repeats: 1}
seed: 5
"""


def config(text: str = CONFIG) -> ExperimentConfig:
    return parse_experiment(text)


def splits(cfg: ExperimentConfig) -> tuple[Split, ...]:
    """The config's splits, as `edupulse train` makes them."""
    from edupulse.tracking.pipeline import make_splits

    return make_splits(cfg)


def feature_and_label_frames(
    dates: Sequence[dt.date], n: int = 300, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    ids = [str(uuid.UUID(int=i + 1)) for i in range(n)]
    sis = [f"D01-{i:06d}" for i in range(n)]
    base_risk = rng.normal(size=n)
    feats, labels = [], []
    for d in dates:
        risk = base_risk + rng.normal(scale=0.5, size=n)
        f = pd.DataFrame(rng.normal(size=(n, len(MODEL_FEATURES))), columns=list(MODEL_FEATURES))
        f["attendance_rate_ytd"] = np.clip(0.94 - 0.05 * risk, 0, 1)
        f["gpa_ytd"] = np.clip(3 - 0.6 * risk, 0, 4)
        f["failing_courses"] = (risk > 1.5).astype(float)
        f["serious_incidents_ytd"] = rng.poisson(np.exp(risk - 1.5)).astype(float)
        f.insert(0, "feature_date", d)
        f.insert(0, "student_id", ids)
        f["district_id"], f["school_code"], f["grade_level"] = sis, [f"S{i % 3}" for i in
                                                                     range(n)], 9
        feats.append(f)
        p = 1 / (1 + np.exp(-(1.6 * risk - 1.8)))
        labels.append(pd.DataFrame({"student_id": ids, "as_of_date": d,
                                    "label": (rng.random(n) < p).astype(int)}))
    return pd.concat(feats, ignore_index=True), pd.concat(labels, ignore_index=True)
