#!/usr/bin/env bash
# Profiles the measured phase of one scenario: starts `stride-bench <scenario>` with 20 s
# phases, waits for the scenario's header and 7 s more (past its setup and warm-up), then
# samples every CPU for 8 s. Needs perf (Debian: linux-perf).
#
#   bench/scripts/profile.sh target/release/stride-bench get-workout postgres perf.data
#   perf report -i perf.data --no-children --sort comm,dso -g none
set -euo pipefail
bin=$1 scenario=$2 backend=$3 out=$4
log=$(mktemp)
"$bin" "$scenario" --backend "$backend" --duration 20s >"$log" 2>/dev/null &
pid=$!
until grep -q "^## $scenario" "$log"; do sleep 0.5; done
sleep 7
perf record -a -F 499 -g -o "$out" -- sleep 8 >/dev/null 2>&1
wait "$pid"
grep -E "^$scenario " "$log"
rm -f "$log"
