#include "gateway/http_answer.h"

#include <nlohmann/json.hpp>

namespace deltabridge {
namespace http = boost::beast::http;

std::string JsonError(std::string_view message) {
  nlohmann::json body = {{"error", std::string(message)}};
  // Replace, not throw, on bytes that are not UTF-8 (a decoded path).
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

HttpResponse MakeJsonResponse(int status, std::string body, unsigned http_version) {
  HttpResponse response{static_cast<http::status>(status), http_version};
  response.set(http::field::content_type, "application/json");
  response.set(http::field::cache_control, "no-store");
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

HttpResponse MakeResponse(const HttpAnswer& answer, unsigned http_version) {
  HttpResponse response = MakeJsonResponse(answer.status, answer.body, http_version);
  for (const auto& [name, value] : answer.headers) response.set(name, value);
  return response;
}

HeaderList CorsHeaders(const CorsPolicy& cors, std::string_view origin) {
  if (origin.empty() || !cors.Allows(origin)) return {};
  return {{"Access-Control-Allow-Origin", std::string(origin)}, {"Vary", "Origin"}};
}

HeaderList PreflightHeaders(std::string_view allow_methods) {
  return {{"Access-Control-Allow-Methods", std::string(allow_methods)},
          {"Access-Control-Allow-Headers", "Authorization, Content-Type, Last-Event-ID"},
          {"Access-Control-Max-Age", "600"}};
}

void AddHeaders(HttpResponse& response, const HeaderList& headers) {
  for (const auto& [name, value] : headers) response.insert(name, value);
}

}  // namespace deltabridge
