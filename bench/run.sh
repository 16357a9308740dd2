#!/usr/bin/env bash
# Plumb's benchmarks, each figure beside a baseline measured in the same run
# on the same machine (see bench/README.md):
#   1. import: `plumb import` of a 1,000,000-line JSONL file vs raw SQLite
#      inserting the same rows into the same table;
#   2. serving: 64 annotators looping next+submit vs /healthz, same client;
#      then the same on a second 1,000,000-task project with overlap 3 and
#      golden injection (golden_rate 0.1, golden tasks set through the API);
#   3. export: `plumb export` of 100,000 annotated tasks (two boxes each) as
#      COCO and as JSONL vs the sqlite3 shell reading the same rows;
#   4. the same on PostgreSQL (a throw-away cluster): `plumb import` vs raw
#      COPY of the same rows, then next+submit with one server (overlap 1,
#      then overlap 3 with golden tasks) and with two servers on the one
#      database;
#   5. quality: Dawid-Skene on 1,000,000 simulated labels vs majority vote on
#      the same labels (time, and accuracy against the simulated truth);
#   6. stats: the analytics endpoints of a project with 1,000,000 annotations
#      (generated and loaded directly, counters included), p50/p99 of each vs
#      the 100 ms target, on SQLite and (with PLUMB_BENCH_POSTGRES=1) on
#      PostgreSQL;
#   7. active learning: the built-in text classifier labeling Debian's package
#      descriptions by section in uncertainty order vs random order (labels
#      needed to reach 90% of the full-pool accuracy), and its update and
#      predict throughput;
#   8. dataset versions: Store::CreateDatasetVersion of 1,000,000 final labels
#      (every label distinct, then a choice project's three), the same again,
#      after 1 % relabeled, a diff and a stream, on SQLite and PostgreSQL,
#      beside the time the same rows took to load.
# Usage: bash bench/run.sh BUILD_DIR   (what `make bench` runs)
# Knobs (environment): PLUMB_BENCH_ROWS, PLUMB_BENCH_ANNOTATORS,
# PLUMB_BENCH_SECONDS, PLUMB_BENCH_HEALTHZ_SECONDS, PLUMB_BENCH_EXPORT_TASKS
# (100000), PLUMB_BENCH_GOLDEN (1; 0 leaves the overlap-3 + golden rows out),
# PLUMB_BENCH_OVERLAP (3), PLUMB_BENCH_GOLDEN_RATE (0.1),
# PLUMB_BENCH_GOLDEN_TASKS (1000), PLUMB_BENCH_SERVE_ARGS (extra
# `plumb serve` flags, e.g. "--workers 8"), PLUMB_BENCH_POSTGRES (1; 0 leaves
# the PostgreSQL rows out), PLUMB_BENCH_PG_FSYNC (on; off keeps the test
# cluster's fsync=off), PLUMB_BENCH_STATS (1; 0 leaves the stats rows out),
# PLUMB_BENCH_STATS_ANNOTATIONS (1000000), PLUMB_BENCH_STATS_REQUESTS (100
# per endpoint), PLUMB_BENCH_STATS_SECONDS (20: fewer requests when an
# endpoint takes longer), PLUMB_BENCH_ACTIVE (1; 0 leaves the active-learning
# rows out), PLUMB_BENCH_ACTIVE_RUNS (5 splits of the corpus),
# PLUMB_BENCH_ACTIVE_BATCH (25 labels per round), PLUMB_BENCH_VERSIONS (1; 0
# leaves the dataset version rows out), PLUMB_BENCH_VERSIONS_TASKS (1000000),
# PLUMB_BENCH_ONLY (stats or versions: run those rows alone, with
# PostgreSQL's unless PLUMB_BENCH_POSTGRES=0; active: the active-learning
# tables alone).
set -euo pipefail

BUILD=${1:?usage: bash bench/run.sh BUILD_DIR}
ROWS=${PLUMB_BENCH_ROWS:-1000000}
ANNOTATORS=${PLUMB_BENCH_ANNOTATORS:-64}
EXPORT_TASKS=${PLUMB_BENCH_EXPORT_TASKS:-100000}
LOAD_SECONDS=${PLUMB_BENCH_SECONDS:-20}
HEALTHZ_SECONDS=${PLUMB_BENCH_HEALTHZ_SECONDS:-10}
POSTGRES=${PLUMB_BENCH_POSTGRES:-1}
GOLDEN=${PLUMB_BENCH_GOLDEN:-1}
OVERLAP=${PLUMB_BENCH_OVERLAP:-3}
GOLDEN_RATE=${PLUMB_BENCH_GOLDEN_RATE:-0.1}
GOLDEN_TASKS=${PLUMB_BENCH_GOLDEN_TASKS:-1000}
PG_FSYNC=${PLUMB_BENCH_PG_FSYNC:-on}
STATS=${PLUMB_BENCH_STATS:-1}
STATS_ANNOTATIONS=${PLUMB_BENCH_STATS_ANNOTATIONS:-1000000}
STATS_REQUESTS=${PLUMB_BENCH_STATS_REQUESTS:-100}
STATS_SECONDS=${PLUMB_BENCH_STATS_SECONDS:-20}
ACTIVE=${PLUMB_BENCH_ACTIVE:-1}
ACTIVE_RUNS=${PLUMB_BENCH_ACTIVE_RUNS:-5}
ACTIVE_BATCH=${PLUMB_BENCH_ACTIVE_BATCH:-25}
VERSIONS=${PLUMB_BENCH_VERSIONS:-1}
VERSIONS_TASKS=${PLUMB_BENCH_VERSIONS_TASKS:-1000000}
ONLY=${PLUMB_BENCH_ONLY:-}
case $ONLY in
  "" | stats | active | versions) ;;
  *) echo "bench: PLUMB_BENCH_ONLY must be empty, stats, active or versions" >&2; exit 1 ;;
esac
[[ $ONLY != stats ]] || STATS=1
[[ $ONLY != versions ]] || VERSIONS=1
# Round-trip bounds on top of the time limits, far above what the time
# limits allow on this class of machine.
MAX_ROUNDS=2000000

PLUMB=$BUILD/plumb
GEN=$BUILD/bench/plumb_bench_gen_tasks
RAW=$BUILD/bench/plumb_bench_sqlite_insert
LOAD=$BUILD/bench/plumb_bench_load
PG_COPY=$BUILD/bench/plumb_bench_pg_copy
QUALITY=$BUILD/bench/plumb_bench_quality
ANALYTICS=$BUILD/bench/plumb_bench_analytics
VERSIONS_BIN=$BUILD/bench/plumb_bench_versions
ACTIVE_BIN=$BUILD/bench/plumb_bench_active_learning
PG_CLUSTER=$(dirname "$0")/../scripts/pg-test-cluster.sh
case $ONLY in
  stats) BINS=("$PLUMB" "$LOAD" "$ANALYTICS") ;;
  active) BINS=("$ACTIVE_BIN") ;;
  versions) BINS=("$VERSIONS_BIN") ;;
  *)
    BINS=("$PLUMB" "$LOAD" "$ANALYTICS" "$GEN" "$RAW" "$PG_COPY" "$QUALITY")
    [[ $ACTIVE != 1 ]] || BINS+=("$ACTIVE_BIN")
    [[ $VERSIONS != 1 ]] || BINS+=("$VERSIONS_BIN")
    ;;
esac
for bin in "${BINS[@]}"; do
  [[ -x $bin ]] || { echo "bench: $bin is missing; build first (make build)" >&2; exit 1; }
done
[[ -x /usr/bin/time ]] || { echo "bench: /usr/bin/time is missing (scripts/install-deps.sh)" >&2; exit 1; }
if [[ $POSTGRES == 1 && $ONLY != active ]] && ! command -v psql >/dev/null; then
  echo "bench: psql is missing (scripts/install-deps.sh installs postgresql)" >&2
  exit 1
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/plumb-bench.XXXXXX")
declare -A EXPORT_BYTES
# The stats section's outputs, by backend (sqlite, pg): the generator's line,
# its /usr/bin/time file, the stats lines, and the first error ("" if none).
declare -A STATS_GEN STATS_OUT STATS_ERROR
# The dataset-version section's output and first error, by backend.labels
# (sqlite.distinct, pg.choice, ...).
declare -A VERSIONS_OUT VERSIONS_ERROR
SERVER_PIDS=()
SERVER_PID=""
PG_STARTED=""

# Stops every server started so far.
stop_server() {
  local pid
  for pid in "${SERVER_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${SERVER_PIDS[@]}"; do
    # Graceful shutdown finishes in-flight requests; don't wait forever for it.
    for _ in $(seq 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  SERVER_PIDS=()
  SERVER_PID=""
}

cleanup() {
  stop_server
  [[ -z $PG_STARTED ]] || bash "$PG_CLUSTER" stop "$WORK/pg" || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "bench: $*" >&2; }

# The value of KEY in a line of KEY=VALUE fields.
field() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"; }
# The machine's CPU time so far, in ticks, as "all stolen": stolen is what
# the host gave other guests while this one wanted to run (a busy host
# lowers every throughput figure; the table shows it beside the load).
cpu_ticks() { awk '/^cpu / { t = 0; for (i = 2; i <= 9; i++) t += $i; print t, $9; exit }' /proc/stat; }
# The percentage of CPU time stolen between two cpu_ticks readings.
steal_pct() {
  awk -v a="$1" -v b="$2" 'BEGIN { split(a, x, " "); split(b, y, " ");
    t = y[1] - x[1]; printf "%.1f", (t > 0 ? 100 * (y[2] - x[2]) / t : 0) }'
}
# Runs a load command (a line of KEY=VALUE fields on stdout, whatever its
# exit status) and adds steal_pct=, the CPU time stolen while it ran;
# prints nothing if the command printed nothing.
measured() {
  local before out
  before=$(cpu_ticks)
  out=$("$@") || true
  [[ -z $out ]] || echo "$out steal_pct=$(steal_pct "$before" "$(cpu_ticks)")"
}

# Starts `plumb serve --db DB` (default $DB) on a free loopback port, beside
# any already running; sets SERVER_PID and PORT.
start_server() {
  local db=${1:-$DB} out=$WORK/serve${#SERVER_PIDS[@]}.log
  # shellcheck disable=SC2086  # extra flags split on purpose
  "$PLUMB" serve --db "$db" --listen 127.0.0.1:0 ${PLUMB_BENCH_SERVE_ARGS:-} >"$out" 2>&1 &
  SERVER_PID=$!
  SERVER_PIDS+=("$SERVER_PID")
  PORT=""
  for _ in $(seq 300); do
    PORT=$(sed -n 's|^plumb: listening on http://127\.0\.0\.1:\([0-9]*\)$|\1|p' "$out")
    [[ -n $PORT ]] && return 0
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      cat "$out" >&2
      log "plumb serve exited"
      exit 1
    fi
    sleep 0.1
  done
  cat "$out" >&2
  log "plumb serve did not start listening within 30 s"
  exit 1
}

# GET PATH on the server at PORT as the admin, signed in afresh (the
# PostgreSQL database has no sessions of its own); "" when a call fails.
admin_get() {
  if curl -sf -c "$WORK/admin.cookies" -H 'Content-Type: application/json' \
    -d "{\"username\":\"admin\",\"password\":\"$ADMIN_PASSWORD\"}" \
    "http://127.0.0.1:$1/api/v1/auth/login" >/dev/null; then
    curl -sf -b "$WORK/admin.cookies" "http://127.0.0.1:$1$2" || true
  fi
}
# The golden grades of the overlap-N project on the server at PORT, summed
# over its labelers, and the project's tasks done ("?" when unknown).
golden_graded() {
  local body
  body=$(admin_get "$1" "/api/v1/projects/$GOLDEN_PROJECT/golden/grades")
  [[ -n $body ]] || { echo "?"; return 0; }
  { grep -o '"graded":[0-9]*' <<<"$body" || true; } | awk -F: '{ s += $2 } END { print s + 0 }'
}
tasks_done() {
  local body
  body=$(admin_get "$1" "/api/v1/projects/$2")
  local done_count
  done_count=$(sed -n 's/.*"counts":{[^}]*"done":\([0-9]*\).*/\1/p' <<<"$body")
  echo "${done_count:-?}"
}
# The annotate run on the overlap-N project at PORT (its stderr to ERR_FILE):
# annotate's key=value line, with graded= and tasks_done= added.
annotate_golden() {
  local out
  out=$("$LOAD" annotate --port "$1" --project "$GOLDEN_PROJECT" --tokens "$WORK/tokens.txt" \
    --concurrency "$ANNOTATORS" --seconds "$LOAD_SECONDS" --max-rounds "$MAX_ROUNDS" \
    2>"$2") || true
  [[ -n $out ]] || return 0
  echo "$out graded=$(golden_graded "$1") tasks_done=$(tasks_done "$1" "$GOLDEN_PROJECT")"
}
# The first error a load run reported, or "none".
first_error() {
  local first
  first=$(sed -n 's/^plumb_bench_load: .*first: //p' "$1")
  first=${first%%$'\n'*}
  echo "${first:0:160}" | grep . || echo none
}

# "0:07.52" or "1:02:03" (GNU time's elapsed wall clock) in seconds.
wall_seconds() { awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }' <<<"$1"; }
time_field() { sed -n "s/^[[:space:]]*$1: //p" "$2"; }

# Starts the throw-away PostgreSQL cluster; sets PG_ADMIN (its admin URL)
# and PG_SETTINGS.
start_pg_cluster() {
  log "starting a throw-away PostgreSQL cluster"
  PG_STARTED=1
  # The test cluster runs with fsync off; the SQLite rows are synced
  # (synchronous = FULL), so sync here too unless told otherwise.
  local durable=1
  [[ $PG_FSYNC == on ]] || durable=0
  PLUMB_PG_DURABLE=$durable bash "$PG_CLUSTER" start "$WORK/pg" >&2
  PG_ADMIN=$(cat "$WORK/pg/url")
  PG_SETTINGS=$(psql "$PG_ADMIN" -Atc "SELECT 'fsync=' || current_setting('fsync')
    || ' synchronous_commit=' || current_setting('synchronous_commit')
    || ' shared_buffers=' || current_setting('shared_buffers')")
}

STATS_PASSWORD=bench-manager-password
# "1M", "20k" or the number itself.
short_count() {
  awk -v n="$1" 'BEGIN {
    if (n % 1000000 == 0) printf "%dM", n / 1000000
    else if (n % 1000 == 0) printf "%dk", n / 1000
    else printf "%d", n }'
}
STATS_SIZE=$(short_count "$STATS_ANNOTATIONS")
# Milliseconds to fit the table: whole ones from 100 up.
short_ms() { awk -v v="$1" 'BEGIN { printf (v >= 100 ? "%.0f" : "%.2f"), v }'; }

# The stats section on BACKEND (sqlite or pg) with DB, a new SQLite path or
# an empty PostgreSQL database: generate the project, serve it, measure each
# endpoint, stop the server. A failure is recorded in STATS_ERROR (and shown
# under the table) rather than ending the bench: the other rows stand.
run_stats() {
  local backend=$1 db=$2 gen out
  log "$backend: generating a project with $STATS_ANNOTATIONS annotations for the stats endpoints"
  if ! gen=$(/usr/bin/time -v -o "$WORK/stats_$backend.time" "$ANALYTICS" generate --db "$db" \
    --annotations "$STATS_ANNOTATIONS" --labelers 200 --days 30 --password "$STATS_PASSWORD" \
    2>"$WORK/stats_$backend.gen.err"); then
    STATS_ERROR[$backend]="generate: $(tail -1 "$WORK/stats_$backend.gen.err" | head -c 200)"
    log "$backend: ${STATS_ERROR[$backend]}"
    return 0
  fi
  STATS_GEN[$backend]=$gen
  log "$backend: $STATS_REQUESTS requests (at most ${STATS_SECONDS} s) per endpoint, one at a time"
  start_server "$db"
  if ! out=$("$LOAD" stats --port "$PORT" --user bench-manager --password "$STATS_PASSWORD" \
    --project "$(field project "$gen")" --requests "$STATS_REQUESTS" --seconds "$STATS_SECONDS" \
    2>"$WORK/stats_$backend.err"); then
    STATS_ERROR[$backend]="$(tail -1 "$WORK/stats_$backend.err" | head -c 200)"
    log "$backend: ${STATS_ERROR[$backend]}"
  fi
  STATS_OUT[$backend]=$out
  stop_server
}

# The stats rows of BACKEND for the table; PREFIX starts each figure's name.
stats_rows() {
  local backend=$1 prefix=$2 gen=${STATS_GEN[$1]:-} out=${STATS_OUT[$1]:-} line endpoint
  local h_p50 h_p99 p50 p99
  if [[ -n $gen ]]; then
    row "${prefix}stats DB: generate s ($STATS_SIZE annotations)" "$(field seconds "$gen") s" \
      "$(mb "$(time_field 'Maximum resident set size (kbytes)' "$WORK/stats_$backend.time")") peak RSS" "-"
    row "${prefix}stats DB: stat_counters rows" "$(field stat_counters "$gen")" \
      "$(field rows "$gen") rows in all" "-"
  else
    row "${prefix}stats DB: generate s ($STATS_SIZE annotations)" "failed" "-" "see below"
  fi
  line=$(grep ' endpoint=healthz ' <<<"$out" || true)
  h_p50=$(field p50_ms "$line")
  h_p99=$(field p99_ms "$line")
  for endpoint in summary labelers workforces timeseries confusion samples disagreements; do
    line=$(grep " endpoint=$endpoint " <<<"$out" || true)
    local name="${prefix}stats $endpoint p50/p99 ($STATS_SIZE annotations)"
    [[ $(field kind "$line") != other ]] || name="${prefix}$endpoint p50/p99 ($STATS_SIZE annotations)"
    if [[ -z $line ]]; then
      row "$name" "failed" "-" "see below"
      continue
    fi
    p50=$(field p50_ms "$line")
    p99=$(field p99_ms "$line")
    local shown
    shown="$(short_ms "$p50") / $(short_ms "$p99")"
    if [[ $(field kind "$line") == stats ]]; then
      row "$name" "$shown" "$h_p50 / $h_p99 /healthz" "< 100 ms: $(verdict "<" "$p99" 100) (p99)"
    else
      row "$name" "$shown" "$h_p50 / $h_p99 /healthz" "- (not a stats endpoint)"
    fi
  done
}

# The lines under the table about BACKEND's stats rows.
stats_note() {
  local backend=$1 label=$2 gen=${STATS_GEN[$1]:-} out=${STATS_OUT[$1]:-} each=""
  local endpoint line
  for endpoint in summary labelers workforces timeseries confusion samples disagreements; do
    line=$(grep " endpoint=$endpoint " <<<"$out" || true)
    [[ -z $line ]] || each+=" $endpoint $(field requests "$line")/$(field first_ms "$line")/$(field max_ms "$line");"
  done
  if [[ -z $gen ]]; then
    echo "$label stats: error: ${STATS_ERROR[$backend]:-unknown}"
    return 0
  fi
  echo "$label stats: one generated project, $(field annotations "$gen") annotations" \
    "($(field done_tasks "$gen") done tasks x 3, $(field golden_labels "$gen") golden labels on" \
    "$(field golden_tasks "$gen") golden tasks), $(field labelers "$gen") labelers, $(field days "$gen")" \
    "days, loaded directly in $(field seconds "$gen") s; default ranges (30 days; samples 7);" \
    "one request at a time after 5 warm-ups, up to $STATS_REQUESTS or ${STATS_SECONDS} s per endpoint;" \
    "error: ${STATS_ERROR[$backend]:-none}"
  echo "$label stats per endpoint, requests measured / first warm-up ms / max ms:${each:- none}"
}

# Dataset versions on BACKEND (sqlite or pg) with DB, a SQLite path or the
# URL of the plumb_versions database this makes afresh for each label kind.
# A failure is recorded in VERSIONS_ERROR; the other rows stand.
run_versions() {
  local backend=$1 db=$2 labels out
  for labels in distinct choice; do
    log "$backend: dataset versions of $VERSIONS_TASKS final labels ($labels labels)"
    if [[ $backend == pg ]]; then
      psql "$PG_ADMIN" -qc 'DROP DATABASE IF EXISTS plumb_versions' \
        -c 'CREATE DATABASE plumb_versions'
    fi
    if out=$("$VERSIONS_BIN" --tasks "$VERSIONS_TASKS" --db "$db" --labels "$labels" \
      2>"$WORK/versions.err"); then
      VERSIONS_OUT[$backend.$labels]=$out
    else
      VERSIONS_ERROR[$backend.$labels]=$(tail -1 "$WORK/versions.err" | head -c 200)
      log "$backend: ${VERSIONS_ERROR[$backend.$labels]}"
    fi
    [[ $backend == pg ]] || rm -f "$db" "$db-wal" "$db-shm"
  done
  [[ $backend != pg ]] || psql "$PG_ADMIN" -qc 'DROP DATABASE IF EXISTS plumb_versions' || true
}

versions_rows() {
  local backend=$1 prefix=$2 labels out size
  size=$(short_count "$VERSIONS_TASKS")
  for labels in distinct choice; do
    out=${VERSIONS_OUT[$backend.$labels]:-}
    if [[ -z $out ]]; then
      row "${prefix}version of $size $labels labels" "failed" "-" \
        "${VERSIONS_ERROR[$backend.$labels]:-see the log}"
      continue
    fi
    row "${prefix}version of $size $labels labels: s" "$(field v1_s "$out") s" \
      "$(field load_s "$out") s to load the rows" \
      "seconds: $(verdict "<" "$(field v1_s "$out")" 60) (< 60 s)"
    row "${prefix}  its CPU s (plumb's process)" "$(field v1_cpu_s "$out") s" "-" "-"
    row "${prefix}  new label blobs" "+$(field v1_new_blobs "$out")" \
      "$(field v1_labels "$out") labels" "-"
    row "${prefix}  again, labels unchanged: s" "$(field v2_s "$out") s" \
      "+$(field v2_new_blobs "$out") blobs" "-"
    row "${prefix}  again, 1 % relabeled: s" "$(field v3_s "$out") s" \
      "+$(field v3_new_blobs "$out") blobs" "-"
    row "${prefix}  diff / stream the version: s" \
      "$(field diff_s "$out") / $(field stream_s "$out") s" \
      "$(field diff_relabeled "$out") relabeled" "-"
  done
}

# verdict OP VALUE LIMIT: "met" or "missed" for VALUE OP LIMIT.
verdict() {
  awk -v v="$2" -v l="$3" -v op="$1" 'BEGIN {
    ok = (op == ">=") ? v >= l : v < l; print ok ? "met" : "MISSED" }'
}
mb() { awk -v k="$1" 'BEGIN { printf "%.0f MB", k / 1024 }'; }
# A table row; FIGURE_WIDTH fits the longest figure name of the table.
FIGURE_WIDTH=44
row() { printf "| %-${FIGURE_WIDTH}s | %14s | %24s | %-28s |\n" "$@"; }

if [[ $ONLY == versions ]]; then
  # Only the dataset-version rows (PLUMB_BENCH_ONLY=versions).
  run_versions sqlite "$WORK/versions.db"
  if [[ $POSTGRES == 1 ]]; then
    start_pg_cluster
    run_versions pg "${PG_ADMIN%/*}/plumb_versions"
  fi
  echo
  echo "Plumb dataset-version benchmark — $(date -u '+%Y-%m-%d %H:%M:%S UTC'), nproc $(nproc)," \
    "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(uname -sr)"
  echo
  row "figure" "plumb" "baseline" "target"
  row "---" "---" "---" "---"
  versions_rows sqlite ""
  [[ $POSTGRES != 1 ]] || versions_rows pg "PG "
  exit 0
fi

# The active-learning corpus: Debian's package index as apt has it on this
# machine (`apt-cache dumpavail`), each package's short description labeled
# with its section, for six sections whose descriptions say what the
# package is about; a generated corpus when the index is empty (no
# `apt-get update` yet). Then the simulation; sets ACTIVE_OUT (the tables and
# the key=value line), ACTIVE_KV (that line) and ACTIVE_SOURCE.
run_active() {
  local corpus=$WORK/active.tsv args
  if command -v apt-cache >/dev/null; then
    { apt-cache dumpavail 2>/dev/null || true; } | awk -v want="games sound graphics science net fonts" '
      BEGIN { n = split(want, w, " "); for (i = 1; i <= n; i++) keep[w[i]] = 1 }
      /^Description: / { desc = substr($0, 14) }
      /^Section: / { sec = $2; sub(/.*\//, "", sec) }
      /^$/ { if (desc != "" && (sec in keep)) print sec "\t" desc; desc = ""; sec = "" }' >"$corpus"
  fi
  if [[ -s $corpus && $(wc -l <"$corpus") -ge 1000 ]]; then
    args=(--corpus "$corpus")
    ACTIVE_SOURCE="Debian package index (apt-cache dumpavail): short descriptions by section"
  else
    args=(--generated 8000)
    ACTIVE_SOURCE="generated (apt's package index is empty here)"
  fi
  log "active learning: $ACTIVE_RUNS runs, batches of $ACTIVE_BATCH, corpus: $ACTIVE_SOURCE"
  ACTIVE_OUT=$("$ACTIVE_BIN" "${args[@]}" --runs "$ACTIVE_RUNS" --batch "$ACTIVE_BATCH" 2>"$WORK/active.err") ||
    { cat "$WORK/active.err" >&2; log "plumb_bench_active_learning failed"; exit 1; }
  ACTIVE_KV=$(grep '^active_learning ' <<<"$ACTIVE_OUT")
}

# The active-learning rows of the table.
active_rows() {
  local random margin entropy
  random=$(field random_labels "$ACTIVE_KV")
  margin=$(field margin_labels "$ACTIVE_KV")
  entropy=$(field entropy_labels "$ACTIVE_KV")
  # "never": the pool ran out before the target; that misses it.
  fewer() { [[ $1 != never && $2 != never ]] && verdict "<" "$1" "$2" || echo MISSED; }
  row "learner: labels to target, margin / entropy" "$margin / $entropy" "$random random order" \
    "< random: $(fewer "$margin" "$random") / $(fewer "$entropy" "$random")"
  row "learner: Update / Predict texts/s" \
    "$(field update_per_s "$ACTIVE_KV") / $(field predict_per_s "$ACTIVE_KV")" "-" "-"
}

# The line under the table about the active-learning rows.
active_note() {
  echo "active learning: $ACTIVE_SOURCE; $(field texts "$ACTIVE_KV") texts, $(field labels "$ACTIVE_KV")" \
    "labels; pool $(field pool "$ACTIVE_KV"), held out $(field test "$ACTIVE_KV"); target" \
    "$(field target "$ACTIVE_KV") held-out accuracy ($(field target_share "$ACTIVE_KV") of the" \
    "full pool's $(field full_accuracy "$ACTIVE_KV")); medians of $(field runs "$ACTIVE_KV") runs, each:" \
    "random $(field random_each "$ACTIVE_KV"), margin $(field margin_each "$ACTIVE_KV")," \
    "entropy $(field entropy_each "$ACTIVE_KV"); model blob $(field blob_bytes "$ACTIVE_KV") bytes"
}

if [[ $ONLY == active ]]; then
  # Only the active-learning tables (PLUMB_BENCH_ONLY=active).
  run_active
  echo
  echo "Plumb active-learning benchmark — $(date -u '+%Y-%m-%d %H:%M:%S UTC'), nproc $(nproc)," \
    "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(uname -sr)"
  echo "corpus source: $ACTIVE_SOURCE"
  echo
  grep -v '^active_learning ' <<<"$ACTIVE_OUT"
  exit 0
fi

if [[ $ONLY == stats ]]; then
  # Only the stats rows (PLUMB_BENCH_ONLY=stats).
  run_stats sqlite "$WORK/stats.db"
  rm -f "$WORK"/stats.db*
  if [[ $POSTGRES == 1 ]]; then
    start_pg_cluster
    psql "$PG_ADMIN" -qc 'CREATE DATABASE plumb_stats'
    run_stats pg "${PG_ADMIN%/*}/plumb_stats"
  fi
  echo
  echo "Plumb stats benchmark — $(date -u '+%Y-%m-%d %H:%M:%S UTC'), nproc $(nproc)," \
    "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(uname -sr)"
  echo
  row "figure" "plumb" "baseline" "target"
  row "---" "---" "---" "---"
  stats_rows sqlite ""
  [[ $POSTGRES != 1 ]] || stats_rows pg "PG "
  echo
  stats_note sqlite SQLite
  [[ $POSTGRES != 1 ]] || stats_note pg PostgreSQL
  exit 0
fi

DB=$WORK/plumb.db
TASKS=$WORK/tasks.jsonl
ADMIN_PASSWORD=bench-admin-password

log "writing $ROWS tasks to $TASKS"
GEN_OUT=$("$GEN" --rows "$ROWS" --out "$TASKS")

log "creating the database, the project and $ANNOTATORS annotators through the API"
PLUMB_ADMIN_PASSWORD=$ADMIN_PASSWORD "$PLUMB" init --db "$DB" >/dev/null
start_server
SETUP_OUT=$("$LOAD" setup --port "$PORT" --password "$ADMIN_PASSWORD" --users "$ANNOTATORS" \
  --tokens "$WORK/tokens.txt")
PROJECT=$(field project "$SETUP_OUT")
if [[ $GOLDEN == 1 ]]; then
  # The second load project: the same annotators, overlap 3, golden tasks
  # added and answered through the API (PUT /tasks/{id}/golden).
  log "creating the overlap-$OVERLAP project with $GOLDEN_TASKS golden tasks through the API"
  GOLDEN_SETUP_OUT=$("$LOAD" setup --port "$PORT" --password "$ADMIN_PASSWORD" \
    --users "$ANNOTATORS" --existing-users --name "bench overlap $OVERLAP golden" \
    --overlap "$OVERLAP" --golden-rate "$GOLDEN_RATE" --golden-tasks "$GOLDEN_TASKS")
  GOLDEN_PROJECT=$(field project "$GOLDEN_SETUP_OUT")
fi
# The export project: one bbox control over an image, created as admin.
curl -sf -c "$WORK/cookies" -H 'Content-Type: application/json' \
  -d "{\"username\":\"admin\",\"password\":\"$ADMIN_PASSWORD\"}" \
  "http://127.0.0.1:$PORT/api/v1/auth/login" >/dev/null
EXPORT_PROJECT=$(curl -sf -b "$WORK/cookies" -H 'Content-Type: application/json' \
  -d '{"name":"export bench","schema":{"controls":[{"name":"objects","type":"bbox","source":"image","labels":["car","person","bike"]}]}}' \
  "http://127.0.0.1:$PORT/api/v1/projects" | sed -n 's/.*"id":\([0-9]*\).*/\1/p')
[[ -n $EXPORT_PROJECT ]] || { log "creating the export project failed"; exit 1; }
stop_server
# The users, tokens and project, kept for PostgreSQL (which gets them through
# `plumb migrate`: no second round of Argon2).
[[ $POSTGRES != 1 ]] || sqlite3 "$DB" ".backup '$WORK/setup.db'"

log "raw SQLite baseline: $ROWS inserts"
RAW_OUT=$(/usr/bin/time -v -o "$WORK/raw.time" "$RAW" --db "$WORK/raw.db" --rows "$ROWS" \
  --check-schema "$DB")
rm -f "$WORK"/raw.db*

log "plumb import of $ROWS tasks"
/usr/bin/time -v -o "$WORK/import.time" "$PLUMB" import --db "$DB" --project "$PROJECT" \
  --format jsonl "$TASKS" >"$WORK/import.log"
if [[ $GOLDEN == 1 ]]; then
  log "plumb import of the same $ROWS tasks into the overlap-$OVERLAP project"
  "$PLUMB" import --db "$DB" --project "$GOLDEN_PROJECT" --format jsonl "$TASKS" \
    >"$WORK/golden_import.log"
fi
[[ $POSTGRES == 1 ]] || rm -f "$TASKS"

log "serving $ANNOTATORS annotators for ${LOAD_SECONDS}s, then /healthz for ${HEALTHZ_SECONDS}s"
start_server
ANNOTATE_OUT=$(measured "$LOAD" annotate --port "$PORT" --project "$PROJECT" \
  --tokens "$WORK/tokens.txt" --concurrency "$ANNOTATORS" --seconds "$LOAD_SECONDS" \
  --max-rounds "$MAX_ROUNDS")
HEALTHZ_OUT=$("$LOAD" healthz --port "$PORT" --concurrency "$ANNOTATORS" \
  --seconds "$HEALTHZ_SECONDS" --max-rounds "$MAX_ROUNDS") || true
SERVE_RSS_KB=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB$/\1/p' "/proc/$SERVER_PID/status")
if [[ $GOLDEN == 1 ]]; then
  log "serving $ANNOTATORS annotators on the overlap-$OVERLAP project (golden_rate $GOLDEN_RATE) for ${LOAD_SECONDS}s"
  GOLDEN_OUT=$(measured annotate_golden "$PORT" "$WORK/golden.err")
fi
stop_server
[[ -n $ANNOTATE_OUT && -n $HEALTHZ_OUT ]] || { log "the load generator failed"; exit 1; }
[[ $GOLDEN != 1 || -n $GOLDEN_OUT ]] || { cat "$WORK/golden.err" >&2; log "the load generator failed"; exit 1; }

# --- export ---------------------------------------------------------------------

# Label Studio JSON with one annotation of two boxes per task, imported
# through the label import (so the tasks are done and their revisions have
# media), then exported twice; the sqlite3 shell reading the same rows (task
# data, result, media) to /dev/null is the baseline.
log "writing $EXPORT_TASKS annotated tasks (Label Studio JSON) and importing them"
awk -v n="$EXPORT_TASKS" 'BEGIN {
  print "["
  for (i = 1; i <= n; i++) {
    x = (i * 7) % 60; y = (i * 13) % 60
    printf "{\"data\":{\"image\":\"/media/img%07d.jpg\"},\"annotations\":[{\"lead_time\":3.5,\"result\":[", i
    printf "{\"id\":\"a%d\",\"from_name\":\"objects\",\"to_name\":\"image\",\"type\":\"rectanglelabels\",\"original_width\":640,\"original_height\":480,\"value\":{\"x\":%d,\"y\":%d,\"width\":20,\"height\":25,\"rotation\":0,\"rectanglelabels\":[\"car\"]}},", i, x, y
    printf "{\"id\":\"b%d\",\"from_name\":\"objects\",\"to_name\":\"image\",\"type\":\"rectanglelabels\",\"original_width\":640,\"original_height\":480,\"value\":{\"x\":%d,\"y\":%d,\"width\":10.5,\"height\":15,\"rotation\":0,\"rectanglelabels\":[\"person\"]}}", i, y, x
    printf "]}]}%s\n", (i < n ? "," : "")
  }
  print "]"
}' >"$WORK/labeled.json"
/usr/bin/time -v -o "$WORK/labeled_import.time" "$PLUMB" import --db "$DB" \
  --project "$EXPORT_PROJECT" --format label_studio "$WORK/labeled.json" >"$WORK/labeled_import.log"
rm -f "$WORK/labeled.json"

for format in coco jsonl; do
  log "plumb export of $EXPORT_TASKS annotated tasks as $format"
  /usr/bin/time -v -o "$WORK/export_$format.time" "$PLUMB" export --db "$DB" \
    --project "$EXPORT_PROJECT" --format "$format" --out "$WORK/export.$format"
  EXPORT_BYTES[$format]=$(stat -c %s "$WORK/export.$format")
  rm -f "$WORK/export.$format"
done
log "raw SQLite baseline: the sqlite3 shell reading the same rows"
/usr/bin/time -v -o "$WORK/export_raw.time" sqlite3 "$DB" \
  "SELECT t.id, t.data, r.result, r.media FROM tasks t JOIN annotations a ON a.task_id = t.id
   JOIN revisions r ON r.id = a.current_revision_id WHERE t.project_id = $EXPORT_PROJECT
   ORDER BY t.id" >"$WORK/export_raw.out"
EXPORT_RAW_ROWS=$(wc -l <"$WORK/export_raw.out")
rm -f "$WORK/export_raw.out"

# --- stats ----------------------------------------------------------------------

if [[ $STATS == 1 ]]; then
  run_stats sqlite "$WORK/stats.db"
  rm -f "$WORK"/stats.db*
fi

# --- dataset versions -------------------------------------------------------------

[[ $VERSIONS != 1 ]] || run_versions sqlite "$WORK/versions.db"

# --- PostgreSQL ----------------------------------------------------------------

if [[ $POSTGRES == 1 ]]; then
  start_pg_cluster
  psql "$PG_ADMIN" -qc 'CREATE DATABASE plumb_bench' -c 'CREATE DATABASE plumb_raw'
  PG_DB=${PG_ADMIN%/*}/plumb_bench
  PG_RAW_DB=${PG_ADMIN%/*}/plumb_raw

  log "PostgreSQL: the bench's users, tokens and project through plumb migrate"
  "$PLUMB" migrate --from "$WORK/setup.db" --to "$PG_DB" >"$WORK/migrate.log"

  log "raw PostgreSQL baseline: COPY of $ROWS rows"
  PG_RAW_OUT=$(/usr/bin/time -v -o "$WORK/pg_raw.time" "$PG_COPY" --url "$PG_RAW_DB" \
    --rows "$ROWS" --check-schema "$PG_DB")
  psql "$PG_ADMIN" -qc 'DROP DATABASE plumb_raw'

  log "plumb import of $ROWS tasks into PostgreSQL"
  /usr/bin/time -v -o "$WORK/pg_import.time" "$PLUMB" import --db "$PG_DB" --project "$PROJECT" \
    --format jsonl "$TASKS" >"$WORK/pg_import.log"
  if [[ $GOLDEN == 1 ]]; then
    log "plumb import of the same $ROWS tasks into the overlap-$OVERLAP project on PostgreSQL"
    "$PLUMB" import --db "$PG_DB" --project "$GOLDEN_PROJECT" --format jsonl "$TASKS" \
      >"$WORK/pg_golden_import.log"
  fi
  rm -f "$TASKS"

  log "PostgreSQL: $ANNOTATORS annotators on one server for ${LOAD_SECONDS}s"
  start_server "$PG_DB"
  PG_PORT1=$PORT
  PG1_OUT=$(measured "$LOAD" annotate --port "$PG_PORT1" --project "$PROJECT" \
    --tokens "$WORK/tokens.txt" --concurrency "$ANNOTATORS" --seconds "$LOAD_SECONDS" \
    --max-rounds "$MAX_ROUNDS")
  if [[ $GOLDEN == 1 ]]; then
    log "PostgreSQL: $ANNOTATORS annotators on the overlap-$OVERLAP project for ${LOAD_SECONDS}s"
    PG_GOLDEN_OUT=$(measured annotate_golden "$PG_PORT1" "$WORK/pg_golden.err")
  fi
  log "PostgreSQL: $ANNOTATORS annotators split across two servers for ${LOAD_SECONDS}s"
  start_server "$PG_DB"
  PG2_OUT=$(measured "$LOAD" annotate --port "$PG_PORT1,$PORT" --project "$PROJECT" \
    --tokens "$WORK/tokens.txt" --concurrency "$ANNOTATORS" --seconds "$LOAD_SECONDS" \
    --max-rounds "$MAX_ROUNDS")
  stop_server
  [[ -n $PG1_OUT && -n $PG2_OUT ]] || { log "the load generator failed on PostgreSQL"; exit 1; }

  if [[ $STATS == 1 ]]; then
    psql "$PG_ADMIN" -qc 'CREATE DATABASE plumb_stats'
    run_stats pg "${PG_ADMIN%/*}/plumb_stats"
    psql "$PG_ADMIN" -qc 'DROP DATABASE plumb_stats' || true
  fi
  [[ $VERSIONS != 1 ]] || run_versions pg "${PG_ADMIN%/*}/plumb_versions"
fi

# --- quality -------------------------------------------------------------------

log "Dawid-Skene on 1,000,000 simulated labels (333,334 items x 3, 200 labelers, 4 classes)"
QUALITY_OUT=$("$QUALITY")

# --- active learning -------------------------------------------------------------

[[ $ACTIVE != 1 ]] || run_active

# --- the table ---------------------------------------------------------------

IMPORTED=$(sed -n 's/^plumb: imported \([0-9]*\) tasks.*/\1/p' "$WORK/import.log")
IMPORT_S=$(wall_seconds "$(time_field 'Elapsed (wall clock) time (h:mm:ss or m:ss)' "$WORK/import.time")")
IMPORT_RSS_KB=$(time_field 'Maximum resident set size (kbytes)' "$WORK/import.time")
RAW_RSS_KB=$(time_field 'Maximum resident set size (kbytes)' "$WORK/raw.time")
IMPORT_RATE=$(awk -v n="$IMPORTED" -v s="$IMPORT_S" 'BEGIN { printf "%.0f", n / s }')
RAW_RATE=$(field rows_per_s "$RAW_OUT")

IMPORT_RATIO=$(awk -v a="$IMPORT_RATE" -v b="$RAW_RATE" 'BEGIN { printf "%.2f", a / b }')
PAIR_P99=$(field pair_p99_ms "$ANNOTATE_OUT")
H_RPS=$(field requests_per_s "$HEALTHZ_OUT")
H_P50=$(field p50_ms "$HEALTHZ_OUT")
H_P99=$(field p99_ms "$HEALTHZ_OUT")

echo
echo "Plumb benchmarks — $(date -u '+%Y-%m-%d %H:%M:%S UTC'), nproc $(nproc)," \
  "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(uname -sr)," \
  "SQLite $(field sqlite "$RAW_OUT")"
echo "tasks: $(field lines "$GEN_OUT") lines, $(field avg_line_bytes "$GEN_OUT") bytes/line;" \
  "project $PROJECT; $ANNOTATORS annotators (distinct users, API tokens), keep-alive, 1 client thread"
echo
row "figure" "plumb" "baseline" "target"
row "---" "---" "---" "---"
row "import tasks/s" "$IMPORT_RATE" "$RAW_RATE raw SQLite rows/s" \
  ">= 0.5x raw: $(verdict ">=" "$IMPORT_RATIO" 0.5) (${IMPORT_RATIO}x)"
row "import wall time" "${IMPORT_S} s" "$(field seconds "$RAW_OUT") s raw SQLite" "-"
row "import peak RSS" "$(mb "$IMPORT_RSS_KB")" "$(mb "$RAW_RSS_KB") raw SQLite" \
  "< 300 MB: $(verdict "<" "$IMPORT_RSS_KB" $((300 * 1024)))"
row "next+submit round trips/s" "$(field rounds_per_s "$ANNOTATE_OUT")" "$H_RPS /healthz req/s" "-"
row "API calls/s (2 per round trip)" "$(field calls_per_s "$ANNOTATE_OUT")" \
  "$H_RPS /healthz req/s" "-"
row "next+submit p50 ms" "$(field pair_p50_ms "$ANNOTATE_OUT")" "$H_P50 /healthz" "-"
row "next+submit p99 ms" "$PAIR_P99" "$H_P99 /healthz" "< 20 ms: $(verdict "<" "$PAIR_P99" 20)"
row "next p50 / p99 ms" \
  "$(field next_p50_ms "$ANNOTATE_OUT") / $(field next_p99_ms "$ANNOTATE_OUT")" \
  "$H_P50 / $H_P99 /healthz" "-"
row "submit p50 / p99 ms" \
  "$(field submit_p50_ms "$ANNOTATE_OUT") / $(field submit_p99_ms "$ANNOTATE_OUT")" \
  "$H_P50 / $H_P99 /healthz" "-"
row "load errors" "$(field errors "$ANNOTATE_OUT")" "$(field errors "$HEALTHZ_OUT") /healthz" "0"
row "CPU stolen by the host during the load" "$(field steal_pct "$ANNOTATE_OUT") %" "-" "-"
if [[ $GOLDEN == 1 ]]; then
  G_P99=$(field pair_p99_ms "$GOLDEN_OUT")
  row "overlap $OVERLAP + golden: round trips/s" "$(field rounds_per_s "$GOLDEN_OUT")" \
    "$(field rounds_per_s "$ANNOTATE_OUT") overlap 1" "-"
  row "overlap $OVERLAP + golden: p50 / p99 ms" "$(field pair_p50_ms "$GOLDEN_OUT") / $G_P99" \
    "$(field pair_p50_ms "$ANNOTATE_OUT") / $PAIR_P99 overlap 1" \
    "p99 < 20 ms: $(verdict "<" "$G_P99" 20)"
  row "overlap $OVERLAP + golden: next / submit p99" \
    "$(field next_p99_ms "$GOLDEN_OUT") / $(field submit_p99_ms "$GOLDEN_OUT")" \
    "$(field next_p99_ms "$ANNOTATE_OUT") / $(field submit_p99_ms "$ANNOTATE_OUT") overlap 1" "-"
  row "overlap $OVERLAP + golden: load errors" "$(field errors "$GOLDEN_OUT")" "-" "0"
  row "overlap $OVERLAP + golden: CPU stolen by the host" "$(field steal_pct "$GOLDEN_OUT") %" "-" "-"
fi
row "serve peak RSS (after load)" "$(mb "${SERVE_RSS_KB:-0}")" "-" "-"

# The export rows: tasks/s over the wall time of the whole command.
EXPORT_RAW_S=$(wall_seconds "$(time_field 'Elapsed (wall clock) time (h:mm:ss or m:ss)' "$WORK/export_raw.time")")
EXPORT_RAW_RSS_KB=$(time_field 'Maximum resident set size (kbytes)' "$WORK/export_raw.time")
EXPORT_RAW_RATE=$(awk -v n="$EXPORT_RAW_ROWS" -v s="$EXPORT_RAW_S" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')
LABELED_S=$(wall_seconds "$(time_field 'Elapsed (wall clock) time (h:mm:ss or m:ss)' "$WORK/labeled_import.time")")
LABELED_RATE=$(awk -v n="$EXPORT_TASKS" -v s="$LABELED_S" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')
row "labeled import tasks/s (Label Studio)" "$LABELED_RATE" "$IMPORT_RATE JSONL import" "-"
row "labeled import peak RSS" \
  "$(mb "$(time_field 'Maximum resident set size (kbytes)' "$WORK/labeled_import.time")")" \
  "$(mb "$IMPORT_RSS_KB") JSONL import" "< 300 MB: $(verdict "<" \
  "$(time_field 'Maximum resident set size (kbytes)' "$WORK/labeled_import.time")" $((300 * 1024)))"
for format in coco jsonl; do
  name=$([[ $format == coco ]] && echo COCO || echo JSONL)
  s=$(wall_seconds "$(time_field 'Elapsed (wall clock) time (h:mm:ss or m:ss)' "$WORK/export_$format.time")")
  rss=$(time_field 'Maximum resident set size (kbytes)' "$WORK/export_$format.time")
  rate=$(awk -v n="$EXPORT_TASKS" -v s="$s" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')
  row "$name export tasks/s" "$rate" \
    "$EXPORT_RAW_RATE sqlite3 rows/s" "-"
  row "$name export peak RSS" "$(mb "$rss")" "$(mb "$EXPORT_RAW_RSS_KB") sqlite3" \
    "< 100 MB (streams): $(verdict "<" "$rss" $((100 * 1024)))"
  row "$name export file" "$(awk -v b="${EXPORT_BYTES[$format]}" 'BEGIN { printf "%.0f MB", b / 1048576 }')" "-" "-"
done
DS_ACC=$(field ds_accuracy "$QUALITY_OUT")
MV_ACC=$(field majority_accuracy "$QUALITY_OUT")
DS_S=$(field ds_seconds "$QUALITY_OUT")
row "Dawid-Skene 1M labels: s (iterations)" "$DS_S ($(field ds_iterations "$QUALITY_OUT"))" \
  "$(field majority_seconds "$QUALITY_OUT") s majority vote" "< 10 s: $(verdict "<" "$DS_S" 10)"
row "Dawid-Skene 1M labels: CPU s" "$(field ds_cpu_seconds "$QUALITY_OUT")" "-" "-"
row "Dawid-Skene 1M labels: accuracy" "$DS_ACC" "$MV_ACC majority vote" \
  ">= majority: $(verdict ">=" "$DS_ACC" "$MV_ACC")"
[[ $ACTIVE != 1 ]] || active_rows
[[ $STATS != 1 ]] || stats_rows sqlite ""
[[ $VERSIONS != 1 ]] || versions_rows sqlite ""
echo
echo "baseline schema check (raw table vs Plumb's tasks table): $(field schema "$RAW_OUT");" \
  "measured windows: annotate $(field seconds "$ANNOTATE_OUT") s," \
  "/healthz $(field seconds "$HEALTHZ_OUT") s; $(field rounds "$ANNOTATE_OUT") round trips," \
  "$(field requests "$HEALTHZ_OUT") /healthz requests;" \
  "annotators that found the queue empty: $(field empty_queue "$ANNOTATE_OUT")"
if [[ $GOLDEN == 1 ]]; then
  echo "overlap $OVERLAP + golden: project $GOLDEN_PROJECT, $ROWS imported tasks and" \
    "$GOLDEN_TASKS golden ones (golden_rate $GOLDEN_RATE); $(field rounds "$GOLDEN_OUT") round" \
    "trips, $(field graded "$GOLDEN_OUT") golden grades, $(field tasks_done "$GOLDEN_OUT") tasks" \
    "done; first error:" \
    "$(first_error "$WORK/golden.err")"
fi
[[ $ACTIVE != 1 ]] || active_note
[[ $STATS != 1 ]] || stats_note sqlite SQLite

[[ $POSTGRES == 1 ]] || exit 0

PG_IMPORTED=$(sed -n 's/^plumb: imported \([0-9]*\) tasks.*/\1/p' "$WORK/pg_import.log")
PG_IMPORT_S=$(wall_seconds "$(time_field 'Elapsed (wall clock) time (h:mm:ss or m:ss)' "$WORK/pg_import.time")")
PG_IMPORT_RSS_KB=$(time_field 'Maximum resident set size (kbytes)' "$WORK/pg_import.time")
PG_RAW_RSS_KB=$(time_field 'Maximum resident set size (kbytes)' "$WORK/pg_raw.time")
PG_IMPORT_RATE=$(awk -v n="$PG_IMPORTED" -v s="$PG_IMPORT_S" 'BEGIN { printf "%.0f", n / s }')
PG_RAW_RATE=$(field rows_per_s "$PG_RAW_OUT")
PG_IMPORT_RATIO=$(awk -v a="$PG_IMPORT_RATE" -v b="$PG_RAW_RATE" 'BEGIN { printf "%.2f", a / b }')
PG1_P99=$(field pair_p99_ms "$PG1_OUT")
PG2_P99=$(field pair_p99_ms "$PG2_OUT")
PG1_RPS=$(field rounds_per_s "$PG1_OUT")
PG2_RPS=$(field rounds_per_s "$PG2_OUT")
PG_SCALE=$(awk -v a="$PG2_RPS" -v b="$PG1_RPS" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
FIGURE_WIDTH=44  # the PostgreSQL figures' names are longer

echo
echo "PostgreSQL $(field postgres "$PG_RAW_OUT") (throw-away cluster on 127.0.0.1: $PG_SETTINGS);" \
  "the same tasks, project and $ANNOTATORS annotators; two servers: $((ANNOTATORS / 2)) annotators each"
echo
row "figure" "plumb" "baseline" "target"
row "---" "---" "---" "---"
row "PG import tasks/s" "$PG_IMPORT_RATE" "$PG_RAW_RATE raw COPY rows/s" \
  ">= 0.5x raw: $(verdict ">=" "$PG_IMPORT_RATIO" 0.5) (${PG_IMPORT_RATIO}x)"
row "PG import wall time" "${PG_IMPORT_S} s" "$(field seconds "$PG_RAW_OUT") s raw COPY" "-"
row "PG import peak RSS" "$(mb "$PG_IMPORT_RSS_KB")" "$(mb "$PG_RAW_RSS_KB") raw COPY" \
  "< 300 MB: $(verdict "<" "$PG_IMPORT_RSS_KB" $((300 * 1024)))"
row "PG next+submit round trips/s, 1 server" "$PG1_RPS" "$H_RPS /healthz req/s" "-"
row "PG next+submit round trips/s, 2 servers" "$PG2_RPS" "$PG1_RPS with 1 server" \
  "- (${PG_SCALE}x of 1 server)"
row "PG next+submit p50 ms, 1 server" "$(field pair_p50_ms "$PG1_OUT")" "$H_P50 /healthz" "-"
row "PG next+submit p99 ms, 1 server" "$PG1_P99" "$H_P99 /healthz" \
  "< 20 ms: $(verdict "<" "$PG1_P99" 20)"
row "PG next+submit p50 ms, 2 servers" "$(field pair_p50_ms "$PG2_OUT")" \
  "$(field pair_p50_ms "$PG1_OUT") with 1 server" "-"
row "PG next+submit p99 ms, 2 servers" "$PG2_P99" "$PG1_P99 with 1 server" \
  "< 20 ms: $(verdict "<" "$PG2_P99" 20)"
row "PG next / submit p99 ms, 1 server" \
  "$(field next_p99_ms "$PG1_OUT") / $(field submit_p99_ms "$PG1_OUT")" "$H_P99 /healthz" "-"
row "PG next / submit p99 ms, 2 servers" \
  "$(field next_p99_ms "$PG2_OUT") / $(field submit_p99_ms "$PG2_OUT")" "$H_P99 /healthz" "-"
row "PG load errors, 1 / 2 servers" "$(field errors "$PG1_OUT") / $(field errors "$PG2_OUT")" "-" "0"
row "PG CPU stolen by the host, 1 / 2 servers" "$(field steal_pct "$PG1_OUT") / $(field steal_pct "$PG2_OUT") %" "-" "-"
if [[ $GOLDEN == 1 ]]; then
  PGG_P99=$(field pair_p99_ms "$PG_GOLDEN_OUT")
  row "PG overlap $OVERLAP + golden: round trips/s" "$(field rounds_per_s "$PG_GOLDEN_OUT")" \
    "$PG1_RPS overlap 1" "-"
  row "PG overlap $OVERLAP + golden: p50 / p99 ms" \
    "$(field pair_p50_ms "$PG_GOLDEN_OUT") / $PGG_P99" \
    "$(field pair_p50_ms "$PG1_OUT") / $PG1_P99 overlap 1" "p99 < 20 ms: $(verdict "<" "$PGG_P99" 20)"
  row "PG overlap $OVERLAP + golden: load errors" "$(field errors "$PG_GOLDEN_OUT")" "-" "0"
  row "PG overlap $OVERLAP + golden: CPU stolen" "$(field steal_pct "$PG_GOLDEN_OUT") %" "-" "-"
fi
[[ $STATS != 1 ]] || stats_rows pg "PG "
[[ $VERSIONS != 1 ]] || versions_rows pg "PG "
echo
echo "baseline schema check (raw COPY table vs Plumb's tasks table): $(field schema "$PG_RAW_OUT");" \
  "measured windows: 1 server $(field seconds "$PG1_OUT") s, 2 servers $(field seconds "$PG2_OUT") s;" \
  "$(field rounds "$PG1_OUT") / $(field rounds "$PG2_OUT") round trips;" \
  "annotators that found the queue empty: $(field empty_queue "$PG1_OUT") / $(field empty_queue "$PG2_OUT")"
if [[ $GOLDEN == 1 ]]; then
  echo "PG overlap $OVERLAP + golden: $(field rounds "$PG_GOLDEN_OUT") round trips," \
    "$(field graded "$PG_GOLDEN_OUT") golden grades, $(field tasks_done "$PG_GOLDEN_OUT") tasks" \
    "done; first error:" \
    "$(first_error "$WORK/pg_golden.err")"
fi
[[ $STATS != 1 ]] || stats_note pg PostgreSQL
