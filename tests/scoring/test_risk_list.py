"""`edupulse score` + `edupulse risk-list` through the CLI, on both backends."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from edupulse.cli import app
from tests.scoring.conftest import AS_OF, N_STUDENTS, Registry, activate, seed_students
from tests.scoring.conftest import synthetic_features as features

runner = CliRunner()


@pytest.fixture
def scored(engine: sa.Engine, db_url: str, registry: Registry, edupulse_home: Path,
           monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", registry.tracking_uri)
    frame, _ = features(N_STUDENTS, seed=7)
    with engine.begin() as conn:
        seed_students(conn, frame, AS_OF)
        activate(conn, "gb-v1", registry.versions["gb-v1"])
    result = runner.invoke(app, ["score", "--as-of", str(AS_OF), "--db", db_url,
                                 "--categories", "capacity"])
    assert result.exit_code == 0, result.output
    assert f"scored {N_STUDENTS} students as of {AS_OF} with model gb-v1" in result.output
    return db_url


def test_default_list_is_pseudonymous_and_ordered(scored: str) -> None:
    result = runner.invoke(app, ["risk-list", "--as-of", str(AS_OF), "--school", "SCH-A",
                                 "--db", scored])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert rows and "first_name" not in rows[0] and "district_id" not in rows[0]
    assert "Ada" not in result.output and "D01-" not in result.output
    scores = [float(r["risk_score"]) for r in rows]
    assert scores == sorted(scores, reverse=True)
    assert {r["risk_category"] for r in rows} <= {"high", "critical"}
    # Capacity mode: 5% of 120 students per school -> 6 places at high or above (ties go up).
    assert len(rows) >= 6
    assert all(r["recommendations"] for r in rows[:3])


def test_names_only_on_request_and_html(scored: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["risk-list", "--as-of", str(AS_OF), "--school", "SCH-B",
                                 "--names", "--top", "2", "--db", scored])
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert len(rows) == 2 and rows[0]["first_name"] == "Ada"
    assert rows[0]["district_id"].startswith("D01-")
    out = tmp_path / "list.html"
    result = runner.invoke(app, ["risk-list", "--as-of", str(AS_OF), "--school", "SCH-B",
                                 "--format", "html", "--out", str(out), "--db", scored])
    assert result.exit_code == 0
    html = out.read_text()
    assert "<table>" in html and "Pseudonymous list" in html and "Ada" not in html
    assert "http" not in html  # self-contained


def test_a_date_before_any_prediction_gives_an_empty_list(scored: str) -> None:
    result = runner.invoke(app, ["risk-list", "--as-of", "2024-09-01", "--school", "SCH-A",
                                 "--db", scored])
    assert result.exit_code == 0 and result.output.count("\n") == 1  # the header only


def test_bad_format_is_refused(scored: str) -> None:
    result = runner.invoke(app, ["risk-list", "--as-of", str(AS_OF), "--school", "SCH-A",
                                 "--format", "pdf", "--db", scored])
    assert result.exit_code == 2 and "--format must be csv or html" in result.output


def test_a_student_who_left_is_not_on_a_later_list(scored: str, engine: sa.Engine) -> None:
    """A dropout's last prediction is history: lists after the exit date leave them out, lists
    before it (reproducing a past week) still show them."""
    import datetime as dt
    import json
    import uuid

    from edupulse.db.models import Student

    def listed(as_of: dt.date) -> list[str]:
        result = runner.invoke(app, ["risk-list", "--as-of", str(as_of), "--school", "SCH-A",
                                     "--db", scored])
        assert result.exit_code == 0, result.output
        return [r["student_key"] for r in csv.DictReader(io.StringIO(result.output))]

    later = AS_OF + dt.timedelta(days=14)
    top = listed(later)[0]
    key = uuid.UUID(top)
    s = Student.__table__
    with engine.begin() as conn:
        meta = conn.execute(sa.select(s.c.student_metadata).where(s.c.id == key)).scalar_one()
        meta = meta if isinstance(meta, dict) else json.loads(meta)
        meta |= {"exit_date": (AS_OF + dt.timedelta(days=7)).isoformat(), "exit_code": "dropout"}
        conn.execute(s.update().where(s.c.id == key).values(student_metadata=meta))
    assert top not in listed(later)
    assert top in listed(AS_OF), "a list as of a date before the exit still shows the student"
