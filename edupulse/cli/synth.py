"""`edupulse synth`: write a synthetic district in the EduPulse input layout."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import typer

from edupulse.cli.common import fail
from edupulse.data.synth_config import DEFAULT_ORACLE_DRAWS


def register(root: typer.Typer) -> None:
    root.command("synth")(synth)


def synth(
    out: Path = typer.Option(..., "--out", help="Directory for the CSV files (created)."),
    students: int = typer.Option(500, "--students", help="Number of students."),
    start: str = typer.Option("2024-08-26", "--start", help="First Monday of the data (ISO)."),
    weeks: int = typer.Option(36, "--weeks", help="Weeks of data (1-52)."),
    seed: int = typer.Option(0, "--seed", help="Random seed: same seed, same bytes."),
    gzip: bool = typer.Option(False, "--gzip", help="Write .csv.gz instead of .csv."),
    districts: int = typer.Option(3, "--districts", help="Number of districts."),
    schools: int = typer.Option(4, "--schools-per-district", help="Schools per district (>= 3)."),
    oracle_draws: int = typer.Option(
        DEFAULT_ORACLE_DRAWS, "--oracle-draws",
        help="Monte Carlo continuations behind ground_truth.csv."),
) -> None:
    """Generate students, attendance, grades, discipline and ground truth with a known process."""
    from pydantic import ValidationError

    from edupulse.data.synth import SynthConfig, generate, write

    try:
        first = dt.date.fromisoformat(start)
    except ValueError:
        raise fail(f"--start {start!r} is not an ISO date (YYYY-MM-DD)") from None
    try:
        config = SynthConfig(students=students, start=first, weeks=weeks, seed=seed,
                             districts=districts, schools_per_district=schools,
                             oracle_draws=oracle_draws)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise fail(problems) from None
    progress = sys.stderr.isatty()
    district = generate(config, progress=progress)
    try:
        paths = write(district, out, gzip=gzip, progress=progress)
    except OSError as exc:
        raise fail(f"cannot write the files into {out}: {exc.strerror or exc}") from None
    for path, frame in zip(paths, district.frames().values(), strict=True):
        typer.echo(f"{path}  {len(frame):>12,} rows")
