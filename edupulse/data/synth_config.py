"""The settings of a synthetic district: one frozen, validated object."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# Share of students in each grade K..12. Secondary grades are over-represented on purpose: early
# warning is mostly about middle and high school, and the benchmarks need their period-level
# attendance volume (about 1,000 attendance rows per student-year).
DEFAULT_GRADE_WEIGHTS = (
    0.025, 0.025, 0.025, 0.025, 0.025, 0.025,  # K-5
    0.10, 0.10, 0.10,  # 6-8
    0.1375, 0.1375, 0.1375, 0.1375,  # 9-12
)
# Monte Carlo continuations per student and week behind the oracle probabilities. Chronic absence
# has a standard error of at most 0.5 / sqrt(K) (0.09 at K = 32); dropout and course failure are
# integrated within each continuation and are several times tighter (docs/synthetic-data.md).
DEFAULT_ORACLE_DRAWS = 32
HORIZON_WEEKS = 12  # the outcome window of the ground truth: 84 days after the as-of Friday


class SynthConfig(BaseModel):
    """What to generate. The same config (and library versions) gives byte-identical files."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    students: int = Field(500, ge=1, le=1_000_000)
    start: dt.date = dt.date(2024, 8, 26)
    weeks: int = Field(36, ge=1, le=52)
    seed: int = Field(0, ge=0)
    districts: int = Field(3, ge=1, le=9)
    schools_per_district: int = Field(4, ge=3, le=30)
    oracle_draws: int = Field(DEFAULT_ORACLE_DRAWS, ge=1, le=4096)
    # Seed of the oracle's Monte Carlo alone (default: derived from `seed`). Another value gives
    # independent probability estimates for the very same records, e.g. to check calibration.
    oracle_seed: int | None = Field(None, ge=0)
    late_enrollment_share: float = Field(0.06, ge=0.0, le=0.5)
    grade_weights: tuple[float, ...] = DEFAULT_GRADE_WEIGHTS

    @field_validator("start")
    @classmethod
    def _monday(cls, v: dt.date) -> dt.date:
        if v.weekday() != 0:
            raise ValueError(f"start {v.isoformat()} is a {v:%A}; weeks start on a Monday")
        return v

    @model_validator(mode="after")
    def _weights(self) -> SynthConfig:
        w = self.grade_weights
        if len(w) != 13 or min(w) < 0 or sum(w) <= 0:
            raise ValueError("grade_weights needs 13 non-negative weights (K..12), not all zero")
        return self

    @property
    def school_year(self) -> int:
        """The calendar year in which the school year of `start` began."""
        return self.start.year if self.start.month >= 7 else self.start.year - 1
