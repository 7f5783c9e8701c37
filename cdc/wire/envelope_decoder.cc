// DecodeEnvelope: the subscriber's hot path (one call per delta received).
//
// Two decoders with one meaning. The fast one reads the body with simdjson's
// On-Demand API straight into a Delta, with no document tree: about ten
// times cheaper than building an nlohmann tree, which was half of a sink's
// CPU time. It handles every body the bridge writes. Anything it does not
// expect (a missing or mistyped field, a value that is an array or object, a
// number that fits no 64-bit type, a repeated column, trailing bytes) makes
// it give up, and the nlohmann decoder below, which defines the accepted
// forms and the error messages, decides instead. So the fast path can only
// be faster, never different.
#include <simdjson.h>

#include <climits>
#include <nlohmann/json.hpp>
#include <string>

#include "cdc/core/utc_time.h"
#include "cdc/wire/envelope.h"

namespace deltabridge {
namespace {

namespace od = simdjson::ondemand;

// The fast decoder met something only the tree decoder may judge.
struct GiveUp {};

void Check(simdjson::error_code e) {
  if (e != simdjson::SUCCESS) throw GiveUp{};
}
template <typename T>
T Get(simdjson::simdjson_result<T> r) {
  T out;
  Check(std::move(r).get(out));
  return out;
}

std::string String(od::value v) { return std::string(Get(v.get_string())); }

Value ScalarValue(od::value v) {
  switch (Get(v.type())) {
    case od::json_type::null:
      Check(v.is_null() ? simdjson::SUCCESS : simdjson::INCORRECT_TYPE);
      return Value::Null();
    case od::json_type::boolean:
      return Value::Bool(Get(v.get_bool()), "");
    case od::json_type::number:
      switch (Get(v.get_number_type())) {
        case od::number_type::signed_integer:
          return Value::Int(Get(v.get_int64()), "");
        case od::number_type::unsigned_integer: {
          uint64_t u = Get(v.get_uint64());
          if (u <= static_cast<uint64_t>(INT64_MAX)) return Value::Int(static_cast<int64_t>(u), "");
          return Value::UInt(u, "");
        }
        case od::number_type::floating_point_number:
          return Value::Float(Get(v.get_double()), "");
      }
      throw GiveUp{};
    case od::json_type::string:
      return Value::Textual(Value::Kind::kText, String(v), "");
    default:  // arrays and objects: the tree decoder keeps their text
      throw GiveUp{};
  }
}

// Throws GiveUp (or simdjson_error) for anything but the plain form.
Delta DecodeFast(std::string_view body) {
  // simdjson reads up to SIMDJSON_PADDING bytes past the end: a padded copy,
  // reused by each thread.
  thread_local od::parser parser;
  thread_local std::string padded;
  padded.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  padded.assign(body.data(), body.size());
  od::document doc = Get(parser.iterate(padded.data(), padded.size(), padded.capacity()));
  od::object top = Get(doc.get_object());
  Delta d;
  Change& c = d.change;
  bool seq = false, bridge = false, source = false, table = false, op = false, key = false,
       changes = false;
  for (auto field_result : top) {
    od::field field = Get(std::move(field_result));
    const std::string_view name = Get(field.unescaped_key());
    od::value v = field.value();
    if (name == "seq") {
      d.seq = Get(v.get_uint64());
      seq = true;
    } else if (name == "bridge") {
      d.bridge = String(v);
      bridge = true;
    } else if (name == "source") {
      c.source = String(v);
      source = true;
    } else if (name == "table") {
      c.table = String(v);
      table = true;
    } else if (name == "node") {
      if (!c.node.empty()) throw GiveUp{};
      c.node = String(v);
      if (c.node.empty()) throw GiveUp{};
    } else if (name == "origin") {
      if (!c.origin.empty()) throw GiveUp{};
      for (auto n_result : Get(v.get_array())) {
        c.origin.push_back(String(Get(std::move(n_result))));
        if (c.origin.back().empty()) throw GiveUp{};
      }
      if (c.origin.empty()) throw GiveUp{};
    } else if (name == "ref") {
      if (!c.ref.empty()) throw GiveUp{};
      c.ref = String(v);
      if (c.ref.empty()) throw GiveUp{};
    } else if (name == "op") {
      if (!ParseOp(Get(v.get_string()), &c.op)) throw GiveUp{};
      op = true;
    } else if (name == "key") {
      if (key) throw GiveUp{};
      for (auto kv_result : Get(v.get_object())) {
        od::field kv = Get(std::move(kv_result));
        std::string column(Get(kv.unescaped_key()));
        for (const auto& [seen, unused] : c.key) {
          if (seen == column) throw GiveUp{};
        }
        c.key.emplace_back(std::move(column), ScalarValue(kv.value()));
      }
      key = true;
    } else if (name == "changes") {
      if (changes) throw GiveUp{};
      for (auto ch_result : Get(v.get_object())) {
        od::field ch = Get(std::move(ch_result));
        ColumnChange cc;
        cc.name = std::string(Get(ch.unescaped_key()));
        for (const ColumnChange& seen : c.changes) {
          if (seen.name == cc.name) throw GiveUp{};
        }
        for (auto side_result : Get(ch.value().get_object())) {
          od::field side = Get(std::move(side_result));
          const std::string_view which = Get(side.unescaped_key());
          if (which == "old") {
            if (cc.old_value) throw GiveUp{};
            cc.old_value = ScalarValue(side.value());
          } else if (which == "new") {
            if (cc.new_value) throw GiveUp{};
            cc.new_value = ScalarValue(side.value());
          } else {
            throw GiveUp{};
          }
        }
        c.changes.push_back(std::move(cc));
      }
      changes = true;
    } else if (name == "ts") {
      if (!ParseUtcMicros(Get(v.get_string()), &c.commit_time_us)) throw GiveUp{};
    } else if (name == "pos") {
      c.pos = String(v);
    } else if (name == "tx") {
      bool id = false, last = false;
      for (auto t_result : Get(v.get_object())) {
        od::field t = Get(std::move(t_result));
        const std::string_view which = Get(t.unescaped_key());
        if (which == "id") {
          c.tx_id = String(t.value());
          id = true;
        } else if (which == "last") {
          c.tx_last = Get(t.value().get_bool());
          last = true;
        } else {
          throw GiveUp{};
        }
      }
      if (!id || !last) throw GiveUp{};
    } else {
      throw GiveUp{};
    }
  }
  if (!(seq && bridge && source && table && op && key && changes)) throw GiveUp{};
  // Nothing but whitespace after the object (a token there has a location).
  const char* trailing = nullptr;
  if (doc.current_location().get(trailing) == simdjson::SUCCESS) throw GiveUp{};
  return d;
}

// The tree decoder: the reference for what a body may hold.
Result<Delta> DecodeTree(std::string_view body) {
  // ordered_json keeps the columns in the order the source sent them.
  nlohmann::ordered_json j =
      nlohmann::ordered_json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Status::Corruption("body is not a JSON object");
  try {
    Delta d;
    d.seq = j.at("seq").get<uint64_t>();
    d.bridge = j.at("bridge").get<std::string>();
    Change& c = d.change;
    c.source = j.at("source").get<std::string>();
    c.table = j.at("table").get<std::string>();
    if (!ParseOp(j.at("op").get<std::string>(), &c.op)) {
      return Status::Corruption("unknown op " + j.at("op").dump());
    }
    for (const auto& [k, v] : j.at("key").items()) c.key.emplace_back(k, ValueFromJson(v));
    for (const auto& [k, v] : j.at("changes").items()) {
      ColumnChange cc;
      cc.name = k;
      if (!v.is_object()) return Status::Corruption("change of " + k + " is not an object");
      if (v.contains("old")) cc.old_value = ValueFromJson(v["old"]);
      if (v.contains("new")) cc.new_value = ValueFromJson(v["new"]);
      c.changes.push_back(std::move(cc));
    }
    if (j.contains("ts") && !ParseUtcMicros(j["ts"].get<std::string>(), &c.commit_time_us)) {
      return Status::Corruption("bad ts " + j["ts"].dump());
    }
    if (j.contains("node")) {
      c.node = j["node"].get<std::string>();
      if (c.node.empty()) return Status::Corruption("node is empty");
    }
    if (j.contains("origin")) {
      const auto& origin = j["origin"];
      if (!origin.is_array() || origin.empty()) {
        return Status::Corruption("origin is not a non-empty array of node names");
      }
      for (const auto& n : origin) {
        if (!n.is_string() || n.get<std::string>().empty()) {
          return Status::Corruption("origin holds " + n.dump() + ", not a node name");
        }
        c.origin.push_back(n.get<std::string>());
      }
    }
    if (j.contains("ref")) {
      if (!j["ref"].is_string()) return Status::Corruption("ref is not a string");
      c.ref = j["ref"].get<std::string>();
      if (c.ref.empty()) return Status::Corruption("ref is empty");
    }
    if (j.contains("pos")) c.pos = j["pos"].get<std::string>();
    if (j.contains("tx")) {
      c.tx_id = j["tx"].at("id").get<std::string>();
      c.tx_last = j["tx"].at("last").get<bool>();
    }
    return d;
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(std::string("envelope: ") + e.what());
  }
}

}  // namespace

Result<Delta> DecodeEnvelope(std::string_view body) {
  try {
    return DecodeFast(body);
  } catch (const GiveUp&) {
  } catch (const simdjson::simdjson_error&) {
  }
  return DecodeTree(body);
}

Result<Delta> DecodeEnvelopeWithTreeForTest(std::string_view body) { return DecodeTree(body); }

}  // namespace deltabridge
