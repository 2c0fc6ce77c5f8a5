"""The tiny district's experiment config, for the end-to-end tracking tests."""

from __future__ import annotations

from pathlib import Path

TINY_CONFIG = """\
config_version: 1
name: tiny
label: {{outcome: any_adverse, horizon_days: 84}}
temporal:
  train_start: 2024-09-27
  train_end: 2024-11-15
  update_frequency_days: 14
  test_dates: [2025-01-10, 2025-02-07]
models:
  - {{name: abc_baseline, family: abc_baseline}}
  - {{name: lr, family: logistic_regression, params: {{C: 0.1}}}}
{extra_models}
evaluation: {{bootstrap: 30, importance_repeats: 1}}
oracle: {{ground_truth: {truth}}}
seed: 11
"""


def tiny_config(tmp_path: Path, truth: Path, extra_models: str = "") -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY_CONFIG.format(truth=truth, extra_models=extra_models),
                    encoding="utf-8")
    return path
