#!/usr/bin/env bash
# Benchmark: a diff-mode poll of a large SQLite table through sqliteodbc,
# against a plain SELECT * of the same table through the same driver
# (target: at most 2x).
#
#   bash tests/bench/odbc_diff_bench.sh [ROWS] [CHANGED]
#
# ROWS defaults to 1000000, CHANGED (rows updated before the last poll) to
# 1000. Runs build/tests/bench/odbc_diff_bench (or $ODBC_DIFF_BENCH) in a
# temporary directory; prints each time, the ratios and the peak RSS, then
# "ratio X.XX" (diff poll with nothing changed / plain SELECT *). Not a test:
# it asserts nothing; the figures go into docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

rows="${1:-1000000}"
changed="${2:-1000}"
bin="${ODBC_DIFF_BENCH:-$(pwd)/build/tests/bench/odbc_diff_bench}"
driver="${DELTABRIDGE_ODBC_SQLITE_DRIVER:-/usr/lib/x86_64-linux-gnu/odbc/libsqlite3odbc.so}"
[[ -x "${bin}" ]] || {
  echo "build first: cmake --build build --target odbc_diff_bench (${bin} not found)" >&2
  exit 1
}
[[ -r "${driver}" ]] || { echo "no SQLite ODBC driver at ${driver} (Debian: libsqliteodbc)" >&2; exit 1; }

out="$("${bin}" "${driver}" "${rows}" "${changed}")"
echo "${out}"
select_text="$(awk '/^select_text/ {print $2}' <<<"${out}")"
diff_none="$(awk '/^diff_none/ {print $2}' <<<"${out}")"
awk -v a="${diff_none}" -v b="${select_text}" \
  'BEGIN { printf "ratio %.2f (diff poll, nothing changed / plain SELECT *; target <= 2)\n", a / b }'
