#include "cdc/config/yaml_reader.h"

#include <gtest/gtest.h>

#include <array>

#include "cdc/config/message_text.h"

namespace deltabridge {
namespace {

ConfigNode Document(std::string_view text, ConfigErrors* errors) {
  std::optional<ConfigNode> document = ParseYamlDocument(text, errors);
  EXPECT_TRUE(document.has_value()) << errors->ToStatus().ToString();
  return document.value_or(ConfigNode{});
}

TEST(MessageTextTest, QuoteForMessage) {
  EXPECT_EQ(QuoteForMessage("pgsql"), "\"pgsql\"");
  EXPECT_EQ(QuoteForMessage("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(QuoteForMessage("a\nb\tc\x01"), R"("a\nb\tc\x01")");
  EXPECT_EQ(QuoteForMessage(std::string(100, 'x')), "\"" + std::string(80, 'x') + "\"...");
}

TEST(MessageTextTest, ClosestMatch) {
  constexpr std::array<std::string_view, 4> kKeys = {"name", "slot", "tables", "password"};
  EXPECT_EQ(ClosestMatch("slott", kKeys), "slot");
  EXPECT_EQ(ClosestMatch("Slot", kKeys), "slot");
  EXPECT_EQ(ClosestMatch("tabels", kKeys), "tables");  // transposition counts once
  EXPECT_EQ(ClosestMatch("pasword", kKeys), "password");
  EXPECT_EQ(ClosestMatch("passwrd_", kKeys), "password");  // 2 edits in a long word
  EXPECT_EQ(ClosestMatch("colour", kKeys), "");
  EXPECT_EQ(ClosestMatch("nme_", kKeys), "");  // 2 edits are too many in a short word
  constexpr std::array<std::string_view, 3> kTypes = {"postgres", "mysql", "odbc"};
  EXPECT_EQ(ClosestMatch("pgsql", kTypes), "");
  EXPECT_EQ(ClosestMatch("postgresql", kTypes), "postgres");
}

TEST(ConfigErrorsTest, FormatsAndSortsByPosition) {
  ConfigErrors errors("x.yaml");
  EXPECT_TRUE(errors.empty());
  EXPECT_TRUE(errors.ToStatus().ok());
  YAML::Mark late;
  late.line = 9;
  late.column = 2;
  YAML::Mark early;
  early.line = 1;
  early.column = 0;
  errors.Add(late, "a.b", "second");
  errors.Add(early, "", "first");
  errors.Add(YAML::Mark::null_mark(), "c", "no position");
  Status status = errors.ToStatus();
  EXPECT_EQ(status.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "x.yaml: c: no position\nx.yaml:2:1: first\nx.yaml:10:3: a.b: second");
}

TEST(ConfigErrorsTest, CapsTheList) {
  ConfigErrors errors("x.yaml");
  for (int i = 0; i < 35; ++i) {
    YAML::Mark mark;
    mark.line = i;
    errors.Add(mark, "k", "bad");
  }
  std::string message = errors.ToStatus().message();
  EXPECT_EQ(std::count(message.begin(), message.end(), '\n'), 30);
  EXPECT_TRUE(message.ends_with("\nx.yaml:30:1: k: bad\nx.yaml: 5 more errors not shown"))
      << message;
}

TEST(ParseYamlDocumentTest, SyntaxErrorsHavePositions) {
  ConfigErrors errors("x.yaml");
  EXPECT_FALSE(ParseYamlDocument("a: [1, 2\nb: 3\n", &errors).has_value());
  EXPECT_EQ(errors.ToStatus().message(),
            "x.yaml:2:2: invalid YAML: end of sequence flow not found");
}

TEST(ParseYamlDocumentTest, OneDocumentOnly) {
  ConfigErrors errors("x.yaml");
  EXPECT_FALSE(ParseYamlDocument("a: 1\n---\nb: 2\n", &errors).has_value());
  EXPECT_EQ(errors.ToStatus().message(), "x.yaml:3:1: expected one YAML document, got 2");
}

TEST(ParseYamlDocumentTest, EmptyIsNull) {
  ConfigErrors errors("x.yaml");
  ConfigNode document = Document("# nothing here\n", &errors);
  EXPECT_TRUE(document.node.IsNull());
  EXPECT_TRUE(errors.empty());
}

TEST(MapReaderTest, GetRequireAndNulls) {
  ConfigErrors errors("x.yaml");
  MapReader map(Document("a: 1\nb:\nc: ~\n", &errors), &errors);
  ASSERT_TRUE(map.valid());
  EXPECT_TRUE(map.Has("b"));
  EXPECT_FALSE(map.Get("b").has_value());  // null leaves an optional key unset
  EXPECT_FALSE(map.Get("c").has_value());
  ASSERT_TRUE(map.Require("b").has_value());  // but a required one reads as null
  EXPECT_TRUE(map.Require("b")->node.IsNull());
  EXPECT_EQ(map.Require("b")->mark.line, 1);  // a null value points at its key
  EXPECT_EQ(map.Get("a")->path, "a");
  EXPECT_TRUE(errors.empty());
  EXPECT_FALSE(map.Require("d").has_value());
  EXPECT_EQ(errors.ToStatus().message(), "x.yaml:1:1: d: required key missing");
}

TEST(MapReaderTest, DuplicateKeys) {
  ConfigErrors errors("x.yaml");
  MapReader map(Document("a: 1\nb: 2\na: 3\n", &errors), &errors);
  EXPECT_EQ(map.Get("a")->node.Scalar(), "1");
  EXPECT_EQ(errors.ToStatus().message(), "x.yaml:3:1: a: duplicate key; first set on line 1");
}

TEST(MapReaderTest, NotAMapping) {
  ConfigErrors errors("x.yaml");
  ConfigNode list = Document("[1, 2]\n", &errors);
  list.path = "top";
  MapReader map(list, &errors);
  EXPECT_FALSE(map.valid());
  EXPECT_FALSE(map.Require("a").has_value());  // no second error
  EXPECT_EQ(errors.ToStatus().message(), "x.yaml:1:1: top: expected a mapping, got a list");
}

TEST(MapReaderTest, MergeKeys) {
  ConfigErrors errors("x.yaml");
  ConfigNode root = Document(R"(base: &base {a: 1, b: 2}
more: &more {b: 20, c: 30}
one:
  <<: *base
  a: 10
many:
  <<: [*more, *base]
quoted:
  "<<": 1
)",
                             &errors);
  MapReader top(root, &errors);
  MapReader one(*top.Get("one"), &errors);
  EXPECT_EQ(one.Get("a")->node.Scalar(), "10");  // the mapping's own key wins
  EXPECT_EQ(one.Get("b")->node.Scalar(), "2");
  EXPECT_EQ(one.Get("b")->path, "one.b");
  MapReader many(*top.Get("many"), &errors);
  EXPECT_EQ(many.Get("a")->node.Scalar(), "1");
  EXPECT_EQ(many.Get("b")->node.Scalar(), "20");  // earlier merged mappings win
  EXPECT_EQ(many.Get("c")->node.Scalar(), "30");
  MapReader quoted(*top.Get("quoted"), &errors);
  EXPECT_TRUE(quoted.Has("<<"));  // a quoted "<<" is an ordinary key
  EXPECT_TRUE(errors.empty()) << errors.ToStatus().message();
}

TEST(MapReaderTest, BadMergeValue) {
  ConfigErrors errors("x.yaml");
  MapReader map(Document("a:\n  <<: 5\n  b: 1\n", &errors), &errors);
  MapReader inner(*map.Get("a"), &errors);
  EXPECT_EQ(errors.ToStatus().message(),
            "x.yaml:2:7: a.<<: expected a mapping or a list of mappings to merge, got \"5\"");
}

TEST(MapReaderTest, UnknownKeys) {
  ConfigErrors errors("x.yaml");
  MapReader map(Document("nmae: 1\nzzz: 2\nok: 3\n", &errors), &errors);
  constexpr std::array<std::string_view, 2> kKnown = {"name", "ok"};
  map.RejectUnknownKeys(kKnown, [](std::string_view key) {
    return key == "zzz" ? std::string("zzz is for elsewhere") : std::string();
  });
  EXPECT_EQ(errors.ToStatus().message(),
            "x.yaml:1:1: nmae: unknown key; expected one of name, ok; did you mean \"name\"?\n"
            "x.yaml:2:1: zzz: unknown key; expected one of name, ok; zzz is for elsewhere");
}

TEST(ReadersTest, KindsAndValues) {
  ConfigErrors errors("x.yaml");
  MapReader map(Document(R"(s: text
l: [1, 2]
m: {a: 1}
e: ""
n: 42
big: 99999999999999999999999
neg: -1
hex: 0x10
enum: mysq
d: 2s
z: 10GB
)",
                         &errors),
                &errors);
  EXPECT_EQ(ReadString(*map.Get("s"), &errors), "text");
  EXPECT_EQ(ReadString(*map.Get("e"), &errors), "");
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(ReadString(*map.Get("l"), &errors), std::nullopt);
  EXPECT_EQ(ReadString(*map.Get("m"), &errors), std::nullopt);
  EXPECT_EQ(ReadNonEmptyString(*map.Get("e"), &errors), std::nullopt);
  EXPECT_EQ(ReadUnsigned(*map.Get("n"), 1, 100, "a number", &errors), 42u);
  EXPECT_EQ(ReadUnsigned(*map.Get("n"), 1, 10, "a number", &errors), std::nullopt);
  EXPECT_EQ(ReadUnsigned(*map.Get("big"), 0, UINT64_MAX, "a number", &errors), std::nullopt);
  EXPECT_EQ(ReadUnsigned(*map.Get("neg"), 0, 10, "a number", &errors), std::nullopt);
  EXPECT_EQ(ReadUnsigned(*map.Get("hex"), 0, 100, "a number", &errors), std::nullopt);
  constexpr std::array<std::string_view, 2> kNames = {"postgres", "mysql"};
  EXPECT_EQ(ReadEnum(*map.Get("s"), kNames, &errors), std::nullopt);
  EXPECT_EQ(ReadEnum(*map.Get("enum"), kNames, &errors), std::nullopt);
  EXPECT_EQ(ReadList(*map.Get("l"), &errors)->at(1).path, "l[1]");
  EXPECT_EQ(ReadDuration(*map.Get("d"), &errors), std::chrono::seconds(2));
  EXPECT_EQ(ReadSize(*map.Get("z"), &errors), std::nullopt);
  EXPECT_EQ(ReadList(*map.Get("s"), &errors), std::nullopt);
  EXPECT_EQ(errors.ToStatus().message(),
            "x.yaml:1:4: s: expected one of postgres, mysql, got \"text\"\n"
            "x.yaml:1:4: s: expected a list, got \"text\"\n"
            "x.yaml:2:4: l: expected a string, got a list\n"
            "x.yaml:3:4: m: expected a string, got a mapping\n"
            "x.yaml:4:4: e: expected a non-empty string, got \"\"\n"
            "x.yaml:5:4: n: expected a number 1..10, got \"42\"\n"
            "x.yaml:6:6: big: expected a number 0..18446744073709551615, got "
            "\"99999999999999999999999\"\n"
            "x.yaml:7:6: neg: expected a number 0..10, got \"-1\"\n"
            "x.yaml:8:6: hex: expected a number 0..100, got \"0x10\"\n"
            "x.yaml:9:7: enum: expected one of postgres, mysql, got \"mysq\"; did you mean "
            "\"mysql\"?\n"
            "x.yaml:11:4: z: expected a size such as 512KiB, 64MiB, 10GiB or a byte count, got "
            "\"10GB\"; did you mean \"10GiB\"?");
}

TEST(ReadConfigFileTest, Unreadable) {
  Result<std::string> missing = ReadConfigFile("no/such/dir/bridge.yaml");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(missing.status().message(),
            "no/such/dir/bridge.yaml: cannot read: No such file or directory");
  Result<std::string> directory = ReadConfigFile("/");
  ASSERT_FALSE(directory.ok());
  EXPECT_EQ(directory.status().message(), "/: cannot read: Is a directory");
}

}  // namespace
}  // namespace deltabridge
