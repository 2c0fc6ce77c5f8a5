"""The input layout agrees with the database schema, the shared code lists and the docs."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from edupulse.data import codes
from edupulse.data.ingest import NATURAL_KEYS, UPDATE_COLUMNS
from edupulse.data.schemas import (
    DATE_MAX,
    DATE_MIN,
    INT32_MAX,
    LETTER_PATTERN,
    SCHEMAS,
    STUDENTS,
    FileSchema,
    Kind,
)
from edupulse.db.models import ALL_TABLES
from tests.data.load_helpers import REPO

TABLES = {t.name: t for t in ALL_TABLES}
DOC = (REPO / "docs" / "input-format.md").read_text(encoding="utf-8")
_CHECK = re.compile(r"(\w+) >= ([\d.]+) AND \w+ <= ([\d.]+)")


def _checks(table: sa.Table) -> dict[str, tuple[float, float]]:
    out = {}
    for c in table.constraints:
        if isinstance(c, sa.CheckConstraint) and (m := _CHECK.search(str(c.sqltext))):
            out[m.group(1)] = (float(m.group(2)), float(m.group(3)))
    return out


@pytest.mark.parametrize("schema", SCHEMAS.values(), ids=list(SCHEMAS))
def test_columns_match_the_table(schema: FileSchema) -> None:
    table = TABLES[schema.table]
    for name in schema.table_columns:
        col = schema.column(name)
        db = table.c[name]
        if not db.nullable:
            assert col.required, name  # NOT NULL columns need a value (one more: see below)
        if col.kind is Kind.TEXT:
            assert col.max_length == getattr(db.type, "length", None), name
        expected = {Kind.TEXT: str, Kind.INTEGER: int, Kind.REAL: float}.get(col.kind)
        if expected is not None:
            assert db.type.python_type is expected, name
    for name, (low, high) in _checks(table).items():
        col = schema.column(name)
        assert (col.minimum, col.maximum) == (low, high), name


@pytest.mark.parametrize("schema", SCHEMAS.values(), ids=list(SCHEMAS))
def test_required_values_beyond_the_spec_are_few_and_deliberate(schema: FileSchema) -> None:
    """The loader is stricter than the spec in exactly these places (see docs)."""
    table = TABLES[schema.table]
    extra = {c.name for c in schema.columns if c.required and c.name in table.c
             and table.c[c.name].nullable}
    assert extra == ({"status"} if schema.name == "attendance" else set())


def test_code_lists_are_the_shared_ones() -> None:
    assert STUDENTS.column("gender").codes == codes.GENDERS
    assert STUDENTS.column("socioeconomic_status").codes == codes.SES_CODES
    assert STUDENTS.column(codes.META_EXIT_CODE).codes == codes.EXIT_CODES
    assert SCHEMAS["attendance"].column("status").codes == codes.ATTENDANCE_STATUSES
    assert SCHEMAS["discipline"].column("severity_level").minimum == min(codes.SEVERITY_LEVELS)
    assert SCHEMAS["discipline"].column("severity_level").maximum == max(codes.SEVERITY_LEVELS)
    letters = [letter for _, letter in codes.LETTER_GRADES]
    for letter in letters:
        assert re.fullmatch(LETTER_PATTERN, letter) and re.fullmatch(LETTER_PATTERN, letter + "-")
    assert not re.fullmatch(LETTER_PATTERN, "E") and not re.fullmatch(LETTER_PATTERN, "A++")


def test_metadata_columns_are_the_shared_keys() -> None:
    assert STUDENTS.metadata == (codes.META_DISTRICT, codes.META_SCHOOL, codes.META_EXIT_DATE,
                                 codes.META_EXIT_CODE)
    assert set(STUDENTS.metadata) <= set(STUDENTS.column_names)
    assert not set(STUDENTS.metadata) & set(TABLES["students"].c.keys())


@pytest.mark.parametrize("schema", SCHEMAS.values(), ids=list(SCHEMAS))
def test_natural_key_of_the_file_is_the_conflict_target(schema: FileSchema) -> None:
    """The file's key, with district_id standing for student_id, is the upsert's conflict
    target; PostgreSQL refuses an ON CONFLICT target no unique index matches, so the
    database tests prove the target is migration 0002's index."""
    file_key = ["student_id" if k == "district_id" and schema.table != "students" else k
                for k in schema.key]
    db_key = [re.sub(r"coalesce\((\w+), .*\)", r"\1", e) for e in NATURAL_KEYS[schema.name]]
    assert file_key == db_key
    # every other table column is compared on conflict, so changed values are updated
    rest = set(schema.table_columns) - set(schema.key) - {"district_id"}
    assert set(UPDATE_COLUMNS[schema.name]) == rest


def test_integer_and_date_limits() -> None:
    assert INT32_MAX == 2_147_483_647
    assert DATE_MIN.year == 1900 and DATE_MAX.year == 2099


@pytest.mark.parametrize("schema", SCHEMAS.values(), ids=list(SCHEMAS))
def test_every_column_and_code_is_documented(schema: FileSchema) -> None:
    section = DOC.split(f"## {schema.name}.csv", 1)[1].split("\n## ", 1)[0]
    for col in schema.columns:
        assert f"`{col.name}`" in section, col.name
        for code in col.codes or ():
            assert f"`{code}`" in section, (col.name, code)
    for part in schema.key:
        assert part in section.split("Natural key", 1)[1].split("\n\n", 1)[0]
