"""The `edupulse` entry point: setup problems get one line, not a traceback."""

from __future__ import annotations

import sys

import pytest

from edupulse.cli import main


def _run(monkeypatch: pytest.MonkeyPatch, *argv: str) -> None:
    monkeypatch.setattr(sys, "argv", ["edupulse", *argv])
    main()


def test_an_unreachable_server_gets_one_line_with_the_reason(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        _run(monkeypatch, "db", "info", "--db",
             "postgresql+psycopg2://postgres:s3cret@127.0.0.1:1/nowhere")
    err = capsys.readouterr().err
    assert done.value.code == 2
    assert err.startswith("error: cannot connect to the database: connection to server at")
    assert "Traceback" not in err and "s3cret" not in err


def test_a_malformed_url_is_named_as_such(monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        _run(monkeypatch, "db", "info", "--db", "not a url")
    assert done.value.code == 2
    assert capsys.readouterr().err.startswith("error: not a usable database URL:")


def test_mlflow_projects_run_id_is_not_resumed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_RUN_ID", "0123456789abcdef")
    with pytest.raises(SystemExit):
        _run(monkeypatch, "--version")
    import os

    assert "MLFLOW_RUN_ID" not in os.environ
