#include "sinks/sink_config.h"

#include <algorithm>
#include <array>
#include <limits>
#include <utility>

#include "cdc/config/common_keys.h"
#include "cdc/config/message_text.h"
#include "cdc/config/yaml_reader.h"
#include "sinks/sink_config_parts.h"

namespace deltabridge {

namespace {

using config_parts::IsDottedName;
using config_parts::JoinStrings;
using config_parts::PatternMayStartWith;

constexpr std::array<std::string_view, 4> kTopKeys = {"sink", "subscribe", "target", "mappings"};
constexpr std::array<std::string_view, 3> kSinkKeys = {"name", "state_dir", "metrics"};
constexpr std::array<std::string_view, 7> kMappingKeys = {"from",    "to",        "key",  "columns",
                                                          "exclude", "on_delete", "rules"};

// ---- sink ----

void ReadSinkSection(const ConfigNode& at, SinkConfig* config, ConfigErrors* errors) {
  MapReader map(at, errors);
  if (!map.valid()) return;
  map.RejectUnknownKeys(kSinkKeys);
  if (std::optional<ConfigNode> node = map.Require("name")) {
    config->name = ReadName(*node, errors).value_or("");
  }
  if (std::optional<ConfigNode> node = map.Require("state_dir")) {
    if (auto dir = ReadNonEmptyString(*node, errors)) config->state_dir = std::move(*dir);
  }
  if (std::optional<ConfigNode> node = map.Get("metrics")) {
    std::optional<HostPort> address;
    if (node->node.IsScalar()) address = ParseHostPort(node->node.Scalar());
    if (!address) {
      ExpectError(*node, "HOST:PORT with a port 1..65535", errors);
    } else {
      config->metrics = std::move(*address);
    }
  }
}

// ---- mappings ----

struct ReadMappingResult {
  MappingConfig config;
  ConfigSite from_site;  // set when `from` is well-formed
};

std::optional<ReadMappingResult> ReadMapping(const ConfigNode& at, ConfigErrors* errors) {
  MapReader map(at, errors);
  if (!map.valid()) return std::nullopt;
  map.RejectUnknownKeys(kMappingKeys);
  ReadMappingResult result;
  MappingConfig& mapping = result.config;
  if (std::optional<ConfigNode> node = map.Require("from")) {
    if (!node->node.IsScalar() ||
        !IsDottedName(node->node.Scalar(), 3, std::numeric_limits<size_t>::max())) {
      ExpectError(*node, "a topic pattern BRIDGE.SOURCE.TABLE (at least 3 dot-separated parts)",
                  errors);
    } else {
      mapping.from = node->node.Scalar();
      result.from_site = {node->mark, node->path};
    }
  }
  config_parts::ReadMappingBody(map, config_parts::ColumnNouns{}, &mapping, errors);
  return result;
}

void ReadMappings(const ConfigNode& at, const std::vector<SubscribeConfig>* subscribe,
                  std::vector<MappingConfig>* mappings, ConfigErrors* errors) {
  std::optional<std::vector<ConfigNode>> items = ReadList(at, errors);
  if (!items) return;
  if (items->empty()) {
    errors->Add(at.mark, at.path, "expected at least one mapping, got an empty list");
    return;
  }
  std::vector<ReadMappingResult> read;
  for (const ConfigNode& item : *items) {
    std::optional<ReadMappingResult> result = ReadMapping(item, errors);
    if (!result) continue;
    const MappingConfig& mapping = result->config;
    const ConfigSite& from = result->from_site;
    if (!mapping.from.empty() && subscribe != nullptr) {
      // The bridge part is literal: a sink follows bridges by name.
      std::string bridge = mapping.from.substr(0, mapping.from.find('.'));
      auto sub = std::find_if(subscribe->begin(), subscribe->end(),
                              [&](const SubscribeConfig& s) { return s.bridge == bridge; });
      if (sub == subscribe->end()) {
        std::vector<std::string> bridges;
        for (const SubscribeConfig& s : *subscribe) bridges.push_back(s.bridge);
        errors->Add(from.mark, from.path,
                    "expected a topic pattern starting with a subscribed bridge name (" +
                        JoinStrings(bridges) + "), got " + QuoteForMessage(mapping.from));
      } else if (std::none_of(sub->topics.begin(), sub->topics.end(), [&](const std::string& t) {
                   return PatternMayStartWith(mapping.from, t);
                 })) {
        errors->Add(from.mark, from.path,
                    "expected a topic pattern under a topic prefix subscribed from " + sub->bridge +
                        " (" + JoinStrings(sub->topics) + "), got " +
                        QuoteForMessage(mapping.from) + "; the sink would never apply it");
      }
    }
    if (!mapping.from.empty() && !mapping.to.empty()) {
      auto same = std::find_if(read.begin(), read.end(), [&](const ReadMappingResult& other) {
        return other.config.from == mapping.from && other.config.to == mapping.to;
      });
      if (same != read.end()) {
        errors->Add(from.mark, from.path,
                    "duplicate mapping of " + QuoteForMessage(mapping.from) + " to " +
                        QuoteForMessage(mapping.to) + "; first at " + same->from_site.path);
      }
    }
    read.push_back(std::move(*result));
  }
  for (ReadMappingResult& result : read) mappings->push_back(std::move(result.config));
}

}  // namespace

Result<SinkConfig> ParseSinkConfig(std::string_view yaml_text,
                                   const std::string& path_for_messages) {
  static constexpr ConfigFileKind kSinkFile = {
      "a mapping with keys sink, subscribe, target and mappings", "sink", "bridge",
      "this is a bridge file (deltabridge run); a sink file has top-level keys sink, "
      "subscribe, target and mappings",
      kTopKeys};
  SinkConfig config;
  DB_RETURN_IF_ERROR(ParseConfigText(
      yaml_text, path_for_messages, kSinkFile, [&](const MapReader& top, ConfigErrors* errors) {
        if (std::optional<ConfigNode> sink = top.Require("sink")) {
          ReadSinkSection(*sink, &config, errors);
        }
        // Mappings are checked against the subscriptions only when those read
        // cleanly: a broken subscription would make every mapping look wrong.
        bool subscribe_clean = false;
        if (std::optional<ConfigNode> subscribe = top.Require("subscribe")) {
          size_t before = errors->size();
          for (config_parts::ReadSubscription& sub : config_parts::ReadSubscribe(
                   *subscribe, config_parts::TopicsKey::kRequired, errors)) {
            config.subscribe.push_back(std::move(sub.config));
          }
          subscribe_clean = errors->size() == before;
        }
        if (std::optional<ConfigNode> target = top.Require("target")) {
          config_parts::ReadTarget(*target, config_parts::TargetKinds::kAny, &config.target,
                                   errors);
        }
        if (std::optional<ConfigNode> mappings = top.Require("mappings")) {
          ReadMappings(*mappings, subscribe_clean ? &config.subscribe : nullptr, &config.mappings,
                       errors);
        }
      }));
  return config;
}

Result<SinkConfig> LoadSinkConfig(const std::string& path) {
  DB_ASSIGN_OR_RETURN(std::string text, ReadConfigFile(path));
  return ParseSinkConfig(text, path);
}

}  // namespace deltabridge
