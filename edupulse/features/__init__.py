"""Weekly features as of a date -> student_features, and back out as a model-ready frame.

Definitions: docs/features.md. Column contract with modelling: `edupulse.features.columns`.
"""

from edupulse.features.build import (
    DateRows,
    FeatureBuildReport,
    build_features,
    missing_dates,
)
from edupulse.features.read import GROUPING, read_feature_frame

__all__ = [
    "GROUPING",
    "DateRows",
    "FeatureBuildReport",
    "build_features",
    "missing_dates",
    "read_feature_frame",
]
