"""`edupulse retention apply --policy FILE [--dry-run]`: delete or anonymise what is older than
a district's retention periods.

The policy (YAML, validated before anything runs) gives each table a period and an action:

    version: 1
    tables:
      attendance_records: {keep: 5y}                     # delete records older than 5 years
      discipline_incidents: {keep: 3y, action: anonymise}  # blank description and resolution
      students: {keep: 7y, action: anonymise}            # students who LEFT over 7 years ago

Age is measured on each table's own date (AGE_COLUMNS); a student's age is the time since their
exit_date (students still enrolled are never touched). Counts are computed and shown first; the
changes then run in one transaction, so a failure changes nothing. A dry run only counts.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import sqlalchemy as sa
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from edupulse.data.codes import META_EXIT_DATE
from edupulse.db.models import (
    AttendanceRecord,
    AuditLog,
    DisciplineIncident,
    Grade,
    Prediction,
    Student,
    StudentFeature,
    TrainingFeedback,
)
from edupulse.privacy.audit_log import SUMMARY_TABLES, logged_by_database, record_changes
from edupulse.privacy.pii_index import EXPORT_BIRTH_DAY

TABLES: dict[str, sa.Table] = {
    t.name: t for t in (
        TrainingFeedback.__table__, Prediction.__table__, StudentFeature.__table__,
        AttendanceRecord.__table__, Grade.__table__, DisciplineIncident.__table__,
        Student.__table__, AuditLog.__table__,
    )
}  # in the order the rules are applied: dependants before the students they hang off
AGE_COLUMNS = {
    "training_feedback": "created_at", "predictions": "prediction_date",
    "student_features": "feature_date", "attendance_records": "date",
    "grades": "submission_date", "discipline_incidents": "incident_date",
    "audit_log": "changed_at", "students": f"student_metadata.{META_EXIT_DATE}",
}
ANONYMISABLE = {"students", "discipline_incidents", "training_feedback"}
ANON_PREFIX = "ANON-"
PLACEHOLDER = "Redacted"
_PERIOD = re.compile(r"^\s*(\d+)\s*(d|days?|w|weeks?|m|months?|y|years?)\s*$", re.I)


class Period(BaseModel):
    model_config = ConfigDict(frozen=True)
    amount: int
    unit: Literal["d", "w", "m", "y"]

    def before(self, day: dt.date) -> dt.date:
        """The cut-off: `day` minus this period (month ends clamp: 29 Feb - 1y = 28 Feb)."""
        if self.unit in ("d", "w"):
            return day - dt.timedelta(days=self.amount * (7 if self.unit == "w" else 1))
        months = self.amount * (12 if self.unit == "y" else 1)
        y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
        for d in range(day.day, 27, -1):
            try:
                return dt.date(y, m + 1, d)
            except ValueError:
                continue
        return dt.date(y, m + 1, min(day.day, 28))

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    keep: Period
    action: Literal["delete", "anonymise"] = "delete"

    @field_validator("keep", mode="before")
    @classmethod
    def _period(cls, value: object) -> object:
        if isinstance(value, str) and (m := _PERIOD.match(value)) and int(m[1]) > 0:
            return {"amount": int(m[1]), "unit": m[2][0].lower()}
        if isinstance(value, dict | Period):
            return value
        raise ValueError("expected a period like 90d, 26w, 18m or 7y")


class RetentionPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    version: Literal[1]
    as_of: dt.date | None = None
    tables: dict[Literal[tuple(TABLES)], Rule]  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _actions(self) -> RetentionPolicy:
        for table, rule in self.tables.items():
            if rule.action == "anonymise" and table not in ANONYMISABLE:
                raise ValueError(f"tables.{table}.action: only {', '.join(sorted(ANONYMISABLE))} "
                                 "can be anonymised; use delete")
        return self


class PolicyError(ValueError):
    pass


def load_policy(path: Path) -> RetentionPolicy:
    """Read and validate a policy file; errors name the file, the key and what was expected."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read the policy ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise PolicyError(f"{path}: not valid YAML ({exc})") from None
    try:
        return RetentionPolicy.model_validate(data)
    except ValidationError as exc:
        problems = "".join(f"\n  {_problem(e)}" for e in exc.errors())
        raise PolicyError(f"{path}: invalid retention policy:{problems}") from None


def _problem(error: dict) -> str:  # type: ignore[type-arg]
    where = ".".join(str(p) for p in error["loc"] if p != "[key]") or "(top level)"
    value = error.get("input")
    got = f" (got {value!r})" if isinstance(value, str | int | float) else ""
    return f"{where}: {error['msg'].removeprefix('Value error, ')}{got}"


@dataclass(frozen=True)
class Step:
    table: str
    action: str
    keep: str
    cutoff: dt.date
    rows: int

    def describe(self) -> str:
        verb = "delete" if self.action == "delete" else "anonymise"
        what = ("students who left before" if self.table == "students"
                else f"rows with {AGE_COLUMNS[self.table]} before")
        return (f"{self.table:<22} {verb:<9} {self.rows:>10,}  "
                f"({what} {self.cutoff}, keep {self.keep})")


def _age(table: sa.Table) -> sa.ColumnElement:  # type: ignore[type-arg]
    if table.name == "students":
        return table.c.student_metadata[META_EXIT_DATE].as_string()
    return table.c[AGE_COLUMNS[table.name]]


def _condition(table: sa.Table, action: str, cutoff: dt.date) -> sa.ColumnElement[bool]:
    age = _age(table)
    cond = age < (cutoff.isoformat() if table.name == "students" else cutoff)
    if table.name == "students":
        cond = sa.and_(age.is_not(None), age != "", cond)
    if action == "anonymise":  # only what is not anonymous yet
        if table.name == "students":
            cond = sa.and_(cond, table.c.district_id.not_like(f"{ANON_PREFIX}%"))
        elif table.name == "discipline_incidents":
            cond = sa.and_(cond, sa.or_(table.c.description.is_not(None),
                                        table.c.resolution.is_not(None)))
        else:
            cond = sa.and_(cond, table.c.educator_notes.is_not(None))
    return cond


def plan(conn: sa.Connection, policy: RetentionPolicy, as_of: dt.date | None = None) -> list[Step]:
    """What the policy would change, table by table, without changing anything."""
    day = as_of or policy.as_of or dt.datetime.now(dt.UTC).date()
    steps = []
    for name, table in TABLES.items():
        rule = policy.tables.get(name)
        if rule is None:
            continue
        cutoff = rule.keep.before(day)
        n = conn.execute(sa.select(sa.func.count()).select_from(table)
                         .where(_condition(table, rule.action, cutoff))).scalar_one()
        steps.append(Step(name, rule.action, str(rule.keep), cutoff, n))
    return steps


def apply(engine: sa.Engine, steps: list[Step]) -> dict[str, int]:
    """Carry out a plan in one transaction; returns rows changed per table."""
    done: dict[str, int] = {}
    with engine.begin() as conn:
        for step in steps:
            table = TABLES[step.table]
            cond = _condition(table, step.action, step.cutoff)
            _log_bulk_changes(conn, table, step.action, cond)
            if step.action == "delete":
                done[step.table] = conn.execute(sa.delete(table).where(cond)).rowcount
            else:
                done[step.table] = _anonymise(conn, table, cond)
    return done


def _log_bulk_changes(conn: sa.Connection, table: sa.Table, action: str,
                      cond: sa.ColumnElement[bool]) -> None:
    """Where no trigger logs the bulk tables (SQLite), write their per-student history here,
    including rows a deleted student's cascade takes with it."""
    if table.name == "students" and action == "delete":
        ids = sa.select(table.c.id).where(cond)
        for name in SUMMARY_TABLES:
            child = TABLES[name]
            if not logged_by_database(conn, name):
                _record(conn, child, "DELETE", child.c.student_id.in_(ids), None)
    elif table.name in SUMMARY_TABLES and not logged_by_database(conn, table.name):
        columns = ["description", "resolution"] if action == "anonymise" else None
        _record(conn, table, "DELETE" if action == "delete" else "UPDATE", cond, columns)


def _record(conn: sa.Connection, table: sa.Table, op: str, cond: sa.ColumnElement[bool],
            columns: list[str] | None) -> None:
    counts = conn.execute(sa.select(table.c.student_id, sa.func.count()).where(cond)
                          .group_by(table.c.student_id)).all()
    if counts:
        record_changes(conn, table.name, op, Counter(dict(counts)), columns)


def _anonymise(conn: sa.Connection, table: sa.Table, cond: sa.ColumnElement[bool]) -> int:
    if table.name == "discipline_incidents":
        return conn.execute(sa.update(table).where(cond)
                            .values(description=None, resolution=None)).rowcount
    if table.name == "training_feedback":
        return conn.execute(sa.update(table).where(cond).values(educator_notes=None)).rowcount
    rows = conn.execute(sa.select(table.c.id, table.c.date_of_birth).where(cond)).all()
    month, day = EXPORT_BIRTH_DAY
    params = [{"rid": rid, "did": f"{ANON_PREFIX}{uuid.UUID(str(rid)).hex}",
               "dob": dt.date(born.year, month, day)} for rid, born in rows]
    if params:
        conn.execute(
            sa.update(table).where(table.c.id == sa.bindparam("rid")).values(
                district_id=sa.bindparam("did"), date_of_birth=sa.bindparam("dob"),
                first_name=PLACEHOLDER, last_name=PLACEHOLDER, parent_contact=None),
            params)
    return len(params)
