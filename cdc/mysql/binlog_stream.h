// BinlogStream: a replica's binlog stream over a MysqlConn: registers the
// session as a replica (checksum awareness, MariaDB capability, heartbeat
// period), sends COM_BINLOG_DUMP for a file and offset (or, to resume by GTID,
// sets MariaDB's @slave_connect_state or sends MySQL's COM_BINLOG_DUMP_GTID),
// and hands back each
// event's raw bytes (header, body and checksum) for BinlogEventDecoder.
//
// Transport only: no event is interpreted here. We send the dump command
// through Connector/C's db_command and read packets with
// mysql_net_read_packet rather than use mariadb_rpl_fetch, which parses
// every event itself (and cannot parse all that our decoder does, see
// docs/mysql-source.md).
//
// Borrows the connection, which must stay live and otherwise unused while
// the stream is in use (the dump occupies it until it is closed).
// Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "cdc/core/status.h"
#include "cdc/mysql/binlog_event.h"
#include "cdc/mysql/mysql_connection.h"
#include "cdc/mysql/mysql_gtid_set.h"

namespace deltabridge::mysql {

class BinlogStream {
 public:
  struct Options {
    uint32_t server_id = 0;  // unique among the server's replicas
    // The server sends a heartbeat after this long without events; the
    // stream is deemed dead after `dead_after` without any packet.
    std::chrono::milliseconds heartbeat{1000};
    std::chrono::milliseconds dead_after{30000};
  };
  struct Packet {
    enum class Kind { kEvent, kTimeout, kEnd } kind = Kind::kTimeout;
    std::string_view bytes;  // kEvent: the event; valid until the next Read
  };

  explicit BinlogStream(MysqlConn* conn) : conn_(conn) {}

  // Starts streaming at `file`:`offset`. Errors: Unavailable when the
  // connection fails; FailedPrecondition when the server refuses the
  // position (error 1236, e.g. the file was purged), with its message.
  Status Start(const std::string& file, uint64_t offset, const Options& options);
  // MariaDB: starts after the GTID state `gtid_list` ("0-1-42,1-1-7") instead
  // of a file position (@slave_connect_state); the server begins with a
  // ROTATE naming the file it reads from. Error 1236 when it no longer has
  // the transactions that follow that state.
  Status StartGtid(const std::string& gtid_list, const Options& options);
  // MySQL: starts with the first transaction not in `executed`
  // (COM_BINLOG_DUMP_GTID); the server begins with a ROTATE naming the file.
  // Error 1236 when it no longer has (or never had) a transaction that is
  // not in the set.
  Status StartMysqlGtid(const MysqlGtidSet& executed, const Options& options);

  // Waits up to `wait` for the next packet.
  Result<Packet> Read(std::chrono::milliseconds wait);

  // The checksum algorithm the server adds to events (@@global.binlog_checksum).
  ChecksumAlg checksum() const { return checksum_; }

 private:
  // Sets the session variables a replica sets before a dump.
  Status Prepare(const Options& options);
  bool Buffered() const;

  MysqlConn* conn_;  // borrowed
  Options opt_;
  ChecksumAlg checksum_ = ChecksumAlg::kOff;
  std::chrono::steady_clock::time_point last_packet_;
};

}  // namespace deltabridge::mysql
