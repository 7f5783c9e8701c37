#!/usr/bin/env bash
# The demo: installs what is needed, builds deltabridge, and shows the seed
# story on a throwaway PostgreSQL: a scheduling database and a legacy booking
# system both change the same tour slots; a bridge turns their changes into
# field-level deltas on a ZeroMQ stream; a sink reconciles them, field by
# field, into a dashboard table; a change the rules hold back is listed for
# review; the two systems' visitor lists are kept in step both ways, each
# booking reaching the other side once, never echoing back; and a booking
# screen follows the tour slots live through the gateway (WebSocket) and
# books a slot itself with one POST.
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
two_way_pids=""
gateway_pid=""
cleanup() {
  local p
  [[ -n "${gateway_pid}" ]] && kill "${gateway_pid}" 2>/dev/null && wait "${gateway_pid}" 2>/dev/null
  for p in ${two_way_pids}; do kill "${p}" 2>/dev/null && wait "${p}" 2>/dev/null; done
  [[ -n "${sink_pid}" ]] && kill "${sink_pid}" 2>/dev/null && wait "${sink_pid}" 2>/dev/null
  [[ -n "${bridge_pid}" ]] && kill "${bridge_pid}" 2>/dev/null && wait "${bridge_pid}" 2>/dev/null
  pg_stop
  rm -rf "${work}"
}
trap cleanup EXIT

# Waits until the query $1 returns $2 in database $3 (default dashboard; at most 30 s).
wait_for() {
  for _ in $(seq 300); do
    [[ "$(pg_psql "${3:-dashboard}" -Atc "$1")" == "$2" ]] && return 0
    sleep 0.1
  done
  echo "timed out waiting for: $1 = $2 in ${3:-dashboard}" >&2
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
for db in scheduling legacy; do
  # Both systems keep a visitor list; later in the story it is synced both ways.
  pg_psql "${db}" -qc "CREATE TABLE visitors (id int PRIMARY KEY, name text NOT NULL,
    party int NOT NULL DEFAULT 1, checked_in boolean NOT NULL DEFAULT false)" \
    -c "ALTER TABLE visitors REPLICA IDENTITY FULL"
done
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
    tables: [public.tour_slots, public.visitors]
  - name: legacy
    type: postgres
    dsn: "host=127.0.0.1 port=${PG_PORT} dbname=legacy user=postgres"
    tables: [public.bookings, public.visitors]
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

say "Two-way: scheduling and legacy keep their visitor lists in step"
# One sink writes each side. Its target's node names the database it writes
# (the bridge's source captures the same database): it tags what it writes,
# so the bridge drops those changes instead of publishing them again. Each
# sink also follows its own node, so that a local write is known as the
# field's last writer when a change from the other side arrives.
for side in scheduling legacy; do
  other=legacy
  [[ "${side}" == legacy ]] && other=scheduling
  cat >"${work}/to-${side}.yaml" <<YAML
sink:
  name: to-${side}
  state_dir: ${work}/to-${side}-state
subscribe:
  - bridge: parks
    publish: ipc://${work}/pub
    replay: ipc://${work}/replay
    topics: ["parks.${other}.public.visitors", "parks.${side}.public.visitors"]
target:
  type: postgres
  dsn: "host=127.0.0.1 port=${PG_PORT} dbname=${side} user=postgres"
  node: parks.${side}
mappings:
  - {from: parks.${other}.public.visitors, to: public.visitors, key: [id], rules: {party: additive}}
  - {from: parks.${side}.public.visitors, to: public.visitors, key: [id], rules: {party: additive}}
YAML
  "${bin}" sink "${work}/to-${side}.yaml" 2>"${work}/to-${side}.log" &
  two_way_pids+=" $!"
done
cat "${work}/to-legacy.yaml"
visitors="SELECT string_agg(id || ' ' || name || ' party ' || party || CASE WHEN checked_in THEN ' in' ELSE '' END, ', ' ORDER BY id) FROM visitors"
pg_psql scheduling -qc "INSERT INTO visitors VALUES (1, 'Ada', 2)"
pg_psql legacy -qc "INSERT INTO visitors VALUES (2, 'Grace', 4)"
echo "scheduling books Ada (party of 2); the ranger station books Grace (party of 4)"
wait_for "${visitors}" "1 Ada party 2, 2 Grace party 4" scheduling
wait_for "${visitors}" "1 Ada party 2, 2 Grace party 4" legacy
pg_psql legacy -qc "UPDATE visitors SET checked_in = true, party = party + 1 WHERE id = 1"
pg_psql scheduling -qc "UPDATE visitors SET party = party + 2 WHERE id = 1"
echo "at the same time: legacy checks Ada in with one more guest; scheduling adds two to her party"
want="1 Ada party 5 in, 2 Grace party 4"
wait_for "${visitors}" "${want}" scheduling
wait_for "${visitors}" "${want}" legacy
for db in scheduling legacy; do
  echo "${db}: $(pg_psql "${db}" -Atc "${visitors}")"
done
# Four local changes, four deltas: what each sink wrote was not published again.
# (tail follows the stream; timeout stops it once it has shown everything.)
published="$(timeout 3 "${bin}" tail "ipc://${work}/pub" --replay "ipc://${work}/replay" --from 1 \
  --topic parks.scheduling.public.visitors --topic parks.legacy.public.visitors 2>/dev/null |
  grep -c '"table":"public.visitors"' || true)"
echo "deltas published for visitors: ${published} (4 local changes; no echo)"
[[ "${published}" == 4 ]]
"${bin}" status "${work}/to-legacy.yaml"

say "The gateway: a booking screen follows the tour slots live, and books one"
gateway_port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
cat >"${work}/gateway.yaml" <<YAML
gateway:
  name: app
  listen: 127.0.0.1:${gateway_port}
  tokens_file: ${work}/app.tokens
  state_dir: ${work}/gateway-state
  page: true                           # a live page at / for watching an entity
subscribe:
  - {bridge: parks, publish: ipc://${work}/pub, replay: ipc://${work}/replay}
entities:
  - name: slots                        # GET (WebSocket, SSE) and POST /sync/slots
    from: [parks.scheduling.public.tour_slots]
    exclude: [notes]
    push:                              # a booking goes into the scheduling database
      target: {type: postgres, dsn: "host=127.0.0.1 port=${PG_PORT} dbname=scheduling user=postgres", node: parks.scheduling}
      to: public.tour_slots
      key: [id]
      rules: {default: last_writer_wins, seats_taken: additive}
YAML
cat "${work}/gateway.yaml"
token="$("${bin}" token "${work}/gateway.yaml" booking-screen --read slots --push slots 2>/dev/null)"
echo "deltabridge token gateway.yaml booking-screen --read slots --push slots: ${token:0:12}... (printed once, stored hashed)"
"${bin}" gateway "${work}/gateway.yaml" 2>"${work}/gateway.log" &
gateway_pid=$!
for _ in $(seq 100); do grep -q "listening on" "${work}/gateway.log" && break; sleep 0.1; done
# The screen: a real WebSocket client (Node, ws) printing what it receives.
node tests/gateway/js/ws_subscriber.mjs "ws://127.0.0.1:${gateway_port}/sync/slots" \
  --token "${token}" --timeout-ms 30000 >"${work}/screen.out" 2>&1 &
screen_pid=$!
two_way_pids+=" ${screen_pid}"
for _ in $(seq 100); do grep -q '"up-to-date"' "${work}/screen.out" && break; sleep 0.1; done
echo "the screen's first messages: the current rows, then up-to-date"
cat "${work}/screen.out"
echo
echo "the screen books 2 seats on slot 3: POST /sync/slots"
curl -sS -X POST -H "Authorization: Bearer ${token}" -H 'Content-Type: application/json' \
  --data '{"key":{"id":3},"changes":{"seats_taken":{"old":0,"new":2},"status":{"old":"open","new":"booked"}}}' \
  "http://127.0.0.1:${gateway_port}/sync/slots"
echo
wait_for "SELECT status || ' ' || seats_taken FROM tour_slots WHERE id = 3" "booked 2" scheduling
echo "scheduling now holds slot 3: $(pg_psql scheduling -Atc "SELECT status || ', ' || seats_taken || ' seats' FROM tour_slots WHERE id = 3")"
for _ in $(seq 100); do grep -q '"ref"' "${work}/screen.out" && break; sleep 0.1; done
echo "and the change came back to the screen through the bridge, with the push's ref:"
grep '"ref"' "${work}/screen.out"
grep -q '"ref"' "${work}/screen.out"
"${bin}" status "${work}/gateway.yaml"
echo "the live page: http://127.0.0.1:${gateway_port}/?entity=slots (with ?token=...)"

say "Logs"
cat "${work}/bridge.log" "${work}/sink.log" "${work}/to-scheduling.log" "${work}/to-legacy.log" \
  "${work}/gateway.log"
say "Done: stopping the gateway, the sinks, the bridge and PostgreSQL, removing ${work}"
