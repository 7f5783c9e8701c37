// Unit tests of DeltaMapper (sinks/sql/delta_mapper.h): a delta's key and
// columns through a mapping's renames and exclusions onto a described table,
// values typed for their columns; what it rejects and what stops the sink.
#include "sinks/sql/delta_mapper.h"

#include <gtest/gtest.h>

#include "sinks/sink_config.h"

namespace deltabridge {
namespace {

using K = Value::Kind;

TargetColumnInfo Column(std::string name, ColumnCategory category, std::string type) {
  TargetColumnInfo c;
  c.name = std::move(name);
  c.category = category;
  c.sql_type = std::move(type);
  return c;
}

class DeltaMapperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<SinkConfig> config = ParseSinkConfig(R"(sink: {name: dash, state_dir: /tmp/unused}
subscribe:
  - {bridge: parks, publish: "tcp://127.0.0.1:5556", replay: "tcp://127.0.0.1:5557", topics: ["parks."]}
target: {type: odbc, dsn: "Driver=unused"}
mappings:
  - from: parks.legacy.BOOKINGS
    to: slots
    key: [slot_id]
    columns: {BOOKING_ID: slot_id, SEATS: seats_taken}
    exclude: [INTERNAL]
)",
                                                "sink.yaml");
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    config_ = std::move(config).value();
    auto t = std::make_unique<SqlTableContext>();
    t->info.name = "slots";
    t->info.columns = {Column("slot_id", ColumnCategory::kInteger, "integer"),
                       Column("seats_taken", ColumnCategory::kInteger, "integer"),
                       Column("STATUS", ColumnCategory::kText, "text")};
    t->key_columns = {0};
    tables_.emplace("slots", std::move(t));
  }

  SinkDelta Delta(Op op, std::vector<std::pair<std::string, Value>> key,
                  std::vector<ColumnChange> changes) {
    SinkDelta d;
    d.delta.seq = 9;
    d.delta.bridge = "parks";
    d.delta.change.source = "legacy";
    d.delta.change.table = "BOOKINGS";
    d.delta.change.op = op;
    d.delta.change.key = std::move(key);
    d.delta.change.changes = std::move(changes);
    d.topic = "parks.legacy.BOOKINGS";
    d.mapping = &config_.mappings[0];
    return d;
  }

  SinkConfig config_;
  SqlTables tables_;
};

Value I(int64_t v) { return Value::Int(v, ""); }
Value T(std::string s) { return Value::Textual(K::kText, std::move(s), ""); }

TEST_F(DeltaMapperTest, RenamesExcludesAndTypesEveryColumn) {
  DeltaMapper mapper(&tables_);
  Result<MappedDelta> m = mapper.Map(Delta(Op::kInsert, {{"BOOKING_ID", I(7)}},
                                           {{"BOOKING_ID", std::nullopt, I(7)},
                                            {"SEATS", std::nullopt, T("4")},
                                            {"INTERNAL", std::nullopt, T("x")},
                                            {"STATUS", std::nullopt, T("open")}}));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->table, tables_.at("slots").get());
  EXPECT_EQ(m->row_key, "[7]");
  EXPECT_TRUE(m->reject.empty()) << m->reject;
  ASSERT_EQ(m->fields.size(), 2u);  // the key column is the key, INTERNAL is excluded
  EXPECT_EQ(m->fields[0].column, "seats_taken");
  EXPECT_EQ(m->fields[0].new_value->kind, K::kInt);  // "4" typed for an integer column
  EXPECT_EQ(m->fields[0].new_value->i, 4);
  EXPECT_EQ(m->field_index[0], 1u);
  EXPECT_EQ(m->fields[1].column, "STATUS");
  EXPECT_FALSE(m->new_key.has_value());
}

TEST_F(DeltaMapperTest, TheCacheFollowsDeltasWhoseColumnsDiffer) {
  DeltaMapper mapper(&tables_);
  // Same table, same positions, other names: each resolves on its own.
  ASSERT_TRUE(mapper
                  .Map(Delta(Op::kUpdate, {{"BOOKING_ID", I(1)}},
                             {{"SEATS", I(1), I(2)}, {"STATUS", T("a"), T("b")}}))
                  .ok());
  Result<MappedDelta> m = mapper.Map(Delta(Op::kUpdate, {{"BOOKING_ID", I(1)}},
                                           {{"STATUS", T("b"), T("c")}, {"SEATS", I(2), I(3)}}));
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->fields.size(), 2u);
  EXPECT_EQ(m->fields[0].column, "STATUS");
  EXPECT_EQ(m->field_index[0], 2u);
  EXPECT_EQ(m->fields[1].column, "seats_taken");
  EXPECT_EQ(m->field_index[1], 1u);
}

TEST_F(DeltaMapperTest, TheKeyComesFromTheChangesWhenTheDeltaHasNoneAndMayChange) {
  DeltaMapper mapper(&tables_);
  Result<MappedDelta> m =
      mapper.Map(Delta(Op::kUpdate, {}, {{"BOOKING_ID", I(5), I(6)}, {"SEATS", I(1), I(2)}}));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->row_key, "[5]");  // the old value names the row
  ASSERT_TRUE(m->new_key.has_value());
  EXPECT_EQ((*m->new_key)[0].i, 6);
}

TEST_F(DeltaMapperTest, WhatCannotBeAppliedIsRejectedNotAnError) {
  DeltaMapper mapper(&tables_);
  Result<MappedDelta> bad_value =
      mapper.Map(Delta(Op::kInsert, {{"BOOKING_ID", I(1)}}, {{"SEATS", std::nullopt, T("many")}}));
  ASSERT_TRUE(bad_value.ok());
  EXPECT_NE(bad_value->reject.find("seats_taken"), std::string::npos) << bad_value->reject;
  Result<MappedDelta> no_key = mapper.Map(Delta(Op::kInsert, {}, {{"SEATS", std::nullopt, I(1)}}));
  ASSERT_TRUE(no_key.ok());
  EXPECT_EQ(no_key->reject, "the delta does not carry the key column slot_id of slots");
  Result<MappedDelta> null_key =
      mapper.Map(Delta(Op::kInsert, {{"BOOKING_ID", Value::Null()}}, {}));
  ASSERT_TRUE(null_key.ok());
  EXPECT_EQ(null_key->reject, "key column slot_id is NULL");
}

TEST_F(DeltaMapperTest, AColumnTheTableLacksStopsTheSink) {
  DeltaMapper mapper(&tables_);
  Result<MappedDelta> m =
      mapper.Map(Delta(Op::kInsert, {{"BOOKING_ID", I(1)}}, {{"NOTES", std::nullopt, T("x")}}));
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(m.status().message().find("has column NOTES, written to slots.NOTES"),
            std::string::npos)
      << m.status().message();
}

}  // namespace
}  // namespace deltabridge
