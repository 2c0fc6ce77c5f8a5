"""Reading and validating input files (no database): what every bad input gets.

Whole-file problems stop the file with one FileError naming file, line and column; a bad value
rejects its row with (file, line, field, value, reason). tests/data/fixtures/bad/ holds one
problem per line; the tables below are the contract for each.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from edupulse.data.load import FileError, RawFile, find_file, read_file
from edupulse.data.profiles import STANDARD, Profile
from edupulse.data.schemas import ATTENDANCE, DISCIPLINE, GRADES, SCHEMAS, STUDENTS
from edupulse.data.validate import REDACTED, StudentRefs, ValidatedFile, validate
from tests.data.load_helpers import FIXTURES

BAD = FIXTURES / "bad"
STANDARD_DIR = FIXTURES / "standard"


def check(path: Path, name: str, profile: Profile = STANDARD,
          refs: StudentRefs | None = None) -> ValidatedFile:
    schema, settings = SCHEMAS[name], profile.settings(name)
    return validate(read_file(path, schema, settings), schema, settings, refs)


def problems(v: ValidatedFile) -> list[tuple[int, str, str]]:
    return [(r.line, r.field, r.reason) for r in v.rejects.itertuples()]


@pytest.fixture(scope="module")
def bad_students() -> ValidatedFile:
    return check(BAD / "students.csv", "students")


@pytest.fixture(scope="module")
def bad_refs(bad_students: ValidatedFile) -> StudentRefs:
    loaded = pd.Index(bad_students.valid["district_id"].astype("str"))
    return StudentRefs(loaded, bad_students.rejected_ids)


# --- whole files ----------------------------------------------------------------------------


def test_standard_files_read_with_types_and_lines() -> None:
    v = check(STANDARD_DIR / "students.csv", "students")
    assert v.rows_read == 3 and v.rejects.empty
    row = v.valid.iloc[2]
    assert row["first_name"] == "Chloé" and row["grade_level"] == 11 and row["gpa"] == 2.5
    assert row["date_of_birth"] == "2008-11-30" and row["exit_code"] == "dropout"
    assert pd.isna(v.valid.iloc[1]["gpa"])
    assert v.valid["line"].tolist() == [2, 3, 4]


def test_quoted_newlines_keep_line_numbers_right(tmp_path: Path) -> None:
    path = tmp_path / "discipline.csv"
    path.write_text("district_id,incident_date,severity_level,incident_type,description,"
                    "resolution\nS1,2024-09-10,2,a,\"one\ntwo\nthree\",x\nS1,2024-09-11,9,b,,\n")
    v = check(path, "discipline", refs=StudentRefs(pd.Index(["S1"]), pd.Series(dtype="int64")))
    assert v.valid.iloc[0]["description"] == "one\ntwo\nthree"
    assert problems(v) == [(5, "severity_level", "out of range 1 to 5")]


def test_gzip_bom_crlf_blank_lines_and_spaces_are_read(tmp_path: Path) -> None:
    text = ("\ufeffdistrict_id,date,status,period\r\n S1 ,2024-09-03, present ,1\r\n\r\n"
            "S1,2024-09-04,absent,\r\n")
    path = tmp_path / "attendance.csv.gz"
    path.write_bytes(gzip.compress(text.encode("utf-8")))
    assert find_file(tmp_path, "attendance", STANDARD.settings("attendance")) == path
    v = check(path, "attendance", refs=StudentRefs(pd.Index(["S1"]), pd.Series(dtype="int64")))
    assert v.rows_read == 2 and v.rejects.empty
    assert v.valid["district_id"].tolist() == ["S1", "S1"]
    assert v.valid["status"].tolist() == ["present", "absent"]
    assert v.valid["line"].tolist() == [2, 4]  # the blank line 3 still counts
    assert pd.isna(v.valid["period"].iloc[1])


def test_header_only_file_has_no_rows(tmp_path: Path) -> None:
    path = tmp_path / "discipline.csv"
    path.write_text("district_id,incident_date,severity_level,incident_type,description,"
                    "resolution\n")
    v = check(path, "discipline", refs=StudentRefs(pd.Index([]), pd.Series(dtype="int64")))
    assert v.rows_read == 0 and v.valid.empty and v.rejects.empty


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "students.csv: the file is empty (expected a header row)"),
        (b"\n\n  \n", "students.csv: the file is empty (expected a header row)"),
        (b"district_id,first_name,date_of_birth\nS1,Ada,2010-01-01\n",
         "students.csv: missing required column last_name (the header has: district_id, "
         "first_name, date_of_birth)"),
        (b"id,name\n1,x\n", "students.csv: missing required columns district_id, first_name, "
                            "last_name, date_of_birth"),
        (b"district_id,first_name,last_name,date_of_birth\nS1,Ana,L\xf3pez,2010-01-01\n",
         "students.csv line 2: byte 0xf3 at offset 55 is not valid utf-8"),
        (b"district_id,first_name,last_name,date_of_birth\nS1,A,B,2010-01-01\nS2,A,B\n",
         "students.csv line 3: 3 fields where the header has 4"),
        (b"district_id,first_name,last_name,date_of_birth\nS1,A,B,\"2010-01-01\nS2,A,B,x\n",
         "students.csv line 2: malformed CSV record"),
        (b"district_id,first_name,last_name,date_of_birth,notes\nS1,A,B,2010-01-01,\"x\n"
         b"S2,A,B,2010-01-01,y\n", "students.csv line 2: malformed CSV record"),
        (b"district_id,first_name,last_name,district_id,date_of_birth\n",
         "students.csv line 1: column 'district_id' appears twice in the header"),
    ],
    ids=["empty", "blank", "missing-column", "missing-columns", "encoding", "fields",
         "open-quote", "open-quote-in-ignored-column", "twice"],
)
def test_file_that_cannot_be_read_stops_with_one_message(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "students.csv"
    path.write_bytes(content)
    with pytest.raises(FileError) as info:
        read_file(path, STUDENTS, STANDARD.settings("students"))
    assert str(info.value).startswith(message)


def test_wrong_encoding_message_suggests_a_profile(tmp_path: Path) -> None:
    path = tmp_path / "students.csv"
    path.write_bytes("district_id,first_name,last_name,date_of_birth\nS1,José,Núñez,2010-01-01\n"
                     .encode("cp1252"))
    with pytest.raises(FileError, match=r"line 2: .*not valid utf-8; set `encoding`"):
        read_file(path, STUDENTS, STANDARD.settings("students"))
    cp1252 = Profile.model_validate({"encoding": "cp1252"})
    v = check(path, "students", cp1252)
    assert v.valid["last_name"].tolist() == ["Núñez"]


def test_undecodable_byte_in_declared_encoding_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "students.csv"
    path.write_bytes(b"district_id,first_name,last_name,date_of_birth\nS1,A,B,2010-01-01\n"
                     b"S2,A\x81,B,2010-01-01\n")
    cp1252 = Profile.model_validate({"encoding": "cp1252"})
    with pytest.raises(FileError, match=r"students.csv line 3: byte 0x81 .* not valid cp1252"):
        read_file(path, STUDENTS, cp1252.settings("students"))


def test_optional_columns_may_be_absent_and_unknown_ones_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "students.csv"
    path.write_text("district_id,first_name,last_name,date_of_birth,homeroom\n"
                    "S1,A,B,2010-01-01,7B\n")
    v = check(path, "students")
    assert v.rejects.empty and len(v.valid) == 1
    assert "gpa" in v.absent_columns and "period" not in v.absent_columns
    assert v.ignored_columns == ("homeroom",)
    assert pd.isna(v.valid["gpa"].iloc[0])


# --- rows -----------------------------------------------------------------------------------


def test_bad_student_rows_each_get_their_reason(bad_students: ValidatedFile) -> None:
    assert problems(bad_students) == [
        (3, "first_name", "required value is empty"),
        (4, "grade_level", "out of range 0 to 12"),
        (5, "grade_level", "not a whole number"),
        (6, "date_of_birth", "not a valid date in the format %Y-%m-%d"),
        (7, "gender", "not one of F, M, X"),
        (8, "gpa", "out of range 0 to 4"),
        (9, "attendance_rate", "not a number"),
        (10, "socioeconomic_status", "not one of low, middle, high"),
        (11, "enrollment_date", "enrollment_date is on or before date_of_birth"),
        (12, "exit_code", "not one of dropout, withdrawal, transfer, graduation, other"),
        (13, "exit_date", "exit_date is required when exit_code is given"),
        (14, "exit_date", "exit_date is before enrollment_date"),
        (15, "district_id", "duplicate natural key (district_id): same key on lines 15, 16"),
        (16, "district_id", "duplicate natural key (district_id): same key on lines 15, 16"),
        (17, "district_id", "required value is empty"),
        (18, "last_name", "longer than 100 characters"),
        (19, "date_of_birth", "date outside 1900-01-01 to 2099-12-31"),
    ]
    assert bad_students.valid["district_id"].tolist() == ["S100", "S118"]
    assert bad_students.rows_read == 19 and bad_students.rejected_rows == 17


def test_rejects_carry_file_and_value_but_never_names(bad_students: ValidatedFile) -> None:
    r = bad_students.rejects.set_index("line")
    assert (r["file"] == "students.csv").all()
    assert r.loc[9, "value"] == "95%" and r.loc[7, "value"] == "female"
    assert r.loc[18, "value"] == REDACTED  # last_name is never copied
    assert pd.isna(r.loc[3, "value"]) or r.loc[3, "value"] == REDACTED
    text = bad_students.rejects.to_csv()
    assert "LONGNAME" not in text and "Noname" not in text


def test_bad_attendance_rows(bad_refs: StudentRefs) -> None:
    v = check(BAD / "attendance.csv", "attendance", refs=bad_refs)
    assert problems(v) == [
        (3, "status", "not one of present, absent, tardy, excused"),
        (4, "date", "not a valid date in the format %Y-%m-%d"),
        (5, "period", "out of range 0 to 2147483647"),
        (6, "period", "not a whole number"),
        (7, "district_id+date+period",
         "duplicate natural key (district_id, date, period): same key on lines 7, 8"),
        (8, "district_id+date+period",
         "duplicate natural key (district_id, date, period): same key on lines 7, 8"),
        (9, "district_id", "student not loaded: its row in students.csv was rejected (line 3)"),
        (10, "district_id", "no such student: not in students.csv nor in the database"),
        (11, "status", "required value is empty"),
    ]
    assert v.valid["line"].tolist() == [2, 12]
    dup = v.rejects.set_index("line").loc[7, "value"]
    assert dup == "S100 | 2024-09-04 | "


def test_bad_grade_rows(bad_refs: StudentRefs) -> None:
    v = check(BAD / "grades.csv", "grades", refs=bad_refs)
    key = "district_id+course_id+submission_date+assignment_type"
    dup = ("duplicate natural key (district_id, course_id, submission_date, assignment_type): "
           "same key on lines 6, 7")
    assert problems(v) == [
        (2, "grade_value", "out of range 0 to 100"),
        (3, "grade_value", "not a number"),
        (4, "grade_letter", "not a letter grade (A-F, optionally + or -)"),
        (5, "course_id", "required value is empty"),
        (6, key, dup),
        (7, key, dup),
        (8, "grade_value", "not a number"),
    ]
    assert v.valid["line"].tolist() == [9]
    assert v.valid["grade_letter"].tolist() == ["C+"]


def test_bad_discipline_rows(bad_refs: StudentRefs) -> None:
    v = check(BAD / "discipline.csv", "discipline", refs=bad_refs)
    key = "district_id+incident_date+incident_type"
    dup = ("duplicate natural key (district_id, incident_date, incident_type): "
           "same key on lines 6, 7")
    assert problems(v) == [
        (2, "severity_level", "out of range 1 to 5"),
        (3, "severity_level", "out of range 1 to 5"),
        (4, "severity_level", "not a whole number"),
        (5, "incident_date", "required value is empty"),
        (6, key, dup),
        (7, key, dup),
    ]
    assert v.valid["line"].tolist() == [8]


def test_a_row_with_several_problems_is_reported_once_per_field(tmp_path: Path) -> None:
    path = tmp_path / "students.csv"
    path.write_text("district_id,first_name,last_name,grade_level,date_of_birth,gpa\n"
                    "S1,A,B,14,1999-13-01,9\n")
    v = check(path, "students")
    assert problems(v) == [
        (2, "date_of_birth", "not a valid date in the format %Y-%m-%d"),
        (2, "gpa", "out of range 0 to 4"),
        (2, "grade_level", "out of range 0 to 12"),
    ]
    assert v.rejected_rows == 1


def test_duplicate_names_every_line_of_the_group(tmp_path: Path) -> None:
    path = tmp_path / "attendance.csv"
    path.write_text("district_id,date,status\n" + "S1,2024-09-03,present\n" * 13)
    v = check(path, "attendance", refs=StudentRefs(pd.Index(["S1"]), pd.Series(dtype="int64")))
    assert v.rejected_rows == 13
    assert v.rejects["reason"].iloc[0].endswith("lines 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 and 3 more")


def test_code_maps_and_date_formats_come_from_the_profile(tmp_path: Path) -> None:
    path = tmp_path / "att.txt"
    path.write_text("Stu|Day|Code|Per\nS1|09/03/2024|P|1\nS1|09/03/2024|X|2\nS1|09/04/2024|E|\n")
    profile = Profile.model_validate({"files": {"attendance": {
        "file": "att.txt", "delimiter": "|", "date_format": "%m/%d/%Y",
        "columns": {"Stu": "district_id", "Day": "date", "Code": "status", "Per": "period"},
        "codes": {"status": {"P": "present", "E": "excused", "N/A": ""}},
    }}})
    assert find_file(tmp_path, "attendance", profile.settings("attendance")) == path
    v = check(path, "attendance", profile,
              StudentRefs(pd.Index(["S1"]), pd.Series(dtype="int64")))
    assert v.valid["status"].tolist() == ["present", "excused"]
    assert v.valid["date"].tolist() == ["2024-09-03", "2024-09-04"]
    assert problems(v) == [(3, "status", "not one of present, absent, tardy, excused")]
    assert v.rejects["value"].tolist() == ["X"]  # the value as exported


def test_validation_is_per_distinct_value_not_per_row() -> None:
    """A large file: the same checks, a reject in the middle found at its line."""
    n = 200_000
    ids = np.char.add("S", (np.arange(n) % 1000).astype(str))
    dates = (np.datetime64("2024-09-02") + (np.arange(n) // 1000)).astype(str)
    status = np.where(np.arange(n) == 123_456, "gone", "present")
    frame = pd.DataFrame({"district_id": ids, "date": dates, "status": status})
    raw = RawFile(Path("attendance.csv"), pa.Table.from_pandas(frame, preserve_index=False),
                  np.arange(2, n + 2), ("period",), ())
    refs = StudentRefs(pd.Index(np.unique(ids)), pd.Series(dtype="int64"))
    v = validate(raw, ATTENDANCE, STANDARD.settings("attendance"), refs)
    assert len(v.valid) == n - 1
    assert problems(v) == [(123_458, "status", "not one of present, absent, tardy, excused")]


def test_schemas_used_here_are_the_four_files() -> None:
    assert [STUDENTS.name, ATTENDANCE.name, GRADES.name, DISCIPLINE.name] == list(SCHEMAS)
