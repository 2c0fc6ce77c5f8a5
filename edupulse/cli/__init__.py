"""`edupulse ...`: each command a few lines that call into the package.

Every module in this package that defines `register(app)` adds its commands; this one only
assembles them. Command modules import heavy libraries (MLflow, scikit-learn) inside the
command functions, so `edupulse --help` stays fast.
"""

from __future__ import annotations

import importlib
import pkgutil

import typer

from edupulse import __version__

app = typer.Typer(
    help="EduPulse: student early-warning research workbench.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _register_all() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(app)


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


_register_all()


def main() -> None:
    app()
