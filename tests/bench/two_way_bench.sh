#!/usr/bin/env bash
# Benchmark: a two-way pair (docs/two-way.md) under steady load on both sides.
#
#   bash tests/bench/two_way_bench.sh [RATE] [SECONDS]
#   (or TWO_WAY_RATE, TWO_WAY_SECONDS in the environment)
#
# One throwaway PostgreSQL 15 on 127.0.0.1 with two databases, a and b, each
# a node (bench.a, bench.b): one bridge captures both, and two sinks write
# each into the other (each with its target's node, following its own node
# too, as docs/two-way.md recommends). Table events (bigint key, side,
# payload, created_at DEFAULT clock_timestamp(), arrived_at set by a trigger
# when a row of the other side is written).
#
# 1. Load. pgbench inserts one row per transaction on each side at RATE/s
#    (default 2000) for SECONDS (default 30), both at once, while the bridge
#    and both sinks run. Printed: the rate achieved per side; the convergence
#    delay of each row (arrived_at on the other side minus created_at on its
#    own) p50, p99 and max; the time from the end of the load until both
#    sides hold the same rows; whether they do (an md5 of both tables); the
#    deltas the bridge published against the local changes made (1.00: no
#    echo) and what the bridge dropped and the sinks suppressed.
# 2. The cost of the tag. Two more sinks replay side a's rows from the
#    journal into two empty databases, one with a target node (so it writes
#    the tag in every transaction) and one without, alternately, 3 times
#    each: apply rate with and without the tag, medians, and their ratio.
#
# Environment: DELTABRIDGE_BIN (default build/deltabridge).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source scripts/lib/throwaway-pg.sh
source tests/bench/bench_lib.sh

rate="${1:-${TWO_WAY_RATE:-2000}}"
seconds="${2:-${TWO_WAY_SECONDS:-30}}"
bench_init deltabridge-two-way
sink_pids=()
cleanup() {
  local p
  for p in "${sink_pids[@]}"; do kill "${p}" 2>/dev/null && wait "${p}" 2>/dev/null; done
  [[ -n "${bridge_pid:-}" ]] && kill "${bridge_pid}" 2>/dev/null && wait "${bridge_pid}" 2>/dev/null
  pg_stop
  rm -rf "${work}"
}
trap cleanup EXIT

pg_start "${work}/pg" "max_connections = 100" "synchronous_commit = off"
for db in a b tagged untagged; do pg_psql postgres -c "CREATE DATABASE ${db}"; done
for side in a b tagged untagged; do
  other=b
  [[ "${side}" == b ]] && other=a
  pg_psql "${side}" <<SQL
CREATE TABLE events (
  id         bigint PRIMARY KEY,
  side       text NOT NULL,
  payload    text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  arrived_at timestamptz
);
CREATE SEQUENCE ids START $([[ "${side}" == b ]] && echo 1000000000 || echo 1);
CREATE FUNCTION mark_arrival() RETURNS trigger LANGUAGE plpgsql AS \$\$
BEGIN
  IF NEW.side <> '${side}' THEN NEW.arrived_at := clock_timestamp(); END IF;
  RETURN NEW;
END \$\$;
CREATE TRIGGER mark_arrival BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION mark_arrival();
SQL
done

dsn() { echo "host=127.0.0.1 port=${PG_PORT} dbname=$1 user=postgres"; }
bench_bridge_yaml "${work}/state" <<YAML
  - {name: a, type: postgres, dsn: "$(dsn a)", tables: [public.events]}
  - {name: b, type: postgres, dsn: "$(dsn b)", tables: [public.events]}
YAML

# sink NAME DB NODE FROM_TOPIC... : writes ${work}/NAME.yaml
sink_yaml() {
  local name="$1" db="$2" node="$3" topic
  shift 3
  {
    cat <<YAML
sink:
  name: ${name}
  state_dir: ${work}/${name}-state
subscribe:
  - bridge: bench
    publish: ipc://${work}/pub
    replay: ipc://${work}/replay
    topics: ["bench."]
target:
  type: postgres
  dsn: "$(dsn "${db}")"
YAML
    [[ -n "${node}" ]] && echo "  node: ${node}"
    echo "mappings:"
    for topic in "$@"; do
      echo "  - {from: ${topic}, to: public.events, key: [id], exclude: [arrived_at]}"
    done
  } >"${work}/${name}.yaml"
}
start_sink() {
  "${bin}" sink "${work}/$1.yaml" 2>"${work}/$1.log" &
  sink_pids+=($!)
  last_sink_pid=$!
}
stop_sink() {
  kill "$1"
  wait "$1" 2>/dev/null || true
}
count() { pg_psql "$1" -Atc "SELECT count(*) FROM events $2"; }

sink_yaml to-b b bench.b bench.a.public.events bench.b.public.events
sink_yaml to-a a bench.a bench.b.public.events bench.a.public.events
bench_start_bridge bridge.log "source b: streaming"
until grep -qs "source a: streaming" "${work}/bridge.log"; do sleep 0.1; done
start_sink to-b
start_sink to-a
sleep 1
for p in "${sink_pids[@]}"; do kill -0 "${p}" || { cat "${work}"/to-*.log; exit 1; }; done

echo "== 1. ${rate} changes/s on each side for ${seconds} s, both sides at once"
for side in a b; do
  echo "INSERT INTO events (id, side, payload) VALUES (nextval('ids'), '${side}', md5(random()::text));" \
    >"${work}/load-${side}.sql"
done
pgbench_side() {
  PGPASSWORD= pgbench -n -h 127.0.0.1 -p "${PG_PORT}" -U postgres -c 4 -j 2 -R "${rate}" \
    -T "${seconds}" -f "${work}/load-$1.sql" "$1" >"${work}/pgbench-$1.log" 2>&1
}
pgbench_side a &
load_a=$!
pgbench_side b &
load_b=$!
wait "${load_a}" "${load_b}"
load_end="$(now)"
local_a="$(count a "WHERE side = 'a'")"
local_b="$(count b "WHERE side = 'b'")"
total=$((local_a + local_b))
until [[ "$(count a "")" == "${total}" && "$(count b "")" == "${total}" ]]; do
  kill -0 "${bridge_pid}" || { cat "${work}/bridge.log"; exit 1; }
  for p in "${sink_pids[@]}"; do
    kill -0 "${p}" 2>/dev/null || { cat "${work}"/to-*.log; exit 1; }
  done
  sleep 0.05
done
converged_s="$(calc "$(now) - ${load_end}")"
same_sql="SELECT md5(string_agg(id || side || payload, ',' ORDER BY id)) FROM events"
if [[ "$(pg_psql a -Atc "${same_sql}")" == "$(pg_psql b -Atc "${same_sql}")" ]]; then
  same=identical
else
  same=DIFFERENT
fi
printf 'achieved: side a %.0f changes/s, side b %.0f changes/s (%d + %d rows)\n' \
  "$(calc "${local_a} / ${seconds}")" "$(calc "${local_b} / ${seconds}")" "${local_a}" "${local_b}"
for side in a b; do
  pg_psql "${side}" -Atc "SELECT format('delay into %s: p50 %s ms, p99 %s ms, max %s ms', '${side}',
      round((percentile_cont(0.5) WITHIN GROUP (ORDER BY d))::numeric, 1),
      round((percentile_cont(0.99) WITHIN GROUP (ORDER BY d))::numeric, 1),
      round(max(d)::numeric, 1))
    FROM (SELECT extract(epoch FROM arrived_at - created_at) * 1000 AS d
          FROM events WHERE arrived_at IS NOT NULL) x"
done
echo "converged ${converged_s} s after the load stopped; the two tables are ${same}"
published="$("${bin}" status "${work}/bridge.yaml" | grep -oE 'journal: seq [0-9]+\.\.[0-9]+' |
  head -1 | grep -oE '[0-9]+$' || echo "?")"
echo "deltas published: ${published} for ${total} local changes (echo factor $(calc "${published} / ${total}"))"
"${bin}" status "${work}/bridge.yaml" | grep -iE 'dropped|forwarded' || true
for s in to-a to-b; do
  "${bin}" status "${work}/${s}.yaml" | grep -iE 'suppressed|own' | sed "s/^/${s}: /" || true
done

echo "== 2. The cost of the tag: side a's ${local_a} rows replayed into an empty database"
sink_yaml tagged tagged bench.tagged bench.a.public.events
sink_yaml untagged untagged "" bench.a.public.events
declare -A rates
for round in 1 2 3; do
  for kind in tagged untagged; do
    pg_psql "${kind}" -qc "TRUNCATE events" \
      -c "DROP TABLE IF EXISTS deltabridge_checkpoints, deltabridge_row_writers, deltabridge_conflicts, deltabridge_origin"
    rm -rf "${work}/${kind}-state"
    t0="$(now)"
    start_sink "${kind}"
    until [[ "$(count "${kind}" "")" == "${local_a}" ]]; do
      kill -0 "${last_sink_pid}" 2>/dev/null || { cat "${work}/${kind}.log"; exit 1; }
      sleep 0.02
    done
    t1="$(now)"
    stop_sink "${last_sink_pid}"
    rates[${kind}]+="$(calc "${local_a} / (${t1} - ${t0})") "
  done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
tagged_rate="$(echo "${rates[tagged]}" | median)"
untagged_rate="$(echo "${rates[untagged]}" | median)"
printf 'apply with the tag: %.0f rows/s; without: %.0f rows/s; ratio %.3f (runs: tagged %s/ untagged %s)\n' \
  "${tagged_rate}" "${untagged_rate}" "$(calc "${tagged_rate} / ${untagged_rate}")" \
  "${rates[tagged]}" "${rates[untagged]}"
