"""Experiment configs: a versioned YAML file -> a frozen, validated ExperimentConfig.

Everything an experiment does is decided here, before any data is read: a wrong key, a wrong type
or an impossible date fails at once with the file, the line, the key and what was expected, so a
researcher never waits for features to build only to learn of a typo in the model grid.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from pathlib import Path
from typing import Annotated, Any, Final, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from edupulse.features.columns import MODEL_FEATURES
from edupulse.yaml_config import describe, line_of, read_yaml

CONFIG_VERSION: Final = 1
OUTCOMES: Final = ("dropout", "course_failure", "chronic_absence", "any_adverse")
FAMILIES: Final = ("abc_baseline", "logistic_regression", "hist_gradient_boosting", "random_forest")
# The spec's performance_metrics.precision_at_k has exactly these keys (k5, k10, k20).
SPEC_K_PERCENT: Final = (5, 10, 20)
# Hyperparameters a researcher may set per family (the estimator's own parameter names);
# tests/test_experiment.py checks them against the estimators' get_params().
FAMILY_PARAMS: Final[dict[str, tuple[str, ...]]] = {
    "abc_baseline": ("attendance_threshold", "gpa_threshold"),
    "logistic_regression": ("C", "l1_ratio", "max_iter", "class_weight"),
    "hist_gradient_boosting": (
        "learning_rate", "max_iter", "max_leaf_nodes", "max_depth", "min_samples_leaf",
        "l2_regularization", "class_weight", "early_stopping",
    ),
    "random_forest": (
        "n_estimators", "max_depth", "min_samples_leaf", "max_features", "class_weight",
        "n_jobs",
    ),
}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
Scalar = str | int | float | bool | None


class ExperimentConfigError(ValueError):
    """A config that cannot be used; the message names the file, line, key and expectation."""


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LabelSpec(_Strict):
    """What is predicted: the outcome in the window (as_of, as_of + horizon_days]."""

    outcome: Literal["dropout", "course_failure", "chronic_absence", "any_adverse"]
    horizon_days: Annotated[int, Field(gt=0, le=730, strict=True)]


class CohortSpec(_Strict):
    """Who is on the lists; empty means everyone enrolled on the as-of date."""

    district_codes: tuple[str, ...] = ()
    school_codes: tuple[str, ...] = ()
    grade_levels: tuple[Annotated[int, Field(ge=0, le=12, strict=True)], ...] = ()


class TemporalSpec(_Strict):
    """Training as-of dates from train_start to train_end every `update_frequency_days`;
    one split per test date, trained on the dates whose label window closed by then (and,
    with max_history_days, not older than that before the test date)."""

    train_start: dt.date
    train_end: dt.date
    update_frequency_days: Annotated[int, Field(gt=0, le=366, strict=True)] = 7
    test_dates: Annotated[tuple[dt.date, ...], Field(min_length=1)]
    max_history_days: Annotated[int, Field(ge=0, strict=True)] | None = None

    @field_validator("train_end")
    @classmethod
    def _end_after_start(cls, value: dt.date, info: ValidationInfo) -> dt.date:
        start = info.data.get("train_start")
        if start is not None and value < start:
            raise ValueError(f"expected a date on or after train_start ({start}), got {value}")
        return value

    @field_validator("test_dates")
    @classmethod
    def _tests_after_start(cls, value: tuple[dt.date, ...], info: ValidationInfo) -> Any:
        if list(value) != sorted(set(value)):
            raise ValueError("expected distinct dates in increasing order")
        start = info.data.get("train_start")
        if start is not None and value[0] <= start:
            raise ValueError(
                f"expected every test date after train_start ({start}), got {value[0]}"
            )
        return value

    def training_dates(self) -> list[dt.date]:
        step = dt.timedelta(days=self.update_frequency_days)
        n = (self.train_end - self.train_start) // step + 1
        return [self.train_start + i * step for i in range(n)]

    def all_dates(self) -> list[dt.date]:
        return sorted(set(self.training_dates()) | set(self.test_dates))


class FeatureSpec(_Strict):
    """Which of the contract's MODEL_FEATURES the models see."""

    include: Literal["all"] | tuple[str, ...] = "all"
    exclude: tuple[str, ...] = ()

    @field_validator("include", "exclude")
    @classmethod
    def _known(cls, value: Any) -> Any:
        if value == "all":
            return value
        unknown = [c for c in value if c not in MODEL_FEATURES]
        if unknown:
            raise ValueError(
                f"unknown feature(s) {', '.join(unknown)}; expected names from "
                "edupulse/features/columns.py MODEL_FEATURES (see docs/features.md)"
            )
        return value

    def columns(self) -> tuple[str, ...]:
        chosen = MODEL_FEATURES if self.include == "all" else self.include
        return tuple(c for c in chosen if c not in self.exclude)


class ModelSpec(_Strict):
    """One entry of the grid; a list value in params expands into one model per value."""

    name: str
    family: Literal["abc_baseline", "logistic_regression", "hist_gradient_boosting",
                    "random_forest"]
    params: dict[str, Scalar | list[Scalar]] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError("expected letters, digits, '_', '-' or '.' (at most 63)")
        return value

    @field_validator("params")
    @classmethod
    def _params_of_family(cls, value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        family = info.data.get("family")
        allowed = FAMILY_PARAMS.get(family or "", ())
        unknown = [p for p in value if p not in allowed]
        if family and unknown:
            raise ValueError(
                f"{', '.join(unknown)} not accepted by family {family}; "
                f"expected some of: {', '.join(allowed)}"
            )
        if any(isinstance(v, list) and not v for v in value.values()):
            raise ValueError("a params list must hold at least one value")
        return value

    def expand(self) -> list[ModelRun]:
        """The grid: one ModelRun per combination of list-valued params."""
        keys = sorted(self.params)
        values = [v if isinstance(v, list) else [v] for v in (self.params[k] for k in keys)]
        combos = list(itertools.product(*values))
        runs = []
        for combo in combos:
            params = dict(zip(keys, combo, strict=True))
            varied = [f"{k}={v}" for k, v in params.items() if isinstance(self.params[k], list)]
            label = f"{self.name}[{','.join(varied)}]" if varied else self.name
            runs.append(ModelRun(name=label, family=self.family, params=params))
        return runs


class ModelRun(_Strict):
    """One fully specified model of the grid."""

    name: str
    family: str
    params: dict[str, Scalar]


class CalibrationSpec(_Strict):
    """Sigmoid or isotonic calibration fitted on training data only (student-grouped folds)."""

    method: Literal["sigmoid", "isotonic", "none"] = "sigmoid"
    folds: Annotated[int, Field(ge=2, le=10, strict=True)] = 3


class EvaluationSpec(_Strict):
    """List sizes and intervals; promotion_k is the percent list the baseline gate compares."""

    k_percent: tuple[Annotated[float, Field(gt=0, le=100)], ...] = SPEC_K_PERCENT
    k_per_school: tuple[Annotated[int, Field(gt=0, strict=True)], ...] = (5, 10)
    promotion_k: Annotated[float, Field(gt=0, le=100)] = 10
    bootstrap: Annotated[int, Field(ge=0, le=10_000, strict=True)] = 200
    ci_level: Annotated[float, Field(gt=0.5, lt=1)] = 0.95
    calibration_bins: Annotated[int, Field(ge=2, le=50, strict=True)] = 10
    importance_repeats: Annotated[int, Field(ge=0, le=50, strict=True)] = 3

    @field_validator("k_percent")
    @classmethod
    def _spec_ks(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        missing = [k for k in SPEC_K_PERCENT if k not in value]
        if missing:
            raise ValueError(
                f"lacks {missing}; expected a list that includes 5, 10 and 20 (the spec's "
                "precision_at_k keys k5, k10, k20), plus any others you like"
            )
        return tuple(sorted(set(value)))

    @field_validator("promotion_k")
    @classmethod
    def _promotion_in_list(cls, value: float, info: ValidationInfo) -> float:
        ks = info.data.get("k_percent")
        if ks is not None and value not in ks:
            shown = ", ".join(f"{k:g}" for k in ks)
            raise ValueError(f"expected one of k_percent [{shown}], got {value:g}")
        return value


class OracleSpec(_Strict):
    """The synthetic generator's true probabilities, for the best-possible figures."""

    ground_truth: Path | None = None


class ExperimentConfig(_Strict):
    """A whole experiment; frozen so that what was logged is what ran."""

    config_version: Literal[1]
    name: str
    description: str = ""
    label: LabelSpec
    cohort: CohortSpec = CohortSpec()
    temporal: TemporalSpec
    features: FeatureSpec = FeatureSpec()
    models: Annotated[tuple[ModelSpec, ...], Field(min_length=1)]
    calibration: CalibrationSpec = CalibrationSpec()
    evaluation: EvaluationSpec = EvaluationSpec()
    oracle: OracleSpec = OracleSpec()
    seed: Annotated[int, Field(ge=0, le=2**32 - 1, strict=True)]

    @field_validator("name")
    @classmethod
    def _slug(cls, value: str) -> str:
        return ModelSpec._slug(value)

    @model_validator(mode="after")
    def _consistent(self) -> ExperimentConfig:
        names = [r.name for r in self.model_runs()]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"models: duplicate model names {dupes}; expected unique names")
        first_label_close = self.temporal.train_start + dt.timedelta(days=self.label.horizon_days)
        for i, test in enumerate(self.temporal.test_dates):
            if test < first_label_close:
                raise ValueError(
                    f"temporal.test_dates[{i}]: no training label window (as_of, as_of + "
                    f"{self.label.horizon_days} days] closes by {test}; expected test dates on "
                    f"or after train_start + horizon_days = {first_label_close}"
                )
        return self

    def model_runs(self) -> list[ModelRun]:
        return [run for spec in self.models for run in spec.expand()]

    @property
    def baseline(self) -> ModelRun | None:
        return next((r for r in self.model_runs() if r.family == "abc_baseline"), None)



# --- reading -------------------------------------------------------------------------------


def load_experiment(path: str | Path) -> ExperimentConfig:
    """Read and validate `path`; raises ExperimentConfigError naming file, line and key."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ExperimentConfigError(f"{path}: cannot read the experiment file ({exc})") from None
    return parse_experiment(text, source=str(path))


def parse_experiment(text: str, source: str = "<string>") -> ExperimentConfig:
    """Validate YAML `text`; `source` is the file name the messages carry."""
    try:
        data, root = read_yaml(text)
    except ValueError as exc:
        raise ExperimentConfigError(f"{source}: {exc}") from None
    if not isinstance(data, dict):
        raise ExperimentConfigError(
            f"{source}: expected a mapping of keys (config_version, name, label, ...) at the top"
        )
    version = data.get("config_version")
    if version != CONFIG_VERSION or isinstance(version, bool):
        raise ExperimentConfigError(
            f"{source}{line_of(root, ('config_version',))}: key 'config_version': expected "
            f"{CONFIG_VERSION} (the config version this EduPulse reads), got {version!r}"
        )
    try:
        return ExperimentConfig.model_validate(data)
    except ValidationError as exc:
        raise ExperimentConfigError(describe(exc, source, root, ExperimentConfig)) from None
