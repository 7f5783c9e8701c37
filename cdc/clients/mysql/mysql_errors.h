// MysqlErrorClass and ClassOfMysqlError: the one table saying what a MySQL or
// MariaDB error means to the program that got it, whichever client library
// reported it (Connector/C in the source, Connector/C++ in the MySQL target,
// Connector/ODBC through the ODBC client layer). Each caller maps a class to
// its own Status; the table itself is here only.
//
// The number decides; the SQLSTATE (when the caller has it) only classifies
// a number the table does not list:
//   class 08 (connection exception)          kConnectionLost
//   class 40 (transaction rollback)          kRetryTransaction
//   classes 22 (data) and 23 (constraint)    kRejected
//   class 28 (invalid authorization)         kAccessDenied
// MySQL and MariaDB share the numbers below 1900 and the client errors
// (2000-2999); above, the same number can mean different things on each.
// The table takes the meaning deltabridge can meet: 3819 and 4031 are
// MySQL's (MariaDB has no 3819; its 4031 is a CREATE TRIGGER ... FOLLOWS
// error), 1927, 4025 and 4151 MariaDB's (MySQL's 4025 and 4151 come from
// ALTER TABLESPACE and LOAD DATA ... ALGORITHM=BULK, which deltabridge never
// runs).
//
// Pure functions; thread-safe.
#pragma once

#include <string_view>

namespace deltabridge {

enum class MysqlErrorClass {
  // The connection is gone, or could not be made: a new connection may
  // succeed (client errors, the server shutting down, the connection killed
  // or timed out, network errors).
  kConnectionLost,
  // The connection is fine, but the server would not do this now: doing the
  // transaction again may succeed (deadlock, lock wait timeout, too many
  // connections).
  kRetryTransaction,
  // The statement's data was refused (a constraint, a bad or out-of-range
  // value); doing it again will not help.
  kRejected,
  // Access or permission: the login, the host, a missing privilege, a locked
  // account. An operator must act.
  kAccessDenied,
  // Anything else (bad SQL, a missing table, a server setting).
  kOther,
};

// The class of MySQL/MariaDB error `number` with SQLSTATE `sqlstate` ("" when
// unknown). 0 (no error number) is kOther unless the SQLSTATE says more.
MysqlErrorClass ClassOfMysqlError(unsigned number, std::string_view sqlstate = {});

// "connection lost", "retry the transaction", "rejected", "access denied",
// "other".
std::string_view MysqlErrorClassName(MysqlErrorClass error_class);

}  // namespace deltabridge
