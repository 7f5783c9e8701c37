// Tests of JsonlTarget (sinks/jsonl/jsonl_target.h): the line of each delta
// after its mapping (renames, exclusions, on_delete, every kind of value),
// checkpoints across reopen, the recovery cases of Open() (uncommitted tail,
// missing, shorter and foreign files, path change), Abort, the lock, write
// errors, and exactly-once across real SIGKILLs.

#include "sinks/jsonl/jsonl_target.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "cdc/core/utc_time.h"
#include "tests/support/temp_dir.h"

namespace deltabridge {
namespace {

using nlohmann::json;
using test::ReadFileToString;
using test::TempDir;
using test::WriteStringToFile;

constexpr int64_t kCommitUs = 1795782550839754;  // a fixed commit time (UTC, µs)
constexpr const char* kTopic = "parks.scheduling.public.tour_slots";

// parks.scheduling.public.tour_slots -> public.tour_slots, id renamed slot_id,
// internal_notes excluded.
MappingConfig TourSlots(OnDelete on_delete = OnDelete::kApply) {
  MappingConfig m;
  m.from = kTopic;
  m.to = "public.tour_slots";
  m.key = {"slot_id"};
  m.columns = {{"id", "slot_id"}, {"seats", "seats_taken"}};
  m.exclude = {"internal_notes"};
  m.on_delete = on_delete;
  if (on_delete == OnDelete::kSoft) m.soft_delete_column = "deleted_at";
  return m;
}

ColumnChange Col(std::string name, std::optional<Value> old_value, std::optional<Value> new_value) {
  return ColumnChange{std::move(name), std::move(old_value), std::move(new_value)};
}

Value Text(std::string s) { return Value::Textual(Value::Kind::kText, std::move(s), "text"); }

SinkDelta MakeDelta(const MappingConfig* mapping, uint64_t seq, Op op, int64_t id,
                    std::vector<ColumnChange> changes, bool tx_last = true) {
  SinkDelta d;
  d.delta.seq = seq;
  d.delta.bridge = "parks";
  d.topic = kTopic;
  d.mapping = mapping;
  Change& c = d.delta.change;
  c.source = "scheduling";
  c.table = "public.tour_slots";
  c.op = op;
  if (op != Op::kTruncate) c.key = {{"id", Value::Int(id, "int4")}};
  c.changes = std::move(changes);
  c.commit_time_us = kCommitUs;
  c.pos = "0/1949258";
  c.tx_id = "729";
  c.tx_last = tx_last;
  return d;
}

// An insert of row `id` with a status and a note (excluded).
SinkDelta Insert(const MappingConfig* mapping, uint64_t seq, int64_t id, bool tx_last = true) {
  return MakeDelta(
      mapping, seq, Op::kInsert, id,
      {Col("id", std::nullopt, Value::Int(id, "int4")), Col("status", std::nullopt, Text("open")),
       Col("internal_notes", std::nullopt, Text("secret"))},
      tx_last);
}

// The line AppendJsonlLine writes for `d`, parsed; null json when skipped.
json LineOf(const SinkDelta& d, JsonlLineKind* kind = nullptr,
            std::vector<std::string>* missing = nullptr) {
  std::string out;
  JsonlLineKind k = AppendJsonlLine(d, &out, missing);
  if (kind != nullptr) *kind = k;
  if (k == JsonlLineKind::kSkipped) {
    EXPECT_TRUE(out.empty()) << out;
    return json();
  }
  EXPECT_FALSE(out.empty());
  EXPECT_EQ(out.back(), '\n');
  EXPECT_EQ(out.find('\n'), out.size() - 1) << "one line per delta";
  return json::parse(out);
}

std::vector<std::string> ReadLines(const std::string& path) {
  auto text = ReadFileToString(path);
  if (!text.ok()) return {};
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text->size()) {
    size_t nl = text->find('\n', start);
    if (nl == std::string::npos) {
      lines.push_back(text->substr(start));  // a partial last line: tests flag it
      break;
    }
    lines.push_back(text->substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

uint64_t FileSize(const std::string& path) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  return ec ? 0 : static_cast<uint64_t>(size);
}

// ---- the line

TEST(JsonlLineTest, InsertIsRenamedAndExcludedExactly) {
  MappingConfig m = TourSlots();
  std::string out;
  EXPECT_EQ(AppendJsonlLine(Insert(&m, 4, 1), &out), JsonlLineKind::kInsert);
  EXPECT_EQ(out,
            "{\"seq\":4,\"bridge\":\"parks\",\"source\":\"scheduling\","
            "\"topic\":\"parks.scheduling.public.tour_slots\",\"table\":\"public.tour_slots\","
            "\"op\":\"insert\",\"key\":{\"slot_id\":1},"
            "\"changes\":{\"slot_id\":{\"new\":1},\"status\":{\"new\":\"open\"}},"
            "\"ts\":\"" +
                FormatUtcMicros(kCommitUs) + "\",\"tx\":{\"id\":\"729\",\"last\":true}}\n");
}

TEST(JsonlLineTest, FieldsOfAnUpdate) {
  MappingConfig m = TourSlots();
  SinkDelta d = MakeDelta(&m, 5, Op::kUpdate, 2,
                          {Col("seats", Value::Int(3, "int4"), Value::Int(4, "int4")),
                           Col("internal_notes", Text("a"), Text("b"))},
                          /*tx_last=*/false);
  JsonlLineKind kind;
  json j = LineOf(d, &kind);
  EXPECT_EQ(kind, JsonlLineKind::kUpdate);
  EXPECT_EQ(j["seq"], 5);
  EXPECT_EQ(j["bridge"], "parks");
  EXPECT_EQ(j["source"], "scheduling");
  EXPECT_EQ(j["topic"], kTopic);
  EXPECT_EQ(j["table"], "public.tour_slots");
  EXPECT_EQ(j["op"], "update");
  EXPECT_EQ(j["key"], json({{"slot_id", 2}}));
  EXPECT_EQ(j["changes"], json({{"seats_taken", {{"old", 3}, {"new", 4}}}}));
  EXPECT_EQ(j["ts"], FormatUtcMicros(kCommitUs));
  EXPECT_EQ(j["tx"], json({{"id", "729"}, {"last", false}}));
  EXPECT_FALSE(j.contains("pos"));
  EXPECT_FALSE(j.contains("held"));
}

TEST(JsonlLineTest, KeyChangingUpdateKeepsTheOldKey) {
  MappingConfig m = TourSlots();
  SinkDelta d =
      MakeDelta(&m, 6, Op::kUpdate, 2, {Col("id", Value::Int(2, "int4"), Value::Int(20, "int4"))});
  json j = LineOf(d);
  EXPECT_EQ(j["key"], json({{"slot_id", 2}}));
  EXPECT_EQ(j["changes"], json({{"slot_id", {{"old", 2}, {"new", 20}}}}));
}

TEST(JsonlLineTest, SnapshotIsWrittenAsSnapshot) {
  MappingConfig m = TourSlots();
  SinkDelta d = Insert(&m, 1, 9);
  d.delta.change.op = Op::kSnapshot;
  JsonlLineKind kind;
  json j = LineOf(d, &kind);
  EXPECT_EQ(kind, JsonlLineKind::kInsert);
  EXPECT_EQ(j["op"], "snapshot");
}

TEST(JsonlLineTest, KeyColumnsComeFromTheChangesWhenNotInTheSourceKey) {
  // The target key is `code`, which the source does not have as its key.
  MappingConfig m = TourSlots();
  m.key = {"code", "slot_id"};
  SinkDelta d = MakeDelta(&m, 7, Op::kUpdate, 3, {Col("code", Text("A"), Text("B"))});
  json j = LineOf(d);
  EXPECT_EQ(j["key"], json({{"code", "A"}, {"slot_id", 3}}));  // old value, mapping order

  // A delete without before-image carries only the source key: `code` is missing.
  SinkDelta del =
      MakeDelta(&m, 8, Op::kDelete, 3, {Col("id", Value::Int(3, "int4"), std::nullopt)});
  std::vector<std::string> missing;
  j = LineOf(del, nullptr, &missing);
  EXPECT_EQ(j["key"], json({{"slot_id", 3}}));
  EXPECT_EQ(missing, std::vector<std::string>{"code"});
}

SinkDelta Delete(const MappingConfig* m, uint64_t seq, int64_t id) {
  return MakeDelta(
      m, seq, Op::kDelete, id,
      {Col("id", Value::Int(id, "int4"), std::nullopt), Col("status", Text("open"), std::nullopt),
       Col("internal_notes", Text("x"), std::nullopt)});
}

TEST(JsonlLineTest, DeleteApplyIsADeleteWithOldValues) {
  MappingConfig m = TourSlots(OnDelete::kApply);
  JsonlLineKind kind;
  json j = LineOf(Delete(&m, 9, 4), &kind);
  EXPECT_EQ(kind, JsonlLineKind::kDelete);
  EXPECT_EQ(j["op"], "delete");
  EXPECT_FALSE(j.contains("held"));
  EXPECT_EQ(j["key"], json({{"slot_id", 4}}));
  EXPECT_EQ(j["changes"], json({{"slot_id", {{"old", 4}}}, {"status", {{"old", "open"}}}}));
}

TEST(JsonlLineTest, DeleteIgnoreWritesNothing) {
  MappingConfig m = TourSlots(OnDelete::kIgnore);
  JsonlLineKind kind;
  EXPECT_TRUE(LineOf(Delete(&m, 9, 4), &kind).is_null());
  EXPECT_EQ(kind, JsonlLineKind::kSkipped);
}

TEST(JsonlLineTest, DeleteManualIsHeld) {
  MappingConfig m = TourSlots(OnDelete::kManual);
  JsonlLineKind kind;
  std::string out;
  kind = AppendJsonlLine(Delete(&m, 9, 4), &out);
  EXPECT_EQ(kind, JsonlLineKind::kHeldDelete);
  EXPECT_NE(out.find("\"op\":\"delete\",\"held\":true,\"key\""), std::string::npos) << out;
  json j = json::parse(out);
  EXPECT_EQ(j["held"], true);
  EXPECT_EQ(j["changes"], json({{"slot_id", {{"old", 4}}}, {"status", {{"old", "open"}}}}));
}

TEST(JsonlLineTest, DeleteSoftIsAnUpdateOfTheSoftColumn) {
  MappingConfig m = TourSlots(OnDelete::kSoft);
  JsonlLineKind kind;
  json j = LineOf(Delete(&m, 9, 4), &kind);
  EXPECT_EQ(kind, JsonlLineKind::kUpdate);
  EXPECT_EQ(j["op"], "update");
  EXPECT_EQ(j["key"], json({{"slot_id", 4}}));
  EXPECT_EQ(j["changes"], json({{"deleted_at", {{"new", FormatUtcMicros(kCommitUs)}}}}));
  EXPECT_FALSE(j.contains("held"));
}

TEST(JsonlLineTest, TruncateOnlyWhenDeletesApply) {
  for (OnDelete on_delete :
       {OnDelete::kApply, OnDelete::kIgnore, OnDelete::kManual, OnDelete::kSoft}) {
    SCOPED_TRACE(std::string(OnDeleteName(on_delete)));
    MappingConfig m = TourSlots(on_delete);
    JsonlLineKind kind;
    json j = LineOf(MakeDelta(&m, 10, Op::kTruncate, 0, {}), &kind);
    if (on_delete == OnDelete::kApply) {
      EXPECT_EQ(kind, JsonlLineKind::kTruncate);
      EXPECT_EQ(j["op"], "truncate");
      EXPECT_EQ(j["key"], json::object());
      EXPECT_EQ(j["changes"], json::object());
      EXPECT_EQ(j["table"], "public.tour_slots");
    } else {
      EXPECT_EQ(kind, JsonlLineKind::kSkipped);
    }
  }
}

TEST(JsonlLineTest, ValuesOfEveryKindAsTheContractSays) {
  MappingConfig m = TourSlots();
  using K = Value::Kind;
  const int64_t two53 = int64_t{1} << 53;
  std::vector<ColumnChange> cols = {
      Col("v_null", std::nullopt, Value::Null("int4")),
      Col("v_bool", Value::Bool(false), Value::Bool(true)),
      Col("v_int", std::nullopt, Value::Int(-42)),
      Col("v_int53", std::nullopt, Value::Int(two53)),
      Col("v_neg53", std::nullopt, Value::Int(-two53)),
      Col("v_big", std::nullopt, Value::Int(two53 + 1)),
      Col("v_min", std::nullopt, Value::Int(std::numeric_limits<int64_t>::min())),
      Col("v_ubig", std::nullopt, Value::UInt(std::numeric_limits<uint64_t>::max())),
      Col("v_usmall", std::nullopt, Value::UInt(7)),
      Col("v_float", std::nullopt, Value::Float(1.5)),
      Col("v_nan", std::nullopt, Value::Float(std::nan(""))),
      Col("v_inf", std::nullopt, Value::Float(std::numeric_limits<double>::infinity())),
      Col("v_ninf", std::nullopt, Value::Float(-std::numeric_limits<double>::infinity())),
      Col("v_dec", std::nullopt,
          Value::Textual(K::kDecimal, "12345678901234567890.000000001", "numeric")),
      Col("v_text", std::nullopt, Text("a \"q\" \\ line\nnext\ttab \x01 é 😀")),
      Col("v_badutf8", std::nullopt,
          Text(std::string("a\xff"
                           "b"))),
      Col("v_bin", std::nullopt,
          Value::Textual(K::kBinary, std::string("\x00\x01\xfe\xff", 4), "bytea")),
      Col("v_date", std::nullopt, Value::Textual(K::kDate, "2026-11-27", "date")),
      Col("v_time", std::nullopt, Value::Textual(K::kTime, "10:00:00.5", "time")),
      Col("v_ts", std::nullopt,
          Value::Textual(K::kTimestamp, "2026-11-27T10:00:00.123456", "timestamp")),
      Col("v_tstz", std::nullopt,
          Value::Textual(K::kTimestampTz, "2026-11-27T10:00:00.123456Z", "timestamptz")),
      Col("v_json", std::nullopt, Value::Textual(K::kJson, "{\"a\": [1, 2]}", "jsonb")),
      Col("v_uuid", std::nullopt,
          Value::Textual(K::kOther, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "uuid")),
      Col("v_array", std::nullopt, Value::Textual(K::kOther, "{1,2,3}", "_int4")),
  };
  json j = LineOf(MakeDelta(&m, 11, Op::kInsert, 1, std::move(cols)));
  const json& c = j["changes"];
  auto nv = [&](const char* name) { return c.at(name).at("new"); };
  EXPECT_TRUE(nv("v_null").is_null());
  EXPECT_EQ(c["v_bool"], json({{"old", false}, {"new", true}}));
  EXPECT_EQ(nv("v_int"), -42);
  EXPECT_EQ(nv("v_int53"), two53);
  EXPECT_TRUE(nv("v_int53").is_number());
  EXPECT_EQ(nv("v_neg53"), -two53);
  EXPECT_EQ(nv("v_big"), "9007199254740993");
  EXPECT_EQ(nv("v_min"), "-9223372036854775808");
  EXPECT_EQ(nv("v_ubig"), "18446744073709551615");
  EXPECT_EQ(nv("v_usmall"), 7);
  EXPECT_EQ(nv("v_float"), 1.5);
  EXPECT_EQ(nv("v_nan"), "NaN");
  EXPECT_EQ(nv("v_inf"), "Infinity");
  EXPECT_EQ(nv("v_ninf"), "-Infinity");
  EXPECT_EQ(nv("v_dec"), "12345678901234567890.000000001");
  EXPECT_EQ(nv("v_text"), "a \"q\" \\ line\nnext\ttab \x01 é 😀");
  EXPECT_EQ(nv("v_badutf8"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(nv("v_bin"), "AAH+/w==");
  EXPECT_EQ(nv("v_date"), "2026-11-27");
  EXPECT_EQ(nv("v_time"), "10:00:00.5");
  EXPECT_EQ(nv("v_ts"), "2026-11-27T10:00:00.123456");
  EXPECT_EQ(nv("v_tstz"), "2026-11-27T10:00:00.123456Z");
  EXPECT_EQ(nv("v_json"), "{\"a\": [1, 2]}");
  EXPECT_EQ(nv("v_uuid"), "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
  EXPECT_EQ(nv("v_array"), "{1,2,3}");
}

// ---- the target

class JsonlTargetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::Create("jsonl-target-");
    ASSERT_TRUE(dir.ok()) << dir.status().ToString();
    dir_.emplace(std::move(dir.value()));
    config_.path = dir_->Join("out.jsonl");
    state_dir_ = dir_->Join("state");
  }

  std::unique_ptr<JsonlTarget> Make(JsonlTargetOptions options = {}) {
    return std::make_unique<JsonlTarget>(config_, state_dir_, "test", options);
  }

  // Opens a new target and expects it to succeed.
  std::unique_ptr<JsonlTarget> MustOpen(Checkpoints* checkpoints = nullptr,
                                        JsonlTargetOptions options = {}) {
    auto t = Make(options);
    auto opened = t->Open();
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    if (!opened.ok()) return nullptr;
    if (checkpoints != nullptr) *checkpoints = *opened;
    return t;
  }

  // Applies inserts first..last in one transaction and commits them.
  void CommitInserts(JsonlTarget& t, uint64_t first, uint64_t last) {
    ASSERT_TRUE(t.Begin().ok());
    std::vector<SinkDelta> chunk;
    for (uint64_t s = first; s <= last; ++s) {
      chunk.push_back(Insert(&mapping_, s, static_cast<int64_t>(s), s == last));
    }
    ASSERT_TRUE(t.Apply(chunk).ok());
    Status s = t.Commit({{"parks", last}});
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  // The file holds exactly seqs 1..n, in order, each line whole.
  void ExpectSeqs(uint64_t n) {
    auto lines = ReadLines(config_.path);
    ASSERT_EQ(lines.size(), n);
    for (uint64_t i = 0; i < n; ++i) {
      json j = json::parse(lines[i], nullptr, false);
      ASSERT_FALSE(j.is_discarded()) << lines[i];
      EXPECT_EQ(j["seq"], i + 1);
    }
    auto text = ReadFileToString(config_.path);
    if (n > 0) {
      EXPECT_EQ(text->back(), '\n');
    }
  }

  std::optional<TempDir> dir_;
  JsonlTargetConfig config_;
  std::string state_dir_;
  MappingConfig mapping_ = TourSlots();
};

TEST_F(JsonlTargetTest, CheckpointsRoundTripAcrossReopen) {
  Checkpoints cp;
  auto t = MustOpen(&cp);
  ASSERT_TRUE(t);
  EXPECT_TRUE(cp.empty());
  CommitInserts(*t, 1, 3);
  ASSERT_TRUE(t->Begin().ok());
  ASSERT_TRUE(t->Commit({{"parks", 3}, {"zoo", 17}}).ok());  // nothing written, checkpoint moves
  t.reset();

  t = MustOpen(&cp);
  ASSERT_TRUE(t);
  EXPECT_EQ(cp, (Checkpoints{{"parks", 3}, {"zoo", 17}}));
  ExpectSeqs(3);

  json state = json::parse(*ReadFileToString(t->state_path()));
  EXPECT_EQ(state["format"], 1);
  EXPECT_EQ(state["file"], config_.path);
  EXPECT_EQ(state["size"], FileSize(config_.path));
  EXPECT_EQ(state["checkpoints"], json({{"parks", 3}, {"zoo", 17}}));

  CommitInserts(*t, 4, 5);
  t.reset();
  t = MustOpen(&cp);
  EXPECT_EQ(cp, (Checkpoints{{"parks", 5}}));
  ExpectSeqs(5);
}

TEST_F(JsonlTargetTest, OpenCreatesStateDirAndFilesWithTheirModes) {
  state_dir_ = dir_->Join("a/b/state");
  const mode_t old_umask = ::umask(022);
  auto t = MustOpen();
  ::umask(old_umask);
  ASSERT_TRUE(t);
  struct stat st;
  ASSERT_EQ(::stat(state_dir_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0750u);
  ASSERT_EQ(::stat(config_.path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  EXPECT_TRUE(std::filesystem::exists(t->state_path()));
  EXPECT_EQ(t->state_path(), state_dir_ + "/jsonl-state.json");
  EXPECT_EQ(t->lock_path(), state_dir_ + "/jsonl.lock");
  EXPECT_EQ(t->Describe(), "jsonl " + config_.path);
}

TEST_F(JsonlTargetTest, UncommittedTailIsCutOnReopen) {
  JsonlTargetOptions small;
  small.flush_bytes = 1;  // every line reaches the file at once
  auto t = MustOpen(nullptr, small);
  ASSERT_TRUE(t);
  CommitInserts(*t, 1, 2);
  const uint64_t committed_size = FileSize(config_.path);
  ASSERT_TRUE(t->Begin().ok());
  ASSERT_TRUE(t->Apply({Insert(&mapping_, 3, 3, false), Insert(&mapping_, 4, 4)}).ok());
  EXPECT_GT(FileSize(config_.path), committed_size);
  t.reset();  // no Commit, no Abort: as a crash leaves it
  EXPECT_EQ(ReadLines(config_.path).size(), 4u);

  Checkpoints cp;
  t = MustOpen(&cp);
  ASSERT_TRUE(t);
  EXPECT_EQ(cp, (Checkpoints{{"parks", 2}}));
  EXPECT_EQ(FileSize(config_.path), committed_size);
  ExpectSeqs(2);
  CommitInserts(*t, 3, 4);  // applied again from the checkpoint
  ExpectSeqs(4);
}

TEST_F(JsonlTargetTest, AbortTruncatesToTheSizeAtBegin) {
  JsonlTargetOptions small;
  small.flush_bytes = 300;  // some lines flushed, the rest buffered
  auto t = MustOpen(nullptr, small);
  ASSERT_TRUE(t);
  CommitInserts(*t, 1, 2);
  const uint64_t committed_size = FileSize(config_.path);
  ASSERT_TRUE(t->Begin().ok());
  std::vector<SinkDelta> chunk;
  for (uint64_t s = 3; s <= 10; ++s) chunk.push_back(Insert(&mapping_, s, 1, s == 10));
  ASSERT_TRUE(t->Apply(chunk).ok());
  EXPECT_GT(FileSize(config_.path), committed_size);
  t->Abort();
  EXPECT_EQ(FileSize(config_.path), committed_size);
  EXPECT_EQ(t->counters().deltas, 2u);  // aborted deltas are not counted

  // The target goes on after an Abort.
  CommitInserts(*t, 3, 4);
  ExpectSeqs(4);
  Checkpoints cp;
  t.reset();
  t = MustOpen(&cp);
  EXPECT_EQ(cp, (Checkpoints{{"parks", 4}}));
}

TEST_F(JsonlTargetTest, MissingFileStartsANewOneAndKeepsTheCheckpoint) {
  auto t = MustOpen();
  ASSERT_TRUE(t);
  CommitInserts(*t, 1, 3);
  t.reset();
  std::filesystem::rename(config_.path, config_.path + ".1");  // logrotate

  Checkpoints cp;
  t = MustOpen(&cp);
  ASSERT_TRUE(t);
  EXPECT_EQ(cp, (Checkpoints{{"parks", 3}}));
  EXPECT_TRUE(std::filesystem::exists(config_.path));
  EXPECT_EQ(FileSize(config_.path), 0u);
  json state = json::parse(*ReadFileToString(t->state_path()));
  EXPECT_EQ(state["size"], 0);  // written at once, before anything else

  CommitInserts(*t, 4, 5);
  auto lines = ReadLines(config_.path);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(json::parse(lines[0])["seq"], 4);
  EXPECT_EQ(ReadLines(config_.path + ".1").size(), 3u);
}

TEST_F(JsonlTargetTest, ShorterFileFailsWithWhatToDo) {
  auto t = MustOpen();
  ASSERT_TRUE(t);
  CommitInserts(*t, 1, 3);
  t.reset();
  const uint64_t size = FileSize(config_.path);
  std::filesystem::resize_file(config_.path, size - 10);

  t = Make();
  auto opened = t->Open();
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), Status::Code::kFailedPrecondition);
  const std::string& msg = opened.status().message();
  EXPECT_NE(msg.find(config_.path), std::string::npos) << msg;
  EXPECT_NE(msg.find(std::to_string(size) + " bytes were committed"), std::string::npos) << msg;
  EXPECT_NE(msg.find("truncated or replaced"), std::string::npos) << msg;
  EXPECT_NE(msg.find("move it away"), std::string::npos) << msg;
  EXPECT_EQ(FileSize(config_.path), size - 10);  // left alone

  // Moving it away, as the message says, lets the sink go on.
  std::filesystem::rename(config_.path, config_.path + ".bad");
  t.reset();  // a failed Open() still holds the lock
  Checkpoints cp;
  t = MustOpen(&cp);
  EXPECT_EQ(cp, (Checkpoints{{"parks", 3}}));
}

TEST_F(JsonlTargetTest, LongerFileIsCutBackToTheCommittedSize) {
  auto t = MustOpen();
  ASSERT_TRUE(t);
  CommitInserts(*t, 1, 2);
  t.reset();
  const uint64_t size = FileSize(config_.path);
  auto text = ReadFileToString(config_.path);
  ASSERT_TRUE(WriteStringToFile(config_.path, *text + "{\"seq\":3,\"bridge\":\"pa").ok());

  t = MustOpen();
  EXPECT_EQ(FileSize(config_.path), size);
  ExpectSeqs(2);
}

TEST_F(JsonlTargetTest, ExistingFileWithoutStateIsKept) {
  ASSERT_TRUE(WriteStringToFile(config_.path, "{\"earlier\":true}\n").ok());
  Checkpoints cp;
  auto t = MustOpen(&cp);
  ASSERT_TRUE(t);
  EXPECT_TRUE(cp.empty());
  json state = json::parse(*ReadFileToString(t->state_path()));
  EXPECT_EQ(state["size"], 17);
  CommitInserts(*t, 1, 1);
  auto lines = ReadLines(config_.path);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "{\"earlier\":true}");
  EXPECT_EQ(json::parse(lines[1])["seq"], 1);
}

TEST_F(JsonlTargetTest, ChangedPathContinuesFromTheCheckpoint) {
  auto t = MustOpen();
  ASSERT_TRUE(t);
  CommitInserts(*t, 1, 2);
  t.reset();
  const std::string old_path = config_.path;
  config_.path = dir_->Join("new.jsonl");

  JsonlTargetOptions small;
  small.flush_bytes = 1;
  Checkpoints cp;
  t = MustOpen(&cp, small);
  ASSERT_TRUE(t);
  EXPECT_EQ(cp, (Checkpoints{{"parks", 2}}));
  // A crash right after the first lines reach the new file: the state already
  // names it, so its tail is cut as usual.
  ASSERT_TRUE(t->Begin().ok());
  ASSERT_TRUE(t->Apply({Insert(&mapping_, 3, 3)}).ok());
  t.reset();
  t = MustOpen(&cp);
  ASSERT_TRUE(t);
  EXPECT_EQ(cp, (Checkpoints{{"parks", 2}}));
  EXPECT_EQ(FileSize(config_.path), 0u);
  CommitInserts(*t, 3, 3);
  EXPECT_EQ(ReadLines(config_.path).size(), 1u);
  EXPECT_EQ(ReadLines(old_path).size(), 2u);
}

TEST_F(JsonlTargetTest, SecondOpenFailsOnTheLock) {
  auto first = MustOpen();
  ASSERT_TRUE(first);
  auto second = Make();
  auto opened = second->Open();
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(opened.status().message().find(state_dir_ + "/jsonl.lock"), std::string::npos)
      << opened.status().message();

  // Opening the same target again (after Unavailable) keeps its own lock.
  auto again = first->Open();
  EXPECT_TRUE(again.ok()) << again.status().ToString();
  CommitInserts(*first, 1, 1);

  first.reset();
  opened = second->Open();
  EXPECT_TRUE(opened.ok()) << opened.status().ToString();
}

TEST_F(JsonlTargetTest, NotARegularFileIsRefused) {
  config_.path = dir_->path();
  auto t = Make();
  auto opened = t->Open();
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), Status::Code::kFailedPrecondition);
}

TEST_F(JsonlTargetTest, DamagedStateFileIsRefused) {
  auto t = MustOpen();
  ASSERT_TRUE(t);
  const std::string state = t->state_path();
  t.reset();
  ASSERT_TRUE(WriteStringToFile(state, "{\"format\":1,\"file\":").ok());
  t = Make();
  auto opened = t->Open();
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(opened.status().message().find(state), std::string::npos);
}

TEST_F(JsonlTargetTest, MisuseIsAnError) {
  auto t = Make();
  EXPECT_EQ(t->Begin().code(), Status::Code::kFailedPrecondition);  // before Open
  ASSERT_TRUE(t->Open().ok());
  EXPECT_EQ(t->Apply({Insert(&mapping_, 1, 1)}).code(), Status::Code::kFailedPrecondition);
  EXPECT_EQ(t->Commit({}).code(), Status::Code::kFailedPrecondition);
  ASSERT_TRUE(t->Begin().ok());
  EXPECT_EQ(t->Begin().code(), Status::Code::kFailedPrecondition);
}

TEST_F(JsonlTargetTest, CountersByOp) {
  MappingConfig manual = TourSlots(OnDelete::kManual);
  MappingConfig ignore = TourSlots(OnDelete::kIgnore);
  MappingConfig soft = TourSlots(OnDelete::kSoft);
  auto t = MustOpen();
  ASSERT_TRUE(t);
  ASSERT_TRUE(t->Begin().ok());
  ASSERT_TRUE(
      t->Apply({Insert(&mapping_, 1, 1), Insert(&mapping_, 2, 2),
                MakeDelta(&mapping_, 3, Op::kUpdate, 1, {Col("status", Text("a"), Text("b"))}),
                Delete(&mapping_, 4, 1), Delete(&manual, 5, 2), Delete(&ignore, 6, 3),
                Delete(&soft, 7, 4), MakeDelta(&mapping_, 8, Op::kTruncate, 0, {})})
          .ok());
  ASSERT_TRUE(t->Commit({{"parks", 8}}).ok());
  ApplyCounters c = t->counters();
  EXPECT_EQ(c.deltas, 8u);
  EXPECT_EQ(c.rows_inserted, 2u);
  EXPECT_EQ(c.rows_updated, 2u);  // the update and the soft delete
  EXPECT_EQ(c.rows_deleted, 1u);
  EXPECT_EQ(c.conflicts, 1u);  // the held delete
  EXPECT_EQ(c.transactions, 1u);
  EXPECT_EQ(ReadLines(config_.path).size(), 7u);  // all but the ignored delete
}

// RLIMIT_FSIZE makes write(2) fail with EFBIG past the limit, as ENOSPC would.
TEST_F(JsonlTargetTest, WriteErrorIsUnavailableNamingPathAndError) {
  {
    auto t = MustOpen();
    ASSERT_TRUE(t);
    CommitInserts(*t, 1, 1);
  }
  const uint64_t committed_size = FileSize(config_.path);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::signal(SIGXFSZ, SIG_IGN);
    struct rlimit lim;
    lim.rlim_cur = lim.rlim_max = 4096;
    if (::setrlimit(RLIMIT_FSIZE, &lim) != 0) ::_exit(10);
    JsonlTargetOptions small;
    small.flush_bytes = 1;
    JsonlTarget t(config_, state_dir_, "test", small);
    if (!t.Open().ok()) ::_exit(11);
    if (!t.Begin().ok()) ::_exit(12);
    std::vector<SinkDelta> chunk;
    for (uint64_t s = 2; s < 100; ++s) chunk.push_back(Insert(&mapping_, s, 1, s == 99));
    Status s = t.Apply(chunk);
    if (s.ok()) ::_exit(13);
    if (!s.IsUnavailable()) ::_exit(14);
    if (s.message().find(config_.path) == std::string::npos) ::_exit(15);
    if (s.message().find(std::strerror(EFBIG)) == std::string::npos) ::_exit(16);
    if (t.Begin().ok()) ::_exit(17);  // unusable until Open()
    t.Abort();
    if (FileSize(config_.path) != committed_size) ::_exit(18);
    auto reopened = t.Open();  // what the runner does next
    if (!reopened.ok() || reopened->at("parks") != 1) ::_exit(19);
    ::_exit(0);
  }
  int wstatus = 0;
  ASSERT_EQ(::waitpid(pid, &wstatus, 0), pid);
  ASSERT_TRUE(WIFEXITED(wstatus)) << wstatus;
  EXPECT_EQ(WEXITSTATUS(wstatus), 0) << "see the exit codes in the child";
  Checkpoints cp;
  auto t = MustOpen(&cp);
  EXPECT_EQ(cp, (Checkpoints{{"parks", 1}}));
  ExpectSeqs(1);
}

// ---- exactly-once across real SIGKILLs

// Child: opens the target and commits transactions of 1..25 deltas after its
// checkpoint forever, in chunks of up to 4, writing each committed seq to `fd`.
// Lines carry padding of varying size so flushes (2 KiB) fall mid-transaction.
[[noreturn]] void CommitLoopChild(const JsonlTargetConfig& config, const std::string& state_dir,
                                  const MappingConfig* mapping, unsigned seed, int fd) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  JsonlTargetOptions options;
  options.flush_bytes = 2048;
  JsonlTarget t(config, state_dir, "crash", options);
  auto opened = t.Open();
  if (!opened.ok()) ::_exit(2);
  uint64_t seq = opened->count("parks") ? opened->at("parks") : 0;
  std::mt19937 rng(seed);
  for (;;) {
    if (!t.Begin().ok()) ::_exit(3);
    const uint64_t n = 1 + rng() % 25;
    const uint64_t last = seq + n;
    std::vector<SinkDelta> chunk;
    while (seq < last) {
      ++seq;
      SinkDelta d = MakeDelta(mapping, seq, Op::kInsert, static_cast<int64_t>(seq),
                              {Col("id", std::nullopt, Value::Int(static_cast<int64_t>(seq))),
                               Col("pad", std::nullopt, Text(std::string(rng() % 700, 'x')))},
                              seq == last);
      d.delta.change.tx_id = std::to_string(last);
      chunk.push_back(std::move(d));
      if (chunk.size() == 4 || seq == last) {
        if (!t.Apply(chunk).ok()) ::_exit(4);
        chunk.clear();
      }
    }
    if (!t.Commit({{"parks", last}}).ok()) ::_exit(5);
    if (::write(fd, &last, sizeof(last)) != static_cast<ssize_t>(sizeof(last))) ::_exit(6);
  }
}

TEST_F(JsonlTargetTest, KillNineAtRandomLosesAndRepeatsNothing) {
  std::random_device rd;
  const unsigned seed = rd();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  uint64_t checkpoint = 0;
  for (int round = 0; round < 12; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      CommitLoopChild(config_, state_dir_, &mapping_, seed + static_cast<unsigned>(round), fds[1]);
    }
    ::close(fds[1]);
    // Kill after a random number of commits, then at a random moment of the
    // transaction in progress.
    const int kill_after = 1 + static_cast<int>(rng() % 40);
    const useconds_t delay = rng() % 3000;
    uint64_t reported = 0;
    int commits = 0;
    uint64_t v = 0;
    bool killed = false;
    while (::read(fds[0], &v, sizeof(v)) == static_cast<ssize_t>(sizeof(v))) {
      EXPECT_GT(v, reported);
      reported = v;
      if (!killed && ++commits >= kill_after) {
        ::usleep(delay);
        ::kill(pid, SIGKILL);
        killed = true;
      }
    }
    ::close(fds[0]);
    int wstatus = 0;
    ASSERT_EQ(::waitpid(pid, &wstatus, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL)
        << "the child ended on its own: status " << wstatus;
    ASSERT_GT(reported, checkpoint);

    Checkpoints cp;
    auto t = MustOpen(&cp);
    ASSERT_TRUE(t);
    ASSERT_EQ(cp.count("parks"), 1u);
    EXPECT_GE(cp["parks"], reported);  // a commit may finish after its report was cut
    checkpoint = cp["parks"];
    // Exactly the committed deltas: seqs 1..checkpoint, each once, whole.
    auto lines = ReadLines(config_.path);
    ASSERT_EQ(lines.size(), checkpoint);
    std::string last_tx;
    bool last_was_tx_end = true;
    for (uint64_t i = 0; i < checkpoint; ++i) {
      json j = json::parse(lines[i], nullptr, false);
      ASSERT_FALSE(j.is_discarded()) << "line " << i + 1 << ": " << lines[i];
      ASSERT_EQ(j["seq"], i + 1);
      last_was_tx_end = j["tx"]["last"].get<bool>();
    }
    EXPECT_TRUE(last_was_tx_end) << "the file ends inside a transaction";
    EXPECT_EQ(ReadFileToString(config_.path)->back(), '\n');
    if (HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace deltabridge
