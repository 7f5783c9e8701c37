// `deltabridge binlog FILE... [--table PATTERN]...`: decodes captured binlog
// files offline with the decoder the live MySQL source uses, and prints each
// delta as one JSON line (the envelope of contract section 3, bridge and
// source "binlog", seq from 1 across the files).
#include <cstdio>
#include <string>

#include "app/commands.h"
#include "cdc/core/glob.h"
#include "cdc/mysql/binlog_change_builder.h"
#include "cdc/mysql/binlog_event_decoder.h"
#include "cdc/mysql/binlog_reader.h"
#include "cdc/wire/envelope.h"

namespace deltabridge {

int BinlogCommand(const BinlogArgs& args) {
  using namespace mysql;
  BinlogChangeBuilder::Options opt;
  opt.source = "binlog";
  if (!args.tables.empty()) {
    opt.include_table = [&args](const std::string& name) {
      for (const std::string& p : args.tables) {
        if (GlobMatch(p, name)) return true;
      }
      return false;
    };
  }
  uint64_t seq = 0;
  bool write_failed = false;
  BinlogChangeBuilder builder(opt, [&](BinlogTransaction&& tx) -> Status {
    for (Change& c : tx.changes) {
      Delta d;
      d.seq = ++seq;
      d.bridge = "binlog";
      d.change = std::move(c);
      std::string line = EncodeEnvelope(d);
      line += '\n';
      if (std::fwrite(line.data(), 1, line.size(), stdout) != line.size()) {
        write_failed = true;
        return Status::IoError("stdout closed");
      }
    }
    return Status::Ok();
  });
  uint64_t unknown = 0;
  for (const std::string& file : args.files) {
    size_t slash = file.find_last_of('/');
    builder.set_file_name(slash == std::string::npos ? file : file.substr(slash + 1));
    BinlogEventDecoder decoder;
    Status s = ForEachBinlogEvent(file, &decoder,
                                  [&](const BinlogEvent& ev) { return builder.OnEvent(ev); });
    unknown += decoder.stats().unknown_events;
    if (!s.ok()) {
      if (write_failed) return kExitOk;  // the reader went away (e.g. `| head`)
      std::fflush(stdout);
      std::fprintf(stderr, "binlog: %s\n", s.message().c_str());
      return kExitFailure;
    }
    if (builder.in_transaction()) {
      std::fprintf(stderr,
                   "binlog: %s: ends inside a transaction; its changes are not printed (the "
                   "next file does not continue it)\n",
                   file.c_str());
    }
  }
  if (unknown > 0) {
    std::fprintf(stderr, "binlog: skipped %llu events of unknown types\n",
                 static_cast<unsigned long long>(unknown));
  }
  if (std::fflush(stdout) != 0) return kExitOk;
  return kExitOk;
}

}  // namespace deltabridge
