#include "cdc/config/yaml_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <system_error>
#include <utility>

#include "cdc/config/duration.h"
#include "cdc/config/message_text.h"

namespace deltabridge {

namespace {

// Configuration files are small; refuse to slurp a device or a wrong path.
constexpr size_t kMaxConfigFileBytes = 16 << 20;
// Merge keys can nest (an anchored mapping with its own "<<"); stop there.
constexpr int kMaxMergeDepth = 16;

std::string SystemReason(int error) {
  return std::error_code(error, std::generic_category()).message();
}

bool IsMergeKey(const YAML::Node& key) {
  // A plain (unquoted) "<<"; a quoted "<<" is an ordinary key.
  return key.IsScalar() && key.Scalar() == "<<" && key.Tag() != "!";
}

YAML::Mark MarkOr(const YAML::Node& node, const YAML::Mark& fallback) {
  if (!node.IsDefined() || node.IsNull() || node.Mark().is_null()) return fallback;
  return node.Mark();
}

}  // namespace

std::optional<std::string> ReadWholeFile(const std::string& path, std::string* contents) {
  contents->clear();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return SystemReason(errno);
  char buffer[16384];
  while (true) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int error = errno;
      ::close(fd);
      return SystemReason(error);
    }
    if (n == 0) break;
    contents->append(buffer, static_cast<size_t>(n));
    if (contents->size() > kMaxConfigFileBytes) {
      ::close(fd);
      contents->clear();
      return "larger than " + std::to_string(kMaxConfigFileBytes >> 20) + " MiB";
    }
  }
  ::close(fd);
  return std::nullopt;
}

Result<std::string> ReadConfigFile(const std::string& path) {
  std::string text;
  if (std::optional<std::string> reason = ReadWholeFile(path, &text)) {
    return Status::InvalidArgument(path + ": cannot read: " + *reason);
  }
  return text;
}

void ConfigErrors::Add(const YAML::Mark& mark, std::string_view path, std::string_view message) {
  std::string text = file_;
  if (!mark.is_null()) {
    text += ':' + std::to_string(mark.line + 1) + ':' + std::to_string(mark.column + 1);
  }
  text += ": ";
  if (!path.empty()) {
    text.append(path);
    text += ": ";
  }
  text.append(message);
  entries_.push_back({mark.line, mark.column, std::move(text)});
}

Status ConfigErrors::ToStatus() const {
  if (entries_.empty()) return Status::Ok();
  std::vector<const Entry*> sorted;
  for (const Entry& entry : entries_) sorted.push_back(&entry);
  std::stable_sort(sorted.begin(), sorted.end(), [](const Entry* a, const Entry* b) {
    return std::pair(a->line, a->column) < std::pair(b->line, b->column);
  });
  std::string message;
  for (size_t i = 0; i < sorted.size() && i < kMaxReported; ++i) {
    if (i > 0) message += '\n';
    message += sorted[i]->text;
  }
  if (sorted.size() > kMaxReported) {
    message += '\n' + file_ + ": " + std::to_string(sorted.size() - kMaxReported) +
               " more errors not shown";
  }
  return Status::InvalidArgument(std::move(message));
}

std::string ChildPath(std::string_view parent, std::string_view key) {
  std::string path(parent);
  if (!path.empty()) path += '.';
  path.append(key);
  return path;
}

std::optional<ConfigNode> ParseYamlDocument(std::string_view text, ConfigErrors* errors) {
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& e) {
    errors->Add(e.mark, "", "invalid YAML: " + e.msg);
    return std::nullopt;
  }
  if (documents.empty()) return ConfigNode{YAML::Node(YAML::NodeType::Null), "", YAML::Mark()};
  if (documents.size() > 1) {
    errors->Add(documents[1].Mark(), "",
                "expected one YAML document, got " + std::to_string(documents.size()));
    return std::nullopt;
  }
  YAML::Node document = documents[0];
  return ConfigNode{document, "", MarkOr(document, YAML::Mark())};
}

std::optional<MapReader> ReadTopLevelMapping(std::string_view text, std::string_view expected,
                                             std::string_view own_key, std::string_view other_key,
                                             std::string_view other_kind_message,
                                             ConfigErrors* errors) {
  std::optional<ConfigNode> document = ParseYamlDocument(text, errors);
  if (!document) return std::nullopt;
  if (document->node.IsNull()) {
    errors->Add(document->mark, "",
                "expected " + std::string(expected) + ", got an empty document");
    return std::nullopt;
  }
  if (!document->node.IsMap()) {
    ExpectError(*document, expected, errors);
    return std::nullopt;
  }
  MapReader top(*document, errors);
  if (top.Has(other_key) && !top.Has(own_key)) {
    errors->Add(top.KeyMark(other_key), std::string(other_key), std::string(other_kind_message));
    return std::nullopt;
  }
  return top;
}

Status ParseConfigText(
    std::string_view text, const std::string& path_for_messages, const ConfigFileKind& kind,
    const std::function<void(const MapReader& top, ConfigErrors* errors)>& read_top) {
  ConfigErrors errors(path_for_messages);
  try {
    std::optional<MapReader> top = ReadTopLevelMapping(
        text, kind.expected, kind.own_key, kind.other_key, kind.other_kind_message, &errors);
    if (!top) return errors.ToStatus();
    top->RejectUnknownKeys(kind.keys);
    read_top(*top, &errors);
  } catch (const YAML::Exception& e) {
    // Not expected: the readers check node kinds before converting.
    errors.Add(e.mark, "", "invalid YAML: " + e.msg);
  }
  if (!errors.empty()) return errors.ToStatus();
  return Status::Ok();
}

std::string DescribeNode(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return QuoteForMessage(node.Scalar());
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Null:
      return "null";
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

void ExpectError(const ConfigNode& at, std::string_view expected, ConfigErrors* errors) {
  errors->Add(at.mark, at.path,
              "expected " + std::string(expected) + ", got " + DescribeNode(at.node));
}

MapReader::MapReader(ConfigNode map, ConfigErrors* errors) : map_(std::move(map)), errors_(errors) {
  if (!map_.node.IsMap()) {
    ExpectError(map_, "a mapping", errors_);
    return;
  }
  valid_ = true;
  Collect(map_.node, /*explicit_keys=*/true, 0);
}

void MapReader::Collect(const YAML::Node& map, bool explicit_keys, int depth) {
  std::vector<std::pair<YAML::Node, YAML::Node>> merges;  // (key, value) of each "<<"
  for (auto it = map.begin(); it != map.end(); ++it) {
    // Copies: `it->` yields a temporary proxy, so references would dangle.
    YAML::Node key = it->first;
    YAML::Node value = it->second;
    if (IsMergeKey(key)) {
      merges.emplace_back(key, value);
      continue;
    }
    if (!key.IsScalar()) {
      if (explicit_keys) {
        errors_->Add(MarkOr(key, map_.mark), map_.path,
                     "expected keys to be strings, got " + DescribeNode(key) + " as a key");
      }
      continue;
    }
    if (const Entry* first = Find(key.Scalar())) {
      // Only explicit keys can be found while explicit ones are collected:
      // merged keys come after all of them.
      if (explicit_keys) {
        errors_->Add(
            key.Mark(), ChildPath(map_.path, key.Scalar()),
            "duplicate key; first set on line " + std::to_string(first->key_node.Mark().line + 1));
      }
      continue;
    }
    entries_.push_back({key.Scalar(), key, value});
  }
  // Keys set in the mapping itself win over merged ones, and earlier merged
  // mappings over later ones (YAML merge key semantics).
  for (const auto& [key, value] : merges) {
    std::vector<YAML::Node> sources;
    if (value.IsMap()) {
      sources.push_back(value);
    } else if (value.IsSequence()) {
      for (const YAML::Node& item : value) sources.push_back(item);
    }
    bool all_maps = !sources.empty() && std::all_of(sources.begin(), sources.end(),
                                                    [](const YAML::Node& n) { return n.IsMap(); });
    if (!all_maps) {
      if (explicit_keys) {
        errors_->Add(
            MarkOr(value, key.Mark()), ChildPath(map_.path, "<<"),
            "expected a mapping or a list of mappings to merge, got " + DescribeNode(value));
      }
      continue;
    }
    if (depth >= kMaxMergeDepth) {
      errors_->Add(key.Mark(), ChildPath(map_.path, "<<"), "merge keys nested too deeply");
      continue;
    }
    for (const YAML::Node& source : sources) {
      bool seen = std::any_of(merged_.begin(), merged_.end(),
                              [&](const YAML::Node& done) { return done.is(source); });
      if (seen || source.is(map_.node)) continue;
      merged_.push_back(source);
      Collect(source, /*explicit_keys=*/false, depth + 1);
    }
  }
}

const MapReader::Entry* MapReader::Find(std::string_view key) const {
  for (const Entry& entry : entries_) {
    if (entry.key == key) return &entry;
  }
  return nullptr;
}

ConfigNode MapReader::ValueNode(const Entry& entry) const {
  return ConfigNode{entry.value, ChildPath(map_.path, entry.key),
                    MarkOr(entry.value, entry.key_node.Mark())};
}

bool MapReader::Has(std::string_view key) const { return Find(key) != nullptr; }

std::optional<ConfigNode> MapReader::Get(std::string_view key) const {
  const Entry* entry = Find(key);
  if (entry == nullptr || entry->value.IsNull()) return std::nullopt;
  return ValueNode(*entry);
}

std::optional<ConfigNode> MapReader::Require(std::string_view key) const {
  const Entry* entry = Find(key);
  if (entry == nullptr) {
    // An invalid mapping already has its error; do not pile on.
    if (valid_) errors_->Add(map_.mark, ChildPath(map_.path, key), "required key missing");
    return std::nullopt;
  }
  return ValueNode(*entry);
}

YAML::Mark MapReader::KeyMark(std::string_view key) const {
  const Entry* entry = Find(key);
  return entry == nullptr ? map_.mark : entry->key_node.Mark();
}

void MapReader::RejectUnknownKeys(std::span<const std::string_view> known,
                                  const std::function<std::string(std::string_view)>& hint) const {
  for (const Entry& entry : entries_) {
    if (std::find(known.begin(), known.end(), entry.key) != known.end()) continue;
    std::string message = "unknown key; expected one of " + JoinForMessage(known);
    std::string_view suggestion = ClosestMatch(entry.key, known);
    if (!suggestion.empty()) {
      message += "; did you mean \"" + std::string(suggestion) + "\"?";
    } else if (hint) {
      std::string extra = hint(entry.key);
      if (!extra.empty()) message += "; " + extra;
    }
    errors_->Add(entry.key_node.Mark(), ChildPath(map_.path, entry.key), message);
  }
}

std::optional<std::string> ReadString(const ConfigNode& at, ConfigErrors* errors) {
  if (!at.node.IsScalar()) {
    // Only the node kind is described: a scalar is always accepted, so no
    // value is ever echoed (this reader also reads passwords).
    errors->Add(at.mark, at.path, "expected a string, got " + DescribeNode(at.node));
    return std::nullopt;
  }
  return at.node.Scalar();
}

std::optional<std::string> ReadNonEmptyString(const ConfigNode& at, ConfigErrors* errors) {
  std::optional<std::string> text = ReadString(at, errors);
  if (text.has_value() && text->empty()) {
    errors->Add(at.mark, at.path, "expected a non-empty string, got \"\"");
    return std::nullopt;
  }
  return text;
}

std::optional<uint64_t> ReadUnsigned(const ConfigNode& at, uint64_t min, uint64_t max,
                                     std::string_view what, ConfigErrors* errors) {
  std::string expected = std::string(what) + " " + std::to_string(min) + ".." + std::to_string(max);
  if (!at.node.IsScalar()) {
    ExpectError(at, expected, errors);
    return std::nullopt;
  }
  const std::string& text = at.node.Scalar();
  uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  bool digits_only = !text.empty() && std::all_of(text.begin(), text.end(),
                                                  [](char c) { return c >= '0' && c <= '9'; });
  if (!digits_only || ec != std::errc() || ptr != text.data() + text.size() || value < min ||
      value > max) {
    ExpectError(at, expected, errors);
    return std::nullopt;
  }
  return value;
}

std::optional<size_t> ReadEnum(const ConfigNode& at, std::span<const std::string_view> names,
                               ConfigErrors* errors) {
  std::string expected = "one of " + JoinForMessage(names);
  if (!at.node.IsScalar()) {
    ExpectError(at, expected, errors);
    return std::nullopt;
  }
  for (size_t i = 0; i < names.size(); ++i) {
    if (at.node.Scalar() == names[i]) return i;
  }
  std::string message = "expected " + expected + ", got " + DescribeNode(at.node);
  std::string_view suggestion = ClosestMatch(at.node.Scalar(), names);
  if (!suggestion.empty()) message += "; did you mean \"" + std::string(suggestion) + "\"?";
  errors->Add(at.mark, at.path, message);
  return std::nullopt;
}

std::optional<std::vector<ConfigNode>> ReadList(const ConfigNode& at, ConfigErrors* errors) {
  if (!at.node.IsSequence()) {
    ExpectError(at, "a list", errors);
    return std::nullopt;
  }
  std::vector<ConfigNode> items;
  size_t index = 0;
  for (const YAML::Node& item : at.node) {
    items.push_back(
        ConfigNode{item, at.path + "[" + std::to_string(index) + "]", MarkOr(item, at.mark)});
    ++index;
  }
  return items;
}

std::optional<std::chrono::microseconds> ReadDuration(const ConfigNode& at, ConfigErrors* errors) {
  if (!at.node.IsScalar()) {
    ExpectError(at, "a duration such as 500ms, 2s, 5m, 1h or 7d", errors);
    return std::nullopt;
  }
  Result<std::chrono::microseconds> duration = ParseDuration(at.node.Scalar());
  if (!duration.ok()) {
    errors->Add(at.mark, at.path, duration.status().message());
    return std::nullopt;
  }
  return *duration;
}

std::optional<uint64_t> ReadSize(const ConfigNode& at, ConfigErrors* errors) {
  if (!at.node.IsScalar()) {
    ExpectError(at, "a size such as 512KiB, 64MiB, 10GiB or a byte count", errors);
    return std::nullopt;
  }
  Result<uint64_t> size = ParseSize(at.node.Scalar());
  if (!size.ok()) {
    errors->Add(at.mark, at.path, size.status().message());
    return std::nullopt;
  }
  return *size;
}

}  // namespace deltabridge
