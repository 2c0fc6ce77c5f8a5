#!/usr/bin/env bash
# Runs notebooks 01 -> 06 in order with their defaults under nbval, in a fresh $EDUPULSE_HOME
# (removed afterwards) and from the repository root; fails when a cell raises or a `# checks`
# assert fails. The committed notebooks carry no outputs, so --nbval-lax compares nothing: the
# deterministic checks are the asserts inside the notebooks.
#
#   bash tests/nbval.sh [extra pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
home=$(mktemp -d "${TMPDIR:-/tmp}/edupulse-nbval.XXXXXX")
trap 'rm -rf "$home"' EXIT
start=$(date +%s)
EDUPULSE_HOME="$home" EDUPULSE_DATABASE_URL="" MLFLOW_TRACKING_URI="" \
  .venv/bin/pytest --nbval-lax --nbval-current-env -p no:randomly -p no:cacheprovider \
  notebooks/ "$@"
echo "nbval: notebooks 01 -> 06 passed in $(( $(date +%s) - start ))s"
