#include "cdc/clients/mysql/mysql_errors.h"

namespace deltabridge {

MysqlErrorClass ClassOfMysqlError(unsigned number, std::string_view sqlstate) {
  switch (number) {
    // The server ended the connection, or the network did.
    case 1053:  // ER_SERVER_SHUTDOWN
    case 1152:  // ER_ABORTING_CONNECTION
    case 1154:  // ER_NET_READ_ERROR_FROM_PIPE
    case 1155:  // ER_NET_FCNTL_ERROR
    case 1156:  // ER_NET_PACKETS_OUT_OF_ORDER
    case 1157:  // ER_NET_UNCOMPRESS_ERROR
    case 1158:  // ER_NET_READ_ERROR
    case 1159:  // ER_NET_READ_INTERRUPTED
    case 1160:  // ER_NET_ERROR_ON_WRITE
    case 1161:  // ER_NET_WRITE_INTERRUPTED
    case 1184:  // ER_NEW_ABORTING_CONNECTION (e.g. init_connect failed)
    case 1927:  // ER_CONNECTION_KILLED (MariaDB: KILL CONNECTION)
    case 4031:  // ER_CLIENT_INTERACTION_TIMEOUT (MySQL 8: idle past wait_timeout)
    case 5013:  // CR_ERR_NET_READ (MariaDB Connector/C)
    case 5014:  // CR_ERR_NET_WRITE (MariaDB Connector/C)
      return MysqlErrorClass::kConnectionLost;

    // The server closes the connection after a packet larger than
    // max_allowed_packet, but would refuse the same packet again: the setting
    // must change.
    case 1153:  // ER_NET_PACKET_TOO_LARGE
      return MysqlErrorClass::kOther;

    // Client errors about using the statement API, not about the connection.
    case 2030:  // CR_NO_PREPARE_STMT
    case 2031:  // CR_PARAMS_NOT_BOUND
    case 2032:  // CR_DATA_TRUNCATED
    case 2033:  // CR_NO_PARAMETERS_EXISTS
    case 2034:  // CR_INVALID_PARAMETER_NO
    case 2035:  // CR_INVALID_BUFFER_USE
    case 2036:  // CR_UNSUPPORTED_PARAM_TYPE
    case 2050:  // CR_FETCH_CANCELED
    case 2051:  // CR_NO_DATA
    case 2052:  // CR_NO_STMT_METADATA
    case 2053:  // CR_NO_RESULT_SET
    case 2054:  // CR_NOT_IMPLEMENTED
    case 2056:  // CR_STMT_CLOSED
    case 2057:  // CR_NEW_STMT_METADATA
      return MysqlErrorClass::kOther;

    // The server would not do it now; the connection is fine.
    case 1040:  // ER_CON_COUNT_ERROR: too many connections
    case 1203:  // ER_TOO_MANY_USER_CONNECTIONS: max_user_connections
    case 1205:  // ER_LOCK_WAIT_TIMEOUT
    case 1213:  // ER_LOCK_DEADLOCK: the transaction was rolled back
    case 1226:  // ER_USER_LIMIT_REACHED: an hourly max_* limit, reset each hour
    case 1637:  // ER_TOO_MANY_CONCURRENT_TRXS
      return MysqlErrorClass::kRetryTransaction;

    // This statement's data. Some carry a generic SQLSTATE (1364, 1366:
    // HY000; 1265, an error in strict mode: 01000), so the number decides.
    case 1048:  // ER_BAD_NULL_ERROR: column cannot be null
    case 1062:  // ER_DUP_ENTRY
    case 1264:  // ER_WARN_DATA_OUT_OF_RANGE
    case 1265:  // WARN_DATA_TRUNCATED (strict mode: a bad ENUM or SET value)
    case 1292:  // ER_TRUNCATED_WRONG_VALUE (a bad date or number)
    case 1364:  // ER_NO_DEFAULT_FOR_FIELD: a NOT NULL column got no value
    case 1366:  // ER_TRUNCATED_WRONG_VALUE_FOR_FIELD: incorrect value
    case 1367:  // ER_ILLEGAL_VALUE_FOR_TYPE
    case 1406:  // ER_DATA_TOO_LONG
    case 1451:  // ER_ROW_IS_REFERENCED_2: a foreign key refers to the row
    case 1452:  // ER_NO_REFERENCED_ROW_2: the foreign key's row is missing
    case 1690:  // ER_DATA_OUT_OF_RANGE
    case 3819:  // ER_CHECK_CONSTRAINT_VIOLATED (MySQL)
    case 4025:  // ER_CONSTRAINT_FAILED (MariaDB CHECK)
      return MysqlErrorClass::kRejected;

    // Who may connect and what they may do. A blocked host stays blocked
    // until FLUSH HOSTS: reconnecting does not help.
    case 1044:  // ER_DBACCESS_DENIED_ERROR
    case 1045:  // ER_ACCESS_DENIED_ERROR
    case 1129:  // ER_HOST_IS_BLOCKED
    case 1130:  // ER_HOST_NOT_PRIVILEGED
    case 1142:  // ER_TABLEACCESS_DENIED_ERROR
    case 1143:  // ER_COLUMNACCESS_DENIED_ERROR
    case 1227:  // ER_SPECIFIC_ACCESS_DENIED_ERROR (e.g. REPLICATION SLAVE)
    case 1370:  // ER_PROCACCESS_DENIED_ERROR
    case 1698:  // ER_ACCESS_DENIED_NO_PASSWORD_ERROR
    case 1820:  // ER_MUST_CHANGE_PASSWORD
    case 1862:  // ER_MUST_CHANGE_PASSWORD_LOGIN
    case 3118:  // ER_ACCOUNT_HAS_BEEN_LOCKED (MySQL)
    case 4151:  // ER_ACCOUNT_HAS_BEEN_LOCKED (MariaDB)
      return MysqlErrorClass::kAccessDenied;

    default:
      break;
  }
  // Every other client library error (cannot connect, unknown host, server
  // gone, lost during a query, handshake or TLS failure, malformed packet,
  // commands out of sync) leaves no usable connection.
  if (number >= 2000 && number <= 2999) return MysqlErrorClass::kConnectionLost;

  const std::string_view cls = sqlstate.size() == 5 ? sqlstate.substr(0, 2) : std::string_view();
  if (cls == "08") return MysqlErrorClass::kConnectionLost;
  if (cls == "40") return MysqlErrorClass::kRetryTransaction;
  if (cls == "22" || cls == "23") return MysqlErrorClass::kRejected;
  if (cls == "28") return MysqlErrorClass::kAccessDenied;
  return MysqlErrorClass::kOther;
}

std::string_view MysqlErrorClassName(MysqlErrorClass error_class) {
  switch (error_class) {
    case MysqlErrorClass::kConnectionLost:
      return "connection lost";
    case MysqlErrorClass::kRetryTransaction:
      return "retry the transaction";
    case MysqlErrorClass::kRejected:
      return "rejected";
    case MysqlErrorClass::kAccessDenied:
      return "access denied";
    case MysqlErrorClass::kOther:
      return "other";
  }
  return "other";
}

}  // namespace deltabridge
