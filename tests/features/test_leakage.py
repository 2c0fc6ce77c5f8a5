"""Features as of A use nothing dated after A: altering or deleting every later record leaves
A's stored rows byte-identical; altering one earlier record changes them. Both backends."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from edupulse.db.models import AttendanceRecord, DisciplineIncident, Grade, StudentFeature
from edupulse.features import build_features
from tests.features import data

SF = StudentFeature.__table__
AR, GR, DI = AttendanceRecord.__table__, Grade.__table__, DisciplineIncident.__table__
A = dt.date(2024, 10, 25)
DATES = (dt.date(2024, 9, 13), A, dt.date(2024, 11, 29), dt.date(2024, 12, 31))


def _stored(engine: sa.Engine, day: dt.date) -> dict[str, tuple]:
    """Each student's stored row as text, exactly as the database returns it."""
    q = sa.select(
        sa.cast(SF.c.student_id, sa.String), sa.cast(SF.c.attendance_rate, sa.String),
        sa.cast(SF.c.gpa_current, sa.String), SF.c.discipline_incidents,
        sa.cast(SF.c.feature_vector, sa.Text),
    ).where(SF.c.feature_date == day)
    with engine.connect() as conn:
        return {r[0]: tuple(r[1:]) for r in conn.execute(q)}


def test_records_after_as_of_never_change_its_features(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        data.populate(conn)
    build_features(engine, DATES, progress=False)
    before = _stored(engine, A)
    assert len(before) > 10

    with engine.begin() as conn:  # alter every record dated after A
        conn.execute(sa.update(AR).where(AR.c.date > A).values(status="absent"))
        conn.execute(sa.update(GR).where(GR.c.submission_date > A).values(grade_value=1.5))
        conn.execute(sa.update(DI).where(DI.c.incident_date > A).values(severity_level=5))
        n_after = conn.execute(sa.select(sa.func.count()).select_from(AR)
                               .where(AR.c.date > A)).scalar_one()
    assert n_after > 1000
    build_features(engine, DATES, progress=False)
    assert _stored(engine, A) == before

    with engine.begin() as conn:  # delete every record dated after A
        conn.execute(sa.delete(AR).where(AR.c.date > A))
        conn.execute(sa.delete(GR).where(GR.c.submission_date > A))
        conn.execute(sa.delete(DI).where(DI.c.incident_date > A))
    build_features(engine, DATES, progress=False)
    assert _stored(engine, A) == before


def test_one_earlier_record_changes_the_features(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        data.populate(conn)
    build_features(engine, DATES, progress=False)
    before = _stored(engine, A)
    def key(sid: object) -> str:
        return str(sid).replace("-", "") if len(next(iter(before))) == 32 else str(sid)

    with engine.begin() as conn:  # one present record on A itself becomes an absence
        # of a student in A's cohort (one who exits on A has records on A but no row)
        rid, sid = next(r for r in conn.execute(
            sa.select(AR.c.id, AR.c.student_id).where(AR.c.date == A, AR.c.status == "present")
            .order_by(AR.c.id)) if key(r.student_id) in before)
        conn.execute(sa.update(AR).where(AR.c.id == rid).values(status="absent"))
    build_features(engine, DATES, progress=False)
    after = _stored(engine, A)
    changed = {k for k in before if before[k] != after[k]}
    assert changed == {key(sid)}
