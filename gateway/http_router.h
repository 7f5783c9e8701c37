// RouteRequest: which of the gateway's endpoints a request is for, from its
// method and parsed target alone (docs/gateway.md):
//
//   GET /sync/<entity>      a stream (WebSocket or Server-Sent Events)
//   POST /sync/<entity>     a push
//   OPTIONS /sync/<entity>  a CORS preflight (also on the other paths)
//   GET /client.js          the browser client
//   GET /                   the live page, when `page: true`
//   GET /healthz            {"ok":true}
//
// HEAD is served wherever GET is. Headers (Upgrade, Accept, Origin) are the
// session's to look at. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "gateway/http_target.h"

namespace deltabridge {

enum class RouteKind {
  kSyncStream,
  kSyncPush,
  kPreflight,
  kClientJs,
  kPage,
  kHealth,
  kNotFound,          // 404
  kMethodNotAllowed,  // 405; `allow` lists the methods the path takes
};

struct Route {
  RouteKind kind = RouteKind::kNotFound;
  std::string entity;  // kSyncStream, kSyncPush, kPreflight on /sync/<entity>
  std::string allow;   // kMethodNotAllowed, kPreflight: "GET, POST, OPTIONS"
};

// `method` as the request line spells it ("GET"); methods are case-sensitive.
Route RouteRequest(std::string_view method, const RequestTarget& target, bool page_enabled);

}  // namespace deltabridge
