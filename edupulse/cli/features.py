"""`edupulse features` (build student_features as of dates) and `edupulse labels` (summary)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from edupulse.cli.common import DbOption, engine_for, fail

EVERY = {"day": 1, "week": 7}

# The as-of dates of `features` and `labels`: explicit dates and/or a range.
AsOfDates = Annotated[list[dt.datetime] | None, typer.Option(
    "--as-of", formats=["%Y-%m-%d"], help="As-of date (repeatable).")]
From = Annotated[dt.datetime | None, typer.Option(
    "--from", formats=["%Y-%m-%d"], help="First as-of date of a range.")]
To = Annotated[dt.datetime | None, typer.Option(
    "--to", formats=["%Y-%m-%d"], help="Last as-of date of a range (included).")]
Every = Annotated[str, typer.Option(help="Range step: week, day or N days.")]


def register(root: typer.Typer) -> None:
    root.command("features")(features)
    root.command("labels")(labels)


def _dates(as_of: list[dt.datetime] | None, start: dt.datetime | None,
           end: dt.datetime | None, every: str) -> list[dt.date]:
    from edupulse.modeling.splits import date_range

    dates = [d.date() for d in as_of or []]
    if (start is None) != (end is None):
        raise fail("--from and --to go together")
    if start is not None and end is not None:
        step = EVERY.get(every) or (int(every) if every.isdigit() else 0)
        if step < 1:
            raise fail(f"--every {every!r}: expected week, day or a number of days")
        if start > end:
            raise fail(f"--from {start.date()} is after --to {end.date()}")
        dates += date_range(start.date(), end.date(), step)
    if not dates:
        raise fail("give --as-of DATE (repeatable) or --from DATE --to DATE [--every week]")
    return sorted(set(dates))


def _engine(db: str | None):  # type: ignore[no-untyped-def]
    from edupulse.db import migrate

    s, engine = engine_for(db)
    if migrate.current_revision(engine) is None:
        raise fail(f"{s.safe_database_url} has no EduPulse schema: run `edupulse db upgrade`")
    return s, engine


def features(
    as_of: AsOfDates = None,
    start: From = None,
    end: To = None,
    every: Every = "week",
    db: DbOption = None,
) -> None:
    """Build student_features for each as-of date (replacing that date's rows)."""
    from edupulse.features import build_features
    from edupulse.features.cohort import CohortDataError

    dates = _dates(as_of, start, end, every)
    s, engine = _engine(db)
    try:
        report = build_features(engine, dates)
    except CohortDataError as exc:
        raise fail(str(exc)) from exc
    typer.echo(f"features in {s.safe_database_url} ({report.backend})")
    for d in report.dates:
        typer.echo(f"  {d.as_of}  {d.rows:>8,} students")
    typer.echo(f"{len(report.dates)} as-of dates, {report.total_rows:,} rows written in "
               f"{report.seconds:.1f}s (staged {report.staged.attendance_groups:,} "
               f"student-interval attendance groups, {report.staged.incident_groups:,} "
               f"incident groups)")


def labels(
    outcome: Annotated[str, typer.Option(help="dropout, course_failure, chronic_absence or "
                                              "any_adverse.")] = "any_adverse",
    horizon: Annotated[int, typer.Option(help="Label horizon in days.")] = 84,
    as_of: AsOfDates = None,
    start: From = None,
    end: To = None,
    every: Every = "week",
    db: DbOption = None,
) -> None:
    """Print the cohort, positives and every counted exclusion per as-of date (writes nothing)."""
    from edupulse.features.cohort import CohortDataError
    from edupulse.labels import build_labels

    dates = _dates(as_of, start, end, every)
    _, engine = _engine(db)
    try:
        result = build_labels(engine, dates, outcome, horizon)
    except (CohortDataError, ValueError) as exc:
        raise fail(str(exc)) from exc
    typer.echo(f"{outcome}, horizon {horizon} days, data end {result.data_end}")
    typer.echo(result.summary().to_string(index=False))
