#!/usr/bin/env bash
# Benchmark: drain a backlog of PostgreSQL changes.
#
#   bash tests/bench/pg_drain_bench.sh [CHANGES] [BIG_TX_ROWS]
#
# 1. A backlog of CHANGES row changes (default 300000: a third inserts, a
#    third updates, a third deletes, in transactions of 1000 rows) waits in
#    two logical slots. pg_recvlogical drains one (raw pgoutput to /dev/null:
#    the source's own limit); deltabridge drains the other, journaling every
#    delta, while one subscriber (`deltabridge tail` with replay) reads every
#    delta. Printed: both times, their ratio (target <= 1.25) and the
#    bridge's peak RSS (target <= 64 MiB).
# 2. One transaction of BIG_TX_ROWS rows (default 1000000) goes through the
#    bridge; printed: time and the bridge's peak RSS (target <= 64 MiB).
#
# Runs on a throwaway PostgreSQL in a temporary directory. Not a test: it
# asserts nothing; the figures go into docs/benchmarks.md with the machine they came from.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source scripts/lib/throwaway-pg.sh
source tests/bench/bench_lib.sh

changes="${1:-300000}"
big_rows="${2:-1000000}"
per_tx=1000
bench_init deltabridge-bench
bridge_pid=""
cleanup() {
  local rc=$?
  # Not under set -e: a failed kill or wait must not skip the rest.
  set +e
  [[ -n "${bridge_pid}" ]] && kill "${bridge_pid}" 2>/dev/null && wait "${bridge_pid}" 2>/dev/null
  pg_stop
  rm -rf "${work}"
  exit "${rc}"
}
trap cleanup EXIT

pg_start "${work}/pg" "max_wal_size = 4GB" "checkpoint_timeout = 30min"
pg_psql postgres -c "CREATE DATABASE bench"
pg_psql bench <<'SQL'
CREATE TABLE items (id int PRIMARY KEY, qty int NOT NULL, note text, changed timestamptz);
CREATE PUBLICATION bench_pub FOR TABLE items;
SELECT pg_create_logical_replication_slot('recv_slot', 'pgoutput');
SQL

bench_bridge_yaml "${work}/state" <<YAML
  - name: pg
    type: postgres
    dsn: "host=127.0.0.1 port=${PG_PORT} dbname=bench user=postgres"
    slot: bridge_slot
    publication: bench_pub
    tables: [public.items]
    snapshot: never
YAML

# Create the bridge's slot (snapshot: never), then stop it: the backlog waits.
bench_start_bridge bridge0.log "streaming from slot"
bench_stop_bridge

third=$((changes / 3))
echo "generating ${changes} changes (${third} inserts, updates, deletes; ${per_tx} rows per transaction)"
bench_backlog_sql "${third}" "${per_tx}" \
  "SELECT g, g % 97, md5(g::text), now() FROM generate_series(@LO, @HI) g" "now()" | pg_psql bench
total=$((third * 3))
end_lsn="$(pg_psql bench -At -c "SELECT pg_current_wal_lsn()")"

echo "pg_recvlogical: draining to ${end_lsn}"
t0="$(now)"
pg_recvlogical -h 127.0.0.1 -p "${PG_PORT}" -U postgres -d bench --slot recv_slot --start \
  -o proto_version=1 -o publication_names=bench_pub --endpos "${end_lsn}" --no-loop -f /dev/null
t1="$(now)"
recv_s="$(calc "${t1} - ${t0}")"

echo "deltabridge run + tail: draining ${total} changes"
bench_drain "${total}" bridge1.log
bridge_s="${drain_s}" rss1="${drain_rss_kib}"

big_s=0 rss2=0
if ((big_rows > 0)); then
echo "one transaction of ${big_rows} rows"
bench_start_bridge bridge2.log "streaming from slot"
pg_psql bench -c "INSERT INTO items SELECT g, g % 97, md5(g::text), now() FROM generate_series(1, ${big_rows}) g"
t0="$(now)"
"${bin}" tail "ipc://${work}/pub" --replay "ipc://${work}/replay" --from $((total + 1)) \
  --count "${big_rows}" >/dev/null
t1="$(now)"
big_s="$(calc "${t1} - ${t0}")"
rss2="$(peak_rss_kib "${bridge_pid}")"
bench_stop_bridge
fi

printf '\n== PostgreSQL drain benchmark (%s, %s cores)\n' "$(uname -m)" "$(nproc)"
printf 'backlog                : %d changes in %d-row transactions\n' "${total}" "${per_tx}"
printf 'pg_recvlogical         : %.2f s (%.0f changes/s)\n' "${recv_s}" "$(calc "${total} / ${recv_s}")"
printf 'deltabridge + tail     : %.2f s (%.0f changes/s)\n' "${bridge_s}" "$(calc "${total} / ${bridge_s}")"
printf 'ratio bridge/recvlogical: %.2f (target <= 1.25)\n' "$(calc "${bridge_s} / ${recv_s}")"
printf 'bridge peak RSS        : %.1f MiB (target <= 64)\n' "$(calc "${rss1} / 1024")"
printf '1 transaction, %d rows : %.2f s after commit, bridge peak RSS %.1f MiB (target <= 64)\n' \
  "${big_rows}" "${big_s}" "$(calc "${rss2} / 1024")"
