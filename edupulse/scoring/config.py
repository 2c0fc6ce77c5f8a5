"""How scores become categories and explanations: the scoring section of an experiment.

ExperimentConfig (edupulse/experiment.py) has no `scoring:` section yet; until it does these are
the documented defaults (docs/scoring.md), and `ScoringConfig.model_validate(...)` reads the same
keys from YAML when it lands.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Probability = Annotated[float, Field(gt=0, lt=1)]
Percent = Annotated[float, Field(gt=0, le=100)]


class ProbabilityCutoffs(BaseModel):
    """risk_score >= critical -> critical, >= high -> high, >= medium -> medium, else low."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    medium: Probability = 0.15
    high: Probability = 0.30
    critical: Probability = 0.50

    @model_validator(mode="after")
    def _increasing(self) -> ProbabilityCutoffs:
        if not self.medium < self.high < self.critical:
            raise ValueError("expected medium < high < critical")
        return self


class CapacityShares(BaseModel):
    """Per school, the top `critical`% of scores -> critical, the next up to `high`% -> high,
    up to `medium`% -> medium (cumulative percents; ties at a cut-off all go up)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    critical: Percent = 2.0
    high: Percent = 5.0
    medium: Percent = 15.0

    @model_validator(mode="after")
    def _increasing(self) -> CapacityShares:
        if not self.critical <= self.high <= self.medium:
            raise ValueError("expected critical <= high <= medium (cumulative percents)")
        return self


class ScoringConfig(BaseModel):
    """Categories, explanations, confidence and batching for `edupulse score`."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    categories: Literal["probability", "capacity"] = "probability"
    cutoffs: ProbabilityCutoffs = ProbabilityCutoffs()
    capacity: CapacityShares = CapacityShares()
    top_factors: Annotated[int, Field(ge=0, le=10)] = 3
    full_confidence_weeks: Annotated[int, Field(ge=1, le=52)] = 8
    chunk_size: Annotated[int, Field(ge=1, le=1_000_000)] = 10_000
    # OpenMP/BLAS threads for predictions. 1 by default: scikit-learn's multithreaded
    # HistGradientBoosting predict was 4-5x SLOWER than one thread on a busy 2-core machine
    # (oversubscription); raise it on a dedicated scoring machine.
    threads: Annotated[int, Field(ge=1, le=256)] = 1
