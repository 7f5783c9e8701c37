#include "tests/mysql/binlog_test_util.h"

#include <fstream>
#include <sstream>

#include "cdc/mysql/binlog_event_decoder.h"
#include "cdc/mysql/binlog_reader.h"
#include "cdc/wire/envelope.h"

namespace deltabridge::mysql::test {

std::string FixtureDir() { return DELTABRIDGE_MYSQL_TEST_DIR "/fixtures"; }
std::string GoldenDir() { return DELTABRIDGE_MYSQL_TEST_DIR "/golden"; }

std::string ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

namespace {

Decoded Run(const std::string& name,
            const std::function<Status(BinlogEventDecoder*, const BinlogEventCallback&)>& read) {
  Decoded out;
  uint64_t seq = 0;
  BinlogChangeBuilder builder({}, [&](BinlogTransaction&& tx) -> Status {
    for (const Change& c : tx.changes) {
      Delta d;
      d.seq = ++seq;
      d.bridge = "binlog";
      d.change = c;
      out.lines.push_back(EncodeEnvelope(d));
    }
    out.transactions.push_back(std::move(tx));
    return Status::Ok();
  });
  builder.set_file_name(name);
  BinlogEventDecoder decoder;
  out.status = read(&decoder, [&](const BinlogEvent& ev) { return builder.OnEvent(ev); });
  return out;
}

}  // namespace

Decoded DecodeBytes(std::string_view bytes, const std::string& name, bool verify_checksums) {
  return Run(name, [&](BinlogEventDecoder* d, const BinlogEventCallback& cb) {
    d->set_verify_checksums(verify_checksums);
    return ForEachBinlogEventInBuffer(bytes, name, d, cb);
  });
}

Decoded DecodeFile(const std::string& path) {
  size_t slash = path.find_last_of('/');
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  return Run(name, [&](BinlogEventDecoder* d, const BinlogEventCallback& cb) {
    return ForEachBinlogEvent(path, d, cb);
  });
}

}  // namespace deltabridge::mysql::test
