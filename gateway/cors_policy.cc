#include "gateway/cors_policy.h"

#include <algorithm>
#include <cctype>

namespace deltabridge {
namespace {

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Drops ":80" from an http authority and ":443" from an https one.
std::string WithoutDefaultPort(std::string authority, std::string_view scheme) {
  const std::string_view default_port = scheme == "https" ? ":443" : ":80";
  if (authority.size() > default_port.size() &&
      authority.compare(authority.size() - default_port.size(), default_port.size(),
                        default_port) == 0) {
    authority.resize(authority.size() - default_port.size());
  }
  return authority;
}

}  // namespace

CorsPolicy::CorsPolicy(const std::vector<std::string>& origins) {
  for (const auto& origin : origins) {
    if (origin == "*") {
      any_ = true;
    } else {
      origins_.push_back(Normalize(origin));
    }
  }
}

std::string CorsPolicy::Normalize(std::string_view origin) {
  std::string text = Lower(origin);
  while (!text.empty() && text.back() == '/') text.pop_back();
  const size_t sep = text.find("://");
  if (sep == std::string::npos) return text;
  const std::string scheme = text.substr(0, sep);
  return scheme + "://" + WithoutDefaultPort(text.substr(sep + 3), scheme);
}

bool CorsPolicy::Allows(std::string_view origin) const {
  if (any_) return true;
  const std::string normalized = Normalize(origin);
  return std::find(origins_.begin(), origins_.end(), normalized) != origins_.end();
}

bool CorsPolicy::IsSameOrigin(std::string_view origin, std::string_view host, bool tls) {
  if (host.empty()) return false;
  const std::string scheme = tls ? "https" : "http";
  return Normalize(origin) == scheme + "://" + WithoutDefaultPort(Lower(host), scheme);
}

}  // namespace deltabridge
