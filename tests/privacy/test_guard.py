"""ensure_clean: the one call a publishing path makes before it logs or writes."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from edupulse.privacy.guard import PiiFound, ensure_clean
from tests.db import factories as f


def test_a_report_naming_a_student_is_refused_and_a_clean_one_passes(engine: sa.Engine,
                                                                    tmp_path: Path) -> None:
    with engine.begin() as conn:
        f.add_student(conn, first_name="Philippa", last_name="Ravenscroft")
    report = tmp_path / "equity.html"
    report.write_text("<h1>Equity report</h1>\n<p>Flagged: Philippa Ravenscroft</p>\n")
    with pytest.raises(PiiFound) as err:
        ensure_clean([report], engine, what="logged to MLflow")
    message = str(err.value)
    assert message.startswith("not logged to MLflow: student PII found (1 finding(s)):")
    assert f"{report}:line 2: name P******* R**********" in message
    assert "Ravenscroft" not in message and len(err.value.findings) == 1
    report.write_text("<h1>Equity report</h1>\n<p>Flagged: 12 students in grade 9</p>\n")
    assert ensure_clean([report], engine).files == 1
