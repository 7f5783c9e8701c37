// TestMariadb: a throwaway MariaDB 10.11 server for integration tests.
//
// Start() runs mariadb-install-db into a fresh temporary directory and starts
// mariadbd on 127.0.0.1 at a free port, with its Unix socket, server log and
// data directory in that directory; every option is on the command line
// (--no-defaults), so the system's /etc/mysql configuration and the system's
// own MariaDB service are never read or touched. Several servers, in one
// binary or in test binaries running in parallel (ctest -j2), get distinct
// directories and ports (drawn from [12000, 20000): below Linux's ephemeral
// range, so no outgoing connection can take the port while the server is down
// for a restart, and apart from TestPostgres's [20000, 32000)).
//
// Accounts: `root@localhost` without a password, over the Unix socket, which
// the SQL helpers below use; and `root@127.0.0.1` / `root@%` with password()
// and every privilege, for code under test that connects over TCP with a
// user and password (host(), port(), user(), password()).
//
// Binaries come from Options, else $DELTABRIDGE_MARIADBD and
// $DELTABRIDGE_MARIADB_INSTALL_DB, else Debian's /usr/sbin/mariadbd and
// /usr/bin/mariadb-install-db (mariadb-server). mariadbd will not run as root,
// so when the test runs as root the server (and mariadb-install-db) run as the
// `mysql` system user, created by Debian's mariadb-server, which then owns the
// directory; $TMPDIR (or /tmp) must then be reachable by that user, and short
// enough for a Unix socket path.
//
// Durability: innodb_flush_log_at_trx_commit=2 (the redo log is written to
// the kernel at each commit and flushed to disk about once a second) and
// sync_binlog=0. That is safe for every stop this class offers, StopImmediate()
// included: an immediate stop is a crash of mariadbd only, the kernel keeps
// the page cache, and the restart runs ordinary InnoDB crash recovery from the
// redo log. Only a crash of the whole machine could lose data, and no test
// does that.
//
// mariadbd is the child of this process: Stop() sends SIGTERM (a normal
// shutdown), StopImmediate() SIGKILL (a crash). If the test binary dies, the
// kernel SIGKILLs the server (PR_SET_PDEATHSIG, see process.h), so no server
// outlives a killed test. The destructor kills the server, prints the server
// log's tail to stderr if any GoogleTest assertion has failed, and removes the
// directory.
//
// Not thread-safe: start and stop from one thread (the one that outlives the
// server, normally the main thread); the SQL helpers open a connection per
// call and may be used from any thread while the server runs.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cdc/core/status.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"

namespace deltabridge::test {

struct TestMariadbOptions {
  // Path of mariadbd. Empty: $DELTABRIDGE_MARIADBD, else /usr/sbin/mariadbd.
  std::string mariadbd;
  // Path of mariadb-install-db. Empty: $DELTABRIDGE_MARIADB_INSTALL_DB, else
  // /usr/bin/mariadb-install-db.
  std::string install_db;
  // Row-based binary logging for binlog readers: log_bin (files
  // <data>/mariadb-bin.*), binlog_format=ROW, binlog_row_image=FULL,
  // binlog_row_metadata=FULL, server_id, gtid_strict_mode=ON, sync_binlog=0.
  bool binlog = false;
  uint32_t server_id = 1;
  // mariadbd options added after ours (a later option wins), e.g.
  // "--max-connections=20" or "--binlog-row-image=MINIMAL".
  std::vector<std::string> extra_args;
  // How long Start() waits for the server to accept connections (InnoDB crash
  // recovery included); generous for a busy two-core machine.
  std::chrono::seconds start_timeout{120};
};

class TestMariadb {
 public:
  using Options = TestMariadbOptions;
  // A result row; std::nullopt is SQL NULL; binary values are raw bytes.
  using Row = std::vector<std::optional<std::string>>;

  explicit TestMariadb(Options options = {});
  TestMariadb(const TestMariadb&) = delete;
  TestMariadb& operator=(const TestMariadb&) = delete;
  ~TestMariadb();

  // Creates the data directory on first use, then starts the server and waits
  // until it accepts connections (then, the first time, creates the TCP
  // accounts). Keeps the port across restarts (a port taken by someone else
  // meanwhile is retried for a while, then an error); on the first start, a
  // port lost to a race is retried with another. Ok when already running.
  // Errors carry the server log's tail.
  Status Start();
  // Normal shutdown (SIGTERM): ends sessions, flushes InnoDB. Ok when not
  // running.
  Status Stop();
  // SIGKILL: a crash of the server; the next Start() runs InnoDB crash
  // recovery. Ok when not running.
  Status StopImmediate();
  // Stop() then Start(), same port and data.
  Status Restart();
  // Whether mariadbd is running.
  bool IsRunning();

  // Where and how code under test connects over TCP.
  std::string host() const { return "127.0.0.1"; }
  // TCP port on 127.0.0.1; 0 before the first Start().
  int port() const { return port_; }
  std::string user() const { return "root"; }
  std::string password() const;
  // The Unix socket the SQL helpers use (root@localhost, no password).
  std::string socket_path() const { return dir_ ? dir_->Join("mysqld.sock") : std::string(); }
  // The temporary directory (data directory, socket, log); empty before Start().
  std::string dir() const { return dir_ ? dir_->path() : std::string(); }
  std::string data_dir() const { return dir_ ? dir_->Join("data") : std::string(); }
  std::string log_path() const { return dir_ ? dir_->Join("mariadb.log") : std::string(); }

  // Runs one or more SQL statements (separated by ';') over a fresh
  // connection, with `database` as the default database when not empty. Stops
  // at the first failing statement.
  Status Exec(const std::string& sql, const std::string& database = "") const;
  // Runs SQL and returns the rows of the last result set as text.
  Result<std::vector<Row>> Query(const std::string& sql, const std::string& database = "") const;
  // Runs a query that must return exactly one non-NULL value.
  Result<std::string> QueryValue(const std::string& sql, const std::string& database = "") const;
  // CREATE DATABASE with `name` quoted as an identifier (utf8mb4).
  Status CreateDatabase(const std::string& name) const;

  // The last `max_lines` lines of the server log, for failure messages.
  std::string LogTail(size_t max_lines = 60) const;

 private:
  Status InitDataDir();
  std::vector<std::string> ServerArgs() const;
  // One start attempt; sets *port_conflict when the port was taken.
  Status StartOnce(bool* port_conflict);
  // Creates root@127.0.0.1 and root@% with password().
  Status CreateTcpAccounts() const;
  Status Failure(const std::string& what) const;

  Options options_;
  std::string mariadbd_;
  std::string install_db_;
  std::string run_as_;          // system user for the server; empty: ourselves
  std::optional<TempDir> dir_;  // set once the data directory exists
  int port_ = 0;                // fixed after the first successful Start()
  bool started_once_ = false;   // a server has run on port_ (accounts exist)
  // mariadbd. Last: destroyed (SIGKILLed if still running) before dir_.
  ServerProcess server_;
};

}  // namespace deltabridge::test
