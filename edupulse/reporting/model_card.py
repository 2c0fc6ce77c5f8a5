"""The model card shown in the equity report: what produced the scores and what it is for.

For EduPulse models it is filled from model_metadata (and the MLflow run); for a vendor's list
the fields are unknown and the card says so rather than guessing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

MODEL_CARD_FILE = "model_card.json"

INTENDED_USE = (
    "Rank students by risk so that school staff can offer support (mentoring, attendance "
    "outreach, tutoring) to those most likely to need it, as of a given date. The list is a "
    "prompt for a conversation with people who know the student, never a decision on its own "
    "and never a reason to withhold anything from a student."
)
LIMITATIONS = (
    "Scores are estimates from past records (attendance, grades, incidents); they miss what the "
    "records do not show, and a student's situation can change quickly.",
    "Accuracy differs between groups of students; this report measures how much, with "
    "intervals, for the groups it names.",
    "Students who receive help because they were flagged may do better than predicted; later "
    "measurements of the list can make it look less accurate than it was.",
    "The model was trained on earlier school years; if policies, coding or the student "
    "population change, its accuracy can drift.",
)
EXCLUDED_ATTRIBUTES = ("gender", "ethnicity", "socioeconomic_status")
SPEC_METRICS = ("accuracy", "precision", "recall", "f1_score", "auc_roc", "validation_loss",
                "training_samples", "validation_samples")


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True)
class ModelCard:
    version: str | None = None
    model_type: str | None = None
    trained_on: str | None = None  # date the model was trained
    training_period: str | None = None  # the as-of dates its training data covers
    metrics: tuple[tuple[str, float], ...] = ()
    intended_use: str = INTENDED_USE
    limitations: tuple[str, ...] = LIMITATIONS
    # True: protected attributes are not model inputs (EduPulse guarantees it); None: unknown.
    protected_attributes_excluded: bool | None = True
    excluded_attributes: tuple[str, ...] = EXCLUDED_ATTRIBUTES
    provenance: str = "EduPulse model registry (model_metadata)"
    notes: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def external(cls, description: str) -> ModelCard:
        """A card for a list EduPulse did not produce: nothing is known about the model."""
        return cls(
            provenance=f"external list ({description}); ask its supplier for a model card",
            protected_attributes_excluded=None,
            limitations=(
                "EduPulse did not produce these scores and cannot say what data, method or "
                "inputs the supplier used, including whether protected attributes were inputs.",
                *LIMITATIONS[1:3],
            ),
        )

    @classmethod
    def from_metadata(cls, row: Mapping[str, Any]) -> ModelCard:
        """From a model_metadata row: model_version, model_type, training_date,
        performance_metrics (the spec's JSON; optional extra key training_period)."""
        perf = dict(row.get("performance_metrics") or {})
        period = perf.get("training_period")
        if isinstance(period, Mapping):
            period = f"{period.get('from', '?')} to {period.get('to', '?')}"
        # The spec's keys only (EduPulse's extras live under their own key and stay there).
        metrics = tuple((k, float(perf[k])) for k in SPEC_METRICS if _number(perf.get(k)))
        at_k = perf.get("precision_at_k")
        if isinstance(at_k, Mapping):
            metrics += tuple((f"precision_at_{k}", float(v)) for k, v in at_k.items()
                             if _number(v))
        trained = row.get("training_date")
        return cls(
            version=row.get("model_version"), model_type=row.get("model_type"),
            trained_on=str(trained)[:10] if trained else None,
            training_period=str(period) if period else None, metrics=metrics,
        )

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["metrics"] = dict(self.metrics)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ModelCard:
        fields = dict(data)
        fields["metrics"] = tuple(dict(fields.get("metrics") or {}).items())
        for key in ("limitations", "excluded_attributes", "notes"):
            if key in fields:
                fields[key] = tuple(fields[key])
        return cls(**fields)


def write_model_card(card: ModelCard, directory: Path) -> Path:
    path = directory / MODEL_CARD_FILE
    path.write_text(json.dumps(card.to_json(), indent=2) + "\n", encoding="utf-8")
    return path


def read_model_card(directory: Path) -> ModelCard | None:
    path = directory / MODEL_CARD_FILE
    if not path.is_file():
        return None
    return ModelCard.from_json(json.loads(path.read_text(encoding="utf-8")))
