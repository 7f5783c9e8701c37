#include "cdc/clients/odbc/odbc_connection_string.h"

#include "cdc/core/ascii.h"

namespace deltabridge {

namespace {

constexpr std::string_view kRedacted = "***";

// ASCII whitespace, as TrimAscii has it.
bool IsSpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

}  // namespace

std::vector<OdbcConnectionItem> ParseOdbcConnectionString(std::string_view s) {
  std::vector<OdbcConnectionItem> items;
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    size_t eq = s.find_first_of("=;", i);
    if (eq == std::string_view::npos) break;  // trailing text without '='
    if (s[eq] == ';') {                       // a segment without '='
      i = eq + 1;
      continue;
    }
    OdbcConnectionItem item;
    item.key = std::string(TrimAscii(s.substr(i, eq - i)));
    item.value_begin = eq + 1;
    size_t j = eq + 1;
    while (j < n && IsSpace(s[j])) ++j;
    if (j < n && s[j] == '{') {
      ++j;
      while (j < n) {
        if (s[j] == '}' && j + 1 < n && s[j + 1] == '}') {
          item.value += '}';
          j += 2;
        } else if (s[j] == '}') {
          ++j;
          break;
        } else {
          item.value += s[j++];
        }
      }
      size_t end = s.find(';', j);
      item.value_end = end == std::string_view::npos ? n : end;
    } else {
      size_t end = s.find(';', j);
      item.value_end = end == std::string_view::npos ? n : end;
      item.value = std::string(TrimAscii(s.substr(j, item.value_end - j)));
    }
    i = item.value_end + 1;
    items.push_back(std::move(item));
  }
  return items;
}

bool OdbcKeyIs(std::string_view key, std::string_view name) {
  return key.size() == name.size() && AsciiLower(key) == AsciiLower(name);
}

bool IsOdbcPasswordKey(std::string_view key) {
  return OdbcKeyIs(key, "pwd") || OdbcKeyIs(key, "password");
}

std::optional<std::string> FindOdbcConnectionValue(const std::vector<OdbcConnectionItem>& items,
                                                   std::string_view name) {
  std::optional<std::string> found;
  for (const OdbcConnectionItem& item : items) {
    if (OdbcKeyIs(item.key, name)) found = item.value;
  }
  return found;
}

std::string RedactOdbcConnectionString(std::string_view s) {
  std::string out;
  size_t copied = 0;
  for (const OdbcConnectionItem& item : ParseOdbcConnectionString(s)) {
    if (!IsOdbcPasswordKey(item.key)) continue;
    out.append(s.substr(copied, item.value_begin - copied));
    out.append(kRedacted);
    copied = item.value_end;
  }
  out.append(s.substr(copied));
  return out;
}

}  // namespace deltabridge
