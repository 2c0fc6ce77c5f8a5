from __future__ import annotations

from pathlib import Path

import pytest

from edupulse.config import Settings, mask_url


def test_defaults_live_in_edupulse_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("EDUPULSE_HOME", str(tmp_path))
    monkeypatch.delenv("EDUPULSE_DATABASE_URL", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    s = Settings.from_env()
    assert s.home == tmp_path
    assert s.database_url == f"sqlite:///{tmp_path / 'edupulse.db'}"
    assert s.mlflow_tracking_uri == f"sqlite:///{tmp_path / 'mlflow.db'}"


def test_explicit_url_beats_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDUPULSE_DATABASE_URL", "sqlite:///env.db")
    assert Settings.from_env("sqlite:///cli.db").database_url == "sqlite:///cli.db"
    assert Settings.from_env().database_url == "sqlite:///env.db"


def test_mask_url_hides_password() -> None:
    masked = mask_url("postgresql+psycopg2://edu:hunter2@db.example:5432/edupulse")
    assert "hunter2" not in masked and "***" in masked
    assert mask_url("not a url ::") == "<unparseable database URL>"
