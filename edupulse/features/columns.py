"""The model-facing feature columns: the contract between `features` and `modeling`.

`edupulse.features` computes these for each (student, as-of date A); `edupulse.modeling` reads
them by name from `read_feature_frame`. The spec's `feature_vector` keys (attendance, academic,
behavioral, trends, metadata) map to SPEC_VECTOR; everything else lives under
feature_vector["extra"]. Exact definitions: docs/features.md. Week k (w1 oldest .. w4) is the
7 days (A - 7(5-k), A - 7(4-k)]; "ytd" is the school year to date, 1 July .. A; a GPA is the mean
4.0-scale points of the graded assignments in its window (A >= 90: 4, B >= 80: 3, C >= 70: 2,
D >= 60: 1, F: 0). Protected attributes (gender, ethnicity, socioeconomic status) are never in
these lists, nor anything derived from them.
"""

from __future__ import annotations

from typing import Final

# Columns of student_features itself (REAL: float4 on PostgreSQL).
BASE: Final = (
    "attendance_rate",       # attended / records over the 28 days (A-28, A]; else ytd; else NaN
    "gpa_current",           # = gpa_w4
    "discipline_incidents",  # incidents in (A-28, A]
)

# The spec's vector, flattened (w1 = oldest of the four weeks, w4 = the week ending at A).
SPEC_VECTOR: Final = (
    # attended (present + tardy) / records of the week; a week without records takes the
    # nearest earlier week's rate, else the nearest later one, else attendance_rate_ytd
    "attendance_w1", "attendance_w2", "attendance_w3", "attendance_w4",
    # GPA of the 28 days ending with the week; missing windows filled like attendance (gpa_ytd)
    "gpa_w1", "gpa_w2", "gpa_w3", "gpa_w4",
    # incidents recorded in the week (0 when none)
    "incidents_w1", "incidents_w2", "incidents_w3", "incidents_w4",
    # least-squares slope per week of the four values above (after filling)
    "attendance_trend", "gpa_trend", "incidents_trend",
    "weeks_of_data",   # whole weeks from the first attendance record of the school year to A
    "data_quality",    # share of w1..w4 with records, of the weeks the school was open and the
                       # student enrolled; NaN when there was no such week
)

# feature_vector["extra"]: year-to-date figures and the ABC indicators.
EXTRA: Final = (
    "attendance_rate_ytd",         # attended / records since 1 July
    "unexcused_absence_rate_ytd",  # absent (not excused) / records
    "excused_rate_ytd",            # excused / records
    "tardy_rate_ytd",              # tardy / records (tardy also counts as attended)
    "gpa_ytd",                     # GPA of all graded assignments since 1 July
    "failing_courses",             # courses whose mean grade since 1 July is below 60
    "courses",                     # courses with any grade since 1 July
    "incidents_ytd",
    "serious_incidents_ytd",       # severity >= 3
    "severity_weighted_incidents_ytd",  # sum of severity levels (a missing level counts 1)
    "abc_attendance",              # 1 if attendance_rate_ytd < 0.90
    "abc_behavior",                # 1 if serious_incidents_ytd >= 1
    "abc_course",                  # 1 if failing_courses >= 1 or gpa_ytd <= 2.0
    "abc_flags",                   # the sum of the three
)

MODEL_FEATURES: Final = BASE + SPEC_VECTOR + EXTRA

# Identifiers that travel with the frame but are never model inputs (so are the grouping
# columns district_id, school_code, grade_level of read_feature_frame).
KEYS: Final = ("student_id", "feature_date")
