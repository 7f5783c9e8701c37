// Helpers shared by the binlog decoder tests: reading fixture files and
// decoding a binlog (file or bytes) to the JSON lines `deltabridge binlog`
// prints.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cdc/core/status.h"
#include "cdc/mysql/binlog_change_builder.h"

namespace deltabridge::mysql::test {

// The directory holding the captured MySQL binlogs (tests/mysql/fixtures).
std::string FixtureDir();
std::string GoldenDir();
std::string ReadFileBytes(const std::string& path);

struct Decoded {
  Status status;
  std::vector<BinlogTransaction> transactions;
  std::vector<std::string> lines;  // envelope JSON, seq from 1, bridge "binlog"
};

// Decodes whole-file bytes (magic first) named `name` (positions use it).
Decoded DecodeBytes(std::string_view bytes, const std::string& name, bool verify_checksums = true);
Decoded DecodeFile(const std::string& path);

}  // namespace deltabridge::mysql::test
