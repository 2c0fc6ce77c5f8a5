"""`edupulse load` as a user runs it: summary, exit codes, rejects file, --strict, refusals,
and a real load process killed part-way (SIGKILL) leaving every table as it was."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from edupulse.cli import app
from edupulse.db.session import make_engine
from tests.data.load_helpers import FIXTURES, snapshot

runner = CliRunner()
NAMES = ("Lovelace", "Okafor", "Chloé", "Valid", "Noname", "LONGNAME", "(555)")


def run(*args: str) -> object:
    return runner.invoke(app, ["load", *args])


def test_load_prints_a_summary_and_reload_counts_unchanged(db_url: str,
                                                           edupulse_home: Path) -> None:
    first = run(str(FIXTURES / "standard"), "--db", db_url)
    assert first.exit_code == 0, first.output
    lines = first.stdout.splitlines()
    assert lines[1].split() == ["file", "read", "new", "updated", "unchanged", "rejected",
                                "seconds"]
    assert lines[2].split()[:6] == ["students.csv", "3", "3", "0", "0", "0"]
    assert lines[3].split()[:6] == ["attendance.csv", "8", "8", "0", "0", "0"]
    assert float(lines[3].split()[6]) >= 0
    assert lines[-1] == "committed"
    second = run(str(FIXTURES / "standard"), "--db", db_url)
    assert second.exit_code == 0
    assert second.stdout.splitlines()[3].split()[:6] == ["attendance.csv", "8", "0", "0", "8",
                                                         "0"]
    assert "attendance.csv: staging 8 rows" in first.stderr
    assert "attendance.csv: merging into attendance_records" in first.stderr
    assert not any(name in first.output + second.output for name in NAMES)


def test_rejected_rows_exit_1_with_the_rejects_file_under_home(db_url: str,
                                                              edupulse_home: Path) -> None:
    r = run(str(FIXTURES / "bad"), "--db", db_url)
    assert r.exit_code == 1
    files = list((edupulse_home / "rejects").glob("bad-*.csv"))
    assert len(files) == 1
    assert f"rejected rows: 39, details in {files[0]}" in r.stdout
    assert "students.csv line 4, grade_level = '13': out of range 0 to 12" in r.stdout
    assert "committed (valid rows only)" in r.stdout
    rejects = pd.read_csv(files[0], dtype=str)
    assert len(rejects) == 39
    assert not any(name in r.output for name in NAMES)
    assert not any(name in files[0].read_text() for name in NAMES[:3] + ("LONGNAME", "Noname"))


def test_rejects_option_and_strict(db_url: str, edupulse_home: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "rejects.csv"
    r = run(str(FIXTURES / "bad"), "--db", db_url, "--strict", "--rejects", str(out))
    assert r.exit_code == 1
    assert out.exists() and "nothing loaded: --strict" in r.stdout
    engine = make_engine(db_url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM students")).scalar() == 0
    engine.dispose()


def test_a_stopped_file_exits_1_and_names_file_and_column(db_url: str, edupulse_home: Path,
                                                          tmp_path: Path) -> None:
    (tmp_path / "students.csv").write_text("district_id,first_name,date_of_birth\n")
    r = run(str(tmp_path), "--db", db_url)
    assert r.exit_code == 1
    assert ("STOPPED students.csv: missing required column last_name (the header has: "
            "district_id, first_name, date_of_birth)") in r.stdout


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing-dir", "no such folder"),
        ("empty-dir", "no input files found"),
        ("bad-profile", "files.attendance.columns: 'when' is not a column of attendance"),
    ],
)
def test_nothing_is_done_on_bad_arguments(db_url: str, edupulse_home: Path, tmp_path: Path,
                                          setup: str, message: str) -> None:
    folder = tmp_path / "export"
    args = [str(folder), "--db", db_url]
    if setup != "missing-dir":
        folder.mkdir()
    if setup == "bad-profile":
        (folder / "students.csv").write_text("district_id\n")
        profile = tmp_path / "p.yaml"
        profile.write_text("files: {attendance: {columns: {Date: when}}}\n")
        args += ["--profile", str(profile)]
    r = run(*args)
    assert r.exit_code == 2
    assert message in r.stderr


def test_an_unmigrated_database_is_refused(empty_db_url: str, edupulse_home: Path) -> None:
    r = run(str(FIXTURES / "standard"), "--db", empty_db_url)
    assert r.exit_code == 2
    assert "run `edupulse db upgrade` first" in r.stderr


def _big_export(folder: Path, students: int = 150, days: int = 120) -> None:
    """An export whose attendance takes a while to write: students x days x 7 periods."""
    folder.mkdir()
    ids = [f"K{i:05d}" for i in range(students)]
    pd.DataFrame({"district_id": ids, "first_name": "A", "last_name": "B",
                  "date_of_birth": "2010-01-01"}).to_csv(folder / "students.csv", index=False)
    n = students * days * 7
    k = np.arange(n)
    days_off = (k // 7) % days
    pd.DataFrame({
        "district_id": np.repeat(ids, days * 7),
        "date": (np.datetime64("2024-09-02") + days_off).astype(str),
        "status": np.array(["present", "absent", "tardy", "excused"])[k % 4],
        "period": k % 7,
    }).to_csv(folder / "attendance.csv", index=False)


def _wait_for_pg_backends(url: str) -> None:
    """After the client is killed, its server process rolls back and exits: wait for that.
    (pg_stat_activity is a snapshot per transaction, so every look is its own transaction.)"""
    db = sa.engine.make_url(url).database
    engine = make_engine(url, poolclass=sa.pool.NullPool)
    deadline = time.monotonic() + 120
    while True:
        with engine.connect() as conn:
            others = conn.execute(sa.text(
                "SELECT pid, state, left(query, 40) FROM pg_stat_activity WHERE datname = :d "
                "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"),
                {"d": db}).all()
        if not others:
            break
        assert time.monotonic() < deadline, f"the killed load still runs: {others}"
        time.sleep(0.2)
    engine.dispose()


@pytest.mark.slow
@pytest.mark.parametrize("moment", ["attendance.csv: staging 126,000 rows",
                                    "attendance.csv: merging into attendance_records"],
                         ids=["while-staging", "while-merging"])
def test_killing_a_load_part_way_leaves_every_table_as_before(
    db_url: str, edupulse_home: Path, tmp_path: Path, moment: str
) -> None:
    edupulse = Path(sys.executable).parent / "edupulse"
    first = subprocess.run([str(edupulse), "load", str(FIXTURES / "standard"), "--db", db_url],
                           capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    engine = make_engine(db_url, poolclass=sa.pool.NullPool)
    before = snapshot(engine)
    export = tmp_path / "big"
    _big_export(export)
    proc = subprocess.Popen([str(edupulse), "load", str(export), "--db", db_url],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "EDUPULSE_HOME": str(edupulse_home)})
    seen = []
    assert proc.stderr is not None
    for line in proc.stderr:  # students are written by now, inside the open transaction
        seen.append(line)
        if moment in line:
            break
    time.sleep(0.1)
    proc.send_signal(signal.SIGKILL)
    rest = proc.communicate()[1]
    assert proc.returncode == -signal.SIGKILL, "".join(seen) + rest
    assert "committing" not in "".join(seen) + rest  # killed before the commit
    assert snapshot(engine) == before  # nothing of the load is visible
    if engine.dialect.name == "postgresql":
        _wait_for_pg_backends(db_url)  # and the server has rolled it back
        assert snapshot(engine) == before
    engine.dispose()
    again = subprocess.run([str(edupulse), "load", str(export), "--db", db_url],
                           capture_output=True, text=True)
    assert again.returncode == 0, again.stderr  # and the database is fine to load into
