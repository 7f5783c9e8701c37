// Building the front's HTTP answers: JSON error bodies, the service's
// HttpAnswer as a Beast response, and the CORS headers for an allowed
// origin. Pure functions; thread-safe.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/cors_policy.h"
#include "gateway/service.h"

namespace deltabridge {

using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;
using HeaderList = std::vector<std::pair<std::string, std::string>>;

// {"error":"<message>"}, escaped as JSON.
std::string JsonError(std::string_view message);

// A JSON answer (Content-Type application/json, Content-Length set).
HttpResponse MakeJsonResponse(int status, std::string body, unsigned http_version);
// The service's answer: its status, body (JSON) and extra headers.
HttpResponse MakeResponse(const HttpAnswer& answer, unsigned http_version);

// The headers a response to a request with Origin `origin` carries when the
// origin is allowed by `cors`: Access-Control-Allow-Origin (the origin
// itself) and Vary: Origin. Empty for no Origin or one not allowed.
HeaderList CorsHeaders(const CorsPolicy& cors, std::string_view origin);
// A preflight's extra headers (Allow-Methods, Allow-Headers, Max-Age).
HeaderList PreflightHeaders(std::string_view allow_methods);

void AddHeaders(HttpResponse& response, const HeaderList& headers);

}  // namespace deltabridge
