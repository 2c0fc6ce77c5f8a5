"""Code lists shared by the synthetic generator, the loader, the features and the labels.

One place, so that what `edupulse synth` writes, what `edupulse load` accepts and what the
labels count as an adverse exit can never drift apart.
"""

from __future__ import annotations

from typing import Final

ATTENDANCE_STATUSES: Final = ("present", "absent", "tardy", "excused")
# Statuses that count as attended (tardy: the student was in class).
ATTENDED_STATUSES: Final = ("present", "tardy")

ASSIGNMENT_TYPES: Final = ("test", "quiz", "homework", "project")

# The spec's severity levels, with incident types typical for each.
SEVERITY_LEVELS: Final = {
    1: ("Minor", ("tardy", "dress code")),
    2: ("Moderate", ("disruption", "inappropriate language")),
    3: ("Serious", ("defiance", "fighting")),
    4: ("Major", ("weapons", "drugs")),
    5: ("Critical", ("violence", "safety threat")),
}
SERIOUS_SEVERITY: Final = 3  # severity >= 3 is a "serious incident" for the ABC indicators

GENDERS: Final = ("F", "M", "X")
SES_CODES: Final = ("low", "middle", "high")

# Exit codes in student_metadata.exit_code. Dropout and withdrawal are the adverse exits the
# `dropout` label counts; transfers and graduation are not failures.
EXIT_CODES: Final = ("dropout", "withdrawal", "transfer", "graduation", "other")
ADVERSE_EXIT_CODES: Final = ("dropout", "withdrawal")

# Keys of students.student_metadata that EduPulse reads.
META_DISTRICT: Final = "district_code"
META_SCHOOL: Final = "school_code"
META_EXIT_DATE: Final = "exit_date"  # ISO date string or absent/null
META_EXIT_CODE: Final = "exit_code"  # one of EXIT_CODES or absent/null

# 0-100 -> letter, the common US scale (lower bound inclusive).
LETTER_GRADES: Final = ((90.0, "A"), (80.0, "B"), (70.0, "C"), (60.0, "D"), (0.0, "F"))
FAILING_GRADE: Final = 60.0  # a course average below 60 is a failing course
