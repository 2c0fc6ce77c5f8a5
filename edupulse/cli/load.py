"""`edupulse load DIR`: validate an SIS export and load it, idempotently, in one transaction."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from edupulse.cli.common import DbOption, engine_for, fail

EXIT_REJECTS = 1  # some rows were rejected or a file was stopped
EXIT_FAILED = 2  # nothing was loaded: bad arguments, profile, schema or a database error


def register(root: typer.Typer) -> None:
    root.command("load")(load)


def load(
    directory: Annotated[Path, typer.Argument(help="Folder with students.csv, attendance.csv, "
                                              "grades.csv, discipline.csv (or .csv.gz).")],
    profile: Annotated[Path | None, typer.Option(
        "--profile", help="Mapping profile (YAML) for an export in another layout.")] = None,
    strict: Annotated[bool, typer.Option(
        "--strict", help="Load nothing when any row is invalid.")] = False,
    rejects: Annotated[Path | None, typer.Option(
        "--rejects", help="Where to write rejected rows (default: "
                          "$EDUPULSE_HOME/rejects/<folder>-<time>.csv).")] = None,
    db: DbOption = None,
) -> None:
    """Validate and load an SIS export; re-loading the same files changes nothing."""
    import sqlalchemy as sa

    from edupulse.data.pipeline import (
        LoadError,
        default_rejects_path,
        load_directory,
        summary_lines,
    )
    from edupulse.data.profiles import STANDARD, ProfileError, load_profile
    from edupulse.data.progress import progress_bars

    try:
        chosen = load_profile(profile) if profile else STANDARD
    except ProfileError as exc:
        raise fail(str(exc), EXIT_FAILED) from None
    if not directory.is_dir():
        raise fail(f"{directory}: no such folder", EXIT_FAILED)
    settings, engine = engine_for(db)
    rejects = rejects or default_rejects_path(settings.home, directory)
    typer.echo(f"loading {directory} ({chosen.name}) into {settings.safe_database_url}"
               f"{' --strict' if strict else ''}")
    log = lambda msg: typer.echo(f"  {msg}", err=True)  # noqa: E731
    try:
        with progress_bars(sys.stderr) as progress:
            report = load_directory(engine, directory, chosen, strict=strict,
                                    rejects_path=rejects, progress=progress, log=log)
    except LoadError as exc:
        raise fail(str(exc), EXIT_FAILED) from None
    except sa.exc.DBAPIError as exc:
        first = str(exc.orig).strip().splitlines()[0]  # details may quote row values
        raise fail(f"the load failed and was rolled back, nothing changed: {first}",
                   EXIT_FAILED) from None
    finally:
        engine.dispose()
    for line in summary_lines(report):
        typer.echo(line)
    if not report.clean:
        raise typer.Exit(EXIT_REJECTS)
