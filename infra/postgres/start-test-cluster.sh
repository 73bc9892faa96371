#!/usr/bin/env bash
# Starts a throw-away PostgreSQL cluster for the test suite, in memory (/dev/shm) and
# without fsync, and prints one line for `export "$(infra/postgres/start-test-cluster.sh)"`:
#   HOPLINK_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:<port>/postgres
#
# Why: every test creates and drops its own databases, and PostgreSQL 15 forces a
# checkpoint on each DROP DATABASE. One run of the suite is a few hundred immediate
# checkpoints and gigabytes of writes; on a shared disk that stalls the whole run. The
# tests check behaviour, not durability, so the cluster skips fsync and lives in memory.
#
# Uses the machine's PostgreSQL server binaries (initdb, pg_ctl). When no server binaries
# are found it says so and exits 0 without the line; the tests then use the server at
# 127.0.0.1:5432. A cluster from an earlier run in the same folder is stopped and replaced.
#
# Environment:
#   HOPLINK_TEST_PG_DIR    cluster folder [/dev/shm/hoplink-test-pg, or target/test-pg
#                          when /dev/shm is missing or has less than 4 GiB free]
#   HOPLINK_TEST_PG_PORT   port [55432]
#   HOPLINK_PG_BIN         folder holding initdb and pg_ctl [newest /usr/lib/postgresql/*/bin]
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
port="${HOPLINK_TEST_PG_PORT:-55432}"
if [ -n "${HOPLINK_TEST_PG_DIR:-}" ]; then
  dir="$HOPLINK_TEST_PG_DIR"
elif [ -d /dev/shm ] && [ -w /dev/shm ] &&
  [ "$(df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 { print $4 }')" -ge $((4 * 1024 * 1024)) ]; then
  # The bench smoke's million-link shard needs room; a container's 64 MB /dev/shm has none.
  dir=/dev/shm/hoplink-test-pg
else
  dir="$repo/target/test-pg"
fi

say() { printf 'test postgres: %s\n' "$*" >&2; }

bin="${HOPLINK_PG_BIN:-}"
if [ -z "$bin" ]; then
  bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
fi
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ] || [ ! -x "$bin/pg_ctl" ]; then
  say "no PostgreSQL server binaries (set HOPLINK_PG_BIN); the tests use 127.0.0.1:5432"
  exit 0
fi

# Postgres refuses to run as root: the cluster then belongs to the postgres user.
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

if [ -f "$dir/data/postmaster.pid" ]; then
  say "stopping the cluster left in $dir"
  as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
fi
rm -rf "$dir"
mkdir -p "$dir"
if [ "$(id -u)" = 0 ]; then
  chown postgres: "$dir"
fi

as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
  --no-sync >"$dir/initdb.log" 2>&1 || {
  say "initdb failed:"
  tail -n 20 "$dir/initdb.log" >&2
  exit 1
}

cat >>"$dir/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 200
shared_buffers = 256MB
fsync = off
synchronous_commit = off
full_page_writes = off
max_wal_size = 1GB
EOF

say "starting on 127.0.0.1:$port ($dir)"
as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 start >/dev/null || {
  say "did not start; last lines of its log:"
  tail -n 20 "$dir/postgres.log" >&2 || true
  exit 1
}
echo "HOPLINK_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:$port/postgres"
