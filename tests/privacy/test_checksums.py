"""Table checksums depend on content, not on the order rows were written in."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from edupulse.db import migrate
from edupulse.db.models import Student
from edupulse.db.session import make_engine
from edupulse.privacy.checksums import table_digests
from tests.db import factories as f


def test_same_rows_in_another_order_give_the_same_checksums(engine: sa.Engine,
                                                            empty_db_url: str) -> None:
    other = make_engine(empty_db_url, poolclass=sa.pool.NullPool)
    migrate.upgrade(other)
    rows = [f.student(district_id=f"S{i}", student_metadata={"b": 1, "a": [i]},
                      created_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
                      updated_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC)) for i in range(5)]
    with engine.begin() as conn:
        conn.execute(sa.insert(Student.__table__), rows)
    with other.begin() as conn:
        conn.execute(sa.insert(Student.__table__), rows[::-1])
    a, b = table_digests(engine), table_digests(other)
    assert a["students"] == b["students"] and a["students"].rows == 5
    with other.begin() as conn:
        conn.execute(sa.update(Student.__table__).where(Student.district_id == "S3")
                     .values(gpa=2.0))
    assert table_digests(other)["students"].sha256 != a["students"].sha256
    other.dispose()
