"""The input layout: which files `edupulse load` reads and what every column must hold.

One declaration serves the validator (edupulse.data.load), the writer (edupulse.data.ingest),
the profiles (edupulse.data.profiles) and docs/input-format.md, so the rules a row is checked
against are the rules the documentation states. Ranges and lengths are the spec's CHECK and
VARCHAR limits; the code lists come from edupulse.data.codes. Checking them before the database
does means both backends reject the same rows (SQLite does not enforce VARCHAR lengths) and
every refusal names the file, line and field.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from edupulse.data import codes


class Kind(StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    REAL = "real"
    DATE = "date"


# Both backends store INTEGER as at least 32 bits; PostgreSQL refuses anything wider.
INT32_MAX = 2**31 - 1
# Dates outside this window are typing errors in a school record, not history.
DATE_MIN = dt.date(1900, 1, 1)
DATE_MAX = dt.date(2099, 12, 31)
# Letter grades as SIS exports write them: the codes.LETTER_GRADES letters, optionally + or -.
LETTER_PATTERN = "^(?:" + "|".join(letter for _, letter in codes.LETTER_GRADES) + ")[+-]?$"


@dataclass(frozen=True)
class Column:
    """One input column. `required`: an empty value rejects the row, and the column must be in
    the header (optional columns may be left out of the file and are then stored empty)."""

    name: str
    kind: Kind
    description: str
    required: bool = False
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    codes: tuple[str, ...] | None = None
    pattern: str | None = None
    # Names and contacts: never printed, never written to the rejects file.
    sensitive: bool = False


@dataclass(frozen=True)
class DateOrder:
    """`later` may not fall before `earlier` (or on it, when `strict`) when both are given."""

    earlier: str
    later: str
    strict: bool = False


@dataclass(frozen=True)
class Requires:
    """A value in `column` needs a value in `other` in the same row."""

    column: str
    other: str


@dataclass(frozen=True)
class FileSchema:
    name: str  # "students": the file is students.csv or students.csv.gz
    table: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # the natural key, in file columns (district_id stands for student_id)
    rules: tuple[DateOrder | Requires, ...] = ()
    # Columns stored as keys of students.student_metadata rather than as table columns.
    metadata: tuple[str, ...] = field(default=())

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def table_columns(self) -> tuple[str, ...]:
        """File columns that are columns of the table (child files: district_id excluded)."""
        skip = set(self.metadata) | ({"district_id"} if self.table != "students" else set())
        return tuple(c.name for c in self.columns if c.name not in skip)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")


def _text(name: str, description: str, max_length: int | None, **kw: object) -> Column:
    return Column(name, Kind.TEXT, description, max_length=max_length, **kw)  # type: ignore[arg-type]


_DISTRICT_ID = _text(
    "district_id", "the SIS student identifier; child files refer to students by it", 50,
    required=True,
)

STUDENTS = FileSchema(
    name="students",
    table="students",
    columns=(
        _DISTRICT_ID,
        _text("first_name", "given name", 100, required=True, sensitive=True),
        _text("last_name", "family name", 100, required=True, sensitive=True),
        Column("grade_level", Kind.INTEGER, "current grade, kindergarten = 0",
               minimum=0, maximum=12),
        Column("date_of_birth", Kind.DATE, "date of birth", required=True),
        _text("gender", "gender code", 10, codes=codes.GENDERS),
        _text("ethnicity", "ethnicity as the district records it", 100),
        _text("socioeconomic_status", "socioeconomic status code", 50, codes=codes.SES_CODES),
        Column("gpa", Kind.REAL, "GPA on the 4.0 scale as of the export", minimum=0, maximum=4),
        Column("attendance_rate", Kind.REAL, "share of instructional time attended, 0-1",
               minimum=0, maximum=1),
        _text("parent_contact", "parent or guardian contact", 200, sensitive=True),
        Column("enrollment_date", Kind.DATE, "first day enrolled (empty: stored empty)"),
        _text(codes.META_DISTRICT, "district code (student_metadata)", 50),
        _text(codes.META_SCHOOL, "school code (student_metadata)", 50),
        Column(codes.META_EXIT_DATE, Kind.DATE, "date the student left (student_metadata)"),
        _text(codes.META_EXIT_CODE, "why the student left (student_metadata)", 50,
              codes=codes.EXIT_CODES),
    ),
    key=("district_id",),
    rules=(
        DateOrder("date_of_birth", "enrollment_date", strict=True),
        DateOrder("enrollment_date", codes.META_EXIT_DATE),
        Requires(codes.META_EXIT_CODE, codes.META_EXIT_DATE),
        Requires(codes.META_EXIT_DATE, codes.META_EXIT_CODE),
    ),
    metadata=(codes.META_DISTRICT, codes.META_SCHOOL, codes.META_EXIT_DATE, codes.META_EXIT_CODE),
)

ATTENDANCE = FileSchema(
    name="attendance",
    table="attendance_records",
    columns=(
        _DISTRICT_ID,
        Column("date", Kind.DATE, "school day", required=True),
        _text("status", "attendance status", 20, required=True,
              codes=codes.ATTENDANCE_STATUSES),
        Column("period", Kind.INTEGER, "class period; empty = a day-level record",
               minimum=0, maximum=INT32_MAX),
    ),
    key=("district_id", "date", "period"),
)

GRADES = FileSchema(
    name="grades",
    table="grades",
    columns=(
        _DISTRICT_ID,
        _text("course_id", "course identifier", 50, required=True),
        _text("course_name", "course title", 200),
        Column("grade_value", Kind.REAL, "score 0-100", minimum=0, maximum=100),
        _text("grade_letter", "letter grade A-F, optionally with + or -", 2,
              pattern=LETTER_PATTERN),
        Column("submission_date", Kind.DATE, "date the work was submitted", required=True),
        _text("assignment_type", "e.g. test, quiz, homework, project", 50),
    ),
    key=("district_id", "course_id", "submission_date", "assignment_type"),
)

DISCIPLINE = FileSchema(
    name="discipline",
    table="discipline_incidents",
    columns=(
        _DISTRICT_ID,
        Column("incident_date", Kind.DATE, "date of the incident", required=True),
        Column("severity_level", Kind.INTEGER, "1 minor ... 5 critical", minimum=1, maximum=5),
        _text("incident_type", "e.g. tardy, disruption, fighting", 100),
        _text("description", "free text", None),
        _text("resolution", "how it was resolved", 200),
    ),
    key=("district_id", "incident_date", "incident_type"),
)

# Load order: students first, so child files can refer to the students of the same load.
SCHEMAS: dict[str, FileSchema] = {s.name: s for s in (STUDENTS, ATTENDANCE, GRADES, DISCIPLINE)}
FILE_NAMES: tuple[str, ...] = tuple(SCHEMAS)
