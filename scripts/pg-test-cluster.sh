#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for the tests and benchmarks, from Debian's
# postgresql package; nothing pre-installed or pre-started is assumed.
#
#   pg-test-cluster.sh start DIR   initdb into a fresh data directory, start the
#                                  server on a free loopback port, and write its
#                                  admin URL to DIR/url
#   pg-test-cluster.sh stop DIR    stop that server and remove its data
#
# Tests read DIR/url (see PLUMB_TEST_PG_URL_FILE) and make their own databases.
# fsync is off: the cluster lives for one test run, and durability across a
# crash of *plumb* (not of the machine) does not depend on it.
# PLUMB_PG_DURABLE=1 keeps PostgreSQL's fsync and full-page writes on (the
# benchmarks, to compare with a synced SQLite).
set -euo pipefail

cmd=${1:?usage: pg-test-cluster.sh start|stop DIR}
dir=${2:?usage: pg-test-cluster.sh start|stop DIR}

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "pg-test-cluster: PostgreSQL server binaries not found (install Debian's postgresql: make deps)" >&2
  exit 1
fi

# initdb and postgres refuse to run as root; as root, run them as the postgres
# user that Debian's package creates.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

stop() {
  if [ -f "$dir/datadir" ]; then
    data=$(cat "$dir/datadir")
    if [ -d "$data" ]; then
      as_pg "$bindir/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
      rm -rf "$data"
    fi
  fi
  rm -rf "$dir"
}

case "$cmd" in
  start)
    stop
    mkdir -p "$dir"
    data=$(mktemp -d /tmp/plumb-pg.XXXXXX)
    echo "$data" >"$dir/datadir"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$data"
    as_pg "$bindir/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
    for attempt in 1 2 3 4 5 6 7 8; do
      port=$((20000 + RANDOM % 30000))
      opts="-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$data"
      opts+=" -c max_connections=300"
      [ "${PLUMB_PG_DURABLE:-0}" = 1 ] || opts+=" -c fsync=off -c full_page_writes=off"
      if as_pg "$bindir/pg_ctl" -D "$data" -o "$opts" -l "$data/server.log" -w -t 30 start >/dev/null 2>&1; then
        echo "postgresql://postgres@127.0.0.1:$port/postgres" >"$dir/url"
        echo "pg-test-cluster: PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port ($data)"
        exit 0
      fi
    done
    echo "pg-test-cluster: the server did not start; its log:" >&2
    cat "$data/server.log" >&2 || true
    exit 1
    ;;
  stop)
    stop
    ;;
  *)
    echo "usage: pg-test-cluster.sh start|stop DIR" >&2
    exit 2
    ;;
esac
