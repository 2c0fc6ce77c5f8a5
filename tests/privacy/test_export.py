"""Pseudonymised exports: keyed ids, no names or contacts, birth years, links kept, k-anonymity,
and a privacy scan that finds nothing in them."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from edupulse.db.models import Student
from edupulse.privacy import export as ex
from edupulse.privacy.scan import build_index, scan
from tests.db import factories as f
from tests.privacy.seed import FIRST, LAST, seed

KEY = b"0123456789abcdef-test-key"


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize(("env", "message"), [
    ({}, "EDUPULSE_PSEUDONYM_KEY is not set"),
    ({"EDUPULSE_PSEUDONYM_KEY": "short"}, "EDUPULSE_PSEUDONYM_KEY is too short"),
])
def test_no_export_without_a_proper_key(env: dict[str, str], message: str) -> None:
    with pytest.raises(ex.ExportError, match=message):
        ex.pseudonym_key(env)


def test_pseudonyms_are_stable_per_key_and_fit_the_column() -> None:
    a = ex.pseudonym("D01-000123", KEY)
    assert a == ex.pseudonym("D01-000123", KEY) and len(a) == 34 and a.startswith("P-")
    assert a != ex.pseudonym("D01-000123", b"another-key-of-16+") != ex.pseudonym("D01-1", KEY)


def test_export_keeps_links_and_drops_identity(engine: sa.Engine, tmp_path: Path) -> None:
    with engine.begin() as conn:
        seeded = seed(conn)
        sid = seeded.students["D01-000000"]
        f.insert(conn, f.MODELS["grade"], **f.grade(
            sid, course_id="ENG9", course_name="English (Ada Quartermaine's section)"))
        dobs = dict(conn.execute(sa.select(Student.district_id, Student.date_of_birth)).all())
    result = ex.export(engine, tmp_path / "out", KEY)
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == [
        "attendance.csv", "discipline.csv", "export-report.json", "grades.csv", "students.csv"]
    students = _read(out / "students.csv")
    assert list(students[0]) == list(ex.STUDENT_COLUMNS)
    assert result.rows == {"students.csv": 6, "attendance.csv": 24, "grades.csv": 7,
                           "discipline.csv": 6}
    by_pseudonym = {ex.pseudonym(d, KEY): d for d in seeded.students}
    for row in students:
        real = by_pseudonym[row["district_id"]]
        assert row["first_name"] == row["last_name"] == "Redacted" and row["parent_contact"] == ""
        assert row["date_of_birth"] == f"{dobs[real].year}-07-01"
        assert row["district_code"] == real[:3]
    for name in ("attendance.csv", "grades.csv", "discipline.csv"):
        assert {r["district_id"] for r in _read(out / name)} == set(by_pseudonym)
    grades = _read(out / "grades.csv")
    assert "English ([REDACTED]'s section)" in {g["course_name"] for g in grades}
    incidents = _read(out / "discipline.csv")
    assert {(i["description"], i["resolution"]) for i in incidents} == {("", "detention")}
    text = " ".join(p.read_text() for p in out.iterdir())
    for value in [*FIRST, *LAST, *seeded.students, "(555) 010-4507"]:
        assert value not in text, value
    assert scan([out], build_index(engine)).clean  # a pseudonymous export passes the scan
    report = json.loads((out / "export-report.json").read_text())
    assert report["key_id"] == ex.key_id(KEY) and report["students"] == 6


def test_min_k_suppresses_students_with_all_their_records(engine: sa.Engine,
                                                          tmp_path: Path) -> None:
    with engine.begin() as conn:
        seed(conn, n=6)  # birth years 2010, 2011, 2012: two students each
        conn.execute(sa.update(Student.__table__).values(
            gender="F", student_metadata={"district_code": "D01", "school_code": "HS"}))
        loner = f.add_student(conn, district_id="D03-000001",
                              student_metadata={"district_code": "D03", "school_code": "ES"})
        f.insert(conn, f.MODELS["attendance"], **f.attendance(loner["id"]))
    result = ex.export(engine, tmp_path / "out", KEY, min_k=2, max_suppressed=0.2)
    assert (result.before.k, result.before.below, result.after.k) == (1, 1, 2)
    assert (result.suppressed, result.students) == (1, 6)
    assert result.changes == ("1 students (14.3%) still in groups smaller than 2 suppressed: "
                              "they and all their records are left out",)
    kept = {r["district_id"] for r in _read(tmp_path / "out" / "students.csv")}
    assert ex.pseudonym("D03-000001", KEY) not in kept and len(kept) == 6
    assert {r["district_id"] for r in _read(tmp_path / "out" / "attendance.csv")} == kept
    report = json.loads((tmp_path / "out" / "export-report.json").read_text())
    assert report["suppressed_students"] == 1
    assert report["k_anonymity"]["changes"] == list(result.changes)


def test_export_refuses_a_folder_with_files_and_writes_nothing(engine: sa.Engine,
                                                               tmp_path: Path) -> None:
    out = tmp_path / "exports" / "out"
    out.mkdir(parents=True)
    (out / "keep.txt").write_text("mine")
    with pytest.raises(ex.ExportError, match="already exists and is not empty"):
        ex.export(engine, out, KEY)
    assert [p.name for p in out.parent.iterdir()] == ["out"]
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_gzip_export(engine: sa.Engine, tmp_path: Path) -> None:
    with engine.begin() as conn:
        seed(conn, n=2)
    result = ex.export(engine, tmp_path / "out", KEY, gz=True)
    assert set(result.rows) == {"students.csv.gz", "attendance.csv.gz", "grades.csv.gz",
                                "discipline.csv.gz"}
    assert (tmp_path / "out" / "students.csv.gz").exists()
    assert scan([tmp_path / "out"], build_index(engine)).clean
    assert dt.date.fromisoformat("2010-07-01")  # the documented birth-date convention parses


def _per_student(engine: sa.Engine) -> dict[str, tuple[int, int, int]]:
    """district_id -> (attendance, grades, incidents) rows."""
    s = Student.__table__
    out = {}
    with engine.connect() as conn:
        for table in ("attendance_records", "grades", "discipline_incidents"):
            rows = conn.execute(sa.text(
                f"SELECT s.district_id, count(t.student_id) FROM students s "
                f"LEFT JOIN {table} t ON t.student_id = s.id GROUP BY s.district_id")).all()
            for district_id, n in rows:
                out.setdefault(district_id, []).append(n)
        assert len(out) == conn.execute(sa.select(sa.func.count()).select_from(s)).scalar_one()
    return {k: tuple(v) for k, v in out.items()}


def test_an_export_loads_into_a_fresh_database_with_the_same_rows_and_links(
    engine: sa.Engine, empty_db_url: str, tmp_path: Path
) -> None:
    from edupulse.data.pipeline import load_directory
    from edupulse.db import migrate
    from edupulse.db.session import make_engine

    with engine.begin() as conn:
        seed(conn)
    ex.export(engine, tmp_path / "export", KEY)
    research = make_engine(empty_db_url, poolclass=sa.pool.NullPool)
    migrate.upgrade(research)
    report = load_directory(research, tmp_path / "export")
    assert report.committed and report.clean, report.rejects.to_string()
    source = {ex.pseudonym(d, KEY): counts for d, counts in _per_student(engine).items()}
    assert _per_student(research) == source
    with research.connect() as conn:
        names = set(conn.execute(sa.select(Student.first_name, Student.last_name)).all())
        assert names == {("Redacted", "Redacted")}
        # the load is in the research database's history, one entry per student and table
        history = conn.execute(sa.text(
            "SELECT table_name, count(*), sum(row_count) FROM audit_log "
            "WHERE operation = 'INSERT' GROUP BY table_name ORDER BY table_name")).all()
    research.dispose()
    assert [tuple(r) for r in history] == [("attendance_records", 6, 24),
                                           ("discipline_incidents", 6, 6), ("grades", 6, 6),
                                           ("students", 6, 6)]
