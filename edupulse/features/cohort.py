"""Who is eligible as of a date: the one definition that features and labels share.

A student is in the cohort of as-of date A when enrolled on or before A (a missing enrollment
date counts as enrolled since before the data) and not exited on or before A (exit_date in
student_metadata, ISO text). The exit metadata is checked before use, so a malformed value
stops the work with a message naming the student and the field instead of silently moving a
student in or out of a cohort.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from edupulse.data import codes
from edupulse.db.models import Student

S = Student.__table__

ERR_EXIT_DATE = (
    "students row district_id={district_id}: student_metadata.{field} {value!r} is not an ISO "
    "date (YYYY-MM-DD)"
)
ERR_EXIT_CODE = (
    "students row district_id={district_id}: student_metadata.{field} {value!r} is not one of "
    "{allowed}"
)


class CohortDataError(ValueError):
    """Student metadata the cohort or label definitions cannot interpret."""


def meta_text(key: str) -> Any:
    """A student_metadata key as text, with '' read as missing."""
    return sa.func.nullif(S.c.student_metadata[key].as_string(), "")


def exit_date_text() -> Any:
    return meta_text(codes.META_EXIT_DATE)


def school_code() -> Any:
    return meta_text(codes.META_SCHOOL)


def eligible(as_of: Any, grade_levels: Sequence[int] | None = None) -> Any:
    """The cohort condition for an as-of date given as a Date bind or column. ISO dates compare
    correctly as text, which keeps the exit test identical on both backends."""
    as_of_text = sa.cast(as_of, sa.String) if not isinstance(as_of, dt.date) else as_of.isoformat()
    cond = sa.and_(
        sa.or_(S.c.enrollment_date.is_(None), S.c.enrollment_date <= as_of),
        sa.or_(exit_date_text().is_(None), exit_date_text() > as_of_text),
    )
    if grade_levels is not None:
        cond = sa.and_(cond, S.c.grade_level.in_(list(grade_levels)))
    return cond


def check_exit_metadata(conn: sa.Connection, *, codes_too: bool = False) -> None:
    """Raise CohortDataError for the first student whose exit_date is not an ISO date (or, with
    `codes_too`, whose exit_code is not a known code)."""
    code = meta_text(codes.META_EXIT_CODE)
    q = sa.select(S.c.district_id, exit_date_text().label("d"), code.label("c")).where(
        sa.or_(exit_date_text().is_not(None), code.is_not(None))
    ).order_by(S.c.district_id)
    for district_id, d, c in conn.execute(q):
        if d is not None and not _is_iso(d):
            raise CohortDataError(ERR_EXIT_DATE.format(
                district_id=district_id, field=codes.META_EXIT_DATE, value=d))
        if codes_too and c is not None and c not in codes.EXIT_CODES:
            raise CohortDataError(ERR_EXIT_CODE.format(
                district_id=district_id, field=codes.META_EXIT_CODE, value=c,
                allowed=", ".join(codes.EXIT_CODES)))


def _is_iso(text: str) -> bool:
    try:
        return len(text) == 10 and dt.date.fromisoformat(text).isoformat() == text
    except ValueError:
        return False
