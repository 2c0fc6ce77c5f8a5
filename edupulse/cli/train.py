"""`edupulse train EXPERIMENT.yaml` and `edupulse reproduce RUN_ID`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from edupulse.cli.common import DbOption, engine_for, fail

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from edupulse.config import Settings


def ready_engine(db: str | None) -> tuple[Settings, Engine]:
    """Settings and engine of a database whose schema is at the newest revision."""
    from edupulse.db import migrate

    s, engine = engine_for(db)
    if migrate.current_revision(engine) != migrate.head_revision(engine):
        raise fail(f"{s.safe_database_url}: schema is not at the newest revision; run "
                   "`edupulse db upgrade` (and `edupulse load DIR`) first")
    return s, engine


def register(app: typer.Typer) -> None:
    app.command("train")(train)
    app.command("reproduce")(reproduce)


def train(
    experiment: Annotated[Path, typer.Argument(help="Experiment config (experiments/*.yaml).")],
    db: DbOption = None,
) -> None:
    """Fit an experiment's model grid on every temporal split and log it to MLflow.

    Builds the features the experiment's as-of dates lack (stored ones are reused) and the
    labels first; one parent run per experiment, a nested run per model x split.
    """
    from edupulse.experiment import ExperimentConfigError, load_experiment
    from edupulse.tracking.pipeline import run_experiment

    try:
        config = load_experiment(experiment)
    except ExperimentConfigError as exc:
        raise fail(str(exc)) from None
    s, engine = ready_engine(db)
    typer.echo(f"experiment {config.name}: database {s.safe_database_url}, "
               f"MLflow {s.mlflow_tracking_uri}")
    try:
        out = run_experiment(engine, config, experiment.read_text(encoding="utf-8"),
                             experiment.name, s, progress=sys.stderr.isatty(), echo=typer.echo)
    except ValueError as exc:  # data that cannot make a training set: say what and stop
        raise fail(str(exc), code=1) from None
    typer.echo(f"parent run {out.parent_run_id} (experiment id {out.experiment_id}): "
               f"{len(out.models) - len(out.failed)} model run(s) ok, {len(out.failed)} failed")
    for m in out.failed:
        typer.echo(f"  failed: {m.model} on {m.split}: {m.error}")
    if out.failed:
        raise typer.Exit(1)


def reproduce(
    run_id: Annotated[str, typer.Argument(help="A model run, or an experiment's parent run.")],
    db: DbOption = None,
) -> None:
    """Re-run RUN_ID from its logged config on the current data; every metric must be equal.

    Refuses, before fitting anything, when the data fingerprint differs from the run's.
    """
    import mlflow

    from edupulse.tracking import reproduce as rep
    from edupulse.tracking.provenance import provenance

    s, engine = ready_engine(db)
    mlflow.set_tracking_uri(s.mlflow_tracking_uri)
    try:
        results = rep.reproduce(engine, mlflow.MlflowClient(), run_id,
                            progress=sys.stderr.isatty(), echo=typer.echo,
                            commit=provenance().git_commit)
    except rep.ReproduceError as exc:
        raise fail(str(exc), code=1) from None
    for r in results:
        typer.echo(f"\nrun {r.run_id}: {r.model} on {r.split} (data {r.fingerprint[:16]}...)")
        if r.code_changed:
            typer.echo("  note: the code's git commit differs from the run's")
        typer.echo(f"  {'metric':<40} {'original':>22} {'reproduced':>22}")
        for c in r.checks:
            now = "missing" if c.reproduced is None else repr(float(c.reproduced))
            typer.echo(f"  {c.name:<40} {float(c.original)!r:>22} {now:>22}  "
                       f"{'equal' if c.equal else 'DIFFERENT'}")
    same = sum(r.identical for r in results)
    n_metrics = sum(len(r.checks) for r in results)
    typer.echo(f"\n{same} of {len(results)} run(s) reproduced with all {n_metrics} metrics equal"
               if same == len(results) else f"\n{len(results) - same} run(s) DIFFER")
    if same != len(results):
        raise typer.Exit(1)
