#include "tests/sinks/odbc/odbc_test_drivers.h"

#include <unistd.h>

#include <cstdlib>

namespace deltabridge::test {
namespace {

constexpr const char* kDriverDir = "/usr/lib/x86_64-linux-gnu/odbc/";

Result<std::string> FindDriver(const char* env, const char* file, const char* package) {
  const char* configured = std::getenv(env);
  std::string path = (configured != nullptr && configured[0] != '\0')
                         ? std::string(configured)
                         : std::string(kDriverDir) + file;
  if (::access(path.c_str(), R_OK) != 0) {
    return Status::NotFound(std::string("no ODBC driver at ") + path + ": install the Debian " +
                            "package " + package + " (scripts/install-deps.sh) or set " + env);
  }
  return path;
}

}  // namespace

Result<std::string> SqliteOdbcDriver() {
  return FindDriver("DELTABRIDGE_ODBC_SQLITE_DRIVER", "libsqlite3odbc.so", "libsqliteodbc");
}

Result<std::string> PostgresOdbcDriver() {
  return FindDriver("DELTABRIDGE_ODBC_PSQL_DRIVER", "psqlodbcw.so", "odbc-postgresql");
}

Result<std::string> MariadbOdbcDriver() {
  return FindDriver("DELTABRIDGE_ODBC_MARIADB_DRIVER", "libmaodbc.so", "odbc-mariadb");
}

std::string SqliteConnectionString(const std::string& driver, const std::string& database_file) {
  return "Driver=" + driver + ";Database=" + database_file + ";";
}

std::string PostgresConnectionString(const std::string& driver, int port,
                                     const std::string& database) {
  return "Driver=" + driver + ";Server=127.0.0.1;Port=" + std::to_string(port) +
         ";Database=" + database + ";Uid=postgres;";
}

std::string MariadbConnectionString(const std::string& driver, int port,
                                    const std::string& database, const std::string& user,
                                    const std::string& password) {
  std::string braced = "{";  // a braced value may hold ';', and '}' is doubled
  for (char c : password) braced += c == '}' ? std::string("}}") : std::string(1, c);
  braced += "}";
  return "Driver=" + driver + ";Server=127.0.0.1;Port=" + std::to_string(port) +
         ";Database=" + database + ";Uid=" + user + ";Pwd=" + braced + ";";
}

}  // namespace deltabridge::test
