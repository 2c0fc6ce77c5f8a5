"""The database list: predictions of the as-of date x labels x attributes, on both backends."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import sqlalchemy as sa

from edupulse.db.models import Prediction
from edupulse.fairness.db_inputs import database_list, districts, read_predictions
from tests.db.factories import insert, prediction
from tests.fairness.dbdata import AS_OF, STAMP, VERSION, other_version, populate


def _labels(students: list[dict], keep: int | None = None) -> pd.DataFrame:
    rows = students[:keep] if keep is not None else students
    return pd.DataFrame({"student_id": [str(s["id"]) for s in rows],
                         "label": [int(s["dropout"]) for s in rows]})


def test_predictions_join_labels_and_attributes(engine: sa.Engine) -> None:
    students = populate(engine, n=30)
    with engine.connect() as conn:
        listed = database_list(conn, AS_OF, _labels(students, keep=25),
                               attributes=("gender", "ethnicity", "grade_level"),
                               outcome="dropped out")
    frame, sens = listed.scored.frame, listed.sensitive
    assert listed.model_version == VERSION and listed.unlabelled == 5 and len(frame) == 25
    by_id = {str(s["id"]): s for s in students}
    for i, row in frame.iterrows():
        s = by_id[row["id"]]
        assert row["score"] == pytest.approx(s["score"], abs=1e-6)  # REAL is float4 on PG
        assert row["label"] == int(s["dropout"])
        assert sens.loc[i, "gender"] == s["gender"]
        assert sens.loc[i, "grade_level"] == s["grade_level"]
        assert sens.loc[i, "district"] == s["student_metadata"]["district_code"]
    assert sens["ethnicity"].isna().sum() == sum(s["ethnicity"] is None for s in students[:25])
    assert list(sens.columns) == ["gender", "ethnicity", "grade_level", "district"]
    assert dict(listed.scored.source.details)["as_of"] == AS_OF.isoformat()


def test_rows_come_in_the_students_district_id_order(engine: sa.Engine) -> None:
    """Not in UUID order: UUIDs are new at every load, and the bootstrap draws rows by
    position (two demo runs of the same data gave different intervals and a flipped verdict)."""
    students = populate(engine, n=30)
    with engine.connect() as conn:
        frame, _ = read_predictions(conn, AS_OF)
    by_sis = sorted(students, key=lambda s: s["district_id"])
    assert list(frame["student_id"]) == [str(s["id"]) for s in by_sis]
    assert [str(s["id"]) for s in by_sis] != sorted(str(s["id"]) for s in students)


def test_no_name_contact_or_sis_id_is_read(engine: sa.Engine) -> None:
    students = populate(engine, n=6)
    with engine.connect() as conn:
        listed = database_list(conn, AS_OF, _labels(students))
    text = listed.scored.frame.to_csv() + listed.sensitive.to_csv()
    assert "Zelda" not in text and "Quixotic" not in text and "555-0199" not in text
    assert "SIS0001" not in text


def test_one_district(engine: sa.Engine) -> None:
    students = populate(engine, n=30)
    with engine.connect() as conn:
        listed = database_list(conn, AS_OF, _labels(students), district="D2")
        assert districts(conn, AS_OF) == ["D1", "D2"]
        with pytest.raises(LookupError, match=r"district 'D9'; found \['D1', 'D2'\]"):
            database_list(conn, AS_OF, _labels(students), district="D9")
    assert len(listed.scored.frame) == 10 and set(listed.sensitive["district"]) == {"D2"}


def test_predictions_of_other_dates_are_ignored_and_the_latest_wins(engine: sa.Engine) -> None:
    students = populate(engine, n=6)
    sid = students[0]["id"]
    with engine.begin() as conn:
        insert(conn, Prediction, **prediction(sid, prediction_date=STAMP - dt.timedelta(days=7),
                                              risk_score=0.01, model_version=VERSION))
        insert(conn, Prediction, **prediction(sid, prediction_date=STAMP, risk_score=0.99,
                                              model_version=VERSION))
    with engine.connect() as conn:
        frame, _ = read_predictions(conn, AS_OF)
    assert len(frame) == 6
    assert frame.set_index("student_id").at[str(sid), "score"] == pytest.approx(0.99)


def test_several_model_versions_need_a_choice(engine: sa.Engine) -> None:
    students = populate(engine, n=6)
    other_version(engine, students[0]["id"])
    with engine.connect() as conn:
        with pytest.raises(LookupError, match="several model versions"):
            read_predictions(conn, AS_OF)
        frame, version = read_predictions(conn, AS_OF, "edupulse-risk/2")
        assert version == "edupulse-risk/2" and len(frame) == 1
        with pytest.raises(LookupError, match="from model version 'v9'"):
            read_predictions(conn, AS_OF, "v9")


def test_a_date_without_predictions_says_what_to_run(engine: sa.Engine) -> None:
    with engine.connect() as conn, pytest.raises(
            LookupError, match=r"no predictions for 2025-01-13 .*\(edupulse score --as-of"):
        read_predictions(conn, AS_OF + dt.timedelta(days=7))


def test_no_labels_yet_is_an_error_not_an_empty_audit(engine: sa.Engine) -> None:
    students = populate(engine, n=6)
    with engine.connect() as conn, pytest.raises(
            LookupError, match="no outcome is known yet for the 6 students scored on"):
        database_list(conn, AS_OF, _labels(students, keep=0), horizon_days=84)


def test_only_sensitive_columns_can_be_read(engine: sa.Engine) -> None:
    with engine.connect() as conn, pytest.raises(KeyError, match="first_name"):
        read_predictions(conn, AS_OF, attributes=("first_name",))
