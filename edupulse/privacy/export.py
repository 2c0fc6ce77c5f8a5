"""`edupulse export --out DIR`: a pseudonymised research export in the layout `edupulse load`
reads (students.csv, attendance.csv, grades.csv, discipline.csv; docs/input-format.md).

- district_id -> "P-" + the first 32 hex digits of HMAC-SHA256(EDUPULSE_PSEUDONYM_KEY,
  district_id): stable for one key (re-exports link up), unlinkable without it. Child files use
  the same pseudonym, so the links between tables survive.
- first_name and last_name -> the placeholder "Redacted" (the loader requires both);
  parent_contact -> empty.
- date_of_birth -> 1 July of the birth year (of the band's first year when --min-k coarsened
  it to 2- or 4-year bands), so the file still loads as a date.
- discipline descriptions are dropped (free text cannot be de-identified reliably); resolutions
  and course names keep their text with any student name, contact or id replaced by [REDACTED].
- k-anonymity over school, grade level, gender, ethnicity and birth year is reported, and with
  --min-k enforced (edupulse.privacy.kanon); suppressed students are left out with their records.
The files are written to a temporary folder and moved into place only when complete.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import hashlib
import hmac
import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa

from edupulse.data import codes
from edupulse.db.models import AttendanceRecord, DisciplineIncident, Grade, Student
from edupulse.privacy.kanon import Generalised, KAnonymity, generalise, measure
from edupulse.privacy.pii_index import EXPORT_BIRTH_DAY, PiiIndex, build_index, redact

KEY_ENV = "EDUPULSE_PSEUDONYM_KEY"
MIN_KEY_LENGTH = 16
PLACEHOLDER_NAME = "Redacted"
REPORT_K = 5  # the k the report counts against when --min-k is not given
REPORT_FILE = "export-report.json"

NO_KEY = (f"{KEY_ENV} is not set: an export replaces SIS ids with a keyed hash and needs a "
          f"secret key of at least {MIN_KEY_LENGTH} characters. Create one with "
          "`python -c 'import secrets; print(secrets.token_hex(32))'`, keep it outside the "
          "export, and use the same key for every export that must link up.")
SHORT_KEY = f"{KEY_ENV} is too short: use at least {MIN_KEY_LENGTH} characters"
OUT_NOT_EMPTY = "{out} already exists and is not empty: choose a new folder"

STUDENT_COLUMNS = (
    "district_id", "first_name", "last_name", "grade_level", "date_of_birth", "gender",
    "ethnicity", "socioeconomic_status", "gpa", "attendance_rate", "parent_contact",
    "enrollment_date", "district_code", "school_code", "exit_date", "exit_code",
)
Progress = Callable[[str, int, int | None], None]


class ExportError(RuntimeError):
    pass


@dataclass(frozen=True)
class ExportResult:
    out: Path
    rows: dict[str, int]  # file name -> data rows written
    students: int
    suppressed: int
    before: KAnonymity
    after: KAnonymity
    changes: tuple[str, ...]
    key_id: str  # identifies the key (not the key): equal ids mean linkable exports


def pseudonym_key(environ: Mapping[str, str] = os.environ) -> bytes:
    key = environ.get(KEY_ENV, "")
    if not key:
        raise ExportError(NO_KEY)
    if len(key) < MIN_KEY_LENGTH:
        raise ExportError(SHORT_KEY)
    return key.encode()


def pseudonym(district_id: str, key: bytes) -> str:
    return "P-" + hmac.new(key, district_id.encode(), hashlib.sha256).hexdigest()[:32]


def key_id(key: bytes) -> str:
    return hmac.new(key, b"edupulse-export-key-id", hashlib.sha256).hexdigest()[:12]


def _text(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _students(conn: sa.Connection, key: bytes) -> pd.DataFrame:
    s = Student.__table__
    rows = conn.execute(sa.select(s).order_by(s.c.district_id)).mappings().all()
    out = []
    for r in rows:
        meta = r["student_metadata"] or {}
        out.append({
            "student_id": r["id"], "district_id": pseudonym(r["district_id"], key),
            "grade_level": r["grade_level"], "birth_year": r["date_of_birth"].year,
            "gender": r["gender"], "ethnicity": r["ethnicity"],
            "socioeconomic_status": r["socioeconomic_status"], "gpa": r["gpa"],
            "attendance_rate": r["attendance_rate"], "enrollment_date": r["enrollment_date"],
            "district_code": meta.get(codes.META_DISTRICT),
            "school_code": meta.get(codes.META_SCHOOL),
            "exit_date": meta.get(codes.META_EXIT_DATE),
            "exit_code": meta.get(codes.META_EXIT_CODE),
        })
    columns = ["student_id", "district_id", "grade_level", "birth_year", "gender", "ethnicity",
               "socioeconomic_status", "gpa", "attendance_rate", "enrollment_date",
               "district_code", "school_code", "exit_date", "exit_code"]
    return pd.DataFrame(out, columns=columns).astype({"grade_level": "object"})


def _anonymise(frame: pd.DataFrame, min_k: int | None, max_suppressed: float) -> Generalised:
    if min_k:
        return generalise(frame, min_k, max_suppressed)
    report = measure(frame, REPORT_K)
    return Generalised(frame, 1, (), report, report, ("no generalisation requested (--min-k)",))


@contextmanager
def _writer(path: Path, gz: bool) -> Iterator[Any]:
    if gz:
        with gzip.open(path.with_name(path.name + ".gz"), "wt", newline="",
                       encoding="utf-8") as fh:
            yield csv.writer(fh, lineterminator="\n")
    else:
        with path.open("w", newline="", encoding="utf-8") as fh:
            yield csv.writer(fh, lineterminator="\n")


def _write_students(frame: pd.DataFrame, folder: Path, gz: bool) -> int:
    month, day = EXPORT_BIRTH_DAY
    with _writer(folder / "students.csv", gz) as w:
        w.writerow(STUDENT_COLUMNS)
        for r in frame.itertuples(index=False):
            row = {**r._asdict(), "first_name": PLACEHOLDER_NAME, "last_name": PLACEHOLDER_NAME,
                   "parent_contact": "",
                   "date_of_birth": dt.date(int(r.birth_year), month, day)}
            w.writerow([_text(row[c]) for c in STUDENT_COLUMNS])
    return len(frame)


@dataclass(frozen=True)
class _Child:
    file: str
    table: sa.Table
    columns: tuple[str, ...]  # after district_id
    order: tuple[str, ...]
    scrub: tuple[str, ...] = ()  # free text: student identifiers redacted
    drop: tuple[str, ...] = ()  # free text: always left empty


CHILDREN = (
    _Child("attendance.csv", AttendanceRecord.__table__, ("date", "status", "period"),
           ("student_id", "date", "period")),
    _Child("grades.csv", Grade.__table__,
           ("course_id", "course_name", "grade_value", "grade_letter", "submission_date",
            "assignment_type"),
           ("student_id", "course_id", "submission_date", "assignment_type"),
           scrub=("course_name",)),
    _Child("discipline.csv", DisciplineIncident.__table__,
           ("incident_date", "severity_level", "incident_type", "description", "resolution"),
           ("student_id", "incident_date", "incident_type"),
           scrub=("resolution",), drop=("description",)),
)


def _write_child(conn: sa.Connection, child: _Child, pseudonyms: dict[uuid.UUID, str],
                 index: PiiIndex, folder: Path, gz: bool, progress: Progress | None) -> int:
    t = child.table
    total = conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
    q = sa.select(t.c.student_id, *(t.c[c] for c in child.columns)).order_by(
        *(t.c[c] for c in child.order))
    cleaned: dict[str, str] = {}
    written = seen = 0
    with _writer(folder / child.file, gz) as w:
        w.writerow(("district_id", *child.columns))
        for row in conn.execution_options(yield_per=50_000).execute(q):
            seen += 1
            if progress and seen % 100_000 == 0:
                progress(child.file, seen, total)
            pid = pseudonyms.get(row[0])
            if pid is None:  # suppressed, or no student
                continue
            values = []
            for name, value in zip(child.columns, row[1:], strict=True):
                if name in child.drop:
                    value = None
                elif name in child.scrub and value:
                    if value not in cleaned:
                        cleaned[value] = redact(value, index)
                    value = cleaned[value]
                values.append(_text(value))
            w.writerow([pid, *values])
            written += 1
    if progress:
        progress(child.file, total, total)
    return written


def _prepare(out: Path) -> Path:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ExportError(OUT_NOT_EMPTY.format(out=out))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.partial-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    return tmp


def export(engine: sa.Engine, out: Path, key: bytes, *, min_k: int | None = None,
           max_suppressed: float = 0.05, gz: bool = False,
           progress: Progress | None = None) -> ExportResult:
    """Write the pseudonymised export of the whole database into the new folder `out`."""
    out = out.expanduser().absolute()
    tmp = _prepare(out)
    try:
        with engine.connect() as conn:
            index = build_index(conn)
            students = _students(conn, key)
            anon = _anonymise(students, min_k, max_suppressed)
            # rows in SIS-id order would hint at the ids: order by pseudonym instead
            anon = replace(anon, frame=anon.frame.sort_values("district_id", ignore_index=True))
            rows = {"students.csv": _write_students(anon.frame, tmp, gz)}
            pseudonyms = dict(zip(anon.frame["student_id"], anon.frame["district_id"],
                                  strict=True))
            for child in CHILDREN:
                rows[child.file] = _write_child(conn, child, pseudonyms, index, tmp, gz, progress)
        if gz:
            rows = {f"{k}.gz": v for k, v in rows.items()}
        result = ExportResult(out, rows, len(anon.frame), len(anon.suppressed), anon.before,
                              anon.after, anon.changes, key_id(key))
        (tmp / REPORT_FILE).write_text(_report_json(result, anon.birth_year_band))
        if out.exists():
            out.rmdir()
        tmp.rename(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return result


def _report_json(result: ExportResult, band: int) -> str:
    data = {
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "key_id": result.key_id,
        "rows": result.rows,
        "students": result.students,
        "suppressed_students": result.suppressed,
        "k_anonymity": {"quasi_identifiers": ["school_code", "grade_level", "gender",
                                              "ethnicity", "birth_year"],
                        "before": asdict(result.before), "after": asdict(result.after),
                        "changes": list(result.changes)},
        "conventions": {
            "district_id": "P- + HMAC-SHA256(key, SIS district_id), first 32 hex digits",
            "first_name/last_name": PLACEHOLDER_NAME,
            "date_of_birth": f"1 July of the birth year; birth years in {band}-year bands",
            "parent_contact": "empty", "discipline description": "empty",
            "course_name/resolution": "student names, contacts and ids -> [REDACTED]",
        },
    }
    return json.dumps(data, indent=2, default=str)
