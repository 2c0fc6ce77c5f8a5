"""`edupulse promote RUN_ID | --experiment NAME --best METRIC` and `edupulse active-model`."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from edupulse.cli.common import DbOption, fail
from edupulse.cli.train import ready_engine


def register(app: typer.Typer) -> None:
    app.command("promote")(promote)
    app.command("active-model")(active_model)


def promote(
    run_id: Annotated[str | None, typer.Argument(help="The model x split run to promote.")] = None,
    experiment: Annotated[str | None, typer.Option(help="Pick from this experiment's "
                                                   "latest `edupulse train`.")] = None,
    best: Annotated[str | None, typer.Option(help="Metric to pick by, e.g. precision_at_k10 "
                                             "(highest mean over the splits).")] = None,
    force: Annotated[bool, typer.Option(help="Promote although it does not beat the ABC "
                                        "baseline (needs --reason).")] = False,
    reason: Annotated[str | None, typer.Option(help="Why; recorded with the activation.")] = None,
    db: DbOption = None,
) -> None:
    """Make a model the active version: registry `edupulse-risk`, alias champion.

    Refused unless it beats the ABC rule at the experiment's promotion list (mean over its
    splits), or --force --reason TEXT (recorded).
    """
    import mlflow

    from edupulse.tracking import promotion as p

    if (run_id is None) == (best is None):
        raise fail("give either RUN_ID or --best METRIC (with --experiment NAME)")
    if best is not None and experiment is None:
        raise fail("--best needs --experiment NAME")
    s, engine = ready_engine(db)
    mlflow.set_tracking_uri(s.mlflow_tracking_uri)
    client = mlflow.MlflowClient()
    try:
        cand = p.candidate(client, run_id) if run_id else p.best_candidate(
            client, experiment or "", best or "")
        typer.echo(f"candidate: run {cand.run_id} ({cand.model}, {cand.split}, experiment "
                   f"{cand.experiment})")
        result = p.promote(engine, client, cand, force=force, reason=reason)
    except p.PromotionError as exc:
        raise fail(str(exc), code=1) from None
    if result.already_active:
        typer.echo(f"{result.model_version} is already the active version; nothing changed")
        return
    typer.echo(f"active version: {result.model_version} (registry {p.REGISTERED_MODEL} version "
               f"{result.registry_version}, alias {p.ALIAS})")
    if result.retired:
        typer.echo(f"retired: {result.retired}")
    if result.forced:
        typer.echo(f"FORCED past the ABC-baseline gate; reason recorded: {result.reason}")


def active_model(
    at: Annotated[dt.datetime | None, typer.Option(help="Which version was active at this "
                                                   "time (UTC), e.g. 2025-03-01T12:00.")] = None,
    history: Annotated[bool, typer.Option(help="List every activation period.")] = False,
    db: DbOption = None,
) -> None:
    """Which model version is active now, or was at a time; --history lists them all."""
    from edupulse.tracking import promotion as p

    _, engine = ready_engine(db)
    with engine.connect() as conn:
        rows = p.history(conn) if history else [p.active_version(conn, at)]
    if rows == [None]:
        raise fail("no model version was active then" if at else "no active model version",
                   code=1)
    for v in rows:
        assert v is not None
        until = v.retired_at.isoformat(timespec="seconds") if v.retired_at else "now"
        extra = f"  FORCED: {v.reason}" if v.forced else ""
        typer.echo(f"{v.model_version:<22} {v.model_type or '':<24} "
                   f"{v.activated_at.isoformat(timespec='seconds')} .. {until}  "
                   f"run {v.mlflow_run_id}{extra}")
