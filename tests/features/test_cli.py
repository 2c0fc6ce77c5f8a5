"""`edupulse features` and `edupulse labels` as a user runs them."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from typer.testing import CliRunner

from edupulse.cli import app
from edupulse.db.models import StudentFeature
from edupulse.db.session import make_engine
from tests.features import data

runner = CliRunner()


def _populate(db_url: str) -> None:
    engine = make_engine(db_url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        data.populate(conn, n_students=8)
    engine.dispose()


def _dates(db_url: str) -> dict[str, int]:
    engine = make_engine(db_url, poolclass=sa.pool.NullPool)
    sf = StudentFeature.__table__
    with engine.connect() as conn:
        rows = conn.execute(sa.select(sf.c.feature_date, sa.func.count())
                            .group_by(sf.c.feature_date)).all()
    engine.dispose()
    return {str(d)[:10]: n for d, n in rows}


def test_features_for_one_date_and_a_weekly_range(db_url: str, edupulse_home: Path) -> None:
    _populate(db_url)
    r = runner.invoke(app, ["features", "--as-of", "2024-10-25", "--db", db_url])
    assert r.exit_code == 0, r.output
    assert "2024-10-25" in r.output and "1 as-of dates" in r.output
    r = runner.invoke(app, ["features", "--from", "2024-09-06", "--to", "2024-10-04",
                            "--every", "week", "--db", db_url])
    assert r.exit_code == 0, r.output
    assert "5 as-of dates" in r.output
    assert sorted(_dates(db_url)) == ["2024-09-06", "2024-09-13", "2024-09-20", "2024-09-27",
                                      "2024-10-04", "2024-10-25"]


def test_labels_summary(db_url: str, edupulse_home: Path) -> None:
    _populate(db_url)
    r = runner.invoke(app, ["labels", "--outcome", "chronic_absence", "--horizon", "28",
                            "--as-of", "2024-10-04", "--as-of", "2024-12-13", "--db", db_url])
    assert r.exit_code == 0, r.output
    assert "window past end of data" in r.output and "prevalence" in r.output
    assert "data end 2024-12-20" in r.output


def test_bad_options_say_what_is_wrong(db_url: str, edupulse_home: Path) -> None:
    cases = [
        (["features"], "give --as-of DATE"),
        (["features", "--from", "2024-09-06"], "--from and --to go together"),
        (["features", "--from", "2024-10-06", "--to", "2024-09-06"], "is after --to"),
        (["features", "--from", "2024-09-06", "--to", "2024-10-06", "--every", "month"],
         "expected week, day or a number of days"),
        (["labels", "--outcome", "truancy", "--as-of", "2024-10-04"], "unknown outcome"),
    ]
    for args, message in cases:
        r = runner.invoke(app, [*args, "--db", db_url])
        assert r.exit_code == 2, (args, r.output)
        assert message in r.output, (args, r.output)
    r = runner.invoke(app, ["features", "--as-of", "2024-13-01", "--db", db_url])
    assert r.exit_code == 2 and "2024-13-01" in r.output


def test_database_without_schema(empty_db_url: str, edupulse_home: Path) -> None:
    r = runner.invoke(app, ["features", "--as-of", "2024-10-25", "--db", empty_db_url])
    assert r.exit_code == 2 and "edupulse db upgrade" in r.output
