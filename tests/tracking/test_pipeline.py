"""`edupulse train` end to end on a synthetic district loaded into SQLite and PostgreSQL:
features built once and reused, every model x split logged, a failing model reported while
the grid goes on, the oracle beside each model, and no student identifiers in any artifact."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from typer.testing import CliRunner

from edupulse.cli import app
from edupulse.config import Settings
from edupulse.db.models import StudentFeature
from edupulse.db.session import make_engine
from edupulse.experiment import load_experiment
from edupulse.tracking import runs
from edupulse.tracking.pipeline import run_experiment
from tests.tracking.tiny import tiny_config

runner = CliRunner()
BROKEN = "  - {name: broken, family: logistic_regression, params: {C: -1.0}}"


def test_train_logs_the_grid_and_goes_on_past_a_failing_model(
    loaded_db_url: str, mlflow_settings: Settings, tiny_district: Path, tmp_path: Path
) -> None:
    import mlflow

    cfg_path = tiny_config(tmp_path, tiny_district / "ground_truth.csv", BROKEN)
    result = runner.invoke(app, ["train", str(cfg_path), "--db", loaded_db_url])
    out = result.output
    assert result.exit_code == 1, out  # a model failed: reported, exit code says so
    assert "building features for 6 as-of date(s)" in out
    assert "4 model run(s) ok, 2 failed" in out
    assert "failed: broken on test-2025-01-10: InvalidParameterError" in out
    assert out.count("abc_baseline ") >= 2 and "oracle" in out

    client = mlflow.MlflowClient()
    exp = client.get_experiment_by_name("tiny")
    found = client.search_runs([exp.experiment_id])
    parents = [r for r in found if r.data.tags.get(runs.KIND) == "experiment"]
    children = [r for r in found if r.data.tags.get(runs.KIND) == "model"]
    assert len(parents) == 1 and len(children) == 6
    assert {r.data.tags["mlflow.parentRunId"] for r in children} == {parents[0].info.run_id}
    failed = [r for r in children if r.info.status == "FAILED"]
    assert {r.data.tags[runs.MODEL] for r in failed} == {"broken"}
    assert "C" in failed[0].data.tags[runs.ERROR]
    ok = [r for r in children if r.info.status == "FINISHED"]
    for r in ok:
        m = r.data.metrics
        assert m["oracle_coverage"] == 1.0 and 0.5 < m["oracle_auc"] <= 1.0
        assert "baseline_diff_precision_at_k10" in m and "precision_at_school5" in m
    abc = [r for r in ok if r.data.tags[runs.MODEL] == "abc_baseline"]
    assert all(r.data.metrics["baseline_diff_precision_at_k10"] == 0.0 for r in abc)

    # privacy: no name, contact, date of birth or SIS id of any student in any artifact
    from edupulse.privacy.scan import build_index, scan

    engine = make_engine(loaded_db_url, poolclass=sa.pool.NullPool)
    scanned = scan([mlflow_settings.home / "mlartifacts"], build_index(engine))
    engine.dispose()
    assert scanned.files > 10
    assert scanned.clean, [str(f) for f in scanned.findings]


def test_stored_features_are_reused(
    loaded_db_url: str, mlflow_settings: Settings, tiny_district: Path, tmp_path: Path
) -> None:
    engine = make_engine(loaded_db_url, poolclass=sa.pool.NullPool)
    config = load_experiment(tiny_config(tmp_path, tiny_district / "ground_truth.csv"))
    text = (tmp_path / "tiny.yaml").read_text()
    said: list[str] = []
    first = run_experiment(engine, config, text, "tiny.yaml", mlflow_settings,
                           progress=False, echo=said.append)
    with engine.connect() as conn:
        stamps = conn.execute(sa.select(sa.func.max(StudentFeature.created_at))).scalar()
        n = conn.execute(sa.select(sa.func.count()).select_from(StudentFeature)).scalar()
    said.clear()
    second = run_experiment(engine, config, text, "tiny.yaml", mlflow_settings,
                            progress=False, echo=said.append)
    assert "features: all 6 as-of dates already stored" in said
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.max(StudentFeature.created_at))).scalar() == stamps
        assert conn.execute(sa.select(sa.func.count()).select_from(StudentFeature)).scalar() == n
    # same data, same seed: the second train logs exactly the first one's numbers
    for a, b in zip(first.models, second.models, strict=True):
        assert a.metrics == b.metrics and a.run_id != b.run_id
    engine.dispose()
