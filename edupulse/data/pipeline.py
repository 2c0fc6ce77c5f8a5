"""One `edupulse load`: read, validate and write every file of an export in one transaction.

Students come first, so child files can refer to students of the same load; district_ids are
resolved against this load's valid students plus the database, read once under the load's
lock. Whatever goes wrong part-way (a database error, a kill, --strict finding an invalid row)
rolls the whole transaction back, so every table is as it was before the load. Rejected rows go
to a CSV as soon as each file is validated, so they are kept even when the load fails.
"""

from __future__ import annotations

import csv
import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy.engine import Connection, Engine

from edupulse.config import mask_url
from edupulse.data.ingest import begin_load, known_students, write_file
from edupulse.data.load import FileError, ProgressFn, find_file, read_file
from edupulse.data.profiles import STANDARD, Profile
from edupulse.data.schemas import FILE_NAMES, SCHEMAS, STUDENTS
from edupulse.data.validate import REJECT_COLUMNS, StudentRefs, ValidatedFile, validate
from edupulse.db import migrate

LogFn = Callable[[str], None]


class LoadError(Exception):
    """The load could not run at all (nothing to load, schema not migrated); nothing changed."""


@dataclass(frozen=True)
class FileResult:
    name: str  # students, attendance, grades, discipline
    file: str | None  # the file read; None when the export has no such file
    read: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    error: str | None = None  # the file was stopped: nothing of it was loaded
    notes: tuple[str, ...] = ()
    seconds: float = 0.0


@dataclass(frozen=True)
class LoadReport:
    directory: Path
    files: tuple[FileResult, ...]
    committed: bool
    strict: bool
    rejects_path: Path | None  # written only when some row was rejected
    rejects: pd.DataFrame = field(repr=False)  # the first problems of each file, for display

    @property
    def rejected(self) -> int:
        return sum(f.rejected for f in self.files)

    @property
    def stopped(self) -> tuple[FileResult, ...]:
        return tuple(f for f in self.files if f.error)

    @property
    def clean(self) -> bool:
        return not self.rejected and not self.stopped


class _StrictAbort(Exception):
    """Raised inside the transaction to roll back a --strict load that found invalid rows."""


class _RejectsWriter:
    """Appends rejects to one CSV, created on the first rejected row."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.written = 0

    def add(self, rejects: pd.DataFrame) -> None:
        if self.path is None or rejects.empty:
            return
        first = self.written == 0
        if first:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        rejects.to_csv(self.path, mode="w" if first else "a", header=first, index=False,
                       columns=REJECT_COLUMNS, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        self.written += len(rejects)


def _notes(v: ValidatedFile) -> tuple[str, ...]:
    notes = []
    if v.absent_columns:
        notes.append(f"columns not in the file, stored empty: {', '.join(v.absent_columns)}")
    if v.ignored_columns:
        notes.append(f"columns not in the layout, ignored: {', '.join(v.ignored_columns)}")
    return tuple(notes)


def load_directory(
    engine: Engine,
    directory: Path,
    profile: Profile = STANDARD,
    *,
    strict: bool = False,
    rejects_path: Path | None = None,
    progress: ProgressFn | None = None,
    log: LogFn | None = None,
) -> LoadReport:
    """Load every input file found in `directory`; see the module docstring."""
    say = log or (lambda _msg: None)
    if migrate.current_revision(engine) != migrate.head_revision(engine):
        raise LoadError(f"{mask_url(str(engine.url))}: the schema is not at the newest revision; "
                        f"run `edupulse db upgrade` first")
    paths = {n: find_file(directory, n, profile.settings(n)) for n in FILE_NAMES}
    if not any(paths.values()):
        expected = ", ".join(f"{n}.csv" for n in FILE_NAMES)
        raise LoadError(f"{directory}: no input files found (expected some of {expected}, "
                        f"optionally .gz, or the file names a profile gives)")
    rejects = _RejectsWriter(rejects_path)
    shown: list[pd.DataFrame] = []
    results: list[FileResult] = []
    committed = False
    try:
        with engine.begin() as conn:
            begin_load(conn)
            known = known_students(conn)
            refs = StudentRefs(known, pd.Series(dtype="int64"))
            for name in FILE_NAMES:
                path = paths[name]
                if path is None:
                    results.append(FileResult(name, None, notes=("no such file: skipped",)))
                    continue
                hold = strict and any(r.rejected or r.error for r in results)
                result, validated = _one_file(conn, name, path, profile, refs, hold, strict,
                                              progress, say)
                results.append(result)
                if validated is not None:
                    rejects.add(validated.rejects)
                    shown.append(validated.rejects.head(5))
                if name == STUDENTS.name:
                    refs = _refs_after_students(known, validated, path)
            if strict and any(r.rejected or r.error for r in results):
                raise _StrictAbort
            say("committing")
        committed = True
        _analyze(engine, results, say)
    except _StrictAbort:
        say("--strict: invalid rows found, nothing loaded")
    shown_frame = (pd.concat(shown, ignore_index=True) if shown
                   else pd.DataFrame(columns=REJECT_COLUMNS))
    if not committed:
        results = [FileResult(r.name, r.file, r.read, 0, 0, 0, r.rejected, r.error, r.notes,
                              r.seconds) for r in results]
    return LoadReport(directory, tuple(results), committed, strict,
                      rejects.path if rejects.written else None, shown_frame)


def _analyze(engine: Engine, results: list[FileResult], say: Callable[[str], None]) -> None:
    """PostgreSQL: fresh planner statistics for the tables this load wrote, after the commit.
    Autovacuum gathers them in time where it runs (not everywhere: some servers turn it off),
    and the feature build that usually follows a load should not plan its scans of millions
    of new rows from no statistics at all."""
    if engine.dialect.name != "postgresql":
        return
    tables = [SCHEMAS[r.name].table for r in results if r.new or r.updated]
    if not tables:
        return
    say(f"updating planner statistics of {', '.join(tables)}")
    with engine.begin() as conn:
        for table in tables:
            conn.exec_driver_sql(f"ANALYZE {table}")


def default_rejects_path(home: Path, directory: Path) -> Path:
    """$EDUPULSE_HOME/rejects/<folder>-<time>.csv, never an earlier load's file."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    base = home / "rejects" / f"{directory.resolve().name}-{stamp}"
    path, n = base.with_suffix(".csv"), 1
    while path.exists():
        n += 1
        path = base.parent / f"{base.name}-{n}.csv"
    return path


def _refs_after_students(known: pd.Index, validated: ValidatedFile | None,
                         path: Path) -> StudentRefs:
    if validated is None:  # students file stopped: children may only use known students
        return StudentRefs(known, pd.Series(dtype="int64"), path.name)
    loaded = pd.Index(validated.valid["district_id"].astype("str"), dtype="str")
    rejected = validated.rejected_ids[~validated.rejected_ids.index.isin(loaded)]
    return StudentRefs(known.union(loaded), rejected, path.name)


def _one_file(conn: Connection, name: str, path: Path, profile: Profile, refs: StudentRefs,
              hold: bool, strict: bool, progress: ProgressFn | None,
              say: LogFn) -> tuple[FileResult, ValidatedFile | None]:
    """Read, validate and write one file; a --strict load stops writing at the first reject
    (`hold`), since it will be rolled back anyway."""
    start = time.perf_counter()
    schema, settings = SCHEMAS[name], profile.settings(name)
    try:
        raw = read_file(path, schema, settings, progress)
    except FileError as exc:
        say(f"{path.name}: stopped: {exc}")
        return FileResult(name, path.name, error=str(exc),
                          seconds=time.perf_counter() - start), None
    validated = validate(raw, schema, settings, None if schema is STUDENTS else refs)
    say(f"{path.name}: {validated.rows_read:,} rows read, {validated.rejected_rows:,} rejected")
    counts = None
    hold = hold or (strict and validated.rejected_rows > 0)
    if not hold and not validated.valid.empty:
        counts = write_file(conn, validated, progress, say)
    return FileResult(
        name, path.name, read=validated.rows_read,
        new=counts.new if counts else 0,
        updated=counts.updated if counts else 0,
        unchanged=counts.unchanged if counts else 0,
        rejected=validated.rejected_rows, notes=_notes(validated),
        seconds=time.perf_counter() - start,
    ), validated


def summary_lines(report: LoadReport) -> list[str]:
    """The per-file summary a person reads after a load; never shows names or contacts."""
    head = ("file", "read", "new", "updated", "unchanged", "rejected", "seconds")
    rows = [head]
    for r in report.files:
        if r.file is None:
            continue
        rows.append((r.file, *(f"{n:,}" for n in (r.read, r.new, r.updated, r.unchanged,
                                                     r.rejected)), f"{r.seconds:.1f}"))
    width = max(len(r[0]) for r in rows)
    lines = [f"{r[0]:<{width}}" + "".join(f"{c:>12}" for c in r[1:]) for r in rows]
    for r in report.files:
        if r.error:
            lines.append(f"STOPPED {r.error}")
        lines.extend(f"note: {r.file or r.name}: {n}" for n in r.notes)
    if report.rejects_path is not None:
        lines.append(f"rejected rows: {report.rejected:,}, details in {report.rejects_path}")
        for p in report.rejects.itertuples(index=False):
            lines.append(f"  {p.file} line {p.line}, {p.field} = {p.value!r}: {p.reason}")
    if report.committed:
        lines.append("committed" + ("" if report.clean else " (valid rows only)"))
    else:
        lines.append("nothing loaded: --strict and some rows are invalid; fix them or drop "
                     "--strict to load the valid rows")
    return lines
