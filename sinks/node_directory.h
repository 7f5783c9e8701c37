// NodeDirectory: which node each source of a sink's bridges captures, and
// which nodes a mapping of the sink receives directly (docs/two-way.md, "No
// echo"): a forwarded delta whose path holds such a node before its last one
// is a copy of a change the sink has, or will have, from where it happened.
//
// A bridge names its sources' nodes in every heartbeat ("nodes": source ->
// node); a delta names its own capturing node (CapturingNode: the envelope's
// "node", else <bridge>.<source>). Before a bridge's first heartbeat only the
// sources seen in its deltas are known. Both are recorded here as they come;
// a later record of a source replaces an earlier one.
//
// Node N is direct for mapping M when the sink follows, into M's target
// table, a source S of a subscribed bridge B whose node is N: one of B's
// subscribed topic prefixes takes topics of B.S, and a mapping with M's `to`
// (M itself or another one) has a `from` whose first two parts match B and S
// (GlobMatch, part by part). The target table, not M alone, is what counts:
// a mapping's bridge part is literal (sinks/sink_config.h), so M alone never
// follows a node of another bridge, while a sink that follows a node and the
// hub that forwards it maps both into the same table.
//
// Ownership: borrows the config, which must outlive the directory.
// Thread-safety: every member may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "cdc/wire/envelope.h"
#include "sinks/sink_config.h"

namespace deltabridge {

class NodeDirectory {
 public:
  explicit NodeDirectory(const SinkConfig& config);
  NodeDirectory(const NodeDirectory&) = delete;
  NodeDirectory& operator=(const NodeDirectory&) = delete;

  // A heartbeat of `bridge` with its node map (empty from a bridge before
  // two-way sync): records the nodes and that the bridge was heard.
  void RecordHeartbeat(std::string_view bridge, const SourceNodes& nodes);
  // A delta of `bridge` from `source`, captured by `node`.
  void RecordSource(std::string_view bridge, std::string_view source, std::string_view node);

  // Whether a heartbeat of `bridge` has been recorded.
  bool Heard(std::string_view bridge) const;
  // The node of `source` of `bridge`, when known.
  std::optional<std::string> NodeOf(std::string_view bridge, std::string_view source) const;

  // Waits until every subscribed bridge but `except` has been heard or given
  // up on, checking `stop` at least every 100 ms. Bridges still not heard
  // after `timeout` are given up on: later calls do not wait for them (until
  // they are heard, a forwarded delta is judged by what the directory knows).
  // Returns the bridges this call gave up on (the caller warns once each);
  // empty when all were heard or `stop` was set.
  std::vector<std::string> AwaitHeartbeats(std::string_view except, const std::atomic<bool>& stop,
                                           std::chrono::milliseconds timeout);

  // Whether `node` is direct for `mapping` (one of the config's mappings),
  // by what is known now.
  bool IsDirect(const MappingConfig& mapping, std::string_view node) const;

 private:
  // A mapping's target table and the first two parts of its `from`.
  struct Follow {
    std::string to;
    std::string bridge_pattern;
    std::string source_pattern;
  };

  // Under mu_: the subscribed bridges neither heard nor given up on, but `except`.
  std::vector<std::string> MissingLocked(std::string_view except) const;

  const SinkConfig& config_;
  std::vector<Follow> follows_;  // one per mapping with a `from` of two parts or more

  mutable std::mutex mu_;
  std::condition_variable heard_cv_;
  // bridge -> source -> node; guarded by mu_.
  std::map<std::string, SourceNodes, std::less<>> nodes_;
  std::set<std::string, std::less<>> heard_;     // guarded by mu_
  std::set<std::string, std::less<>> given_up_;  // guarded by mu_; never also in heard_
};

}  // namespace deltabridge
