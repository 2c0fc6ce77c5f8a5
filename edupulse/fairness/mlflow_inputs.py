"""A model's test-split scores from an MLflow run, and the audit logged back to that run.

The run's artifact `test_scores.csv` (student_id, as_of_date, score, label; written by
edupulse.tracking.runs) carries no group columns: the sensitive attributes are joined here from
the students table, so they never travel with the model's data. One as-of date is audited (the
latest by default): a risk list is drawn per date, and the same student on several dates would
make the rows dependent.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from edupulse.fairness.audit import AuditResult, AuditSource, ScoredList
from edupulse.fairness.db_inputs import DISTRICT, SENSITIVE_COLUMNS, DatabaseList, district_of
from edupulse.fairness.inputs import CsvColumns, check_columns, read_text_csv, scored_from_text

SCORES_ARTIFACT = "test_scores.csv"
ARTIFACT_DIR = "fairness"
COLUMNS = CsvColumns("student_id", "score", "label", ())

ERR_NO_ARTIFACT = ("MLflow run {run_id} has no {artifact} artifact (student_id, as_of_date, "
                   "score, label): was it logged by `edupulse train`?")
ERR_NO_DATE = "{artifact} of run {run_id} has no rows for as-of date {as_of}; it has {dates}"
ERR_UNKNOWN_STUDENTS = ("{n} students of {artifact} (run {run_id}) are not in the students "
                        "table of this database: audit against the database the run used")


def read_run_scores(run_id: str, tracking_uri: str, *, as_of: dt.date | None = None,
                    outcome: str = "had the outcome") -> tuple[ScoredList, dt.date]:
    """The run's test scores for one as-of date (default: the latest), validated."""
    from mlflow.artifacts import download_artifacts

    with tempfile.TemporaryDirectory() as tmp:
        try:
            path = Path(download_artifacts(run_id=run_id, artifact_path=SCORES_ARTIFACT,
                                           dst_path=tmp, tracking_uri=tracking_uri))
        except Exception as exc:  # MLflow raises several types for a missing artifact/run
            raise LookupError(ERR_NO_ARTIFACT.format(run_id=run_id, artifact=SCORES_ARTIFACT)
                              + f" ({type(exc).__name__}: {exc})") from None
        raw = read_text_csv(path)
    name = f"{SCORES_ARTIFACT} of run {run_id}"
    check_columns(name, raw, CsvColumns("student_id", "score", "label", ("as_of_date",)))
    dates = sorted(set(raw["as_of_date"].str.strip()))
    chosen = as_of.isoformat() if as_of else dates[-1]
    keep = raw["as_of_date"].str.strip() == chosen
    if not keep.any():
        raise LookupError(ERR_NO_DATE.format(artifact=SCORES_ARTIFACT, run_id=run_id,
                                             as_of=chosen, dates=dates))
    source = AuditSource("mlflow", f"test split of MLflow run {run_id[:12]}, as of {chosen}",
                         outcome, (("mlflow_run", run_id), ("as_of", chosen)))
    scored, _ = scored_from_text(name, raw[keep].reset_index(drop=True), COLUMNS,
                                 np.flatnonzero(keep.to_numpy()) + 2, source)
    notes = (f"The run's test split has {len(dates)} as-of dates; this audit covers {chosen}.",)
    scored = ScoredList(scored.frame, source, notes if len(dates) > 1 else ())
    return scored, dt.date.fromisoformat(chosen)


def join_attributes(conn: sa.Connection, scored: ScoredList,
                    attributes: Sequence[str] = SENSITIVE_COLUMNS) -> DatabaseList:
    """The students' sensitive attributes and district for the run's scores (same row order)."""
    from edupulse.db.models import Student

    s = Student.__table__
    rows = conn.execute(sa.select(s.c.id, s.c.student_metadata,
                                  *(s.c[a] for a in attributes))).all()
    table = pd.DataFrame([(str(r[0]), district_of(r[1]), *r[2:]) for r in rows],
                         columns=["id", DISTRICT, *attributes])
    joined = scored.frame[["id"]].merge(table, on="id", how="left", indicator=True)
    missing = int((joined["_merge"] == "left_only").sum())
    if missing:
        run_id = dict(scored.source.details).get("mlflow_run", "?")
        raise LookupError(ERR_UNKNOWN_STUDENTS.format(n=missing, artifact=SCORES_ARTIFACT,
                                                      run_id=run_id))
    sensitive = joined[[*attributes, DISTRICT]].reset_index(drop=True)
    if "grade_level" in sensitive:
        sensitive["grade_level"] = sensitive["grade_level"].astype("Int64")
    return DatabaseList(scored, sensitive, model_version="", unlabelled=0)


def log_audit(run_id: str, tracking_uri: str, out: Path, result: AuditResult) -> None:
    """Attach the audit files to the run (artifacts under fairness/) with headline metrics."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri)
    client.log_artifacts(run_id, str(out), artifact_path=ARTIFACT_DIR)
    for key, value in headline_metrics(result).items():
        client.log_metric(run_id, key, value)


def headline_metrics(result: AuditResult) -> dict[str, float]:
    """Per grouping and emphasis metric: the lowest and highest published ratio, and the number
    of "unfair" verdicts. No group label enters a key (labels can be long or sensitive)."""
    d = result.disparities
    out: dict[str, float] = {}
    if d.empty:
        return out
    shown = d[~d["verdict"].isin(["reference", "suppressed"])]
    for (attribute, metric), rows in shown.groupby(["attribute", "metric"], sort=False):
        if metric not in result.settings.emphasis:
            continue
        ratios = rows["ratio"].dropna()
        key = f"fairness.{str(attribute).replace(' x ', '_x_')}.{metric}"
        if len(ratios):
            out[f"{key}.min_ratio"] = float(ratios.min())
            out[f"{key}.max_ratio"] = float(ratios.max())
        out[f"{key}.unfair"] = float((rows["verdict"] == "unfair").sum())
    return out
