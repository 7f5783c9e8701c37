// Where the ODBC tests find their drivers, and the connection strings they
// build from them. Tests name a driver by its file ("Driver=/path/x.so"),
// never by a name registered in /etc/odbcinst.ini or a DSN of the machine.
//
// Each path is Debian 12's (packages libsqliteodbc, odbc-postgresql,
// odbc-mariadb, installed by scripts/install-deps.sh) unless an environment
// variable names another file: DELTABRIDGE_ODBC_SQLITE_DRIVER,
// DELTABRIDGE_ODBC_PSQL_DRIVER, DELTABRIDGE_ODBC_MARIADB_DRIVER.
// Pure functions of the environment; thread-safe.
#pragma once

#include <string>

#include "cdc/core/status.h"

namespace deltabridge::test {

// The driver's path, or NotFound naming the Debian package to install.
Result<std::string> SqliteOdbcDriver();
Result<std::string> PostgresOdbcDriver();
Result<std::string> MariadbOdbcDriver();

// "Driver=<path>;Database=<file>;" for a SQLite database file.
std::string SqliteConnectionString(const std::string& driver, const std::string& database_file);
// "Driver=<path>;Server=127.0.0.1;Port=<port>;Database=<db>;Uid=postgres;"
std::string PostgresConnectionString(const std::string& driver, int port,
                                     const std::string& database);
// "Driver=<path>;Server=127.0.0.1;Port=<port>;Database=<db>;Uid=<user>;Pwd=<password>;"
std::string MariadbConnectionString(const std::string& driver, int port,
                                    const std::string& database, const std::string& user,
                                    const std::string& password);

}  // namespace deltabridge::test
