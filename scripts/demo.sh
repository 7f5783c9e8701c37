#!/usr/bin/env bash
# The demo: installs what is needed, builds deltabridge, and shows the seed
# story on a throwaway PostgreSQL: a scheduling database and a legacy booking
# system both change the same tour slots; a bridge turns their changes into
# field-level deltas on a ZeroMQ stream; a sink reconciles them, field by
# field, into a dashboard table; and a change the rules hold back is listed
# for review.
#
#   bash scripts/demo.sh          (as root on Debian 12, from a fresh clone)
#
# Nothing outside a temporary directory is touched; no system service is
# started. DELTABRIDGE_SKIP_DEPS=1 skips the package install; DELTABRIDGE_BIN=PATH
# uses that binary instead of building one.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/lib/throwaway-pg.sh

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

if [[ "${DELTABRIDGE_SKIP_DEPS:-0}" != 1 ]]; then
  say "Installing Debian packages (scripts/packages.txt)"
  bash scripts/install-deps.sh
fi
if [[ -n "${DELTABRIDGE_BIN:-}" ]]; then
  bin="${DELTABRIDGE_BIN}"
else
  say "Building deltabridge"
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build -j2 --target deltabridge | grep -E 'error|Built target deltabridge' || true
  bin="$(pwd)/build/deltabridge"
fi
"${bin}" --version

work="$(mktemp -d /tmp/deltabridge-demo.XXXXXX)"
chmod 755 "${work}"
bridge_pid=""
sink_pid=""
cleanup() {
  [[ -n "${sink_pid}" ]] && kill "${sink_pid}" 2>/dev/null && wait "${sink_pid}" 2>/dev/null
  [[ -n "${bridge_pid}" ]] && kill "${bridge_pid}" 2>/dev/null && wait "${bridge_pid}" 2>/dev/null
  pg_stop
  rm -rf "${work}"
}
trap cleanup EXIT

# Waits until the dashboard query $1 returns $2 (at most 30 s).
wait_for() {
  for _ in $(seq 300); do
    [[ "$(pg_psql dashboard -Atc "$1")" == "$2" ]] && return 0
    sleep 0.1
  done
  echo "timed out waiting for: $1 = $2" >&2
  return 1
}

say "Starting a throwaway PostgreSQL 15 in ${work}/pg"
pg_start "${work}/pg"
echo "listening on 127.0.0.1:${PG_PORT}"
pg_psql postgres -qc "CREATE DATABASE scheduling" -c "CREATE DATABASE legacy" \
  -c "CREATE DATABASE dashboard"

say "scheduling: the park's booking system"
pg_psql scheduling <<'SQL'
CREATE TABLE tour_slots (
  id          int PRIMARY KEY,
  tour        text NOT NULL,
  starts_at   timestamptz NOT NULL,
  status      text NOT NULL DEFAULT 'open',
  seats_taken int NOT NULL DEFAULT 0,
  notes       text
);
-- Before-images, so updates carry only the fields that changed, old and new.
ALTER TABLE tour_slots REPLICA IDENTITY FULL;
INSERT INTO tour_slots VALUES
  (1, 'Geyser walk', '2026-12-01 09:00+00', 'open', 0, NULL),
  (2, 'Canyon rim',  '2026-12-01 13:00+00', 'open', 3, 'bring water'),
  (3, 'Night sky',   '2026-12-02 21:00+00', 'open', 0, NULL);
SQL
say "legacy: the old ranger-station records (a second source)"
pg_psql legacy <<'SQL'
CREATE TABLE bookings (
  booking_id int PRIMARY KEY,
  status     text NOT NULL,
  seats      int NOT NULL DEFAULT 0,
  remarks    text
);
ALTER TABLE bookings REPLICA IDENTITY FULL;
INSERT INTO bookings VALUES (1, 'open', 0, NULL), (2, 'open', 3, 'bring water');
SQL
say "dashboard: the table the sink keeps in lockstep"
pg_psql dashboard <<'SQL'
CREATE TABLE tour_slots (
  slot_id     int PRIMARY KEY,
  tour        text,
  starts_at   timestamptz,
  status      text,
  seats_taken int NOT NULL DEFAULT 0,
  notes       text
);
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
    dsn: "host=127.0.0.1 port=${PG_PORT} dbname=scheduling user=postgres"
    tables: [public.tour_slots]
  - name: legacy
    type: postgres
    dsn: "host=127.0.0.1 port=${PG_PORT} dbname=legacy user=postgres"
    tables: [public.bookings]
YAML
cat >"${work}/sink.yaml" <<YAML
sink:
  name: dashboard
  state_dir: ${work}/sink-state
subscribe:
  - bridge: parks
    publish: ipc://${work}/pub
    replay: ipc://${work}/replay
    topics: ["parks.scheduling.", "parks.legacy."]
target:
  type: postgres
  dsn: "host=127.0.0.1 port=${PG_PORT} dbname=dashboard user=postgres"
mappings:
  - from: parks.scheduling.public.tour_slots
    to: public.tour_slots
    key: [slot_id]
    columns: {id: slot_id}
    rules: &rules
      default: last_writer_wins
      status: {rule: source_priority, order: [legacy, scheduling]}
      seats_taken: additive
      notes: manual
  - from: parks.legacy.public.bookings
    to: public.tour_slots
    key: [slot_id]
    columns: {booking_id: slot_id, seats: seats_taken, remarks: notes}
    rules: *rules
YAML
echo "sink.yaml: both sources write dashboard.tour_slots; status: legacy wins;"
echo "seats_taken: additive (every source's increments count); notes: manual review"

say "deltabridge check bridge.yaml"
"${bin}" check "${work}/bridge.yaml"
say "deltabridge run (initial snapshots, then streaming)"
"${bin}" run "${work}/bridge.yaml" 2>"${work}/bridge.log" &
bridge_pid=$!
say "deltabridge check sink.yaml"
for _ in $(seq 50); do "${bin}" check "${work}/sink.yaml" >/dev/null 2>&1 && break; sleep 0.2; done
"${bin}" check "${work}/sink.yaml"
say "deltabridge sink (applies the snapshots, then follows)"
"${bin}" sink "${work}/sink.yaml" 2>"${work}/sink.log" &
sink_pid=$!
wait_for "SELECT count(*) FROM tour_slots" 3
pg_psql dashboard -c "SELECT * FROM tour_slots ORDER BY slot_id"

say "Both systems change slot 1 at the same time"
pg_psql scheduling -q <<'SQL'
BEGIN;  -- a booking of 2 seats, and the slot marked booked
UPDATE tour_slots SET seats_taken = seats_taken + 2, status = 'booked' WHERE id = 1;
COMMIT;
SQL
pg_psql legacy -q <<'SQL'
-- the ranger station books 4 seats on paper and closes the slot
UPDATE bookings SET seats = seats + 4, status = 'closed' WHERE booking_id = 1;
SQL
echo "scheduling: +2 seats, status booked;   legacy: +4 seats, status closed"
wait_for "SELECT seats_taken || ' ' || status FROM tour_slots WHERE slot_id = 1" "6 closed"
echo "dashboard slot 1: 6 seats (both increments count), status closed (legacy ranks first)"

say "A note edited on both sides: held for review (rule: manual)"
pg_psql scheduling -qc "UPDATE tour_slots SET notes = 'meet at the visitor centre' WHERE id = 2"
pg_psql legacy -qc "UPDATE bookings SET remarks = 'meet at the north gate' WHERE booking_id = 2"
wait_for "SELECT count(*) FROM deltabridge_conflicts WHERE resolved_at IS NULL" 1
pg_psql dashboard -c "SELECT * FROM tour_slots ORDER BY slot_id"

say "deltabridge conflicts sink.yaml list"
"${bin}" conflicts "${work}/sink.yaml" list
id="$(pg_psql dashboard -Atc "SELECT id FROM deltabridge_conflicts WHERE resolved_at IS NULL")"
say "deltabridge conflicts sink.yaml resolve ${id} --take incoming"
"${bin}" conflicts "${work}/sink.yaml" resolve "${id}" --take incoming
pg_psql dashboard -c "SELECT slot_id, notes FROM tour_slots WHERE slot_id = 2"

say "deltabridge status bridge.yaml"
"${bin}" status "${work}/bridge.yaml"

say "deltabridge status sink.yaml"
"${bin}" status "${work}/sink.yaml"

say "The stream itself: deltabridge tail, from seq 1"
"${bin}" tail "ipc://${work}/pub" --replay "ipc://${work}/replay" --from 1 --count 9

say "Logs"
cat "${work}/bridge.log" "${work}/sink.log"
say "Done: stopping the sink, the bridge and PostgreSQL, removing ${work}"
