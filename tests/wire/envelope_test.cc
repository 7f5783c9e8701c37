// Envelope encoding of every value kind of contract section 3, and decoding back.
#include "cdc/wire/envelope.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "cdc/core/utc_time.h"
#include "cdc/wire/topic.h"

namespace deltabridge {
namespace {

std::string Json(const Value& v) {
  std::string out;
  AppendJsonValue(&out, v);
  return out;
}

TEST(EnvelopeValueTest, NullBoolAndIntegers) {
  EXPECT_EQ(Json(Value::Null("int4")), "null");
  EXPECT_EQ(Json(Value::Bool(true)), "true");
  EXPECT_EQ(Json(Value::Bool(false)), "false");
  EXPECT_EQ(Json(Value::Int(0)), "0");
  EXPECT_EQ(Json(Value::Int(-42)), "-42");
  // |v| <= 2^53 stays a number; beyond it becomes a string of digits.
  EXPECT_EQ(Json(Value::Int(9007199254740992)), "9007199254740992");
  EXPECT_EQ(Json(Value::Int(-9007199254740992)), "-9007199254740992");
  EXPECT_EQ(Json(Value::Int(9007199254740993)), "\"9007199254740993\"");
  EXPECT_EQ(Json(Value::Int(std::numeric_limits<int64_t>::min())), "\"-9223372036854775808\"");
  EXPECT_EQ(Json(Value::UInt(18446744073709551615u)), "\"18446744073709551615\"");
  EXPECT_EQ(Json(Value::UInt(7)), "7");
}

TEST(EnvelopeValueTest, Floats) {
  EXPECT_EQ(Json(Value::Float(1.5)), "1.5");
  EXPECT_EQ(Json(Value::Float(0.1)), "0.1");
  EXPECT_EQ(Json(Value::Float(std::nan(""))), "\"NaN\"");
  EXPECT_EQ(Json(Value::Float(std::numeric_limits<double>::infinity())), "\"Infinity\"");
  EXPECT_EQ(Json(Value::Float(-std::numeric_limits<double>::infinity())), "\"-Infinity\"");
  // Shortest form that reads back exactly.
  double d = 1.0 / 3.0;
  std::string text = Json(Value::Float(d));
  EXPECT_EQ(std::stod(text), d);
  EXPECT_EQ(nlohmann::json::parse(Json(Value::Float(1e300))).get<double>(), 1e300);
}

TEST(EnvelopeValueTest, TextualKinds) {
  using K = Value::Kind;
  EXPECT_EQ(Json(Value::Textual(K::kDecimal, "12345678901234567890.000000001", "numeric")),
            "\"12345678901234567890.000000001\"");
  EXPECT_EQ(Json(Value::Textual(K::kText, "a \"q\" \\ \n\t\x01", "text")),
            "\"a \\\"q\\\" \\\\ \\n\\t\\u0001\"");
  EXPECT_EQ(Json(Value::Textual(K::kText, "caf\xC3\xA9 \xF0\x9F\x9A\x80", "text")),
            "\"caf\xC3\xA9 \xF0\x9F\x9A\x80\"");
  // Invalid UTF-8 never produces invalid JSON.
  EXPECT_EQ(Json(Value::Textual(K::kText,
                                "a\xFF"
                                "b",
                                "text")),
            "\"a\xEF\xBF\xBD"
            "b\"");
  EXPECT_EQ(Json(Value::Textual(K::kBinary, std::string("\x00\xFF\x10", 3), "bytea")), "\"AP8Q\"");
  EXPECT_EQ(Json(Value::Textual(K::kDate, "2026-11-27", "date")), "\"2026-11-27\"");
  EXPECT_EQ(Json(Value::Textual(K::kTime, "10:00:00.5", "time")), "\"10:00:00.5\"");
  EXPECT_EQ(Json(Value::Textual(K::kTimestamp, "2026-11-27T10:00:00", "timestamp")),
            "\"2026-11-27T10:00:00\"");
  EXPECT_EQ(Json(Value::Textual(K::kTimestampTz, "2026-11-27T10:00:00.123456Z", "timestamptz")),
            "\"2026-11-27T10:00:00.123456Z\"");
  EXPECT_EQ(Json(Value::Textual(K::kJson, "{\"a\": [1, 2]}", "jsonb")), "\"{\\\"a\\\": [1, 2]}\"");
  EXPECT_EQ(Json(Value::Textual(K::kOther, "{1,2,3}", "_int4")), "\"{1,2,3}\"");
}

Delta SampleDelta() {
  Delta d;
  d.seq = 1042;
  d.bridge = "parks";
  d.change.source = "scheduling";
  d.change.table = "public.tour_slots";
  d.change.op = Op::kUpdate;
  d.change.key = {{"id", Value::Int(42, "int4")}};
  d.change.changes.push_back({"status", Value::Textual(Value::Kind::kText, "open", "text"),
                              Value::Textual(Value::Kind::kText, "booked", "text")});
  d.change.changes.push_back({"seats", std::nullopt, Value::Null("int4")});
  d.change.commit_time_us = 1795773600123456;  // 2026-11-27T10:00:00.123456Z
  d.change.pos = "0/16B3748";
  d.change.tx_id = "731";
  d.change.tx_last = true;
  return d;
}

TEST(EnvelopeTest, EncodesTheContractExample) {
  std::string body = EncodeEnvelope(SampleDelta());
  EXPECT_EQ(body,
            "{\"seq\":1042,\"bridge\":\"parks\",\"source\":\"scheduling\",\"table\":\"public.tour_"
            "slots\",\"op\":\"update\",\"key\":{\"id\":42},\"changes\":{\"status\":{\"old\":"
            "\"open\",\"new\":\"booked\"},\"seats\":{\"new\":null}},\"ts\":\"2026-11-27T10:00:00."
            "123456Z\",\"pos\":\"0/16B3748\",\"tx\":{\"id\":\"731\",\"last\":true}}");
  // It is valid JSON.
  EXPECT_NO_THROW(nlohmann::json::parse(body));
}

TEST(EnvelopeTest, AppendEnvelopeAppendsTheEncodedBody) {
  const Delta d = SampleDelta();
  std::string out = "prefix";
  AppendEnvelope(&out, d.seq, d.bridge, d.change);
  EXPECT_EQ(out, "prefix" + EncodeEnvelope(d));
  // Strings that need escaping, in every field the encoder writes.
  Delta odd = d;
  odd.bridge = "b\"1";
  odd.change.table = "t\\\n\x01\xff\xc3\xa9";
  odd.change.changes[0].name = "caf\xc3\xa9\x7f";
  odd.change.tx_last = false;
  out.clear();
  AppendEnvelope(&out, odd.seq, odd.bridge, odd.change);
  EXPECT_EQ(out, EncodeEnvelope(odd));
  EXPECT_NE(out.find("\"bridge\":\"b\\\"1\""), std::string::npos);
  EXPECT_NE(out.find("\"table\":\"t\\\\\\n\\u0001\xef\xbf\xbd\xc3\xa9\""), std::string::npos);
  EXPECT_NE(out.find("\"caf\xc3\xa9\x7f\":"), std::string::npos);
}

TEST(EnvelopeTest, SharedHeadAndTailGiveTheSameBody) {
  Delta d = SampleDelta();
  d.bridge = "b\"1";
  d.change.table = "t\\\n\x01\xff";
  d.change.pos = "0-1-5 \"bin\".000002:50876";
  d.change.tx_id = "\t7";
  for (bool last : {false, true}) {
    d.change.tx_last = last;
    const std::string head = EnvelopeHead(d.bridge, d.change.source, d.change.table);
    const std::string tail = EnvelopeTail(d.change.commit_time_us, d.change.pos, d.change.tx_id);
    std::string out = "x";
    AppendEnvelopeWith(&out, d.seq, head, d.change, tail);
    EXPECT_EQ(out, "x" + EncodeEnvelope(d));
  }
}

TEST(EnvelopeTest, RoundTrips) {
  Delta in = SampleDelta();
  Result<Delta> out = DecodeEnvelope(EncodeEnvelope(in));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->seq, 1042u);
  EXPECT_EQ(out->bridge, "parks");
  EXPECT_EQ(out->change.table, "public.tour_slots");
  EXPECT_EQ(out->change.op, Op::kUpdate);
  ASSERT_EQ(out->change.key.size(), 1u);
  EXPECT_EQ(out->change.key[0].second.i, 42);
  ASSERT_EQ(out->change.changes.size(), 2u);
  EXPECT_EQ(out->change.changes[0].old_value->text, "open");
  EXPECT_EQ(out->change.changes[0].new_value->text, "booked");
  EXPECT_FALSE(out->change.changes[1].old_value.has_value());
  EXPECT_TRUE(out->change.changes[1].new_value->is_null());
  EXPECT_EQ(out->change.commit_time_us, in.change.commit_time_us);
  EXPECT_TRUE(out->change.tx_last);
}

TEST(EnvelopeTest, DecodeRejectsMalformedBodies) {
  EXPECT_TRUE(DecodeEnvelope("").status().IsCorruption());
  EXPECT_TRUE(DecodeEnvelope("[1,2]").status().IsCorruption());
  EXPECT_TRUE(DecodeEnvelope("{\"seq\":1}").status().IsCorruption());
  EXPECT_TRUE(DecodeEnvelope("{\"seq\":\"x\",\"bridge\":\"b\"}").status().IsCorruption());
  std::string body = EncodeEnvelope(SampleDelta());
  for (size_t n = 0; n < body.size(); ++n) {
    EXPECT_FALSE(DecodeEnvelope(body.substr(0, n)).ok()) << n;
  }
}

// The fast decoder (simdjson) must mean exactly what the tree decoder
// (nlohmann) means: same delta, or the same error.
std::string Describe(const Result<Delta>& r) {
  if (!r.ok()) return "error: " + r.status().ToString();
  std::string out = EncodeEnvelope(*r);
  for (const auto& [k, v] : r->change.key) out += " k:" + std::to_string(static_cast<int>(v.kind));
  for (const ColumnChange& c : r->change.changes) {
    out += " c:" + (c.old_value ? std::to_string(static_cast<int>(c.old_value->kind)) : "-") + "/" +
           (c.new_value ? std::to_string(static_cast<int>(c.new_value->kind)) : "-");
  }
  return out;
}

void ExpectSameMeaning(const std::string& body) {
  EXPECT_EQ(Describe(DecodeEnvelope(body)), Describe(DecodeEnvelopeWithTreeForTest(body))) << body;
}

TEST(EnvelopeTest, FastDecoderMeansWhatTheTreeDecoderMeans) {
  Delta rich = SampleDelta();
  rich.change.key.emplace_back("k2",
                               Value::Textual(Value::Kind::kText, "a\"b\\c\u00e9\x01", "text"));
  rich.change.changes.push_back(
      {"big", Value::Int(-9007199254740993), Value::UInt(18446744073709551615u)});
  rich.change.changes.push_back({"f", Value::Float(1e300), Value::Float(std::nan(""))});
  rich.change.changes.push_back({"b", Value::Bool(false), Value::Bool(true)});
  rich.change.changes.push_back({"n", std::nullopt, Value::Int(9007199254740992)});
  rich.change.changes.push_back(
      {"bin", std::nullopt, Value::Textual(Value::Kind::kBinary, "\x00\xff", "bytea")});
  rich.change.origin = {"app.web", "parks.scheduling"};
  rich.change.ref = "app:\"17\"\\";
  const std::string body = EncodeEnvelope(rich);
  ASSERT_TRUE(DecodeEnvelope(body).ok());
  ExpectSameMeaning(body);
  for (const std::string& odd : {
           // Fields in another order, whitespace, escapes, unknown fields.
           std::string("{ \"changes\" : {\"x\":{\"new\":1}}, \"key\":{\"id\":1},\"op\":\"insert\","
                       "\"table\":\"t\",\"source\":\"s\",\"bridge\":\"b\",\"seq\":3 }"),
           std::string(
               "{\"seq\":3,\"bridge\":\"b\",\"source\":\"s\",\"table\":\"t\",\"op\":\"insert\","
               "\"key\":{\"id\":1},\"changes\":{},\"extra\":[1,2]}"),
           // Values that are arrays or objects, numbers past 64 bits, 1.0.
           std::string(
               "{\"seq\":3,\"bridge\":\"b\",\"source\":\"s\",\"table\":\"t\",\"op\":\"insert\","
               "\"key\":{\"id\":[1, {\"a\":2}]},\"changes\":{\"x\":{\"new\":{\"z\":null}}}}"),
           std::string(
               "{\"seq\":3,\"bridge\":\"b\",\"source\":\"s\",\"table\":\"t\",\"op\":\"insert\","
               "\"key\":{\"id\":123456789012345678901234},\"changes\":{\"x\":{\"new\":1.0}}}"),
           // Repeated columns, repeated sides, unknown sides.
           std::string(
               "{\"seq\":3,\"bridge\":\"b\",\"source\":\"s\",\"table\":\"t\",\"op\":\"insert\","
               "\"key\":{\"id\":1,\"id\":2},\"changes\":{\"x\":{\"new\":1},\"x\":{\"old\":2}}}"),
           std::string(
               "{\"seq\":3,\"bridge\":\"b\",\"source\":\"s\",\"table\":\"t\",\"op\":\"insert\","
               "\"key\":{},\"changes\":{\"x\":{\"new\":1,\"new\":2,\"other\":3}}}"),
           // Mistyped and missing fields, a negative seq, trailing bytes, bad UTF-8.
           std::string(
               "{\"seq\":-3,\"bridge\":\"b\",\"source\":\"s\",\"table\":\"t\",\"op\":\"insert\","
               "\"key\":{},\"changes\":{}}"),
           std::string(
               "{\"seq\":3,\"bridge\":\"b\",\"source\":\"s\",\"table\":\"t\",\"op\":\"insert\","
               "\"key\":{},\"changes\":{\"x\":5}}"),
           std::string(
               "{\"seq\":3,\"bridge\":\"b\",\"source\":\"s\",\"table\":\"t\",\"op\":\"upsert\","
               "\"key\":{},\"changes\":{}}"),
           std::string(
               "{\"seq\":3,\"bridge\":\"b\",\"source\":\"s\",\"table\":\"t\",\"op\":\"insert\","
               "\"key\":{},\"changes\":{},\"tx\":{\"id\":\"1\"}}"),
           std::string(
               "{\"seq\":3,\"bridge\":\"b\",\"source\":\"s\",\"table\":\"t\",\"op\":\"insert\","
               "\"key\":{},\"changes\":{},\"ts\":\"yesterday\"}"),
           std::string(
               "{\"seq\":3,\"bridge\":\"b\",\"source\":\"s\",\"table\":\"t\",\"op\":\"insert\","
               "\"key\":{},\"changes\":{}} x"),
           std::string(
               "{\"seq\":3,\"bridge\":\"b\xff\",\"source\":\"s\",\"table\":\"t\",\"op\":\"insert\","
               "\"key\":{},\"changes\":{}}"),
           std::string("{\"seq\":3,\"bridge\":\"b\",\"source\":\"s\\u0000\",\"table\":\"t\",\"op\":"
                       "\"insert\","
                       "\"key\":{},\"changes\":{}}"),
           // A ref: empty, mistyped, repeated, escaped.
           std::string(
               "{\"seq\":3,\"bridge\":\"b\",\"source\":\"s\",\"table\":\"t\",\"op\":\"insert\","
               "\"key\":{},\"changes\":{},\"ref\":\"\"}"),
           std::string(
               "{\"seq\":3,\"bridge\":\"b\",\"source\":\"s\",\"table\":\"t\",\"op\":\"insert\","
               "\"key\":{},\"changes\":{},\"ref\":17}"),
           std::string(
               "{\"seq\":3,\"bridge\":\"b\",\"source\":\"s\",\"table\":\"t\",\"op\":\"insert\","
               "\"key\":{},\"changes\":{},\"ref\":\"a\",\"ref\":\"b\"}"),
           std::string(
               "{\"seq\":3,\"bridge\":\"b\",\"source\":\"s\",\"table\":\"t\",\"op\":\"insert\","
               "\"key\":{},\"changes\":{},\"ref\":\"a\\u0041\\\"\"}"),
       }) {
    ExpectSameMeaning(odd);
  }
  // Every truncation, and many bodies with one byte changed.
  for (size_t n = 0; n < body.size(); ++n) ExpectSameMeaning(body.substr(0, n));
  uint64_t x = 88172645463325252u;  // xorshift64: the same bodies every run
  const std::string bytes = "{}[]\":,0129-.eE\\ntfu \x01\xc3\xff";
  for (int i = 0; i < 4000; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    std::string mutated = body;
    mutated[x % mutated.size()] = bytes[(x >> 32) % bytes.size()];
    ExpectSameMeaning(mutated);
  }
}

TEST(EnvelopeTest, UtcTimestampsParseBackExactly) {
  // Every day from 1600 to 2400 at varied times of day, against the formatter.
  for (int64_t day = -135140; day <= 156969; day += 37) {
    const int64_t us =
        day * 86400000000 + (day * 7919 % 86400) * 1000000 + (day * 104729 % 1000000);
    int64_t back = 0;
    ASSERT_TRUE(ParseUtcMicros(FormatUtcMicros(us), &back)) << FormatUtcMicros(us);
    EXPECT_EQ(back, us) << FormatUtcMicros(us);
  }
  int64_t v = 0;
  ASSERT_TRUE(ParseUtcMicros("2000-02-29T23:59:59Z", &v));
  EXPECT_EQ(v, 951868799000000);
  ASSERT_TRUE(ParseUtcMicros("1969-12-31T23:59:59.5Z", &v));
  EXPECT_EQ(v, -500000);
  ASSERT_TRUE(ParseUtcMicros("2026-11-27T10:00:00.123456789Z", &v));  // nanoseconds: truncated
  EXPECT_EQ(v % 1000000, 123456);
  for (const char* bad : {"", "2026-11-27T10:00:00", "2026-11-27 10:00:00Z", "2026-1-27T10:00:00Z",
                          "2026-13-27T10:00:00Z", "2026-11-27T24:00:00Z", "2026-11-27T10:00:00.Z",
                          "2026-11-27T10:00:00.12xZ", "2026-11-27T10:00:00+01",
                          "x026-11-27T10:00:00Z", "2026-11-27T10:00:00.1234567890Z"}) {
    EXPECT_FALSE(ParseUtcMicros(bad, &v)) << bad;
  }
}

TEST(EnvelopeTest, Heartbeat) {
  std::string hb = EncodeHeartbeat("parks", 77, 0);
  EXPECT_EQ(hb, "{\"seq\":77,\"bridge\":\"parks\",\"ts\":\"1970-01-01T00:00:00.000000Z\"}");
  Result<uint64_t> seq = DecodeHeartbeatSeq(hb);
  ASSERT_TRUE(seq.ok());
  EXPECT_EQ(*seq, 77u);
  EXPECT_FALSE(DecodeHeartbeatSeq("{}").ok());
  EXPECT_FALSE(DecodeHeartbeatSeq("garbage").ok());
}

TEST(EnvelopeTest, FormatUtcMicros) {
  EXPECT_EQ(FormatUtcMicros(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(FormatUtcMicros(-1), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(FormatUtcMicros(1795773600123456), "2026-11-27T10:00:00.123456Z");
  std::string out = "at ";
  AppendUtcMicros(&out, 1795773600123456);
  AppendUtcMicros(&out, 1795773600123456);  // the remembered text
  EXPECT_EQ(out, "at 2026-11-27T10:00:00.123456Z2026-11-27T10:00:00.123456Z");
}

TEST(TopicTest, Names) {
  EXPECT_EQ(MakeTopic("parks", "scheduling", "public.tour_slots"),
            "parks.scheduling.public.tour_slots");
  EXPECT_EQ(HeartbeatTopic("parks"), "parks._heartbeat");
}

TEST(EnvelopeTest, NodeAndOriginRoundTripAndAreOmittedWhenEmpty) {
  Delta d;
  d.seq = 9;
  d.bridge = "hub";
  d.change.source = "main";
  d.change.table = "public.t";
  d.change.op = Op::kUpdate;
  d.change.key = {{"id", Value::Int(1)}};
  d.change.changes.push_back({"n", Value::Int(1), Value::Int(2)});
  d.change.tx_id = "7";
  d.change.tx_last = true;
  std::string plain = EncodeEnvelope(d);
  EXPECT_EQ(plain.find("\"node\""), std::string::npos);
  EXPECT_EQ(plain.find("\"origin\""), std::string::npos);
  EXPECT_EQ(plain.find("\"ref\""), std::string::npos);
  EXPECT_EQ(DeltaPath(d.bridge, d.change), std::vector<std::string>{"hub.main"});

  d.change.node = "hub.central";
  d.change.origin = {"parks.scheduling", "hub.central"};
  std::string body = EncodeEnvelope(d);
  EXPECT_NE(body.find(",\"source\":\"main\",\"node\":\"hub.central\",\"table\":"),
            std::string::npos)
      << body;
  EXPECT_NE(body.find("},\"origin\":[\"parks.scheduling\",\"hub.central\"],\"ts\":"),
            std::string::npos)
      << body;
  for (auto decode : {DecodeEnvelope, DecodeEnvelopeWithTreeForTest}) {
    Result<Delta> back = decode(body);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(back->change.node, "hub.central");
    EXPECT_EQ(back->change.origin, d.change.origin);
    EXPECT_EQ(CapturingNode(back->bridge, back->change), "hub.central");
    EXPECT_EQ(DeltaPath(back->bridge, back->change), d.change.origin);
  }
  // The shared-head form writes the same body.
  std::string out;
  AppendEnvelopeWith(&out, d.seq,
                     EnvelopeHead(d.bridge, d.change.source, d.change.table, d.change.node),
                     d.change, EnvelopeTail(d.change.commit_time_us, d.change.pos, d.change.tx_id));
  EXPECT_EQ(out, body);
}

TEST(EnvelopeTest, RefRoundTripsAfterOrigin) {
  Delta d = SampleDelta();
  d.change.origin = {"app.web", "parks.scheduling"};
  d.change.ref = "app:17";
  std::string body = EncodeEnvelope(d);
  EXPECT_NE(body.find("\"origin\":[\"app.web\",\"parks.scheduling\"],\"ref\":\"app:17\",\"ts\":"),
            std::string::npos)
      << body;
  for (auto decode : {DecodeEnvelope, DecodeEnvelopeWithTreeForTest}) {
    Result<Delta> back = decode(body);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(back->change.ref, "app:17");
    EXPECT_EQ(back->change.origin, d.change.origin);
    EXPECT_EQ(EncodeEnvelope(*back), body);
  }
  // The shared-head form writes the same body.
  std::string out;
  AppendEnvelopeWith(&out, d.seq, EnvelopeHead(d.bridge, d.change.source, d.change.table), d.change,
                     EnvelopeTail(d.change.commit_time_us, d.change.pos, d.change.tx_id));
  EXPECT_EQ(out, body);
  // A body without "ref" decodes to none.
  d.change.ref.clear();
  for (auto decode : {DecodeEnvelope, DecodeEnvelopeWithTreeForTest}) {
    Result<Delta> back = decode(EncodeEnvelope(d));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->change.ref, "");
  }
}

TEST(EnvelopeTest, BadOriginIsCorruption) {
  const std::string head =
      R"({"seq":1,"bridge":"b","source":"s","table":"t","op":"insert","key":{},"changes":{},)";
  for (const char* bad :
       {R"("origin":[])", R"("origin":"a")", R"("origin":[1])", R"("origin":[""])", R"("node":"")",
        R"("ref":"")", R"("ref":1)", R"("ref":["a"])"}) {
    Result<Delta> d = DecodeEnvelope(head + bad + "}");
    EXPECT_FALSE(d.ok()) << bad;
  }
}

TEST(HeartbeatTest, CarriesTheSourcesNodes) {
  std::string body = EncodeHeartbeat(
      "parks", 42, 0, {{"scheduling", "parks.scheduling"}, {"legacy", "legacy.main"}});
  Result<Heartbeat> h = DecodeHeartbeat(body);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->newest_seq, 42u);
  EXPECT_EQ(h->nodes.at("legacy"), "legacy.main");
  EXPECT_EQ(h->nodes.at("scheduling"), "parks.scheduling");
  EXPECT_EQ(*DecodeHeartbeatSeq(body), 42u);
  Result<Heartbeat> old = DecodeHeartbeat(EncodeHeartbeat("parks", 7, 0));
  ASSERT_TRUE(old.ok());
  EXPECT_TRUE(old->nodes.empty());
  EXPECT_EQ(EncodeHeartbeat("parks", 7, 0).find("nodes"), std::string::npos);
}

}  // namespace
}  // namespace deltabridge
