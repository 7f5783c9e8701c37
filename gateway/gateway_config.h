// GatewayConfig: the gateway file of contract section 6, loaded and validated
// (docs/gateway.md lists every key).
//
// LoadGatewayConfig reads and checks the whole file at once, in the manner of
// the sink file (sinks/sink_config.h): either a complete GatewayConfig with
// every default filled in, or an InvalidArgument Status listing every problem,
// one per line, "gateway.yaml:14:7: entities[0].push.key: expected ...".
// Unknown keys are errors. Besides each value, the loader checks that the
// parts agree: entity names are unique, every `from` of an entity names one
// subscribed bridge (the same for all of the entity's `from`), a push's
// columns and rules name shown columns, a non-loopback `listen` has `tls`,
// and a `public: true` entity is only served on a loopback `listen` (nothing
// that carries row data is readable unauthenticated beyond loopback).
// A push target's password_file is read during loading; a password never
// appears in a message. Loading has no other side effect.
//
// Functions are thread-safe; the structs are plain values.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cdc/config/host_port.h"
#include "cdc/core/status.h"
#include "mappings/mapping.h"
#include "sinks/sink_config.h"

namespace deltabridge {

struct GatewayTlsConfig {
  std::string cert_file;  // PEM certificate chain
  std::string key_file;   // PEM private key
};

// Bounds that keep one client from costing the others (docs/gateway.md).
struct GatewayLimits {
  // A subscriber's queue of messages not yet written to its socket; beyond
  // either bound the gateway closes it (WebSocket close code 4008) with the
  // seq to resume from.
  size_t client_queue_messages = 20'000;  // `limits.client_queue_messages`
  size_t client_queue_bytes = 16u << 20;  // `limits.client_queue_bytes` (size: 16MiB)
  // The largest request body (POST) and the largest WebSocket frame a client
  // may send: 413 / close 1009 beyond.
  size_t max_request_bytes = 1u << 20;  // `limits.max_request_bytes` (1MiB)
  size_t max_connections = 10'000;      // `limits.max_connections`, all clients together
  // A token's defaults, when its tokens-file entry sets none.
  size_t connections_per_token = 100;    // `limits.connections_per_token`
  uint32_t requests_per_minute = 6'000;  // `limits.requests_per_minute` (per token; 0: no limit)
};

// What the gateway keeps to resume clients (docs/gateway.md, "Resume").
struct GatewayHistoryConfig {
  // Deltas older than this, or beyond this count per bridge, are dropped from
  // the gateway's own log; a client resuming from before them gets the
  // current rows again, marked as a reset.
  std::chrono::microseconds max_age = std::chrono::hours(24);  // `history.max_age`
  uint64_t max_deltas = 1'000'000;                             // `history.max_deltas`
};

// An entity's push: where an application's changes go and by what rules.
struct EntityPushConfig {
  TargetConfig target;  // as a sink file's `target` (SQL kinds only: postgres, mysql, odbc)
  // The push's mapping, as a sink file's mapping entry: `from` is set to the
  // entity's name; `to`, `key`, `columns` (shown column -> target column),
  // `exclude`, `on_delete` and `rules` as written. Pushes name the entity's
  // shown columns, so those are this mapping's source columns.
  MappingConfig mapping;
  // The pushing node written into the origin tag and the last-writer
  // metadata (`push.node`); default "<gateway name>.<entity name>".
  std::string node;
};

struct EntityConfig {
  std::string name;    // [a-z0-9_-]+: GET/POST /sync/<name>
  std::string bridge;  // the subscribed bridge every `from` names
  // Topic patterns (cdc/core/glob.h), at least one, each starting with
  // "<bridge>." and at least 3 dot-separated parts: the tables whose rows the
  // entity shows. Rows are identified by (table, key): the same key in two
  // tables is two rows.
  std::vector<std::string> from;
  // Source column -> shown column, for renamed columns; shown names unique.
  std::map<std::string, std::string, std::less<>> columns;
  std::vector<std::string> exclude;      // source columns never shown (nor pushed)
  bool is_public = false;                // `public: true`: readable without a token
  std::optional<EntityPushConfig> push;  // none: POST answers 405
};

struct GatewayConfig {
  std::string name;  // [a-z0-9_-]+
  HostPort listen;   // HOST:PORT of the HTTP/WebSocket listener
  std::optional<GatewayTlsConfig> tls;
  std::string tokens_file;          // required unless every entity is public
  std::string state_dir;            // rows, log and positions; created if missing
  std::optional<HostPort> metrics;  // Prometheus text at http://HOST:PORT/metrics
  // `cors.origins`: the origins allowed to call from a browser page (CORS
  // and the WebSocket Origin check), e.g. "https://app.example.com"; "*" for
  // any. Empty: same-origin pages only.
  std::vector<std::string> cors_origins;
  // `page: true`: serve the live page at / (off by default). /client.js is always served.
  bool page = false;
  GatewayLimits limits;
  GatewayHistoryConfig history;
  // As in a sink file; `topics` is optional here (default: the entities'
  // `from` patterns' fixed prefixes). At least one; bridges unique.
  std::vector<SubscribeConfig> subscribe;
  std::vector<EntityConfig> entities;  // at least one; names unique

  const EntityConfig* FindEntity(std::string_view entity) const {
    for (const auto& e : entities) {
      if (e.name == entity) return &e;
    }
    return nullptr;
  }
};

// Reads `path` and parses it; messages name `path` as given.
Result<GatewayConfig> LoadGatewayConfig(const std::string& path);
// Parses the text of a gateway file; messages name `path_for_messages`.
Result<GatewayConfig> ParseGatewayConfig(std::string_view yaml_text,
                                         const std::string& path_for_messages);

}  // namespace deltabridge
