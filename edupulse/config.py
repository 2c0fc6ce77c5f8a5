"""Settings from the environment, built when a command runs (never at import time)."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict
from sqlalchemy.engine import make_url


class Settings(BaseModel):
    """Where EduPulse keeps its data and which database it talks to."""

    model_config = ConfigDict(frozen=True)

    home: Path
    database_url: str
    mlflow_tracking_uri: str

    @classmethod
    def from_env(cls, database_url: str | None = None) -> Settings:
        """Build settings; an explicit `database_url` (the CLI's --db) beats the environment."""
        home = Path(os.environ.get("EDUPULSE_HOME") or "var").expanduser().absolute()
        url = database_url or os.environ.get("EDUPULSE_DATABASE_URL") or default_sqlite_url(home)
        mlflow_uri = os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{home / 'mlflow.db'}"
        return cls(home=home, database_url=url, mlflow_tracking_uri=mlflow_uri)

    @property
    def safe_database_url(self) -> str:
        return mask_url(self.database_url)


def default_sqlite_url(home: Path) -> str:
    return f"sqlite:///{home / 'edupulse.db'}"


def mask_url(url: str) -> str:
    """The URL with any password replaced by ***, for printing and logging."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy understands: print nothing secret
        return "<unparseable database URL>"
