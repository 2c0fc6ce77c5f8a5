"""`edupulse audit`: fairness audit of a risk list (external CSV, database, or MLflow run)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from edupulse.cli.common import fail
from edupulse.fairness.errors import message

Opt = typer.Option


def register(root: typer.Typer) -> None:
    root.command("audit")(audit)


def audit(
    out: Annotated[Path, Opt("--out", help="Folder for group_metrics.csv, disparities.csv, "
                                           "suppressed.csv and audit.json.")],
    scores: Annotated[Path | None, Opt("--scores", help="External scored list (CSV).")] = None,
    id_col: Annotated[str, Opt("--id-col")] = "student_id",
    score_col: Annotated[str, Opt("--score-col")] = "score",
    label_col: Annotated[str, Opt("--label-col", help="Realised outcome, 0 or 1.")] = "label",
    groups: Annotated[str | None, Opt("--groups", help="Sensitive attributes, comma-separated "
                      "(default gender,ethnicity,socioeconomic_status,grade_level).")] = None,
    intersect: Annotated[list[str] | None, Opt("--intersect",
                         help="Intersection, e.g. genderxethnicity (repeatable).")] = None,
    top_pct: Annotated[float | None, Opt("--top-pct", help="Flag the top P% (default 10).")]
    = None,
    threshold: Annotated[float | None, Opt("--threshold", help="Flag scores >= T.")] = None,
    min_cell: Annotated[int, Opt("--min-cell", help="Suppress groups below this size.")] = 10,
    band: Annotated[str, Opt("--band", help="Fairness band for ratios.")] = "0.8,1.25",
    reference: Annotated[str, Opt("--reference", help="largest, best, or ATTR=GROUP,...")]
    = "largest",
    n_boot: Annotated[int, Opt("--n-boot", help="Bootstrap replicates.")] = 1000,
    seed: Annotated[int, Opt("--seed")] = 0,
    outcome: Annotated[str, Opt("--outcome", help="What label 1 means, in words "
                                                  "(for the report).")] = "the outcome",
) -> None:
    """Audit a risk list: group metrics at the list size, disparities, suppression."""
    from edupulse.fairness import modes
    from edupulse.fairness.inputs import CsvColumns, ScoredListError, csv_header
    from edupulse.fairness.options import build_settings

    if scores is None:
        raise fail("give --scores FILE.csv (database and MLflow inputs: see --help)")
    try:
        settings = build_settings(
            groups=groups, intersect=intersect or (), top_pct=top_pct, threshold=threshold,
            min_cell=min_cell, band=band, reference=reference, n_boot=n_boot, seed=seed,
            known_columns=csv_header(scores),
        )
        wanted = dict.fromkeys([*settings.attributes, *(a for p in settings.intersections
                                                         for a in p)])
        columns = CsvColumns(id_col, score_col, label_col, tuple(wanted))
        result = modes.audit_csv(scores, columns, settings, out, outcome=outcome,
                                 progress=sys.stderr.isatty())
    except (ScoredListError, ValueError, KeyError) as exc:
        raise fail(message(exc)) from None
    _print_summary(result, out)


def _print_summary(result, out: Path) -> None:  # type: ignore[no-untyped-def]
    from edupulse.fairness.summary import summarise

    for line in summarise(result).lines():
        typer.echo(line)
    typer.echo(f"written: {out}/{{group_metrics.csv, disparities.csv, suppressed.csv, "
               "audit.json}")
