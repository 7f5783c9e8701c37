// Topics of the wire (contract section 3): every delta goes out on
// "<bridge>.<source>.<table>", the heartbeat on "<bridge>._heartbeat".
// Subscribers filter by topic prefix.
//
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace deltabridge {

// "<bridge>.<source>.<table>"
std::string MakeTopic(std::string_view bridge, std::string_view source, std::string_view table);

// "<bridge>._heartbeat"
std::string HeartbeatTopic(std::string_view bridge);

// True for "<bridge>._heartbeat". A bridge name has no dot, so the suffix's
// dot is the topic's only one: a table named _heartbeat has a topic of three
// parts and is not a heartbeat.
bool IsHeartbeatTopic(std::string_view topic);

}  // namespace deltabridge
