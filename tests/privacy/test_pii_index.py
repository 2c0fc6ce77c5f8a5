"""The identifying values of the database as an index, and what it detects in one line."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from edupulse.privacy.pii_index import PiiIndex, StudentIdentity, build_index, detect, redact
from tests.db import factories as f

ADA = StudentIdentity("D01-000123", "Ada", "Quartermaine", dt.date(2010, 5, 1), "(555) 013-4567")
SMITHS = [StudentIdentity(f"D01-0009{i}", n, "Smith", dt.date(2011, 2, 3 + i), None)
          for i, n in enumerate(["Bo", "Cy", "Di", "Ed"])]
GRACE = StudentIdentity("D02-000777", "Grace", "O'Brien-Lee", dt.date(2009, 7, 1),
                        "grace.parent@example.org")


@pytest.fixture
def index() -> PiiIndex:
    return PiiIndex.from_students([ADA, GRACE, *SMITHS])


def _kinds(text: str, index: PiiIndex) -> list[tuple[str, str]]:
    return [(h.kind, h.masked) for h in detect(text, index)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Top risk: Ada Quartermaine (grade 9)", [("name", "A** Q***********")]),
        ("QUARTERMAINE, ADA", [("name", "Q***********, A**")]),
        ("Ada,Quartermaine,9", [("name", "A**,Q***********")]),
        ("A. Quartermaine", [("name", "Q***********")]),
        ("Grace O'Brien-Lee", [("name", "G**** O'B****-L**")]),
        ("note: Quartermaine called", [("name", "Q***********")]),  # a distinctive single name
        ("call 555 013 4567 today", [("contact", "*** *** **67")]),
        ("row 12 5550134567", [("contact", "********67")]),
        ("+1 (555) 013-4567", [("contact", "***) ***-**67")]),
        ("GRACE.PARENT@example.org", [("contact", "G****.P*****@e******.o**")]),
        ("id,D01-000123,score", [("district_id", "D0********")]),
        ('{"student": "d01-000123"}', [("district_id", "d0********")]),
        ("born 2010-05-01", [("date_of_birth", "2010-**-**")]),
        ("born 05/01/2010", [("date_of_birth", "2010-**-**")]),
        ("born 01.05.2010", [("date_of_birth", "2010-**-**")]),
        ("born 20100501", [("date_of_birth", "2010-**-**")]),
        ("born May 1, 2010", [("date_of_birth", "2010-**-**")]),
        ("born 1st May 2010", [("date_of_birth", "2010-**-**")]),
        ("db postgresql://edu:s3cret@host/x", [("password", "***")]),
    ],
)
def test_detects_each_kind_in_common_forms(index: PiiIndex, text: str, expected) -> None:  # type: ignore[no-untyped-def]
    assert _kinds(text, index) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Smith was absent",  # four students are called Smith: the surname alone names nobody
        "Grace period of two weeks",  # a common word
        "quartermaine in lower case prose",  # single names must be capitalised
        "Ada Lovelace",  # a first name without the surname
        "born 2009-07-01",  # 1 July: the export's birth-year placeholder, never reported
        "as of 2025-05-01, 2010 rows, auc 0.000123",
        "postgresql://edu:***@host/x",  # already masked
        "id D01-000124",  # a different id
    ],
)
def test_ordinary_text_is_clean(index: PiiIndex, text: str) -> None:
    assert detect(text, index) == []


def test_repr_never_shows_values(index: PiiIndex) -> None:
    assert "Quartermaine" not in repr(index) and "quartermaine" not in repr(index)
    assert repr(index).startswith("PiiIndex(students=6")


def test_redact_replaces_every_hit(index: PiiIndex) -> None:
    assert redact("Ada Quartermaine hit D01-000123", index) == "[REDACTED] hit [REDACTED]"


def test_build_index_reads_the_database(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        f.add_student(conn, district_id="X-42", first_name="Zebediah", last_name="Plimpton",
                      date_of_birth=dt.date(2012, 3, 4), parent_contact="555-0199")
    index = build_index(engine)
    found = {h.kind for h in detect("Zebediah Plimpton X-42 2012-03-04 555-0199", index)}
    assert index.students == 1
    assert found == {"name", "district_id", "date_of_birth", "contact"}
