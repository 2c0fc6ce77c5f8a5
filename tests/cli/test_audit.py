"""`edupulse audit` as a user runs it, on a slice of a real scored list (OULAD, CC BY 4.0)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from edupulse.cli import app

runner = CliRunner()
SLICE = Path(__file__).parents[1] / "fairness" / "fixtures" / "oulad-slice.csv"
COLUMNS = ["--id-col", "student_key", "--score-col", "score", "--label-col", "withdrawn_or_fail"]


def _audit(out: Path, *extra: str, scores: Path = SLICE) -> object:
    return runner.invoke(app, ["audit", "--scores", str(scores), *COLUMNS, "--out", str(out),
                               "--n-boot", "100", *extra])


def test_external_list_is_audited_without_a_database(tmp_path: Path,
                                                     edupulse_home: Path) -> None:
    r = _audit(tmp_path / "out", "--groups", "gender,age_band,disability",
               "--intersect", "genderxage_band", "--top-pct", "20",
               "--outcome", "withdrew or failed")
    assert r.exit_code == 0, r.output
    assert "The list flags 120 of 600 students (20.0%; rule: top 20% of scores)." in r.output
    assert "audit written to" in r.output
    assert not edupulse_home.exists()  # no database, no MLflow store was touched
    gm = pd.read_csv(tmp_path / "out" / "group_metrics.csv")
    assert set(gm["attribute"]) == {"overall", "gender", "age_band", "disability",
                                    "gender x age_band"}
    hidden = pd.read_csv(tmp_path / "out" / "suppressed.csv")
    # age_band 55<= has 3 students: hidden, and 35-55 with it (else 600 - 430 gives it away).
    age = hidden[hidden["attribute"] == "age_band"].set_index("group")["kind"].to_dict()
    assert age == {"35-55": "complementary", "55<=": "primary"}
    data = json.loads((tmp_path / "out" / "audit.json").read_text())
    assert data["settings"]["intersections"] == [["gender", "age_band"]]
    assert data["source"]["outcome"] == "withdrew or failed"


def test_bad_rows_are_named_and_nothing_is_written(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    text = SLICE.read_text().splitlines()
    fields = text[3].split(",")
    fields[3] = "high"  # score on line 4
    text[3] = ",".join(fields)
    bad.write_text("\n".join(text) + "\n")
    r = _audit(tmp_path / "out", "--groups", "gender", scores=bad)
    assert r.exit_code == 2
    assert f"{bad}, line 4, column 'score': score must be a finite number (got 'high')" in r.output
    assert not (tmp_path / "out").exists()


def test_missing_group_column_is_named(tmp_path: Path) -> None:
    r = _audit(tmp_path / "out", "--groups", "gender,ethnicity")
    assert r.exit_code == 2
    assert "column 'ethnicity': column is missing" in r.output


def test_one_list_size_and_one_input(tmp_path: Path) -> None:
    r = _audit(tmp_path / "out", "--groups", "gender", "--top-pct", "10", "--threshold", "0.5")
    assert r.exit_code == 2 and "give --top-pct or --threshold, not both" in r.output
    r = runner.invoke(app, ["audit", "--out", str(tmp_path)])
    assert r.exit_code == 2 and "give exactly one input" in r.output
    r = _audit(tmp_path / "out", "--groups", "gender", "--band", "1.2,0.9")
    assert r.exit_code == 2 and "band" in r.output


def test_threshold_and_configured_reference(tmp_path: Path) -> None:
    r = _audit(tmp_path / "out", "--groups", "gender", "--threshold", "0.7",
               "--reference", "gender=F")
    assert r.exit_code == 0, r.output
    d = pd.read_csv(tmp_path / "out" / "disparities.csv")
    assert set(d["reference_group"]) == {"F"}
    r = _audit(tmp_path / "out2", "--groups", "gender", "--reference", "gender=X")
    assert r.exit_code == 2 and "reference group 'X' for 'gender' is not in the data" in r.output


def test_mitigation_is_shown_side_by_side(tmp_path: Path) -> None:
    frame = pd.read_csv(SLICE, dtype=str, keep_default_na=False)
    train, test = tmp_path / "train.csv", tmp_path / "test.csv"
    frame.iloc[:300].to_csv(train, index=False)
    frame.iloc[300:].to_csv(test, index=False)
    r = _audit(tmp_path / "out", "--groups", "gender", "--mitigate-train", str(train),
               scores=test)
    assert r.exit_code == 0, r.output
    table = pd.read_csv(tmp_path / "out" / "mitigation.csv")
    assert table["method"].str.split(" ").str[0].tolist() == [
        "as", "ThresholdOptimizer", "ExponentiatedGradient"]
    assert "not applied to this list" in r.output


def test_database_mode(db_url: str, tmp_path: Path, edupulse_home: Path) -> None:
    import sqlalchemy as sa

    from edupulse.db.session import make_engine
    from tests.fairness.dbdata import AS_OF, HORIZON, populate

    engine = make_engine(db_url, poolclass=sa.pool.NullPool)
    populate(engine)
    engine.dispose()
    r = runner.invoke(app, ["audit", "--as-of", AS_OF.isoformat(), "--db", db_url,
                            "--label-outcome", "dropout", "--horizon-days", str(HORIZON),
                            "--n-boot", "50", "--out", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    assert "The list flags 6 of 60 students (10.0%; rule: top 10% of scores)." in r.output
    gm = pd.read_csv(tmp_path / "out" / "group_metrics.csv")
    assert set(gm["attribute"]) == {"overall", "gender", "ethnicity", "socioeconomic_status",
                                    "grade_level"}
    r = runner.invoke(app, ["audit", "--as-of", AS_OF.isoformat(), "--db", db_url,
                            "--groups", "region", "--out", str(tmp_path / "bad")])
    assert r.exit_code == 2 and "['region'] are not sensitive attributes" in r.output
