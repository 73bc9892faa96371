#!/usr/bin/env bash
# Starts a single-node, loopback-only Aerospike server for development and tests, and
# waits until it accepts reads and writes.
#
# On success prints one line to stdout, for `export "$(infra/aerospike/start-local.sh)"`:
#   HOPLINK_TEST_AEROSPIKE_HOSTS=127.0.0.1:3000
# Everything else goes to stderr. When `asd` (Aerospike CE server) is not installed it says
# so loudly and exits 0 without that line: the hot-tier tests then report themselves
# skipped. Running it again while its server is up just prints the line again.
#
# Environment:
#   HOPLINK_AEROSPIKE_RUN_DIR  work folder (config, data, pid file, log)
#                              [<repo>/target/aerospike-run]
#   HOPLINK_AEROSPIKE_PORT     client port; fabric, heartbeat and admin take the next
#                              three [3000]
#   HOPLINK_AEROSPIKE_WAIT_SECS  how long to wait for readiness [60]
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
run_dir="${HOPLINK_AEROSPIKE_RUN_DIR:-$repo/target/aerospike-run}"
port="${HOPLINK_AEROSPIKE_PORT:-3000}"
wait_secs="${HOPLINK_AEROSPIKE_WAIT_SECS:-60}"
readiness="cluster-stable:size=1;ignore-migrations=false;namespace=hoplink"

say() { printf 'aerospike: %s\n' "$*" >&2; }

if ! command -v asd >/dev/null 2>&1; then
  {
    echo "############################################################################"
    echo "## aerospike: 'asd' (Aerospike server) is not on PATH; not starting it."
    echo "## The hot-tier tests will print 'SKIPPED: no Aerospike server'."
    echo "## See infra/aerospike/README.md for how to get a server."
    echo "############################################################################"
  } >&2
  exit 0
fi

# Prints the server's answer to the readiness command, or nothing when unreachable.
probe() {
  if command -v python3 >/dev/null 2>&1; then
    python3 "$here/asinfo.py" "127.0.0.1:$port" "$readiness" 2>/dev/null || true
  elif (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "port-open"
  fi
}

is_ready() {
  local answer
  answer="$(probe)"
  # The answer is "<command>\t<value>"; the value is the cluster key, or ERROR:...
  answer="${answer#*$'\t'}"
  [ -n "$answer" ] && [[ "$answer" != *ERROR* ]]
}

pidfile="$run_dir/asd.pid"
if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null && is_ready; then
  say "already running (pid $(cat "$pidfile"), $run_dir)"
  echo "HOPLINK_TEST_AEROSPIKE_HOSTS=127.0.0.1:$port"
  exit 0
fi
if is_ready; then
  say "a server already answers on 127.0.0.1:$port (not started by this script); using it"
  echo "HOPLINK_TEST_AEROSPIKE_HOSTS=127.0.0.1:$port"
  exit 0
fi

mkdir -p "$run_dir/work/smd" "$run_dir/work/usr/udf/lua" "$run_dir/log"
conf="$run_dir/aerospike.conf"
sed -e "s|@RUN_DIR@|$run_dir|g" \
    -e "s|@SERVICE_PORT@|$port|g" \
    -e "s|@FABRIC_PORT@|$((port + 1))|g" \
    -e "s|@HEARTBEAT_PORT@|$((port + 2))|g" \
    -e "s|@ADMIN_PORT@|$((port + 3))|g" \
    "$here/aerospike.conf" >"$conf"

# proto-fd-max is 1024: the server refuses to start with a lower open-file limit.
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 1024 ]; then
  ulimit -n 1024 || { say "ulimit -n is $(ulimit -n) and cannot be raised to 1024"; exit 1; }
fi

say "starting asd ($conf)"
detach=()
command -v setsid >/dev/null 2>&1 && detach=(setsid)
nohup "${detach[@]}" asd --config-file "$conf" >"$run_dir/log/console.out" 2>&1 &
started_pid=$!

deadline=$((SECONDS + wait_secs))
until is_ready; do
  if ! kill -0 "$started_pid" 2>/dev/null && ! { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }; then
    say "asd exited during startup; last lines of its log:"
    tail -n 30 "$run_dir/log/console.out" >&2 || true
    exit 1
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    say "not ready after ${wait_secs}s; last lines of its log:"
    tail -n 30 "$run_dir/log/console.out" >&2 || true
    exit 1
  fi
  sleep 0.5
done
[ -f "$pidfile" ] || echo "$started_pid" >"$pidfile"
say "ready on 127.0.0.1:$port (pid $(cat "$pidfile"))"
echo "HOPLINK_TEST_AEROSPIKE_HOSTS=127.0.0.1:$port"
