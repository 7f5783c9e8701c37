#include "gateway/http_target.h"

#include <utility>

namespace deltabridge {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Result<std::string> PercentDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      const int hi = i + 1 < text.size() ? HexValue(text[i + 1]) : -1;
      const int lo = i + 2 < text.size() ? HexValue(text[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        return Status::InvalidArgument("a '%' not followed by two hexadecimal digits");
      }
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      c = ' ';
    }
    if (c == '\0') return Status::InvalidArgument("a NUL byte (%00)");
    out.push_back(c);
  }
  return out;
}

Result<RequestTarget> ParseRequestTarget(std::string_view target) {
  if (target.empty() || target.front() != '/') {
    return Status::InvalidArgument("the request target must be a path starting with '/'");
  }
  RequestTarget parsed;
  const size_t question = target.find('?');
  std::string_view path = target.substr(0, question);
  const std::string_view query =
      question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
  if (const size_t hash = path.find('#'); hash != std::string_view::npos) {
    path = path.substr(0, hash);
  }

  path.remove_prefix(1);
  if (!path.empty()) {
    size_t start = 0;
    while (true) {
      const size_t slash = path.find('/', start);
      const std::string_view raw = path.substr(start, slash - start);
      auto segment = PercentDecode(raw, /*plus_is_space=*/false);
      if (!segment.ok()) {
        return Status::InvalidArgument("the path has " + segment.status().message());
      }
      parsed.segments.push_back(std::move(segment).value());
      if (slash == std::string_view::npos) break;
      start = slash + 1;
    }
  }

  size_t start = 0;
  while (start < query.size()) {
    size_t amp = query.find('&', start);
    if (amp == std::string_view::npos) amp = query.size();
    const std::string_view pair = query.substr(start, amp - start);
    start = amp + 1;
    if (pair.empty()) continue;  // "a=1&&b=2"
    const size_t equals = pair.find('=');
    auto name = PercentDecode(pair.substr(0, equals), /*plus_is_space=*/true);
    if (!name.ok()) {
      return Status::InvalidArgument("a query parameter's name has " + name.status().message());
    }
    auto value = PercentDecode(
        equals == std::string_view::npos ? std::string_view() : pair.substr(equals + 1),
        /*plus_is_space=*/true);
    if (!value.ok()) {
      return Status::InvalidArgument("query parameter '" + *name + "' has " +
                                     value.status().message());
    }
    if (!parsed.query.emplace(*name, std::move(value).value()).second) {
      return Status::InvalidArgument("query parameter '" + *name +
                                     "' is given more than once; give it once");
    }
  }
  return parsed;
}

}  // namespace deltabridge
