"""The privacy commands as a user runs them: exit codes, what they print, and that no password
or student identifier ever appears in their output."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from edupulse.cli import app
from edupulse.privacy.checksums import table_digests
from tests.privacy.seed import FIRST, LAST, seed

runner = CliRunner()
SECRET = "s3cr3tpw"
KEY = "0123456789abcdef-cli-key"


def _run(*args: str | Path):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [str(a) for a in args])


def _everything(r) -> str:  # type: ignore[no-untyped-def]
    return r.stdout + r.stderr


@pytest.fixture
def seeded(engine: sa.Engine, edupulse_home: Path) -> sa.Engine:
    with engine.begin() as conn:
        seed(conn)
    return engine


def _notebook(path: Path, text: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("print(top)", outputs=[
        nbformat.v4.new_output("stream", name="stdout", text=text)])]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def test_scan_finds_a_planted_name_and_passes_a_clean_folder(
    seeded: sa.Engine, db_url: str, tmp_path: Path
) -> None:
    bad = _notebook(tmp_path / "runs" / "bad.ipynb", "top risk: Bram Okonkwo 0.93\n")
    _notebook(tmp_path / "clean" / "ok.ipynb", "top risk: P-1f0c 0.93\n")
    r = _run("privacy", "scan", tmp_path / "runs", tmp_path / "clean", "--db", db_url)
    assert r.exit_code == 1
    assert f"{bad}:cell 1 output 1 line 1: name B*** O******" in r.stdout
    assert "1 finding(s) in 1 of 2 files" in r.stdout
    assert "Okonkwo" not in _everything(r)
    r = _run("privacy", "scan", tmp_path / "clean", "--db", db_url)
    assert r.exit_code == 0 and "clean: no student identifiers in 1 files (6 students" in r.stdout
    r = _run("privacy", "scan", tmp_path / "missing", "--db", db_url)
    assert r.exit_code == 2 and "missing: no such file or folder" in r.stderr


def test_scan_defaults_to_the_publishing_folders(seeded: sa.Engine, db_url: str,
                                                 edupulse_home: Path) -> None:
    r = _run("privacy", "scan", "--db", db_url)
    assert r.exit_code == 0 and "nothing to scan" in r.stdout
    artifact = edupulse_home / "mlartifacts" / "exp" / "run1" / "input_example.json"
    artifact.parent.mkdir(parents=True)
    artifact.write_text('{"district_id": ["D02-000001"], "dob": ["2011-02-11"]}')
    r = _run("privacy", "scan", "--db", db_url)
    assert r.exit_code == 1
    assert f"{artifact}:line 1: district_id D0********" in r.stdout
    assert f"{artifact}:line 1: date_of_birth 2011-**-**" in r.stdout


def test_export_needs_a_key_then_writes_a_clean_export(
    seeded: sa.Engine, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EDUPULSE_PSEUDONYM_KEY", raising=False)
    r = _run("export", "--out", tmp_path / "x", "--db", db_url)
    assert r.exit_code == 2 and "EDUPULSE_PSEUDONYM_KEY is not set" in r.stderr
    assert not (tmp_path / "x").exists()
    monkeypatch.setenv("EDUPULSE_PSEUDONYM_KEY", KEY)
    r = _run("export", "--out", tmp_path / "x", "--min-k", "2", "--db", db_url)
    assert r.exit_code == 0, _everything(r)
    assert "before: k=1 over" in r.stdout and "after:  k=" in r.stdout
    assert f"wrote {tmp_path / 'x'}: students.csv" in r.stdout
    r = _run("privacy", "scan", tmp_path / "x", "--db", db_url)
    assert r.exit_code == 0, r.stdout


def test_db_secure(seeded: sa.Engine, db_url: str) -> None:
    r = _run("db", "secure", "--db", db_url)
    assert r.exit_code == 0
    if seeded.dialect.name == "sqlite":
        assert "offers NO isolation between districts" in r.stdout
    else:
        assert "row-level security on 7 tables" in r.stdout
    r = _run("db", "secure", "--district-role", "D01", "--db", db_url)
    assert r.exit_code == 2 and "expected DISTRICT_CODE=ROLE" in r.stderr


def test_audit_log_shows_one_students_history(seeded: sa.Engine, db_url: str) -> None:
    with seeded.begin() as conn:
        conn.execute(sa.text("UPDATE students SET grade_level = 10, last_name = 'Renamed' "
                             "WHERE district_id = 'D01-000002'"))
    r = _run("audit-log", "--student", "D01-000002", "--db", db_url)
    assert r.exit_code == 0, _everything(r)
    lines = r.stdout.splitlines()
    assert "students             INSERT         1  (new)" in lines[1]
    assert any("students             UPDATE         1  last_name, grade_level" in x for x in lines)
    assert any("attendance_records" in x for x in lines) == (seeded.dialect.name != "sqlite")
    assert "Renamed" not in r.stdout and "Cleo" not in r.stdout
    r = _run("audit-log", "--student", "NOPE", "--db", db_url)
    assert r.exit_code == 1 and "no student with district_id 'NOPE'" in r.stderr


def test_retention_dry_run_then_apply(seeded: sa.Engine, db_url: str, tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("version: 1\ntables:\n  attendance_records: {keep: 3y}\n")
    before = table_digests(seeded)
    r = _run("retention", "apply", "--policy", policy, "--as-of", "2026-01-01", "--dry-run",
             "--db", db_url)
    assert r.exit_code == 0
    assert r.stdout.splitlines() == [
        "attendance_records     delete             6  (rows with date before 2023-01-01, keep 3y)",
        "dry run: nothing changed"]
    assert table_digests(seeded) == before
    r = _run("retention", "apply", "--policy", policy, "--as-of", "2026-01-01", "--db", db_url)
    assert r.exit_code == 0 and "applied in one transaction: 6 rows changed" in r.stdout
    policy.write_text("version: 1\ntables:\n  grades: {keep: forever}\n")
    r = _run("retention", "apply", "--policy", policy, "--db", db_url)
    assert r.exit_code == 2 and "tables.grades.keep: expected a period" in r.stderr


def test_backup_and_restore(seeded: sa.Engine, db_url: str, empty_db_url: str,
                            tmp_path: Path) -> None:
    r = _run("backup", "--out", tmp_path / "b.backup", "--db", db_url)
    assert r.exit_code == 0, _everything(r)
    assert "tables," in r.stdout and "manifest:" in r.stdout
    r = _run("restore", tmp_path / "b.backup", "--db", empty_db_url)
    assert r.exit_code == 0, _everything(r)
    assert "verified: every table's row count and checksum equal the manifest" in r.stdout
    r = _run("restore", tmp_path / "b.backup", "--db", empty_db_url)
    assert r.exit_code == 2 and "already has tables" in r.stderr


def test_no_command_prints_a_password_or_a_student_name(
    seeded: sa.Engine, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL the URL carries a password the (trust) server ignores, so every command
    really runs; on SQLite it points at an unreachable server, so every error path runs."""
    if seeded.dialect.name == "postgresql":
        url = make_url(db_url).set(password=SECRET).render_as_string(hide_password=False)
    else:
        url = f"postgresql+psycopg2://edu:{SECRET}@127.0.0.1:1/nowhere"
    monkeypatch.setenv("EDUPULSE_PSEUDONYM_KEY", KEY)
    _notebook(tmp_path / "nb" / "x.ipynb", "Ada Quartermaine\n")
    policy = tmp_path / "p.yaml"
    policy.write_text("version: 1\ntables:\n  grades: {keep: 1y}\n")
    commands = [
        ("privacy", "scan", tmp_path / "nb"), ("export", "--out", tmp_path / "e"),
        ("db", "secure"), ("audit-log", "--student", "D01-000000"),
        ("retention", "apply", "--policy", policy, "--dry-run"),
        ("backup", "--out", tmp_path / "b.backup"), ("restore", tmp_path / "b.backup"),
        ("db", "info"),
    ]
    for args in commands:
        r = _run(*args, "--db", url)
        out = _everything(r)
        assert SECRET not in out, (args, out)
        assert not any(name in out for name in (*FIRST[1:], *LAST)), (args, out)
        assert r.exit_code in (0, 1, 2), (args, out, r.exception)
        if args != ("db", "info"):  # ours end in a message, never a traceback
            assert r.exception is None or isinstance(r.exception, SystemExit), (args, r.exception)
        if seeded.dialect.name == "sqlite" and args != ("db", "info"):  # (db info: not ours)
            assert r.exit_code == 2, (args, out)
            # restore checks its file first (none was made), then the database
            assert "***@127.0.0.1:1/nowhere" in out or args[0] == "restore", (args, out)
