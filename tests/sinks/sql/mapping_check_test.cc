// Unit tests of CheckMappingAgainstTable (sinks/sql/mapping_check.h): a mapping
// checked against a target table's description, without a database.
#include "sinks/sql/mapping_check.h"

#include <gtest/gtest.h>

namespace deltabridge {
namespace {

TargetColumnInfo Col(std::string name, std::string sql_type, ColumnCategory category) {
  TargetColumnInfo c;
  c.name = std::move(name);
  c.sql_type = std::move(sql_type);
  c.category = category;
  return c;
}

// tour_slots as a MySQL target might describe it.
TargetTableInfo Table() {
  TargetTableInfo t;
  t.name = "tour_slots";
  t.columns = {Col("slot_id", "int", ColumnCategory::kInteger),
               Col("status", "varchar(20)", ColumnCategory::kText),
               Col("seats_taken", "int", ColumnCategory::kInteger),
               Col("price", "decimal(10,2)", ColumnCategory::kDecimal),
               Col("ratio", "double", ColumnCategory::kFloat),
               Col("changed_at", "datetime(6)", ColumnCategory::kTimestamp),
               Col("Updated_At", "timestamp(6)", ColumnCategory::kTimestampTz),
               Col("day", "date", ColumnCategory::kDate),
               Col("photo", "blob", ColumnCategory::kBinary),
               Col("doc", "json", ColumnCategory::kJson),
               Col("flag", "tinyint(1)", ColumnCategory::kBool),
               Col("deleted_at", "timestamp(6)", ColumnCategory::kTimestampTz),
               Col("deleted_note", "varchar(40)", ColumnCategory::kText)};
  t.primary_key = {"slot_id"};
  return t;
}

MappingConfig Mapping() {
  MappingConfig m;
  m.from = "parks.scheduling.public.tour_slots";
  m.to = "tour_slots";
  m.key = {"slot_id"};
  m.columns = {{"id", "slot_id"}};
  return m;
}

Rule R(RuleKind kind, std::string by = "") {
  Rule r;
  r.kind = kind;
  r.by_column = std::move(by);
  return r;
}

std::string Joined(const std::vector<std::string>& problems) {
  std::string out;
  for (const std::string& p : problems) out += p + "\n";
  return out;
}

TEST(CheckMappingAgainstTableTest, ASuitableMappingHasNoProblems) {
  MappingConfig m = Mapping();
  m.rules["seats_taken"] = R(RuleKind::kAdditive);
  m.rules["price"] = R(RuleKind::kAdditive);
  m.rules["ratio"] = R(RuleKind::kMax);
  m.rules["status"] = R(RuleKind::kLastWriterWins, "changed_at");
  m.rules["day"] = R(RuleKind::kMin);
  m.rules["flag"] = R(RuleKind::kLastWriterWins, "Updated_At");
  m.rules["photo"] = R(RuleKind::kManual);
  m.rules["doc"] = R(RuleKind::kKeepTarget);
  m.on_delete = OnDelete::kSoft;
  m.soft_delete_column = "deleted_at";
  EXPECT_EQ(Joined(CheckMappingAgainstTable(m, 0, Table())), "");
}

TEST(CheckMappingAgainstTableTest, AdditiveNeedsANumber) {
  MappingConfig m = Mapping();
  m.rules["status"] = R(RuleKind::kAdditive);
  m.rules["changed_at"] = R(RuleKind::kAdditive);
  std::vector<std::string> problems = CheckMappingAgainstTable(m, 2, Table());
  ASSERT_EQ(problems.size(), 2u) << Joined(problems);
  EXPECT_EQ(problems[0],
            "mappings[2].rules.changed_at: additive needs a numeric column, but "
            "tour_slots.changed_at is datetime(6) (timestamp)");
  EXPECT_EQ(problems[1],
            "mappings[2].rules.status: additive needs a numeric column, but tour_slots.status "
            "is varchar(20) (text)");
}

TEST(CheckMappingAgainstTableTest, MaxAndMinNeedAnOrderedType) {
  MappingConfig m = Mapping();
  m.rules["photo"] = R(RuleKind::kMax);
  m.rules["doc"] = R(RuleKind::kMin);
  m.rules["status"] = R(RuleKind::kMax);  // text orders
  std::string problems = Joined(CheckMappingAgainstTable(m, 0, Table()));
  EXPECT_NE(problems.find("mappings[0].rules.photo: max needs an ordered type, but "
                          "tour_slots.photo is blob (binary)"),
            std::string::npos)
      << problems;
  EXPECT_NE(problems.find("mappings[0].rules.doc: min needs an ordered type"), std::string::npos)
      << problems;
  EXPECT_EQ(problems.find("rules.status"), std::string::npos) << problems;
}

TEST(CheckMappingAgainstTableTest, TheDefaultRuleCoversEveryOtherColumn) {
  MappingConfig m = Mapping();
  m.default_rule = R(RuleKind::kAdditive);
  m.rules["status"] = R(RuleKind::kOverwrite);
  m.rules["changed_at"] = R(RuleKind::kOverwrite);
  m.rules["Updated_At"] = R(RuleKind::kOverwrite);
  m.rules["day"] = R(RuleKind::kOverwrite);
  m.rules["photo"] = R(RuleKind::kOverwrite);
  m.rules["doc"] = R(RuleKind::kOverwrite);
  m.rules["flag"] = R(RuleKind::kOverwrite);
  m.rules["deleted_at"] = R(RuleKind::kOverwrite);
  std::vector<std::string> problems = CheckMappingAgainstTable(m, 1, Table());
  // The key is not reconciled; seats_taken, price and ratio are numbers.
  ASSERT_EQ(problems.size(), 1u) << Joined(problems);
  EXPECT_EQ(problems[0],
            "mappings[1].rules.default: additive needs a numeric column, but "
            "tour_slots.deleted_note is varchar(40) (text) (give deleted_note a rule of its own)");
}

TEST(CheckMappingAgainstTableTest, MissingKeyRenamedAndRuledColumns) {
  MappingConfig m = Mapping();
  m.key = {"slot_id", "slot_day"};
  m.columns["STATUS"] = "state";
  m.rules["seats"] = R(RuleKind::kAdditive);
  std::string problems = Joined(CheckMappingAgainstTable(m, 0, Table()));
  EXPECT_NE(problems.find("mappings[0].key: tour_slots has no column slot_day\n"),
            std::string::npos)
      << problems;
  EXPECT_NE(problems.find("mappings[0].columns.STATUS: tour_slots has no column state\n"),
            std::string::npos)
      << problems;
  EXPECT_NE(problems.find("mappings[0].rules.seats: tour_slots has no column seats\n"),
            std::string::npos)
      << problems;
  EXPECT_EQ(problems.find("columns.id"), std::string::npos) << problems;
}

TEST(CheckMappingAgainstTableTest, ColumnNamesMatchIgnoringCase) {
  MappingConfig m = Mapping();
  m.key = {"SLOT_ID"};
  m.rules["SEATS_TAKEN"] = R(RuleKind::kAdditive);
  m.rules["status"] = R(RuleKind::kLastWriterWins, "updated_at");
  EXPECT_EQ(Joined(CheckMappingAgainstTable(m, 0, Table())), "");
}

TEST(CheckMappingAgainstTableTest, LastWriterWinsByNeedsATimeOrIntegerColumn) {
  MappingConfig m = Mapping();
  m.rules["status"] = R(RuleKind::kLastWriterWins, "deleted_note");
  m.rules["ratio"] = R(RuleKind::kLastWriterWins, "modified");
  m.rules["flag"] = R(RuleKind::kLastWriterWins, "seats_taken");  // an integer version: fine
  m.rules["day"] = R(RuleKind::kLastWriterWins, "day");           // a date: fine
  std::vector<std::string> problems = CheckMappingAgainstTable(m, 0, Table());
  ASSERT_EQ(problems.size(), 2u) << Joined(problems);
  EXPECT_EQ(problems[0],
            "mappings[0].rules.ratio: last_writer_wins by: modified: tour_slots has no such "
            "column");
  EXPECT_EQ(problems[1],
            "mappings[0].rules.status: last_writer_wins by: deleted_note needs a timestamp, date "
            "or integer column, but tour_slots.deleted_note is varchar(40) (text)");

  // A default rule with `by` is checked for every column it covers.
  MappingConfig d = Mapping();
  d.default_rule = R(RuleKind::kLastWriterWins, "price");
  std::string all = Joined(CheckMappingAgainstTable(d, 0, Table()));
  EXPECT_NE(all.find("mappings[0].rules.default: last_writer_wins by: price needs a timestamp"),
            std::string::npos)
      << all;
}

TEST(CheckMappingAgainstTableTest, SoftDeleteColumnMustExistAndHoldATime) {
  MappingConfig m = Mapping();
  m.on_delete = OnDelete::kSoft;
  m.soft_delete_column = "removed_at";
  std::vector<std::string> problems = CheckMappingAgainstTable(m, 0, Table());
  ASSERT_EQ(problems.size(), 1u) << Joined(problems);
  EXPECT_EQ(problems[0], "mappings[0].on_delete.soft: tour_slots has no column removed_at");

  m.soft_delete_column = "flag";
  problems = CheckMappingAgainstTable(m, 0, Table());
  ASSERT_EQ(problems.size(), 1u) << Joined(problems);
  EXPECT_EQ(problems[0],
            "mappings[0].on_delete.soft: the delete time needs a timestamp column, but "
            "tour_slots.flag is tinyint(1) (bool)");

  // A timestamp with or without zone, or text, takes the delete time.
  for (const char* ok : {"changed_at", "deleted_at", "deleted_note"}) {
    m.soft_delete_column = ok;
    EXPECT_EQ(Joined(CheckMappingAgainstTable(m, 0, Table())), "") << ok;
  }
  // Other on_delete forms name no column.
  m.on_delete = OnDelete::kIgnore;
  m.soft_delete_column = "removed_at";
  EXPECT_EQ(Joined(CheckMappingAgainstTable(m, 0, Table())), "");
}

}  // namespace
}  // namespace deltabridge
