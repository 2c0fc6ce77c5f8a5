"""`edupulse run NOTEBOOK [-p NAME VALUE]... [-f params.yaml]`, papermill's own syntax."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from edupulse.cli.common import fail, settings

USAGE = "edupulse run NOTEBOOK [-p NAME VALUE]... [-f params.yaml] [--no-log]"


def register(app: typer.Typer) -> None:
    app.command(
        "run",
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    )(run)


def run(
    ctx: typer.Context,
    notebook: Annotated[str, typer.Argument(help="A path, or a name in notebooks/ (e.g. 05).")],
    params_file: Annotated[
        Path | None, typer.Option("-f", "--params-file", help="YAML file of parameters.")
    ] = None,
    no_log: Annotated[bool, typer.Option("--no-log", help="Do not log to MLflow.")] = False,
) -> None:
    """Run NOTEBOOK into $EDUPULSE_HOME/runs/, scan it for student PII, log it to MLflow.

    Parameters: -p NAME VALUE (repeatable), converted to the type of the notebook's default.
    """
    from edupulse.workbench.notebooks import NotebookError, find_notebook, resolve_parameters
    from edupulse.workbench.run import NotebookFailed, PrivacyViolation, run_notebook

    try:
        pairs = parse_pairs(ctx.args)
        path = find_notebook(notebook)
        parameters = resolve_parameters(path, pairs, params_file)
    except (NotebookError, ValueError) as exc:
        raise fail(str(exc)) from None
    try:
        result = run_notebook(path, parameters, settings(None), log=not no_log)
    except (NotebookFailed, PrivacyViolation) as exc:
        raise fail(str(exc), code=1) from None
    typer.echo(f"executed: {result.output}")
    if result.mlflow_run_id:
        typer.echo(f"mlflow run: {result.mlflow_run_id}")


def parse_pairs(args: list[str]) -> list[tuple[str, str]]:
    pairs, rest = [], list(args)
    while rest:
        flag = rest.pop(0)
        if flag not in ("-p", "--param") or len(rest) < 2:
            raise ValueError(f"unexpected {flag!r}; usage: {USAGE}")
        pairs.append((rest.pop(0), rest.pop(0)))
    return pairs
