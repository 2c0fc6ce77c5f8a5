"""`edupulse promote` and `edupulse active-model` as a user runs them: what each prints, the
exit codes, the refusal and the forced promotion with its recorded reason, on both backends."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from edupulse.cli import app
from tests.tracking.stores import logged_store

runner = CliRunner()


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return logged_store(tmp_path_factory.mktemp("cli-promote-home"))


@pytest.fixture
def store(logged: dict[str, Any], edupulse_home: Path, monkeypatch: pytest.MonkeyPatch,
          ) -> dict[str, Any]:
    edupulse_home.mkdir(parents=True)
    shutil.copyfile(logged["db"], edupulse_home / "mlflow.db")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{edupulse_home / 'mlflow.db'}")
    return logged


def run(*args: str) -> Any:
    return runner.invoke(app, list(args))


def test_refused_then_forced_with_a_reason(store: dict[str, Any], db_url: str) -> None:
    abc = store["ids"][("abc_baseline", "test-2025-02-07")]
    r = run("promote", abc, "--db", db_url)
    assert r.exit_code == 1
    assert "does not beat the ABC baseline at precision@k10" in r.output
    assert "Refused: promote it anyway only with --force --reason TEXT" in r.output
    r = run("active-model", "--db", db_url)
    assert r.exit_code == 1 and "no active model version" in r.output

    r = run("promote", abc, "--force", "--db", db_url)
    assert r.exit_code == 1 and "--force needs --reason TEXT" in r.output

    r = run("promote", abc, "--force", "--reason", "pilot keeps the rule", "--db", db_url)
    assert r.exit_code == 0, r.output
    assert "active version: edupulse-risk/1" in r.output
    assert "FORCED past the ABC-baseline gate; reason recorded: pilot keeps the rule" in r.output


def test_best_promotes_and_history_shows_every_period(store: dict[str, Any], db_url: str,
                                                      ) -> None:
    abc = store["ids"][("abc_baseline", "test-2025-02-07")]
    assert run("promote", abc, "--force", "--reason", "first", "--db", db_url).exit_code == 0
    r = run("promote", "--experiment", "frames", "--best", "precision_at_k10", "--db", db_url)
    assert r.exit_code == 0, r.output
    lr = store["ids"][("lr", "test-2025-02-07")]
    assert f"candidate: run {lr} (lr, test-2025-02-07, experiment frames)" in r.output
    assert "active version: edupulse-risk/2" in r.output and "retired: edupulse-risk/1" in r.output
    r = run("promote", "--experiment", "frames", "--best", "precision_at_k10", "--db", db_url)
    assert r.exit_code == 0 and "already the active version; nothing changed" in r.output

    r = run("active-model", "--history", "--db", db_url)
    lines = r.output.strip().splitlines()
    assert r.exit_code == 0 and len(lines) == 2
    assert lines[0].startswith("edupulse-risk/1") and "FORCED: first" in lines[0]
    assert lines[1].startswith("edupulse-risk/2") and lines[1].count(" .. now ") == 1
    r = run("active-model", "--at", "2001-01-01T00:00:00", "--db", db_url)
    assert r.exit_code == 1 and "no model version was active then" in r.output


@pytest.mark.parametrize(
    ("args", "message"),
    [((), "give either RUN_ID or --best METRIC"),
     (("--best", "auc"), "--best needs --experiment NAME"),
     (("--experiment", "frames", "--best", "nope"), "has the metric 'nope'"),
     (("--experiment", "other", "--best", "auc"), "no MLflow experiment named 'other'")],
)
def test_usage_errors(store: dict[str, Any], db_url: str, args: tuple[str, ...],
                      message: str) -> None:
    r = run("promote", *args, "--db", db_url)
    assert r.exit_code in (1, 2) and message in r.output
