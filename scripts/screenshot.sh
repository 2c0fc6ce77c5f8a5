#!/usr/bin/env bash
# Headless Chromium view of an HTML report: a PNG screenshot and a PDF print, to look at what a
# reader sees. Not part of `make test` (needs Debian's chromium: apt-get install -y chromium).
# usage: scripts/screenshot.sh REPORT.html [OUT_PREFIX] [WIDTHxHEIGHT]
set -euo pipefail
html=${1:?usage: scripts/screenshot.sh REPORT.html [OUT_PREFIX] [WIDTHxHEIGHT]}
prefix=${2:-${html%.html}}
size=${3:-1280x4000}
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$browser" ]; then
  echo "chromium not found: apt-get install -y chromium" >&2
  exit 2
fi
mkdir -p "$(dirname "$prefix")"
url="file://$(readlink -f "$html")"
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
       --disable-background-networking --disable-component-update --disable-sync
       --user-data-dir="$profile" --hide-scrollbars)
"$browser" "${flags[@]}" --window-size="${size/x/,}" --screenshot="$prefix.png" "$url" \
  >/dev/null 2>&1
"$browser" "${flags[@]}" --no-pdf-header-footer --print-to-pdf="$prefix.pdf" "$url" \
  >/dev/null 2>&1
for f in "$prefix.png" "$prefix.pdf"; do
  [ -s "$f" ] || { echo "chromium wrote no $f" >&2; exit 1; }
  echo "$f"
done
