"""`edupulse report equity`: from a saved audit (no database) and from the database."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from typer.testing import CliRunner

from edupulse.cli import app
from tests.cli.test_audit import _audit
from tests.fairness.dbdata import AS_OF, HORIZON, populate

runner = CliRunner()


def test_report_from_a_saved_external_audit(tmp_path: Path, edupulse_home: Path) -> None:
    assert _audit(tmp_path / "audit", "--groups", "gender,age_band").exit_code == 0
    r = runner.invoke(app, ["report", "equity", "--audit-dir", str(tmp_path / "audit"),
                            "--out", str(tmp_path / "report")])
    assert r.exit_code == 0, r.output
    path = tmp_path / "report" / "equity-report.html"
    assert r.output.strip() == f"equity report: {path}"
    html = path.read_text(encoding="utf-8")
    assert "Not known: ask the supplier" in html and 'class="hidden"' in html
    assert not edupulse_home.exists()


def test_report_needs_one_source(tmp_path: Path) -> None:
    r = runner.invoke(app, ["report", "equity", "--out", str(tmp_path)])
    assert r.exit_code == 2 and "give exactly one of --as-of DATE" in r.output
    r = runner.invoke(app, ["report", "equity", "--audit-dir", str(tmp_path), "--out",
                            str(tmp_path)])
    assert r.exit_code == 2 and "no audit.json here" in r.output


def test_report_from_the_database(db_url: str, engine: sa.Engine, tmp_path: Path,
                                  edupulse_home: Path) -> None:
    populate(engine)
    r = runner.invoke(app, ["report", "equity", "--as-of", AS_OF.isoformat(), "--db", db_url,
                            "--label-outcome", "dropout", "--horizon-days", str(HORIZON),
                            "--groups", "gender,grade_level", "--top-pct", "30",
                            "--n-boot", "50", "--district", "D1", "--out", str(tmp_path / "r")])
    assert r.exit_code == 0, r.output
    html = (tmp_path / "r" / "equity-report.html").read_text(encoding="utf-8")
    assert "edupulse-risk/1" in html and "D1" in html
    assert "2023-09-04 to 2024-06-10" in html  # training period from model_metadata
    assert (tmp_path / "r" / "audit.json").exists()
    r = runner.invoke(app, ["report", "equity", "--as-of", "2025-02-03", "--db", db_url,
                            "--out", str(tmp_path / "none")])
    assert r.exit_code == 2 and "no predictions for 2025-02-03" in r.output
