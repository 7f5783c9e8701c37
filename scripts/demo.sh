#!/usr/bin/env bash
# The demo: installs what is needed, builds deltabridge, and shows its main
# job on a throwaway PostgreSQL: tour slots are booked and changed, and every
# change appears as a field-level delta on the ZeroMQ stream.
#
#   bash scripts/demo.sh          (as root on Debian 12, from a fresh clone)
#
# Nothing outside a temporary directory is touched; no system service is
# started. DELTABRIDGE_SKIP_DEPS=1 skips the package install.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/lib/throwaway-pg.sh

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

if [[ "${DELTABRIDGE_SKIP_DEPS:-0}" != 1 ]]; then
  say "Installing Debian packages (scripts/packages.txt)"
  bash scripts/install-deps.sh
fi
say "Building deltabridge"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2 --target deltabridge | grep -E 'error|Built target deltabridge' || true
bin="$(pwd)/build/deltabridge"
"${bin}" --version

work="$(mktemp -d /tmp/deltabridge-demo.XXXXXX)"
chmod 755 "${work}"
bridge_pid=""
cleanup() {
  [[ -n "${bridge_pid}" ]] && kill "${bridge_pid}" 2>/dev/null && wait "${bridge_pid}" 2>/dev/null
  pg_stop
  rm -rf "${work}"
}
trap cleanup EXIT

say "Starting a throwaway PostgreSQL 15 in ${work}/pg"
pg_start "${work}/pg"
echo "listening on 127.0.0.1:${PG_PORT}"
pg_psql postgres -c "CREATE DATABASE parks"
pg_psql parks <<'SQL'
CREATE TABLE tour_slots (
  id          int PRIMARY KEY,
  tour        text NOT NULL,
  starts_at   timestamptz NOT NULL,
  status      text NOT NULL DEFAULT 'open',
  seats_taken int NOT NULL DEFAULT 0,
  price       numeric(8,2)
);
-- Before-images, so updates carry only the fields that changed, old and new.
ALTER TABLE tour_slots REPLICA IDENTITY FULL;
INSERT INTO tour_slots VALUES
  (1, 'Geyser walk',   '2026-12-01 09:00+00', 'open', 0, 25.00),
  (2, 'Canyon rim',    '2026-12-01 13:00+00', 'open', 3, 40.00),
  (3, 'Night sky',     '2026-12-02 21:00+00', 'open', 0, 30.00);
SQL

cat >"${work}/bridge.yaml" <<YAML
bridge:
  name: parks
  state_dir: ${work}/state
  publish: ipc://${work}/pub
  replay: ipc://${work}/replay
sources:
  - name: scheduling
    type: postgres
    dsn: "host=127.0.0.1 port=${PG_PORT} dbname=parks user=postgres"
    tables: [public.tour_slots]
YAML
say "deltabridge check ${work}/bridge.yaml"
"${bin}" check "${work}/bridge.yaml"

say "deltabridge run (initial snapshot, then streaming)"
"${bin}" run "${work}/bridge.yaml" 2>"${work}/bridge.log" &
bridge_pid=$!

say "deltabridge tail: the initial snapshot, replayed from seq 1 (3 rows)"
"${bin}" tail "ipc://${work}/pub" --replay "ipc://${work}/replay" --from 1 --count 3

say "Booking and changing tour slots"
pg_psql parks <<'SQL'
BEGIN;  -- a booking: one transaction, two deltas with the same tx.id
UPDATE tour_slots SET seats_taken = seats_taken + 2, status = 'booked' WHERE id = 1;
UPDATE tour_slots SET seats_taken = seats_taken + 1 WHERE id = 2;
COMMIT;
INSERT INTO tour_slots VALUES (4, 'Lake paddle', '2026-12-03 10:00+00', 'open', 0, 55.50);
UPDATE tour_slots SET price = 32.50 WHERE id = 3;
DELETE FROM tour_slots WHERE id = 2;
SQL
echo "4 statements committed: 5 row changes"

say "deltabridge tail: the changes as field-level deltas (from seq 4)"
"${bin}" tail "ipc://${work}/pub" --replay "ipc://${work}/replay" --from 4 --count 5

say "Bridge log"
cat "${work}/bridge.log"
say "Done: stopping the bridge and PostgreSQL, removing ${work}"
