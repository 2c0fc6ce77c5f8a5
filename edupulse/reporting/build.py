"""Equity reports end to end: from a saved audit folder, or from the database for an as-of date
(the audit files land next to the report, so every figure in it can be traced)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from sqlalchemy.engine import Engine

from edupulse.fairness.settings import AuditSettings
from edupulse.reporting.equity import write_equity_report
from edupulse.reporting.model_card import ModelCard, read_model_card


def equity_from_audit_dir(audit_dir: Path, out: Path, *,
                          generated: dt.date | None = None) -> Path:
    """Render the report of an audit saved by `edupulse audit --out audit_dir`."""
    from edupulse.fairness.results import read_audit

    result = read_audit(audit_dir)
    card = read_model_card(audit_dir)
    if card is None:
        card = (ModelCard.external(result.source.description) if result.source.kind == "csv"
                else ModelCard(notes=("no model_card.json was saved with this audit",)))
    return write_equity_report(result, card, out, generated=generated)


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
    paths = []
    for code, folder in targets:
        audited = modes.audit_database(engine, as_of, settings, folder, district=code, **kw)
        paths.append(write_equity_report(audited.result, audited.card, folder,
                                         district=code or "All districts"))
    return paths


def _folder(code: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", code) or "district"
