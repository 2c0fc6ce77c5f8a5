"""The catalogue: which model features are actionable factors, and what a school team can do.

Explanations name actionable factors only (attendance, course performance, behaviour), never a
protected attribute and never a data artefact (weeks of data, data quality, number of courses).
Correlated features that describe one thing (e.g. this week's, the 4-week and the year's
attendance) are grouped into one factor whose weight is the sum of their attributions (Shapley
values are additive), so a student's top three factors are three different things to act on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from edupulse.features.columns import MODEL_FEATURES

PROTECTED: Final = frozenset({"gender", "ethnicity", "socioeconomic_status"})


@dataclass(frozen=True)
class Factor:
    """One actionable factor: the features it groups, the one whose value is shown, the text."""

    name: str
    features: tuple[str, ...]
    value_feature: str
    description: str
    recommendation: str


CATALOGUE: Final[tuple[Factor, ...]] = (
    Factor(
        "attendance_rate",
        ("attendance_rate", "attendance_w1", "attendance_w2", "attendance_w3", "attendance_w4",
         "attendance_rate_ytd", "abc_attendance", "excused_rate_ytd"),
        "attendance_rate",
        "Low attendance pattern detected",
        "Contact family to discuss attendance barriers",
    ),
    Factor(
        "attendance_decline",
        ("attendance_trend",),
        "attendance_trend",
        "Attendance declining over recent weeks",
        "Check in with the student this week; assign an adult mentor for daily check-ins",
    ),
    Factor(
        "unexcused_absences",
        ("unexcused_absence_rate_ytd",),
        "unexcused_absence_rate_ytd",
        "Frequent unexcused absences this year",
        "Meet with family on an attendance plan; involve the attendance officer if it continues",
    ),
    Factor(
        "tardiness",
        ("tardy_rate_ytd",),
        "tardy_rate_ytd",
        "Frequent late arrivals",
        "Explore morning barriers (transport, sleep, caregiving) with student and family",
    ),
    Factor(
        "gpa_current",
        ("gpa_current", "gpa_w1", "gpa_w2", "gpa_w3", "gpa_w4", "gpa_ytd"),
        "gpa_current",
        "Low current grades",
        "Academic support and tutoring intervention",
    ),
    Factor(
        "gpa_decline",
        ("gpa_trend",),
        "gpa_trend",
        "Grades declining over recent weeks",
        "Teacher conference on missing or low work; set up a short-term academic plan",
    ),
    Factor(
        "failing_courses",
        ("failing_courses", "abc_course"),
        "failing_courses",
        "Failing one or more courses",
        "Course recovery plan with the course teacher; targeted tutoring in the failing course",
    ),
    Factor(
        "discipline_incidents",
        ("discipline_incidents", "incidents_w1", "incidents_w2", "incidents_w3", "incidents_w4",
         "incidents_ytd"),
        "discipline_incidents",
        "Repeated behaviour incidents",
        "Behaviour support plan with the counsellor; positive-behaviour check-in/check-out",
    ),
    Factor(
        "incidents_increase",
        ("incidents_trend",),
        "incidents_trend",
        "Behaviour incidents increasing",
        "Early counsellor conversation to understand what changed",
    ),
    Factor(
        "serious_incidents",
        ("serious_incidents_ytd", "severity_weighted_incidents_ytd", "abc_behavior"),
        "serious_incidents_ytd",
        "Serious behaviour incident(s) this year",
        "Restorative meeting and a behaviour intervention plan; review supports after any "
        "suspension",
    ),
    Factor(
        "multiple_indicators",
        ("abc_flags",),
        "abc_flags",
        "Several early-warning indicators at once (attendance, behaviour, courses)",
        "Refer to the student support team for a coordinated plan",
    ),
)

# Model features that are never shown as factors: they describe the data, not the student.
NON_ACTIONABLE: Final = frozenset({"weeks_of_data", "data_quality", "courses"})


def factor_index(feature_names: tuple[str, ...]) -> list[tuple[Factor, list[int]]]:
    """Each catalogue factor with the positions of its features among `feature_names`.

    Raises if a protected attribute is among the features: such a model must never be scored.
    """
    leaked = PROTECTED.intersection(feature_names)
    if leaked:
        raise ValueError(f"protected attribute(s) {sorted(leaked)} among model inputs: refused")
    pos = {name: i for i, name in enumerate(feature_names)}
    out = []
    for factor in CATALOGUE:
        idx = [pos[f] for f in factor.features if f in pos]
        if idx and factor.value_feature in pos:
            out.append((factor, idx))
    return out


def uncovered_features() -> set[str]:
    """MODEL_FEATURES that are neither in a factor nor declared non-actionable (should be none)."""
    covered = {f for factor in CATALOGUE for f in factor.features} | NON_ACTIONABLE
    return set(MODEL_FEATURES) - covered
