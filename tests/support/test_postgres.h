// TestPostgres: a throwaway PostgreSQL 15 server for integration tests.
//
// Start() runs initdb into a fresh temporary directory (superuser `postgres`,
// UTF8, locale C, trust authentication for the Unix socket and 127.0.0.1 only)
// and starts the postmaster on 127.0.0.1 at a free port, with its Unix socket
// and server log in that directory and wal_level=logical, so logical
// replication works. The system's own PostgreSQL services and clusters are
// never touched. Several servers, in one binary or in test binaries running in
// parallel (ctest -j2), get distinct directories and ports.
//
// Binaries come from $DELTABRIDGE_PG_BIN, else /usr/lib/postgresql/15/bin
// (Debian's postgresql-15). PostgreSQL refuses to run as root, so when the
// test runs as root the server runs as the `postgres` system user (created by
// Debian's postgresql-common), which then owns the directory; $TMPDIR (or
// /tmp) must then be reachable by that user, and short enough for a Unix
// socket path.
//
// Durability: fsync is off unless Options::fsync. That is safe for every stop
// this class offers, StopImmediate() included: an immediate stop is a crash
// of PostgreSQL only, the kernel keeps the page cache, and the restart does
// ordinary crash recovery from the WAL. Only a crash of the whole machine
// could lose data, and no test does that.
//
// The postmaster is the child of this process, stopped with the signals that
// `pg_ctl stop` sends (SIGINT fast, SIGQUIT immediate); if the test binary
// dies the kernel sends it SIGQUIT, so no server outlives a killed test. The
// destructor stops the server (immediate), prints the server log's tail to
// stderr if any GoogleTest assertion has failed, and removes the directory.
//
// Not thread-safe: start and stop from one thread (the one that outlives the
// server, normally the main thread); the SQL helpers open a connection per
// call and may be used from any thread while the server runs.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "cdc/core/status.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"

namespace deltabridge::test {

struct TestPostgresOptions {
  // Directory with initdb and postgres. Empty: $DELTABRIDGE_PG_BIN, else
  // /usr/lib/postgresql/15/bin.
  std::string bin_dir;
  // Full durability. Off by default: see the durability note above.
  bool fsync = false;
  // postgresql.conf lines added after ours (a later setting wins), e.g.
  // "wal_sender_timeout = 5s".
  std::vector<std::string> extra_config;
  // How long Start() waits for the server to accept connections (crash
  // recovery included); generous for a busy two-core machine.
  std::chrono::seconds start_timeout{120};
};

class TestPostgres {
 public:
  using Options = TestPostgresOptions;
  // A result row; std::nullopt is SQL NULL.
  using Row = std::vector<std::optional<std::string>>;

  explicit TestPostgres(Options options = {});
  TestPostgres(const TestPostgres&) = delete;
  TestPostgres& operator=(const TestPostgres&) = delete;
  ~TestPostgres();

  // Creates the cluster on first use, then starts the server and waits until
  // it accepts connections. Keeps the port across restarts (a port taken by
  // someone else meanwhile is an error); on the first start, a port lost to a
  // race is retried with another. Ok when already running. Errors carry the
  // server log's tail.
  Status Start();
  // Fast shutdown (like `pg_ctl stop -m fast`): ends sessions, writes a
  // checkpoint. Ok when not running.
  Status Stop();
  // Immediate shutdown (like `pg_ctl stop -m immediate`): a crash of the
  // server; the next Start() runs crash recovery. Ok when not running.
  Status StopImmediate();
  // Stop() then Start(), same port and data.
  Status Restart();
  // Whether the postmaster is running.
  bool IsRunning();

  // "host=127.0.0.1 port=N user=postgres dbname=<dbname>", the name
  // single-quoted for libpq when it has spaces, quotes or backslashes.
  std::string Conninfo(const std::string& dbname = "postgres") const;
  // TCP port on 127.0.0.1; 0 before the first Start().
  int port() const { return port_; }
  // The temporary directory (data directory, socket, log); empty before Start().
  std::string dir() const { return dir_ ? dir_->path() : std::string(); }
  std::string data_dir() const { return dir_ ? dir_->Join("data") : std::string(); }
  std::string log_path() const { return dir_ ? dir_->Join("postgres.log") : std::string(); }

  // Runs one or more SQL statements in `dbname` over a fresh connection.
  Status Exec(const std::string& sql, const std::string& dbname = "postgres") const;
  // Runs a query and returns its rows as text.
  Result<std::vector<Row>> Query(const std::string& sql,
                                 const std::string& dbname = "postgres") const;
  // Runs a query that must return exactly one non-NULL value.
  Result<std::string> QueryValue(const std::string& sql,
                                 const std::string& dbname = "postgres") const;
  // CREATE DATABASE with `name` quoted as an identifier.
  Status CreateDatabase(const std::string& name) const;

  // The last `max_lines` lines of the server log, for failure messages.
  std::string LogTail(size_t max_lines = 60) const;

 private:
  Status InitCluster();
  Status WriteConfig() const;
  // One start attempt; sets *port_conflict when the port was taken.
  Status StartOnce(bool* port_conflict);
  Status Failure(const std::string& what) const;

  Options options_;
  std::string bin_dir_;
  std::string run_as_;          // system user for the server; empty: ourselves
  std::optional<TempDir> dir_;  // set once the cluster exists
  int port_ = 0;                // fixed after the first successful Start()
  bool started_once_ = false;   // a server has run on port_
  // The postmaster. Last: destroyed (SIGKILLed if still running) before dir_.
  ServerProcess server_;
};

}  // namespace deltabridge::test
