# Functions the benchmark scripts in this directory share: their binary and
# work directory, timing and memory figures, and driving `deltabridge run`
# and `deltabridge tail` over a bridge file in the work directory.
# Sourced by tests/bench/*_bench.sh after they cd to the repository root.
#
#   bench_init NAME                   sets bin (DELTABRIDGE_BIN, or build/deltabridge;
#                                     exits when it is missing) and work (a new
#                                     directory /tmp/NAME.XXXXXX, mode 755)
#   now                               the time, in seconds since the epoch
#   calc EXPR                         EXPR evaluated by awk
#   peak_rss_kib PID                  a process's peak resident memory so far (VmHWM), KiB
#   bench_bridge_yaml STATE_DIR <SOURCES
#                                     writes ${work}/bridge.yaml: bridge "bench", its
#                                     journal in STATE_DIR, publish and replay on
#                                     ipc:// in ${work}; its `sources:` list is the
#                                     text on standard input
#   bench_start_bridge LOG [TEXT]     starts `deltabridge run` on it in the background
#                                     (output in ${work}/LOG, pid in bridge_pid); with
#                                     TEXT, waits until the output holds it (exits,
#                                     printing the output, if the bridge ends first)
#   bench_stop_bridge                 SIGTERM to the bridge; waits for it to end
#   bench_drain COUNT LOG [BYTES_FILE]
#                                     times a drain: the bridge started (output in
#                                     ${work}/LOG) until `deltabridge tail` from seq 1
#                                     has COUNT deltas; sets drain_s and drain_rss_kib
#                                     (the bridge's peak RSS), then stops the bridge.
#                                     With BYTES_FILE, what tail printed is counted
#                                     there (wc -c); else it goes to /dev/null
#   bench_backlog_sql ROWS PER_TX SELECT NOW
#                                     prints the SQL of a backlog in table items (id,
#                                     qty, note, changed): ROWS rows inserted, then
#                                     updated, then deleted, PER_TX rows a statement.
#                                     SELECT gives rows @LO to @HI in the server's
#                                     dialect; NOW is its current time

bench_init() {
  bin="${DELTABRIDGE_BIN:-$(pwd)/build/deltabridge}"
  [[ -x "${bin}" ]] || { echo "build first: ${bin} not found" >&2; exit 1; }
  work="$(mktemp -d "/tmp/$1.XXXXXX")"
  chmod 755 "${work}"
}

now() { date +%s.%N; }
calc() { awk "BEGIN { print $* }"; }
peak_rss_kib() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }

bench_bridge_yaml() {
  {
    cat <<YAML
bridge:
  name: bench
  state_dir: $1
  publish: ipc://${work}/pub
  replay: ipc://${work}/replay
sources:
YAML
    cat
  } >"${work}/bridge.yaml"
}

bench_start_bridge() {
  "${bin}" run "${work}/bridge.yaml" 2>"${work}/$1" &
  bridge_pid=$!
  [[ $# -ge 2 ]] || return 0
  until grep -qs "$2" "${work}/$1"; do
    kill -0 "${bridge_pid}" 2>/dev/null || { cat "${work}/$1" >&2; exit 1; }
    sleep 0.1
  done
}

bench_stop_bridge() {
  kill "${bridge_pid}"
  wait "${bridge_pid}" || true
  bridge_pid=""
}

bench_drain() {
  local count="$1" log="$2" bytes_file="${3:-}" t0 t1
  t0="$(now)"
  bench_start_bridge "${log}"
  if [[ -n "${bytes_file}" ]]; then
    "${bin}" tail "ipc://${work}/pub" --replay "ipc://${work}/replay" --from 1 --count "${count}" |
      wc -c >"${bytes_file}"
  else
    "${bin}" tail "ipc://${work}/pub" --replay "ipc://${work}/replay" --from 1 --count "${count}" \
      >/dev/null
  fi
  t1="$(now)"
  drain_s="$(calc "${t1} - ${t0}")"
  drain_rss_kib="$(peak_rss_kib "${bridge_pid}")"
  bench_stop_bridge
}

bench_backlog_sql() {
  local rows="$1" per_tx="$2" select="$3" now_sql="$4" lo hi rows_sql
  for ((lo = 1; lo <= rows; lo += per_tx)); do
    hi=$((lo + per_tx - 1))
    rows_sql="${select//@LO/${lo}}"
    echo "INSERT INTO items ${rows_sql//@HI/${hi}};"
  done
  for ((lo = 1; lo <= rows; lo += per_tx)); do
    echo "UPDATE items SET qty = qty + 1, changed = ${now_sql} WHERE id BETWEEN ${lo} AND $((lo + per_tx - 1));"
  done
  for ((lo = 1; lo <= rows; lo += per_tx)); do
    echo "DELETE FROM items WHERE id BETWEEN ${lo} AND $((lo + per_tx - 1));"
  done
}
