"""`edupulse db ...` as a user runs it: --db URL, exit codes, what it prints."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from edupulse.cli import app

runner = CliRunner()


def test_db_lifecycle_on_given_url(empty_db_url: str, edupulse_home: Path) -> None:
    r = runner.invoke(app, ["db", "upgrade", "--db", empty_db_url])
    assert r.exit_code == 0, r.output
    assert "at revision 0004" in r.output

    r = runner.invoke(app, ["db", "check", "--db", empty_db_url])
    assert r.exit_code == 0 and "agree" in r.output

    r = runner.invoke(app, ["db", "info", "--db", empty_db_url])
    assert r.exit_code == 0
    assert "up to date" in r.output and "students" in r.output and "model_metadata" in r.output

    r = runner.invoke(app, ["db", "downgrade", "base", "--db", empty_db_url])
    assert r.exit_code == 0 and "at revision base" in r.output

    r = runner.invoke(app, ["db", "check", "--db", empty_db_url])
    assert r.exit_code == 1
    assert "not at the head revision" in r.output


def test_default_database_is_sqlite_in_edupulse_home(edupulse_home: Path) -> None:
    r = runner.invoke(app, ["db", "upgrade"])
    assert r.exit_code == 0, r.output
    assert (edupulse_home / "edupulse.db").exists()


def test_environment_url_is_used_and_password_masked(
    edupulse_home: Path, monkeypatch, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    url = f"sqlite:///{tmp_path / 'env.db'}"
    monkeypatch.setenv("EDUPULSE_DATABASE_URL", url)
    r = runner.invoke(app, ["db", "upgrade"])
    assert r.exit_code == 0 and (tmp_path / "env.db").exists()
    r = runner.invoke(app, ["db", "info", "--db", "postgresql://u:s3cret@127.0.0.1:1/none"])
    assert "s3cret" not in r.output


def test_version() -> None:
    r = runner.invoke(app, ["--version"])
    assert r.exit_code == 0 and r.output.startswith("edupulse ")
