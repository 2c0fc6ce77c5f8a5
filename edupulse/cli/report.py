"""`edupulse report equity`: the equity report for district staff (HTML, prints to PDF)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.engine import Engine

from edupulse.cli.audit import (
    AsOf,
    Band,
    District,
    Groups,
    Horizon,
    Intersect,
    MinCell,
    ModelVersion,
    NBoot,
    Outcome,
    Reference,
    Seed,
    Threshold,
    TopPct,
)
from edupulse.cli.common import DbOption, engine_for, fail

Opt = typer.Option
app = typer.Typer(help="Reports for district staff.", no_args_is_help=True)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="report")


@app.command()
def equity(
    out: Annotated[Path, Opt("--out", help="Folder for equity-report.html (and the audit).")],
    audit_dir: Annotated[Path | None, Opt("--audit-dir", help="Report a saved audit "
                         "(edupulse audit --out DIR); needs no database.")] = None,
    as_of: AsOf = None,
    district: District = None,
    per_district: Annotated[bool, Opt("--per-district", help="One report per district, "
                            "in OUT/<district>/.")] = False,
    label: Outcome = "any_adverse",
    horizon_days: Horizon = 84,
    model_version: ModelVersion = None,
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
    """Write the equity report for an as-of date (database) or for a saved audit."""
    from edupulse.fairness.errors import AUDIT_ERRORS, message
    from edupulse.fairness.options import build_settings
    from edupulse.privacy.guard import PiiFound
    from edupulse.reporting import build

    if (audit_dir is None) == (as_of is None):
        raise fail("give exactly one of --as-of DATE (database) or --audit-dir DIR")
    if district and per_district:
        raise fail("give --district CODE or --per-district, not both")
    try:
        if audit_dir is not None:
            paths = [build.equity_from_audit_dir(audit_dir, out, guard=_guard(db))]
        else:
            assert as_of is not None
            settings = build_settings(
                groups=groups, intersect=intersect or (), top_pct=top_pct,
                threshold=threshold, min_cell=min_cell, band=band, reference=reference,
                n_boot=n_boot, seed=seed)
            s, engine = engine_for(db)
            paths = build.equity_from_database(
                engine, as_of.date(), settings, out, district=district,
                per_district=per_district, outcome=label, horizon_days=horizon_days,
                model_version=model_version, tracking_uri=s.mlflow_tracking_uri,
                progress=sys.stderr.isatty())
    except AUDIT_ERRORS as exc:
        raise fail(message(exc)) from None
    except PiiFound as exc:
        raise fail(str(exc)) from None
    for path in paths:
        typer.echo(f"equity report: {path}")


def _guard(db: str | None) -> Engine | None:
    """A saved audit needs no database; when one is there (--db, EDUPULSE_DATABASE_URL or the
    embedded file), the report is scanned against its students before it is published."""
    from edupulse.cli.common import settings
    from edupulse.config import default_sqlite_url
    from edupulse.db.session import make_engine

    s = settings(db)  # no engine yet: make_engine would create $EDUPULSE_HOME
    if s.database_url == default_sqlite_url(s.home) and not (s.home / "edupulse.db").is_file():
        return None
    return make_engine(s.database_url)
