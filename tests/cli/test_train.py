"""`edupulse train` and `edupulse reproduce` as a user runs them, when something is wrong:
what each mistake gets told, and that nothing was started."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from edupulse.cli import app
from edupulse.config import Settings

runner = CliRunner()
REPO = Path(__file__).resolve().parents[2]


def test_a_bad_config_stops_before_any_work(edupulse_home: Path, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("config_version: 1\nname: x\nseed: many\n", encoding="utf-8")
    result = runner.invoke(app, ["train", str(path)])
    assert result.exit_code == 2
    assert f"{path}, line 3: key 'seed': expected a valid integer (got 'many')" in result.output
    assert f"{path}: key 'label': missing; this key is required" in result.output
    assert not edupulse_home.exists()  # no database, no MLflow store was created


def test_a_database_without_the_schema_is_named(edupulse_home: Path, empty_db_url: str) -> None:
    result = runner.invoke(app, ["train", str(REPO / "experiments/baseline.yaml"),
                                 "--db", empty_db_url])
    assert result.exit_code == 2
    assert "schema is not at the newest revision; run `edupulse db upgrade`" in result.output


def test_an_empty_database_says_load_first(edupulse_home: Path, db_url: str) -> None:
    result = runner.invoke(app, ["train", str(REPO / "experiments/baseline.yaml"),
                                 "--db", db_url])
    assert result.exit_code == 1
    assert "no student is enrolled on as-of date(s) 2024-09-27, 2024-10-04" in result.output
    assert "is the district loaded (`edupulse load DIR`)" in result.output
    assert not (edupulse_home / "mlflow.db").exists()  # nothing logged


def test_reproduce_an_unknown_run(edupulse_home: Path, db_url: str) -> None:
    result = runner.invoke(app, ["reproduce", "0123456789abcdef", "--db", db_url])
    assert result.exit_code == 1
    assert "no MLflow run '0123456789abcdef' in the tracking store" in result.output
    assert Settings.from_env().mlflow_tracking_uri.endswith("mlflow.db")
