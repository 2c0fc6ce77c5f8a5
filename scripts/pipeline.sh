#!/usr/bin/env bash
# Notebooks 02 -> 06 in order, each through `edupulse run` (papermill into $EDUPULSE_HOME/runs/,
# privacy scan, MLflow log): features (loading SAMPLE_DIR into an empty database), training and
# promotion, the fairness audit, scoring, the equity report. Used by `make pipeline`, the demo
# and MLproject's main entry point.
#
#   bash scripts/pipeline.sh [sample_dir] [experiment] [as_of]
#
# Defaults: data/sample, experiments/baseline.yaml, 2025-05-02 (the sample's last Friday). The
# database is $EDUPULSE_DATABASE_URL, else SQLite in $EDUPULSE_HOME (default ./var). The audit
# and the equity report use 2025-02-07, the sample's last as-of date whose 84-day outcome window
# has closed (notebook 05 scores it too).
set -euo pipefail
cd "$(dirname "$0")/.."
SAMPLE_DIR="${1:-data/sample}"
EXPERIMENT="${2:-experiments/baseline.yaml}"
AS_OF="${3:-2025-05-02}"
if [[ -x .venv/bin/edupulse ]]; then EDUPULSE=.venv/bin/edupulse; else EDUPULSE=edupulse; fi
export EDUPULSE_HOME="${EDUPULSE_HOME:-$PWD/var}"
# Under `mlflow run . -e main` MLflow hands its run to the command through MLFLOW_RUN_ID; the
# notebooks log their own runs (edupulse-notebooks, the experiment's), so do not resume that one.
unset MLFLOW_RUN_ID

start=$(date +%s)
step() {
  local name=$1 began
  shift
  began=$(date +%s)
  echo "== notebook $name"
  "$EDUPULSE" run "$name" "$@"
  echo "   ($(( $(date +%s) - began ))s)"
}

step 02-build-features -p sample_dir "$SAMPLE_DIR" -p experiment "$EXPERIMENT" -p as_of "$AS_OF"
step 03-train-models -p experiment "$EXPERIMENT"
step 04-fairness-audit
step 05-score-students -p as_of "$AS_OF"
step 06-equity-report
echo "pipeline 02 -> 06 finished in $(( $(date +%s) - start ))s; executed notebooks in $EDUPULSE_HOME/runs/"
