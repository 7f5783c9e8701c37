// The JSON envelope of contract section 3: one delta as the body frame of a
// ZeroMQ message, and the heartbeat body.
//
// Encoding is hand-written (it runs once per delta on the hot path and must
// format values exactly as the contract says); decoding uses simdjson's
// On-Demand parser, with nlohmann::json as the reference for unusual bodies.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "cdc/core/change.h"
#include "cdc/core/status.h"

namespace deltabridge {

// {"seq":...,"bridge":...,"source":...[,"node":...],"table":...,"op":...,
//  "key":{...},"changes":{...}[,"origin":[...]][,"ref":...],"ts":...,"pos":...,
//  "tx":{"id":...,"last":...}}
// "node" only when the change's node is not the default <bridge>.<source>;
// "origin" only for a change a sink wrote (Change::origin); "ref" only for
// the change of an application's push (Change::ref).
std::string EncodeEnvelope(const Delta& delta);
// Appends what EncodeEnvelope returns for a delta numbered `seq` from
// `bridge`, without building the Delta (the journal writer reuses one buffer).
void AppendEnvelope(std::string* out, uint64_t seq, std::string_view bridge, const Change& change);
// The envelope's parts that many deltas share, encoded once: the head
// (,"bridge":...,"source":...,"table":...), the same for every delta of a
// table, and the tail (,"ts":...,"pos":...,"tx":{"id":...), the same for
// every delta of a transaction.
std::string EnvelopeHead(std::string_view bridge, std::string_view source, std::string_view table,
                         std::string_view node = {});
std::string EnvelopeTail(int64_t commit_time_us, std::string_view pos, std::string_view tx_id);
// AppendEnvelope with the head and tail already encoded; they must be those
// of `change` (its source, table, commit_time_us, pos and tx_id are not read).
void AppendEnvelopeWith(std::string* out, uint64_t seq, std::string_view head, const Change& change,
                        std::string_view tail);

// Parses a body produced by EncodeEnvelope (or by any writer of the contract).
// Values come back loosely typed: JSON numbers as kInt/kUInt/kFloat, strings as
// kText, true/false as kBool, null as kNull; sql_type is left empty.
// (envelope_decoder.cc: simdjson for the forms the bridge writes, nlohmann
// for everything else, with one meaning.)
Result<Delta> DecodeEnvelope(std::string_view body);
// The nlohmann decoder alone, which defines the meaning (tests compare).
Result<Delta> DecodeEnvelopeWithTreeForTest(std::string_view body);

// One JSON value as DecodeEnvelope reads it: the same loose kinds, sql_type empty.
Value ValueFromJson(const nlohmann::ordered_json& j);

// Each source's node name (source name -> node), as a heartbeat announces them.
using SourceNodes = std::map<std::string, std::string, std::less<>>;

struct Heartbeat {
  uint64_t newest_seq = 0;
  SourceNodes nodes;  // empty when the body has none (a bridge before two-way sync)
};

// {"seq": N, "bridge": "...", "ts": "...", "nodes": {"SOURCE": "NODE", ...}}
// published once a second on <bridge>._heartbeat ("nodes" omitted when empty).
std::string EncodeHeartbeat(std::string_view bridge, uint64_t newest_seq, int64_t now_us,
                            const SourceNodes& nodes = {});
Result<Heartbeat> DecodeHeartbeat(std::string_view body);
// The newest seq in a heartbeat body.
Result<uint64_t> DecodeHeartbeatSeq(std::string_view body);

// Appends one column's field-level change: {"old":v,"new":v}, each part
// only when the change has it (contract section 3).
void AppendFieldChange(std::string* out, const ColumnChange& change);

// Appends `value` in its contract JSON form.
void AppendJsonValue(std::string* out, const Value& value);
// Appends a JSON string literal (quotes included); invalid UTF-8 becomes U+FFFD.
void AppendJsonString(std::string* out, std::string_view text);

}  // namespace deltabridge
