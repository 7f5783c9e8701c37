#include "cdc/config/common_keys.h"

#include <algorithm>

#include "cdc/config/host_port.h"
#include "cdc/config/message_text.h"

namespace deltabridge {

namespace {

std::string StripTrailingLineBreaks(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

}  // namespace

bool ContainsSpaceOrControl(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7f;
  });
}

std::optional<std::string> ReadName(const ConfigNode& at, ConfigErrors* errors) {
  if (!at.node.IsScalar() || !IsValidName(at.node.Scalar())) {
    ExpectError(at, kNameRule, errors);
    return std::nullopt;
  }
  return at.node.Scalar();
}

std::string OtherTypesHint(std::string_view key, std::span<const TypeKeys> types,
                           std::string_view noun) {
  std::vector<std::string_view> takers;
  for (const TypeKeys& t : types) {
    if (std::find(t.keys.begin(), t.keys.end(), key) != t.keys.end()) takers.push_back(t.type);
  }
  if (takers.empty()) return "";
  std::string hint = std::string(key) + " is for ";
  for (size_t i = 0; i < takers.size(); ++i) {
    if (i > 0) hint += i + 1 == takers.size() ? " and " : ", ";
    hint += takers[i];
  }
  return hint + " " + std::string(noun);
}

std::vector<std::string_view> AnyTypeKeys(std::span<const TypeKeys> types) {
  std::vector<std::string_view> keys;
  for (const TypeKeys& t : types) {
    for (std::string_view key : t.keys) {
      if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
    }
  }
  return keys;
}

bool IsValidName(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

bool IsValidNodeName(std::string_view name) {
  if (name.empty() || name.size() > 200) return false;
  size_t start = 0;
  while (true) {
    size_t dot = name.find('.', start);
    std::string_view part =
        name.substr(start, dot == std::string_view::npos ? name.npos : dot - start);
    if (!IsValidName(part)) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

std::optional<std::string> ReadNodeName(const ConfigNode& at, ConfigErrors* errors) {
  if (!at.node.IsScalar() || !IsValidNodeName(at.node.Scalar())) {
    ExpectError(at, kNodeNameRule, errors);
    return std::nullopt;
  }
  return at.node.Scalar();
}

std::optional<bool> ReadBool(const ConfigNode& at, ConfigErrors* errors) {
  if (at.node.IsScalar()) {
    const std::string& v = at.node.Scalar();
    if (v == "true") return true;
    if (v == "false") return false;
  }
  ExpectError(at, "true or false", errors);
  return std::nullopt;
}

std::optional<std::string> CheckZmqEndpoint(std::string_view endpoint) {
  constexpr std::string_view kTcp = "tcp://";
  constexpr std::string_view kIpc = "ipc://";
  if (endpoint.starts_with(kTcp)) {
    if (!ParseHostPort(endpoint.substr(kTcp.size()))) {
      return "a tcp:// endpoint with HOST:PORT and a port 1..65535";
    }
    return std::nullopt;
  }
  if (endpoint.starts_with(kIpc)) {
    if (endpoint.size() == kIpc.size()) return "an ipc:// endpoint with a path";
    return std::nullopt;
  }
  return "a ZeroMQ endpoint tcp://HOST:PORT or ipc://PATH";
}

std::optional<std::string> ReadEndpoint(const MapReader& map, std::string_view key,
                                        ConfigErrors* errors) {
  std::optional<ConfigNode> node = map.Require(key);
  if (!node) return std::nullopt;
  if (!node->node.IsScalar()) {
    ExpectError(*node, "a ZeroMQ endpoint tcp://HOST:PORT or ipc://PATH", errors);
    return std::nullopt;
  }
  if (std::optional<std::string> expected = CheckZmqEndpoint(node->node.Scalar())) {
    ExpectError(*node, *expected, errors);
    return std::nullopt;
  }
  return node->node.Scalar();
}

MysqlLogin ReadMysqlLogin(const MapReader& map, ConfigErrors* errors) {
  MysqlLogin login;
  if (std::optional<ConfigNode> node = map.Require("host")) {
    if (auto host = ReadNonEmptyString(*node, errors)) login.host = std::move(*host);
  }
  if (std::optional<ConfigNode> node = map.Get("port")) {
    if (auto port = ReadUnsigned(*node, 1, 65535, "a port number", errors)) {
      login.port = static_cast<uint16_t>(*port);
    }
  }
  if (std::optional<ConfigNode> node = map.Require("user")) {
    if (auto user = ReadNonEmptyString(*node, errors)) login.user = std::move(*user);
  }
  // The password never reaches a message: ReadString does not echo values,
  // and the file's contents are never quoted.
  std::optional<ConfigNode> password = map.Get("password");
  std::optional<ConfigNode> password_file = map.Get("password_file");
  if (password && password_file) {
    errors->Add(map.KeyMark("password_file"), password_file->path,
                "expected either password or password_file, got both");
  } else if (password) {
    if (auto text = ReadString(*password, errors)) login.password = std::move(*text);
  } else if (password_file) {
    if (auto path = ReadNonEmptyString(*password_file, errors)) {
      std::string contents;
      if (std::optional<std::string> reason = ReadWholeFile(*path, &contents)) {
        errors->Add(password_file->mark, password_file->path,
                    "cannot read " + QuoteForMessage(*path) + ": " + *reason);
      } else {
        login.password = StripTrailingLineBreaks(std::move(contents));
        login.password_file = std::move(*path);
        if (login.password.empty()) {
          errors->Add(password_file->mark, password_file->path,
                      "expected a file holding the password, got the empty file " +
                          QuoteForMessage(login.password_file));
        }
      }
    }
  }
  return login;
}

}  // namespace deltabridge
