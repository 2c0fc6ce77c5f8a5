#!/usr/bin/env bash
# The end-to-end demo on the embedded SQLite database in $EDUPULSE_HOME (default ./var).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export EDUPULSE_HOME="${EDUPULSE_HOME:-$PWD/var}"
start=$(date +%s)

echo "== 1/1 schema"
$BIN/edupulse db upgrade
$BIN/edupulse db info

echo
echo "Demo finished in $(( $(date +%s) - start ))s. Results:"
echo "  database:        $EDUPULSE_HOME/edupulse.db  (edupulse db info)"
