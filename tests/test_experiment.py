"""Experiment configs: what a valid file gives, and what each bad one is told."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from edupulse.experiment import (
    FAMILY_PARAMS,
    ExperimentConfig,
    ExperimentConfigError,
    load_experiment,
    parse_experiment,
)
from edupulse.features.columns import MODEL_FEATURES

VALID = """\
config_version: 1
name: tiny
label:
  outcome: any_adverse
  horizon_days: 84
temporal:
  train_start: 2024-09-27
  train_end: 2024-11-15
  update_frequency_days: 7
  test_dates: [2025-01-10, 2025-02-07]
models:
  - name: abc
    family: abc_baseline
  - name: lr
    family: logistic_regression
    params: {C: [0.1, 1.0]}
seed: 7
"""
REPO = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "exp.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def error_for(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ExperimentConfigError) as info:
        load_experiment(path)
    message = str(info.value)
    assert str(path) in message  # every message names the file
    return message


def test_valid_config_is_typed_and_frozen(tmp_path: Path) -> None:
    config = load_experiment(write(tmp_path, VALID))
    assert config.label.horizon_days == 84
    assert config.temporal.test_dates == (dt.date(2025, 1, 10), dt.date(2025, 2, 7))
    assert config.temporal.training_dates()[:2] == [dt.date(2024, 9, 27), dt.date(2024, 10, 4)]
    assert len(config.temporal.training_dates()) == 8
    assert config.features.columns() == MODEL_FEATURES
    assert config.evaluation.k_percent == (5, 10, 20)
    with pytest.raises(Exception, match="frozen"):
        config.seed = 8  # type: ignore[misc]


def test_list_params_expand_into_a_grid(tmp_path: Path) -> None:
    runs = load_experiment(write(tmp_path, VALID)).model_runs()
    assert [r.name for r in runs] == ["abc", "lr[C=0.1]", "lr[C=1.0]"]
    assert runs[1].params == {"C": 0.1}


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        # wrong key
        ("  horizon_days: 84", "  horizon: 84",
         "line 5: key 'label.horizon': unknown key; expected one of: outcome, horizon_days"),
        ("seed: 7", "seed: 7\nsede: 8", "key 'sede': unknown key; expected one of: "
         "config_version, name, description, label"),
        ("params: {C: [0.1, 1.0]}", "params: {penalty: l1}",
         "line 16: key 'models[1].params': penalty not accepted by family logistic_regression; "
         "expected some of: C, l1_ratio"),
        # wrong type
        ("horizon_days: 84", "horizon_days: twelve weeks",
         "line 5: key 'label.horizon_days': expected a valid integer (got 'twelve weeks')"),
        ("seed: 7", "seed: '7'", "key 'seed': expected a valid integer (got '7')"),
        ("family: abc_baseline", "family: xgboost",
         "line 13: key 'models[0].family': expected 'abc_baseline', 'logistic_regression', "
         "'hist_gradient_boosting' or 'random_forest' (got 'xgboost')"),
        ("outcome: any_adverse", "outcome: truancy", "key 'label.outcome': expected 'dropout'"),
        ("horizon_days: 84", "horizon_days: 0",
         "key 'label.horizon_days': expected greater than 0 (got 0)"),
        # bad dates
        ("test_dates: [2025-01-10, 2025-02-07]", "test_dates: [2025-01-10, 2025-02-30]",
         "line 10: key 'temporal.test_dates[1]': expected a valid date or datetime, day value "
         "is outside expected range (got '2025-02-30')"),
        ("train_end: 2024-11-15", "train_end: 2024-09-01",
         "line 8: key 'temporal.train_end': expected a date on or after train_start "
         "(2024-09-27), got 2024-09-01"),
        ("test_dates: [2025-01-10, 2025-02-07]", "test_dates: [2025-02-07, 2025-01-10]",
         "key 'temporal.test_dates': expected distinct dates in increasing order"),
        ("test_dates: [2025-01-10, 2025-02-07]", "test_dates: [2024-11-01]",
         "line 10: key 'temporal.test_dates[0]': no training label window (as_of, as_of + 84 "
         "days] closes by 2024-11-01; expected test dates on or after train_start + "
         "horizon_days = 2024-12-20"),
        ("train_start: 2024-09-27", "train_start: next monday",
         "key 'temporal.train_start': expected a valid date or datetime"),
        # missing keys, versions
        ("  outcome: any_adverse\n", "", "line 3: key 'label.outcome': missing; this key is "
         "required"),
        ("config_version: 1", "config_version: 2",
         "line 1: key 'config_version': expected 1 (the config version this EduPulse reads), "
         "got 2"),
        ("seed: 7", "seed: 7\nevaluation: {k_percent: [10, 25]}",
         "key 'evaluation.k_percent': lacks [5, 20]; expected a list that includes 5, 10 and 20"),
        ("seed: 7", "seed: 7\nevaluation: {promotion_k: 15}",
         "key 'evaluation.promotion_k': expected one of k_percent [5, 10, 20], got 15"),
        ("seed: 7", "seed: 7\nfeatures: {include: [gpa_ytd, gender]}",
         "key 'features.include': unknown feature(s) gender; expected names from "
         "edupulse/features/columns.py MODEL_FEATURES"),
        ("  - name: abc\n", "  - name: abc\n    family: logistic_regression\n  - name: abc\n",
         "key 'models': duplicate model names ['abc']; expected unique names"),
    ],
)
def test_bad_config_names_file_line_key_and_expectation(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    assert old in VALID
    message = error_for(tmp_path, VALID.replace(old, new, 1))
    assert expected in message


def test_not_yaml_and_not_a_mapping(tmp_path: Path) -> None:
    assert "not valid YAML" in error_for(tmp_path, "name: [unclosed\n")
    assert "expected a mapping of keys" in error_for(tmp_path, "- just\n- a list\n")


def test_unreadable_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ExperimentConfigError, match="nope.yaml: cannot read"):
        load_experiment(tmp_path / "nope.yaml")


def test_all_errors_are_reported_at_once(tmp_path: Path) -> None:
    text = VALID.replace("horizon_days: 84", "horizon_days: x").replace("seed: 7", "seed: y")
    message = error_for(tmp_path, text)
    assert "label.horizon_days" in message and "'seed'" in message


def test_family_params_are_the_estimators_own() -> None:
    from edupulse.modeling.estimators import build_estimator

    for family, names in FAMILY_PARAMS.items():
        est = build_estimator(family, {}, seed=0)
        inner = est.steps[-1][1] if hasattr(est, "steps") else est
        assert set(names) <= set(inner.get_params()), family


def test_outcomes_match_the_labels_module() -> None:
    labels = pytest.importorskip("edupulse.labels")
    literal = ExperimentConfig.model_fields["label"].annotation.model_fields["outcome"]
    assert set(literal.annotation.__args__) == set(labels.OUTCOMES)


@pytest.mark.parametrize("name", ["baseline.yaml", "model-families.yaml"])
def test_shipped_experiments_are_valid(name: str) -> None:
    config = load_experiment(REPO / "experiments" / name)
    assert config.baseline is not None
    assert parse_experiment((REPO / "experiments" / name).read_text()) == config
