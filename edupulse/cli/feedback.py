"""`edupulse feedback load FILE` / `edupulse feedback report`: educators' outcomes in, realised
precision out."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from edupulse.cli.common import DbOption, engine_for, fail

app = typer.Typer(help="Educator feedback on predictions.", no_args_is_help=True)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="feedback")


@app.command("load")
def load(
    file: Annotated[Path, typer.Argument(help="CSV of feedback (see docs/scoring.md).")],
    strict: Annotated[bool, typer.Option(help="Load nothing if any line is bad.")] = False,
    rejects: Annotated[Path | None, typer.Option(help="Where to write rejected lines.")] = None,
    db: DbOption = None,
) -> None:
    """Validate FILE and store its feedback in one transaction; exit 1 if any line is rejected."""
    from edupulse.feedback import FeedbackFileError, load_feedback, write_rejects

    s, engine = engine_for(db)
    try:
        r = load_feedback(engine, file, strict=strict)
    except FeedbackFileError as exc:
        raise fail(str(exc)) from None
    typer.echo(f"{r.file}: read {r.read}, loaded {r.loaded}, unchanged {r.unchanged}, "
               f"rejected {len(r.rejects)}" + (" (strict: nothing loaded)"
                                               if strict and r.rejects else ""))
    if r.rejects:
        out = rejects or s.home / "rejects" / f"{file.stem}-rejects.csv"
        write_rejects(r.rejects, out)
        for rej in r.rejects[:10]:
            typer.echo(f"  {rej.file}, line {rej.line}, {rej.field} {rej.value!r}: {rej.reason}",
                       err=True)
        typer.echo(f"rejected lines written to {out}", err=True)
        raise typer.Exit(1)


@app.command("report")
def report(
    as_of: Annotated[dt.datetime | None, typer.Option(
        "--as-of", formats=["%Y-%m-%d"], help="Last day of feedback counted (default today).")
    ] = None,
    days: Annotated[int, typer.Option(help="Days of feedback up to --as-of.")] = 30,
    db: DbOption = None,
) -> None:
    """Per model version: feedback counts, realised precision/recall, and the offline metrics."""
    from edupulse.feedback import FEEDBACK_TYPES, feedback_report

    _, engine = engine_for(db)
    day = as_of.date() if as_of else dt.date.today()
    with engine.connect() as conn:
        versions = feedback_report(conn, day, days)
    if not versions:
        typer.echo(f"no feedback recorded in the {days} days up to {day}")
        return
    fmt = lambda v: "-" if v is None else f"{v:.3f}"  # noqa: E731
    for v in versions:
        typer.echo(f"model {v.model_version}: feedback in the {days} days up to {day}")
        for t in FEEDBACK_TYPES:
            typer.echo(f"  {t:<15} {v.counts[t]:>6}  avg risk {fmt(v.avg_risk.get(t))}  "
                       f"avg confidence {fmt(v.avg_confidence.get(t))}")
        off = v.offline
        typer.echo(f"  precision realised {fmt(v.realised_precision)} vs offline "
                   f"{fmt(off.get('precision'))}; recall realised {fmt(v.realised_recall)} "
                   f"vs offline {fmt(off.get('recall'))}")
    typer.echo("note: flagged students receive help, so realised precision understates the "
               "model's (an averted outcome reads as a false positive)")
