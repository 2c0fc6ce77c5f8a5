"""An MLflow store holding one `edupulse train`-like run, for the promotion tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from edupulse.experiment import ModelRun
from edupulse.modeling.dataset import assemble, split_data
from edupulse.modeling.train import compare, fit_and_evaluate, with_comparisons
from edupulse.tracking import runs
from edupulse.tracking.provenance import provenance
from edupulse.tracking.setup import ensure_experiment
from tests.modeling.frames import CONFIG, config, feature_and_label_frames, splits

CFG = config()
ABC = ModelRun(name="abc_baseline", family="abc_baseline", params={})
LR = ModelRun(name="lr", family="logistic_regression", params={"C": 0.5})


def logged_store(home: Path) -> dict[str, Any]:
    """An MLflow store with one `train` of ABC + LR on two splits; LR clearly beats ABC
    because the label follows a feature the rule ignores."""
    import mlflow

    from edupulse.config import Settings

    settings = Settings(home=home, database_url="sqlite://",
                        mlflow_tracking_uri=f"sqlite:///{home / 'mlflow.db'}")
    feats, labels = feature_and_label_frames(CFG.temporal.all_dates(), n=150)
    rng = np.random.default_rng(0)
    signal = feats["data_quality"].to_numpy() + rng.normal(scale=0.5, size=len(feats))
    labels = labels.assign(label=(signal > 1.0).astype(int))
    ds = assemble(feats, labels, CFG.features.columns())
    prov = provenance()
    exp = ensure_experiment(settings, CFG.name)
    ids: dict[str, Any] = {}
    with runs.parent_run(exp, CFG, CONFIG, "frames.yaml", prov) as parent:
        for split in splits(CFG):
            data = split_data(ds, split)
            base = fit_and_evaluate(data, ABC, CFG.calibration, CFG.evaluation, CFG.seed)
            lr = fit_and_evaluate(data, LR, CFG.calibration, CFG.evaluation, CFG.seed)
            for run in (base, lr):
                run = with_comparisons(run, compare(run.evaluation, base.evaluation, "baseline"))
                ids[(run.model.name, data.name)] = runs.log_model_run(
                    parent, CFG, data, run, prov, {}, None)
    mlflow.set_tracking_uri("")
    return {"db": home / "mlflow.db", "ids": ids, "parent": parent.run_id}


