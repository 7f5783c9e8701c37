// OdbcCategoryOfType as a pure function: the type names SQLite, psqlODBC and
// MariaDB Connector/ODBC report through SQLColumns.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "sinks/odbc/odbc_session.h"

namespace deltabridge {
namespace {

using C = ColumnCategory;

struct Case {
  std::string type;
  ColumnCategory expected;
};

void ExpectCategories(SqlDialect dialect, const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    EXPECT_EQ(ColumnCategoryName(OdbcCategoryOfType(c.type, dialect)),
              ColumnCategoryName(c.expected))
        << "type \"" << c.type << "\" for " << SqlDialectName(dialect);
  }
}

TEST(OdbcCategoryOfTypeTest, SqliteDeclaredTypes) {
  ExpectCategories(SqlDialect::kSqlite, {
                                            {"INTEGER", C::kInteger},
                                            {"integer", C::kInteger},
                                            {"INT", C::kInteger},
                                            {"BIGINT", C::kInteger},
                                            {"UNSIGNED BIG INT", C::kInteger},
                                            {"TEXT", C::kText},
                                            {"VARCHAR(20)", C::kText},
                                            {"varchar(20)", C::kText},
                                            {"NVARCHAR(100)", C::kText},
                                            {"CHARACTER(20)", C::kText},
                                            {"CLOB", C::kText},
                                            {"REAL", C::kFloat},
                                            {"DOUBLE", C::kFloat},
                                            {"DOUBLE PRECISION", C::kFloat},
                                            {"FLOAT", C::kFloat},
                                            {"BLOB", C::kBinary},
                                            {"NUMERIC", C::kDecimal},
                                            {"DECIMAL(10,5)", C::kDecimal},
                                            {"BOOLEAN", C::kBool},
                                            {"DATE", C::kDate},
                                            {"DATETIME", C::kTimestamp},
                                            {"TIMESTAMP", C::kTimestamp},
                                            {"TIME", C::kTime},
                                            {"JSON", C::kJson},
                                            // SQLite's affinity rules for other names.
                                            {"MEDIUM_INTEGER_THING", C::kInteger},
                                            {"MYCHARS", C::kText},
                                            {"BLOBBY", C::kBinary},
                                            {"FLOATING", C::kFloat},
                                            {"MONEY", C::kDecimal},
                                            {"", C::kOther},
                                        });
}

TEST(OdbcCategoryOfTypeTest, PostgresNamesFromPsqlodbc) {
  ExpectCategories(SqlDialect::kGeneric, {
                                             {"int2", C::kInteger},
                                             {"int4", C::kInteger},
                                             {"int8", C::kInteger},
                                             {"serial", C::kInteger},
                                             {"bigserial", C::kInteger},
                                             {"numeric", C::kDecimal},
                                             {"numeric(10,2)", C::kDecimal},
                                             {"float4", C::kFloat},
                                             {"float8", C::kFloat},
                                             {"double precision", C::kFloat},
                                             {"bool", C::kBool},
                                             {"varchar", C::kText},
                                             {"varchar(20)", C::kText},
                                             {"character varying(20)", C::kText},
                                             {"bpchar", C::kText},
                                             {"char(3)", C::kText},
                                             {"text", C::kText},
                                             {"name", C::kText},
                                             {"bytea", C::kBinary},
                                             {"date", C::kDate},
                                             {"time", C::kTime},
                                             {"time without time zone", C::kTime},
                                             {"timetz", C::kOther},
                                             {"time with time zone", C::kOther},
                                             {"timestamp", C::kTimestamp},
                                             {"timestamp without time zone", C::kTimestamp},
                                             {"timestamp(3) without time zone", C::kTimestamp},
                                             {"timestamptz", C::kTimestampTz},
                                             {"timestamp with time zone", C::kTimestampTz},
                                             {"timestamp(6) with time zone", C::kTimestampTz},
                                             {"json", C::kJson},
                                             {"jsonb", C::kJson},
                                             {"uuid", C::kOther},
                                             {"interval", C::kOther},
                                             {"inet", C::kOther},
                                             {"point", C::kOther},
                                             {"_int4", C::kOther},
                                             {"bit", C::kBool},
                                             {"bit(1)", C::kBool},
                                             {"bit(8)", C::kOther},
                                             {"bit varying(8)", C::kOther},
                                             {"money", C::kOther},
                                             // An unknown name is kOther outside SQLite.
                                             {"MONEY_LIKE", C::kOther},
                                         });
}

TEST(OdbcCategoryOfTypeTest, MysqlNamesFromMariadbConnector) {
  ExpectCategories(SqlDialect::kMysql, {
                                           {"tinyint", C::kInteger},
                                           {"tinyint(1)", C::kInteger},
                                           {"smallint", C::kInteger},
                                           {"mediumint", C::kInteger},
                                           {"int", C::kInteger},
                                           {"int unsigned", C::kInteger},
                                           {"bigint unsigned", C::kInteger},
                                           {"year", C::kInteger},
                                           {"decimal", C::kDecimal},
                                           {"decimal(12,2) unsigned", C::kDecimal},
                                           {"float", C::kFloat},
                                           {"double", C::kFloat},
                                           {"char", C::kText},
                                           {"varchar(20)", C::kText},
                                           {"text", C::kText},
                                           {"longtext", C::kText},
                                           {"enum", C::kText},
                                           {"set", C::kText},
                                           {"blob", C::kBinary},
                                           {"mediumblob", C::kBinary},
                                           {"longblob", C::kBinary},
                                           {"binary(16)", C::kBinary},
                                           {"varbinary(255)", C::kBinary},
                                           {"bit", C::kBool},
                                           {"bool", C::kBool},
                                           {"boolean", C::kBool},
                                           {"date", C::kDate},
                                           {"time", C::kTime},
                                           {"datetime", C::kTimestamp},
                                           {"DATETIME(6)", C::kTimestamp},
                                           // MySQL stores TIMESTAMP in UTC.
                                           {"timestamp", C::kTimestampTz},
                                           {"json", C::kJson},
                                           {"geometry", C::kOther},
                                       });
}

TEST(OdbcCategoryOfTypeTest, TimestampDependsOnDialect) {
  EXPECT_EQ(OdbcCategoryOfType("timestamp", SqlDialect::kGeneric), C::kTimestamp);
  EXPECT_EQ(OdbcCategoryOfType("timestamp", SqlDialect::kSqlite), C::kTimestamp);
  EXPECT_EQ(OdbcCategoryOfType("timestamp", SqlDialect::kMysql), C::kTimestampTz);
}

}  // namespace
}  // namespace deltabridge
