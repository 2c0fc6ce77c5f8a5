"""`edupulse score`: one as-of date, the pinned model, every eligible student -> predictions.

Steps: resolve and load the model once (model.py) — on PostgreSQL while the server already
COPYs the date's stored features; build the date's features if missing and stream the cohort's
into compact arrays (cohort_features.py); score all students (cheap) so
capacity categories can see a whole school; then per chunk of
`chunk_size` students compute confidence, attributions and risk_factors and stage them; finally
replace the date's predictions for that model version in one transaction (write.py). Memory per
chunk is bounded by the chunk, not by the district.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from edupulse.scoring import write
from edupulse.scoring.categories import CATEGORIES, categorize
from edupulse.scoring.cohort_features import CohortFeatures, CohortPrefetch
from edupulse.scoring.confidence import confidence
from edupulse.scoring.config import ScoringConfig
from edupulse.scoring.explain import build_explainer
from edupulse.scoring.factors import risk_factors_json
from edupulse.scoring.model import PinnedModel, load, resolve

ChunkHook = Callable[[int, int], None]  # (chunk number from 1, students staged so far)


class ScoringError(RuntimeError):
    """A date that cannot be scored; the message says why and what to do."""


@dataclass(frozen=True)
class ScoreReport:
    as_of: dt.date
    prediction_date: dt.datetime
    model_version: str
    model_uri: str
    scored: int
    replaced: int
    categories: dict[str, int] = field(default_factory=dict)
    features_built: bool = False
    attribution_method: str = ""
    attribution_units: str = ""
    seconds: float = 0.0
    # Wall seconds per phase: model (resolve + load), features (build/read), compute (scores,
    # confidence, attributions, risk_factors, staging), publish (the replacing transaction).
    phases: dict[str, float] = field(default_factory=dict)


def prediction_timestamp(as_of: dt.date) -> dt.datetime:
    """The as-of date at 00:00 UTC: "latest prediction" then follows as-of dates."""
    return dt.datetime.combine(as_of, dt.time.min, tzinfo=dt.UTC)


def score(
    engine: Engine,
    as_of: dt.date,
    *,
    tracking_uri: str,
    model_version: str | None = None,
    config: ScoringConfig | None = None,
    progress: bool = True,
    on_chunk: ChunkHook | None = None,
) -> ScoreReport:
    """Score every eligible student as of `as_of` with the active (or named) model version."""
    from threadpoolctl import threadpool_limits

    started = time.perf_counter()
    config = config or ScoringConfig()
    from edupulse.features import missing_dates

    with engine.connect() as conn:
        ref = resolve(conn, model_version)
    # Stored features: PostgreSQL COPYs them while the model loads (the server works on its own
    # core); features still to build are built after the model loaded, then read, as before.
    ready = not missing_dates(engine, [as_of])
    with CohortPrefetch(engine, as_of, chunk_size=config.chunk_size, start=ready) as cohort:
        pinned = load(ref, tracking_uri)
        loaded = time.perf_counter()
        built = not ready and ensure_features(engine, as_of, progress=progress)
        feats = cohort.read(pinned.feature_names)
    if not len(feats):
        raise ScoringError(f"no eligible students with features as of {as_of}: nothing to score")
    read = time.perf_counter()
    with threadpool_limits(limits=config.threads):
        report = score_features(engine, feats, as_of, pinned, config, progress=progress,
                                on_chunk=on_chunk)
    phases = {"model": loaded - started, "features": read - loaded, **report.phases}
    return _with(report, features_built=built, seconds=time.perf_counter() - started,
                 phases=phases)


def ensure_features(engine: Engine, as_of: dt.date, *, progress: bool) -> bool:
    """Build the date's features when missing; True when they were built."""
    from edupulse.features import build_features, missing_dates

    if not missing_dates(engine, [as_of]):
        return False
    if not _has_source_data(engine, as_of):
        raise ScoringError(
            f"no features for {as_of} and no source data on or before it (no enrolled "
            "students with attendance, grades or incidents): load data first "
            "(edupulse load DIR)"
        )
    build_features(engine, [as_of], progress=progress)
    return True


def _has_source_data(engine: Engine, as_of: dt.date) -> bool:
    from edupulse.db.models import AttendanceRecord, DisciplineIncident, Grade

    checks = [
        sa.select(AttendanceRecord.id).where(AttendanceRecord.date <= as_of).limit(1),
        sa.select(Grade.id).where(Grade.submission_date <= as_of).limit(1),
        sa.select(DisciplineIncident.id).where(DisciplineIncident.incident_date <= as_of).limit(1),
    ]
    with engine.connect() as conn:
        return any(conn.execute(q).first() is not None for q in checks)


def score_features(
    engine: Engine,
    feats: CohortFeatures,
    as_of: dt.date,
    pinned: PinnedModel,
    config: ScoringConfig,
    *,
    progress: bool = True,
    on_chunk: ChunkHook | None = None,
) -> ScoreReport:
    """Score the cohort's features with the pinned model and replace the date's predictions."""
    started = time.perf_counter()
    names = pinned.feature_names
    missing = [c for c in names if c not in feats.feature_names]
    if missing:
        raise ScoringError(f"the stored features lack model input column(s): {', '.join(missing)}")
    cols = [feats.feature_names.index(c) for c in names]
    # the cohort reader puts the model's columns first: a view then, not a copy
    X = feats.X[:, :len(cols)] if cols == list(range(len(cols))) else feats.X[:, cols]
    # The reference student: the cohort's median on every feature, this as-of date.
    explainer = build_explainer(pinned.model, names, _cohort_median(X))
    chunks = _chunks(len(X), config.chunk_size)

    def frame(lo: int, hi: int) -> pd.DataFrame:
        return pd.DataFrame(X[lo:hi], columns=list(names))

    scores = np.clip(np.concatenate(
        [pinned.model.predict_proba(frame(lo, hi))[:, 1] for lo, hi in chunks]), 0.0, 1.0)
    cats = categorize(scores, feats.schools.tolist(), config)
    ids = feats.student_ids
    quality = feats.column("data_quality")
    weeks = feats.column("weeks_of_data")
    pdate = prediction_timestamp(as_of)
    with engine.connect() as conn, _progress(progress, len(X)) as bar:
        write.create_staging(conn)
        conn.commit()
        staged = 0
        for n, (lo, hi) in enumerate(chunks, start=1):
            values = X[lo:hi]
            conf = confidence(quality[lo:hi], weeks[lo:hi],
                              _member_scores(pinned.model, frame(lo, hi)),
                              config.full_confidence_weeks)
            factors = risk_factors_json(explainer.attributions(values), values, names,
                                        config.top_factors)
            write.stage(conn, write.PredictionBatch(
                ids[lo:hi], scores[lo:hi], cats[lo:hi], conf, factors))
            conn.commit()
            staged += hi - lo
            bar(hi - lo)
            if on_chunk is not None:
                on_chunk(n, staged)
        computed = time.perf_counter()
        with conn.begin():
            replaced, inserted = write.publish(conn, pdate, pinned.ref.model_version)
    published = time.perf_counter()
    counts = Counter(cats.tolist())
    return ScoreReport(
        as_of=as_of, prediction_date=pdate, model_version=pinned.ref.model_version,
        model_uri=pinned.ref.uri, scored=inserted, replaced=replaced,
        categories={c: counts.get(c, 0) for c in CATEGORIES},
        attribution_method=explainer.method, attribution_units=explainer.units,
        phases={"compute": computed - started, "publish": published - computed},
    )


def _cohort_median(values: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-missing column -> 0 below
        return np.nan_to_num(np.nanmedian(values, axis=0))


def _member_scores(model: object, X: pd.DataFrame) -> np.ndarray | None:
    members = getattr(model, "calibrated_classifiers_", None)
    if not members or len(members) < 2:
        return None
    return np.vstack([m.predict_proba(X)[:, 1] for m in members])


def _chunks(n: int, size: int) -> list[tuple[int, int]]:
    return [(lo, min(lo + size, n)) for lo in range(0, n, size)]


def _with(report: ScoreReport, **changes: object) -> ScoreReport:
    import dataclasses

    return dataclasses.replace(report, **changes)  # type: ignore[arg-type]


class _progress:
    """A rich progress bar over students, off when disabled or stderr is not a terminal."""

    def __init__(self, enabled: bool, total: int) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.total = total

    def __enter__(self) -> Callable[[int], None]:
        if not self.enabled:
            return lambda _n: None
        from rich.progress import Progress

        self._p = Progress(transient=True)
        self._p.start()
        task = self._p.add_task("scoring students", total=self.total)
        return lambda n: self._p.advance(task, n)

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self._p.stop()
