#!/usr/bin/env bash
# The end-to-end demo on the embedded SQLite database in $EDUPULSE_HOME (default ./var):
# synthesise the sample district, load it, then run notebooks 02 -> 06 (features, training and
# promotion, fairness audit, scoring, equity report) with `edupulse run`, as a researcher would.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
export EDUPULSE_HOME="${EDUPULSE_HOME:-$PWD/var}"
SAMPLE="$EDUPULSE_HOME/sample"
EXPERIMENT=experiments/baseline.yaml
AS_OF=2025-05-02   # the sample's last week: this week's lists
SCHOOL=D01-HS1
start=$(date +%s)
step() { echo; echo "== $* ($(( $(date +%s) - start ))s)"; }

step "1/6 schema"
edupulse db upgrade

step "2/6 synthesise the sample district (same seed as data/sample) and load it"
edupulse synth --students 500 --start 2024-08-26 --weeks 36 --seed 20240826 --gzip --out "$SAMPLE"
edupulse load "$SAMPLE"

step "3/6 notebooks 02 -> 06: features, train + promote, audit, score, equity report"
bash scripts/pipeline.sh "$SAMPLE" "$EXPERIMENT" "$AS_OF"

step "4/6 database"
edupulse db info

step "5/6 this week's list for school $SCHOOL (top 10, pseudonymous)"
edupulse risk-list --as-of "$AS_OF" --school "$SCHOOL" --top 10

step "6/6 privacy scan of everything the demo wrote"
edupulse privacy scan

echo
echo "Demo finished in $(( $(date +%s) - start ))s. Where everything is:"
echo "  database         $EDUPULSE_HOME/edupulse.db          (edupulse db info)"
echo "  notebook runs    $EDUPULSE_HOME/runs/"
echo "  fairness audit   $EDUPULSE_HOME/audit/"
echo "  equity report    $(find "$EDUPULSE_HOME/reports" -name 'equity-report.html' 2>/dev/null | head -1)"
echo "  MLflow store     $EDUPULSE_HOME/mlflow.db   -> make ui, then http://127.0.0.1:5000"
echo "  notebooks        notebooks/                  -> make lab, then http://127.0.0.1:8888/lab"
