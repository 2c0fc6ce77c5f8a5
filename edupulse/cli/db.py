"""`edupulse db ...`: create, migrate, check and describe the schema."""

from __future__ import annotations

import typer

from edupulse.cli.common import DbOption, engine_for, fail
from edupulse.db import migrate

app = typer.Typer(help="Create, migrate and inspect the database schema.", no_args_is_help=True)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="db")


@app.command()
def upgrade(revision: str = typer.Argument("head"), db: DbOption = None) -> None:
    """Create the schema or migrate it to REVISION (default: the newest)."""
    s, engine = engine_for(db)
    migrate.upgrade(engine, revision)
    typer.echo(f"{s.safe_database_url}: at revision {migrate.current_revision(engine)}")


@app.command()
def downgrade(revision: str = typer.Argument(..., help="Target revision; 'base' removes all."),
              db: DbOption = None) -> None:
    """Migrate down to REVISION; `base` removes every EduPulse table."""
    s, engine = engine_for(db)
    migrate.downgrade(engine, revision)
    typer.echo(f"{s.safe_database_url}: at revision {migrate.current_revision(engine) or 'base'}")


@app.command()
def check(db: DbOption = None) -> None:
    """Exit non-zero when the models and the migrations disagree."""
    _, engine = engine_for(db)
    result = migrate.check(engine)
    if not result.ok:
        raise fail(result.message, code=1)
    typer.echo(result.message)


@app.command()
def info(db: DbOption = None) -> None:
    """Print the backend, the schema revision and the row count of every table."""
    s, engine = engine_for(db)
    typer.echo(f"database: {s.safe_database_url}")
    typer.echo(f"backend:  {engine.dialect.name} ({_server_version(engine)})")
    current, head = migrate.current_revision(engine), migrate.head_revision(engine)
    state = "up to date" if current == head else f"behind head {head}: run `edupulse db upgrade`"
    typer.echo(f"revision: {current or 'none'} ({state})")
    for table, n in migrate.row_counts(engine).items():
        typer.echo(f"  {table:<22} {'missing' if n is None else f'{n:>12,}'}")


def _server_version(engine) -> str:  # type: ignore[no-untyped-def]
    with engine.connect():
        info = engine.dialect.server_version_info or ()
    return ".".join(str(p) for p in info) or "unknown"
