#!/usr/bin/env bash
# Runs two builds of stride-bench alternately, one scenario per invocation, so both meet the
# same machine: `before after before after …`. Every invocation of a build that has the
# floor in each run prints it; for an older build, `health` runs just before.
#
#   bench/scripts/interleave.sh /tmp/bench-before target/release/stride-bench postgres 2 get-workout refresh
set -euo pipefail
before=$1 after=$2 backend=$3 rounds=$4
shift 4
for round in $(seq 1 "$rounds"); do
  for scenario in "$@"; do
    for bin in "$before" "$after"; do
      echo "=== round $round $bin $scenario $backend (load $(cut -d' ' -f1-3 /proc/loadavg))"
      if ! "$bin" --help | grep -q -- --external; then
        "$bin" health --backend "$backend" --duration 5s 2>/dev/null | grep -E "^health"
      fi
      "$bin" "$scenario" --backend "$backend" --duration 5s 2>/dev/null \
        | grep -E "^[a-z].* req/s|target|one hash" || true
    done
  done
done
