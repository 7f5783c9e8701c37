#include "gateway/row_filter.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace deltabridge {
namespace {

using json = nlohmann::json;

RowFilter MustParse(std::string_view text) {
  Result<RowFilter> f = RowFilter::Parse(text);
  EXPECT_TRUE(f.ok()) << text << ": " << f.status().ToString();
  return f.ok() ? std::move(f).value() : RowFilter();
}

bool M(std::string_view filter, const json& row) { return MustParse(filter).Matches(row); }

std::string ErrorOf(std::string_view text) {
  Result<RowFilter> f = RowFilter::Parse(text);
  EXPECT_FALSE(f.ok()) << text;
  if (f.ok()) return "";
  EXPECT_EQ(f.status().code(), Status::Code::kInvalidArgument);
  return f.status().message();
}

TEST(RowFilterTest, DefaultTakesEveryRow) {
  RowFilter f;
  EXPECT_TRUE(f.empty());
  EXPECT_TRUE(f.Matches(json::object()));
  EXPECT_TRUE(f.Matches(json(nullptr)));
  EXPECT_TRUE(f.columns().empty());
  EXPECT_EQ(f.text(), "");
  RowFilter blank = MustParse("  \t ");
  EXPECT_TRUE(blank.empty());
  EXPECT_TRUE(blank.Matches(json{{"a", 1}}));
}

TEST(RowFilterTest, EveryOperatorOnNumbers) {
  json row = {{"n", 5}};
  EXPECT_TRUE(M("n = 5", row));
  EXPECT_FALSE(M("n = 4", row));
  EXPECT_TRUE(M("n != 4", row));
  EXPECT_FALSE(M("n != 5", row));
  EXPECT_TRUE(M("n <> 4", row));
  EXPECT_FALSE(M("n <> 5", row));
  EXPECT_TRUE(M("n < 6", row));
  EXPECT_FALSE(M("n < 5", row));
  EXPECT_TRUE(M("n <= 5", row));
  EXPECT_FALSE(M("n <= 4", row));
  EXPECT_TRUE(M("n > 4", row));
  EXPECT_FALSE(M("n > 5", row));
  EXPECT_TRUE(M("n >= 5", row));
  EXPECT_FALSE(M("n >= 6", row));
  EXPECT_TRUE(M("n>=5", row));  // no spaces needed
  EXPECT_TRUE(M("n > -6", row));
  EXPECT_TRUE(M("n = 5.000", row));
  EXPECT_TRUE(M("n = 0.5e1", row));
  EXPECT_TRUE(M("n < 5.0000000000000000000001", row));
  EXPECT_TRUE(M("n > 4.9999999999999999999999", row));
}

TEST(RowFilterTest, EveryOperatorOnText) {
  json row = {{"s", "open"}};
  EXPECT_TRUE(M("s = 'open'", row));
  EXPECT_FALSE(M("s = 'Open'", row));
  EXPECT_TRUE(M("s != 'booked'", row));
  EXPECT_TRUE(M("s <> 'booked'", row));
  EXPECT_TRUE(M("s < 'opf'", row));
  EXPECT_FALSE(M("s < 'open'", row));
  EXPECT_TRUE(M("s <= 'open'", row));
  EXPECT_TRUE(M("s > 'ope'", row));
  EXPECT_TRUE(M("s >= 'open'", row));
  EXPECT_FALSE(M("s > 'open'", row));
  // Bytewise: uppercase sorts before lowercase, and bytes above 0x7f after ASCII.
  EXPECT_TRUE(M("s > 'Zebra'", row));
  EXPECT_TRUE(M("s < '\xc3\xa9t\xc3\xa9'", row));
  EXPECT_TRUE(M("s > ''", row));
  EXPECT_TRUE(M("e = ''", json{{"e", ""}}));
}

TEST(RowFilterTest, BooleansCompareOnlyForEquality) {
  json row = {{"b", true}, {"f", false}};
  EXPECT_TRUE(M("b = TRUE", row));
  EXPECT_TRUE(M("b = true", row));
  EXPECT_FALSE(M("b = FALSE", row));
  EXPECT_TRUE(M("b != false", row));
  EXPECT_TRUE(M("f <> TRUE", row));
  EXPECT_TRUE(M("f = FALSE", row));
  // A boolean against anything else is unknown, also in NOT.
  EXPECT_FALSE(M("b = 1", row));
  EXPECT_FALSE(M("NOT b = 1", row));
  EXPECT_FALSE(M("b = 'true'", row));
  EXPECT_FALSE(M("NOT b = 'true'", row));
  EXPECT_FALSE(M("b > 0", row));
  EXPECT_FALSE(M("NOT b > 0", row));
  EXPECT_FALSE(M("n = TRUE", json{{"n", 1}}));
  EXPECT_FALSE(M("NOT n = TRUE", json{{"n", 1}}));
  EXPECT_FALSE(M("s = TRUE", json{{"s", "true"}}));
  EXPECT_FALSE(M("NOT s = TRUE", json{{"s", "true"}}));
}

TEST(RowFilterTest, NumericStrings) {
  json row = {{"price", "12.50"}, {"big", "12345678901234567890"}, {"name", "abc"}};
  EXPECT_TRUE(M("price > 10", row));
  EXPECT_TRUE(M("price = 12.5", row));
  EXPECT_TRUE(M("price = 12.50", row));
  EXPECT_TRUE(M("price = 1.25e1", row));
  EXPECT_TRUE(M("price < 12.51", row));
  EXPECT_FALSE(M("price < 12.5", row));
  EXPECT_TRUE(M("price >= 12.5", row));
  // A text literal compares as text with a string, bytewise.
  EXPECT_TRUE(M("price = '12.50'", row));
  EXPECT_FALSE(M("price = '12.5'", row));
  EXPECT_TRUE(M("price < '9'", row));  // "1" < "9"
  EXPECT_FALSE(M("price < 9", row));   // numerically 12.5 > 9
  // A text literal that is a numeric string compares numerically with a number.
  EXPECT_TRUE(M("n = '5'", json{{"n", 5}}));
  EXPECT_TRUE(M("n = '5.0'", json{{"n", 5}}));
  EXPECT_TRUE(M("n < '10'", json{{"n", 5}}));
  EXPECT_TRUE(M("x = 12.5", json{{"x", 12.5}}));
  // Text that is no number against a number: unknown, either way round.
  EXPECT_FALSE(M("name > 0", row));
  EXPECT_FALSE(M("NOT name > 0", row));
  EXPECT_FALSE(M("name = 0", row));
  EXPECT_FALSE(M("NOT name = 0", row));
  EXPECT_FALSE(M("n = 'abc'", json{{"n", 5}}));
  EXPECT_FALSE(M("NOT n = 'abc'", json{{"n", 5}}));
  // Strings that look almost numeric are not.
  for (const char* s : {" 5", "5 ", "+5", "5.", ".5", "1e", "0x10", "NaN", "Infinity", "1,5"}) {
    EXPECT_FALSE(M("v = 5", json{{"v", s}})) << s;
    EXPECT_FALSE(M("NOT v = 5", json{{"v", s}})) << s;
  }
  EXPECT_TRUE(M("v = 5", json{{"v", "005"}}));
  EXPECT_TRUE(M("v = 0", json{{"v", "-0.000"}}));
  EXPECT_TRUE(M("v = 500", json{{"v", "5E2"}}));
  EXPECT_TRUE(M("v = 0.05", json{{"v", "5e-2"}}));
}

TEST(RowFilterTest, BigIntegersExactly) {
  json row = {{"big", "12345678901234567890"}};
  EXPECT_TRUE(M("big = 12345678901234567890", row));
  EXPECT_FALSE(M("big = 12345678901234567891", row));
  EXPECT_TRUE(M("big < 12345678901234567891", row));
  EXPECT_TRUE(M("big > 12345678901234567889", row));
  EXPECT_TRUE(M("big > 9223372036854775807", row));
  EXPECT_TRUE(M("big = 12345678901234567890.000", row));
  EXPECT_FALSE(M("big = 12345678901234567890.001", row));
  // Beyond a double's 53 bits: 2^53 + 1 differs from 2^53.
  json exact = {{"n", 9007199254740993LL}};
  EXPECT_TRUE(M("n = 9007199254740993", exact));
  EXPECT_FALSE(M("n = 9007199254740992", exact));
  EXPECT_TRUE(M("n > 9007199254740992", exact));
  EXPECT_TRUE(M("n = '9007199254740993'", exact));
  // Unsigned and signed extremes.
  json u = {{"u", std::numeric_limits<uint64_t>::max()}};
  EXPECT_TRUE(M("u = 18446744073709551615", u));
  EXPECT_TRUE(M("u > 18446744073709551614", u));
  EXPECT_TRUE(M("u > -1", u));
  EXPECT_TRUE(M("u < 18446744073709551616", u));
  json i = {{"i", std::numeric_limits<int64_t>::min()}};
  EXPECT_TRUE(M("i = -9223372036854775808", i));
  EXPECT_TRUE(M("i < -9223372036854775807", i));
  EXPECT_TRUE(M("i > -9223372036854775809", i));
  // Long decimals with every digit kept.
  json d = {{"d", "12345678901234567890.000000001"}};
  EXPECT_TRUE(M("d > 12345678901234567890", d));
  EXPECT_TRUE(M("d < 12345678901234567890.0000000011", d));
  EXPECT_TRUE(M("d = 12345678901234567890.000000001000", d));
  EXPECT_TRUE(M("neg < -12345678901234567890", json{{"neg", "-12345678901234567891"}}));
}

TEST(RowFilterTest, DoublesCompareByTheirShortestForm) {
  EXPECT_TRUE(M("x = 0.1", json{{"x", 0.1}}));
  EXPECT_TRUE(M("x > 0.1", json{{"x", 0.1 + 0.2}}));
  EXPECT_TRUE(M("x = 1e300", json{{"x", 1e300}}));
  EXPECT_TRUE(M("x < 0", json{{"x", -1.5e-7}}));
  EXPECT_TRUE(M("x = 0", json{{"x", -0.0}}));
  EXPECT_TRUE(M("x = '0.1'", json{{"x", 0.1}}));
  EXPECT_FALSE(M("x = 0", json{{"x", std::numeric_limits<double>::quiet_NaN()}}));
  EXPECT_FALSE(M("NOT x = 0", json{{"x", std::numeric_limits<double>::infinity()}}));
}

TEST(RowFilterTest, PrecedenceNotThenAndThenOr) {
  json row = {{"a", 1}, {"b", 2}, {"c", 3}};
  // OR binds looser than AND: a = 0 AND b = 0 OR c = 3 is (false AND false) OR true.
  EXPECT_TRUE(M("a = 0 AND b = 0 OR c = 3", row));
  EXPECT_FALSE(M("a = 0 AND (b = 0 OR c = 3)", row));
  EXPECT_TRUE(M("c = 3 OR a = 0 AND b = 0", row));
  EXPECT_FALSE(M("(c = 3 OR a = 0) AND b = 0", row));
  // NOT binds tighter than AND.
  EXPECT_TRUE(M("NOT a = 0 AND b = 2", row));
  EXPECT_FALSE(M("NOT (a = 1 AND b = 2)", row));
  EXPECT_FALSE(M("NOT a = 1 AND b = 2", row));
  EXPECT_TRUE(M("NOT NOT a = 1", row));
  EXPECT_FALSE(M("NOT NOT NOT a = 1", row));
  EXPECT_TRUE(M("not (a = 0 or b = 0)", row));
  EXPECT_TRUE(M("((((a = 1))))", row));
  EXPECT_TRUE(M("a = 1 aNd b = 2 AnD c = 3", row));
  EXPECT_TRUE(M("a = 0 or b = 0 Or c = 3", row));
}

TEST(RowFilterTest, NullIsUnknown) {
  json row = {{"n", nullptr}, {"a", 1}};
  for (const char* f : {"n = 1", "n != 1", "n < 1", "n >= 1", "n = 'x'", "n = TRUE", "missing = 1",
                        "a = NULL", "a != NULL", "n = NULL", "a < NULL"}) {
    EXPECT_FALSE(M(f, row)) << f;
    EXPECT_FALSE(M(std::string("NOT ") + f, row)) << "NOT " << f;
    EXPECT_FALSE(M(std::string("NOT (") + f + ")", row)) << "NOT (" << f << ")";
  }
  // unknown AND false is false, so NOT of it is true; unknown AND true is unknown.
  EXPECT_FALSE(M("n = 1 AND a = 2", row));
  EXPECT_TRUE(M("NOT (n = 1 AND a = 2)", row));
  EXPECT_FALSE(M("NOT (n = 1 AND a = 1)", row));
  // unknown OR true is true; unknown OR false is unknown.
  EXPECT_TRUE(M("n = 1 OR a = 1", row));
  EXPECT_FALSE(M("NOT (n = 1 OR a = 1)", row));
  EXPECT_FALSE(M("n = 1 OR a = 2", row));
  EXPECT_FALSE(M("NOT (n = 1 OR a = 2)", row));
  EXPECT_FALSE(M("NOT NOT n = 1", row));
}

TEST(RowFilterTest, IsNull) {
  json row = {{"n", nullptr}, {"a", 1}, {"s", ""}, {"f", false}};
  EXPECT_TRUE(M("n IS NULL", row));
  EXPECT_FALSE(M("n IS NOT NULL", row));
  EXPECT_TRUE(M("missing IS NULL", row));
  EXPECT_FALSE(M("a IS NULL", row));
  EXPECT_TRUE(M("a IS NOT NULL", row));
  EXPECT_TRUE(M("s is not null", row));
  EXPECT_TRUE(M("f IS NOT NULL", row));
  EXPECT_TRUE(M("NOT n IS NOT NULL", row));
  EXPECT_TRUE(M("NOT a IS NULL", row));
  // A row that is not an object has every column NULL.
  EXPECT_TRUE(M("a IS NULL", json::array({1, 2})));
  EXPECT_FALSE(M("a = 1", json(nullptr)));
}

TEST(RowFilterTest, InAndNotIn) {
  json row = {{"a", 2}, {"s", "x"}, {"n", nullptr}, {"b", true}};
  EXPECT_TRUE(M("a IN (1, 2, 3)", row));
  EXPECT_FALSE(M("a IN (1, 3)", row));
  EXPECT_TRUE(M("a IN (2)", row));
  EXPECT_TRUE(M("a IN ('2.0')", row));
  EXPECT_TRUE(M("s IN ('w', 'x')", row));
  EXPECT_TRUE(M("b IN (FALSE, TRUE)", row));
  EXPECT_FALSE(M("a NOT IN (1, 2, 3)", row));
  EXPECT_TRUE(M("a NOT IN (1, 3)", row));
  EXPECT_TRUE(M("a not in (1,3)", row));
  EXPECT_TRUE(M("NOT a IN (1, 3)", row));
  // IN with a NULL in the list: true when it finds the value, else unknown.
  EXPECT_TRUE(M("a IN (2, NULL)", row));
  EXPECT_FALSE(M("a IN (1, NULL)", row));
  EXPECT_FALSE(M("NOT a IN (1, NULL)", row));
  EXPECT_FALSE(M("a NOT IN (1, NULL)", row));  // never true with a NULL in the list
  EXPECT_FALSE(M("a NOT IN (2, NULL)", row));
  EXPECT_FALSE(M("NOT a NOT IN (1, NULL)", row));
  EXPECT_TRUE(M("NOT a NOT IN (2, NULL)", row));
  // A NULL value: unknown both ways.
  EXPECT_FALSE(M("n IN (1, 2)", row));
  EXPECT_FALSE(M("n NOT IN (1, 2)", row));
  EXPECT_FALSE(M("NOT n IN (1, 2)", row));
  // Kinds that do not compare are unknown, as NULL is.
  EXPECT_FALSE(M("s IN (1, 2)", row));
  EXPECT_FALSE(M("s NOT IN (1, 2)", row));
  EXPECT_TRUE(M("s IN (1, 'x')", row));
}

TEST(RowFilterTest, Quoting) {
  json row = {
      {"it's", "it's"}, {"say \"hi\"", "yes"}, {"order", 1}, {"Mixed Case", "a"}, {"_x9", 9}};
  EXPECT_TRUE(M("\"it's\" = 'it''s'", row));
  EXPECT_TRUE(M("\"say \"\"hi\"\"\" = 'yes'", row));
  EXPECT_TRUE(M("\"order\" = 1", row));  // a keyword as a column, quoted
  EXPECT_TRUE(M("\"Mixed Case\" = 'a'", row));
  EXPECT_TRUE(M("_x9 = 9", row));
  EXPECT_FALSE(M("mixed = 'a'", row));
  EXPECT_TRUE(M("s = ''''", json{{"s", "'"}}));
  EXPECT_TRUE(M("s = 'a''''b'", json{{"s", "a''b"}}));
  EXPECT_TRUE(M("s = 'AND OR ( )'", json{{"s", "AND OR ( )"}}));
  EXPECT_TRUE(M("s = '\xc3\xa9'", json{{"s", "\xc3\xa9"}}));
  EXPECT_TRUE(M("\"NULL\" IS NOT NULL", json{{"NULL", 0}}));
  // Columns are case-sensitive; keywords are not.
  EXPECT_FALSE(M("A = 1", json{{"a", 1}}));
  EXPECT_TRUE(M("a iS nOt NuLl", json{{"a", 1}}));
}

TEST(RowFilterTest, MatchesPairs) {
  RowFilter f = MustParse("a = 1 AND s = 'x' AND missing IS NULL");
  std::vector<std::pair<std::string, json>> row = {{"a", 1}, {"s", "x"}};
  EXPECT_TRUE(f.Matches(row));
  row[0].second = 2;
  EXPECT_FALSE(f.Matches(row));
}

TEST(RowFilterTest, ColumnsAndText) {
  RowFilter f = MustParse("b = 1 OR (a = 2 AND \"b\" = 3) OR c IN (1) OR NOT a IS NULL");
  EXPECT_EQ(f.columns(), (std::vector<std::string>{"b", "a", "c"}));
  EXPECT_EQ(f.text(), "b = 1 OR (a = 2 AND \"b\" = 3) OR c IN (1) OR NOT a IS NULL");
  EXPECT_FALSE(f.empty());
  RowFilter copy = f;
  EXPECT_TRUE(copy.Matches(json{{"b", 1}}));
  RowFilter moved = std::move(copy);
  EXPECT_TRUE(moved.Matches(json{{"a", 2}, {"b", 3}}));
  EXPECT_FALSE(moved.Matches(json{{"a", nullptr}}));
}

TEST(RowFilterTest, And) {
  RowFilter a = MustParse("tenant = 7");
  RowFilter b = MustParse("status = 'open' OR tenant = 8");
  RowFilter both = RowFilter::And(a, b);
  EXPECT_FALSE(both.empty());
  EXPECT_EQ(both.columns(), (std::vector<std::string>{"tenant", "status"}));
  EXPECT_EQ(both.text(), "(tenant = 7) AND (status = 'open' OR tenant = 8)");
  EXPECT_TRUE(both.Matches(json{{"tenant", 7}, {"status", "open"}}));
  EXPECT_FALSE(both.Matches(json{{"tenant", 8}, {"status", "open"}}));  // not a
  EXPECT_FALSE(both.Matches(json{{"tenant", 7}, {"status", "done"}}));  // not b
  // Its text parses back to the same filter.
  RowFilter again = MustParse(both.text());
  EXPECT_TRUE(again.Matches(json{{"tenant", 7}, {"status", "open"}}));
  EXPECT_FALSE(again.Matches(json{{"tenant", 8}, {"status", "open"}}));
  // With a filter that takes every row, the other one alone.
  RowFilter only_a = RowFilter::And(a, RowFilter());
  EXPECT_EQ(only_a.text(), "tenant = 7");
  EXPECT_EQ(only_a.columns(), (std::vector<std::string>{"tenant"}));
  EXPECT_FALSE(only_a.Matches(json{{"tenant", 8}}));
  RowFilter only_b = RowFilter::And(RowFilter(), b);
  EXPECT_EQ(only_b.text(), b.text());
  EXPECT_TRUE(RowFilter::And(RowFilter(), RowFilter()).empty());
  // The originals are unchanged.
  EXPECT_EQ(a.text(), "tenant = 7");
  EXPECT_TRUE(a.Matches(json{{"tenant", 7}}));
}

TEST(RowFilterTest, IsColumn) {
  auto is_column = [](std::string_view c) { return c == "id" || c == "seats" || c == "status"; };
  EXPECT_TRUE(RowFilter::Parse("id = 1 AND seats > 2", is_column).ok());
  Result<RowFilter> bad = RowFilter::Parse("stauts = 'open'", is_column);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "where: at 1: unknown column \"stauts\"");
  bad = RowFilter::Parse("id = 1 OR \"sea\"\"ts\" > 2", is_column);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "where: at 11: unknown column \"sea\\\"ts\"");

  std::vector<std::string> columns = {"id", "seats", "status"};
  EXPECT_TRUE(RowFilter::Parse("status = 'open'", columns).ok());
  bad = RowFilter::Parse("stauts = 'open'", columns);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "where: at 1: unknown column \"stauts\" (columns: id, seats, status)");
  bad = RowFilter::Parse("id = 1 AND (seats > 2 OR x IS NULL)", columns);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "where: at 26: unknown column \"x\" (columns: id, seats, status)");
}

TEST(RowFilterTest, EveryErrorMessage) {
  const std::string kLiteral = "expected a literal ('text', a number, TRUE, FALSE or NULL)";
  const std::string kOperator = "expected an operator (=, !=, <>, <, <=, >, >=, IS, IN or NOT IN)";
  EXPECT_EQ(ErrorOf("status = 'open' AND AND"),
            "where: at 21: expected a column, \"(\" or NOT, got \"AND\"");
  EXPECT_EQ(ErrorOf("seats > 2 AND status ="), "where: at 23: " + kLiteral + ", got the end");
  EXPECT_EQ(ErrorOf("seats >= AND"), "where: at 10: " + kLiteral + ", got \"AND\"");
  EXPECT_EQ(ErrorOf("seats = seats"), "where: at 9: " + kLiteral + ", got \"seats\"");
  EXPECT_EQ(ErrorOf("a = 1 b = 2"), "where: at 7: expected AND, OR or the end, got \"b\"");
  EXPECT_EQ(ErrorOf("a = 1)"), "where: at 6: expected AND, OR or the end, got \")\"");
  EXPECT_EQ(ErrorOf("(a = 1"), "where: at 7: expected AND, OR or \")\", got the end");
  EXPECT_EQ(ErrorOf("(a = 1 b"), "where: at 8: expected AND, OR or \")\", got \"b\"");
  EXPECT_EQ(ErrorOf("a"), "where: at 2: " + kOperator + ", got the end");
  EXPECT_EQ(ErrorOf("a LIKE 'x'"), "where: at 3: " + kOperator + ", got \"LIKE\"");
  EXPECT_EQ(ErrorOf("a == 1"), "where: at 4: " + kLiteral + ", got \"=\"");
  EXPECT_EQ(ErrorOf("a ! 1"), "where: at 3: " + kOperator + ", got \"!\"");
  EXPECT_EQ(ErrorOf("a IS 1"), "where: at 6: expected NULL or NOT NULL, got \"1\"");
  EXPECT_EQ(ErrorOf("a IS NOT 'x'"), "where: at 10: expected NULL, got \"'x'\"");
  EXPECT_EQ(ErrorOf("a NOT = 1"), "where: at 7: expected IN, got \"=\"");
  EXPECT_EQ(ErrorOf("a IN 1"), "where: at 6: expected \"(\", got \"1\"");
  EXPECT_EQ(ErrorOf("a IN ()"), "where: at 7: " + kLiteral + ", got \")\"");
  EXPECT_EQ(ErrorOf("a IN (1 2)"), "where: at 9: expected \",\" or \")\", got \"2\"");
  EXPECT_EQ(ErrorOf("a IN (1,"), "where: at 9: " + kLiteral + ", got the end");
  EXPECT_EQ(ErrorOf("b < TRUE"), "where: at 3: expected = or != before a boolean, got \"<\"");
  EXPECT_EQ(ErrorOf("b >= false"), "where: at 3: expected = or != before a boolean, got \">=\"");
  EXPECT_EQ(ErrorOf("TRUE = b"), "where: at 1: expected a column, \"(\" or NOT, got \"TRUE\"");
  EXPECT_EQ(ErrorOf("1 = a"), "where: at 1: expected a column, \"(\" or NOT, got \"1\"");
  EXPECT_EQ(ErrorOf("NOT"), "where: at 4: expected a column, \"(\" or NOT, got the end");
  EXPECT_EQ(ErrorOf("()"), "where: at 2: expected a column, \"(\" or NOT, got \")\"");
  EXPECT_EQ(ErrorOf("a = 1 # x"), "where: at 7: expected AND, OR or the end, got \"#\"");
  EXPECT_EQ(ErrorOf("a = 'x"),
            "where: at 5: expected a closing ' for the text begun here, got the end");
  EXPECT_EQ(ErrorOf("a = 'it''s"),
            "where: at 5: expected a closing ' for the text begun here, got the end");
  EXPECT_EQ(ErrorOf("\"a = 1"),
            "where: at 1: expected a closing \" for the column begun here, got the end");
  EXPECT_EQ(ErrorOf("\"\" = 1"),
            "where: at 1: expected a column name between the double quotes, got none");
  const std::string kNumber =
      "expected a number (digits, optionally a fraction and an exponent: -12.5e3), got ";
  EXPECT_EQ(ErrorOf("a = 12."), "where: at 5: " + kNumber + "\"12.\"");
  EXPECT_EQ(ErrorOf("a = 12.x"), "where: at 5: " + kNumber + "\"12.x\"");
  EXPECT_EQ(ErrorOf("a = 1e"), "where: at 5: " + kNumber + "\"1e\"");
  EXPECT_EQ(ErrorOf("a = 12abc"), "where: at 5: " + kNumber + "\"12abc\"");
  EXPECT_EQ(ErrorOf("a = 1.2.3"), "where: at 5: " + kNumber + "\"1.2.3\"");
  EXPECT_EQ(ErrorOf("a = 1e1234567890"), "where: at 5: " + kNumber + "\"1e1234567890\"");
  EXPECT_EQ(ErrorOf("a = - 1"), "where: at 5: " + kLiteral + ", got \"-\"");
  // Positions count characters, and what is shown stays readable ASCII.
  EXPECT_EQ(ErrorOf("s = '\xc3\xa9\xc3\xa9' AND \xc3\xa9"),
            "where: at 14: expected a column, \"(\" or NOT, got \"\\xc3\\xa9\"");
  EXPECT_EQ(ErrorOf("a = 1 AND \x01"),
            "where: at 11: expected a column, \"(\" or NOT, got \"\\x01\"");
  EXPECT_EQ(ErrorOf("a = 1 OR b = 'a\"b' c"),
            "where: at 20: expected AND, OR or the end, got \"c\"");
  EXPECT_EQ(ErrorOf("a = 1 '" + std::string(50, 'x') + "'"),
            "where: at 7: expected AND, OR or the end, got \"'" + std::string(39, 'x') + "...\"");
}

TEST(RowFilterTest, Limits) {
  // 64 comparisons, of every kind, is the most.
  std::string text = "a = 0";
  for (int i = 1; i < 62; ++i) text += " OR a = " + std::to_string(i);
  text += " OR a IS NULL OR a IN (1, 2, 3)";
  RowFilter f = MustParse(text);
  EXPECT_TRUE(f.Matches(json{{"a", 61}}));
  EXPECT_FALSE(f.Matches(json{{"a", 62}}));
  std::string too_many = text + " OR b = 1";
  EXPECT_EQ(ErrorOf(too_many), "where: at " + std::to_string(text.size() + 5) +
                                   ": more than 64 comparisons (the limit)");
  // Nesting: 16 parentheses deep is the most; NOTs do not nest.
  std::string deep = std::string(16, '(') + "a = 1" + std::string(16, ')');
  EXPECT_TRUE(M(deep, json{{"a", 1}}));
  std::string nots;
  for (int i = 0; i < 501; ++i) nots += "NOT ";
  EXPECT_FALSE(M(nots + "a = 1", json{{"a", 1}}));
  EXPECT_TRUE(M(nots + "a = 2", json{{"a", 1}}));
  EXPECT_EQ(ErrorOf("a = 1 AND " + std::string(17, '(') + "a = 1" + std::string(17, ')')),
            "where: at 27: nested deeper than 16 parentheses (the limit)");
  std::string wide = "(a = 1)";
  for (int i = 0; i < 40; ++i) wide += " AND (a = 1)";
  EXPECT_TRUE(M(wide, json{{"a", 1}}));  // depth, not count, of parentheses
  // 4 KiB of text is the most.
  std::string padded = "a = 1" + std::string(4096 - 5, ' ');
  EXPECT_TRUE(M(padded, json{{"a", 1}}));
  EXPECT_EQ(ErrorOf(padded + " "),
            "where: at 4097: expected the end (a filter is at most 4 KiB), got 4097 bytes in all");
  std::string in_list = "a IN (0";
  for (int i = 1; i < 1000; ++i) in_list += "," + std::to_string(i);
  in_list += ")";
  ASSERT_LT(in_list.size(), 4096u);
  EXPECT_TRUE(M(in_list, json{{"a", 999}}));  // one comparison, however long its list
}

// --- Random filters against a plain evaluator ------------------------------

// A literal as the test writes it and judges it.
struct RefLiteral {
  enum Kind { kNull, kBool, kNumber, kText } kind;
  std::string text;  // kNumber: as written; kText: the value; kBool: "TRUE"/"FALSE"
};

struct RefNode {
  enum Kind { kAnd, kOr, kNot, kCompare, kIsNull, kIn } kind;
  std::vector<RefNode> children;
  std::string column;
  std::string op;
  bool negated = false;
  std::vector<RefLiteral> literals;
};

// A decimal as fixed-point digits: sign, integer digits, fraction digits,
// with no leading zeros in the integer part nor trailing in the fraction.
struct Fixed {
  bool negative;
  std::string integer;
  std::string fraction;
};

std::optional<Fixed> ToFixed(const std::string& s) {
  size_t i = 0;
  bool negative = false;
  if (i < s.size() && s[i] == '-') negative = true, ++i;
  std::string integer, fraction;
  while (i < s.size() && isdigit(static_cast<unsigned char>(s[i]))) integer += s[i++];
  if (integer.empty()) return std::nullopt;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && isdigit(static_cast<unsigned char>(s[i]))) fraction += s[i++];
    if (fraction.empty()) return std::nullopt;
  }
  int exp = 0;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    int sign = 1;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) sign = s[i++] == '-' ? -1 : 1;
    std::string digits;
    while (i < s.size() && isdigit(static_cast<unsigned char>(s[i]))) digits += s[i++];
    if (digits.empty() || digits.size() > 4) return std::nullopt;
    exp = sign * std::stoi(digits);
  }
  if (i != s.size()) return std::nullopt;
  // Move the point by the exponent.
  for (; exp > 0; --exp) {
    integer += fraction.empty() ? '0' : fraction[0];
    if (!fraction.empty()) fraction.erase(0, 1);
  }
  for (; exp < 0; ++exp) {
    fraction.insert(fraction.begin(), integer.back());
    integer.pop_back();
    if (integer.empty()) integer = "0";
  }
  integer.erase(0, std::min(integer.find_first_not_of('0'), integer.size()));
  while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
  if (integer.empty() && fraction.empty()) negative = false;
  return Fixed{negative, integer, fraction};
}

int CompareFixed(const Fixed& a, const Fixed& b) {
  if (a.negative != b.negative) return a.negative ? -1 : 1;
  int c = 0;
  if (a.integer.size() != b.integer.size()) {
    c = a.integer.size() < b.integer.size() ? -1 : 1;
  } else {
    size_t width = std::max(a.fraction.size(), b.fraction.size());
    std::string x = a.integer + a.fraction + std::string(width - a.fraction.size(), '0');
    std::string y = b.integer + b.fraction + std::string(width - b.fraction.size(), '0');
    c = x < y ? -1 : (x > y ? 1 : 0);
  }
  return a.negative ? -c : c;
}

enum class T { kF, kU, kT };

T RefNot(T t) { return t == T::kT ? T::kF : (t == T::kF ? T::kT : T::kU); }

// <0, 0, >0, or nullopt: unknown.
std::optional<int> RefCompare(const json* v, const RefLiteral& lit) {
  if (v == nullptr || v->is_null() || lit.kind == RefLiteral::kNull) return std::nullopt;
  if (v->is_boolean()) {
    if (lit.kind != RefLiteral::kBool) return std::nullopt;
    bool b = lit.text == "TRUE";
    return v->get<bool>() == b ? 0 : (v->get<bool>() ? 1 : -1);
  }
  if (v->is_number()) {
    if (lit.kind != RefLiteral::kNumber && lit.kind != RefLiteral::kText) return std::nullopt;
    auto a = ToFixed(v->dump());
    auto b = ToFixed(lit.text);
    if (!a || !b) return std::nullopt;
    return CompareFixed(*a, *b);
  }
  if (v->is_string()) {
    const std::string& s = v->get_ref<const std::string&>();
    if (lit.kind == RefLiteral::kText) {
      for (size_t i = 0; i < s.size() && i < lit.text.size(); ++i) {
        auto x = static_cast<unsigned char>(s[i]), y = static_cast<unsigned char>(lit.text[i]);
        if (x != y) return x < y ? -1 : 1;
      }
      return s.size() == lit.text.size() ? 0 : (s.size() < lit.text.size() ? -1 : 1);
    }
    if (lit.kind != RefLiteral::kNumber) return std::nullopt;
    auto a = ToFixed(s);
    auto b = ToFixed(lit.text);
    if (!a || !b) return std::nullopt;
    return CompareFixed(*a, *b);
  }
  return std::nullopt;
}

T RefEval(const RefNode& n, const json& row) {
  auto value = [&row](const std::string& c) -> const json* {
    return row.contains(c) ? &row.at(c) : nullptr;
  };
  switch (n.kind) {
    case RefNode::kAnd: {
      bool any_false = false, any_unknown = false;
      for (const auto& c : n.children) {
        T t = RefEval(c, row);
        any_false |= t == T::kF;
        any_unknown |= t == T::kU;
      }
      return any_false ? T::kF : (any_unknown ? T::kU : T::kT);
    }
    case RefNode::kOr: {
      bool any_true = false, any_unknown = false;
      for (const auto& c : n.children) {
        T t = RefEval(c, row);
        any_true |= t == T::kT;
        any_unknown |= t == T::kU;
      }
      return any_true ? T::kT : (any_unknown ? T::kU : T::kF);
    }
    case RefNode::kNot:
      return RefNot(RefEval(n.children[0], row));
    case RefNode::kCompare: {
      auto c = RefCompare(value(n.column), n.literals[0]);
      if (!c) return T::kU;
      bool holds = n.op == "="                      ? *c == 0
                   : (n.op == "!=" || n.op == "<>") ? *c != 0
                   : n.op == "<"                    ? *c < 0
                   : n.op == "<="                   ? *c <= 0
                   : n.op == ">"                    ? *c > 0
                                                    : *c >= 0;
      return holds ? T::kT : T::kF;
    }
    case RefNode::kIsNull: {
      const json* v = value(n.column);
      bool is_null = v == nullptr || v->is_null();
      return (n.negated ? !is_null : is_null) ? T::kT : T::kF;
    }
    case RefNode::kIn: {
      // a IN (x, y) is a = x OR a = y; NOT IN is its negation.
      RefNode eqs{RefNode::kOr, {}, "", "", false, {}};
      for (const auto& lit : n.literals) {
        eqs.children.push_back(RefNode{RefNode::kCompare, {}, n.column, "=", false, {lit}});
      }
      T t = RefEval(eqs, row);
      return n.negated ? RefNot(t) : t;
    }
  }
  return T::kU;
}

class Writer {
 public:
  explicit Writer(std::mt19937& rng) : rng_(rng) {}

  std::string Keyword(const std::string& k) {
    std::string out = k;
    for (char& c : out) {
      if (Pick(2) == 0) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
    }
    return out;
  }
  std::string Space() { return Pick(4) == 0 ? "  " : " "; }
  std::string Column(const std::string& c) {
    bool bare = !c.empty() && (isalpha(static_cast<unsigned char>(c[0])) || c[0] == '_');
    for (char ch : c) bare = bare && (isalnum(static_cast<unsigned char>(ch)) || ch == '_');
    if (bare && Pick(2) == 0) return c;
    std::string out = "\"";
    for (char ch : c) out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
    return out + "\"";
  }
  std::string Literal(const RefLiteral& l) {
    switch (l.kind) {
      case RefLiteral::kNull:
        return Keyword("NULL");
      case RefLiteral::kBool:
        return Keyword(l.text);
      case RefLiteral::kNumber:
        return l.text;
      case RefLiteral::kText: {
        std::string out = "'";
        for (char ch : l.text) out += ch == '\'' ? std::string("''") : std::string(1, ch);
        return out + "'";
      }
    }
    return "";
  }
  // `n` as text; `depth` parentheses are open around it.
  std::string Write(const RefNode& n, int depth) {
    std::string inner;
    switch (n.kind) {
      case RefNode::kAnd:
      case RefNode::kOr:
        for (size_t i = 0; i < n.children.size(); ++i) {
          if (i > 0) inner += Space() + Keyword(n.kind == RefNode::kAnd ? "AND" : "OR") + Space();
          // Children of a looser or equal operator need parentheses.
          const RefNode& c = n.children[i];
          bool paren =
              c.kind == RefNode::kOr || (c.kind == RefNode::kAnd && n.kind == RefNode::kAnd);
          inner += paren ? "(" + Write(c, depth + 1) + ")" : Write(c, depth);
        }
        break;
      case RefNode::kNot: {
        const RefNode& c = n.children[0];
        bool paren = c.kind == RefNode::kAnd || c.kind == RefNode::kOr;
        inner =
            Keyword("NOT") + Space() + (paren ? "(" + Write(c, depth + 1) + ")" : Write(c, depth));
        break;
      }
      case RefNode::kCompare:
        inner = Column(n.column) + (Pick(3) == 0 ? "" : Space()) + n.op +
                (Pick(3) == 0 ? "" : Space()) + Literal(n.literals[0]);
        break;
      case RefNode::kIsNull:
        inner = Column(n.column) + Space() + Keyword("IS") + Space() +
                (n.negated ? Keyword("NOT") + Space() : "") + Keyword("NULL");
        break;
      case RefNode::kIn:
        inner = Column(n.column) + Space() + (n.negated ? Keyword("NOT") + Space() : "") +
                Keyword("IN") + Space() + "(";
        for (size_t i = 0; i < n.literals.size(); ++i) {
          if (i > 0) inner += "," + Space();
          inner += Literal(n.literals[i]);
        }
        inner += ")";
        break;
    }
    // Now and then parentheses that change nothing, within the depth limit.
    if (depth < 16 && Pick(6) == 0) return "(" + inner + ")";
    return inner;
  }

 private:
  int Pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  std::mt19937& rng_;
};

class Generator {
 public:
  explicit Generator(std::mt19937& rng) : rng_(rng) {}

  RefLiteral Literal(bool allow_bool) {
    static const std::vector<RefLiteral> kPool = {
        {RefLiteral::kNull, ""},
        {RefLiteral::kNumber, "0"},
        {RefLiteral::kNumber, "-1"},
        {RefLiteral::kNumber, "5"},
        {RefLiteral::kNumber, "12"},
        {RefLiteral::kNumber, "12.5"},
        {RefLiteral::kNumber, "12.50"},
        {RefLiteral::kNumber, "1.25e1"},
        {RefLiteral::kNumber, "1e3"},
        {RefLiteral::kNumber, "0.1"},
        {RefLiteral::kNumber, "-0.0"},
        {RefLiteral::kNumber, "9007199254740993"},
        {RefLiteral::kNumber, "12345678901234567890"},
        {RefLiteral::kNumber, "12345678901234567891"},
        {RefLiteral::kNumber, "-12345678901234567890"},
        {RefLiteral::kNumber, "18446744073709551615"},
        {RefLiteral::kNumber, "-9223372036854775808"},
        {RefLiteral::kText, "abc"},
        {RefLiteral::kText, "ABC"},
        {RefLiteral::kText, ""},
        {RefLiteral::kText, "ab"},
        {RefLiteral::kText, "it's"},
        {RefLiteral::kText, "12.5"},
        {RefLiteral::kText, "12.50"},
        {RefLiteral::kText, "5"},
        {RefLiteral::kText, "\xc3\xa9"},
        {RefLiteral::kText, "NaN"},
        {RefLiteral::kBool, "TRUE"},
        {RefLiteral::kBool, "FALSE"},
    };
    while (true) {
      const RefLiteral& l = kPool[Pick(kPool.size())];
      if (allow_bool || l.kind != RefLiteral::kBool) return l;
    }
  }

  json Value() {
    static const std::vector<json> kPool = {
        nullptr,
        true,
        false,
        0,
        -1,
        5,
        12,
        1000,
        9007199254740993LL,
        std::numeric_limits<uint64_t>::max(),
        std::numeric_limits<int64_t>::min(),
        0.1,
        12.5,
        -2.25,
        1e20,
        1e-5,
        "12345678901234567890",
        "12345678901234567891",
        "-12345678901234567890",
        "12345678901234567890.000000001",
        "12.50",
        "12.5",
        "12",
        "5",
        "005",
        "0.10",
        "1e3",
        "abc",
        "ABC",
        "ab",
        "",
        "it's",
        "\xc3\xa9",
        "NaN",
        " 5",
    };
    return kPool[Pick(kPool.size())];
  }

  RefNode Node(int depth) {
    int choice = depth >= 4 || comparisons_ >= 60 ? 3 + Pick(3) : Pick(6);
    RefNode n{RefNode::kCompare, {}, "", "", false, {}};
    if (choice < 3) {
      n.kind = choice == 0 ? RefNode::kAnd : (choice == 1 ? RefNode::kOr : RefNode::kNot);
      int count = n.kind == RefNode::kNot ? 1 : 2 + Pick(3);
      for (int i = 0; i < count; ++i) n.children.push_back(Node(depth + 1));
      return n;
    }
    ++comparisons_;
    n.column = kColumns[Pick(kColumns.size())];
    if (choice == 3) {
      static const std::vector<std::string> kOps = {"=", "!=", "<>", "<", "<=", ">", ">="};
      n.op = kOps[Pick(kOps.size())];
      n.literals.push_back(Literal(n.op == "=" || n.op == "!=" || n.op == "<>"));
    } else if (choice == 4) {
      n.kind = RefNode::kIsNull;
      n.negated = Pick(2) == 0;
    } else {
      n.kind = RefNode::kIn;
      n.negated = Pick(2) == 0;
      int count = 1 + Pick(4);
      for (int i = 0; i < count; ++i) n.literals.push_back(Literal(true));
    }
    return n;
  }

  RefNode Filter() {
    comparisons_ = 0;
    return Node(0);
  }

  json Row() {
    json row = json::object();
    for (const auto& c : kColumns) {
      if (Pick(8) != 0) row[c] = Value();  // sometimes missing
    }
    return row;
  }

  static inline const std::vector<std::string> kColumns = {"a", "b", "Mixed Case", "we\"ird"};

 private:
  size_t Pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  std::mt19937& rng_;
  int comparisons_ = 0;
};

TEST(RowFilterTest, RandomFiltersAgreeWithAPlainEvaluator) {
  std::mt19937 rng(20261127);
  Generator gen(rng);
  Writer writer(rng);
  int matched = 0, total = 0;
  for (int i = 0; i < 2000; ++i) {
    RefNode tree = gen.Filter();
    std::string text = writer.Write(tree, 0);
    if (text.size() > 4096) continue;
    Result<RowFilter> f = RowFilter::Parse(text, Generator::kColumns);
    ASSERT_TRUE(f.ok()) << text << ": " << f.status().ToString();
    for (int r = 0; r < 20; ++r) {
      json row = gen.Row();
      bool want = RefEval(tree, row) == T::kT;
      ASSERT_EQ(f->Matches(row), want) << "filter: " << text << "\nrow: " << row.dump();
      std::vector<std::pair<std::string, json>> as_pairs;
      for (auto it = row.begin(); it != row.end(); ++it) as_pairs.emplace_back(it.key(), *it);
      ASSERT_EQ(f->Matches(as_pairs), want) << "filter: " << text << "\nrow: " << row.dump();
      // The gateway's rows (ordered_json, in the table's column order, here
      // reversed): looked up in place, with the same outcome.
      nlohmann::ordered_json ordered = nlohmann::ordered_json::object();
      for (auto it = as_pairs.rbegin(); it != as_pairs.rend(); ++it)
        ordered[it->first] = it->second;
      ASSERT_EQ(f->Matches(ordered), want) << "filter: " << text << "\nrow: " << ordered.dump();
      matched += want;
      ++total;
    }
  }
  // Both outcomes are well represented.
  EXPECT_GT(matched, total / 20);
  EXPECT_LT(matched, total - total / 20);
}

}  // namespace
}  // namespace deltabridge
