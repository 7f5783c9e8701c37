// HostPort: an address "HOST:PORT" from a YAML file (the `metrics` key of
// bridge and sink files). Plain value; the functions are thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace deltabridge {

struct HostPort {
  std::string host;  // without brackets for IPv6 ("::1")
  uint16_t port = 0;
  std::string ToString() const;  // "127.0.0.1:9187", "[::1]:9187"
};

// "HOST:PORT" or "[V6]:PORT" with PORT 1..65535; nullopt when malformed (a
// space or control character anywhere, a bare IPv6 address, no host).
std::optional<HostPort> ParseHostPort(std::string_view text);

}  // namespace deltabridge
