"""A school team's risk list: each student's latest prediction up to a date, highest risk first.

Built on the spec's "current high-risk students" query (edupulse.db.queries). Names ARE part of
the list school staff act on, but only when asked for (`names=True`, `--names`): by default the
list is pseudonymous (the internal student UUID, no SIS id, no names), safe for research use.
A list with names is confidential student data: keep it inside the school.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from edupulse.db.queries import current_high_risk_students
from edupulse.features.cohort import eligible
from edupulse.scoring.factors import RiskFactor, parse_risk_factors


@dataclass(frozen=True)
class RiskListRow:
    rank: int
    student: str  # the internal student UUID (pseudonymous) — or the SIS id with names
    first_name: str | None
    last_name: str | None
    grade_level: int | None
    risk_score: float
    risk_category: str
    confidence: float | None
    prediction_date: dt.date
    model_version: str | None
    factors: tuple[RiskFactor, ...]


def risk_list(
    conn: sa.Connection,
    as_of: dt.date,
    school: str,
    *,
    categories: Sequence[str] = ("high", "critical"),
    names: bool = False,
    top: int | None = None,
) -> list[RiskListRow]:
    # Students who left by the date drop out: their last prediction is history, not a case.
    rows = current_high_risk_students(conn, categories, as_of=as_of, school=school,
                                      students_where=eligible(as_of))
    out = []
    for rank, r in enumerate(rows[:top] if top else rows, start=1):
        stamp = r.prediction_date
        out.append(RiskListRow(
            rank=rank,
            student=r.district_id if names else str(r.student_id),
            first_name=r.first_name if names else None,
            last_name=r.last_name if names else None,
            grade_level=r.grade_level,
            risk_score=round(float(r.risk_score), 4),
            risk_category=r.risk_category,
            confidence=None if r.confidence is None else round(float(r.confidence), 3),
            prediction_date=stamp.date() if isinstance(stamp, dt.datetime) else stamp,
            model_version=r.model_version,
            factors=tuple(parse_risk_factors(r.risk_factors)),
        ))
    return out


def to_csv(rows: Sequence[RiskListRow], names: bool) -> str:
    """One line per student; factors and recommendations joined with ' | '."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    head = ["rank", "district_id" if names else "student_key"]
    head += ["first_name", "last_name"] if names else []
    head += ["grade_level", "risk_score", "risk_category", "confidence", "prediction_date",
             "model_version", "factors", "recommendations"]
    w.writerow(head)
    for r in rows:
        line: list[object] = [r.rank, r.student]
        line += [r.first_name, r.last_name] if names else []
        line += [r.grade_level, r.risk_score, r.risk_category, r.confidence,
                 r.prediction_date.isoformat(), r.model_version,
                 " | ".join(f"{f.description} ({f.factor}={f.value})" for f in r.factors),
                 " | ".join(f.recommendation for f in r.factors)]
        w.writerow(line)
    return buf.getvalue()


_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Risk list {{ school }} {{ as_of }}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;width:100%}
td,th{border:1px solid #ccc;padding:4px 6px;vertical-align:top;text-align:left}
.critical{background:#fdd}.high{background:#ffe9cc}
@media print{body{margin:0}}</style></head><body>
<h1>Students to support: school {{ school }}, as of {{ as_of }}</h1>
<p>{{ rows|length }} student(s) in categories {{ categories|join(", ") }}, highest risk first.
{% if names %}<strong>Confidential: contains student names. Keep within the school team.</strong>
{% else %}Pseudonymous list: student keys only.{% endif %}</p>
<table><tr><th>#</th><th>Student</th>{% if names %}<th>Name</th>{% endif %}<th>Grade</th>
<th>Risk</th><th>Category</th><th>Confidence</th><th>Why (top factors)</th><th>What to do</th></tr>
{% for r in rows %}<tr class="{{ r.risk_category }}"><td>{{ r.rank }}</td><td>{{ r.student }}</td>
{% if names %}<td>{{ r.first_name }} {{ r.last_name }}</td>{% endif %}<td>{{ r.grade_level }}</td>
<td>{{ "%.2f"|format(r.risk_score) }}</td><td>{{ r.risk_category }}</td>
<td>{{ r.confidence if r.confidence is not none else "" }}</td>
<td><ul>{% for f in r.factors %}<li>{{ f.description }}</li>{% endfor %}</ul></td>
<td><ul>{% for f in r.factors %}<li>{{ f.recommendation }}</li>{% endfor %}</ul></td></tr>
{% endfor %}</table></body></html>
"""


def to_html(rows: Sequence[RiskListRow], *, school: str, as_of: dt.date,
            categories: Sequence[str], names: bool) -> str:
    """A self-contained page (no external requests), escaped by jinja2's autoescape."""
    import jinja2

    env = jinja2.Environment(autoescape=True)
    return env.from_string(_HTML).render(rows=rows, school=school, as_of=as_of,
                                         categories=categories, names=names)
