"""Options and helpers shared by every command."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.engine import Engine

from edupulse.config import Settings
from edupulse.db.session import make_engine

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database URL (default: $EDUPULSE_DATABASE_URL, else SQLite in $EDUPULSE_HOME).",
        show_default=False,
    ),
]


def settings(db: str | None) -> Settings:
    return Settings.from_env(db)


def engine_for(db: str | None) -> tuple[Settings, Engine]:
    s = settings(db)
    return s, make_engine(s.database_url)


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print `message` to stderr and return the Exit to raise."""
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code)
