#!/usr/bin/env bash
# Benchmark: the application gateway (docs/gateway.md) with 1,000 WebSocket
# subscribers on one gateway, and its push path.
#
#   cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDELTABRIDGE_BUILD_TESTS=ON
#   cmake --build build --target deltabridge sink_bench_probe hub_fanout_bench
#   bash tests/bench/gateway_bench.sh [CLIENTS] [RATE] [SECONDS]
#   (or GW_BENCH_CLIENTS, GW_BENCH_RATE, GW_BENCH_SECONDS in the environment)
#
# One throwaway PostgreSQL 15 on 127.0.0.1 (database app, table items: id
# int key, v int, note text; GW_BENCH_ROWS rows, default 10000), one
# `deltabridge run` capturing it, one `deltabridge gateway` on a free
# loopback port with entity `items` (every column; pushes back into the
# same table under last_writer_wins). The load: pgbench updating one random
# row per transaction (`UPDATE items SET v = v + 1 WHERE id = :id`;
# GW_BENCH_PER_TX rows per transaction instead, a range), 8 connections,
# at a fixed rate (-R), so the bridge publishes that many deltas a second.
# The clients: one Node.js process (tests/bench/gateway_bench_clients.mjs,
# the ws library) holding every WebSocket and recording each delta's
# latency: its receipt wall time minus its `ts`, the source commit time
# (same machine, same clock). Every figure of a phase is taken over
# SECONDS (default 15) after GW_BENCH_WARMUP seconds (default 3) of load.
# With tests/bench/sink_bench_probe built, each measurement also splits the
# latency: a second subscriber of the bridge records when each delta leaves
# it (source commit -> published; the rest is the gateway's and the
# client's). tests/bench/hub_fanout_bench measures the gateway's fan-out
# alone (no network), for comparing builds.
#
# 0. The pipeline alone: one all-rows subscriber at RATE (default 5000)
#    deltas/s: the latency and CPU of PostgreSQL, bridge and gateway with
#    no fan-out to speak of.
# 1. Memory. The gateway's RSS (VmRSS) with no client, then with CLIENTS
#    (default 1000) idle all-rows subscribers (`from=now&batch=1`): the
#    difference divided by CLIENTS is the memory of one connection.
# 2. All-rows subscribers, the ceiling. The same CLIENTS subscribers of
#    every row while the load steps through GW_BENCH_STEPS deltas/s
#    (default "25 50 100 200 400 800 1600 3200 5000"), stopping at the first rate
#    where p99 exceeds 100 ms or the gateway closed a client as slow; then
#    GW_BENCH_REFINE (default 2) halvings between the last rate that held
#    and that one. Each step: p50/p99/max, the messages delivered a second
#    (CLIENTS x rate: every client gets every delta), and the CPU (cores)
#    of the gateway, of the client process and of the whole machine. The
#    highest rate that held is the ceiling of CLIENTS all-rows clients.
# 3. Subsets at RATE (default 5000) deltas/s. GW_BENCH_ALL (default 10)
#    clients of every row, and CLIENTS - GW_BENCH_ALL clients each of its
#    own range of the keys (`where=id >= A AND id < B`, the ranges
#    splitting 1..ROWS; each takes the snapshot of its rows first): every
#    delta goes to GW_BENCH_ALL + 1 clients. With `batch=1`, then without.
# 4. Push. With no subscriber: a Node client (tests/bench/gateway_bench_push.mjs,
#    http.Agent with keep-alive) posts single-row updates
#    (`{"op":"update","key":{"id":K},"changes":{"v":{"new":N}}}`) to
#    `POST /sync/items`, GW_BENCH_PUSH_INFLIGHT (default 8) at once, for
#    GW_BENCH_PUSH_SECONDS (default 5): pushes/s and the answers' p50/p99.
#    Then `deltabridge push` (a sink file with the same target, node and
#    rules; the same pushing node) applies as many such lines read from
#    standard input, one after the other: lines/s. GW_BENCH_PUSH_ROUNDS
#    (default 3) rounds of both, alternating; printed: every round, the
#    medians and their ratio gateway/push command. Both apply each change
#    in a transaction of its own, through the same code (PushApplier).
#
# Also printed: the gateway's peak RSS (VmHWM) over phases 0 to 3, with
# CLIENTS connections open (target: at most 256 MiB; it counts the pages of
# the store's memory-mapped LMDB file the gateway touched, so its anonymous
# memory is printed too), and the fan-out targets (p99 at most 100 ms) met
# or, when not, the ceiling and what saturated.
#
# File descriptors: each client is one socket in the gateway and one in the
# Node process. The script raises its soft limit (ulimit -n, inherited by
# the gateway, the bridge and the clients) to min(hard limit, 65536) when
# below, and stops when that leaves fewer than CLIENTS + 1024.
#
# Environment:
#   DELTABRIDGE_BIN          the binary (default build/deltabridge)
#   GW_BENCH_ROWS            rows of items (10000)
#   GW_BENCH_PER_TX          rows updated per transaction (1)
#   GW_BENCH_WARMUP          seconds of load before each measurement (3)
#   GW_BENCH_STEPS           rates of phase 2 ("25 50 100 200 400 800 1600 3200 5000")
#   GW_BENCH_REFINE          halvings after the first rate that failed (2)
#   GW_BENCH_ALL             all-rows clients of phase 3 (10)
#   GW_BENCH_THREADS         worker threads of the client process (1)
#   GW_BENCH_PHASES          which phases run ("0 1 2 3 4")
#   GW_BENCH_PROBE           the probe (default: next to the binary,
#                            BUILD/tests/bench/sink_bench_probe; absent: no split)
#   GW_BENCH_PERF=1          `perf record -g` of the gateway in each measurement
#                            (perf-N.data in the work directory, which is kept)
#   GW_BENCH_PUSH_SECONDS    seconds of pushes through the gateway in a round (5)
#   GW_BENCH_PUSH_ROUNDS     rounds of phase 4 (3)
#   GW_BENCH_PUSH_INFLIGHT   pushes in flight at once (8)
#   GW_BENCH_KEEP=1          keep the work directory (logs) after the run
#
# Runs on a throwaway PostgreSQL cluster in a temporary directory; every
# server listens on 127.0.0.1 only. Not a test: the figures go into
# docs/benchmarks.md with the machine they came from.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source scripts/lib/throwaway-pg.sh
source tests/bench/bench_lib.sh

n_clients="${1:-${GW_BENCH_CLIENTS:-1000}}"
rate="${2:-${GW_BENCH_RATE:-5000}}"
secs="${3:-${GW_BENCH_SECONDS:-15}}"
rows="${GW_BENCH_ROWS:-10000}"
per_tx="${GW_BENCH_PER_TX:-1}"
warm="${GW_BENCH_WARMUP:-3}"
steps="${GW_BENCH_STEPS:-25 50 100 200 400 800 1600 3200 5000}"
refine="${GW_BENCH_REFINE:-2}"
n_all="${GW_BENCH_ALL:-10}"
threads="${GW_BENCH_THREADS:-1}"
phases="${GW_BENCH_PHASES:-0 1 2 3 4}"
push_secs="${GW_BENCH_PUSH_SECONDS:-5}"
push_rounds="${GW_BENCH_PUSH_ROUNDS:-3}"
push_inflight="${GW_BENCH_PUSH_INFLIGHT:-8}"
p99_target_ms=100
rss_target_mib=256
for tool in pgbench node; do
  command -v "${tool}" >/dev/null || { echo "${tool} not found (scripts/packages.txt)" >&2; exit 1; }
done
((n_all < n_clients)) || { echo "GW_BENCH_ALL must be below CLIENTS" >&2; exit 2; }
((rows >= n_clients)) || { echo "GW_BENCH_ROWS must be at least CLIENTS" >&2; exit 2; }

# File descriptors: a socket per client in the gateway and in the client.
fd_before="$(ulimit -n)"
if [[ "${fd_before}" != unlimited ]] && ((fd_before < 65536)); then
  fd_hard="$(ulimit -Hn)"
  if [[ "${fd_hard}" == unlimited ]] || ((fd_hard > 65536)); then fd_hard=65536; fi
  ((fd_hard > fd_before)) && ulimit -n "${fd_hard}"
fi
fd_now="$(ulimit -n)"
if [[ "${fd_now}" != unlimited ]] && ((fd_now < n_clients + 1024)); then
  echo "ulimit -n is ${fd_now} (hard $(ulimit -Hn)): ${n_clients} clients need at least $((n_clients + 1024))" >&2
  exit 1
fi

bench_init deltabridge-gateway-bench
bridge_pid="" gw_pid="" clients_pid="" load_pid="" perf_pid="" probe_pid="" sampler_pid=""
cleanup() {
  local rc=$?
  set +e
  [[ -n "${perf_pid}" ]] && kill -INT "${perf_pid}" 2>/dev/null && wait "${perf_pid}" 2>/dev/null
  [[ -n "${probe_pid}" ]] && kill "${probe_pid}" 2>/dev/null && wait "${probe_pid}" 2>/dev/null
  [[ -n "${load_pid}" ]] && kill "${load_pid}" 2>/dev/null && wait "${load_pid}" 2>/dev/null
  [[ -n "${clients_pid}" ]] && kill "${clients_pid}" 2>/dev/null && wait "${clients_pid}" 2>/dev/null
  [[ -n "${sampler_pid}" ]] && kill "${sampler_pid}" 2>/dev/null && wait "${sampler_pid}" 2>/dev/null
  [[ -n "${gw_pid}" ]] && kill "${gw_pid}" 2>/dev/null && wait "${gw_pid}" 2>/dev/null
  [[ -n "${bridge_pid}" ]] && kill "${bridge_pid}" 2>/dev/null && wait "${bridge_pid}" 2>/dev/null
  pg_stop
  if [[ "${GW_BENCH_KEEP:-0}" == 1 || "${GW_BENCH_PERF:-0}" == 1 ]]; then
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
# Whole-machine busy CPU seconds so far (all cores, every process).
machine_busy_s() {
  awk -v hz="$(getconf CLK_TCK)" '/^cpu / { print ($2 + $3 + $4 + $7 + $8) / hz }' /proc/stat
}
# CPU seconds so far of the cluster's processes (the postmaster and its children).
pg_cpu_s() {
  local pm p total=0
  pm="$(head -1 "${PG_DIR}/data/postmaster.pid")"
  for p in "${pm}" $(pgrep -P "${pm}"); do total="$(calc "${total} + $(cpu_s "${p}")")"; done
  echo "${total}"
}
rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
# Anonymous resident memory (the heap; VmRSS also counts the store's mapped file pages).
anon_kib() { awk '/^RssAnon/ { print $2 }' "/proc/$1/status"; }
mib() { calc "$1 / 1024"; }
# A number member of a one-line JSON object: json_num LINE NAME ("null" when absent).
json_num() {
  local v
  v="$(grep -oE "\"$2\":(-?[0-9.e+]+|null)" <<<"$1" | head -1 | cut -d: -f2)"
  echo "${v:-null}"
}

# --- PostgreSQL, the bridge, the gateway ------------------------------------
pg_start "${work}/pg" "max_wal_size = 4GB" "checkpoint_timeout = 30min" "max_connections = 100"
pg_psql postgres -c "CREATE DATABASE app"
pg_version="$(pg_psql app -At -c "SELECT current_setting('server_version')")"
pg_psql app -c "CREATE TABLE items (id int PRIMARY KEY, v int NOT NULL, note text NOT NULL)"
dsn="host=127.0.0.1 port=${PG_PORT} dbname=app user=postgres"

bench_bridge_yaml "${work}/bridge-state" <<YAML
  - {name: app, type: postgres, dsn: "${dsn}", tables: [public.items], snapshot: never}
YAML
bench_start_bridge bridge.log "streaming from slot"
pg_psql app -c "INSERT INTO items SELECT g, 0, 'item ' || g || ' ' || md5(g::text) FROM generate_series(1, ${rows}) g"

gw_port="$(_pg_free_port)"
cat >"${work}/gateway.yaml" <<YAML
gateway:
  name: app
  listen: 127.0.0.1:${gw_port}
  state_dir: ${work}/gateway-state
  tokens_file: ${work}/app.tokens
  limits:
    max_connections: $((n_clients * 2 + 100))
subscribe:
  - bridge: bench
    publish: ipc://${work}/pub
    replay: ipc://${work}/replay
entities:
  - name: items
    from: [bench.app.public.items]
    push:
      target: {type: postgres, dsn: "${dsn}", node: bench.app}
      to: public.items
      key: [id]
      rules: {default: last_writer_wins}
YAML
# The same target, table, rules and pushing node for `deltabridge push`.
cat >"${work}/push-sink.yaml" <<YAML
sink:
  name: pushbench
  state_dir: ${work}/push-sink-state
subscribe:
  - bridge: bench
    publish: ipc://${work}/pub
    replay: ipc://${work}/replay
    topics: ["bench.app."]
target:
  type: postgres
  dsn: "${dsn}"
  node: bench.app
mappings:
  - from: bench.app.public.items
    to: public.items
    key: [id]
    rules: {default: last_writer_wins}
YAML
token_args=(--max-connections $((n_clients * 2)) --requests-per-minute 0)
read_token="$("${bin}" token "${work}/gateway.yaml" reader --read items "${token_args[@]}" 2>/dev/null)"
push_token="$("${bin}" token "${work}/gateway.yaml" pusher --push items "${token_args[@]}" 2>/dev/null)"

"${bin}" gateway "${work}/gateway.yaml" 2>"${work}/gateway.log" &
gw_pid=$!
until grep -qs "listening on" "${work}/gateway.log"; do
  kill -0 "${gw_pid}" 2>/dev/null || { cat "${work}/gateway.log" >&2; exit 1; }
  sleep 0.1
done
# Samples the gateway's anonymous and file-backed resident memory (KiB) every
# half second into ${work}/rss.samples, for their peaks (VmHWM has only the sum).
( while [[ -r "/proc/${gw_pid}/status" ]]; do
    awk '/^RssAnon/ { a = $2 } /^RssFile/ { f = $2 } END { if (a != "") print a, f }' \
      "/proc/${gw_pid}/status" 2>/dev/null
    sleep 0.5
  done >"${work}/rss.samples" ) &
sampler_pid=$!
# The seq the gateway has applied (its status file, written about once a second).
gw_applied() {
  local v
  v="$(grep -oE '"applied": *[0-9]+' "${work}/gateway-state/status.json" 2>/dev/null | head -1 |
    grep -oE '[0-9]+$')"
  echo "${v:-0}"
}
deadline=$((SECONDS + 120))
until (($(gw_applied) >= rows)); do
  kill -0 "${gw_pid}" 2>/dev/null || { cat "${work}/gateway.log" >&2; exit 1; }
  ((SECONDS < deadline)) || { echo "the gateway did not apply seq ${rows} in 120 s" >&2; exit 1; }
  sleep 0.2
done

# --- the load and the clients -------------------------------------------------
if ((per_tx == 1)); then
  printf '\\set id random(1, %d)\nUPDATE items SET v = v + 1 WHERE id = :id;\n' "${rows}" \
    >"${work}/load.sql"
else
  printf '\\set id random(1, %d)\nUPDATE items SET v = v + 1 WHERE id >= :id AND id < :id + %d;\n' \
    "$((rows - per_tx + 1))" "${per_tx}" >"${work}/load.sql"
fi
# start_load RATE SECONDS: pgbench in the background (pid in load_pid).
start_load() {
  local tps
  tps="$(calc "$1 / ${per_tx}")"
  pgbench -n -M prepared -f "${work}/load.sql" -R "${tps}" -T "$2" -c 8 -j 2 \
    -h 127.0.0.1 -p "${PG_PORT}" -U postgres app >"${work}/pgbench.log" 2>&1 &
  load_pid=$!
}
# Ends the load (it runs a few seconds longer than needed, so that it never
# ends inside a measurement).
stop_load() {
  kill -INT "${load_pid}" 2>/dev/null || true
  wait "${load_pid}" || true
  load_pid=""
  if grep -qE 'ERROR|FATAL|aborted' "${work}/pgbench.log"; then
    cat "${work}/pgbench.log" >&2
    exit 1
  fi
}

# The probe (tests/bench/sink_bench_probe, when built): when each delta leaves
# the bridge, for the bridge's share of the latency.
probe="${GW_BENCH_PROBE:-$(dirname "${bin}")/tests/bench/sink_bench_probe}"
probe_run=0
probe_start() {
  [[ -x "${probe}" ]] || return 0
  probe_run=$((probe_run + 1))
  "${probe}" "ipc://${work}/pub" bench.app.public.items "${work}/probe-${probe_run}.tsv" \
    2>"${work}/probe-${probe_run}.log" &
  probe_pid=$!
}
# probe_split T0 T1: "count|p50|p99" (ms) of the deltas committed between T0 and T1.
probe_split() {
  [[ -n "${probe_pid}" ]] || return 0
  kill "${probe_pid}"
  wait "${probe_pid}" || true
  probe_pid=""
  pg_psql postgres -At <<SQL
SET client_min_messages = warning;
CREATE TABLE IF NOT EXISTS bench_probe (key jsonb, src_commit timestamptz, arrived_us bigint);
TRUNCATE bench_probe;
\\copy bench_probe FROM '${work}/probe-${probe_run}.tsv'
SELECT count(*) || '|' ||
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 1) || '|' ||
       round(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms)::numeric, 1)
FROM (SELECT arrived_us / 1000.0 - extract(epoch FROM src_commit) * 1000 AS ms FROM bench_probe
      WHERE src_commit BETWEEN to_timestamp($1) AND to_timestamp($2)) x;
SQL
}

perf_run=0
perf_start() {
  [[ "${GW_BENCH_PERF:-0}" == 1 ]] || return 0
  perf_run=$((perf_run + 1))
  perf record -g -p "${gw_pid}" -o "${work}/perf-${perf_run}.data" >"${work}/perf-${perf_run}.log" 2>&1 &
  perf_pid=$!
}
perf_stop() {
  [[ -n "${perf_pid}" ]] || return 0
  kill -INT "${perf_pid}"
  wait "${perf_pid}" || true
  perf_pid=""
}

clients_run=0
# start_clients ALL SUBSET BATCH: the client process; waits until every client is up to date.
start_clients() {
  clients_run=$((clients_run + 1))
  local out="${work}/clients${clients_run}.out"
  rm -f "${work}/clients.in"
  mkfifo "${work}/clients.in"
  node tests/bench/gateway_bench_clients.mjs --url "ws://127.0.0.1:${gw_port}/sync/items" \
    --token "${read_token}" --all "$1" --subset "$2" --rows "${rows}" --batch "$3" \
    --threads "${threads}" <"${work}/clients.in" >"${out}" 2>"${work}/clients${clients_run}.err" &
  clients_pid=$!
  exec 3>"${work}/clients.in"
  clients_out="${out}"
  until [[ -s "${out}" ]]; do
    kill -0 "${clients_pid}" 2>/dev/null || { cat "${work}/clients${clients_run}.err" >&2; exit 1; }
    sleep 0.1
  done
  clients_ready="$(head -1 "${out}")"
  [[ "$(json_num "${clients_ready}" ready)" == "$(($1 + $2))" ]] ||
    { echo "not every client connected: ${clients_ready}" >&2; exit 1; }
}
# client_ask COMMAND: sends it; prints the answer line.
client_ask() {
  local n
  n="$(wc -l <"${clients_out}")"
  echo "$1" >&3
  until (($(wc -l <"${clients_out}") > n)); do
    kill -0 "${clients_pid}" 2>/dev/null || { cat "${work}/clients${clients_run}.err" >&2; exit 1; }
    sleep 0.05
  done
  sed -n "$((n + 1))p" "${clients_out}"
}
stop_clients() {
  echo quit >&3
  exec 3>&-
  wait "${clients_pid}" || true
  clients_pid=""
}

# measure LABEL RATE: load at RATE for warm + secs, the clients' figures over
# secs; sets m_line (the clients' answer) and m_* figures, and prints one line.
measure() {
  local label="$1" r="$2" g0 g1 c0 c1 b0 b1 s0 s1 t0 t1 br0 br1 pg0 pg1 l0 l1 p0 p1 wall split
  probe_start
  start_load "${r}" $((warm + secs + 30))
  sleep "${warm}"
  client_ask "start ${label}" >/dev/null
  g0="$(cpu_s "${gw_pid}")" c0="$(cpu_s "${clients_pid}")" br0="$(cpu_s "${bridge_pid}")"
  pg0="$(pg_cpu_s)" l0="$(cpu_s "${load_pid}")" b0="$(machine_busy_s)" s0="$(gw_applied)"
  p0="$(cpu_s "${probe_pid:-0}")" t0="$(now)"
  perf_start
  sleep "${secs}"
  perf_stop
  m_line="$(client_ask stop)"
  g1="$(cpu_s "${gw_pid}")" c1="$(cpu_s "${clients_pid}")" br1="$(cpu_s "${bridge_pid}")"
  pg1="$(pg_cpu_s)" l1="$(cpu_s "${load_pid}")" b1="$(machine_busy_s)" s1="$(gw_applied)"
  p1="$(cpu_s "${probe_pid:-0}")" t1="$(now)"
  stop_load
  split="$(probe_split "${t0}" "${t1}")"
  wall="$(calc "${t1} - ${t0}")"
  m_gw_cpu="$(calc "(${g1} - ${g0}) / ${wall}")"
  m_client_cpu="$(calc "(${c1} - ${c0}) / ${wall}")"
  m_bridge_cpu="$(calc "(${br1} - ${br0}) / ${wall}")"
  m_pg_cpu="$(calc "(${pg1} - ${pg0} + ${l1} - ${l0}) / ${wall}")"
  m_busy="$(calc "(${b1} - ${b0}) / ${wall}")"
  # Whatever else ran meanwhile (other users of the machine): the busy time
  # none of the bench's processes accounts for.
  m_probe_cpu="$(calc "(${p1} - ${p0}) / ${wall}")"
  m_other="$(calc "${m_busy} - ${m_gw_cpu} - ${m_client_cpu} - ${m_bridge_cpu} - ${m_pg_cpu} - ${m_probe_cpu}")"
  m_published="$(calc "(${s1} - ${s0}) / ${wall}")"
  m_p50="$(json_num "${m_line}" p50_ms)" m_p99="$(json_num "${m_line}" p99_ms)"
  m_max="$(json_num "${m_line}" max_ms)" m_closes="$(json_num "${m_line}" closes)"
  m_deltas="$(json_num "${m_line}" deltas)"
  m_msgs="$(calc "${m_deltas} / $(json_num "${m_line}" wall_s)")"
  m_ok=1
  if [[ "${m_p99}" == null ]] || awk "BEGIN { exit !(${m_p99} > ${p99_target_ms}) }" ||
     ((m_closes > 0)); then
    m_ok=0
  fi
  m_gw_us="$(calc "(${m_msgs} > 0 ? ${m_gw_cpu} * 1e6 / ${m_msgs} : 0)")"
  m_client_us="$(calc "(${m_msgs} > 0 ? ${m_client_cpu} * 1e6 / ${m_msgs} : 0)")"
  printf '  %-20s published %.0f deltas/s, delivered %.0f messages/s; latency p50 %s ms, p99 %s ms, max %s ms; %d closed as slow%s\n' \
    "${label}:" "${m_published}" "${m_msgs}" "${m_p50}" "${m_p99}" "${m_max}" "${m_closes}" \
    "$([[ ${m_ok} == 1 ]] || echo '  (over target)')"
  if [[ -n "${split}" ]]; then
    IFS='|' read -r sp_n sp_p50 sp_p99 <<<"${split}"
    printf '  %-20s source commit -> published by the bridge: p50 %s ms, p99 %s ms (%s deltas seen by a probe); the rest is the gateway and the client\n' \
      "" "${sp_p50}" "${sp_p99}" "${sp_n}"
  fi
  printf '  %-20s CPU (cores): gateway %.2f (%.1f us/message), clients %.2f (%.1f us/message), bridge %.2f, postgres+pgbench %.2f, probe %.2f, other processes %.2f; machine %.2f of %d\n' \
    "" "${m_gw_cpu}" "${m_gw_us}" "${m_client_cpu}" "${m_client_us}" "${m_bridge_cpu}" \
    "${m_pg_cpu}" "${m_probe_cpu}" "${m_other}" "${m_busy}" "$(nproc)"
  # What held the rate back: a process near a whole core (the gateway fans
  # out on one network thread; the client runs GW_BENCH_THREADS event
  # loops), or the machine.
  if awk "BEGIN { exit !(${m_gw_cpu} >= 0.85) }"; then
    m_limit="the gateway's network thread (one core)"
  elif awk "BEGIN { exit !(${m_client_cpu} >= 0.85 * ${threads}) }"; then
    m_limit="the client process (${threads} event loop(s))"
  elif awk "BEGIN { exit !(${m_busy} >= 0.9 * $(nproc) && ${m_other} >= 0.3) }"; then
    m_limit="the machine, $(printf '%.2f' "${m_other}") cores of it taken by other processes"
  elif awk "BEGIN { exit !(${m_busy} >= 0.9 * $(nproc)) }"; then
    m_limit="the machine's $(nproc) cores (gateway, clients, bridge and PostgreSQL together)"
  else
    m_limit="none saturated (latency: the path's own delays)"
  fi
}

cpu_model="$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
printf '== gateway benchmark (%s, %s cores: %s; PostgreSQL %s; Node %s; every process on this machine)\n' \
  "$(uname -m)" "$(nproc)" "${cpu_model}" "${pg_version}" "$(node --version)"
printf 'file descriptors: ulimit -n %s (was %s; hard %s), inherited by the gateway and the clients\n' \
  "${fd_now}" "${fd_before}" "$(ulimit -Hn)"
printf 'load: pgbench, %d row(s) per transaction, 8 connections, fixed rate; %d rows in items\n' \
  "${per_tx}" "${rows}"

if [[ " ${phases} " == *" 0 "* ]]; then
  echo "== 0. the pipeline alone: one all-rows subscriber at ${rate} deltas/s"
  start_clients 1 0 1
  measure "1 client" "${rate}"
  stop_clients
fi

rss_none="" rss_idle="" ceiling="" ceiling_fail="" fail_limit=""
sub_summary=()
if [[ " ${phases} " == *" 1 "* || " ${phases} " == *" 2 "* ]]; then
  rss_none="$(rss_kib "${gw_pid}")" anon_none="$(anon_kib "${gw_pid}")"
  start_clients "${n_clients}" 0 1
  sleep 2
  rss_idle="$(rss_kib "${gw_pid}")" anon_idle="$(anon_kib "${gw_pid}")"
  echo "== 1. memory: gateway RSS $(printf '%.1f' "$(mib "${rss_none}")") MiB with no client, $(printf '%.1f' "$(mib "${rss_idle}")") MiB with ${n_clients} idle subscribers (connected in $(json_num "${clients_ready}" connect_s) s): $(printf '%.1f' "$(calc "(${rss_idle} - ${rss_none}) / ${n_clients}")") KiB per connection (anonymous memory: $(printf '%.1f' "$(mib "${anon_none}")") -> $(printf '%.1f' "$(mib "${anon_idle}")") MiB, $(printf '%.1f' "$(calc "(${anon_idle} - ${anon_none}) / ${n_clients}")") KiB per connection)"
  if [[ " ${phases} " == *" 2 "* ]]; then
    echo "== 2. ${n_clients} all-rows subscribers (batch=1), stepping the rate (target p99 <= ${p99_target_ms} ms, no client closed as slow)"
    pass=0
    for r in ${steps}; do
      measure "all-rows @${r}/s" "${r}"
      if ((m_ok == 1)); then
        pass="${r}"
      else
        ceiling_fail="${r}" fail_limit="${m_limit}"
        break
      fi
    done
    if [[ -n "${ceiling_fail}" ]]; then
      lo="${pass}" hi="${ceiling_fail}"
      for ((k = 0; k < refine; k++)); do
        mid=$(((lo + hi) / 2))
        ((mid > lo && mid < hi)) || break
        # A failed step may have left clients reconnected from=now; settle first.
        sleep 2
        measure "all-rows @${mid}/s" "${mid}"
        if ((m_ok == 1)); then lo="${mid}"; else hi="${mid}" fail_limit="${m_limit}"; fi
      done
      pass="${lo}" ceiling_fail="${hi}"
    fi
    ceiling="${pass}"
  fi
  stop_clients
fi

if [[ " ${phases} " == *" 3 "* ]]; then
  n_subset=$((n_clients - n_all))
  echo "== 3. ${n_all} all-rows + ${n_subset} subset subscribers (each a range of about $((rows / n_subset)) keys) at ${rate} deltas/s"
  for batch in 1 0; do
    start_clients "${n_all}" "${n_subset}" "${batch}"
    measure "subsets, batch=${batch}" "${rate}"
    sub_summary+=("$(printf 'subsets at %s deltas/s, batch=%s: p50 %s ms, p99 %s ms (target <= %d ms: %s); gateway %.2f cores, clients %.2f; limit: %s' \
      "${rate}" "${batch}" "${m_p50}" "${m_p99}" "${p99_target_ms}" \
      "$([[ ${m_ok} == 1 ]] && echo met || echo NOT met)" "${m_gw_cpu}" "${m_client_cpu}" "${m_limit}")")
    stop_clients
  done
fi
gw_hwm="$(peak_rss_kib "${gw_pid}")"
read -r gw_anon_peak gw_file_peak < <(awk '$1 > a { a = $1 } $2 > f { f = $2 } END { print a + 0, f + 0 }' \
  "${work}/rss.samples")

push_rate="" push_p99="" push_cmd_rate=""
if [[ " ${phases} " == *" 4 "* ]]; then
  echo "== 4. push: ${push_inflight} in flight for ${push_secs} s, then deltabridge push with as many lines; ${push_rounds} rounds, alternating"
  n_lines=0
  gw_rates=() gw_p99s=() cmd_rates=()
  for ((round = 1; round <= push_rounds; round++)); do
    g0="$(cpu_s "${gw_pid}")" t0="$(now)"
    push_line="$(node tests/bench/gateway_bench_push.mjs --url "http://127.0.0.1:${gw_port}/sync/items" \
      --token "${push_token}" --rows "${rows}" --seconds "${push_secs}" \
      --inflight "${push_inflight}" --start $((round * 10000000)))" ||
      { echo "pushes failed: ${push_line}" >&2; exit 1; }
    g1="$(cpu_s "${gw_pid}")" t1="$(now)"
    push_gw_cpu="$(calc "(${g1} - ${g0}) / (${t1} - ${t0})")"
    pushes="$(json_num "${push_line}" pushes)"
    # The same count of the same kind of line, new values (none is a no-op).
    n_lines=$((pushes > 1000 ? pushes : 1000))
    awk -v n="${n_lines}" -v rows="${rows}" -v base=$((round * 10000000 + 5000000)) 'BEGIN {
      for (k = 0; k < n; k++)
        printf "{\"op\":\"update\",\"key\":{\"id\":%d},\"changes\":{\"v\":{\"new\":%d}}}\n", 1 + k % rows, base + k
    }' >"${work}/push.lines"
    t0="$(now)"
    "${bin}" push "${work}/push-sink.yaml" --mapping public.items --node app.items \
      <"${work}/push.lines" >"${work}/push.out" 2>"${work}/push.err" ||
      { tail -5 "${work}/push.err" >&2; exit 1; }
    t1="$(now)"
    applied="$(grep -c '"result":"applied"' "${work}/push.out" || true)"
    ((applied == n_lines)) || { echo "deltabridge push applied ${applied} of ${n_lines}" >&2; exit 1; }
    push_cmd_s="$(calc "${t1} - ${t0}")"
    cmd_rate="$(calc "${n_lines} / ${push_cmd_s}")"
    gw_rates+=("$(json_num "${push_line}" rate)") gw_p99s+=("$(json_num "${push_line}" p99_ms)")
    cmd_rates+=("${cmd_rate}")
    printf '  round %d: gateway POST %d in %s s: %s/s, answer p50 %s ms, p99 %s ms, max %s ms (%s keep-alive sockets; gateway CPU %.2f); deltabridge push %d lines in %.2f s: %.0f/s (its start included)\n' \
      "${round}" "${pushes}" "$(json_num "${push_line}" seconds)" "$(json_num "${push_line}" rate)" \
      "$(json_num "${push_line}" p50_ms)" "$(json_num "${push_line}" p99_ms)" \
      "$(json_num "${push_line}" max_ms)" "$(json_num "${push_line}" sockets)" "${push_gw_cpu}" \
      "${n_lines}" "${push_cmd_s}" "${cmd_rate}"
  done
  median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
  push_rate="$(median "${gw_rates[@]}")" push_p99="$(median "${gw_p99s[@]}")"
  push_cmd_rate="$(median "${cmd_rates[@]}")"
  printf '  medians: gateway %.0f pushes/s (p99 %s ms), deltabridge push %.0f lines/s: ratio %.2f\n' \
    "${push_rate}" "${push_p99}" "${push_cmd_rate}" "$(calc "${push_rate} / ${push_cmd_rate}")"
fi

echo "== summary"
if [[ -n "${rss_idle}" ]]; then
  printf 'gateway RSS: %.1f MiB idle with %d connections (%.1f KiB each); peak (VmHWM) %.1f MiB over phases 0-3 (sampled peaks: anonymous %.1f MiB, pages of the mapped store file %.1f MiB) (target <= %d MiB: %s)\n' \
    "$(mib "${rss_idle}")" "${n_clients}" "$(calc "(${rss_idle} - ${rss_none}) / ${n_clients}")" \
    "$(mib "${gw_hwm}")" "$(mib "${gw_anon_peak}")" "$(mib "${gw_file_peak}")" "${rss_target_mib}" \
    "$(awk "BEGIN { print ($(mib "${gw_hwm}") <= ${rss_target_mib}) ? \"met\" : \"NOT met\" }")"
fi
if [[ -n "${ceiling}" ]]; then
  if [[ -n "${ceiling_fail}" ]]; then
    printf 'ceiling, %d all-rows clients (batch=1): %s deltas/s (%s messages/s) keep p99 <= %d ms; %s deltas/s did not (limit there: %s)\n' \
      "${n_clients}" "${ceiling}" "$((ceiling * n_clients))" "${p99_target_ms}" "${ceiling_fail}" \
      "${fail_limit}"
  else
    printf 'ceiling, %d all-rows clients (batch=1): every step held, up to %s deltas/s\n' \
      "${n_clients}" "${ceiling}"
  fi
fi
for line in "${sub_summary[@]}"; do echo "${line}"; done
if [[ -n "${push_rate}" ]]; then
  printf 'push: %.0f/s through the gateway (p99 %s ms, %d in flight) against %.0f/s through deltabridge push: ratio %.2f (medians of %d rounds)\n' \
    "${push_rate}" "${push_p99}" "${push_inflight}" "${push_cmd_rate}" \
    "$(calc "${push_rate} / ${push_cmd_rate}")" "${push_rounds}"
fi
