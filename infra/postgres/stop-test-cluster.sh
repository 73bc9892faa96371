#!/usr/bin/env bash
# Stops the cluster start-test-cluster.sh started and removes its folder. Same environment.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
if [ -n "${HOPLINK_TEST_PG_DIR:-}" ]; then
  dir="$HOPLINK_TEST_PG_DIR"
elif [ -d /dev/shm/hoplink-test-pg ]; then
  dir=/dev/shm/hoplink-test-pg
else
  dir="$repo/target/test-pg"
fi
bin="${HOPLINK_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)}"

[ -f "$dir/data/postmaster.pid" ] || exit 0
if [ "$(id -u)" = 0 ]; then
  runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
else
  "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
fi
rm -rf "$dir"
