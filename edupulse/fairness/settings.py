"""What an audit measures and how: one frozen, validated object, saved with every result."""

from __future__ import annotations

from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

DEFAULT_ATTRIBUTES: Final = ("gender", "ethnicity", "socioeconomic_status", "grade_level")

# Every per-group metric, in output order; n has no interval.
METRICS: Final = (
    "prevalence", "selection_rate", "precision", "recall", "fnr", "fpr",
    "false_omission_rate", "auc",
)
# Metrics compared across groups (prevalence is the base rate, not something the list does).
DISPARITY_METRICS: Final = (
    "selection_rate", "precision", "recall", "fnr", "fpr", "false_omission_rate", "auc",
)
# For an assistive intervention the harm is being missed (DOMAIN.md): recall/FNR and FOR parity.
EMPHASIS_METRICS: Final = ("recall", "fnr", "false_omission_rate")
# Direction used to pick the "best" reference group and to word the report.
HIGHER_IS_BETTER: Final = {
    "selection_rate": True, "precision": True, "recall": True, "auc": True,
    "fnr": False, "fpr": False, "false_omission_rate": False, "prevalence": False,
}
UNKNOWN_GROUP: Final = "unknown"
INTERSECTION_JOIN: Final = " & "  # group label of an intersection: "F & 0-35"
INTERSECTION_NAME: Final = " x "  # attribute name of an intersection: "gender x age_band"

ERR_LIST_SIZE = "give exactly one list size: top_pct (a percentage) or threshold (a score)"
ERR_BAND = "the fairness band must be (low, high) with 0 < low <= 1 <= high, got {band}"
ERR_INTERSECTION = "an intersection needs at least two different attributes, got {parts}"


class AuditSettings(BaseModel):
    """Everything that shapes an audit's numbers; stored in audit.json next to the results."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    attributes: tuple[str, ...] = DEFAULT_ATTRIBUTES
    intersections: tuple[tuple[str, ...], ...] = ()
    top_pct: float | None = Field(default=None, gt=0, le=100)
    threshold: float | None = None
    min_cell: int = Field(default=10, ge=1)
    band: tuple[float, float] = (0.8, 1.25)
    reference: Literal["largest", "best"] | dict[str, str] = "largest"
    n_boot: int = Field(default=1000, ge=20)
    ci_level: float = Field(default=0.95, gt=0.5, lt=1)
    seed: int = 0
    emphasis: tuple[str, ...] = EMPHASIS_METRICS

    @model_validator(mode="after")
    def _one_list_size(self) -> AuditSettings:
        if (self.top_pct is None) == (self.threshold is None):
            raise ValueError(ERR_LIST_SIZE)
        return self

    @field_validator("band")
    @classmethod
    def _band(cls, band: tuple[float, float]) -> tuple[float, float]:
        low, high = band
        if not (0 < low <= 1 <= high):
            raise ValueError(ERR_BAND.format(band=band))
        return band

    @field_validator("attributes")
    @classmethod
    def _attributes(cls, attrs: tuple[str, ...]) -> tuple[str, ...]:
        if not attrs:
            raise ValueError("name at least one sensitive attribute")
        if len(set(attrs)) != len(attrs):
            raise ValueError(f"attributes are listed twice: {list(attrs)}")
        return attrs

    @field_validator("intersections")
    @classmethod
    def _intersections(cls, inter: tuple[tuple[str, ...], ...]) -> tuple[tuple[str, ...], ...]:
        for parts in inter:
            if len(parts) < 2 or len(set(parts)) != len(parts):
                raise ValueError(ERR_INTERSECTION.format(parts=list(parts)))
        return inter

    @field_validator("emphasis")
    @classmethod
    def _emphasis(cls, emphasis: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [m for m in emphasis if m not in DISPARITY_METRICS]
        if unknown:
            raise ValueError(f"unknown emphasis metrics {unknown}; choose from {DISPARITY_METRICS}")
        return emphasis

    @property
    def group_sets(self) -> tuple[str, ...]:
        """Every grouping the audit reports: the attributes, then each intersection."""
        return self.attributes + tuple(intersection_name(p) for p in self.intersections)

    @property
    def list_rule(self) -> str:
        if self.top_pct is not None:
            return f"top {self.top_pct:g}% of scores"
        return f"score >= {self.threshold:g}"

    @property
    def quantiles(self) -> tuple[float, float]:
        alpha = 1 - self.ci_level
        return alpha / 2, 1 - alpha / 2


def intersection_name(parts: tuple[str, ...]) -> str:
    return INTERSECTION_NAME.join(parts)
