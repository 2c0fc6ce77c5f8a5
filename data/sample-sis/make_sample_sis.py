"""Re-export data/sample/ the way a district SIS might: same students and records, other layout.

    .venv/bin/python data/sample-sis/make_sample_sis.py   # from the repository root

What differs from the standard layout (profile.yaml undoes all of it):
- file names: Student_Demographics.csv, Attendance_Detail.csv.gz, Gradebook_Export.csv.gz,
  Behavior_Incidents.csv;
- column names (Student_Number, DOB, Att_Code, ...) and an extra column (Homeroom);
- codes: attendance P/A/T/E, gender Female/Male/Non–binary (an en dash: not ASCII),
  socioeconomic status as lunch status, kindergarten as K, exit and assignment-type codes;
- dates as MM/DD/YYYY;
- encodings: students and incidents in cp1252, attendance and grades in UTF-8 with a BOM;
- CRLF line ends everywhere; attendance separated by semicolons, grades by tabs.
Same input, same bytes (gzip with mtime 0 and no file name).
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
SAMPLE = HERE.parent / "sample"

GENDER = {"F": "Female", "M": "Male", "X": "Non\u2013binary"}
LUNCH = {"low": "Free", "middle": "Reduced", "high": "Paid"}
EXIT = {"dropout": "DO", "withdrawal": "WD", "transfer": "TR", "graduation": "GR", "other": "OT"}
STATUS = {"present": "P", "absent": "A", "tardy": "T", "excused": "E"}
CATEGORY = {"test": "TST", "quiz": "QZ", "homework": "HW", "project": "PRJ"}


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(SAMPLE / f"{name}.csv.gz", dtype=str, keep_default_na=False)


def _us_date(iso: pd.Series) -> pd.Series:
    parts = iso.str.split("-", expand=True)
    return (parts[1] + "/" + parts[2] + "/" + parts[0]).where(iso != "", "")


def _recode(values: pd.Series, mapping: dict[str, str]) -> pd.Series:
    return values.map(lambda v: mapping.get(v, v))


def _write(frame: pd.DataFrame, name: str, encoding: str, sep: str = ",") -> None:
    text = frame.to_csv(index=False, sep=sep, lineterminator="\r\n")
    data = text.encode(encoding)
    path = HERE / name
    if name.endswith(".gz"):
        buffer = io.BytesIO()
        with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0) as gz:
            gz.write(data)
        data = buffer.getvalue()
    path.write_bytes(data)


def students() -> pd.DataFrame:
    s = _read("students")
    return pd.DataFrame({
        "Student_Number": s["district_id"],
        "Last_Name": s["last_name"],
        "First_Name": s["first_name"],
        "Grade_Level": s["grade_level"].where(s["grade_level"] != "0", "K"),
        "DOB": _us_date(s["date_of_birth"]),
        "Gender": _recode(s["gender"], GENDER),
        "Ethnicity": s["ethnicity"],
        "Lunch_Status": _recode(s["socioeconomic_status"], LUNCH),
        "GPA": s["gpa"],
        "Att_Rate": s["attendance_rate"],
        "Guardian_Phone": s["parent_contact"],
        "Entry_Date": _us_date(s["enrollment_date"]),
        "District": s["district_code"],
        "School": s["school_code"],
        "Homeroom": "HR-" + s["school_code"].str[-3:],
        "Exit_Date": _us_date(s["exit_date"]),
        "Exit_Code": _recode(s["exit_code"], EXIT),
    })


def attendance() -> pd.DataFrame:
    a = _read("attendance")
    return pd.DataFrame({
        "Student_Number": a["district_id"],
        "Att_Date": _us_date(a["date"]),
        "Period": a["period"],
        "Att_Code": _recode(a["status"], STATUS),
    })


def grades() -> pd.DataFrame:
    g = _read("grades")
    return pd.DataFrame({
        "Student_Number": g["district_id"],
        "Course_Number": g["course_id"],
        "Course_Title": g["course_name"],
        "Category": _recode(g["assignment_type"], CATEGORY),
        "Date_Submitted": _us_date(g["submission_date"]),
        "Score": g["grade_value"],
        "Letter": g["grade_letter"],
    })


def incidents() -> pd.DataFrame:
    d = _read("discipline")
    return pd.DataFrame({
        "Student_Number": d["district_id"],
        "Incident_Date": _us_date(d["incident_date"]),
        "Incident_Type": d["incident_type"],
        "Severity": d["severity_level"],
        "Narrative": d["description"],
        "Action_Taken": d["resolution"],
    })


def main() -> None:
    _write(students(), "Student_Demographics.csv", "cp1252")
    _write(attendance(), "Attendance_Detail.csv.gz", "utf-8-sig", sep=";")
    _write(grades(), "Gradebook_Export.csv.gz", "utf-8-sig", sep="\t")
    _write(incidents(), "Behavior_Incidents.csv", "cp1252")


if __name__ == "__main__":
    main()
