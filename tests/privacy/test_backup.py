"""Backup and restore round-trip every table (row counts and checksums), on both backends."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from edupulse.db import migrate
from edupulse.db.models import ALL_TABLES
from edupulse.db.session import make_engine
from edupulse.privacy import backup as bk
from edupulse.privacy.checksums import table_digests
from tests.db import factories as f
from tests.privacy.seed import seed


@pytest.fixture
def target(empty_db_url: str):  # type: ignore[no-untyped-def]
    eng = make_engine(empty_db_url, poolclass=sa.pool.NullPool)
    yield eng
    eng.dispose()


def test_restore_into_an_empty_database_gives_back_every_row(
    engine: sa.Engine, target: sa.Engine, tmp_path: Path
) -> None:
    with engine.begin() as conn:
        seed(conn)
    before = table_digests(engine)
    manifest = bk.backup(engine, tmp_path / "nightly.backup")
    assert manifest.tables == before and manifest.revision == migrate.head_revision(engine)
    assert set(before) == {t.name for t in ALL_TABLES} | {"alembic_version"}
    assert all(before[t.name].rows > 0 for t in ALL_TABLES), before

    result = bk.restore(target, tmp_path / "nightly.backup")
    assert result.verified and result.mismatches == ()
    assert result.tables == before == table_digests(target)
    assert migrate.check(target).ok
    with target.begin() as conn:  # the audit triggers came back too
        s = f.add_student(conn)
        logged = conn.execute(sa.text("SELECT count(*) FROM audit_log WHERE table_name = "
                                      "'students' AND operation = 'INSERT'")).scalar_one()
    assert s and logged == before["students"].rows + 1


def test_a_changed_table_shows_up_as_a_mismatch(
    engine: sa.Engine, target: sa.Engine, tmp_path: Path
) -> None:
    with engine.begin() as conn:
        seed(conn, n=2)
    bk.backup(engine, tmp_path / "b.backup")
    manifest = bk.manifest_path(tmp_path / "b.backup")
    manifest.write_text(manifest.read_text().replace('"grades": {\n      "table": "grades",\n'
                                                     '      "rows": 2', '"grades": {\n      '
                                                     '"table": "grades",\n      "rows": 3'))
    assert bk.restore(target, tmp_path / "b.backup").mismatches == ("grades",)


def test_restore_refuses_a_database_that_has_tables(engine: sa.Engine, tmp_path: Path) -> None:
    with engine.begin() as conn:
        seed(conn, n=2)
    bk.backup(engine, tmp_path / "b.backup")
    before = table_digests(engine)
    with pytest.raises(bk.BackupError, match=r"already has tables \(.*\); restore into an empty"):
        bk.restore(engine, tmp_path / "b.backup")
    assert table_digests(engine) == before


def test_replace_overwrites_a_database_in_one_go(engine: sa.Engine, tmp_path: Path) -> None:
    with engine.begin() as conn:
        seed(conn, n=2)
    bk.backup(engine, tmp_path / "b.backup")
    saved = table_digests(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM grades")
    result = bk.restore(engine, tmp_path / "b.backup", replace=True)
    assert result.mismatches == () and table_digests(engine) == saved


def test_a_damaged_or_foreign_file_is_refused_and_nothing_changes(
    engine: sa.Engine, target: sa.Engine, tmp_path: Path
) -> None:
    with engine.begin() as conn:
        seed(conn, n=2)
    bk.backup(engine, tmp_path / "b.backup")
    data = (tmp_path / "b.backup").read_bytes()
    (tmp_path / "cut.backup").write_bytes(data[: len(data) // 2])
    with pytest.raises(bk.BackupError, match="cut.backup"):
        bk.restore(target, tmp_path / "cut.backup")
    assert sa.inspect(target).get_table_names() == []
    (tmp_path / "notes.txt").write_text("hello")
    backend = "PostgreSQL" if engine.dialect.name == "postgresql" else "SQLite"
    with pytest.raises(bk.BackupError, match=f"notes.txt: not a {backend} backup"):
        bk.restore(target, tmp_path / "notes.txt")
    with pytest.raises(bk.BackupError, match="missing.backup: no such backup file"):
        bk.restore(target, tmp_path / "missing.backup")


def test_a_failed_backup_leaves_no_partial_file(tmp_path: Path) -> None:
    engine = make_engine("postgresql+psycopg2://nobody:pw@127.0.0.1:1/none")
    with pytest.raises(bk.BackupError, match=r"pg_dump failed for .*\*\*\*@127.0.0.1:1/none"):
        bk.backup(engine, tmp_path / "b.backup")
    assert list(tmp_path.iterdir()) == []
