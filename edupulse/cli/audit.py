"""`edupulse audit`: fairness audit of a risk list (external CSV, database, or MLflow run)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Annotated

import typer

from edupulse.cli.common import DbOption, engine_for, fail

Opt = typer.Option
Groups = Annotated[str | None, Opt("--groups", help="Sensitive attributes, comma-separated "
                   "(default gender,ethnicity,socioeconomic_status,grade_level).")]
Intersect = Annotated[list[str] | None, Opt("--intersect",
                      help="An intersection, e.g. genderxethnicity (repeatable).")]
TopPct = Annotated[float | None, Opt("--top-pct", help="Flag the top P% (default 10).")]
Threshold = Annotated[float | None, Opt("--threshold", help="Flag scores >= T instead.")]
MinCell = Annotated[int, Opt("--min-cell", help="Suppress groups with fewer students.")]
Band = Annotated[str, Opt("--band", help="Fairness band LOW,HIGH for ratios.")]
Reference = Annotated[str, Opt("--reference", help="largest, best, or ATTR=GROUP,...")]
NBoot = Annotated[int, Opt("--n-boot", help="Bootstrap replicates.")]
Seed = Annotated[int, Opt("--seed", help="Bootstrap seed.")]
AsOf = Annotated[dt.datetime | None, Opt("--as-of", formats=["%Y-%m-%d"],
                 help="Audit EduPulse's predictions of this date (database).")]
District = Annotated[str | None, Opt("--district", help="Only this district's students.")]
Outcome = Annotated[str, Opt("--label-outcome", help="Outcome the list predicts: dropout, "
                   "course_failure, chronic_absence or any_adverse (database).")]
Horizon = Annotated[int, Opt("--horizon-days", help="Outcome window after the as-of date.")]
ModelVersion = Annotated[str | None, Opt("--model-version",
                         help="When several versions scored the date.")]


def register(root: typer.Typer) -> None:
    root.command("audit")(audit)


def audit(
    out: Annotated[Path, Opt("--out", help="Folder for group_metrics.csv, disparities.csv, "
                                           "suppressed.csv and audit.json.")],
    scores: Annotated[Path | None, Opt("--scores", help="External scored list (CSV); "
                                                        "needs no database.")] = None,
    id_col: Annotated[str, Opt("--id-col")] = "student_id",
    score_col: Annotated[str, Opt("--score-col")] = "score",
    label_col: Annotated[str, Opt("--label-col", help="Realised outcome, 0 or 1.")] = "label",
    outcome_text: Annotated[str, Opt("--outcome", help="What label 1 means, in words, for "
                                     "the report (CSV mode).")] = "had the outcome",
    as_of: AsOf = None,
    district: District = None,
    label: Outcome = "any_adverse",
    horizon_days: Horizon = 84,
    model_version: ModelVersion = None,
    mlflow_run: Annotated[str | None, Opt("--mlflow-run", help="Audit this run's "
                          "test_scores.csv and log the audit to the run.")] = None,
    mitigate_train: Annotated[Path | None, Opt("--mitigate-train", help="CSV mode: a training "
                              "list (same columns) to fit ThresholdOptimizer and "
                              "ExponentiatedGradient on, shown side by side.")] = None,
    mitigate_for: Annotated[str | None, Opt("--mitigate-for", help="Attribute to mitigate "
                            "for (default: the first of --groups).")] = None,
    groups: Groups = None,
    intersect: Intersect = None,
    top_pct: TopPct = None,
    threshold: Threshold = None,
    min_cell: MinCell = 10,
    band: Band = "0.8,1.25",
    reference: Reference = "largest",
    n_boot: NBoot = 1000,
    seed: Seed = 0,
    db: DbOption = None,
) -> None:
    """Audit a risk list: group metrics at the list size, disparities, suppression."""
    from edupulse.fairness import modes
    from edupulse.fairness.errors import AUDIT_ERRORS, message
    from edupulse.fairness.inputs import CsvColumns, csv_header
    from edupulse.fairness.options import build_settings
    from edupulse.privacy.guard import PiiFound

    if sum(x is not None for x in (scores, as_of, mlflow_run)) != 1:
        raise fail("give exactly one input: --scores FILE.csv, --as-of DATE or --mlflow-run ID")
    progress = sys.stderr.isatty()
    try:
        settings = build_settings(
            groups=groups, intersect=intersect or (), top_pct=top_pct, threshold=threshold,
            min_cell=min_cell, band=band, reference=reference, n_boot=n_boot, seed=seed,
            known_columns=csv_header(scores) if scores else None,
        )
        if scores is not None:
            wanted = dict.fromkeys([*settings.attributes,
                                    *(a for p in settings.intersections for a in p)])
            columns = CsvColumns(id_col, score_col, label_col, tuple(wanted))
            how = (modes.CsvMitigation(mitigate_train, mitigate_for)
                   if mitigate_train is not None else None)
            result = modes.audit_csv(scores, columns, settings, out, outcome=outcome_text,
                                     mitigation=how, progress=progress)
        else:
            s, engine = engine_for(db)
            if as_of is not None:
                result = modes.audit_database(
                    engine, as_of.date(), settings, out, outcome=label,
                    horizon_days=horizon_days, district=district, model_version=model_version,
                    tracking_uri=s.mlflow_tracking_uri, progress=progress).result
            else:
                assert mlflow_run is not None
                result = modes.audit_mlflow(engine, mlflow_run, settings, out,
                                            tracking_uri=s.mlflow_tracking_uri,
                                            progress=progress).result
    except AUDIT_ERRORS as exc:
        raise fail(message(exc)) from None
    except PiiFound as exc:
        raise fail(str(exc)) from None
    print_summary(result, out)


def print_summary(result, out: Path) -> None:  # type: ignore[no-untyped-def]
    from edupulse.fairness.summary import summarise

    for line in summarise(result).lines():
        typer.echo(line)
    typer.echo(f"audit written to {out}/ (group_metrics.csv, disparities.csv, suppressed.csv, "
               "audit.json)")
