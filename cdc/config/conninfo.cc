#include "cdc/config/conninfo.h"

#include <cctype>
#include <vector>

namespace deltabridge {

namespace {

constexpr std::string_view kRedacted = "***";

// libpq's connection keywords (PostgreSQL 16). Only used to decide whether a
// word may be quoted in a message: libpq itself judges unknown keywords.
constexpr std::string_view kLibpqKeywords[] = {
    "application_name",
    "channel_binding",
    "client_encoding",
    "connect_timeout",
    "dbname",
    "fallback_application_name",
    "gssdelegation",
    "gssencmode",
    "gsslib",
    "host",
    "hostaddr",
    "keepalives",
    "keepalives_count",
    "keepalives_idle",
    "keepalives_interval",
    "krbsrvname",
    "load_balance_hosts",
    "options",
    "passfile",
    "password",
    "port",
    "replication",
    "require_auth",
    "requirepeer",
    "requiressl",
    "service",
    "ssl_max_protocol_version",
    "ssl_min_protocol_version",
    "sslcert",
    "sslcertmode",
    "sslcompression",
    "sslcrl",
    "sslcrldir",
    "sslkey",
    "sslmode",
    "sslpassword",
    "sslrootcert",
    "sslsni",
    "target_session_attrs",
    "tcp_user_timeout",
    "user",
};

bool IsLibpqKeyword(std::string_view word) {
  for (std::string_view keyword : kLibpqKeywords) {
    if (word == keyword) return true;
  }
  return false;
}

bool IsSpace(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

bool StartsWithIgnoreCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && EqualsIgnoreCase(text.substr(0, prefix.size()), prefix);
}

// The length of a URI prefix libpq recognises, or 0.
size_t UriPrefixLength(std::string_view conninfo) {
  for (std::string_view prefix : {"postgresql://", "postgres://"}) {
    if (StartsWithIgnoreCase(conninfo, prefix)) return prefix.size();
  }
  return 0;
}

// One `keyword = value` item of the keyword/value form, as byte offsets.
struct ConninfoItem {
  size_t begin = 0;  // first byte of the keyword
  size_t end = 0;    // one past the last byte of the value (or keyword)
  std::string_view keyword;
  bool has_equals = false;
  bool unterminated = false;  // a quoted value without its closing quote
};

// Splits the keyword/value form the way libpq's conninfo_parse does, but never
// fails: a malformed item is returned with has_equals/unterminated telling why.
std::vector<ConninfoItem> SplitConninfo(std::string_view s) {
  std::vector<ConninfoItem> items;
  size_t i = 0;
  const size_t n = s.size();
  auto skip_space = [&] {
    while (i < n && IsSpace(s[i])) ++i;
  };
  while (true) {
    skip_space();
    if (i == n) break;
    ConninfoItem item;
    item.begin = i;
    while (i < n && !IsSpace(s[i]) && s[i] != '=') ++i;
    item.keyword = s.substr(item.begin, i - item.begin);
    skip_space();
    if (i == n || s[i] != '=') {
      item.end = item.begin + item.keyword.size();
      items.push_back(item);
      continue;
    }
    item.has_equals = true;
    ++i;
    skip_space();
    if (i < n && s[i] == '\'') {
      ++i;
      item.unterminated = true;
      while (i < n) {
        if (s[i] == '\\') {
          i = std::min(n, i + 2);
        } else if (s[i] == '\'') {
          ++i;
          item.unterminated = false;
          break;
        } else {
          ++i;
        }
      }
    } else {
      while (i < n && !IsSpace(s[i])) i = s[i] == '\\' ? std::min(n, i + 2) : i + 1;
    }
    item.end = i;
    items.push_back(item);
  }
  return items;
}

std::string RedactUri(std::string_view uri, size_t prefix_length) {
  std::string out(uri.substr(0, prefix_length));
  std::string_view rest = uri.substr(prefix_length);
  size_t query = rest.find('?');
  std::string_view before_query = rest.substr(0, query);
  // The last '@' before the query ends the user info; redacting up to it also
  // covers a password holding an unencoded '@' or '/'.
  size_t at = before_query.rfind('@');
  if (at != std::string_view::npos) {
    size_t colon = before_query.substr(0, at).find(':');
    if (colon != std::string_view::npos) {
      out.append(before_query.substr(0, colon + 1));
      out.append(kRedacted);
      out.append(before_query.substr(at));
    } else {
      out.append(before_query);
    }
  } else {
    out.append(before_query);
  }
  if (query == std::string_view::npos) return out;
  out += '?';
  std::string_view params = rest.substr(query + 1);
  bool first = true;
  while (true) {
    size_t amp = params.find('&');
    std::string_view param = params.substr(0, amp);
    if (!first) out += '&';
    first = false;
    size_t eq = param.find('=');
    if (eq != std::string_view::npos && EqualsIgnoreCase(param.substr(0, eq), "password")) {
      out.append(param.substr(0, eq + 1));
      out.append(kRedacted);
    } else {
      out.append(param);
    }
    if (amp == std::string_view::npos) break;
    params.remove_prefix(amp + 1);
  }
  return out;
}

}  // namespace

std::string RedactConninfo(std::string_view conninfo) {
  if (size_t prefix = UriPrefixLength(conninfo); prefix != 0) return RedactUri(conninfo, prefix);
  std::string out;
  size_t copied = 0;
  std::vector<ConninfoItem> items = SplitConninfo(conninfo);
  for (size_t k = 0; k < items.size(); ++k) {
    const ConninfoItem& item = items[k];
    if (!EqualsIgnoreCase(item.keyword, "password")) continue;
    size_t end = item.end;
    // "password secret" is malformed, but the next word is still the secret.
    if (!item.has_equals && k + 1 < items.size()) end = items[++k].end;
    out.append(conninfo.substr(copied, item.begin - copied));
    out.append("password=");
    out.append(kRedacted);
    copied = end;
  }
  out.append(conninfo.substr(copied));
  return out;
}

std::optional<std::string> CheckConninfoSyntax(std::string_view conninfo) {
  if (UriPrefixLength(conninfo) != 0) return std::nullopt;
  std::vector<ConninfoItem> items = SplitConninfo(conninfo);
  if (items.empty()) return "empty connection string";
  const std::string kExpected = "expected keyword=value pairs such as host=... dbname=...";
  for (const ConninfoItem& item : items) {
    if (item.keyword.empty()) return std::string("missing keyword before \"=\"");
    for (char c : item.keyword) {
      // Keywords are lower-case ASCII words; do not echo what may be a value.
      if (!(std::islower(static_cast<unsigned char>(c)) || c == '_')) return kExpected;
    }
    if (!item.has_equals) {
      // A lone word is named only when it is a keyword: it may be a password.
      if (!IsLibpqKeyword(item.keyword)) return kExpected;
      return "missing \"=\" after keyword \"" + std::string(item.keyword) + "\"";
    }
    if (item.unterminated) {
      return "unterminated quoted value for keyword \"" + std::string(item.keyword) + "\"";
    }
  }
  return std::nullopt;
}

}  // namespace deltabridge
