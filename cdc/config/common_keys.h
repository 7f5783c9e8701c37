// Readers and rules for keys that the bridge file and the sink file share:
// names, ZeroMQ endpoints, and the MySQL login (host, port, user, password | password_file).
// Errors go to ConfigErrors in the contract's file:line:col form; a password
// is never echoed. Thread-compatible, like yaml_reader.h.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cdc/config/yaml_reader.h"

namespace deltabridge {

// Where a value was found, to point a later cross-check at it.
struct ConfigSite {
  YAML::Mark mark = YAML::Mark::null_mark();
  std::string path;
};

// What `name` must be: the expectation in ReadName's error.
inline constexpr std::string_view kNameRule = "a name matching [a-z0-9_-]+";

// A name ([a-z0-9_-]+) at `at`; nullopt, with an error, when it is not one.
std::optional<std::string> ReadName(const ConfigNode& at, ConfigErrors* errors);

// The keys an entry of one `type:` takes (a source of type postgres, a target
// of type jsonl, ...).
struct TypeKeys {
  std::string_view type;
  std::span<const std::string_view> keys;
};

// For a key that an entry's own type does not take: which other types take
// it, as "dsn is for postgres and odbc sources" (`noun` "sources"); "" when
// none does.
std::string OtherTypesHint(std::string_view key, std::span<const TypeKeys> types,
                           std::string_view noun);

// Every key some type takes, each once, in order: for an entry whose type is
// unknown.
std::vector<std::string_view> AnyTypeKeys(std::span<const TypeKeys> types);

// True when `text` holds a space or a control character.
bool ContainsSpaceOrControl(std::string_view text);

// [a-z0-9_-]+: bridge, source and sink names.
bool IsValidName(std::string_view name);

// Node names (docs/two-way.md): one or more names joined by dots, each
// [a-z0-9_-]+ ("parks.scheduling"); at most 200 characters.
bool IsValidNodeName(std::string_view name);
inline constexpr std::string_view kNodeNameRule =
    "a node name: names matching [a-z0-9_-]+ joined by dots, like parks.scheduling";
// A node name at `at`; nullopt, with an error, when it is not one.
std::optional<std::string> ReadNodeName(const ConfigNode& at, ConfigErrors* errors);
// true or false at `at`; nullopt, with an error, when it is neither.
std::optional<bool> ReadBool(const ConfigNode& at, ConfigErrors* errors);

// nullopt when `endpoint` is tcp://HOST:PORT (HOST may be * or [v6]) or
// ipc://PATH; else what is expected.
std::optional<std::string> CheckZmqEndpoint(std::string_view endpoint);

// A required ZeroMQ endpoint, tcp://HOST:PORT or ipc://PATH.
std::optional<std::string> ReadEndpoint(const MapReader& map, std::string_view key,
                                        ConfigErrors* errors);

struct MysqlLogin {
  std::string host;
  uint16_t port = 3306;
  std::string user;
  std::string password;       // from `password`, or the file's contents without trailing newlines
  std::string password_file;  // the path, when the password came from a file
};

// Reads host (required), port (default 3306), user (required) and at most one
// of password / password_file (the file is read now; an empty file is an error).
MysqlLogin ReadMysqlLogin(const MapReader& map, ConfigErrors* errors);

}  // namespace deltabridge
