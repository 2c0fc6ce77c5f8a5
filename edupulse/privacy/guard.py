"""One call for every publishing path (reports, MLflow artifacts, exports): refuse to publish
files that name a student of the database."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import sqlalchemy as sa

from edupulse.privacy.pii_index import PiiIndex, build_index
from edupulse.privacy.scan import Finding, ScanResult, scan

SHOWN = 20


class PiiFound(RuntimeError):
    """Files about to be published name a student; the message shows masked values only."""

    def __init__(self, findings: Sequence[Finding], what: str) -> None:
        self.findings = tuple(findings)
        lines = "\n".join(f"  {f}" for f in self.findings[:SHOWN])
        more = f"\n  ... and {len(self.findings) - SHOWN} more" if len(findings) > SHOWN else ""
        super().__init__(f"not {what}: student PII found ({len(findings)} finding(s)):\n"
                         f"{lines}{more}")


def ensure_clean(paths: Iterable[Path | str], source: sa.Engine | sa.Connection | PiiIndex,
                 what: str = "published") -> ScanResult:
    """Scan `paths` against the students of `source` (a database or a ready index); raise
    PiiFound when anything identifying is found, else return the scan's result."""
    index = source if isinstance(source, PiiIndex) else build_index(source)
    result = scan(paths, index)
    if result.findings:
        raise PiiFound(result.findings, what)
    return result
