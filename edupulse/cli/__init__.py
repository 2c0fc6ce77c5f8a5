"""`edupulse ...`: each command a few lines that call into the package.

Command groups live in their own modules; this one only assembles them.
"""

from __future__ import annotations

import typer

from edupulse import __version__
from edupulse.cli import db

app = typer.Typer(
    help="EduPulse: student early-warning research workbench.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(db.app, name="db")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"edupulse {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Student early-warning research workbench."""


def main() -> None:
    app()
