// Test helpers for the pgoutput golden files (tests/pg/golden/):
//  - ReadGoldenMessages: the messages of a .hex capture, as bytes;
//  - DumpHandler: a PgOutputHandler that writes one readable line per message,
//    the format of the .expected files (see tests/pg/README.md);
//  - CollectingHandler: keeps a copy of every decoded struct, for assertions.
//    The copies point into the message buffers, which must outlive them.
// Test-only; thread-compatible.
#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "cdc/pg/pgoutput_decoder.h"

namespace deltabridge::testing {

// Directory of the golden files (set by tests/pg/CMakeLists.txt).
std::string GoldenDir();

// Reads GoldenDir()/name: one hex-encoded message per line, '#' lines and
// blank lines skipped. Fails the calling test (and returns what it has) when
// the file is missing or a line is not hex.
std::vector<std::string> ReadGoldenMessages(const std::string& name);

// Reads a whole file; empty when missing.
std::string ReadFileOrEmpty(const std::string& path);

// True when DELTABRIDGE_UPDATE_GOLDEN=1: tests rewrite the .expected files
// instead of comparing (then review the diff).
bool UpdateGolden();
void WriteFile(const std::string& path, const std::string& contents);

// Compares `actual` with the golden file at `path`, line by line, failing the
// calling test at the first line that differs, is missing or is extra (naming
// path:line); with UpdateGolden(), rewrites the file and skips the test.
// Call it last: a failure returns from it, not from the test.
void ExpectMatchesGolden(const std::string& path, const std::string& actual);

// Readable forms for the dumps: a text value as t:'text' with quotes,
// backslashes and non-printable bytes escaped (\xNN) and long ones cut to
// their start and length; a binary value as b:0x<hex>; null as n, unchanged
// TOAST as u.
std::string DumpTupleValue(const pgoutput::TupleValue& v);
std::string DumpTuple(const pgoutput::Tuple& t);
std::string QuoteBytes(std::string_view bytes);

class DumpHandler : public PgOutputHandler {
 public:
  const std::vector<std::string>& lines() const { return lines_; }

  Status OnBegin(const pgoutput::Begin& m) override;
  Status OnMessage(const pgoutput::Message& m) override;
  Status OnCommit(const pgoutput::Commit& m) override;
  Status OnOrigin(const pgoutput::Origin& m) override;
  Status OnRelation(const pgoutput::Relation& m) override;
  Status OnType(const pgoutput::Type& m) override;
  Status OnInsert(const pgoutput::Insert& m) override;
  Status OnUpdate(const pgoutput::Update& m) override;
  Status OnDelete(const pgoutput::Delete& m) override;
  Status OnTruncate(const pgoutput::Truncate& m) override;
  Status OnStreamStart(const pgoutput::StreamStart& m) override;
  Status OnStreamStop(const pgoutput::StreamStop& m) override;
  Status OnStreamCommit(const pgoutput::StreamCommit& m) override;
  Status OnStreamAbort(const pgoutput::StreamAbort& m) override;

 private:
  Status Add(std::string line);
  std::vector<std::string> lines_;
};

using Event = std::variant<pgoutput::Begin, pgoutput::Message, pgoutput::Commit, pgoutput::Origin,
                           pgoutput::Relation, pgoutput::Type, pgoutput::Insert, pgoutput::Update,
                           pgoutput::Delete, pgoutput::Truncate, pgoutput::StreamStart,
                           pgoutput::StreamStop, pgoutput::StreamCommit, pgoutput::StreamAbort>;

class CollectingHandler : public PgOutputHandler {
 public:
  std::vector<Event> events;

  Status OnBegin(const pgoutput::Begin& m) override { return Keep(m); }
  Status OnMessage(const pgoutput::Message& m) override { return Keep(m); }
  Status OnCommit(const pgoutput::Commit& m) override { return Keep(m); }
  Status OnOrigin(const pgoutput::Origin& m) override { return Keep(m); }
  Status OnRelation(const pgoutput::Relation& m) override { return Keep(m); }
  Status OnType(const pgoutput::Type& m) override { return Keep(m); }
  Status OnInsert(const pgoutput::Insert& m) override { return Keep(m); }
  Status OnUpdate(const pgoutput::Update& m) override { return Keep(m); }
  Status OnDelete(const pgoutput::Delete& m) override { return Keep(m); }
  Status OnTruncate(const pgoutput::Truncate& m) override { return Keep(m); }
  Status OnStreamStart(const pgoutput::StreamStart& m) override { return Keep(m); }
  Status OnStreamStop(const pgoutput::StreamStop& m) override { return Keep(m); }
  Status OnStreamCommit(const pgoutput::StreamCommit& m) override { return Keep(m); }
  Status OnStreamAbort(const pgoutput::StreamAbort& m) override { return Keep(m); }

  template <typename T>
  std::vector<T> All() const {
    std::vector<T> out;
    for (const Event& e : events) {
      if (const T* m = std::get_if<T>(&e)) out.push_back(*m);
    }
    return out;
  }

 private:
  template <typename T>
  Status Keep(const T& m) {
    events.emplace_back(m);
    return Status::Ok();
  }
};

// Decodes every message with one decoder; fails the calling test on an error.
// `messages` must outlive the handler's copies.
void DecodeAll(const std::vector<std::string>& messages, PgOutputHandler* handler);

}  // namespace deltabridge::testing
