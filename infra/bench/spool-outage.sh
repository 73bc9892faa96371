#!/usr/bin/env bash
# A shard outage under load, against a running `hoplink dev --dir DIR`: stops its private
# Postgres, drives one cached link with wrk, starts Postgres again and times how long the
# link service takes to write every click (held in memory and spooled to DIR/spool).
#
#   target/release/hoplink dev --dir /tmp/hdev &
#   infra/bench/spool-outage.sh /tmp/hdev [seconds]
#
# Prints wrk's result, the spool's metrics after the run, the catch-up time and the
# counters at the end; compare the written count with the clicks table yourself
# (docs/benchmarks.md shows how). Needs wrk and Postgres' pg_ctl; run as root or as the
# cluster's owner.
#
# With KILL_AFTER (seconds), the `hoplink dev` serving DIR is killed outright (SIGKILL)
# that long after Postgres started, while it writes the spool back; start it again on DIR
# and it writes what is left, each click once.
set -euo pipefail
DIR=${1:?usage: [KILL_AFTER=seconds] spool-outage.sh DIR [seconds]}
SECS=${2:-10}
LINK=${HOPLINK_LINK_URL:-http://127.0.0.1:8080}
PGBIN=${HOPLINK_PG_BIN:-$(pg_config --bindir 2>/dev/null || ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)}
UA='Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1'
DATA="$DIR/postgres/data"
PORT=$(cat "$DIR/postgres/port")

as_owner() {
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi
}
click_metric() {
  curl -s "$LINK/metrics" | awk -v name="$1" 'index($0, name "{kind=\"click\"") == 1 {s += $2} END {printf "%d", s}'
}

curl -s -o /dev/null -A "$UA" "$LINK/welcome"   # cached before the outage
sleep 1
echo "written before: $(click_metric hoplink_events_written_total)"
as_owner "$PGBIN/pg_ctl -D $DATA -m fast stop" >/dev/null
wrk -t2 -c64 -d"${SECS}s" -H "User-Agent: $UA" "$LINK/welcome" | grep -E "requests in|Requests/sec|Non-2xx"
sleep 1
for m in hoplink_events_pending hoplink_events_spooled_total hoplink_events_spool_bytes hoplink_events_dropped_total; do
  echo "$m: $(click_metric $m)"
done
as_owner "$PGBIN/pg_ctl -D $DATA -l $DIR/postgres/postgres.log -w -o \"-p $PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=200 -c fsync=off\" start" >/dev/null
started=$(date +%s.%N)
if [ -n "${KILL_AFTER:-}" ]; then
  sleep "$KILL_AFTER"
  for m in hoplink_events_written_total hoplink_events_replayed_total; do
    echo "$m: $(click_metric $m)"
  done
  pkill -KILL -f "hoplink dev .*--dir $DIR"
  sleep 1
  echo "killed $KILL_AFTER s after Postgres started; spool files left: $(find "$DIR/spool/click" -name '*.spool' | wc -l)"
  exit 0
fi
previous=""
for _ in $(seq 1 600); do
  sleep 0.5
  written=$(click_metric hoplink_events_written_total)
  if [ "$(click_metric hoplink_events_pending)" = 0 ] && [ "$(click_metric hoplink_events_spool_bytes)" = 0 ] && [ "$written" = "$previous" ]; then
    break
  fi
  previous=$written
done
echo "caught up $(echo "$(date +%s.%N) - $started" | bc) s after Postgres started (polled every 0.5 s; the last 0.5 s confirms)"
for m in hoplink_events_written_total hoplink_events_replayed_total hoplink_events_dropped_total; do
  echo "$m: $(click_metric $m)"
done
