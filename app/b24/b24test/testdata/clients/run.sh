#!/usr/bin/env bash
# Starts `trail emulate` with known counts, runs check.cjs against its
# webhook, and stops the emulator whatever the outcome. $1: the trail binary.
set -euo pipefail
trail=$1
out=$(mktemp)
"$trail" emulate -addr 127.0.0.1:8025 -portals 1 -deals 137 -leads 73 -spa 1 -spa-items 77 -unlimited >"$out" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 100); do grep -q webhook_url "$out" && break; sleep 0.1; done
url=$(sed -n 's/.*"webhook_url":"\([^"]*\)".*/\1/p' "$out" | head -1)
[ -n "$url" ] || { echo "the emulator did not start:"; cat "$out"; exit 1; }
node check.cjs "$url" 137 73 77
