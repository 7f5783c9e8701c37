// OdbcEnv, OdbcDbc, OdbcStmt: RAII owners for the three ODBC handle kinds
// (SQLHENV, SQLHDBC, SQLHSTMT); the diagnostics helper every ODBC error
// message is built from; and whether a failed connect may succeed later.
//
// Each owner holds at most one handle and frees it with SQLFreeHandle in its
// destructor, which never throws. An OdbcDbc that was connected
// (MarkConnected) is disconnected first. Owners are movable, not copyable. A
// child handle borrows its parent: the OdbcEnv must outlive its OdbcDbc, and
// the OdbcDbc its OdbcStmts (declare them in that order and destruction
// follows). Not thread-safe: one thread uses a set of handles at a time.
#pragma once

#include <sql.h>
#include <sqlext.h>

#include <string>
#include <utility>
#include <vector>

#include "cdc/core/status.h"

namespace deltabridge {

// Owns one handle of kind `kType` (SQL_HANDLE_ENV, SQL_HANDLE_DBC or
// SQL_HANDLE_STMT).
template <SQLSMALLINT kType>
class OdbcHandle {
 public:
  OdbcHandle() = default;
  ~OdbcHandle() { Reset(); }
  OdbcHandle(const OdbcHandle&) = delete;
  OdbcHandle& operator=(const OdbcHandle&) = delete;
  OdbcHandle(OdbcHandle&& other) noexcept
      : handle_(std::exchange(other.handle_, nullptr)),
        connected_(std::exchange(other.connected_, false)) {}
  OdbcHandle& operator=(OdbcHandle&& other) noexcept {
    if (this != &other) {
      Reset();
      handle_ = std::exchange(other.handle_, nullptr);
      connected_ = std::exchange(other.connected_, false);
    }
    return *this;
  }

  // Allocates a handle under `parent` (SQL_NULL_HANDLE for an environment).
  // The failure message names what could not be allocated; the parent's
  // diagnostics, when there are any, are appended.
  static Result<OdbcHandle> Allocate(SQLHANDLE parent);

  SQLHANDLE get() const { return handle_; }
  bool valid() const { return handle_ != SQL_NULL_HANDLE; }

  // OdbcDbc only: the connection is open, so the destructor disconnects
  // before freeing.
  void MarkConnected() { connected_ = true; }

  // Disconnects (a connected OdbcDbc) and frees the handle; errors are
  // ignored, since there is nothing left to do about them.
  void Reset() noexcept {
    if (handle_ == SQL_NULL_HANDLE) return;
    if constexpr (kType == SQL_HANDLE_DBC) {
      if (connected_) SQLDisconnect(handle_);
    }
    SQLFreeHandle(kType, handle_);
    handle_ = SQL_NULL_HANDLE;
    connected_ = false;
  }

 private:
  explicit OdbcHandle(SQLHANDLE handle) : handle_(handle) {}

  SQLHANDLE handle_ = SQL_NULL_HANDLE;
  bool connected_ = false;  // only for SQL_HANDLE_DBC: SQLDriverConnect succeeded
};

using OdbcEnv = OdbcHandle<SQL_HANDLE_ENV>;
using OdbcDbc = OdbcHandle<SQL_HANDLE_DBC>;
using OdbcStmt = OdbcHandle<SQL_HANDLE_STMT>;

// One diagnostic record (SQLGetDiagRec).
struct OdbcDiagRecord {
  std::string sqlstate;  // five characters, e.g. "23505"; "" when the driver gave none
  SQLINTEGER native_error = 0;
  std::string message;  // the driver's text, trailing line breaks removed
};

// Every diagnostic record `handle` holds, in order. Empty when there are none
// (or the handle is null).
std::vector<OdbcDiagRecord> OdbcDiagRecords(SQLSMALLINT handle_type, SQLHANDLE handle);

// The records as one line: "SQLSTATE 23505 (native 7): message; SQLSTATE ...".
// "no diagnostics" when empty.
std::string FormatOdbcDiagRecords(const std::vector<OdbcDiagRecord>& records);

// Both together: every record of `handle` as one string.
std::string OdbcDiagnostics(SQLSMALLINT handle_type, SQLHANDLE handle);

// Whether a failed SQLDriverConnect with these records may succeed later
// without an operator: the server is unreachable, starting or shutting down,
// or will not take another connection now. True when a record has SQLSTATE
// class 08 (connection exception), HYT00 (login timeout) or 57P03
// (PostgreSQL cannot connect now), or a native error that MySQL's table
// (cdc/clients/mysql/mysql_errors.h) calls a lost connection or a reason to
// retry (MySQL's client library says HY000 for "can't connect", 2002/2003;
// the numbers it uses, 1040 and up, are not ones the other tested drivers
// report). False for a missing driver or DSN, a refused login, an unknown
// database.
bool OdbcConnectFailureIsTransient(const std::vector<OdbcDiagRecord>& records);

template <SQLSMALLINT kType>
Result<OdbcHandle<kType>> OdbcHandle<kType>::Allocate(SQLHANDLE parent) {
  SQLHANDLE handle = SQL_NULL_HANDLE;
  SQLRETURN rc = SQLAllocHandle(kType, parent, &handle);
  if (!SQL_SUCCEEDED(rc) || handle == SQL_NULL_HANDLE) {
    const char* what = kType == SQL_HANDLE_ENV   ? "environment"
                       : kType == SQL_HANDLE_DBC ? "connection"
                                                 : "statement";
    std::string message = std::string("cannot allocate an ODBC ") + what + " handle";
    if (parent != SQL_NULL_HANDLE) {
      constexpr SQLSMALLINT kParentType =
          kType == SQL_HANDLE_STMT ? SQL_HANDLE_DBC : SQL_HANDLE_ENV;
      std::vector<OdbcDiagRecord> records = OdbcDiagRecords(kParentType, parent);
      if (!records.empty()) message += ": " + FormatOdbcDiagRecords(records);
    }
    return Status::Unavailable(message);
  }
  return OdbcHandle(handle);
}

}  // namespace deltabridge
