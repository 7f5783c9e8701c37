#include "gateway/token_file.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "cdc/config/common_keys.h"
#include "cdc/config/message_text.h"
#include "cdc/config/yaml_reader.h"
#include "cdc/core/ascii.h"
#include "cdc/core/atomic_file.h"

namespace deltabridge {

namespace {

constexpr std::array<std::string_view, 1> kTopKeys = {"tokens"};
constexpr std::array<std::string_view, 8> kEntryKeys = {
    "name",   "sha256", "read", "push", "filter", "max_connections", "requests_per_minute",
    "created"};

constexpr std::string_view kHeader =
    "# deltabridge gateway tokens; add with `deltabridge token GATEWAY.yaml NAME`\n"
    "# Each token is kept as the SHA-256 of its text, never the token itself.\n";
constexpr std::string_view kTokenPrefix = "dbt_";
constexpr size_t kTokenBytes = 32;
constexpr size_t kMaxNameLength = 128;
constexpr std::string_view kNameRule = "a token name matching [A-Za-z0-9_.@-]+";
constexpr std::string_view kGrantRule = "an entity name matching [a-z0-9_-]+, or \"*\"";

bool IsTokenNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '@' || c == '-';
}

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// A text whose every line is blank or a comment: a tokens file with no tokens
// yet (`touch app.tokens`).
bool HasNoContent(std::string_view text) {
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = TrimAscii(text.substr(start, end - start));
    if (!line.empty() && line.front() != '#') return false;
    start = end + 1;
  }
  return true;
}

// `read` / `push`: entity names, or "*" alone.
std::vector<std::string> ReadGrants(const ConfigNode& at, ConfigErrors* errors) {
  std::vector<std::string> grants;
  std::optional<std::vector<ConfigNode>> items = ReadList(at, errors);
  if (!items) return grants;
  std::vector<std::string> paths;
  for (const ConfigNode& item : *items) {
    if (!item.node.IsScalar() || (item.node.Scalar() != "*" && !IsValidName(item.node.Scalar()))) {
      ExpectError(item, kGrantRule, errors);
      continue;
    }
    const std::string& name = item.node.Scalar();
    if (auto it = std::find(grants.begin(), grants.end(), name); it != grants.end()) {
      errors->Add(item.mark, item.path,
                  "duplicate entity " + QuoteForMessage(name) + "; first at " +
                      paths[static_cast<size_t>(it - grants.begin())]);
      continue;
    }
    grants.push_back(name);
    paths.push_back(item.path);
  }
  if (grants.size() > 1 && std::find(grants.begin(), grants.end(), "*") != grants.end()) {
    errors->Add(at.mark, at.path,
                "\"*\" already means every entity; list either \"*\" alone or the entities");
  }
  return grants;
}

struct ReadEntry {
  TokenEntry entry;
  ConfigSite name_site;
  ConfigSite hash_site;
};

std::optional<ReadEntry> ReadTokenEntry(const ConfigNode& at, ConfigErrors* errors) {
  MapReader map(at, errors);
  if (!map.valid()) return std::nullopt;
  map.RejectUnknownKeys(kEntryKeys);
  ReadEntry read;
  TokenEntry& entry = read.entry;
  if (std::optional<ConfigNode> node = map.Require("name")) {
    if (!node->node.IsScalar() || !IsValidTokenName(node->node.Scalar())) {
      ExpectError(*node, kNameRule, errors);
    } else {
      entry.name = node->node.Scalar();
      read.name_site = {node->mark, node->path};
    }
  }
  if (std::optional<ConfigNode> node = map.Require("sha256")) {
    const bool ok = node->node.IsScalar() && node->node.Scalar().size() == 64 &&
                    std::all_of(node->node.Scalar().begin(), node->node.Scalar().end(), IsHexDigit);
    if (!ok) {
      // Describes only the node's kind: a misplaced token must not reach a log.
      errors->Add(node->mark, node->path,
                  "expected 64 hex digits (the SHA-256 of the token; deltabridge token writes "
                  "it)");
    } else {
      entry.sha256_hex = AsciiLower(node->node.Scalar());
      read.hash_site = {node->mark, node->path};
    }
  }
  if (std::optional<ConfigNode> node = map.Get("read")) entry.read = ReadGrants(*node, errors);
  if (std::optional<ConfigNode> node = map.Get("push")) entry.push = ReadGrants(*node, errors);
  if (std::optional<ConfigNode> node = map.Get("filter")) {
    entry.filter = ReadString(*node, errors).value_or("");
  }
  if (std::optional<ConfigNode> node = map.Get("max_connections")) {
    if (auto n = ReadUnsigned(*node, 1, 1'000'000, "a connection count", errors)) {
      entry.max_connections = static_cast<size_t>(*n);
    }
  }
  if (std::optional<ConfigNode> node = map.Get("requests_per_minute")) {
    if (auto n = ReadUnsigned(*node, 0, 1'000'000, "a request count (0: no limit)", errors)) {
      entry.requests_per_minute = static_cast<uint32_t>(*n);
    }
  }
  if (std::optional<ConfigNode> node = map.Get("created")) {
    entry.created = ReadString(*node, errors).value_or("");
  }
  return read;
}

// `text` as a YAML scalar: plain when that reads back as the same string
// (yaml-cpp would take a plain null, true, ~ ... as a tag), else in double
// quotes. `in_flow`: inside [...], where ':' is not plain either.
std::string YamlScalar(std::string_view text, bool in_flow) {
  static constexpr std::array<std::string_view, 12> kReserved = {
      "null", "~", "true", "false", "yes", "no", "on", "off", "y", "n", ".nan", ".inf"};
  bool plain = !text.empty() && IsTokenNameChar(text.front()) && text.front() != '.' &&
               text.front() != '@' && text.front() != '-' &&
               std::all_of(text.begin(), text.end(),
                           [&](char c) { return IsTokenNameChar(c) || (!in_flow && c == ':'); }) &&
               std::find(kReserved.begin(), kReserved.end(), AsciiLower(text)) == kReserved.end();
  if (plain) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          static constexpr char kHex[] = "0123456789abcdef";
          out += "\\x";
          out += kHex[(static_cast<unsigned char>(c) >> 4) & 0xf];
          out += kHex[static_cast<unsigned char>(c) & 0xf];
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

std::string FlowList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    out += YamlScalar(items[i], /*in_flow=*/true);
  }
  return out + "]";
}

std::string FormatTokensFile(const TokensFile& file) {
  std::string out(kHeader);
  if (file.tokens.empty()) return out + "tokens: []\n";
  out += "tokens:\n";
  for (const TokenEntry& t : file.tokens) {
    out += "  - name: " + YamlScalar(t.name, false) + "\n";
    out += "    sha256: " + t.sha256_hex + "\n";
    out += "    read: " + FlowList(t.read) + "\n";
    out += "    push: " + FlowList(t.push) + "\n";
    if (!t.filter.empty()) out += "    filter: " + YamlScalar(t.filter, false) + "\n";
    if (t.max_connections) {
      out += "    max_connections: " + std::to_string(*t.max_connections) + "\n";
    }
    if (t.requests_per_minute) {
      out += "    requests_per_minute: " + std::to_string(*t.requests_per_minute) + "\n";
    }
    if (!t.created.empty()) out += "    created: " + YamlScalar(t.created, false) + "\n";
  }
  return out;
}

std::string Base64Url(const unsigned char* bytes, size_t size) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (size_t i = 0; i < size; ++i) {
    buffer = (buffer << 8) | bytes[i];
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kAlphabet[(buffer >> bits) & 0x3f];
    }
  }
  if (bits > 0) out += kAlphabet[(buffer << (6 - bits)) & 0x3f];
  return out;
}

bool Grants(const std::vector<std::string>& grants, std::string_view entity) {
  return std::any_of(grants.begin(), grants.end(),
                     [&](const std::string& g) { return g == "*" || g == entity; });
}

}  // namespace

bool IsValidTokenName(std::string_view name) {
  return !name.empty() && name.size() <= kMaxNameLength &&
         std::all_of(name.begin(), name.end(), IsTokenNameChar);
}

Result<TokensFile> ParseTokensFile(std::string_view yaml_text,
                                   const std::string& path_for_messages) {
  if (HasNoContent(yaml_text)) return TokensFile{};
  static constexpr ConfigFileKind kTokensFile = {
      "a mapping with the key tokens", "tokens", "gateway",
      "this is a gateway file; a tokens file (gateway.tokens_file) has the top-level key tokens",
      kTopKeys};
  TokensFile file;
  DB_RETURN_IF_ERROR(ParseConfigText(
      yaml_text, path_for_messages, kTokensFile, [&](const MapReader& top, ConfigErrors* errors) {
        if (!top.Has("tokens")) {
          top.Require("tokens");  // records "tokens: required key missing"
          return;
        }
        std::optional<ConfigNode> node = top.Get("tokens");
        if (!node) return;  // `tokens:` with nothing: no tokens
        std::optional<std::vector<ConfigNode>> items = ReadList(*node, errors);
        if (!items) return;
        std::vector<ReadEntry> read;
        for (const ConfigNode& item : *items) {
          std::optional<ReadEntry> entry = ReadTokenEntry(item, errors);
          if (!entry) continue;
          const TokenEntry& t = entry->entry;
          auto same_name = std::find_if(read.begin(), read.end(), [&](const ReadEntry& other) {
            return !t.name.empty() && other.entry.name == t.name;
          });
          if (same_name != read.end()) {
            errors->Add(entry->name_site.mark, entry->name_site.path,
                        "duplicate token name " + QuoteForMessage(t.name) + "; first at " +
                            same_name->name_site.path);
            continue;
          }
          auto same_hash = std::find_if(read.begin(), read.end(), [&](const ReadEntry& other) {
            return !t.sha256_hex.empty() && other.entry.sha256_hex == t.sha256_hex;
          });
          if (same_hash != read.end()) {
            errors->Add(
                entry->hash_site.mark, entry->hash_site.path,
                "the same hash as " + same_hash->hash_site.path + "; each token is listed once");
            continue;
          }
          read.push_back(std::move(*entry));
        }
        for (ReadEntry& entry : read) file.tokens.push_back(std::move(entry.entry));
      }));
  return file;
}

Result<TokensFile> LoadTokensFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 && errno == ENOENT) {
    return Status::NotFound(path + ": no such file");
  }
  DB_ASSIGN_OR_RETURN(std::string text, ReadConfigFile(path));
  return ParseTokensFile(text, path);
}

Status SaveTokensFile(const std::string& path, const TokensFile& file) {
  // The file keeps its owner: the gateway, often another user than the one
  // running `deltabridge token`, must still read it.
  struct stat old {};
  const bool existed = ::stat(path.c_str(), &old) == 0;
  if (existed && old.st_uid != ::geteuid() && ::geteuid() != 0) {
    return Status::FailedPrecondition(path + " belongs to user id " + std::to_string(old.st_uid) +
                                      ": run this as that user, or as root, so that the file "
                                      "keeps its owner");
  }
  const std::string tmp = AtomicFileWriter::TempPathFor(path);
  ::unlink(tmp.c_str());  // a leftover of a crash would keep its own mode
  AtomicFileWriter writer;
  DB_RETURN_IF_ERROR(writer.Open(path, AtomicFileOptions{.sync = true, .mode = 0600}));
  if (::chmod(tmp.c_str(), 0600) != 0) {
    return Status::IoError("chmod " + tmp + ": " + std::strerror(errno));
  }
  if (existed && (old.st_uid != ::geteuid() || old.st_gid != ::getegid()) &&
      ::chown(tmp.c_str(), old.st_uid, old.st_gid) != 0) {
    return Status::IoError("chown " + tmp + ": " + std::strerror(errno));
  }
  DB_RETURN_IF_ERROR(writer.Append(FormatTokensFile(file)));
  return writer.Commit();
}

Result<std::string> GenerateToken() {
  unsigned char bytes[kTokenBytes];
  size_t filled = 0;
  while (filled < sizeof bytes) {
    ssize_t n = ::getrandom(bytes + filled, sizeof bytes - filled, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::IoError(std::string("getrandom: ") + std::strerror(errno));
    }
    filled += static_cast<size_t>(n);
  }
  std::string token(kTokenPrefix);
  token += Base64Url(bytes, sizeof bytes);
  OPENSSL_cleanse(bytes, sizeof bytes);
  return token;
}

std::string TokenHash(std::string_view token) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(token.data(), token.size(), digest, &size, EVP_sha256(), nullptr) != 1 ||
      size != 32) {
    // Only when libcrypto itself is broken: no token can match then.
    return std::string();
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(64);
  for (unsigned int i = 0; i < size; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0xf];
  }
  return hex;
}

const TokenEntry* FindToken(const TokensFile& file, std::string_view token) {
  const std::string hash = TokenHash(token);
  if (hash.size() != 64) return nullptr;
  const TokenEntry* found = nullptr;
  // Every entry is compared, whatever matched: the time taken says nothing
  // about which entry, if any, the token is.
  for (const TokenEntry& entry : file.tokens) {
    if (entry.sha256_hex.size() != hash.size()) continue;
    if (CRYPTO_memcmp(entry.sha256_hex.data(), hash.data(), hash.size()) == 0) found = &entry;
  }
  return found;
}

bool MayRead(const TokenEntry& entry, std::string_view entity) {
  return Grants(entry.read, entity);
}

bool MayPush(const TokenEntry& entry, std::string_view entity) {
  return Grants(entry.push, entity);
}

}  // namespace deltabridge
