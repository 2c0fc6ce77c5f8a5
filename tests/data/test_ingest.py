"""Writing loads to the database, on SQLite and PostgreSQL: rows as in the files, idempotent,
incremental, atomic, --strict, and what rejected or stopped files leave behind."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from edupulse.data.pipeline import LoadReport, load_directory
from edupulse.db.models import Student
from tests.data.load_helpers import FIXTURES, copy_fixture, snapshot, table_rows
from tests.db import factories as f


def counts(report: LoadReport) -> dict[str, tuple[int, int, int, int, int]]:
    return {r.name: (r.read, r.new, r.updated, r.unchanged, r.rejected)
            for r in report.files if r.file}


def updated_at(engine: sa.Engine) -> dict[str, dt.datetime]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(Student.district_id, Student.updated_at)).all()
    return dict(rows)  # type: ignore[arg-type]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_standard_files_load_as_written(engine: sa.Engine) -> None:
    report = load_directory(engine, FIXTURES / "standard")
    assert report.committed and report.clean and report.rejects_path is None
    assert counts(report) == {"students": (3, 3, 0, 0, 0), "attendance": (8, 8, 0, 0, 0),
                              "grades": (4, 4, 0, 0, 0), "discipline": (3, 3, 0, 0, 0)}
    with engine.connect() as conn:
        students = table_rows(conn, "students")
        attendance = table_rows(conn, "attendance_records")
        discipline = table_rows(conn, "discipline_incidents")
        grades = table_rows(conn, "grades")
    assert students[2][:6] == ("S003", "Chloé", "Nguyen", 11, "2008-11-30", "X")
    assert students[2][8:] == (2.5, 0.81, "(555) 010-0003", "2023-08-21",
                               '{"district_code": "D02", "exit_code": "dropout", '
                               '"exit_date": "2025-01-17", "school_code": "D02-HS1"}')
    assert students[1][8] is None  # empty gpa
    assert students[0][-1] == '{"district_code": "D01", "school_code": "D01-HS1"}'
    assert ("S002", "2024-08-26", "present", None) in attendance
    assert ("S001", "2024-08-26", "tardy", 2) in attendance
    assert ("S001", "ENG9", "English 9", 71.0, "C", "2024-09-06", None) in grades
    assert ("S001", "2024-09-10", 2, "disruption", "Talked over the teacher, twice.\n"
            "Parent called.", "Detention") in discipline
    assert ("S003", "2024-09-12", None, None, "Unrecorded incident", None) in discipline


def test_loading_the_same_files_again_changes_nothing(engine: sa.Engine) -> None:
    load_directory(engine, FIXTURES / "standard")
    before = snapshot(engine)
    time.sleep(0.01)
    again = load_directory(engine, FIXTURES / "standard")
    assert counts(again) == {"students": (3, 0, 0, 3, 0), "attendance": (8, 0, 0, 8, 0),
                             "grades": (4, 0, 0, 4, 0), "discipline": (3, 0, 0, 3, 0)}
    assert snapshot(engine) == before  # every column, ids, timestamps and the audit log


def test_reexport_updates_changed_rows_and_adds_new_ones(engine: sa.Engine,
                                                          tmp_path: Path) -> None:
    load_directory(engine, FIXTURES / "standard")
    first = updated_at(engine)
    time.sleep(0.01)
    week2 = copy_fixture("standard", tmp_path)
    edit(week2 / "students.csv", "S001,Ada,Lovelace,9,2010-05-01,F,White,low,3.1,",
         "S001,Ada,Lovelace,9,2010-05-01,F,White,low,3.3,")
    edit(week2 / "students.csv", "D02,D02-HS1,2025-01-17,dropout\n",
         "D02,D02-HS1,2025-01-17,dropout\nS004,Dev,Patel,10,2009-07-07,M,Asian,middle,3.0,"
         "0.97,(555) 010-0004,2024-08-26,D01,D01-HS1,,\n")
    edit(week2 / "attendance.csv", "S001,2024-08-27,absent,1", "S001,2024-08-27,excused,1")
    edit(week2 / "attendance.csv", "S003,2024-08-26,absent,2\n",
         "S003,2024-08-26,absent,2\nS004,2024-08-28,present,1\nS001,2024-08-28,present,1\n")
    edit(week2 / "grades.csv", "S003,HIST11,US History,55,F", "S003,HIST11,US History,65,D")
    report = load_directory(engine, week2)
    assert counts(report) == {"students": (4, 1, 1, 2, 0), "attendance": (10, 2, 1, 7, 0),
                              "grades": (4, 0, 1, 3, 0), "discipline": (3, 0, 0, 3, 0)}
    second = updated_at(engine)
    assert second["S001"] > first["S001"]
    assert second["S002"] == first["S002"] and second["S003"] == first["S003"]
    with engine.connect() as conn:
        assert ("S001", "2024-08-27", "excused", 1) in table_rows(conn, "attendance_records")
        assert ("S003", "HIST11", "US History", 65.0, "D", "2024-09-13", "quiz") in \
            table_rows(conn, "grades")
        assert conn.execute(sa.text("SELECT count(*) FROM attendance_records")).scalar() == 10


def test_metadata_keeps_foreign_keys_and_drops_emptied_ones(engine: sa.Engine,
                                                           tmp_path: Path) -> None:
    with engine.begin() as conn:
        f.add_student(conn, district_id="S003", first_name="Chloé", last_name="Nguyen",
                      student_metadata={"case_worker": "T. Ruiz", "school_code": "OLD"})
    load_directory(engine, FIXTURES / "standard")
    week2 = copy_fixture("standard", tmp_path)
    edit(week2 / "students.csv", "D02,D02-HS1,2025-01-17,dropout", "D02,D02-HS1,,")
    report = load_directory(engine, week2)
    assert counts(report)["students"] == (3, 0, 1, 2, 0)
    with engine.connect() as conn:
        meta = conn.execute(sa.select(Student.student_metadata)
                            .where(Student.district_id == "S003")).scalar_one()
    assert meta == {"case_worker": "T. Ruiz", "district_code": "D02", "school_code": "D02-HS1"}


def test_child_files_may_refer_to_students_already_stored(engine: sa.Engine,
                                                          tmp_path: Path) -> None:
    load_directory(engine, FIXTURES / "standard")
    week = tmp_path / "attendance-only"
    week.mkdir()
    (week / "attendance.csv").write_text("district_id,date,status,period\n"
                                         "S001,2024-09-02,present,1\nS404,2024-09-02,present,1\n")
    report = load_directory(engine, week)
    assert counts(report) == {"attendance": (2, 1, 0, 0, 1)}
    assert report.files[0].notes == ("no such file: skipped",)
    assert report.rejects.iloc[0]["reason"] == ("no such student: not in students.csv nor "
                                                "in the database")


def test_invalid_rows_are_rejected_and_the_rest_loads(engine: sa.Engine, tmp_path: Path) -> None:
    report = load_directory(engine, FIXTURES / "bad", rejects_path=tmp_path / "rejects.csv")
    assert report.committed and not report.clean
    assert counts(report) == {"students": (19, 2, 0, 0, 17), "attendance": (11, 2, 0, 0, 9),
                              "grades": (8, 1, 0, 0, 7), "discipline": (7, 1, 0, 0, 6)}
    rejects = pd.read_csv(tmp_path / "rejects.csv", dtype=str, keep_default_na=False)
    assert list(rejects.columns) == ["file", "line", "field", "value", "reason"]
    assert len(rejects) == 17 + 9 + 7 + 6
    assert rejects.iloc[0].tolist() == ["students.csv", "3", "first_name", "<redacted>",
                                        "required value is empty"]
    assert "LONGNAME" not in (tmp_path / "rejects.csv").read_text()
    with engine.connect() as conn:
        assert [r[0] for r in table_rows(conn, "students")] == ["S100", "S118"]
        assert len(table_rows(conn, "attendance_records")) == 2


def test_strict_loads_nothing_when_a_row_is_invalid(engine: sa.Engine, tmp_path: Path) -> None:
    load_directory(engine, FIXTURES / "standard")
    before = snapshot(engine)
    report = load_directory(engine, FIXTURES / "bad", strict=True,
                            rejects_path=tmp_path / "r.csv")
    assert not report.committed
    assert all(r.new == r.updated == r.unchanged == 0 for r in report.files)
    assert report.rejected == 39 and (tmp_path / "r.csv").exists()
    assert snapshot(engine) == before


def test_strict_loads_everything_when_all_rows_are_valid(engine: sa.Engine) -> None:
    report = load_directory(engine, FIXTURES / "standard", strict=True)
    assert report.committed and counts(report)["attendance"] == (8, 8, 0, 0, 0)


def test_a_file_that_cannot_be_read_loads_nothing_of_itself(engine: sa.Engine,
                                                            tmp_path: Path) -> None:
    week = copy_fixture("standard", tmp_path)
    edit(week / "attendance.csv", "district_id,date,status,period", "district_id,date,period")
    report = load_directory(engine, week)
    assert report.committed and not report.clean
    stopped = {r.name: r.error for r in report.files if r.error}
    assert stopped == {"attendance": "attendance.csv: missing required column status (the header "
                                     "has: district_id, date, period)"}
    with engine.connect() as conn:
        assert len(table_rows(conn, "attendance_records")) == 0
        assert len(table_rows(conn, "grades")) == 4

    strict = load_directory(engine, week, strict=True)
    assert not strict.committed


def test_a_failure_part_way_leaves_every_table_as_before(engine: sa.Engine,
                                                         tmp_path: Path) -> None:
    load_directory(engine, FIXTURES / "standard")
    week2 = copy_fixture("standard", tmp_path)
    edit(week2 / "students.csv", ",low,3.1,", ",low,2.2,")
    edit(week2 / "attendance.csv", "S001,2024-08-27,absent,1", "S001,2024-08-27,present,1")
    edit(week2 / "discipline.csv", "S003,2024-09-12,,", "S003,2024-09-13,,")
    with engine.begin() as conn:  # the database refuses the last file's insert
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS "
                                 "$$ BEGIN RAISE EXCEPTION 'boom'; END $$")
            conn.exec_driver_sql("CREATE TRIGGER boom BEFORE INSERT ON discipline_incidents "
                                 "FOR EACH ROW EXECUTE FUNCTION boom()")
        else:
            conn.exec_driver_sql("CREATE TRIGGER boom BEFORE INSERT ON discipline_incidents "
                                 "BEGIN SELECT RAISE(ABORT, 'boom'); END")
    before = snapshot(engine)
    with pytest.raises(sa.exc.DBAPIError, match="boom"):
        load_directory(engine, week2)
    assert snapshot(engine) == before


def test_audit_log_records_the_load_on_both_backends(engine: sa.Engine, tmp_path: Path) -> None:
    load_directory(engine, FIXTURES / "standard")
    week2 = copy_fixture("standard", tmp_path)
    edit(week2 / "attendance.csv", "S001,2024-08-27,absent,1", "S001,2024-08-27,excused,1")
    load_directory(engine, week2)
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT a.table_name, a.operation, s.district_id, a.row_count, a.changed_columns "
            "FROM audit_log a JOIN students s ON s.id = a.student_id "
            "WHERE a.table_name <> 'students' ORDER BY 1, 2, 3")).all()
    got = [(t, o, d, n, list(c) if isinstance(c, list) else c) for t, o, d, n, c in rows]
    if got and isinstance(got[0][4], str):  # SQLite JSON text via a raw query
        import json

        got = [(t, o, d, n, json.loads(c) if c else None) for t, o, d, n, c in got]
    assert got == [
        ("attendance_records", "INSERT", "S001", 4, None),
        ("attendance_records", "INSERT", "S002", 2, None),
        ("attendance_records", "INSERT", "S003", 2, None),
        ("attendance_records", "UPDATE", "S001", 1, ["status"]),
        ("discipline_incidents", "INSERT", "S001", 1, None),
        ("discipline_incidents", "INSERT", "S003", 2, None),
        ("grades", "INSERT", "S001", 3, None),
        ("grades", "INSERT", "S003", 1, None),
    ]


def test_postgresql_tables_a_load_wrote_have_planner_statistics(pg_engine: sa.Engine) -> None:
    """Autovacuum is off on some servers (this CI's among them): the load analyzes what it
    wrote, so the feature build after it does not plan millions of rows from no statistics."""
    stats = ("SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL "
             "AND relname IN ('students', 'attendance_records', 'grades', 'discipline_incidents')")
    with pg_engine.connect() as conn:
        assert conn.execute(sa.text(stats)).scalars().all() == []
    lines: list[str] = []
    load_directory(pg_engine, FIXTURES / "standard", log=lines.append)
    with pg_engine.connect() as conn:
        analyzed = set(conn.execute(sa.text(stats)).scalars())
    assert analyzed == {"students", "attendance_records", "grades", "discipline_incidents"}
    assert any(line.startswith("updating planner statistics of students") for line in lines)
