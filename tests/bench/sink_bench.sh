#!/usr/bin/env bash
# Benchmark: `deltabridge sink` applying deltas into PostgreSQL.
#
#   bash tests/bench/sink_bench.sh [ROWS] [LAT_RATE] [LAT_SECONDS]
#   (or SINK_BENCH_ROWS, SINK_BENCH_RATE, SINK_BENCH_SECONDS in the environment)
#
# Two throwaway PostgreSQL 15 clusters on 127.0.0.1: the source (wal_level
# logical) and the target (track_commit_timestamp on), as a sink would run
# against another server. `deltabridge run` follows the source throughout.
#
# 1. Inserts. ROWS rows (default 200000; bigint key, text, int, numeric(10,2),
#    timestamptz: about 100 bytes a row) are inserted in the source in
#    transactions of 1000 while the bridge runs, and the bench waits until the
#    bridge has journaled the last one. Only then does `deltabridge sink`
#    start: the time from its start until the target has committed every row
#    (its checkpoint in deltabridge_checkpoints reaches the last seq) is the
#    sink's apply rate alone (bridge already done; it serves the journal
#    through replay; the sink's own start, a few tens of ms, is included).
#    Compared with `COPY items FROM file` of the same rows
#    (exported with COPY TO) into an identical empty table of the target:
#    median of 3. Printed: both rates and the ratio sink/COPY (target >= 0.5),
#    and the ratio of the sink to the ceiling below.
#    Also timed: COPY of the same rows plus the deltabridge_row_writers
#    records the sink wrote for them, in one transaction: the most any sink
#    that keeps each field's last writer in the target could reach.
# 2. Updates under last_writer_wins. The sink is stopped; every source row is
#    updated (`SET i = i + 1`, transactions of 1000 rows, REPLICA IDENTITY
#    FULL); once the bridge has journaled them all the sink starts again and
#    the catch-up is timed the same way. Target: >= 20000 rows/s.
# 3. Latency. With bridge and sink running, pgbench inserts one row per
#    transaction into another source table at LAT_RATE/s (default 5000) for
#    LAT_SECONDS (default 30). Per row: target commit time
#    (pg_xact_commit_timestamp of the row's xmin) minus source commit time
#    (the "at" of its writer in deltabridge_row_writers, which is pgoutput's
#    commit timestamp). Both are PostgreSQL commit timestamps, taken just
#    before each commit record is flushed. The first SINK_BENCH_SKIP seconds
#    (default 5) are left out. Printed: p50, p99, max (target p99 <= 50 ms),
#    plus the time the row was written (column applied_at DEFAULT
#    clock_timestamp(), which the sink never writes), and the rate achieved.
#    With the probe (below), each row's latency is also split at the moment
#    its delta left the bridge: the bridge's share and the sink's.
#
# Also printed: CPU seconds of the sink process, of its PostgreSQL backend and
# of the bridge in each phase, how busy the whole machine was (every
# process, the bench's own included: about 1.2 to 1.4 of 2 cores on an
# otherwise idle 2-core machine; much more means something else was running),
# and the sink's peak RSS in phases 1 and 2 (VmHWM; a new sink process each).
#
# Environment:
#   DELTABRIDGE_BIN        the binary (default build/deltabridge)
#   SINK_BENCH_PROBE       tests/bench/sink_bench_probe (default: next to the
#                          binary, BUILD/tests/bench/); when present, phase 3
#                          also splits the latency at the moment each delta
#                          leaves the bridge (a second, live-only subscriber)
#   SINK_BENCH_CLIENTS     pgbench clients for phase 3 (default 8: with one
#                          row per commit, 5000 commits/s need group commit)
#   SINK_BENCH_SKIP        warm-up seconds left out of the latency figures (5)
#   SINK_BENCH_LOG_SQL=1   log every target statement with its duration
#                          (log_min_duration_statement = 0) and keep the logs
#   SINK_BENCH_PERF=1      record `perf record -a -g` during both apply
#                          phases (perf-inserts.data, perf-updates.data) and
#                          keep the work directory
#   SINK_BENCH_KEEP=1      keep the work directory (logs) after the run
#   SINK_BENCH_TARGET_CONF extra postgresql.conf lines for the target, separated
#                          by ';' (experiments, e.g. "autovacuum_naptime = 1s")
#   SINK_BENCH_SINK_PGOPTIONS  PGOPTIONS for the sink's connection only
#                          (experiments, e.g. "-c enable_hashjoin=off")
#
# Runs on throwaway PostgreSQL clusters in a temporary directory. Not a test:
# it asserts only that the target ends equal to the source; the figures go
# into docs/benchmarks.md with the machine they came from.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source scripts/lib/throwaway-pg.sh
source tests/bench/bench_lib.sh

rows="${1:-${SINK_BENCH_ROWS:-200000}}"
lat_rate="${2:-${SINK_BENCH_RATE:-5000}}"
lat_secs="${3:-${SINK_BENCH_SECONDS:-30}}"
clients="${SINK_BENCH_CLIENTS:-8}"
skip="${SINK_BENCH_SKIP:-5}"
per_tx=1000
command -v pgbench >/dev/null || { echo "pgbench not found (package postgresql-client-15)" >&2; exit 1; }
((rows % per_tx == 0)) || { echo "ROWS must be a multiple of ${per_tx}" >&2; exit 2; }
bench_init deltabridge-sink-bench
probe="${SINK_BENCH_PROBE:-$(dirname "${bin}")/tests/bench/sink_bench_probe}"
bridge_pid="" sink_pid="" probe_pid="" perf_pid="" load_pid="" src_dir="" dst_dir=""
cleanup() {
  local rc=$?
  set +e
  [[ -n "${load_pid}" ]] && kill "${load_pid}" 2>/dev/null && wait "${load_pid}" 2>/dev/null
  [[ -n "${perf_pid}" ]] && kill -INT "${perf_pid}" 2>/dev/null && wait "${perf_pid}" 2>/dev/null
  [[ -n "${probe_pid}" ]] && kill "${probe_pid}" 2>/dev/null && wait "${probe_pid}" 2>/dev/null
  [[ -n "${sink_pid}" ]] && kill "${sink_pid}" 2>/dev/null && wait "${sink_pid}" 2>/dev/null
  [[ -n "${bridge_pid}" ]] && kill "${bridge_pid}" 2>/dev/null && wait "${bridge_pid}" 2>/dev/null
  [[ -n "${dst_dir}" ]] && PG_DIR="${dst_dir}" pg_stop
  [[ -n "${src_dir}" ]] && PG_DIR="${src_dir}" pg_stop
  if [[ "${SINK_BENCH_KEEP:-0}" == 1 || "${SINK_BENCH_LOG_SQL:-0}" == 1 ||
        "${SINK_BENCH_PERF:-0}" == 1 ]]; then
    echo "work directory kept: ${work}" >&2
  else
    rm -rf "${work}"
  fi
  exit "${rc}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# CPU seconds (user + system) a process has used so far.
cpu_s() {
  awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print ($12 + $13) / hz }' "/proc/$1/stat" \
    2>/dev/null || echo 0
}
# Peak resident memory of a process so far, in MiB (VmHWM).
peak_rss_mib() {
  awk '/^VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo 0
}
# Whole-machine busy CPU seconds so far (all cores, every process).
machine_busy_s() {
  awk -v hz="$(getconf CLK_TCK)" '/^cpu / { print ($2 + $3 + $4 + $7 + $8) / hz }' /proc/stat
}

# --- the two clusters ------------------------------------------------------
common=("max_wal_size = 4GB" "checkpoint_timeout = 30min")
pg_start "${work}/src" "${common[@]}"
src_dir="${PG_DIR}" src_port="${PG_PORT}"
dst_extra=("track_commit_timestamp = on")
if [[ "${SINK_BENCH_LOG_SQL:-0}" == 1 ]]; then
  dst_extra+=("log_min_duration_statement = 0" "log_parameter_max_length = 0"
              "log_line_prefix = '%m [%p] '")
fi
if [[ -n "${SINK_BENCH_TARGET_CONF:-}" ]]; then
  IFS=';' read -r -a conf_lines <<<"${SINK_BENCH_TARGET_CONF}"
  dst_extra+=("${conf_lines[@]}")
fi
pg_start "${work}/dst" "${common[@]}" "${dst_extra[@]}"
dst_dir="${PG_DIR}" dst_port="${PG_PORT}"
src() { PG_PORT="${src_port}" pg_psql source "$@"; }
dst() { PG_PORT="${dst_port}" pg_psql target "$@"; }
PG_PORT="${src_port}" pg_psql postgres -c "CREATE DATABASE source"
PG_PORT="${dst_port}" pg_psql postgres -c "CREATE DATABASE target"
pg_version="$(src -At -c "SELECT current_setting('server_version')")"

columns="id bigint PRIMARY KEY, t text NOT NULL, i int NOT NULL, n numeric(10,2) NOT NULL, ts timestamptz NOT NULL"
src <<SQL
CREATE TABLE items (${columns});
ALTER TABLE items REPLICA IDENTITY FULL;
CREATE TABLE lat (id bigserial PRIMARY KEY, t text NOT NULL, i int NOT NULL, n numeric(10,2) NOT NULL, ts timestamptz NOT NULL);
SQL
dst <<SQL
CREATE TABLE items (${columns});
CREATE TABLE lat (${columns}, applied_at timestamptz NOT NULL DEFAULT clock_timestamp());
-- Waits until the sink's checkpoint reaches seq \`want\` (polling every 5 ms;
-- each statement of a volatile function sees the latest commits) and returns
-- when it saw it. NULL after \`timeout_s\`. (Not to_regclass: its negative
-- catalog cache entry would hide the table the sink creates meanwhile.)
CREATE FUNCTION bench_wait_seq(want bigint, timeout_s float8) RETURNS timestamptz
LANGUAGE plpgsql AS \$\$
DECLARE
  got bigint;
  deadline timestamptz := clock_timestamp() + make_interval(secs => timeout_s);
BEGIN
  LOOP
    IF EXISTS (SELECT 1 FROM pg_class WHERE relname = 'deltabridge_checkpoints'
               AND relnamespace = 'public'::regnamespace) THEN
      EXECUTE 'SELECT seq FROM deltabridge_checkpoints WHERE sink = ''bench'' AND bridge = ''bench'''
        INTO got;
      IF got >= want THEN RETURN clock_timestamp(); END IF;
    END IF;
    IF clock_timestamp() > deadline THEN RETURN NULL; END IF;
    PERFORM pg_sleep(0.005);
  END LOOP;
END \$\$;
SQL

bench_bridge_yaml "${work}/bridge-state" <<YAML
  - name: pg
    type: postgres
    dsn: "host=127.0.0.1 port=${src_port} dbname=source user=postgres"
    tables: [public.items, public.lat]
    snapshot: never
YAML
cat >"${work}/sink.yaml" <<YAML
sink:
  name: bench
  state_dir: ${work}/sink-state
subscribe:
  - bridge: bench
    publish: ipc://${work}/pub
    replay: ipc://${work}/replay
    topics: ["bench.pg."]
target:
  type: postgres
  dsn: "host=127.0.0.1 port=${dst_port} dbname=target user=postgres"
mappings:
  - from: bench.pg.public.items
    to: public.items
    key: [id]
    rules: {default: last_writer_wins}
  - from: bench.pg.public.lat
    to: public.lat
    key: [id]
    rules: {default: last_writer_wins}
YAML

perf_start() {
  [[ "${SINK_BENCH_PERF:-0}" == 1 ]] || return 0
  perf record -a -g -o "${work}/perf-$1.data" >"${work}/perf-$1.log" 2>&1 &
  perf_pid=$!
  sleep 0.5
}
perf_stop() {
  [[ -n "${perf_pid}" ]] || return 0
  kill -INT "${perf_pid}"
  wait "${perf_pid}" || true
  perf_pid=""
}

sink_starts=0
start_sink() {
  sink_starts=$((sink_starts + 1))
  PGOPTIONS="${SINK_BENCH_SINK_PGOPTIONS:-${PGOPTIONS:-}}" \
    "${bin}" sink "${work}/sink.yaml" 2>"${work}/sink${sink_starts}.log" &
  sink_pid=$!
}
stop_sink() {
  kill "${sink_pid}"
  wait "${sink_pid}" || { echo "the sink exited with $?:" >&2; tail -n 20 "${work}/sink${sink_starts}.log" >&2; exit 1; }
  sink_pid=""
}
# Waits until the bridge has journaled seq $1 (a replayed or live delta).
wait_journaled() {
  timeout 600 "${bin}" tail "ipc://${work}/pub" --replay "ipc://${work}/replay" --from "$1" \
    --count 1 >/dev/null || { echo "the bridge did not journal seq $1" >&2; exit 1; }
}
# Waits until the target's checkpoint reaches seq $1; prints the epoch seconds it saw it.
wait_applied() {
  local at
  at="$(dst -At -c "SELECT extract(epoch FROM bench_wait_seq($1, 900))")"
  [[ -n "${at}" ]] || { echo "the sink did not reach seq $1:" >&2; tail -n 20 "${work}/sink${sink_starts}.log" >&2; exit 1; }
  echo "${at}"
}
# The sink's own backend in the target (application_name 'deltabridge sink').
sink_backend() {
  dst -At -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'deltabridge sink' AND datname = 'target' ORDER BY backend_start DESC LIMIT 1"
}
# A fingerprint of a table's rows (same text on both sides: same server version and settings).
fingerprint() {
  "$1" -At -c "SELECT count(*) || ' ' || md5(string_agg(concat_ws('|', id, t, i, n, extract(epoch FROM ts)), ',' ORDER BY id)) FROM $2"
}
check_equal() {
  local a b
  a="$(fingerprint src "$1")" b="$(fingerprint dst "$1")"
  [[ "${a}" == "${b}" ]] || { echo "target differs from source for $1: ${a} vs ${b}" >&2; exit 1; }
}

# Times the sink's start until its checkpoint reaches seq WANT, for phase
# NAME (its perf file); sets PREFIX_s (the seconds), PREFIX_sink_cpu,
# PREFIX_sink_rss, PREFIX_be_cpu (the sink's backend), PREFIX_bridge_cpu and
# PREFIX_busy (cores of the whole machine busy meanwhile).
time_apply() {
  local name="$1" prefix="$2" want="$3" b0 br0 t0 t1 b1 br1 secs
  perf_start "${name}"
  b0="$(machine_busy_s)" br0="$(cpu_s "${bridge_pid}")"
  t0="$(now)"
  start_sink
  t1="$(wait_applied "${want}")"
  b1="$(machine_busy_s)" br1="$(cpu_s "${bridge_pid}")"
  perf_stop
  secs="$(calc "${t1} - ${t0}")"
  printf -v "${prefix}_s" '%s' "${secs}"
  printf -v "${prefix}_sink_cpu" '%s' "$(cpu_s "${sink_pid}")"
  printf -v "${prefix}_sink_rss" '%s' "$(peak_rss_mib "${sink_pid}")"
  printf -v "${prefix}_be_cpu" '%s' "$(cpu_s "$(sink_backend)")"
  printf -v "${prefix}_bridge_cpu" '%s' "$(calc "${br1} - ${br0}")"
  printf -v "${prefix}_busy" '%s' "$(calc "(${b1} - ${b0}) / ${secs}")"
}

# --- 1. inserts ------------------------------------------------------------
bench_start_bridge bridge.log "streaming from slot"

echo "inserting ${rows} rows in the source (${per_tx} per transaction) while the bridge runs"
{
  for ((lo = 1; lo <= rows; lo += per_tx)); do
    echo "INSERT INTO items SELECT g, 'customer ' || g || ' ' || md5(g::text), g % 1000, (g % 100000) / 7.0, '2026-01-01 00:00+00'::timestamptz + g * interval '1 s' FROM generate_series(${lo}, $((lo + per_tx - 1))) g;"
  done
} | src
wait_journaled "${rows}"
row_bytes="$(src -At -c "SELECT round(avg(pg_column_size(items.*))) FROM items")"

echo "sink: applying ${rows} journaled inserts"
time_apply inserts ins "${rows}"
check_equal items
ins_tables="$(dst -At -c "SELECT pg_size_pretty(pg_total_relation_size('items')) || ' + writers ' || pg_size_pretty(pg_total_relation_size('deltabridge_row_writers'))")"

echo "COPY: the same rows into an empty identical table, 3 times"
mkdir -p "${work}/copy"
chmod 777 "${work}/copy"
src -c "COPY items TO '${work}/copy/items.copy'"
copy_times=()
for k in 1 2 3; do
  dst -c "DROP TABLE IF EXISTS items_copy" -c "CREATE TABLE items_copy (${columns})"
  ms="$(dst -c '\timing on' -c "COPY items_copy FROM '${work}/copy/items.copy'" |
    awk '/^Time:/ { print $2 }')"
  copy_times+=("${ms}")
done
copy_ms="$(printf '%s\n' "${copy_times[@]}" | sort -g | sed -n 2p)"
copy_s="$(calc "${copy_ms} / 1000")"
# The floor of any sink that keeps each field's last writer: COPY of the same
# rows plus the writers records the sink wrote for them, in one transaction.
echo "COPY: the same rows plus their deltabridge_row_writers records, 3 times"
dst -c "COPY deltabridge_row_writers TO '${work}/copy/writers.copy'"
floor_times=()
for k in 1 2 3; do
  dst -c "DROP TABLE IF EXISTS items_copy, writers_copy" -c "CREATE TABLE items_copy (${columns})" \
    -c "CREATE TABLE writers_copy (LIKE deltabridge_row_writers INCLUDING ALL)" >/dev/null
  ms="$(dst -c '\timing on' -c "BEGIN" -c "COPY items_copy FROM '${work}/copy/items.copy'" \
    -c "COPY writers_copy FROM '${work}/copy/writers.copy'" -c "COMMIT" |
    awk '/^Time:/ { total += $2 } END { print total }')"
  floor_times+=("${ms}")
done
floor_ms="$(printf '%s\n' "${floor_times[@]}" | sort -g | sed -n 2p)"
floor_s="$(calc "${floor_ms} / 1000")"
dst -c "DROP TABLE items_copy, writers_copy"

# --- 2. updates under last_writer_wins --------------------------------------
stop_sink
echo "updating all ${rows} rows in the source (sink stopped)"
{
  for ((lo = 1; lo <= rows; lo += per_tx)); do
    echo "UPDATE items SET i = i + 1 WHERE id BETWEEN ${lo} AND $((lo + per_tx - 1));"
  done
} | src
wait_journaled $((2 * rows))

echo "sink: applying ${rows} journaled updates"
time_apply updates upd $((2 * rows))
check_equal items

# --- 3. latency at LAT_RATE changes/s ----------------------------------------
cat >"${work}/lat.sql" <<'SQL'
INSERT INTO lat (t, i, n, ts) VALUES ('customer ' || (random() * 1e6)::int || ' ' || md5(random()::text), (random() * 1000)::int, (random() * 10000)::numeric(10, 2), now());
SQL
echo "latency: pgbench at ${lat_rate} inserts/s for ${lat_secs} s (${clients} clients), bridge and sink live"
b0="$(machine_busy_s)" br0="$(cpu_s "${bridge_pid}")" sk0="$(cpu_s "${sink_pid}")"
be="$(sink_backend)" be0="$(cpu_s "$(sink_backend)")"
if [[ -x "${probe}" ]]; then
  "${probe}" "ipc://${work}/pub" bench.pg.public.lat "${work}/probe.tsv" 2>"${work}/probe.log" &
  probe_pid=$!
  sleep 1  # the subscription must be in place before the first delta
fi
pgbench -n -M prepared -f "${work}/lat.sql" -R "${lat_rate}" -T "${lat_secs}" -c "${clients}" \
  -j 2 -h 127.0.0.1 -p "${src_port}" -U postgres source >"${work}/pgbench.log" 2>&1 &
load_pid=$!
wait "${load_pid}" || { cat "${work}/pgbench.log" >&2; exit 1; }
load_pid=""
b1="$(machine_busy_s)" br1="$(cpu_s "${bridge_pid}")" sk1="$(cpu_s "${sink_pid}")"
be1="$(cpu_s "${be}")"
lat_busy="$(calc "(${b1} - ${b0}) / ${lat_secs}")"
lat_bridge_cpu="$(calc "(${br1} - ${br0}) / ${lat_secs}")"
lat_sink_cpu="$(calc "(${sk1} - ${sk0}) / ${lat_secs}")"
lat_be_cpu="$(calc "(${be1} - ${be0}) / ${lat_secs}")"
pgbench_tps="$(awk '/^tps = / { printf "%.0f", $3 }' "${work}/pgbench.log")"
lat_rows="$(src -At -c "SELECT count(*) FROM lat")"
wait_applied $((2 * rows + lat_rows)) >/dev/null
check_equal lat
split=""
if [[ -n "${probe_pid}" ]]; then
  kill "${probe_pid}"
  wait "${probe_pid}" || { cat "${work}/probe.log" >&2; exit 1; }
  probe_pid=""
  dst -c "CREATE TABLE bench_probe (key jsonb, src_commit timestamptz, arrived_us bigint)" \
    -c "\\copy bench_probe FROM '${work}/probe.tsv'"
  split="$(dst -At <<SQL
WITH l AS (
  SELECT p.src_commit, to_timestamp(p.arrived_us / 1e6) AS published,
         pg_xact_commit_timestamp(t.xmin) AS dst_commit
  FROM lat t JOIN bench_probe p ON (p.key ->> 'id')::bigint = t.id),
s AS (
  SELECT extract(epoch FROM published - src_commit) * 1000 AS bridge_ms,
         extract(epoch FROM dst_commit - published) * 1000 AS sink_ms
  FROM l WHERE src_commit >= (SELECT min(src_commit) FROM l) + make_interval(secs => ${skip}))
SELECT count(*),
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY bridge_ms)::numeric, 1),
       round(percentile_cont(0.99) WITHIN GROUP (ORDER BY bridge_ms)::numeric, 1),
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY sink_ms)::numeric, 1),
       round(percentile_cont(0.99) WITHIN GROUP (ORDER BY sink_ms)::numeric, 1)
FROM s
SQL
)"
fi
IFS='|' read -r lat_n lat_span lat_p50 lat_p99 lat_max app_p50 app_p99 commits < <(dst -At <<SQL
WITH l AS (
  SELECT (w.writers::jsonb -> 0 ->> 'at')::timestamptz AS src_commit,
         pg_xact_commit_timestamp(t.xmin) AS dst_commit, t.applied_at, t.xmin::text AS xid
  FROM lat t JOIN deltabridge_row_writers w
    ON w.target_table = 'public.lat' AND w.row_key = '[' || t.id || ']'),
s AS (
  SELECT extract(epoch FROM dst_commit - src_commit) * 1000 AS ms,
         extract(epoch FROM applied_at - src_commit) * 1000 AS app_ms, src_commit, xid
  FROM l WHERE src_commit >= (SELECT min(src_commit) FROM l) + make_interval(secs => ${skip}))
SELECT count(*), round(extract(epoch FROM max(src_commit) - min(src_commit))::numeric, 3),
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 1),
       round(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms)::numeric, 1),
       round(max(ms)::numeric, 1),
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY app_ms)::numeric, 1),
       round(percentile_cont(0.99) WITHIN GROUP (ORDER BY app_ms)::numeric, 1),
       count(DISTINCT xid)
FROM s
SQL
)
lat_rate_got="$(calc "${lat_n} / ${lat_span}")"

stop_sink
cpu_model="$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
printf '\n== PostgreSQL sink benchmark (%s, %s cores: %s; PostgreSQL %s; source and target clusters on this machine)\n' \
  "$(uname -m)" "$(nproc)" "${cpu_model}" "${pg_version}"
printf 'rows                     : %d (%s bytes each in the source; target %s)\n' "${rows}" "${row_bytes}" "${ins_tables}"
printf 'inserts, sink apply      : %.2f s (%.0f rows/s) from sink start, bridge already journaled\n' \
  "${ins_s}" "$(calc "${rows} / ${ins_s}")"
printf 'inserts, COPY FROM file  : %.2f s (%.0f rows/s), median of %s ms\n' \
  "${copy_s}" "$(calc "${rows} / ${copy_s}")" "${copy_times[*]}"
printf 'ratio sink/COPY (rate)   : %.2f (target >= 0.5)\n' "$(calc "${copy_s} / ${ins_s}")"
printf 'COPY rows + writers      : %.2f s (%.0f rows/s): the ceiling of a sink that records writers, %.2f of COPY\n' \
  "${floor_s}" "$(calc "${rows} / ${floor_s}")" "$(calc "${copy_s} / ${floor_s}")"
printf 'ratio sink/ceiling (rate): %.2f (the sink against COPY of its rows + writers records)\n' \
  "$(calc "${floor_s} / ${ins_s}")"
printf 'updates, last_writer_wins: %.2f s (%.0f rows/s; target >= 20000)\n' \
  "${upd_s}" "$(calc "${rows} / ${upd_s}")"
printf 'latency at %s/s for %d s: achieved %.0f rows/s (pgbench %s tps); %d rows after the first %d s in %d target transactions\n' \
  "${lat_rate}" "${lat_secs}" "${lat_rate_got}" "${pgbench_tps}" "${lat_n}" "${skip}" "${commits}"
printf '  source commit -> target commit: p50 %.1f ms, p99 %.1f ms (target <= 50), max %.1f ms\n' \
  "${lat_p50}" "${lat_p99}" "${lat_max}"
printf '  source commit -> row written  : p50 %.1f ms, p99 %.1f ms\n' "${app_p50}" "${app_p99}"
if [[ -n "${split}" ]]; then
  IFS='|' read -r sp_n sp_b50 sp_b99 sp_s50 sp_s99 <<<"${split}"
  printf '  source commit -> published    : p50 %.1f ms, p99 %.1f ms (the bridge; %d rows seen by a probe)\n' \
    "${sp_b50}" "${sp_b99}" "${sp_n}"
  printf '  published -> target commit    : p50 %.1f ms, p99 %.1f ms (the sink)\n' "${sp_s50}" "${sp_s99}"
fi
printf 'CPU seconds, inserts     : sink %.2f, its backend %.2f, bridge %.2f; machine busy %.2f of %d cores\n' \
  "${ins_sink_cpu}" "${ins_be_cpu}" "${ins_bridge_cpu}" "${ins_busy}" "$(nproc)"
printf 'CPU seconds, updates     : sink %.2f, its backend %.2f, bridge %.2f; machine busy %.2f of %d cores\n' \
  "${upd_sink_cpu}" "${upd_be_cpu}" "${upd_bridge_cpu}" "${upd_busy}" "$(nproc)"
printf 'sink peak RSS            : %s MiB applying the inserts, %s MiB the updates\n' \
  "${ins_sink_rss}" "${upd_sink_rss}"
printf 'CPU cores, latency phase : sink %.2f, its backend %.2f, bridge %.2f; machine busy %.2f of %d\n' \
  "${lat_sink_cpu}" "${lat_be_cpu}" "${lat_bridge_cpu}" "${lat_busy}" "$(nproc)"
