// Reading deltabridge's YAML files with yaml-cpp, every problem reported in the
// form of contract section 1:
//
//   bridge.yaml:14:7: sources[1].type: expected one of postgres, mysql, odbc, got "pgsql"
//
// that is: the file name as given, the 1-based line and column of the
// offending node (of the enclosing mapping for a missing key), the full key
// path, what is expected and what was found. The parts:
//   - ConfigErrors collects errors and turns them into one Status;
//   - ParseYamlDocument turns YAML syntax errors into that form;
//   - ConfigNode is a node with its key path and the position to report;
//   - MapReader reads one mapping: duplicate keys, unknown keys (with a
//     "did you mean" suggestion), required keys and YAML merge keys ("<<");
//   - the Read* functions convert one node, recording an error (never
//     throwing) when it has the wrong kind or value.
// The bridge file (bridge_config.h) is read with these; so can the sink file.
//
// Messages quote values found in the file, except where a caller must not:
// ReadString and ReadNonEmptyString never echo the value, so a secret read
// with them never reaches a message.
//
// Not thread-safe: a ConfigErrors and the readers writing to it belong to one
// parse. ConfigNode and MapReader share ownership of the yaml-cpp document.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cdc/core/status.h"

namespace deltabridge {

// The whole file. InvalidArgument "PATH: cannot read: No such file or directory"
// (the system's reason) when it cannot be read.
Result<std::string> ReadConfigFile(const std::string& path);
// Reads the whole of `path` into `contents`; nullopt on success, else the
// system's reason ("No such file or directory"). Refuses files over 16 MiB.
std::optional<std::string> ReadWholeFile(const std::string& path, std::string* contents);

class ConfigErrors {
 public:
  // At most this many errors are spelt out; the rest are counted.
  static constexpr size_t kMaxReported = 30;

  explicit ConfigErrors(std::string file) : file_(std::move(file)) {}

  // Records "FILE:LINE:COL: PATH: MESSAGE" (LINE and COL 1-based from the
  // 0-based `mark`). An empty path drops "PATH: "; a null mark drops "LINE:COL:".
  void Add(const YAML::Mark& mark, std::string_view path, std::string_view message);

  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }
  const std::string& file() const { return file_; }

  // Ok when empty; else InvalidArgument holding every error in file order
  // (line, then column, then order recorded), one per line.
  Status ToStatus() const;

 private:
  struct Entry {
    int line;
    int column;
    std::string text;
  };
  std::string file_;
  std::vector<Entry> entries_;
};

// A node, the key path it is reported under ("sources[1].tables[0]"; "" for
// the document) and the position to point at: the node's own, or for a null
// value (`dsn:` with nothing after it) the position of its key.
struct ConfigNode {
  YAML::Node node;
  std::string path;
  YAML::Mark mark;
};

// "PARENT.KEY", or "KEY" at the top.
std::string ChildPath(std::string_view parent, std::string_view key);

// The single document of `text`. On a syntax error or a second document,
// records it and returns nullopt. An empty file gives a null node at 1:1.
std::optional<ConfigNode> ParseYamlDocument(std::string_view text, ConfigErrors* errors);

// What a node is, for "got ...": "\"pgsql\"" (quoted, cut when long), "a list",
// "a mapping" or "null".
std::string DescribeNode(const YAML::Node& node);

// Records "PATH: expected EXPECTED, got DESCRIPTION-OF-NODE". Never use for a secret.
void ExpectError(const ConfigNode& at, std::string_view expected, ConfigErrors* errors);

// One YAML mapping of a configuration file.
//
// Construction records an error when the node is not a mapping (valid() is
// then false and the mapping reads as empty), when a key repeats, and when a
// key is not a string. A merge key `<<: *anchor` (or a list of anchors) adds
// the anchored mapping's keys that the mapping does not set itself.
class MapReader {
 public:
  MapReader(ConfigNode map, ConfigErrors* errors);

  bool valid() const { return valid_; }
  const ConfigNode& node() const { return map_; }

  // The key is present, even with a null value.
  bool Has(std::string_view key) const;
  // The value under `key`, or nullopt when absent or null (`metrics:` or
  // `metrics: ~` leave an optional key unset).
  std::optional<ConfigNode> Get(std::string_view key) const;
  // The value under `key`, null included (the readers reject it); when absent,
  // records "PATH.KEY: required key missing" at this mapping and returns nullopt.
  std::optional<ConfigNode> Require(std::string_view key) const;
  // The position of `key` itself (for errors about the key, not its value);
  // the mapping's position when absent.
  YAML::Mark KeyMark(std::string_view key) const;

  // Records "PATH.KEY: unknown key; expected one of A, B, C" for each key not
  // in `known`, followed by `; did you mean "X"?` when one is close, else by
  // `; HINT` when `hint(key)` returns a non-empty HINT.
  void RejectUnknownKeys(std::span<const std::string_view> known,
                         const std::function<std::string(std::string_view)>& hint = {}) const;

 private:
  struct Entry {
    std::string key;
    YAML::Node key_node;
    YAML::Node value;
  };

  void Collect(const YAML::Node& map, bool explicit_keys, int depth);
  const Entry* Find(std::string_view key) const;
  ConfigNode ValueNode(const Entry& entry) const;

  ConfigNode map_;
  ConfigErrors* errors_;  // not owned; outlives this reader
  bool valid_ = false;
  std::vector<Entry> entries_;  // explicit keys in file order, then merged ones
  // Mappings already merged: an alias merged twice adds nothing new, and
  // skipping it keeps nested merges of one anchor from growing exponentially.
  std::vector<YAML::Node> merged_;
};

// The top level of a deltabridge YAML file: parses `text` and checks that
// its one document is a mapping (`expected` names its keys, for messages).
// A file of the other kind, with `other_key` but not `own_key`, is reported
// at that key with `other_kind_message`. nullopt once an error is recorded.
std::optional<MapReader> ReadTopLevelMapping(std::string_view text, std::string_view expected,
                                             std::string_view own_key, std::string_view other_key,
                                             std::string_view other_kind_message,
                                             ConfigErrors* errors);

// What the top level of one kind of deltabridge file looks like.
struct ConfigFileKind {
  std::string_view expected;               // "a mapping with keys bridge and sources"
  std::string_view own_key;                // "bridge": the key this kind of file has
  std::string_view other_key;              // "sink": the key of the other kind of file
  std::string_view other_kind_message;     // what to say about a file of that other kind
  std::span<const std::string_view> keys;  // every top-level key it may have
};

// Parses `text`, a file of `kind`: reads its top level (ReadTopLevelMapping),
// reports unknown top-level keys, then lets `read_top` read the sections.
// Every problem recorded, each in the contract's file:line:col form naming
// `path_for_messages`, comes back as one InvalidArgument; ok when none was.
Status ParseConfigText(
    std::string_view text, const std::string& path_for_messages, const ConfigFileKind& kind,
    const std::function<void(const MapReader& top, ConfigErrors* errors)>& read_top);

// Readers. Each takes the node to convert and returns nullopt after recording
// an error when it cannot.

// Any scalar, as written ("" allowed). Never echoes the value.
std::optional<std::string> ReadString(const ConfigNode& at, ConfigErrors* errors);
// Any scalar but "". Never echoes the value.
std::optional<std::string> ReadNonEmptyString(const ConfigNode& at, ConfigErrors* errors);
// A decimal integer in [min, max]; `what` names it in the error
// ("expected a port number 1..65535, got \"70000\"").
std::optional<uint64_t> ReadUnsigned(const ConfigNode& at, uint64_t min, uint64_t max,
                                     std::string_view what, ConfigErrors* errors);
// The index of the scalar in `names` ("expected one of a, b, c, got \"x\"",
// plus a "did you mean" when one is close).
std::optional<size_t> ReadEnum(const ConfigNode& at, std::span<const std::string_view> names,
                               ConfigErrors* errors);
// The items of a sequence, each with path "PATH[i]".
std::optional<std::vector<ConfigNode>> ReadList(const ConfigNode& at, ConfigErrors* errors);
// ParseDuration / ParseSize of duration.h.
std::optional<std::chrono::microseconds> ReadDuration(const ConfigNode& at, ConfigErrors* errors);
std::optional<uint64_t> ReadSize(const ConfigNode& at, ConfigErrors* errors);

}  // namespace deltabridge
