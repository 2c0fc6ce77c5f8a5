"""Mapping profiles: validated in full before any work, and a district export in another layout
(data/sample-sis/) loads to exactly the rows of the standard sample (data/sample/)."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from edupulse.data.pipeline import load_directory
from edupulse.data.profiles import STANDARD, Profile, ProfileError, load_profile
from edupulse.db import migrate
from edupulse.db.session import make_engine
from tests.data.load_helpers import REPO, SOURCE_TABLES, table_rows

SAMPLE = REPO / "data" / "sample"
SIS = REPO / "data" / "sample-sis"
SIS_PROFILE = SIS / "profile.yaml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "profile.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_standard_profile_is_the_documented_layout() -> None:
    s = STANDARD.settings("attendance")
    assert (s.file, s.encoding, s.delimiter, s.renames, s.code_maps) == (None, "utf-8", ",", {},
                                                                          {})
    assert s.date_formats == {"date": "%Y-%m-%d"}


def test_file_settings_override_profile_defaults(tmp_path: Path) -> None:
    p = load_profile(write(tmp_path, """
encoding: cp1252
date_format: "%d.%m.%Y"
files:
  students:
    file: kids.txt
    delimiter: ";"
    date_formats: {exit_date: "%Y%m%d"}
    columns: {ID: district_id}
    codes: {gender: {W: F}}
"""))
    s = p.settings("students")
    assert (s.file, s.encoding, s.delimiter) == ("kids.txt", "cp1252", ";")
    assert s.date_formats["date_of_birth"] == "%d.%m.%Y" and s.date_formats["exit_date"] == "%Y%m%d"
    assert s.renames == {"ID": "district_id"} and s.code_maps == {"gender": {"W": "F"}}
    assert p.settings("grades").delimiter == ","


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("encoding: klingon\n", "encoding: unknown encoding 'klingon'"),
        ("delimiter: ';;'\n", "delimiter: delimiter must be one character"),
        ("date_format: '%d/%m'\n", "date_format: date format '%d/%m' does not describe a whole"),
        ("date_format: '%Y-%m-%d %H:%M'\n", "does not describe a whole date"),
        ("files: {pupils: {}}\n", "files.pupils.[key]: Input should be 'students'"),
        ("files: {grades: {columns: {Score: points}}}\n",
         "files.grades.columns: 'points' is not a column of grades"),
        ("files: {grades: {codes: {colour: {R: red}}}}\n",
         "files.grades.codes: 'colour' is not a column of grades"),
        ("files: {grades: {date_formats: {course_id: '%Y-%m-%d'}}}\n",
         "'course_id' is not a date column of grades"),
        ("files: {grades: {columns: {A: course_id, B: course_id}}}\n",
         "files.grades.columns: several export columns map to course_id"),
        ("files: {grades: {file: ../etc/passwd}}\n", "must be a plain file name"),
        ("files: {grades: {delimeter: ';'}}\n", "files.grades.delimeter: Extra inputs"),
        ("profile_version: 2\n", "profile_version: Input should be 1"),
        ("- a\n- b\n", "expected a mapping at the top level"),
        ("files: [unclosed\n", "not valid YAML"),
    ],
)
def test_bad_profiles_are_refused_naming_the_entry(tmp_path: Path, text: str,
                                                   message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    assert str(info.value).startswith(f"profile {path}: ")
    assert message in str(info.value)


def test_missing_profile_file(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="cannot read it"):
        load_profile(tmp_path / "nope.yaml")


def test_shipped_profile_is_valid() -> None:
    p = load_profile(SIS_PROFILE)
    assert p.settings("attendance").code_maps["status"] == {
        "P": "present", "A": "absent", "T": "tardy", "E": "excused"}
    assert p.settings("students").encoding == "cp1252"
    assert isinstance(p, Profile)


def test_sample_sis_is_what_its_script_makes(tmp_path: Path) -> None:
    """The committed export is regenerated from data/sample/ byte for byte."""
    work = tmp_path / "sample-sis"
    work.mkdir()
    shutil.copy(SIS / "make_sample_sis.py", work)
    (tmp_path / "sample").symlink_to(SAMPLE)
    subprocess.run([sys.executable, str(work / "make_sample_sis.py")], check=True)
    for path in SIS.iterdir():
        if path.suffix in {".csv", ".gz"}:
            assert hashlib.sha256((work / path.name).read_bytes()).hexdigest() == \
                hashlib.sha256(path.read_bytes()).hexdigest(), path.name


def test_sample_sis_really_is_another_layout() -> None:
    raw = (SIS / "Student_Demographics.csv").read_bytes()
    assert b"\r\n" in raw and b"Student_Number" in raw and b"\x96" in raw  # cp1252 en dash
    assert not any(SIS.glob("students.csv*"))


@pytest.mark.slow
def test_sample_and_sample_sis_load_to_identical_rows(db_url: str, empty_db_url: str) -> None:
    """The same 500 students through two layouts into two databases: the same rows."""
    standard = make_engine(db_url, poolclass=sa.pool.NullPool)
    other = make_engine(empty_db_url, poolclass=sa.pool.NullPool)
    try:
        migrate.upgrade(other)
        a = load_directory(standard, SAMPLE)
        b = load_directory(other, SIS, load_profile(SIS_PROFILE))
        assert a.clean and b.clean and a.committed and b.committed
        assert [f.new for f in a.files] == [f.new for f in b.files]
        assert a.files[1].new > 400_000
        with standard.connect() as ca, other.connect() as cb:
            for table in SOURCE_TABLES:
                assert table_rows(ca, table) == table_rows(cb, table), table
    finally:
        standard.dispose()
        other.dispose()
