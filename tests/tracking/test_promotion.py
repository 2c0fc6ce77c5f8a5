"""Promotion: the baseline gate, --force with a recorded reason, one active version, and which
version was active when, on SQLite and PostgreSQL, with a real MLflow store and registry."""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from edupulse.db.models import ModelActivation, ModelMetadata
from edupulse.tracking import promotion as p
from tests.modeling.frames import config
from tests.tracking.stores import logged_store

CFG = config()
MM, MA = ModelMetadata.__table__, ModelActivation.__table__
T0 = dt.datetime(2025, 1, 6, 8, 0, tzinfo=dt.UTC)
SPEC_KEYS = {"accuracy", "precision", "recall", "f1_score", "auc_roc", "precision_at_k",
             "validation_loss", "training_samples", "validation_samples"}


# --- the database step alone ----------------------------------------------------------------


def _activate(conn: sa.Connection, version: str, at: dt.datetime, **kw: Any) -> str | None:
    args = dict(model_version=version, model_type="logistic_regression", training_date=at,
                performance={"auc_roc": 0.8}, hyperparameters={"C": 1}, mlflow_run_id="r",
                registry_version=version.split("/")[-1], forced=False, reason=None, now=at)
    return p.activate(conn, **(args | kw))


def test_one_active_version_and_the_history(engine: Engine) -> None:
    t1, t2 = T0, T0 + dt.timedelta(days=30)
    with engine.begin() as conn:
        assert _activate(conn, "edupulse-risk/1", t1) is None
    with engine.begin() as conn:
        assert _activate(conn, "edupulse-risk/2", t2) == "edupulse-risk/1"
    with engine.connect() as conn:
        active = conn.execute(sa.select(MM.c.model_version).where(MM.c.is_active)).scalars()
        assert list(active) == ["edupulse-risk/2"]
        hist = p.history(conn)
        assert [h.model_version for h in hist] == ["edupulse-risk/1", "edupulse-risk/2"]
        assert hist[0].retired_at == t2 and hist[1].retired_at is None
        assert hist[0].activated_at == t1


def test_which_version_was_active_on_a_date(engine: Engine) -> None:
    t1, t2 = T0, T0 + dt.timedelta(days=30)
    with engine.begin() as conn:
        _activate(conn, "edupulse-risk/1", t1)
        _activate(conn, "edupulse-risk/2", t2)
    with engine.connect() as conn:
        def at(when: dt.datetime) -> str | None:
            v = p.active_version(conn, when)
            return v.model_version if v else None

        assert at(t1 - dt.timedelta(seconds=1)) is None
        assert at(t1) == "edupulse-risk/1"
        assert at(t1 + dt.timedelta(days=10)) == "edupulse-risk/1"
        assert at(t2) == "edupulse-risk/2"  # the hand-over instant belongs to the new one
        assert at(t2 + dt.timedelta(days=400)) == "edupulse-risk/2"
        # a time given in another zone means the same instant
        est = dt.timezone(dt.timedelta(hours=-5))
        assert at((t2 - dt.timedelta(minutes=1)).astimezone(est)) == "edupulse-risk/1"
        assert p.active_version(conn).model_version == "edupulse-risk/2"


def test_rolling_back_to_an_earlier_version(engine: Engine) -> None:
    with engine.begin() as conn:
        _activate(conn, "edupulse-risk/1", T0)
        _activate(conn, "edupulse-risk/2", T0 + dt.timedelta(days=1))
        _activate(conn, "edupulse-risk/1", T0 + dt.timedelta(days=2))
    with engine.connect() as conn:
        assert [h.model_version for h in p.history(conn)] == [
            "edupulse-risk/1", "edupulse-risk/2", "edupulse-risk/1"]
        assert conn.execute(sa.select(sa.func.count()).select_from(MM)).scalar() == 2
        assert p.active_version(conn, T0 + dt.timedelta(hours=30)).model_version == \
            "edupulse-risk/2"


def test_the_database_refuses_a_second_active_row(engine: Engine) -> None:
    with engine.begin() as conn:
        _activate(conn, "edupulse-risk/1", T0)
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(MM.insert().values(model_version="rogue", is_active=True))
    with engine.connect() as conn:
        assert p.active_version(conn).model_version == "edupulse-risk/1"


def test_a_failure_mid_promotion_changes_nothing(engine: Engine) -> None:
    with engine.begin() as conn:
        _activate(conn, "edupulse-risk/1", T0)
    with pytest.raises(RuntimeError), engine.begin() as conn:
        _activate(conn, "edupulse-risk/2", T0 + dt.timedelta(days=1))
        raise RuntimeError("registry unreachable")
    with engine.connect() as conn:
        assert [h.model_version for h in p.history(conn)] == ["edupulse-risk/1"]
        assert p.history(conn)[0].retired_at is None
        assert p.active_version(conn).model_version == "edupulse-risk/1"


# --- the whole promotion, with a real MLflow store ------------------------------------------


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return logged_store(tmp_path_factory.mktemp("promotion-home"))


@pytest.fixture
def client(logged: dict[str, Any], tmp_path: Path):  # type: ignore[no-untyped-def]
    import mlflow

    shutil.copyfile(logged["db"], tmp_path / "mlflow.db")
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    yield mlflow.MlflowClient()
    mlflow.set_tracking_uri("")


def _rows(engine: Engine, table: sa.Table) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(table)))


def test_a_model_that_does_not_beat_the_baseline_is_refused(
    engine: Engine, client: Any, logged: dict[str, Any]
) -> None:
    cand = p.candidate(client, logged["ids"][("abc_baseline", "test-2025-02-07")])
    with pytest.raises(p.GateRefused, match=r"abc_baseline does not beat the ABC baseline at "
                       r"precision@k10: mean difference \+0\.0000 over 2 split\(s\) "
                       r"\(test-2025-01-10 \+0\.0000, test-2025-02-07 \+0\.0000\)\. Refused: "
                       r"promote it anyway only with --force --reason TEXT"):
        p.promote(engine, client, cand)
    assert _rows(engine, MM) == [] and _rows(engine, MA) == []
    assert client.search_registered_models() == []  # nothing registered either


def test_force_needs_a_reason_and_records_it(
    engine: Engine, client: Any, logged: dict[str, Any]
) -> None:
    cand = p.candidate(client, logged["ids"][("abc_baseline", "test-2025-02-07")])
    with pytest.raises(p.PromotionError, match="--force needs --reason"):
        p.promote(engine, client, cand, force=True, reason="  ")
    result = p.promote(engine, client, cand, force=True, reason="district pilot uses the rule")
    assert result.forced and result.model_version == "edupulse-risk/1"
    (act,) = _rows(engine, MA)
    assert act.forced and act.reason == "district pilot uses the rule"
    assert act.mlflow_run_id == cand.run_id and act.registry_version == "1"


def test_promotion_registers_sets_the_alias_and_writes_the_spec_shape(
    engine: Engine, client: Any, logged: dict[str, Any]
) -> None:
    cand = p.candidate(client, logged["ids"][("lr", "test-2025-02-07")])
    assert cand.baseline_diff is not None and cand.baseline_diff > 0
    result = p.promote(engine, client, cand)
    assert not result.forced and result.retired is None
    mv = client.get_model_version_by_alias(p.REGISTERED_MODEL, p.ALIAS)
    assert str(mv.version) == result.registry_version and mv.run_id == cand.run_id
    (row,) = _rows(engine, MM)
    assert row.model_version == f"edupulse-risk/{mv.version}" and row.is_active
    assert row.model_type == "logistic_regression"
    perf = row.performance_metrics
    assert set(perf) >= SPEC_KEYS and set(perf) - SPEC_KEYS == {"edupulse"}
    assert perf["precision_at_k"] == {"k5": cand.metrics["precision_at_k5"],
                                      "k10": cand.metrics["precision_at_k10"],
                                      "k20": cand.metrics["precision_at_k20"]}
    assert perf["auc_roc"] == cand.metrics["auc"]
    assert perf["validation_loss"] == cand.metrics["log_loss"]
    assert perf["training_samples"] == int(cand.metrics["training_samples"])
    assert perf["edupulse"]["baseline_diff"]["precision_at_k10"] == \
        cand.metrics["baseline_diff_precision_at_k10"]
    gate = perf["edupulse"]["gate"]
    assert set(gate["per_split"]) == {"test-2025-01-10", "test-2025-02-07"}
    assert gate["mean_over_splits"] == pytest.approx(sum(gate["per_split"].values()) / 2)
    hyper = row.hyperparameters
    assert hyper["params"]["C"] == 0.5 and hyper["seed"] == 5 and hyper["grid_params"] == {
        "C": 0.5}
    assert hyper["calibration"] == {"method": "sigmoid", "folds": 3, "grouped_by": "student"}
    # promoting it again changes nothing
    again = p.promote(engine, client, cand)
    assert again.already_active and len(_rows(engine, MA)) == 1


def test_a_second_promotion_retires_the_first(
    engine: Engine, client: Any, logged: dict[str, Any]
) -> None:
    first = p.candidate(client, logged["ids"][("lr", "test-2025-01-10")])
    second = p.candidate(client, logged["ids"][("lr", "test-2025-02-07")])
    p.promote(engine, client, first, now=T0)
    result = p.promote(engine, client, second, now=T0 + dt.timedelta(days=7))
    assert result.retired == "edupulse-risk/1" and result.model_version == "edupulse-risk/2"
    with engine.connect() as conn:
        assert p.active_version(conn).model_version == "edupulse-risk/2"
        assert p.active_version(conn, T0 + dt.timedelta(days=3)).model_version == \
            "edupulse-risk/1"
        actives = conn.execute(sa.select(sa.func.count()).select_from(MM).where(MM.c.is_active))
        assert actives.scalar() == 1
    assert str(client.get_model_version_by_alias(p.REGISTERED_MODEL, p.ALIAS).version) == "2"


def test_best_picks_the_best_mean_model_on_its_latest_split(
    client: Any, logged: dict[str, Any]
) -> None:
    cand = p.best_candidate(client, CFG.name, "precision_at_k10")
    assert cand.run_id == logged["ids"][("lr", "test-2025-02-07")]  # never the ABC rule
    with pytest.raises(p.PromotionError, match="has the metric 'precision_at_k99'"):
        p.best_candidate(client, CFG.name, "precision_at_k99")
    with pytest.raises(p.PromotionError, match="no MLflow experiment named 'nope'"):
        p.best_candidate(client, "nope", "auc")


def test_only_finished_model_runs_are_candidates(client: Any, logged: dict[str, Any]) -> None:
    with pytest.raises(p.PromotionError, match="not a model run"):
        p.candidate(client, logged["parent"])
    with pytest.raises(p.PromotionError, match="no MLflow run 'deadbeef'"):
        p.candidate(client, "deadbeef")


def test_gate_message_by_hand() -> None:
    cand = p.Candidate("r", "e", "m", "f", "s", "k10", {"precision_at_k10": 0.30,
                       "baseline_diff_precision_at_k10": -0.05}, {}, T0)
    assert "0.3000 vs baseline 0.3500 (difference -0.0500)" in (p.gate_message(cand) or "")
    assert p.gate_message(replace(cand, metrics={"baseline_diff_precision_at_k10": 0.01})) \
        is None
    assert "no comparison with the ABC baseline" in (p.gate_message(
        replace(cand, metrics={})) or "")
    # with several splits the gate is the mean: one losing split does not sink a model that
    # wins on average, and one winning split does not carry a model that loses on average
    assert p.gate_message(replace(cand, split_diffs={"a": 0.117, "b": -0.021})) is None
    assert "mean difference -0.0200 over 2 split(s) (a +0.0100, b -0.0500)" in (p.gate_message(
        replace(cand, split_diffs={"a": 0.01, "b": -0.05})) or "")
