"""`edupulse backup` / `edupulse restore`: pg_dump / pg_restore (custom format) on PostgreSQL,
SQLite's online backup API on SQLite.

A backup is written to a temporary file beside FILE and renamed only when complete, with a
manifest FILE.manifest.json (schema revision, row counts and checksums of every table). A restore
goes into an empty database (or replaces one with `replace=True`) in one transaction: it either
completes or leaves the target as it was; then the restored tables are checked against the
manifest. Passwords reach pg_dump through PGPASSWORD, never the command line.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
from collections.abc import Callable
from contextlib import closing
from dataclasses import asdict, dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from edupulse.db import migrate
from edupulse.privacy.checksums import TableDigest, table_digests
from edupulse.privacy.rls import APP_ROLE, TENANT_ROLE

PG_BIN = Path(os.environ.get("EDUPULSE_PG_BIN", "/usr/bin"))
PG_MAGIC, SQLITE_MAGIC = b"PGDMP", b"SQLite format 3\x00"

NOT_EMPTY = ("{target} already has tables ({tables}); restore into an empty database, "
             "or pass --replace to overwrite it")
WRONG_FORMAT = "{file}: not a {backend} backup (expected {expected})"
Progress = Callable[[str, int], None]


class BackupError(RuntimeError):
    pass


@dataclass(frozen=True)
class Manifest:
    backend: str
    revision: str | None
    created_at: str
    tables: dict[str, TableDigest]

    def to_json(self) -> str:
        data = asdict(self)
        data["tables"] = {k: asdict(v) for k, v in self.tables.items()}
        return json.dumps(data, indent=2)

    @classmethod
    def read(cls, path: Path) -> Manifest:
        data = json.loads(path.read_text())
        data["tables"] = {k: TableDigest(**v) for k, v in data["tables"].items()}
        return cls(**data)


@dataclass(frozen=True)
class RestoreResult:
    tables: dict[str, TableDigest]
    mismatches: tuple[str, ...]  # tables whose rows or checksum differ from the manifest
    verified: bool  # a manifest was found and compared


def manifest_path(file: Path) -> Path:
    return file.with_name(file.name + ".manifest.json")


def backup(engine: sa.Engine, out: Path, progress: Progress | None = None) -> Manifest:
    """Write a complete backup of `engine`'s database to `out` and its manifest beside it."""
    out = out.expanduser().absolute()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.partial")
    try:
        if engine.dialect.name == "postgresql":
            _run([str(PG_BIN / "pg_dump"), "--format=custom", f"--file={tmp}", "--dbname",
                  _conninfo(engine)], engine)
        else:
            with closing(_sqlite(engine)) as src, closing(sqlite3.connect(tmp)) as dst:
                src.backup(dst)
        manifest = Manifest(engine.dialect.name, migrate.current_revision(engine),
                            dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                            table_digests(engine, progress))
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    manifest_path(out).write_text(manifest.to_json())
    return manifest


def restore(engine: sa.Engine, file: Path, *, replace: bool = False,
            progress: Progress | None = None) -> RestoreResult:
    """Restore `file` into `engine`'s database, then compare with the manifest if there is one."""
    file = file.expanduser().absolute()
    pg = engine.dialect.name == "postgresql"
    _check_format(file, pg)
    existing = sorted(sa.inspect(engine).get_table_names())
    if existing and not replace:
        raise BackupError(NOT_EMPTY.format(target=_safe(engine), tables=", ".join(existing[:5])))
    if pg:
        _ensure_group_roles(engine)
        args = [str(PG_BIN / "pg_restore"), "--single-transaction", "--exit-on-error",
                "--no-owner", "--dbname", _conninfo(engine)]
        if replace and existing:
            args += ["--clean", "--if-exists"]
        _run([*args, str(file)], engine, f"{file} into ")
    else:
        with closing(sqlite3.connect(f"file:{file}?mode=ro", uri=True)) as src:
            _check_sqlite_backup(src, file)
            with closing(_sqlite(engine)) as dst:
                src.backup(dst)
    engine.dispose()  # connections opened before the restore saw the old schema
    digests = table_digests(engine, progress)
    mpath = manifest_path(file)
    if not mpath.exists():
        return RestoreResult(digests, (), False)
    expected = Manifest.read(mpath).tables
    bad = tuple(sorted(t for t in expected.keys() | digests.keys()
                       if expected.get(t) != digests.get(t)))
    return RestoreResult(digests, bad, True)


def _check_format(file: Path, pg: bool) -> None:
    if not file.is_file():
        raise BackupError(f"{file}: no such backup file")
    with file.open("rb") as fh:
        head = fh.read(16)
    magic, backend, expected = ((PG_MAGIC, "PostgreSQL", "a pg_dump custom-format file") if pg
                                else (SQLITE_MAGIC, "SQLite", "an SQLite database file"))
    if not head.startswith(magic):
        raise BackupError(WRONG_FORMAT.format(file=file, backend=backend, expected=expected))


def _check_sqlite_backup(src: sqlite3.Connection, file: Path) -> None:
    """Refuse a damaged file before a single page is copied over the target."""
    try:
        ok = src.execute("PRAGMA quick_check").fetchone()[0]
        src.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{file}: not a usable EduPulse SQLite backup ({exc})") from None
    if ok != "ok":
        raise BackupError(f"{file}: damaged SQLite backup ({ok})")


def _sqlite(engine: sa.Engine) -> sqlite3.Connection:
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return sqlite3.connect(database)


def _conninfo(engine: sa.Engine) -> str:
    """A libpq connection string without the password."""
    u = make_url(engine.url.render_as_string(hide_password=False))
    parts = {"host": u.host, "port": u.port, "user": u.username, "dbname": u.database,
             **{k: v for k, v in u.query.items() if isinstance(v, str)}}
    return " ".join(f"{k}='{_quote(str(v))}'" for k, v in parts.items() if v is not None)


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


def _run(args: list[str], engine: sa.Engine, what: str = "") -> None:
    env = dict(os.environ)
    password = make_url(engine.url.render_as_string(hide_password=False)).password
    if password:
        env["PGPASSWORD"] = str(password)
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tool = Path(args[0]).name
        detail = done.stderr.strip().replace(str(password), "***") if password else \
            done.stderr.strip()
        raise BackupError(f"{tool} failed for {what}{_safe(engine)}: {detail}")


def _ensure_group_roles(engine: sa.Engine) -> None:
    """Policies in a secured backup name these roles; a fresh cluster may not have them yet."""
    with engine.begin() as conn:
        for role in (TENANT_ROLE, APP_ROLE):
            conn.exec_driver_sql(f"""DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = '{role}') THEN
        CREATE ROLE {role} NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation OR insufficient_privilege THEN NULL;
END $$""")


def _safe(engine: sa.Engine) -> str:
    return engine.url.render_as_string(hide_password=True)
