// The one table of MySQL/MariaDB errors (cdc/clients/mysql/mysql_errors.h),
// including the codes on which the source, the MySQL target and the ODBC
// target used to disagree.
#include "cdc/clients/mysql/mysql_errors.h"

#include <gtest/gtest.h>

#include <initializer_list>

namespace deltabridge {
namespace {

using C = MysqlErrorClass;

void ExpectAll(std::initializer_list<unsigned> numbers, std::string_view sqlstate, C expected) {
  for (unsigned number : numbers) {
    EXPECT_EQ(ClassOfMysqlError(number, sqlstate), expected)
        << number << " (" << sqlstate
        << "): " << MysqlErrorClassName(ClassOfMysqlError(number, sqlstate));
  }
}

TEST(MysqlErrorsTest, LostConnections) {
  // The client library's errors about the connection, server or network.
  ExpectAll({2001, 2002, 2003, 2004, 2005, 2006, 2012, 2013, 2014, 2026, 2027, 2055}, "HY000",
            C::kConnectionLost);
  ExpectAll({1053, 1152, 1154, 1155, 1156, 1157, 1158, 1159, 1160, 1161, 1184}, "08S01",
            C::kConnectionLost);
  ExpectAll({1927, 4031}, "HY000", C::kConnectionLost);  // killed; MySQL 8 idle timeout
  ExpectAll({5013, 5014}, "HY000", C::kConnectionLost);  // MariaDB Connector/C network errors
  // Without a SQLSTATE, as MysqlErrorLosesConnection asks.
  ExpectAll({2006, 2013, 1053, 1927, 4031}, "", C::kConnectionLost);
}

TEST(MysqlErrorsTest, RetryTheTransaction) {
  ExpectAll({1205, 1213, 1040, 1203, 1226, 1637}, "", C::kRetryTransaction);
  EXPECT_EQ(ClassOfMysqlError(1213, "40001"), C::kRetryTransaction);
  EXPECT_EQ(ClassOfMysqlError(1040, "08004"), C::kRetryTransaction);  // the number decides
}

TEST(MysqlErrorsTest, RejectedData) {
  ExpectAll({1048, 1062, 1264, 1265, 1292, 1364, 1366, 1367, 1406, 1451, 1452, 1690, 3819, 4025},
            "HY000", C::kRejected);
  EXPECT_EQ(ClassOfMysqlError(1265, "01000"), C::kRejected);  // strict mode's truncation
}

TEST(MysqlErrorsTest, AccessDenied) {
  ExpectAll({1044, 1045, 1129, 1130, 1142, 1143, 1227, 1370, 1698, 1820, 1862, 3118, 4151}, "",
            C::kAccessDenied);
}

TEST(MysqlErrorsTest, Other) {
  ExpectAll({1046, 1049, 1064, 1146, 1054, 1290, 1236}, "42000", C::kOther);
  EXPECT_EQ(ClassOfMysqlError(0, ""), C::kOther);
  // Packet too large closes the connection, but the same packet would fail
  // again: not a reason to reconnect, even with its 08S01.
  EXPECT_EQ(ClassOfMysqlError(1153, "08S01"), C::kOther);
  // The client's statement-API errors say nothing about the connection.
  ExpectAll({2030, 2031, 2032, 2033, 2034, 2035, 2036, 2050, 2051, 2052, 2053, 2054, 2056, 2057},
            "HY000", C::kOther);
}

TEST(MysqlErrorsTest, SqlstateClassifiesUnlistedNumbers) {
  EXPECT_EQ(ClassOfMysqlError(9999, "08S01"), C::kConnectionLost);
  EXPECT_EQ(ClassOfMysqlError(9999, "40001"), C::kRetryTransaction);
  EXPECT_EQ(ClassOfMysqlError(9999, "22012"), C::kRejected);
  EXPECT_EQ(ClassOfMysqlError(9999, "23505"), C::kRejected);
  EXPECT_EQ(ClassOfMysqlError(9999, "28000"), C::kAccessDenied);
  EXPECT_EQ(ClassOfMysqlError(9999, "42000"), C::kOther);
  EXPECT_EQ(ClassOfMysqlError(9999, "HY000"), C::kOther);
  EXPECT_EQ(ClassOfMysqlError(9999, "22"), C::kOther);  // not a SQLSTATE
  // A listed number is not overridden by its SQLSTATE.
  EXPECT_EQ(ClassOfMysqlError(1062, "08S01"), C::kRejected);
}

// The codes the three former tables disagreed on, with the one answer now.
TEST(MysqlErrorsTest, FormerDisagreements) {
  // Lock wait timeout and deadlock: the source called them InvalidArgument.
  EXPECT_EQ(ClassOfMysqlError(1205, "HY000"), C::kRetryTransaction);
  EXPECT_EQ(ClassOfMysqlError(1213, "40001"), C::kRetryTransaction);
  // A blocked host needs FLUSH HOSTS; the source reconnected forever.
  EXPECT_EQ(ClassOfMysqlError(1129, "HY000"), C::kAccessDenied);
  // Too many connections: the source a lost connection, the ODBC target
  // nothing; the connection itself is not lost.
  EXPECT_EQ(ClassOfMysqlError(1040, "08004"), C::kRetryTransaction);
  EXPECT_EQ(ClassOfMysqlError(1203, "42000"), C::kRetryTransaction);
  // MySQL 8's idle disconnect: only the MySQL target knew it.
  EXPECT_EQ(ClassOfMysqlError(4031, "HY000"), C::kConnectionLost);
  // Illegal value for the type: the MySQL target's Rejected, not the ODBC
  // target's.
  EXPECT_EQ(ClassOfMysqlError(1367, "22007"), C::kRejected);
  // Aborted connections and network errors: only the source knew them.
  ExpectAll({1152, 1158, 1159, 1160, 1161, 1184}, "08S01", C::kConnectionLost);
  // Client errors beyond 2002/2003/2006/2013/2055: only the source knew them.
  ExpectAll({2005, 2012, 2026, 2027}, "HY000", C::kConnectionLost);
}

TEST(MysqlErrorsTest, Names) {
  EXPECT_EQ(MysqlErrorClassName(C::kConnectionLost), "connection lost");
  EXPECT_EQ(MysqlErrorClassName(C::kRetryTransaction), "retry the transaction");
  EXPECT_EQ(MysqlErrorClassName(C::kRejected), "rejected");
  EXPECT_EQ(MysqlErrorClassName(C::kAccessDenied), "access denied");
  EXPECT_EQ(MysqlErrorClassName(C::kOther), "other");
}

}  // namespace
}  // namespace deltabridge
