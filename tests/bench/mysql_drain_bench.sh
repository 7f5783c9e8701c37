#!/usr/bin/env bash
# Benchmark: drain a backlog of MariaDB binlog changes.
#
#   bash tests/bench/mysql_drain_bench.sh [CHANGES]
#
# A backlog of CHANGES row changes (default 300000: a third inserts, a third
# updates, a third deletes, in transactions of 1000 rows) waits in the binlog
# of a throwaway MariaDB. `mariadb-binlog --read-from-remote-server --raw`
# drains it (raw events to files: the server's own limit); deltabridge drains
# it from the same position, journaling every delta, while one subscriber
# (`deltabridge tail` with replay) reads every delta. Printed: both times,
# their ratio (target <= 1.25) and the bridge's peak RSS (target <= 64 MiB).
# `--raw` only copies the binlog's bytes to files, decoding nothing; so the
# bench also times `mariadb-binlog -v --base64-output=DECODE-ROWS`, which
# decodes every row to text as the bridge decodes it to deltas.
#
# Runs on a throwaway MariaDB in a temporary directory (as the `mysql` user
# when run as root). Not a test: it asserts nothing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source tests/bench/bench_lib.sh

changes="${1:-300000}"
per_tx=1000
bench_init deltabridge-mybench
port=$((13000 + RANDOM % 4000))
sock="${work}/mysqld.sock"
run_as=()
user_opt=()
if [[ "$(id -u)" == 0 ]]; then
  run_as=(runuser -u mysql --)
  user_opt=(--user=mysql)
  chown mysql "${work}"
fi
server_pid="" bridge_pid=""
cleanup() {
  local rc=$?
  # Not under set -e: a failed kill or wait must not skip the rest.
  set +e
  [[ -n "${bridge_pid}" ]] && kill "${bridge_pid}" 2>/dev/null && wait "${bridge_pid}" 2>/dev/null
  [[ -n "${server_pid}" ]] && kill "${server_pid}" 2>/dev/null && wait "${server_pid}" 2>/dev/null
  rm -rf "${work}"
  exit "${rc}"
}
trap cleanup EXIT

sql() { mariadb --no-defaults -S "${sock}" -uroot "$@"; }

"${run_as[@]}" mariadb-install-db --no-defaults --datadir="${work}/data" "${user_opt[@]}" \
  --auth-root-authentication-method=socket >"${work}/install.log" 2>&1
"${run_as[@]}" mariadbd --no-defaults --datadir="${work}/data" --socket="${sock}" \
  --port="${port}" --bind-address=127.0.0.1 --log-error="${work}/mariadb.log" \
  --log-bin=mariadb-bin --binlog-format=ROW --binlog-row-image=FULL \
  --binlog-row-metadata=FULL --server-id=1 --innodb-flush-log-at-trx-commit=2 \
  --sync-binlog=0 --max-binlog-size=1G &
server_pid=$!
until sql -e "SELECT 1" >/dev/null 2>&1; do sleep 0.2; done
sql <<'SQL'
CREATE USER 'bench'@'127.0.0.1' IDENTIFIED BY 'bench';
GRANT ALL PRIVILEGES ON *.* TO 'bench'@'127.0.0.1';
CREATE DATABASE bench;
CREATE TABLE bench.items (id int PRIMARY KEY, qty int NOT NULL, note text, changed timestamp(6));
FLUSH BINARY LOGS;
SQL
start_file="$(sql -N -e "SHOW MASTER STATUS" | cut -f1)"

bench_bridge_yaml "${work}/state" <<YAML
  - name: my
    type: mysql
    host: 127.0.0.1
    port: ${port}
    user: bench
    password: bench
    server_id: 4242
    tables: [bench.items]
    snapshot: never
YAML

# Record the bridge's start position (snapshot: never), then stop it: the backlog waits.
bench_start_bridge bridge0.log "streaming from binlog"
bench_stop_bridge

third=$((changes / 3))
echo "generating ${changes} changes (${third} inserts, updates, deletes; ${per_tx} rows per transaction)"
bench_backlog_sql "${third}" "${per_tx}" \
  "SELECT seq, seq % 97, md5(seq), now(6) FROM seq_@LO_to_@HI" "now(6)" | sql bench
total=$((third * 3))

echo "mariadb-binlog --read-from-remote-server --raw: draining from ${start_file}"
mkdir -p "${work}/raw"
t0="$(now)"
mariadb-binlog --no-defaults --read-from-remote-server --raw --host=127.0.0.1 --port="${port}" \
  --user=bench --password=bench --result-file="${work}/raw/" --to-last-log "${start_file}"
t1="$(now)"
raw_s="$(calc "${t1} - ${t0}")"

# What a DBA would run to *read* those changes: mariadb-binlog decoding every
# row event to text (-v), from the same server.
echo "mariadb-binlog --read-from-remote-server -v: decoding the same events"
t0="$(now)"
mariadb-binlog --no-defaults --read-from-remote-server -v --base64-output=DECODE-ROWS \
  --host=127.0.0.1 --port="${port}" --user=bench --password=bench --to-last-log \
  "${start_file}" >/dev/null
t1="$(now)"
decode_s="$(calc "${t1} - ${t0}")"

echo "deltabridge run + tail: draining ${total} changes"
bench_drain "${total}" bridge1.log "${work}/tail.bytes"
bridge_s="${drain_s}" rss1="${drain_rss_kib}"

printf '\n== MariaDB drain benchmark (%s, %s cores)\n' "$(uname -m)" "$(nproc)"
printf 'backlog                 : %d changes in %d-row transactions\n' "${total}" "${per_tx}"
printf 'mariadb-binlog --raw    : %.2f s (%.0f changes/s)\n' "${raw_s}" "$(calc "${total} / ${raw_s}")"
printf 'deltabridge + tail      : %.2f s (%.0f changes/s)\n' "${bridge_s}" "$(calc "${total} / ${bridge_s}")"
printf 'ratio bridge/binlog     : %.2f (target <= 1.25)\n' "$(calc "${bridge_s} / ${raw_s}")"
printf 'mariadb-binlog -v       : %.2f s (%.0f changes/s), decoding rows to text\n' "${decode_s}" \
  "$(calc "${total} / ${decode_s}")"
printf 'ratio bridge/binlog -v  : %.2f\n' "$(calc "${bridge_s} / ${decode_s}")"
printf 'bridge peak RSS         : %.1f MiB (target <= 64)\n' "$(calc "${rss1} / 1024")"
# What each side moves: --raw copies the binlog's bytes; the bridge writes
# every delta to its journal (LMDB, data and index pages) and the subscriber
# receives each as a JSON envelope.
raw_bytes="$(du -cb "${work}/raw" | tail -n 1 | cut -f1)"
journal_bytes="$(du -c --block-size=1 "${work}/state" | tail -n 1 | cut -f1)"  # blocks in use
printf 'bytes moved             : binlog %.1f MB (--raw), journal %.1f MB, to the subscriber %.1f MB\n' \
  "$(calc "${raw_bytes} / 1e6")" "$(calc "${journal_bytes} / 1e6")" \
  "$(calc "$(cat "${work}/tail.bytes") / 1e6")"
