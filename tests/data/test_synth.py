"""The synthetic district: layout, determinism, realism, the latent process and the oracle."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import sqlalchemy as sa
from pydantic import ValidationError

from edupulse.data import codes
from edupulse.data.synth import (
    FILES,
    SynthConfig,
    SyntheticDistrict,
    generate,
    population,
    simulate,
    write,
)
from edupulse.data.synth_calendar import build_calendar
from edupulse.data.synth_population import Population
from edupulse.db.models import AttendanceRecord, DisciplineIncident, Grade, Student

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
SAMPLE_CONFIG = SynthConfig(students=500, start=dt.date(2024, 8, 26), weeks=36, seed=20240826)
HEADERS = {
    "students": "district_id,first_name,last_name,grade_level,date_of_birth,gender,ethnicity,"
                "socioeconomic_status,gpa,attendance_rate,parent_contact,enrollment_date,"
                "district_code,school_code,exit_date,exit_code",
    "attendance": "district_id,date,status,period",
    "grades": "district_id,course_id,course_name,grade_value,grade_letter,submission_date,"
              "assignment_type",
    "discipline": "district_id,incident_date,severity_level,incident_type,description,resolution",
    "ground_truth": "district_id,week_start,as_of_date,p_dropout_12w,p_course_failure_12w,"
                    "p_chronic_absence_12w,p_any_adverse_12w,y_dropout_12w,y_course_failure_12w,"
                    "y_chronic_absence_12w,y_any_adverse_12w,exit_code,exit_date",
}
OUTCOMES = ("dropout", "course_failure", "chronic_absence", "any_adverse")


@pytest.fixture(scope="module")
def district() -> SyntheticDistrict:
    return generate(SynthConfig(students=400, seed=11, oracle_draws=8))


@pytest.fixture(scope="module")
def files(district: SyntheticDistrict, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The written CSVs read back as text (every field a string, empty = missing)."""
    out = tmp_path_factory.mktemp("synth")
    paths = write(district, out)
    return {p.name.removesuffix(".csv"): pd.read_csv(p, dtype=str, keep_default_na=False)
            for p in paths}


def _digest(path: Path) -> str:
    data = path.read_bytes()
    return hashlib.sha256(gzip.decompress(data) if path.suffix == ".gz" else data).hexdigest()


# --- layout and determinism -----------------------------------------------------------------

def test_files_have_the_documented_header_and_plain_utf8_lf(district, tmp_path):
    paths = write(district, tmp_path)
    assert [p.name for p in paths] == [f"{name}.csv" for name in FILES]
    for path in paths:
        text = path.read_bytes().decode("utf-8")
        assert "\r" not in text
        assert text.split("\n", 1)[0] == HEADERS[path.name.removesuffix(".csv")]
        assert text.endswith("\n")


def test_same_seed_gives_identical_bytes_and_another_seed_does_not(tmp_path):
    config = SynthConfig(students=60, weeks=16, seed=5, oracle_draws=4)
    first = write(generate(config), tmp_path / "a", gzip=True)
    again = write(generate(config), tmp_path / "b", gzip=True)
    other = write(generate(config.model_copy(update={"seed": 6})), tmp_path / "c", gzip=True)
    for a, b, c in zip(first, again, other, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
        assert _digest(a) != _digest(c), a.name


def test_gzip_has_no_timestamp_or_name_and_holds_the_plain_file(district, tmp_path):
    plain = write(district, tmp_path / "plain")
    zipped = write(district, tmp_path / "zipped", gzip=True)
    for p, z in zip(plain, zipped, strict=True):
        raw = z.read_bytes()
        assert z.name == p.name + ".gz"
        assert raw[4:8] == b"\0\0\0\0", "mtime must be 0"
        assert raw[3] & 0x08 == 0, "no file name in the header"
        assert gzip.decompress(raw) == p.read_bytes()


def test_write_replaces_files_only_when_all_are_complete(district, tmp_path):
    write(district, tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    broken = SyntheticDistrict(district.config, district.students, district.attendance,
                               district.grades.assign(grade_value=object()), district.discipline,
                               district.ground_truth)
    with pytest.raises((pa.ArrowInvalid, pa.ArrowTypeError)):
        write(broken, tmp_path)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_sample_is_what_the_documented_command_makes(tmp_path):
    committed = sorted(SAMPLE.glob("*.csv.gz"))
    assert [p.name for p in committed] == sorted(f"{name}.csv.gz" for name in FILES)
    fresh = write(generate(SAMPLE_CONFIG), tmp_path, gzip=True)
    for path in fresh:
        assert _digest(path) == _digest(SAMPLE / path.name), (
            f"{path.name} differs from data/sample: regenerate it (see data/sample/README.md)")
    assert sum(p.stat().st_size for p in committed) < 8_000_000


# --- bad input ------------------------------------------------------------------------------

@pytest.mark.parametrize(("field", "value", "message"), [
    ("start", dt.date(2024, 8, 27), "is a Tuesday; weeks start on a Monday"),
    ("weeks", 0, "greater than or equal to 1"),
    ("weeks", 53, "less than or equal to 52"),
    ("students", 0, "greater than or equal to 1"),
    ("schools_per_district", 2, "greater than or equal to 3"),
    ("grade_weights", (1.0,) * 12, "13 non-negative weights"),
    ("oracle_draws", 0, "greater than or equal to 1"),
])
def test_config_rejects_bad_values_naming_the_field(field, value, message):
    with pytest.raises(ValidationError, match=message) as info:
        SynthConfig(**{field: value})
    assert info.value.errors()[0]["loc"] in ((field,), ())


# --- realism --------------------------------------------------------------------------------

def test_several_districts_schools_and_bands(district):
    s = district.students
    assert s["district_id"].is_unique
    assert s["district_id"].str.fullmatch(r"D\d{2}-\d{6}").all()
    assert s["district_code"].nunique() == 3
    assert s["school_code"].nunique() >= 9
    by_school = s.groupby("school_code")["grade_level"].agg(["min", "max"])
    for code, row in by_school.iterrows():
        band = {"ES": (0, 5), "MS": (6, 8), "HS": (9, 12)}[code.split("-")[1][:2]]
        assert band[0] <= row["min"] and row["max"] <= band[1], code
    assert set(s["gender"]) <= set(codes.GENDERS)
    assert set(s["socioeconomic_status"]) == set(codes.SES_CODES)
    assert s["ethnicity"].nunique() >= 5
    assert s["parent_contact"].str.fullmatch(r"\(555\) 0\d{2}-\d{4}").all()


def test_ages_are_plausible_for_the_grade(district):
    s = district.students
    sept1 = pd.Timestamp("2024-09-01")
    dob = s["date_of_birth"]
    age = sept1.year - dob.dt.year - ((dob.dt.month > 9) | (dob.dt.month == 9) & (dob.dt.day > 1))
    offset = age - s["grade_level"]
    assert offset.between(4, 6).all()
    assert (offset == 5).mean() > 0.9


def test_records_fall_on_school_days_only(district):
    calendar = build_calendar(district.config.start, district.config.weeks, 0, 3)
    school_days = {
        f"D{d + 1:02d}": set(calendar.date_of(calendar.slot_offset[d][calendar.slot_offset[d] >= 0]
                                              ).astype("datetime64[s]"))
        for d in range(3)
    }
    dcode = district.students.set_index("district_id")["district_code"]
    for frame, col in ((district.attendance, "date"), (district.grades, "submission_date"),
                       (district.discipline, "incident_date")):
        dates = frame[col]
        assert (dates.dt.day_of_week < 5).all(), col
        for d, days in school_days.items():
            mine = dates[frame["district_id"].map(dcode).astype(str).to_numpy() == d]
            assert set(mine.to_numpy().astype("datetime64[s]")) <= days, (col, d)
    holidays = pd.to_datetime(["2024-09-02", "2024-11-28", "2024-11-29", "2024-12-25",
                               "2025-01-01", "2025-01-20"])
    assert not district.attendance["date"].isin(holidays).any()
    weekdays = pd.bdate_range("2024-08-26", "2025-05-02")
    assert 150 <= district.attendance["date"].nunique() < len(weekdays)


def test_no_record_before_enrolment_or_after_exit(district):
    s = district.students.set_index("district_id")
    assert (s["enrollment_date"] > pd.Timestamp(district.config.start)).sum() >= 5
    assert s["exit_date"].notna().sum() >= 5
    for frame, col in ((district.attendance, "date"), (district.grades, "submission_date"),
                       (district.discipline, "incident_date")):
        span = frame.groupby("district_id", observed=True)[col].agg(["min", "max"])
        span = span.set_axis(span.index.astype(str)).join(s[["enrollment_date", "exit_date"]])
        assert (span["min"] >= span["enrollment_date"]).all(), col
        assert not (span["max"] > span["exit_date"]).any(), col


def test_natural_keys_are_unique(district):
    a = district.attendance.assign(period=district.attendance["period"].fillna(-1))
    assert not a.duplicated(["district_id", "date", "period"]).any()
    assert not district.grades.duplicated(
        ["district_id", "course_id", "submission_date", "assignment_type"]).any()
    assert not district.discipline.duplicated(
        ["district_id", "incident_date", "incident_type"]).any()


def test_code_values_are_valid(files):
    st, at, gr, di = files["students"], files["attendance"], files["grades"], files["discipline"]
    grade = st.set_index("district_id")["grade_level"].astype(int)
    assert set(at["status"]) == set(codes.ATTENDANCE_STATUSES)
    elementary = at["district_id"].map(grade) <= 5
    assert (at.loc[elementary, "period"] == "").all()
    assert set(at.loc[~elementary, "period"].astype(int)) == set(range(1, 8))
    per_day = at[~elementary].groupby(["district_id", "date"]).size()
    assert set(per_day) <= {6, 7}
    value = gr["grade_value"].astype(int)
    assert value.between(0, 100).all()
    letter = np.select([value >= low for low, _ in codes.LETTER_GRADES],
                       [x for _, x in codes.LETTER_GRADES], default="?")
    assert (gr["grade_letter"] == letter).all()
    assert set(gr["assignment_type"]) == set(codes.ASSIGNMENT_TYPES)
    whole_year = st.loc[(st["enrollment_date"] <= "2024-08-26") & (st["exit_date"] == ""),
                        "district_id"]
    courses = gr[gr["district_id"].isin(whole_year)].groupby("district_id")["course_id"].nunique()
    secondary = courses.index.map(grade) >= 6
    assert courses[secondary].between(4, 7).all()
    assert courses[~secondary].between(3, 4).all()
    level = di["severity_level"].astype(int)
    assert level.between(1, 5).all()
    assert all(t in codes.SEVERITY_LEVELS[v][1] for v, t in zip(level, di["incident_type"],
                                                                strict=True))
    assert (di["description"] != "").all() and (di["resolution"] != "").all()
    assert set(st["exit_code"]) - {""} <= set(codes.EXIT_CODES)
    gpa = st.loc[st["gpa"] != "", "gpa"].astype(float)
    assert gpa.between(0, 4).all() and len(gpa) > 300
    assert (st.loc[st["grade_level"].astype(int) < 3, "gpa"] == "").all()
    assert st["attendance_rate"].astype(float).between(0, 1).all()


def test_dropouts_are_high_school_students(district):
    s = district.students
    assert set(s.loc[s["exit_code"] == "dropout", "grade_level"]) <= set(range(9, 13))


def _db_rows(frame: pd.DataFrame, uid: dict[str, uuid.UUID]) -> list[dict]:
    part = frame[frame["district_id"].isin(list(uid))].astype(object)
    rows = part.where(part.notna(), None).to_dict("records")
    for r in rows:
        r["student_id"] = uid[r.pop("district_id")]
        r.update({k: v.date() for k, v in r.items() if isinstance(v, pd.Timestamp)})
    return rows


def test_rows_fit_the_database_schema(engine, district):
    """Rows insert under the schema's checks and the natural-key unique indexes (both backends)."""
    uid = {d: uuid.uuid4() for d in district.students["district_id"].head(25)}
    students = []
    for r in _db_rows(district.students, uid):
        meta = {k: r.pop(k) for k in ("district_code", "school_code", "exit_date", "exit_code")}
        r["student_metadata"] = {k: str(v) for k, v in meta.items() if v is not None}
        students.append(r | {"id": r.pop("student_id"), "district_id": None})
    for r, district_id in zip(students, uid, strict=True):
        r["district_id"] = district_id
    counts = {}
    with engine.begin() as conn:
        for model, rows in ((Student, students), (AttendanceRecord, district.attendance),
                            (Grade, district.grades), (DisciplineIncident, district.discipline)):
            rows = rows if isinstance(rows, list) else _db_rows(rows, uid)
            conn.execute(sa.insert(model.__table__), rows)
            counts[model.__tablename__] = len(rows)
    with engine.connect() as conn:
        for table, n in counts.items():
            assert conn.execute(sa.text(f"select count(*) from {table}")).scalar_one() == n
    assert counts["attendance_records"] > 10_000 and counts["grades"] > 3_000


# --- the latent process and the ground truth -------------------------------------------------

def test_protected_attributes_never_enter_the_process():
    config = SynthConfig(students=150, weeks=16, seed=9, oracle_draws=4)
    pop = population(config)
    rng = np.random.default_rng(0)
    shuffled = pop.students.assign(
        ethnicity=rng.permutation(pop.students["ethnicity"].to_numpy()),
        gender=rng.permutation(pop.students["gender"].to_numpy()))
    assert (shuffled["ethnicity"] != pop.students["ethnicity"]).sum() > 50
    a = simulate(pop, config)
    b = simulate(Population(shuffled, pop.course_index, pop.catalogue), config)
    for name in ("attendance", "grades", "discipline", "ground_truth"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    other = [c for c in a.students.columns if c not in ("ethnicity", "gender")]
    pd.testing.assert_frame_equal(a.students[other], b.students[other])


def test_ground_truth_rows_are_the_weekly_cohort(district):
    gt, s = district.ground_truth, district.students.set_index("district_id")
    assert (gt["week_start"].dt.day_of_week == 0).all()
    assert ((gt["as_of_date"] - gt["week_start"]).dt.days == 4).all()
    joined = gt.join(s[["enrollment_date"]], on="district_id")
    assert (joined["enrollment_date"] <= joined["as_of_date"]).all()
    assert not (joined["exit_date"] <= joined["as_of_date"]).any()
    assert (gt["exit_date"] == gt["district_id"].map(s["exit_date"])).sum() == gt[
        "exit_date"].notna().sum()
    full = s[(s["enrollment_date"] <= pd.Timestamp(district.config.start)) & s["exit_date"].isna()]
    per_student = gt.groupby("district_id", observed=True).size()
    assert (per_student[full.index] == district.config.weeks).all()
    for o in OUTCOMES:
        assert gt[f"p_{o}_12w"].between(0, 1).all()
    p = gt[[f"p_{o}_12w" for o in OUTCOMES]].to_numpy()
    assert (p[:, 3] >= p[:, :3].max(axis=1) - 1e-4).all()
    # The last 12 weeks' windows run past the end of the data: no realised outcome there.
    late = gt["as_of_date"] + pd.Timedelta(days=84) > district.attendance["date"].max()
    assert gt.loc[late, "y_any_adverse_12w"].isna().all()
    assert gt.loc[~late, "y_any_adverse_12w"].notna().mean() > 0.95


def _labels_from_files(files: dict) -> pd.DataFrame:
    """The labels' definitions applied to the CSV files directly (independent of the generator)."""
    st = files["students"].set_index("district_id")
    at = files["attendance"].assign(date=lambda x: pd.to_datetime(x["date"]))
    gr = files["grades"].assign(day=lambda x: pd.to_datetime(x["submission_date"]),
                                value=lambda x: x["grade_value"].astype(float))
    exit_date = pd.to_datetime(st["exit_date"].replace("", None))
    last = at["date"].max()
    out = []
    for as_of in sorted(pd.to_datetime(files["ground_truth"]["as_of_date"].unique())):
        end = as_of + pd.Timedelta(days=84)
        a = at[(at["date"] > as_of) & (at["date"] <= end)]
        rate = a["status"].isin(codes.ATTENDED_STATUSES).groupby(a["district_id"]).mean()
        g = gr[(gr["day"] > as_of) & (gr["day"] <= end)]
        fail = (g.groupby(["district_id", "course_id"])["value"].mean() < 60).groupby(
            level=0).any()
        left = (exit_date > as_of) & (exit_date <= end)
        adverse = st["exit_code"].isin(codes.ADVERSE_EXIT_CODES)
        frame = pd.DataFrame({
            "as_of_date": as_of,
            "dropout": (left & adverse).astype(float),
            "course_failure": fail.reindex(st.index, fill_value=False).astype(float),
            "chronic_absence": (rate < 0.90).reindex(st.index, fill_value=False).astype(float),
        })
        frame["any_adverse"] = frame[["dropout", "course_failure", "chronic_absence"]].max(axis=1)
        excluded = (end > last) | (left & ~adverse & (st["exit_code"] != ""))
        frame.loc[excluded, list(OUTCOMES)] = np.nan
        out.append(frame.rename_axis("district_id").reset_index())
    return pd.concat(out, ignore_index=True)


def test_realised_outcomes_follow_the_label_definitions(files):
    gt = files["ground_truth"].assign(as_of_date=lambda x: pd.to_datetime(x["as_of_date"]))
    expected = gt[["district_id", "as_of_date"]].merge(
        _labels_from_files(files), on=["district_id", "as_of_date"], how="left")
    for o in OUTCOMES:
        got = pd.to_numeric(gt[f"y_{o}_12w"].replace("", None)).astype(float)
        pd.testing.assert_series_equal(got, expected[o], check_names=False, obj=o)
    assert (expected["chronic_absence"] == 1).sum() > 100
    assert (expected["course_failure"] == 1).sum() > 20
    assert (expected["dropout"] == 1).sum() > 0


@pytest.fixture(scope="module")
def calibration() -> tuple[pd.DataFrame, pd.DataFrame]:
    """3,000 students, and a second, independent oracle estimate for the very same records."""
    config = SynthConfig(students=3000, seed=2024, oracle_draws=32)
    first = generate(config)
    a = first.ground_truth.merge(first.students[["district_id", "socioeconomic_status"]],
                                 on="district_id", how="left")
    b = generate(config.model_copy(update={"oracle_seed": 77})).ground_truth
    return a, b


@pytest.mark.slow
def test_oracle_probabilities_are_calibrated(calibration):
    """Rows binned by one oracle estimate: the other estimate's mean matches the outcome rate.

    Binning on an independent estimate avoids the regression to the mean that binning on the
    estimate itself would show. The error is the standard error of the mean difference with
    rows clustered by student (a student's weekly windows overlap).
    """
    a, b = calibration
    assert (a["district_id"] == b["district_id"]).all()
    edges = [0.0, 0.002, 0.01, 0.03, 0.1, 0.2, 0.35, 0.5, 0.7, 0.9, 1.0001]
    checked = 0
    for o in OUTCOMES:
        y = a[f"y_{o}_12w"].astype(float)
        assert (y.isna() == b[f"y_{o}_12w"].isna()).all()
        ok = y.notna()
        frame = pd.DataFrame({"bin": pd.cut(a.loc[ok, f"p_{o}_12w"], edges, right=False),
                              "p": b.loc[ok, f"p_{o}_12w"], "y": y[ok],
                              "student": a.loc[ok, "district_id"].astype(str)})
        frame["d"] = frame["y"] - frame["p"]
        for _, cell in frame.groupby("bin", observed=True):
            if len(cell) < 300:
                continue
            per_student = cell.groupby("student")["d"].sum()
            se = np.sqrt((per_student**2).sum()) / len(cell)
            gap = cell["d"].mean()
            assert abs(gap) <= 4 * se + 0.003, (o, cell["p"].mean(), cell["y"].mean(), se)
            checked += 1
        # Calibration in the large, and the oracle is informative.
        per_student = frame.groupby("student")["d"].sum()
        assert abs(frame["d"].mean()) <= 4 * np.sqrt((per_student**2).sum()) / len(frame)
        rank = frame["p"].rank()
        positives = frame["y"] == 1
        n1, n0 = positives.sum(), (~positives).sum()
        auc = (rank[positives].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)
        assert auc > 0.85, (o, auc)
    assert checked >= 20


@pytest.mark.slow
def test_group_base_rates_differ_by_socioeconomic_status(calibration):
    a, _ = calibration
    rates = a.dropna(subset=["y_any_adverse_12w"]).groupby("socioeconomic_status")[
        "y_any_adverse_12w"].mean()
    assert rates["low"] > 1.5 * rates["middle"] > 1.5 * 1.3 * rates["high"]
