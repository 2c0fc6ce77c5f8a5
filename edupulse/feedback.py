"""Educator feedback in (`training_feedback`), realised precision and recall out.

Input: a CSV with, per line, the prediction it is about — `prediction_id`, or `district_id` +
`prediction_date` (+ `model_version` when several models scored that date) — and
`feedback_type` (true_positive, false_positive, true_negative, false_negative), optionally
`outcome_date` (ISO, not before the prediction), `outcome_type` (<= 50 characters) and `notes`.
Every line is checked before anything is written; a bad line becomes a reject naming the file,
line, field, value and reason. Valid lines are written in ONE transaction (with strict=True,
nothing is written when any line is bad); a line identical to stored feedback is skipped, so
loading a file twice adds nothing.

Flagged students get help, which changes their outcomes: realised precision of past lists
understates what the model saw, and "false positives" may be successes of the intervention.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from edupulse.db.models import ModelMetadata, Prediction, Student, TrainingFeedback
from edupulse.db.queries import model_performance

FEEDBACK_TYPES = ("true_positive", "false_positive", "true_negative", "false_negative")
OPTIONAL = ("prediction_id", "district_id", "prediction_date", "model_version", "outcome_date",
            "outcome_type", "notes")
P, S, TF, MM = (Prediction.__table__, Student.__table__, TrainingFeedback.__table__,
                ModelMetadata.__table__)


class FeedbackFileError(ValueError):
    """A file that cannot be read as feedback at all (missing column, unreadable)."""


@dataclass(frozen=True)
class Reject:
    file: str
    line: int
    field: str
    value: str
    reason: str


@dataclass(frozen=True)
class FeedbackLoadReport:
    file: str
    read: int
    loaded: int
    unchanged: int
    rejects: tuple[Reject, ...]


def read_feedback(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        raise FeedbackFileError(f"{path}: cannot read as CSV ({e})") from None
    frame.columns = [c.strip() for c in frame.columns]
    if "educator_notes" in frame and "notes" not in frame:
        frame = frame.rename(columns={"educator_notes": "notes"})
    if "feedback_type" not in frame:
        raise FeedbackFileError(f"{path}: missing column feedback_type")
    if "prediction_id" not in frame and not {"district_id", "prediction_date"} <= set(frame):
        raise FeedbackFileError(
            f"{path}: missing column prediction_id (or both district_id and prediction_date)")
    for col in OPTIONAL:
        if col not in frame:
            frame[col] = ""
    frame = frame.apply(lambda c: c.str.strip())
    frame["line"] = range(2, len(frame) + 2)  # line 1 is the header
    return frame


def validate(conn: sa.Connection, frame: pd.DataFrame, file: str) -> tuple[pd.DataFrame,
                                                                          list[Reject]]:
    """Resolve each line to a prediction; returns the valid lines (with prediction_uuid) and
    the rejects. Checks are column-wise; the database is asked once per kind of lookup."""
    rejects: list[Reject] = []
    bad = pd.Series(False, index=frame.index)

    def reject(mask: pd.Series, field: str, reason: str) -> None:
        nonlocal bad
        mask = mask & ~bad
        for _, r in frame[mask].iterrows():
            rejects.append(Reject(file, int(r["line"]), field, str(r[field]), reason))
        bad = bad | mask

    reject(~frame["feedback_type"].isin(FEEDBACK_TYPES), "feedback_type",
           f"expected one of {', '.join(FEEDBACK_TYPES)}")
    outcome = pd.to_datetime(frame["outcome_date"], format="%Y-%m-%d", errors="coerce")
    reject((frame["outcome_date"] != "") & outcome.isna(), "outcome_date",
           "expected an ISO date YYYY-MM-DD that exists")
    reject(frame["outcome_type"].str.len() > 50, "outcome_type", "longer than 50 characters")
    by_id = frame["prediction_id"] != ""
    parsed = frame["prediction_id"].map(_uuid)
    reject(by_id & parsed.isna(), "prediction_id", "not a UUID")
    pdate = pd.to_datetime(frame["prediction_date"], format="%Y-%m-%d", errors="coerce")
    reject(~by_id & (frame["district_id"] == ""), "district_id",
           "empty: give prediction_id, or district_id and prediction_date")
    reject(~by_id & pdate.isna(), "prediction_date", "expected an ISO date YYYY-MM-DD")

    known = _predictions_by_id(conn, [u for u in parsed[by_id & ~bad] if u is not None])
    frame = frame.assign(prediction_uuid=None, predicted_on=None)
    for i in frame.index[by_id & ~bad]:
        hit = known.get(parsed[i])
        if hit is not None:
            frame.at[i, "prediction_uuid"], frame.at[i, "predicted_on"] = parsed[i], hit
    reject(by_id & frame["prediction_uuid"].isna(), "prediction_id", "no such prediction")

    wanted = frame[~by_id & ~bad]
    matches = _predictions_by_student_date(conn, wanted["district_id"].unique().tolist())
    for i, r in wanted.iterrows():
        day = pdate[i].date()
        cands = [m for m in matches.get(r["district_id"], []) if m[1] == day
                 and (not r["model_version"] or m[2] == r["model_version"])]
        if len(cands) == 1:
            frame.at[i, "prediction_uuid"], frame.at[i, "predicted_on"] = cands[0][0], day
    lookup = ~by_id & frame["prediction_uuid"].isna()
    many = lookup & frame.index.isin([i for i, r in wanted.iterrows() if len([
        m for m in matches.get(r["district_id"], []) if m[1] == pdate[i].date()]) > 1])
    reject(many & (frame["model_version"] == ""), "model_version",
           "several models scored this student on that date: name the model_version")
    reject(lookup, "prediction_date", "no prediction for this district_id on that date")
    early = outcome.notna() & frame["predicted_on"].notna()
    early &= frame.index.isin([i for i in frame.index[early]
                               if outcome[i].date() < frame.at[i, "predicted_on"]])
    reject(early, "outcome_date", "before the prediction it is feedback on")
    rejects.sort(key=lambda r: r.line)
    valid = frame[~bad].assign(outcome=outcome[~bad])
    return valid, rejects


def load_feedback(engine: Engine, path: Path, *, strict: bool = False) -> FeedbackLoadReport:
    """Validate `path` and write its valid lines in one transaction (none if strict + rejects)."""
    frame = read_feedback(path)
    with engine.begin() as conn:
        valid, rejects = validate(conn, frame, str(path))
        if strict and rejects:
            return FeedbackLoadReport(str(path), len(frame), 0, 0, tuple(rejects))
        rows = [{
            "id": uuid.uuid4(),
            "prediction_id": r.prediction_uuid,
            "outcome_date": None if pd.isna(r.outcome) else r.outcome.date(),
            "outcome_type": r.outcome_type or None,
            "feedback_type": r.feedback_type,
            "educator_notes": r.notes or None,
        } for r in valid.itertuples()]
        existing = _existing(conn, [r["prediction_id"] for r in rows])
        key = ("prediction_id", "outcome_date", "outcome_type", "feedback_type", "educator_notes")
        new, seen = [], set(existing)
        for r in rows:
            k = tuple(r[c] for c in key)
            if k not in seen:
                new.append(r)
                seen.add(k)
        if new:
            conn.execute(sa.insert(TF), new)
    return FeedbackLoadReport(str(path), len(frame), len(new), len(rows) - len(new),
                              tuple(rejects))


def write_rejects(rejects: Sequence[Reject], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame([r.__dict__ for r in rejects],
                 columns=["file", "line", "field", "value", "reason"]).to_csv(path, index=False)


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text) if text else None
    except ValueError:
        return None


def _day(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    assert isinstance(value, dt.date)
    return value


def _predictions_by_id(conn: sa.Connection, ids: list[uuid.UUID]) -> dict[uuid.UUID, dt.date]:
    if not ids:
        return {}
    q = sa.select(P.c.id, P.c.prediction_date).where(P.c.id.in_(ids))
    return {r.id: _day(r.prediction_date) for r in conn.execute(q)}


def _predictions_by_student_date(
    conn: sa.Connection, district_ids: list[str]
) -> dict[str, list[tuple[uuid.UUID, dt.date, str | None]]]:
    out: dict[str, list[tuple[uuid.UUID, dt.date, str | None]]] = {}
    if not district_ids:
        return out
    q = (sa.select(S.c.district_id, P.c.id, P.c.prediction_date, P.c.model_version)
         .join(P, P.c.student_id == S.c.id).where(S.c.district_id.in_(district_ids)))
    for r in conn.execute(q):
        out.setdefault(r.district_id, []).append((r.id, _day(r.prediction_date),
                                                  r.model_version))
    return out


def _existing(conn: sa.Connection, prediction_ids: list[uuid.UUID]) -> set[tuple]:
    if not prediction_ids:
        return set()
    q = sa.select(TF.c.prediction_id, TF.c.outcome_date, TF.c.outcome_type, TF.c.feedback_type,
                  TF.c.educator_notes).where(TF.c.prediction_id.in_(set(prediction_ids)))
    return {tuple(r) for r in conn.execute(q)}


# --- the report ---------------------------------------------------------------------------


@dataclass(frozen=True)
class VersionFeedback:
    """Feedback on one model version next to its offline metrics."""

    model_version: str
    counts: dict[str, int]
    avg_risk: dict[str, float | None]
    avg_confidence: dict[str, float | None]
    realised_precision: float | None  # TP / (TP + FP): of flagged students, share with outcome
    realised_recall: float | None  # TP / (TP + FN): of students with outcome, share flagged
    offline: dict[str, float]


def feedback_report(
    conn: sa.Connection, reference_date: dt.date, days: int = 30
) -> list[VersionFeedback]:
    """Per model version, feedback recorded in the `days` days up to `reference_date`."""
    perf = model_performance(conn, reference_date, days)
    offline = {r.model_version: r.performance_metrics or {} for r in conn.execute(
        sa.select(MM.c.model_version, MM.c.performance_metrics))}
    out = []
    for version in sorted({p.model_version for p in perf}):
        rows = [p for p in perf if p.model_version == version]
        counts = {t: 0 for t in FEEDBACK_TYPES}
        counts.update({p.feedback_type: p.feedback_count for p in rows if p.feedback_type})
        tp, fp, fn = counts["true_positive"], counts["false_positive"], counts["false_negative"]
        metrics = offline.get(version, {})
        out.append(VersionFeedback(
            model_version=version,
            counts=counts,
            avg_risk={p.feedback_type or "": p.avg_predicted_risk for p in rows},
            avg_confidence={p.feedback_type or "": p.avg_confidence for p in rows},
            realised_precision=round(tp / (tp + fp), 3) if tp + fp else None,
            realised_recall=round(tp / (tp + fn), 3) if tp + fn else None,
            offline={k: float(v) for k, v in metrics.items()
                     if k in ("precision", "recall", "auc_roc") and isinstance(v, int | float)},
        ))
    return out
