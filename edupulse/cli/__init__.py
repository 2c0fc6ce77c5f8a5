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
    _leave_mlflow_project_run()
    try:
        app()
    except Exception as exc:  # only database connection failures are turned into one line
        message = _connection_failure(exc)
        if message is None:
            raise
        typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
        raise SystemExit(2) from None


def _connection_failure(exc: BaseException) -> str | None:
    """A database that cannot be reached (server down, wrong host, bad URL) is a user's setup
    problem, not a bug: one line naming the driver's reason, never a traceback."""
    from sqlalchemy import exc as sa_exc

    if isinstance(exc, sa_exc.OperationalError):
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        if "connect" in reason.lower() or "unable to open database" in reason.lower():
            return (f"cannot connect to the database: {reason} (check --db or "
                    "EDUPULSE_DATABASE_URL; `edupulse db info` shows which one is used)")
    if isinstance(exc, sa_exc.ArgumentError | sa_exc.NoSuchModuleError):
        return f"not a usable database URL: {exc}"
    return None


def _leave_mlflow_project_run() -> None:
    """Under `mlflow run`, MLflow hands its own run to the command in MLFLOW_RUN_ID. EduPulse
    commands open their own runs (in their own experiments, nested for training); resuming
    MLflow's would fail on the experiment or mix two commands' logs, so the id is dropped."""
    import os

    os.environ.pop("MLFLOW_RUN_ID", None)
