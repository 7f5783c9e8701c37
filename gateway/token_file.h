// The gateway's tokens file (`gateway.tokens_file`, docs/gateway.md,
// "Access"): bearer tokens stored hashed, each with the entities it may read
// and push to, an optional row filter bound to it, and its limits.
//
//   # deltabridge gateway tokens; add with `deltabridge token GATEWAY.yaml NAME`
//   tokens:
//     - name: booking-app                 # [A-Za-z0-9_.@-]+, unique
//       sha256: 3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b
//       read: [scheduling]                # entity names, or "*" for every entity
//       push: [scheduling]
//       filter: "tenant_id = 7"           # optional: rows outside it are neither shown nor pushed
//       max_connections: 20               # optional; default limits.connections_per_token
//       requests_per_minute: 600          # optional; default limits.requests_per_minute
//       created: 2026-12-07T22:00:00Z
//
// A token is "dbt_" followed by 43 base64url characters (32 random bytes from
// the system's CSPRNG); the file keeps only the SHA-256 of the whole token
// text, in hex. (A salted slow hash buys nothing for 256 random bits; SHA-256
// lets the gateway look a token up per request.) The file is written 0600,
// atomically (a temporary file renamed over it), and never holds a token.
//
// Functions are thread-safe; the structs are plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cdc/core/status.h"

namespace deltabridge {

struct TokenEntry {
  std::string name;
  std::string sha256_hex;         // 64 lowercase hex digits
  std::vector<std::string> read;  // entity names; "*" alone: every entity
  std::vector<std::string> push;  // the same for pushes
  std::string filter;             // row filter text (gateway/row_filter.h); empty: none
  std::optional<size_t> max_connections;
  std::optional<uint32_t> requests_per_minute;
  std::string created;  // UTC, as written; informational
};

struct TokensFile {
  std::vector<TokenEntry> tokens;
};

// Reads and checks the tokens file: errors in the form of config files
// ("app.tokens:4:7: tokens[0].sha256: expected 64 hex digits"); names unique,
// hashes unique. A missing file is NotFound.
Result<TokensFile> LoadTokensFile(const std::string& path);
Result<TokensFile> ParseTokensFile(std::string_view yaml_text,
                                   const std::string& path_for_messages);
// Writes `file` to `path` (0600, atomically), with the header comment.
Status SaveTokensFile(const std::string& path, const TokensFile& file);

// [A-Za-z0-9_.@-]+ and at most 128 characters: a token's name.
bool IsValidTokenName(std::string_view name);

// A new random token ("dbt_..."). IoError when the system's random source fails.
Result<std::string> GenerateToken();
// SHA-256 of `token`, 64 lowercase hex digits.
std::string TokenHash(std::string_view token);

// The entry whose hash is the token's, else nullptr. Compares in constant
// time per entry.
const TokenEntry* FindToken(const TokensFile& file, std::string_view token);

// Whether `entry` may read / push `entity`.
bool MayRead(const TokenEntry& entry, std::string_view entity);
bool MayPush(const TokenEntry& entry, std::string_view entity);

}  // namespace deltabridge
