#include "sinks/node_directory.h"

#include <algorithm>

#include "cdc/core/glob.h"

namespace deltabridge {

namespace {

constexpr std::chrono::milliseconds kStopCheck{100};

// Whether `sub`'s topic prefixes take topics of its bridge's `source`: a
// prefix covers <bridge>.<source>. whole, or lies within it.
bool Receives(const SubscribeConfig& sub, std::string_view source) {
  std::string prefix = sub.bridge + "." + std::string(source) + ".";
  return std::any_of(sub.topics.begin(), sub.topics.end(), [&](const std::string& t) {
    return prefix.starts_with(t) || t.starts_with(prefix);
  });
}

}  // namespace

NodeDirectory::NodeDirectory(const SinkConfig& config) : config_(config) {
  for (const MappingConfig& m : config.mappings) {
    size_t first = m.from.find('.');
    if (first == std::string::npos) continue;
    size_t second = m.from.find('.', first + 1);
    if (second == std::string::npos) continue;
    follows_.push_back(
        {m.to, m.from.substr(0, first), m.from.substr(first + 1, second - first - 1)});
  }
}

void NodeDirectory::RecordHeartbeat(std::string_view bridge, const SourceNodes& nodes) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = nodes_.find(bridge);
    if (it == nodes_.end()) it = nodes_.emplace(std::string(bridge), SourceNodes()).first;
    for (const auto& [source, node] : nodes) it->second[source] = node;
    if (heard_.insert(std::string(bridge)).second) {
      if (auto g = given_up_.find(bridge); g != given_up_.end()) given_up_.erase(g);
    }
  }
  heard_cv_.notify_all();
}

void NodeDirectory::RecordSource(std::string_view bridge, std::string_view source,
                                 std::string_view node) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = nodes_.find(bridge);
  if (it == nodes_.end()) it = nodes_.emplace(std::string(bridge), SourceNodes()).first;
  auto s = it->second.find(source);
  if (s == it->second.end()) {
    it->second.emplace(std::string(source), std::string(node));
  } else {
    s->second = std::string(node);
  }
}

bool NodeDirectory::Heard(std::string_view bridge) const {
  std::lock_guard<std::mutex> lock(mu_);
  return heard_.find(bridge) != heard_.end();
}

std::optional<std::string> NodeDirectory::NodeOf(std::string_view bridge,
                                                 std::string_view source) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto b = nodes_.find(bridge);
  if (b == nodes_.end()) return std::nullopt;
  auto s = b->second.find(source);
  if (s == b->second.end()) return std::nullopt;
  return s->second;
}

std::vector<std::string> NodeDirectory::MissingLocked(std::string_view except) const {
  std::vector<std::string> missing;
  for (const SubscribeConfig& sub : config_.subscribe) {
    if (sub.bridge == except) continue;
    if (heard_.find(sub.bridge) != heard_.end()) continue;
    if (given_up_.find(sub.bridge) != given_up_.end()) continue;
    missing.push_back(sub.bridge);
  }
  return missing;
}

std::vector<std::string> NodeDirectory::AwaitHeartbeats(std::string_view except,
                                                        const std::atomic<bool>& stop,
                                                        std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    std::vector<std::string> missing = MissingLocked(except);
    if (missing.empty() || stop) return {};
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      for (const std::string& bridge : missing) given_up_.insert(bridge);
      return missing;
    }
    heard_cv_.wait_for(lock,
                       std::min<std::chrono::steady_clock::duration>(deadline - now, kStopCheck));
  }
}

bool NodeDirectory::IsDirect(const MappingConfig& mapping, std::string_view node) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const SubscribeConfig& sub : config_.subscribe) {
    auto b = nodes_.find(sub.bridge);
    if (b == nodes_.end()) continue;
    for (const auto& [source, source_node] : b->second) {
      if (source_node != node || !Receives(sub, source)) continue;
      for (const Follow& f : follows_) {
        if (f.to == mapping.to && GlobMatch(f.bridge_pattern, sub.bridge) &&
            GlobMatch(f.source_pattern, source)) {
          return true;
        }
      }
    }
  }
  return false;
}

}  // namespace deltabridge
