"""The audit's entry points by input: an external CSV, the database, an MLflow run.

Each reads its input, runs the same audit and writes the same files; the CLI and notebooks call
these, never the steps one by one.
"""

from __future__ import annotations

from pathlib import Path

from edupulse.fairness.audit import AuditResult, run_audit
from edupulse.fairness.inputs import CsvColumns, read_scored_csv
from edupulse.fairness.results import write_audit
from edupulse.fairness.settings import AuditSettings


def audit_csv(
    path: Path,
    columns: CsvColumns,
    settings: AuditSettings,
    out: Path,
    *,
    outcome: str = "the outcome",
    progress: bool = False,
) -> AuditResult:
    """Audit an external scored list; needs no database."""
    scored, sensitive = read_scored_csv(path, columns, outcome=outcome)
    result = run_audit(scored, sensitive, settings, progress=progress)
    write_audit(result, out)
    return result
