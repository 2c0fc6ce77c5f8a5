"""`edupulse score` and `edupulse risk-list`: weekly scoring and a school team's list."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from edupulse.cli.common import DbOption, engine_for, fail

AsOf = Annotated[dt.datetime, typer.Option("--as-of", formats=["%Y-%m-%d"],
                                           help="The as-of date (YYYY-MM-DD).")]


def register(root: typer.Typer) -> None:
    root.command("score")(score)
    root.command("risk-list")(risk_list)


def score(
    as_of: AsOf,
    model_version: Annotated[str | None, typer.Option(
        "--model-version", help="Score with this model_metadata version instead of the active one."
    )] = None,
    chunk_size: Annotated[int, typer.Option(help="Students per chunk.")] = 20_000,
    categories: Annotated[str, typer.Option(
        help="Category mode: 'probability' cut-offs or 'capacity' (top % per school).")
    ] = "probability",
    db: DbOption = None,
) -> None:
    """Score every eligible student as of a date with the pinned active model."""
    from edupulse.scoring.config import ScoringConfig
    from edupulse.scoring.explain import AttributionError
    from edupulse.scoring.model import ModelResolutionError
    from edupulse.scoring.score import ScoringError
    from edupulse.scoring.score import score as run

    settings, engine = engine_for(db)
    try:
        config = ScoringConfig(chunk_size=chunk_size, categories=categories)  # type: ignore[arg-type]
        r = run(engine, as_of.date(), tracking_uri=settings.mlflow_tracking_uri,
                model_version=model_version, config=config)
    except (ScoringError, ModelResolutionError, AttributionError, ValueError) as exc:
        raise fail(str(exc)) from None
    typer.echo(f"scored {r.scored:,} students as of {r.as_of} with model {r.model_version} "
               f"({r.model_uri}) in {r.seconds:.1f}s"
               + (f"; replaced {r.replaced:,} earlier rows" if r.replaced else "")
               + ("; features built first" if r.features_built else ""))
    typer.echo("  " + ", ".join(f"{k}: {v:,}" for k, v in r.categories.items()))
    typer.echo(f"  explanations: {r.attribution_method}, weights in {r.attribution_units}")
    typer.echo("  seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in r.phases.items()))


def risk_list(
    as_of: AsOf,
    school: Annotated[str, typer.Option("--school", help="school_code of the school.")],
    fmt: Annotated[str, typer.Option("--format", help="csv or html.")] = "csv",
    out: Annotated[Path | None, typer.Option("--out", help="Write here instead of stdout.")]
    = None,
    names: Annotated[bool, typer.Option(
        "--names", help="Include SIS ids and student names (for school staff only).")] = False,
    category: Annotated[list[str] | None, typer.Option(
        "--category", help="Categories to list (repeatable; default high and critical).")] = None,
    top: Annotated[int | None, typer.Option("--top", help="Only the first N students.")] = None,
    db: DbOption = None,
) -> None:
    """A school's list: latest prediction per student up to the date, highest risk first."""
    from edupulse.scoring import risk_list as rl

    if fmt not in ("csv", "html"):
        raise fail(f"--format must be csv or html, got {fmt!r}")
    cats = tuple(category or ("high", "critical"))
    _, engine = engine_for(db)
    with engine.connect() as conn:
        rows = rl.risk_list(conn, as_of.date(), school, categories=cats, names=names, top=top)
    text = (rl.to_csv(rows, names) if fmt == "csv" else
            rl.to_html(rows, school=school, as_of=as_of.date(), categories=cats, names=names))
    if out is None:
        typer.echo(text, nl=False)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    typer.echo(f"{len(rows)} student(s) written to {out}"
               + (" (contains names: confidential)" if names else ""), err=True)
