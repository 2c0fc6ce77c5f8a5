"""Privacy and security commands: `privacy scan`, `export`, `db secure`, `audit-log`,
`retention apply`, `backup`, `restore` (docs/privacy.md). Each calls into edupulse.privacy."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import sqlalchemy as sa
import typer

from edupulse.cli.common import DbOption, engine_for, fail

privacy_app = typer.Typer(help="Check files for student PII.", no_args_is_help=True)
retention_app = typer.Typer(help="Apply data-retention policies.", no_args_is_help=True)


def register(root: typer.Typer) -> None:
    from edupulse.cli.db import app as db_app

    root.add_typer(privacy_app, name="privacy")
    root.add_typer(retention_app, name="retention")
    root.command("export")(export)
    root.command("audit-log")(audit_log)
    root.command("backup")(backup)
    root.command("restore")(restore)
    db_app.command("secure")(secure)


@contextmanager
def _errors(safe_url: str) -> Iterator[None]:
    """Database and input errors as one clear line; the URL is shown without its password."""
    from edupulse.privacy.backup import BackupError
    from edupulse.privacy.export import ExportError
    from edupulse.privacy.retention import PolicyError

    try:
        yield
    except sa.exc.OperationalError as exc:
        first = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise fail(f"cannot use the database {safe_url}: {first}") from None
    except sa.exc.ProgrammingError as exc:
        first = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise fail(f"{safe_url}: {first} (is the schema created? `edupulse db upgrade`)") \
            from None
    except (BackupError, ExportError, PolicyError, FileNotFoundError, ValueError) as exc:
        raise fail(str(exc)) from None


@privacy_app.command("scan")
def scan(
    paths: Annotated[list[Path] | None, typer.Argument(
        help="Files or folders (default: MLflow artifacts, runs, reports, exports in "
             "$EDUPULSE_HOME).", show_default=False)] = None,
    db: DbOption = None,
) -> None:
    """Exit 1 when a student's name, contact, date of birth or SIS id is in PATHS."""
    from edupulse.privacy.progress import counter
    from edupulse.privacy.scan import build_index, default_roots
    from edupulse.privacy.scan import scan as run_scan

    s, engine = engine_for(db)
    roots = list(paths or default_roots(s))
    if not roots:
        typer.echo(f"nothing to scan: no publishing folders under {s.home}")
        return
    with _errors(s.safe_database_url), counter() as progress:
        index = build_index(engine)
        if not index.students:
            typer.secho(f"warning: {s.safe_database_url} has no students to look for",
                        err=True, fg=typer.colors.YELLOW)
        result = run_scan(roots, index, progress)
    for finding in result.findings:
        typer.echo(str(finding))
    skipped = f"; {len(result.skipped)} skipped (images, PDFs, binary data files): " \
        f"{', '.join(result.skipped[:5])}" if result.skipped else ""
    if result.findings:
        files = len({f.path for f in result.findings})
        typer.echo(f"{len(result.findings)} finding(s) in {files} of {result.files} files{skipped}")
        raise typer.Exit(1)
    typer.echo(f"clean: no student identifiers in {result.files} files "
               f"({index.students} students checked){skipped}")


def export(
    out: Annotated[Path, typer.Option("--out", help="A new folder for the export.")],
    min_k: Annotated[int | None, typer.Option(
        "--min-k", help="Generalise/suppress until every group has at least K students.")] = None,
    max_suppress: Annotated[float, typer.Option(
        "--max-suppress", help="Share of students that may be suppressed.")] = 0.05,
    gzip: Annotated[bool, typer.Option("--gzip", help="Write .csv.gz files.")] = False,
    db: DbOption = None,
) -> None:
    """Write a pseudonymised research export (needs EDUPULSE_PSEUDONYM_KEY)."""
    from edupulse.privacy import export as ex
    from edupulse.privacy.progress import counter

    s, engine = engine_for(db)
    with _errors(s.safe_database_url), counter() as progress:
        key = ex.pseudonym_key()
        result = ex.export(engine, out, key, min_k=min_k, max_suppressed=max_suppress, gz=gzip,
                           progress=progress)
    typer.echo("k-anonymity over school, grade level, gender, ethnicity, birth year:")
    typer.echo(f"  before: {result.before.describe()}")
    for change in result.changes:
        typer.echo(f"  - {change}")
    typer.echo(f"  after:  {result.after.describe()}")
    files = ", ".join(f"{name} {n:,}" for name, n in result.rows.items())
    typer.echo(f"wrote {result.out}: {files} rows (key id {result.key_id})")


def secure(
    district_role: Annotated[list[str] | None, typer.Option(
        "--district-role", help="CODE=ROLE: members of ROLE see district CODE (repeatable).",
        show_default=False)] = None,
    db: DbOption = None,
) -> None:
    """Create district roles and row-level security policies (PostgreSQL; idempotent)."""
    from edupulse.privacy import rls

    s, engine = engine_for(db)
    with _errors(s.safe_database_url):
        roles = [rls.DistrictRole.parse(text) for text in district_role or []]
        result = rls.secure(engine, roles)
    if not result.supported:
        typer.echo(f"{s.safe_database_url}: {result.message}")
        return
    typer.echo(f"{s.safe_database_url}: {result.message}")
    typer.echo(f"  tables: {', '.join(result.tables)}")
    for mapping in result.district_roles:
        typer.echo(f"  district {mapping.district_code}: role {mapping.role}")


def audit_log(
    student: Annotated[str, typer.Option("--student", help="The student's SIS district_id.")],
    db: DbOption = None,
) -> None:
    """Show one student's history of changes."""
    from edupulse.privacy import audit_log as al

    s, engine = engine_for(db)
    with _errors(s.safe_database_url), engine.connect() as conn:
        try:
            history = al.student_history(conn, al.student_id_for(conn, student))
        except al.UnknownStudent as exc:
            raise fail(str(exc), code=1) from None
    typer.echo(f"{'when (UTC)':<23} {'table':<20} {'operation':<9} {'rows':>6}  changed columns")
    for e in history.entries:
        when = e.changed_at.astimezone(dt.UTC) if e.changed_at.tzinfo else e.changed_at
        cols = ", ".join(e.changed_columns) if e.changed_columns else \
            {"INSERT": "(new)", "DELETE": "(deleted)"}.get(e.operation, "")
        actor = f"  by {e.actor}" if e.actor else ""
        typer.echo(f"{when:%Y-%m-%d %H:%M:%S}     {e.table_name:<20} {e.operation:<9} "
                   f"{e.row_count:>6}  {cols}{actor}")
    typer.echo(f"{len(history.entries)} entries")


@retention_app.command("apply")
def retention_apply(
    policy: Annotated[Path, typer.Option("--policy", help="The retention policy (YAML).")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only count.")] = False,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Measure ages from this date (default: the policy's, else today).",
        show_default=False)] = None,
    db: DbOption = None,
) -> None:
    """Delete or anonymise records older than the policy's periods; prints counts first."""
    from edupulse.privacy import retention as rt

    s, engine = engine_for(db)
    with _errors(s.safe_database_url):
        day = dt.date.fromisoformat(as_of) if as_of else None
        rules = rt.load_policy(policy)
        with engine.connect() as conn:
            steps = rt.plan(conn, rules, day)
        for step in steps:
            typer.echo(step.describe())
        if dry_run:
            typer.echo("dry run: nothing changed")
            return
        done = rt.apply(engine, steps)
    typer.echo(f"applied in one transaction: {sum(done.values()):,} rows changed")


def backup(
    out: Annotated[Path, typer.Option("--out", help="The backup file to write.")],
    db: DbOption = None,
) -> None:
    """Back up the whole database (pg_dump custom format / SQLite backup API)."""
    from edupulse.privacy import backup as bk
    from edupulse.privacy.progress import counter

    s, engine = engine_for(db)
    with _errors(s.safe_database_url), counter() as progress:
        manifest = bk.backup(engine, out, lambda t, n: progress(f"checksum {t}", n, None))
    rows = sum(d.rows for d in manifest.tables.values())
    typer.echo(f"backed up {s.safe_database_url} (revision {manifest.revision}) to {out}: "
               f"{len(manifest.tables)} tables, {rows:,} rows")
    typer.echo(f"manifest: {bk.manifest_path(out.expanduser().absolute())}")


def restore(
    file: Annotated[Path, typer.Argument(help="A file written by `edupulse backup`.")],
    replace: Annotated[bool, typer.Option(
        "--replace", help="Overwrite a database that already has tables.")] = False,
    db: DbOption = None,
) -> None:
    """Restore a backup into an empty database and check it against its manifest."""
    from edupulse.privacy import backup as bk
    from edupulse.privacy.progress import counter

    s, engine = engine_for(db)
    with _errors(s.safe_database_url), counter() as progress:
        result = bk.restore(engine, file, replace=replace,
                            progress=lambda t, n: progress(f"checksum {t}", n, None))
    rows = sum(d.rows for d in result.tables.values())
    typer.echo(f"restored {file} into {s.safe_database_url}: {len(result.tables)} tables, "
               f"{rows:,} rows")
    if not result.verified:
        typer.echo("no manifest beside the backup: row counts and checksums not compared")
    elif result.mismatches:
        raise fail(f"differs from the manifest: {', '.join(result.mismatches)}", code=1)
    else:
        typer.echo("verified: every table's row count and checksum equal the manifest")
