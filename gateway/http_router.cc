#include "gateway/http_router.h"

namespace deltabridge {
namespace {

constexpr std::string_view kSyncMethods = "GET, POST, OPTIONS";
constexpr std::string_view kReadMethods = "GET, HEAD, OPTIONS";

Route Static(std::string_view method, RouteKind kind) {
  if (method == "GET" || method == "HEAD") return {kind, "", ""};
  if (method == "OPTIONS") return {RouteKind::kPreflight, "", std::string(kReadMethods)};
  return {RouteKind::kMethodNotAllowed, "", std::string(kReadMethods)};
}

}  // namespace

Route RouteRequest(std::string_view method, const RequestTarget& target, bool page_enabled) {
  const auto& segments = target.segments;
  if (segments.empty()) {
    return page_enabled ? Static(method, RouteKind::kPage) : Route{};
  }
  if (segments.size() == 1) {
    if (segments[0] == "client.js") return Static(method, RouteKind::kClientJs);
    if (segments[0] == "healthz") return Static(method, RouteKind::kHealth);
    return Route{};
  }
  if (segments.size() == 2 && segments[0] == "sync" && !segments[1].empty()) {
    Route route{RouteKind::kMethodNotAllowed, segments[1], std::string(kSyncMethods)};
    if (method == "GET") route.kind = RouteKind::kSyncStream;
    if (method == "POST") route.kind = RouteKind::kSyncPush;
    if (method == "OPTIONS") route.kind = RouteKind::kPreflight;
    return route;
  }
  return Route{};
}

}  // namespace deltabridge
