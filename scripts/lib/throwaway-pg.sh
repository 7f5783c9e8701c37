# Functions to run a throwaway PostgreSQL 15 in a temporary directory, on
# 127.0.0.1 and a free port, never touching the system's own cluster.
# Sourced by scripts/demo.sh and tests/bench/*.sh.
#
#   pg_start DIR [extra postgresql.conf lines...]   sets PG_PORT, PG_DIR
#   pg_psql DB SQL...                               runs SQL as superuser postgres
#   pg_stop                                         fast shutdown
PG_BIN="${DELTABRIDGE_PG_BIN:-/usr/lib/postgresql/15/bin}"

_pg_as() {
  if ((EUID == 0)); then runuser -u postgres -- "$@"; else "$@"; fi
}

# A port nobody listens on, below Linux's ephemeral range (32768+) so that no
# outgoing connection can be holding it.
_pg_free_port() {
  local port tries
  for ((tries = 0; tries < 200; tries++)); do
    port=$((12000 + RANDOM % 8000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/${port}") 2>/dev/null; then
      echo "${port}"
      return 0
    fi
  done
  return 1
}

pg_start() {
  PG_DIR="$1"
  shift
  mkdir -p "${PG_DIR}"
  if ((EUID == 0)); then chown postgres: "${PG_DIR}"; fi
  _pg_as "${PG_BIN}/initdb" -D "${PG_DIR}/data" -U postgres --auth=trust -E UTF8 \
    --locale=C >"${PG_DIR}/initdb.log" 2>&1 || {
    cat "${PG_DIR}/initdb.log" >&2
    return 1
  }
  PG_PORT="$(_pg_free_port)"
  {
    echo "listen_addresses = '127.0.0.1'"
    echo "port = ${PG_PORT}"
    echo "unix_socket_directories = '${PG_DIR}'"
    echo "wal_level = logical"
    echo "max_replication_slots = 16"
    echo "max_wal_senders = 16"
    local line
    for line in "$@"; do echo "${line}"; done
  } | _pg_as tee -a "${PG_DIR}/data/postgresql.conf" >/dev/null
  _pg_as "${PG_BIN}/pg_ctl" -D "${PG_DIR}/data" -l "${PG_DIR}/postgres.log" -w -t 120 start \
    >/dev/null || {
    tail -n 30 "${PG_DIR}/postgres.log" >&2
    return 1
  }
}

pg_psql() {
  local db="$1"
  shift
  psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "${PG_PORT}" -U postgres -d "${db}" "$@"
}

pg_stop() {
  if [[ -n "${PG_DIR:-}" && -f "${PG_DIR}/data/postmaster.pid" ]]; then
    _pg_as "${PG_BIN}/pg_ctl" -D "${PG_DIR}/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
}
