"""Which model scores: the active (or named) version, resolved ONCE to an exact registry version.

model_metadata names the version; model_activations (written by promotion) holds its MLflow
registry version. The fitted model is loaded from `models:/<name>/<registry version>` — never
from the moving `champion` alias — and kept in memory for the whole run, so a promotion while a
run is in progress cannot change the model half-way: every row of a run carries the one version.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from edupulse.db.models import ModelActivation, ModelMetadata

REGISTERED_MODEL = "edupulse-risk"
_IN_VERSION = re.compile(r"^(?P<name>[\w.-]+)[/:@]v?(?P<num>\d+)$")


class ModelResolutionError(LookupError):
    """No model to score with, or a version that cannot be found in the registry."""


@dataclass(frozen=True)
class ModelRef:
    """A model_metadata version and the exact registry version it resolves to."""

    model_version: str
    model_type: str | None
    registry_name: str
    registry_version: str

    @property
    def uri(self) -> str:
        return f"models:/{self.registry_name}/{self.registry_version}"


@dataclass(frozen=True)
class PinnedModel:
    """The loaded model, fixed for one scoring run."""

    ref: ModelRef
    model: Any
    feature_names: tuple[str, ...]
    run_id: str | None


def active_model_version(conn: sa.Connection, at: dt.datetime | None = None) -> str | None:
    """The version active now (is_active) or at `at` (model_activations history)."""
    if at is not None:
        a = ModelActivation.__table__
        row = conn.execute(
            sa.select(a.c.model_version)
            .where(a.c.activated_at <= at, sa.or_(a.c.retired_at.is_(None), a.c.retired_at > at))
            .order_by(a.c.activated_at.desc())
            .limit(1)
        ).first()
        return None if row is None else row.model_version
    m = ModelMetadata.__table__
    row = conn.execute(sa.select(m.c.model_version).where(m.c.is_active.is_(True))).first()
    return None if row is None else row.model_version


def resolve(conn: sa.Connection, model_version: str | None = None) -> ModelRef:
    """The named version, or the active one, with its registry version."""
    version = model_version or active_model_version(conn)
    if version is None:
        raise ModelResolutionError(
            "no active model in model_metadata: promote one first (edupulse promote ...) "
            "or name one with --model-version"
        )
    m, a = ModelMetadata.__table__, ModelActivation.__table__
    meta = conn.execute(
        sa.select(m.c.model_version, m.c.model_type).where(m.c.model_version == version)
    ).first()
    if meta is None:
        known = conn.execute(sa.select(m.c.model_version).order_by(m.c.model_version)).scalars()
        raise ModelResolutionError(
            f"model version {version!r} is not in model_metadata (known: "
            f"{', '.join(known) or 'none'})"
        )
    registry = conn.execute(
        sa.select(a.c.registry_version)
        .where(a.c.model_version == version, a.c.registry_version.is_not(None))
        .order_by(a.c.activated_at.desc())
        .limit(1)
    ).scalar()
    name = REGISTERED_MODEL
    if registry is None and (match := _IN_VERSION.match(version)):
        name, registry = match.group("name"), match.group("num")
    if registry is None:
        raise ModelResolutionError(
            f"model version {version!r} has no MLflow registry version (model_activations."
            "registry_version is empty and the version string names none)"
        )
    return ModelRef(version, meta.model_type, name, str(registry))


def load(ref: ModelRef, tracking_uri: str) -> PinnedModel:
    """Load the exact registry version once (MLflow is imported here, not at module import)."""
    import mlflow
    import mlflow.sklearn
    from mlflow.exceptions import MlflowException

    mlflow.set_tracking_uri(tracking_uri)
    client = mlflow.MlflowClient()
    try:
        mv = client.get_model_version(ref.registry_name, ref.registry_version)
        model = mlflow.sklearn.load_model(ref.uri)
    except MlflowException as exc:
        raise ModelResolutionError(
            f"cannot load {ref.uri} (model_metadata version {ref.model_version!r}) from the "
            f"MLflow registry: {exc.message}"
        ) from None
    return PinnedModel(ref, model, feature_names_of(model), mv.run_id)


def feature_names_of(model: Any) -> tuple[str, ...]:
    """The columns the model was fitted on, in order."""
    names = getattr(model, "feature_names_in_", None)
    inner = getattr(model, "calibrated_classifiers_", None)
    if names is None and inner:
        names = getattr(inner[0].estimator, "feature_names_in_", None)
    if names is None:
        from edupulse.features.columns import MODEL_FEATURES

        return tuple(MODEL_FEATURES)
    return tuple(str(n) for n in names)
