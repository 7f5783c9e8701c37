#!/usr/bin/env bash
# Regenerates the golden pgoutput captures tests/pg/golden/*.hex from a
# throwaway PostgreSQL 15 started here (loopback and a private socket
# directory only; stopped and removed on exit). See tests/pg/README.md.
#
#   tests/pg/capture_golden.sh [OUTPUT_DIR]     (default: tests/pg/golden)
#
# Each .hex file holds one pgoutput message per line, as hex, in the order
# pg_logical_slot_get_binary_changes returned them; '#' lines are comments.
# Every scenario gets its own slot, created just before its workload, so a
# file holds only that scenario's transactions.
#
# Environment: PGBIN (default /usr/lib/postgresql/15/bin), PGCAP_PORT
# (default 55432). Run as root, the server runs as the "postgres" user.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/golden}
pgbin=${PGBIN:-/usr/lib/postgresql/15/bin}
port=${PGCAP_PORT:-55432}
work=$(mktemp -d /tmp/pgcap.XXXXXX)
mkdir -p "$out"

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
if [ "$(id -u)" = 0 ]; then chown postgres "$work"; fi

cleanup() {
  as_owner "$pgbin/pg_ctl" -D "$work/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

as_owner "$pgbin/initdb" -D "$work/data" -U postgres --auth=trust --no-sync --encoding=UTF8 --locale=C >/dev/null
as_owner "$pgbin/pg_ctl" -D "$work/data" -w -l "$work/log" -o \
  "-p $port -k $work -c listen_addresses=127.0.0.1 -c wal_level=logical \
   -c logical_decoding_work_mem=64kB -c fsync=off" start >/dev/null

sql() {
  "$pgbin/psql" -h "$work" -p "$port" -U postgres -d postgres -X -q -v ON_ERROR_STOP=1 "$@"
}

new_slot() {
  sql -c "SELECT pg_create_logical_replication_slot('$1', 'pgoutput')" >/dev/null
}

# capture NAME SLOT TIMEZONE 'opt', 'value', ...
# The output plugin runs in this session, so its settings shape the text of
# every value: the ones the PostgreSQL source sets on its own connection.
capture() {
  local name=$1 slot=$2 tz=$3 opts=$4 fn=${5:-pg_logical_slot_get_binary_changes}
  {
    echo "# $name: captured by tests/pg/capture_golden.sh from $(sql -At -c 'SHOW server_version')"
    echo "# options: $opts; TimeZone=$tz"
    sql -At \
      -c "SET DateStyle = 'ISO, MDY'" -c "SET TimeZone = '$tz'" \
      -c "SET IntervalStyle = 'postgres'" -c "SET extra_float_digits = 3" \
      -c "SELECT encode(data, 'hex') FROM $fn('$slot', NULL, NULL, $opts)"
  } >"$out/$name.hex"
  echo "$name: $(grep -vc '^#' "$out/$name.hex") messages"
}

drop_slot() {
  sql -c "SELECT pg_drop_replication_slot('$1')" >/dev/null
}

v1="'proto_version', '1', 'publication_names', 'pub'"
v2s="'proto_version', '2', 'publication_names', 'pub', 'streaming', 'on'"
# ~3 kB of incompressible text; with STORAGE EXTERNAL it is TOASTed.
big="(SELECT string_agg(md5(g::text), '') FROM generate_series(1, 100) g)"

sql >/dev/null <<'SQL'
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
CREATE TABLE parks (id integer PRIMARY KEY, name text NOT NULL, area numeric(10,2),
                    note varchar(40));
CREATE TABLE tags (park_id integer, tag text, weight smallint, PRIMARY KEY (park_id, tag));
CREATE TABLE rangers (badge integer NOT NULL, name text NOT NULL, phone text);
CREATE UNIQUE INDEX rangers_badge ON rangers (badge);
ALTER TABLE rangers REPLICA IDENTITY USING INDEX rangers_badge;
CREATE TABLE events (at timestamptz, what text);
ALTER TABLE events REPLICA IDENTITY NOTHING;
CREATE TABLE audit (id bigint, who text, what text);
ALTER TABLE audit REPLICA IDENTITY FULL;
CREATE TABLE docs (id integer PRIMARY KEY, title text, body text, rev integer);
ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTERNAL;
CREATE TABLE docs_full (id integer PRIMARY KEY, title text, body text, rev integer);
ALTER TABLE docs_full ALTER COLUMN body SET STORAGE EXTERNAL;
ALTER TABLE docs_full REPLICA IDENTITY FULL;
CREATE TABLE trunc_a (id serial PRIMARY KEY, v text);
CREATE TABLE trunc_b (id integer PRIMARY KEY, a_id integer REFERENCES trunc_a);
CREATE TABLE trunc_c (id bigserial PRIMARY KEY);
CREATE TABLE moods (id integer PRIMARY KEY, m mood, ms mood[], p posint);
CREATE TABLE bulk (id integer PRIMARY KEY, label text, m mood);
CREATE TABLE bulk_side (id integer PRIMARY KEY);
CREATE TABLE bin (id integer PRIMARY KEY, f float8, t text, b bytea, ts timestamptz);
CREATE TABLE vals (
  id integer PRIMARY KEY, c_int2 int2, c_int4 int4, c_int8 int8, c_oid oid, c_numeric numeric,
  c_float4 float4, c_float8 float8, c_bool bool, c_text text, c_varchar varchar(20),
  c_bpchar char(5), c_char "char", c_name name, c_bytea bytea, c_date date, c_time time,
  c_timetz timetz, c_timestamp timestamp, c_timestamptz timestamptz, c_interval interval,
  c_uuid uuid, c_json json, c_jsonb jsonb, c_int4_arr int4[], c_text_arr text[], c_mood mood,
  c_mood_arr mood[], c_inet inet, c_cidr cidr, c_macaddr macaddr);
CREATE PUBLICATION pub FOR ALL TABLES;
SELECT pg_replication_origin_create('upstream_east');
SQL

# --- begin/commit, relations with keys, insert/update/delete, identity
# DEFAULT (single and composite primary key), USING INDEX and NOTHING.
new_slot dml_default
sql >/dev/null <<'SQL'
INSERT INTO parks VALUES (1, 'Yosemite', 3081.20, NULL);
BEGIN;
INSERT INTO parks VALUES (2, 'Zion', NULL, 'canyon');
INSERT INTO tags VALUES (2, 'red rock', 5), (2, 'hiking', NULL);
COMMIT;
UPDATE parks SET note = 'granite', area = area + 1 WHERE id = 1;
UPDATE parks SET id = 20 WHERE id = 2;
UPDATE tags SET tag = 'slot canyons' WHERE park_id = 2 AND tag = 'red rock';
DELETE FROM tags WHERE park_id = 2 AND tag = 'hiking';
DELETE FROM parks WHERE id = 20;
INSERT INTO rangers VALUES (7, 'Ada', NULL);
UPDATE rangers SET phone = '555-0100' WHERE badge = 7;
UPDATE rangers SET badge = 8 WHERE badge = 7;
DELETE FROM rangers WHERE badge = 8;
INSERT INTO events VALUES ('2024-05-01 12:00:00+00', 'opened');
SQL
capture dml_default dml_default UTC "$v1"
drop_slot dml_default

# --- REPLICA IDENTITY FULL: old tuples 'O', NULLs in old and new.
new_slot dml_full
sql >/dev/null <<'SQL'
INSERT INTO audit VALUES (1, 'ada', 'login'), (2, NULL, 'logout');
UPDATE audit SET what = 'logoff' WHERE id = 2;
DELETE FROM audit WHERE id = 1;
UPDATE audit SET who = 'grace', what = NULL;
DELETE FROM audit;
SQL
capture dml_full dml_full UTC "$v1"
drop_slot dml_full

# --- unchanged TOAST values ('u').
new_slot toast
sql >/dev/null <<SQL
INSERT INTO docs VALUES (1, 'guide', $big, 1);
UPDATE docs SET rev = 2 WHERE id = 1;
UPDATE docs SET title = NULL, rev = 3 WHERE id = 1;
UPDATE docs SET id = 2 WHERE id = 1;
DELETE FROM docs WHERE id = 2;
INSERT INTO docs_full VALUES (1, 'map', $big, 1);
UPDATE docs_full SET rev = 2;
DELETE FROM docs_full;
SQL
capture toast toast UTC "$v1"
drop_slot toast

# --- TRUNCATE of several tables, CASCADE and RESTART IDENTITY.
new_slot truncate
sql >/dev/null <<'SQL'
INSERT INTO trunc_a (v) VALUES ('x');
INSERT INTO trunc_b VALUES (1, 1);
INSERT INTO trunc_c DEFAULT VALUES;
TRUNCATE trunc_a, trunc_c RESTART IDENTITY CASCADE;
TRUNCATE trunc_c;
TRUNCATE trunc_a CASCADE;
TRUNCATE trunc_c RESTART IDENTITY;
SQL
capture truncate truncate UTC "$v1"
drop_slot truncate

# --- Type messages: an enum, an array of it, a domain.
new_slot types
sql >/dev/null <<'SQL'
INSERT INTO moods VALUES (1, 'happy', '{sad,ok}', 5), (2, NULL, '{}', NULL);
UPDATE moods SET m = 'sad' WHERE id = 1;
SQL
capture types types UTC "$v1"
drop_slot types

# --- Origin: a transaction replayed from "upstream_east".
new_slot origin
sql >/dev/null <<'SQL'
SELECT pg_replication_origin_session_setup('upstream_east');
BEGIN;
SELECT pg_replication_origin_xact_setup('0/1A2B3C4D', '2024-05-01 12:00:00+00');
INSERT INTO parks VALUES (3, 'Acadia', 198.60, 'coast');
COMMIT;
SELECT pg_replication_origin_session_reset();
SQL
capture origin origin UTC "$v1"
drop_slot origin

# --- logical decoding messages, non-transactional and transactional.
new_slot message
sql >/dev/null <<'SQL'
SELECT pg_logical_emit_message(false, 'deltabridge', 'non-transactional hello');
BEGIN;
INSERT INTO parks VALUES (4, 'Denali', NULL, NULL);
SELECT pg_logical_emit_message(true, 'deltabridge', 'inside the transaction');
SELECT pg_logical_emit_message(true, 'bin', '\x00ff0a'::bytea);
COMMIT;
SQL
capture message message UTC "$v1, 'messages', 'true'"
drop_slot message

# --- binary tuple values ('b').
new_slot binary
sql >/dev/null <<'SQL'
INSERT INTO bin VALUES (1, 1.5, 'hi', '\x00ff', '2024-05-01 12:00:00+00'),
                       (2, NULL, NULL, NULL, NULL);
SQL
capture binary binary UTC "$v1, 'binary', 'true'"
drop_slot binary

# --- protocol 2 streaming of a large transaction, with a small transaction
# committing in the middle of it (its Begin/Commit fall between stream blocks),
# updates, deletes, a truncate and a message inside the stream.
new_slot stream_commit
mkfifo "$work/a.fifo"
sql <"$work/a.fifo" >/dev/null &
a_pid=$!
exec 3>"$work/a.fifo"
cat >&3 <<SQL
BEGIN;
INSERT INTO bulk SELECT g, 'r' || g, 'ok' FROM generate_series(1, 900) g;
\\! touch $work/a.half
SQL
while [ ! -e "$work/a.half" ]; do sleep 0.1; done
sql -c "INSERT INTO parks VALUES (5, 'Olympic', NULL, 'rain')"
cat >&3 <<'SQL'
INSERT INTO bulk SELECT g, 'r' || g, 'ok' FROM generate_series(901, 1000) g;
UPDATE bulk SET m = 'happy' WHERE id <= 3;
DELETE FROM bulk WHERE id BETWEEN 4 AND 5;
INSERT INTO bulk_side VALUES (1);
TRUNCATE bulk_side;
SELECT pg_logical_emit_message(true, 'deltabridge', 'streamed message');
COMMIT;
SQL
exec 3>&-
wait "$a_pid"
capture stream_commit stream_commit UTC "$v2s, 'messages', 'true'"
drop_slot stream_commit

# --- protocol 2 stream aborts: of a subtransaction (ROLLBACK TO SAVEPOINT
# inside a streamed transaction that then commits), and of a whole
# streamed transaction.
new_slot stream_abort
sql >/dev/null <<'SQL'
BEGIN;
INSERT INTO bulk SELECT g, 'r' || g, 'sad' FROM generate_series(2001, 2500) g;
SAVEPOINT sp;
INSERT INTO bulk SELECT g, 'r' || g, 'sad' FROM generate_series(2501, 3000) g;
ROLLBACK TO SAVEPOINT sp;
INSERT INTO bulk VALUES (3001, 'after the rollback', 'ok');
COMMIT;
BEGIN;
INSERT INTO bulk SELECT g, 'r' || g, 'sad' FROM generate_series(4001, 4500) g;
ROLLBACK;
-- An abort does not flush WAL, and decoding stops at the flushed position.
CHECKPOINT;
SQL
capture stream_abort stream_abort UTC "$v2s"
drop_slot stream_abort

# --- one value of every type of interest, and edge cases, in TEXT format.
# Captured three times from the same slot with different TimeZone settings:
# timestamptz values must convert to the same UTC text from all three.
new_slot vals
sql >/dev/null <<'SQL'
INSERT INTO vals VALUES
 (1, 42, 100000, 1234567890123, 16384, 3.14159, 1.5, 2.718281828459045, true, 'hello',
  'varchar', 'ab', 'x', 'pg_name', '\xdeadbeef', '2024-02-29', '13:45:30.123456',
  '13:45:30+05:30', '2024-02-29 13:45:30.5', '2024-02-29 13:45:30.123456+00',
  '1 year 2 mons 3 days 04:05:06', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
  '{"a": [1, 2.50, "x"]}', '{"b": {"c": null}, "a": 1}', '{1,2,3}', '{"a b","c\"d",NULL}',
  'happy', '{sad,happy}', '192.168.0.1/24', '10.0.0.0/8', '08:00:2b:01:02:03'),
 (2, -32768, 2147483647, 9223372036854775807, 4294967295, '12345678901234567890.000000001',
  'NaN', 'Infinity', false, E'quote " backslash \\ newline \n tab \t unicode \u00e9 \u65e5 \U0001F600',
  '', 'a', 'Z', 'a name', '\x00ff10', '0044-03-15 BC', '24:00:00', '23:59:59.999999-12',
  'infinity', '-infinity', '-1 years +2 mons -3 days 04:05:06.789',
  '00000000-0000-0000-0000-000000000000', '[]', '{"emoji": "\u00e9", "n": 12345678901234567890}',
  '{}', '{NULL}', 'sad', '{}', '::1', '2001:db8::/32', 'ff:ff:ff:ff:ff:ff'),
 (3, 0, -2147483648, -9223372036854775808, 0, 'NaN', '-Infinity', '-Infinity', true, 'x', 'y',
  'abcde', 'q', '', '\x', 'infinity', '00:00:00', '00:00:00+00', '1999-12-31 23:59:59.999999',
  '1900-01-01 00:00:00+00', '0', 'ffffffff-ffff-ffff-ffff-ffffffffffff', 'null', 'null',
  '{{1,2},{3,4}}', '{"",x}', 'ok', '{ok}', '10.1.2.3', '192.168.0.0/16', '00:00:00:00:00:00'),
 (4, 1, 1, 9007199254740993, 1, 'Infinity', 0.1, 0.1, false, 'ends with space ', 'v',
  'a b', ' ', 'n', 'abc', '-infinity', '23:59:59.999999', '12:00:00-03:30:52',
  '0001-01-01 00:00:00 BC', '2023-12-31 23:30:00+00', '1 day -00:00:01',
  '12345678-9abc-def0-1234-56789abcdef0', '{"k":1}', '{"k": [true, false]}', '{-1}', '{"\\"}',
  'happy', '{happy,sad,ok}', '0.0.0.0', '0.0.0.0/0', 'aa:bb:cc:dd:ee:ff'),
 (5, -1, -1, -9007199254740993, 2, '-0.000000000000000000000000000001', '3.4028235e38',
  '1e-310', true, 'tab	in', 'w', '12345', 'a', 'nm', '\x5c27', '9999-12-31', '12:34:56.5',
  '12:34:56.5+14', '10000-01-01 00:00:00', '2024-03-01 00:15:00+00', '178000000 years',
  '00000000-0000-0000-0000-000000000001', '1.5e3', '1.5e3', '{1,NULL}', '{"{}"}', 'sad',
  '{NULL}', '255.255.255.255', '::/0', '01:02:03:04:05:06'),
 (6, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (7, 32767, 0, 0, 0, '0', '-0', '-0', false, 'z', 'z', 'z', 'z', 'z', '\x00', '2000-01-01',
  '00:00:00.000001', '00:00:00.000001+00', '2000-01-01 00:00:00.000001',
  '0001-01-01 00:00:00+00 BC', '00:00:00.000001', '00000000-0000-0000-0000-000000000002',
  '"s"', '"s"', '{0}', '{z}', 'ok', '{ok}', '1.1.1.1', '1.1.1.1/32', '00:00:00:00:00:01'),
 (8, 7, 7, 7, 7, '100000000000000000000000000000000000000000.5', '1e-45', '5e-324', true,
  'z', 'z', 'z', 'z', 'z', '\x00', '2000-01-01', '00:00:00', '00:00:00+00',
  '2000-01-01 00:00:00', '10000-01-01 00:00:00+00', '0', '00000000-0000-0000-0000-000000000003',
  '0', '0', '{0}', '{z}', 'ok', '{ok}', '1.1.1.1', '1.1.1.1/32', '00:00:00:00:00:01');
SQL
capture values_utc vals UTC "$v1" pg_logical_slot_peek_binary_changes
capture values_amsterdam vals Europe/Amsterdam "$v1" pg_logical_slot_peek_binary_changes
capture values_st_johns vals America/St_Johns "$v1"
drop_slot vals
