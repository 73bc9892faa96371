#!/usr/bin/env bash
# Stops the server start-local.sh started (the process in its pid file, nothing else).
# Same environment as start-local.sh. Exits 0 when nothing was running.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
run_dir="${HOPLINK_AEROSPIKE_RUN_DIR:-$repo/target/aerospike-run}"
pidfile="$run_dir/asd.pid"

say() { printf 'aerospike: %s\n' "$*" >&2; }

if [ ! -f "$pidfile" ]; then
  say "no pid file in $run_dir; nothing to stop"
  exit 0
fi
pid="$(cat "$pidfile")"
if ! kill -0 "$pid" 2>/dev/null; then
  say "pid $pid is not running"
  rm -f "$pidfile"
  exit 0
fi
kill -TERM "$pid"
for _ in $(seq 1 100); do
  kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile"; say "stopped (pid $pid)"; exit 0; }
  sleep 0.1
done
say "pid $pid ignored SIGTERM for 10s; killing it"
kill -KILL "$pid" 2>/dev/null || true
rm -f "$pidfile"
