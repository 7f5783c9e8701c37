#include "cdc/mysql/binlog_stream.h"

#include <mariadb/ma_pvio.h>
#include <mariadb/mysqld_error.h>
#include <poll.h>

#include <cctype>

namespace deltabridge::mysql {

namespace {

// The server's "fatal error reading binlog" (purged file, position past the
// end, missing GTID): the dump cannot go on from this position.
constexpr unsigned kErrMasterFatalReadingBinlog = 1236;
// MySQL's COM_BINLOG_DUMP_GTID (0x1e), which Connector/C's enum does not name.
constexpr auto kComBinlogDumpGtid = static_cast<enum enum_server_command>(30);

void Put(std::string* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

}  // namespace

Status BinlogStream::StartGtid(const std::string& gtid_list, const Options& options) {
  for (char c : gtid_list) {
    if (!std::isdigit(static_cast<unsigned char>(c)) && c != '-' && c != ',') {
      return Status::InvalidArgument("not a MariaDB GTID list: \"" + gtid_list + "\"");
    }
  }
  DB_RETURN_IF_ERROR(conn_->Exec("SET @slave_connect_state = '" + gtid_list + "'"));
  // With a connect state the server ignores the file and offset.
  return Start("", 4, options);
}

Status BinlogStream::Prepare(const Options& options) {
  opt_ = options;
  Result<std::optional<std::string>> alg = conn_->QueryValue("SELECT @@global.binlog_checksum");
  if (!alg.ok()) return alg.status();
  checksum_ = alg->value_or("NONE") == "CRC32" ? ChecksumAlg::kCrc32 : ChecksumAlg::kOff;
  // Checksum-aware replica: the server sends events with their checksums.
  // MySQL 8.0.26+ reads @source_binlog_checksum, older servers and MariaDB
  // @master_binlog_checksum; setting both is harmless.
  DB_RETURN_IF_ERROR(
      conn_->Exec("SET @master_binlog_checksum = @@global.binlog_checksum, "
                  "@source_binlog_checksum = @@global.binlog_checksum"));
  // MariaDB: we understand GTID events and the rest of 10.x's events (4 =
  // MARIA_SLAVE_CAPABILITY_GTID); MySQL ignores the variable.
  DB_RETURN_IF_ERROR(conn_->Exec("SET @mariadb_slave_capability = 4"));
  const long long ns = static_cast<long long>(opt_.heartbeat.count()) * 1000000LL;
  DB_RETURN_IF_ERROR(conn_->Exec("SET @master_heartbeat_period = " + std::to_string(ns) +
                                 ", @source_heartbeat_period = " + std::to_string(ns)));
  return Status::Ok();
}

Status BinlogStream::StartMysqlGtid(const MysqlGtidSet& executed, const Options& options) {
  DB_RETURN_IF_ERROR(Prepare(options));
  const std::string cmd = DumpGtidCommand(opt_.server_id, executed);
  MYSQL* m = conn_->get();
  if (m->methods->db_command(m, kComBinlogDumpGtid, cmd.data(), cmd.size(), 1, nullptr) != 0) {
    return conn_->LastError("COM_BINLOG_DUMP_GTID after " + executed.ToString());
  }
  last_packet_ = std::chrono::steady_clock::now();
  return Status::Ok();
}

Status BinlogStream::Start(const std::string& file, uint64_t offset, const Options& options) {
  DB_RETURN_IF_ERROR(Prepare(options));
  if (offset > 0xffffffffULL) {
    return Status::InvalidArgument("binlog offset " + std::to_string(offset) +
                                   " does not fit COM_BINLOG_DUMP");
  }
  std::string cmd;
  Put(&cmd, offset, 4);
  Put(&cmd, 0, 2);  // flags: block at the end of the binlog
  Put(&cmd, opt_.server_id, 4);
  cmd += file;
  MYSQL* m = conn_->get();
  if (m->methods->db_command(m, COM_BINLOG_DUMP, cmd.data(), cmd.size(), 1, nullptr) != 0) {
    return conn_->LastError("COM_BINLOG_DUMP " + file + ":" + std::to_string(offset));
  }
  last_packet_ = std::chrono::steady_clock::now();
  return Status::Ok();
}

bool BinlogStream::Buffered() const {
  // Connector/C reads ahead into the PVIO cache; bytes there are not
  // visible to poll() on the socket.
  const MARIADB_PVIO* pvio = conn_->get()->net.pvio;
  return pvio != nullptr && pvio->cache != nullptr &&
         pvio->cache + pvio->cache_size > pvio->cache_pos;
}

Result<BinlogStream::Packet> BinlogStream::Read(std::chrono::milliseconds wait) {
  MYSQL* m = conn_->get();
  if (!Buffered()) {
    pollfd pfd{};
    pfd.fd = static_cast<int>(mysql_get_socket(m));
    pfd.events = POLLIN;
    int r = poll(&pfd, 1, static_cast<int>(wait.count()));
    if (r < 0 && errno != EINTR) return Status::Unavailable("poll on the binlog connection failed");
    if (r <= 0) {
      if (std::chrono::steady_clock::now() - last_packet_ > opt_.dead_after) {
        return Status::Unavailable("no event or heartbeat from the server for " +
                                   std::to_string(opt_.dead_after.count() / 1000) + " s");
      }
      return Packet{};
    }
  }
  unsigned long len = mysql_net_read_packet(m);
  if (len == packet_error || len == 0) {
    unsigned e = mysql_errno(m);
    if (e == kErrMasterFatalReadingBinlog) {
      return Status::FailedPrecondition(std::string("the server cannot send the binlog from "
                                                    "this position: ") +
                                        mysql_error(m) + " (error 1236)");
    }
    return conn_->LastError("reading the binlog stream");
  }
  last_packet_ = std::chrono::steady_clock::now();
  const unsigned char* p = m->net.read_pos;
  if (p[0] == 0xfe && len < 8) return Packet{Packet::Kind::kEnd, {}};
  if (p[0] != 0x00) {
    return Status::Corruption("binlog stream packet starts with byte " + std::to_string(p[0]));
  }
  return Packet{Packet::Kind::kEvent,
                std::string_view(reinterpret_cast<const char*>(p) + 1, len - 1)};
}

}  // namespace deltabridge::mysql
