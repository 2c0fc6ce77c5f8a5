"""Equity reports end to end: from a saved audit folder, or from the database for an as-of date
(the audit files land next to the report, so every figure in it can be traced)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from sqlalchemy.engine import Engine

from edupulse.fairness.settings import AuditSettings
from edupulse.privacy.pii_index import PiiIndex, build_index
from edupulse.reporting.equity import write_equity_report
from edupulse.reporting.model_card import ModelCard, read_model_card


def equity_from_audit_dir(audit_dir: Path, out: Path, *,
                          generated: dt.date | None = None,
                          guard: Engine | PiiIndex | None = None) -> Path:
    """Render the report of an audit saved by `edupulse audit --out audit_dir`; with `guard`
    (the students' database) the report is scanned before it is published."""
    from edupulse.fairness.results import read_audit

    result = read_audit(audit_dir)
    card = read_model_card(audit_dir)
    if card is None:
        card = (ModelCard.external(result.source.description) if result.source.kind == "csv"
                else ModelCard(notes=("no model_card.json was saved with this audit",)))
    path = write_equity_report(result, card, out, generated=generated)
    if guard is not None:
        _publish_clean(path, guard)
    return path


def _publish_clean(path: Path, guard: Engine | PiiIndex) -> None:
    """A report that names a student is removed, never left half-published."""
    from edupulse.privacy.guard import PiiFound, ensure_clean

    try:
        ensure_clean([path], guard, what="published")
    except PiiFound:
        path.unlink(missing_ok=True)
        raise


def equity_from_database(
    engine: Engine,
    as_of: dt.date,
    settings: AuditSettings,
    out: Path,
    *,
    district: str | None = None,
    per_district: bool = False,
    outcome: str | None = None,
    horizon_days: int | None = None,
    model_version: str | None = None,
    tracking_uri: str | None = None,
    progress: bool = False,
) -> list[Path]:
    """One report for `district` (or all students), or one per district under out/<code>/."""
    from edupulse.fairness import modes
    from edupulse.fairness.db_inputs import districts

    kw = dict(outcome=outcome or modes.DEFAULT_OUTCOME,
              horizon_days=horizon_days or modes.DEFAULT_HORIZON_DAYS,
              model_version=model_version, tracking_uri=tracking_uri, progress=progress)
    if per_district:
        with engine.connect() as conn:
            codes = districts(conn, as_of, model_version)
        targets = [(code, out / _folder(code)) for code in codes]
    else:
        targets = [(district, out)]
    index = build_index(engine)
    paths = []
    for code, folder in targets:
        audited = modes.audit_database(engine, as_of, settings, folder, district=code, **kw)
        path = write_equity_report(audited.result, audited.card, folder,
                                   district=code or "All districts")
        _publish_clean(path, index)
        paths.append(path)
    return paths


def _folder(code: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", code) or "district"
