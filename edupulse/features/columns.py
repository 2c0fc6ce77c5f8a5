"""The model-facing feature columns: the contract between `features` and `modeling`.

`edupulse.features` computes these for each (student, as-of date); `edupulse.modeling` reads
them by name. The spec's `feature_vector` keys (attendance, academic, behavioral, trends,
metadata) map to the first block; everything else lives under feature_vector["extra"].
Protected attributes (gender, ethnicity, socioeconomic status) are never in this list.
"""

from __future__ import annotations

from typing import Final

# Columns of student_features itself.
BASE: Final = ("attendance_rate", "gpa_current", "discipline_incidents")

# The spec's vector, flattened (w1 = oldest of the four weeks, w4 = the week ending at as-of).
SPEC_VECTOR: Final = (
    "attendance_w1", "attendance_w2", "attendance_w3", "attendance_w4",
    "gpa_w1", "gpa_w2", "gpa_w3", "gpa_w4",
    "incidents_w1", "incidents_w2", "incidents_w3", "incidents_w4",
    "attendance_trend", "gpa_trend", "incidents_trend",
    "weeks_of_data", "data_quality",
)

# feature_vector["extra"]: year-to-date figures and the ABC indicators.
EXTRA: Final = (
    "attendance_rate_ytd",        # attended / scheduled since the start of the data
    "unexcused_absence_rate_ytd",  # absent (not excused) / scheduled
    "excused_rate_ytd",
    "tardy_rate_ytd",
    "gpa_ytd",                     # 4.0-scale GPA over all graded work so far
    "failing_courses",             # courses whose average so far is below 60
    "courses",                     # courses with any grade so far
    "incidents_ytd",
    "serious_incidents_ytd",       # severity >= 3
    "severity_weighted_incidents_ytd",
    "abc_attendance",              # 1 if attendance_rate_ytd < 0.90
    "abc_behavior",                # 1 if serious_incidents_ytd >= 1
    "abc_course",                  # 1 if failing_courses >= 1 or gpa_ytd <= 2.0
    "abc_flags",                   # the sum of the three
)

MODEL_FEATURES: Final = BASE + SPEC_VECTOR + EXTRA

# Identifiers and grouping columns that travel with the frame but are never model inputs.
KEYS: Final = ("student_id", "feature_date")
