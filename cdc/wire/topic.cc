#include "cdc/wire/topic.h"

namespace deltabridge {
namespace {

constexpr std::string_view kHeartbeatSuffix = "._heartbeat";

}  // namespace

std::string MakeTopic(std::string_view bridge, std::string_view source, std::string_view table) {
  std::string t;
  t.reserve(bridge.size() + source.size() + table.size() + 2);
  t.append(bridge).append(".").append(source).append(".").append(table);
  return t;
}

std::string HeartbeatTopic(std::string_view bridge) {
  std::string t(bridge);
  t.append(kHeartbeatSuffix);
  return t;
}

bool IsHeartbeatTopic(std::string_view topic) {
  return topic.size() > kHeartbeatSuffix.size() && topic.ends_with(kHeartbeatSuffix) &&
         topic.find('.') == topic.size() - kHeartbeatSuffix.size();
}

}  // namespace deltabridge
