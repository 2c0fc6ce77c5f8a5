"""What a fairness audit costs, and why its bootstrap is not fairlearn's.

1. The real OULAD list (15,004 students; gender, age_band, imd_band, disability and
   gender x age_band; top 20%): the whole `run_audit` with n_boot=1000, split into the
   MetricFrame point estimates and the vectorised bootstrap.
2. fairlearn's own MetricFrame bootstrap (n_boot, ci_quantiles) on the same list and groupings,
   timed over a few replicates and extrapolated to 1,000.
3. Synthetic lists of growing size (4 attributes + 1 intersection): bootstrap seconds and the
   process's peak memory.

    .venv/bin/python benchmarks/fairness.py [--n-boot 1000] [--mf-boot 5] [--sizes 100000,1000000]
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import numpy as np
import pandas as pd

from edupulse.fairness.audit import AuditSource, ScoredList, run_audit
from edupulse.fairness.bootstrap import bootstrap
from edupulse.fairness.groups import build_groups, ordered
from edupulse.fairness.metrics import flag, group_metrics, metricframe_metrics
from edupulse.fairness.settings import AuditSettings

OULAD = Path("/work/shared/data/oulad-day60-scored-list.csv")
ATTRS = ("gender", "age_band", "imd_band", "disability")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def oulad(n_boot: int, mf_boot: int) -> None:
    raw = pd.read_csv(OULAD, dtype=str, keep_default_na=False)
    frame = pd.DataFrame({"id": raw["student_key"], "score": raw["score"].astype(float),
                          "label": raw["withdrawn_or_fail"].astype(int)})
    settings = AuditSettings(attributes=ATTRS, intersections=(("gender", "age_band"),),
                             top_pct=20, n_boot=n_boot)
    scored = ScoredList(frame, AuditSource("csv", OULAD.name))
    t = time.perf_counter()
    run_audit(scored, raw[list(ATTRS)], settings)
    whole = time.perf_counter() - t

    label, score = frame["label"].to_numpy(), frame["score"].to_numpy()
    flagged = flag(score, frame["id"].to_numpy(), settings).flagged
    groups = build_groups(raw[list(ATTRS)], settings)
    t = time.perf_counter()
    for name in groups.names:
        group_metrics(label, flagged, score, groups.frame[name])
    point = time.perf_counter() - t
    t = time.perf_counter()
    bootstrap(label, flagged, score,
              {n: (groups.frame[n], ordered(groups.frame[n])) for n in groups.names},
              n_boot=n_boot, seed=0)
    ours = time.perf_counter() - t

    from fairlearn.metrics import MetricFrame

    funcs = metricframe_metrics()
    t = time.perf_counter()
    for name in groups.names:
        MetricFrame(metrics=funcs, y_true=label, y_pred=flagged.astype(int),
                    sensitive_features=groups.frame[name].to_numpy(dtype=object),
                    sample_params={"auc": {"score": score}}, n_boot=mf_boot,
                    ci_quantiles=[0.025, 0.975], random_state=0)
    mf = time.perf_counter() - t - point  # minus the point estimates every MetricFrame makes
    per_rep = mf / mf_boot
    print(f"OULAD list: {len(frame):,} students, {len(groups.names)} groupings, top 20%")
    print(f"  run_audit, n_boot={n_boot}:             {whole:7.1f} s")
    print(f"    MetricFrame point estimates:          {point:7.1f} s")
    print(f"    vectorised bootstrap ({n_boot}):      {ours:7.1f} s "
          f"({1000 * ours / n_boot:.1f} ms per replicate)")
    print(f"  fairlearn MetricFrame bootstrap:        {per_rep:7.2f} s per replicate "
          f"(timed over {mf_boot}) -> ~{per_rep * n_boot / 60:.0f} min for {n_boot}")
    print(f"  speed-up of the vectorised bootstrap:   {per_rep * n_boot / ours:7.0f}x")


def synthetic(n: int, n_boot: int) -> None:
    rng = np.random.default_rng(0)
    label = rng.binomial(1, 0.2, n)
    score = np.round(np.clip(0.3 + 0.3 * label + rng.normal(0, 0.2, n), 0, 1), 4)
    sens = pd.DataFrame({
        "gender": rng.choice(["F", "M", "X"], n, p=[0.49, 0.49, 0.02]),
        "ethnicity": rng.choice([f"e{i}" for i in range(6)], n),
        "socioeconomic_status": rng.choice(["low", "middle", "high"], n),
        "grade_level": rng.integers(6, 13, n),
    })
    settings = AuditSettings(intersections=(("gender", "ethnicity"),), top_pct=10,
                             n_boot=n_boot)
    flagged = flag(score, np.arange(n), settings).flagged
    groups = build_groups(sens, settings)
    t = time.perf_counter()
    bootstrap(label, flagged, score,
              {g: (groups.frame[g], ordered(groups.frame[g])) for g in groups.names},
              n_boot=n_boot, seed=0)
    took = time.perf_counter() - t
    print(f"synthetic {n:>9,} students, 5 groupings: bootstrap {took:7.1f} s "
          f"({n * n_boot / took / 1e6:.1f} M student-replicates/s), "
          f"peak memory so far {peak_mb():,.0f} MB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-boot", type=int, default=1000)
    ap.add_argument("--mf-boot", type=int, default=5)
    ap.add_argument("--sizes", default="100000,1000000")
    args = ap.parse_args()
    oulad(args.n_boot, args.mf_boot)
    for n in (int(s) for s in args.sizes.split(",") if s):
        synthetic(n, args.n_boot)


if __name__ == "__main__":
    main()
