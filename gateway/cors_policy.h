// CorsPolicy: which browser origins may call the gateway (`cors.origins`),
// for CORS answers and for the WebSocket Origin check.
//
// Origins compare after normalization: scheme and host lowercased, a
// trailing '/' dropped, the scheme's default port (http 80, https 443)
// dropped. "*" in the list allows every origin. A page served by the gateway
// itself is same-origin: its Origin names the request's own Host.
//
// Immutable after construction; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace deltabridge {

class CorsPolicy {
 public:
  explicit CorsPolicy(const std::vector<std::string>& origins);

  // The origin is listed (or "*" is).
  bool Allows(std::string_view origin) const;

  // The origin names `host` (the request's Host header) and the scheme the
  // listener serves ("https" when `tls`).
  static bool IsSameOrigin(std::string_view origin, std::string_view host, bool tls);

  // "HTTPS://App.Example.com:443/" -> "https://app.example.com".
  static std::string Normalize(std::string_view origin);

 private:
  bool any_ = false;
  std::vector<std::string> origins_;  // normalized
};

}  // namespace deltabridge
