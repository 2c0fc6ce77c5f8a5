"""EduPulse's own lists from the database: the predictions of an as-of date, joined to outcome
labels once the horizon has passed, and the students' sensitive attributes (kept apart).

Only ids, scores and group attributes are read: never names or contacts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa

from edupulse.data import codes
from edupulse.db.models import ModelMetadata, Prediction, Student
from edupulse.fairness.audit import AuditSource, ScoredList

SENSITIVE_COLUMNS = ("gender", "ethnicity", "socioeconomic_status", "grade_level")
DISTRICT = "district"

ERR_NO_PREDICTIONS = ("no predictions for {as_of} in the database: score that date first "
                      "(edupulse score --as-of {as_of})")
ERR_VERSIONS = ("predictions for {as_of} come from several model versions {versions}: "
                "choose one with --model-version")
ERR_NO_VERSION = "no predictions for {as_of} from model version {version!r}; found {versions}"
ERR_NO_LABELS = ("no outcome is known yet for the {n} students scored on {as_of}: the audit "
                 "needs labels, i.e. data up to {as_of} + {horizon} days")
ERR_NO_DISTRICT = "no student scored on {as_of} belongs to district {district!r}; found {found}"


@dataclass(frozen=True)
class DatabaseList:
    scored: ScoredList
    sensitive: pd.DataFrame  # the attributes + "district", rows aligned with scored.frame
    model_version: str
    unlabelled: int  # scored students with no outcome yet (excluded from the audit)


def _version(conn: sa.Connection, as_of: dt.date, when: Any,
             model_version: str | None) -> str:
    p = Prediction.__table__
    versions = sorted(v for (v,) in conn.execute(
        sa.select(p.c.model_version).where(when).distinct()) if v is not None)
    if not versions:
        raise LookupError(ERR_NO_PREDICTIONS.format(as_of=as_of))
    if model_version is None:
        if len(versions) > 1:
            raise LookupError(ERR_VERSIONS.format(as_of=as_of, versions=versions))
        return versions[0]
    if model_version not in versions:
        raise LookupError(ERR_NO_VERSION.format(as_of=as_of, version=model_version,
                                                versions=versions))
    return model_version


def read_predictions(conn: sa.Connection, as_of: dt.date, model_version: str | None = None,
                     attributes: Sequence[str] = SENSITIVE_COLUMNS) -> tuple[pd.DataFrame, str]:
    """Predictions stamped on `as_of` (scoring stamps the date at 00:00 UTC) with each student's
    sensitive attributes and district: (student_id, score, district, *attributes), and the
    model version they come from. The latest prediction wins if a student has several."""
    unknown = [a for a in attributes if a not in SENSITIVE_COLUMNS]
    if unknown:
        raise KeyError(f"not a sensitive attribute of the students table: {unknown}; "
                       f"choose from {list(SENSITIVE_COLUMNS)}")
    p, s = Prediction.__table__, Student.__table__
    start = dt.datetime.combine(as_of, dt.time.min, tzinfo=dt.UTC)
    when = sa.and_(p.c.prediction_date >= start,
                   p.c.prediction_date < start + dt.timedelta(days=1))
    version = _version(conn, as_of, when, model_version)
    rows = conn.execute(
        sa.select(p.c.student_id, p.c.risk_score, s.c.student_metadata,
                  *(s.c[a] for a in attributes))
        .join(s, s.c.id == p.c.student_id)
        .where(when, p.c.model_version == version)
        # in the students' district_id order, not their database UUIDs' (new at every load):
        # the audit's bootstrap draws rows by position, so the same data loaded twice must
        # come in the same order to give the same intervals and verdicts
        .order_by(s.c.district_id, p.c.created_at, p.c.id)
    ).all()
    frame = pd.DataFrame([(str(r[0]), r[1], district_of(r[2]), *r[3:]) for r in rows],
                         columns=["student_id", "score", DISTRICT, *attributes])
    if "grade_level" in frame:
        frame["grade_level"] = frame["grade_level"].astype("Int64")
    frame = frame.drop_duplicates("student_id", keep="last").reset_index(drop=True)
    return frame, version


def district_of(meta: Any) -> str | None:
    """student_metadata's district code, or None."""
    return (meta or {}).get(codes.META_DISTRICT) if isinstance(meta, dict) else None


def database_list(
    conn: sa.Connection, as_of: dt.date, labels: pd.DataFrame, *,
    attributes: Sequence[str] = SENSITIVE_COLUMNS, district: str | None = None,
    model_version: str | None = None, outcome: str = "had the outcome", horizon_days: int = 0,
) -> DatabaseList:
    """The audited list of `as_of`: predictions x labels (student_id, label) x attributes."""
    frame, version = read_predictions(conn, as_of, model_version, attributes)
    if district is not None:
        found = sorted({d for d in frame[DISTRICT] if d is not None})
        frame = frame[frame[DISTRICT] == district]
        if frame.empty:
            raise LookupError(ERR_NO_DISTRICT.format(as_of=as_of, district=district,
                                                     found=found))
    lab = labels[["student_id", "label"]].astype({"student_id": str})
    joined = frame.merge(lab, on="student_id", how="inner").reset_index(drop=True)
    if joined.empty:
        raise LookupError(ERR_NO_LABELS.format(n=len(frame), as_of=as_of,
                                               horizon=horizon_days))
    details = [("as_of", as_of.isoformat()), ("model_version", version)]
    if district is not None:
        details.append(("district", district))
    source = AuditSource("database", f"EduPulse predictions of {as_of} ({version})", outcome,
                         tuple(details))
    scored = ScoredList(joined[["student_id", "score", "label"]]
                        .rename(columns={"student_id": "id"}), source)
    return DatabaseList(scored, joined[[*attributes, DISTRICT]], version,
                        unlabelled=len(frame) - len(joined))


def model_metadata_row(conn: sa.Connection, model_version: str) -> dict[str, Any] | None:
    mm = ModelMetadata.__table__
    row = conn.execute(sa.select(mm).where(mm.c.model_version == model_version)).first()
    return None if row is None else dict(row._mapping)


def districts(conn: sa.Connection, as_of: dt.date,
              model_version: str | None = None) -> list[str]:
    """District codes of the students scored on `as_of` (for one report per district)."""
    frame, _ = read_predictions(conn, as_of, model_version, ())
    return sorted({d for d in frame[DISTRICT] if d is not None})
