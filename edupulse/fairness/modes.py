"""The audit's entry points by input: an external CSV, the database, an MLflow run.

Each reads its input, runs the same audit and writes the same files (plus model_card.json when
the model is known); the CLI and notebooks call these, never the steps one by one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy.engine import Engine

from edupulse.fairness.audit import AuditResult, ScoredList, run_audit
from edupulse.fairness.db_inputs import SENSITIVE_COLUMNS, database_list
from edupulse.fairness.inputs import CsvColumns, read_scored_csv
from edupulse.fairness.results import write_audit
from edupulse.fairness.settings import AuditSettings
from edupulse.reporting.model_card import ModelCard, write_model_card

OUTCOME_WORDS = {
    "dropout": "dropped out or withdrew",
    "course_failure": "failed a course",
    "chronic_absence": "were chronically absent",
    "any_adverse": "dropped out, failed a course or were chronically absent",
}
DEFAULT_OUTCOME, DEFAULT_HORIZON_DAYS = "any_adverse", 84

ERR_NOT_IN_DB = ("{names} are not sensitive attributes of the students table; choose from "
                 "{columns} (an external CSV can audit any column)")


@dataclass(frozen=True)
class Audited:
    result: AuditResult
    card: ModelCard
    files: list[Path]


@dataclass(frozen=True)
class CsvMitigation:
    """Compare mitigations for `attribute`, fitted on the scored list in `train` (same columns)."""

    train: Path
    attribute: str | None = None  # default: the first audited attribute
    constraint: str = "true_positive_rate_parity"


def audit_csv(
    path: Path,
    columns: CsvColumns,
    settings: AuditSettings,
    out: Path,
    *,
    outcome: str = "had the outcome",
    mitigation: CsvMitigation | None = None,
    progress: bool = False,
) -> AuditResult:
    """Audit an external scored list; needs no database."""
    scored, sensitive = read_scored_csv(path, columns, outcome=outcome)
    result = run_audit(scored, sensitive, settings, progress=progress)
    if mitigation is not None:
        result = _mitigate_csv(result, scored, sensitive, columns, settings, mitigation)
    write_audit(result, out)
    return result


def _mitigate_csv(result: AuditResult, scored: ScoredList, sensitive: pd.DataFrame,
                  columns: CsvColumns, settings: AuditSettings,
                  how: CsvMitigation) -> AuditResult:
    """The vendor's score post-processed as is (ThresholdOptimizer) and a logistic model of the
    score refitted with reweighting (ExponentiatedGradient), both fitted on the training list."""
    from sklearn.linear_model import LogisticRegression

    from edupulse.fairness.mitigation import MitigationData, ScoreAsModel, compare_mitigations

    attribute = how.attribute or settings.attributes[0]
    if attribute not in sensitive.columns:
        raise KeyError(f"--mitigate-for {attribute!r} is not an audited attribute: "
                       f"{list(sensitive.columns)}")
    train, train_sens = read_scored_csv(how.train, columns)

    def data(s: ScoredList, sens: pd.DataFrame) -> MitigationData:
        return MitigationData(s.frame[["score"]], s.frame["label"].to_numpy(),
                              sens[attribute].rename(attribute))

    table = compare_mitigations(ScoreAsModel().fit(None), data(train, train_sens),
                                data(scored, sensitive), settings, prefit=True,
                                reductions_estimator=LogisticRegression(),
                                constraint=how.constraint, seed=settings.seed)
    note = (f"Mitigation compared for {attribute} ({how.constraint}), fitted on "
            f"{how.train.name}; shown side by side, not applied to this list.")
    return result.with_mitigation(table.frame, note)


def _db_attributes(settings: AuditSettings) -> list[str]:
    names = list(dict.fromkeys([*settings.attributes,
                                *(a for p in settings.intersections for a in p)]))
    bad = [n for n in names if n not in SENSITIVE_COLUMNS]
    if bad:
        raise KeyError(ERR_NOT_IN_DB.format(names=bad, columns=list(SENSITIVE_COLUMNS)))
    return names


def outcome_words(outcome: str, horizon_days: int) -> str:
    return f"{OUTCOME_WORDS.get(outcome, outcome)} within {horizon_days} days"


def audit_database(
    engine: Engine,
    as_of: dt.date,
    settings: AuditSettings,
    out: Path,
    *,
    outcome: str = DEFAULT_OUTCOME,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    district: str | None = None,
    model_version: str | None = None,
    tracking_uri: str | None = None,
    progress: bool = False,
) -> Audited:
    """Audit EduPulse's predictions of `as_of` against the outcomes of (as_of, as_of + H]."""
    from edupulse.labels import build_labels
    from edupulse.reporting.cards import card_from_database

    attributes = _db_attributes(settings)
    labels = build_labels(engine, [as_of], outcome, horizon_days)
    with engine.connect() as conn:
        listed = database_list(conn, as_of, labels.frame, attributes=attributes,
                               district=district, model_version=model_version,
                               outcome=outcome_words(outcome, horizon_days),
                               horizon_days=horizon_days)
        card = card_from_database(conn, listed.model_version, tracking_uri)
    notes = ((f"{listed.unlabelled} scored students have no outcome yet (or left for a "
              "non-adverse reason) and are not in this audit.",) if listed.unlabelled else ())
    scored = ScoredList(listed.scored.frame, listed.scored.source, notes)
    result = run_audit(scored, listed.sensitive[attributes], settings, progress=progress)
    files = write_audit(result, out)
    files.append(write_model_card(card, out))
    return Audited(result, card, files)


def audit_mlflow(
    engine: Engine,
    run_id: str,
    settings: AuditSettings,
    out: Path,
    *,
    tracking_uri: str,
    as_of: dt.date | None = None,
    outcome: str = "had the outcome",
    log: bool = True,
    progress: bool = False,
) -> Audited:
    """Audit a model's test-split scores from its MLflow run; log the audit back to the run."""
    from edupulse.fairness.mlflow_inputs import join_attributes, log_audit, read_run_scores
    from edupulse.reporting.cards import card_from_run

    attributes = _db_attributes(settings)
    scored, _ = read_run_scores(run_id, tracking_uri, as_of=as_of, outcome=outcome)
    with engine.connect() as conn:
        listed = join_attributes(conn, scored, attributes)
    result = run_audit(scored, listed.sensitive[attributes], settings, progress=progress)
    card = card_from_run(run_id, tracking_uri)
    files = write_audit(result, out)
    files.append(write_model_card(card, out))
    if log:
        from edupulse.privacy.guard import ensure_clean

        ensure_clean(files, engine, what="logged to MLflow")
        log_audit(run_id, tracking_uri, out, result)
    return Audited(result, card, files)
